// Wire types of the Tauri commands (src-tauri/src/commands/). They mirror the Rust
// types' serde output; `generated/samples.ts` (written by the Rust test
// `bindings::samples_are_current`) holds real serialised values typed with these
// interfaces, so `npm run typecheck` fails as soon as either side drifts.

/** `app_info` */
export interface AppInfo {
  version: string
  serverUrl: string
}

/** `server_health`: a server that is down is `ok: false`, not an error. */
export interface ServerHealth {
  ok: boolean
  serverVersion?: string
  message: string
}

/** What every failing command rejects with (the Rust `Error` enum). */
export interface CommandErrorBody {
  code: string
  message: string
}

// ---- vocabulary (crates/domain) -------------------------------------------------

export const CASE_STATES = [
  'pendingAcceptance',
  'pendingSignIn',
  'inProgress',
  'pendingReview',
  'completed',
  'followUpL2',
  'followUpL3',
  'difficultSupervision',
  'archived',
  'concluded',
  'rejected',
  'transferred',
  'merged',
] as const
export type CaseState = (typeof CASE_STATES)[number]

export const ACTION_KINDS = [
  'dispatch',
  'redispatch',
  'reject',
  'transferOut',
  'linkDuplicate',
  'signIn',
  'assign',
  'return',
  'coUnitOpinion',
  'submitReply',
  'approve',
  'sendBack',
  'requestExtension',
  'approveExtension',
  'rejectExtension',
  'urge',
  'consult',
  'addNote',
  'followUpAnswer',
  'recordRehandle',
  'leaderSignOff',
  'recordInvestigation',
  'supervisionNotice',
  'conclude',
  'archive',
  'adoptMasterReply',
] as const
export type ActionKind = (typeof ACTION_KINDS)[number]

export const WORK_LISTS = ['unsigned', 'inProgress', 'dueSoon', 'overdue'] as const
export type WorkList = (typeof WORK_LISTS)[number]

/** 涉警投诉's finding at its final sign-off or level-3 investigation (责任倒查 on 属实/部分属实). */
export type ComplaintVerdict = 'substantiated' | 'partlySubstantiated' | 'unsubstantiated'

export const ROLES = ['clerk', 'officer', 'unitHead', 'supervisor', 'leader', 'followUp', 'admin', 'inspector', 'system'] as const
export type Role = (typeof ROLES)[number]

/** What a role may reach at all (domain::capability); per-case actions come from `allowedActions`. */
export type Capability =
  | 'register'
  | 'dispatch'
  | 'homeVisit'
  | 'bulkImport'
  | 'editKnowledge'
  | 'handle'
  | 'approve'
  | 'supervise'
  | 'urge'
  | 'assessment'
  | 'cityWide'
  | 'reports'
  | 'readFollowUps'
  | 'answerFollowUps'
  | 'administer'
  | 'manageSupervisors'
  | 'supervisorTasks'
  | 'supervisorFeedback'
  | 'accountability'

export interface RoleCapabilities {
  role: Role
  capabilities: Capability[]
  /** The unit level (1–3) an account of this role is posted at (`domain::staffing`). */
  postingLevel: number
}

/** Channels serialise as their Chinese names. */
export const CHANNELS = [
  '12345市长热线',
  '政务监督热线',
  '领导批示',
  '来信来访',
  '局长信箱',
  '网上信访',
  '民生警务热线',
  '手机版在线服务',
  '入户走访',
  '窗口服务',
  '110接处警',
  '监督员',
] as const
export type Channel = (typeof CHANNELS)[number]

export const REQUEST_TYPES = ['咨询', '求助', '投诉', '举报', '建议', '表扬'] as const
export type RequestType = (typeof REQUEST_TYPES)[number]

export const URGENCIES = ['普通', '紧急', '特急'] as const
export type Urgency = (typeof URGENCIES)[number]


/** One 诉求类别 of the city's list (admin-editable). A retired one is not offered for new
 *  work but stays readable on old cases; a renamed one points to its new name. */
export interface CategoryEntry {
  name: string
  retired: boolean
  renamedTo?: string
}

/** The city's configuration as the local cache holds it (`config_local`; offline too). */
export interface LocalConfig {
  /** The server's configuration version held (0: the shipped defaults). */
  version: number
  categories: CategoryEntry[]
  /** Years whose holiday calendar is held. */
  holidayYears: number[]
  /** A year whose calendar is missing and needed now (deadlines into it are provisional). */
  calendarMissing: number | null
}

export type Satisfaction = 'satisfied' | 'basicallySatisfied' | 'unsatisfied'
export type FollowUpChannel = 'sms' | 'phone' | 'visit'
export type InvestigatingDept = '纪委' | '督察' | '法制'
export type Resolution = 'discard' | 'reapply' | 'forwardAsNote'

// ---- session and sync -----------------------------------------------------------

export interface Profile {
  id: string
  username: string
  displayName: string
  role: string
  roleName: string
  unitId: string
  unitName: string | null
  active: boolean
}

export interface SyncStatus {
  online: boolean
  syncing: boolean
  queued: number
  conflicts: number
  lastSyncAt: string | null
  lastError: string | null
  lastErrorCode: string | null
  nextAttemptAt: string | null
  /** The refresh credential is gone: sign in again (the outbox is kept). */
  loginRequired: boolean
}

export interface SyncReport {
  pushed: number
  applied: number
  rejected: number
  conflicts: number
  pulled: number
  removed: number
  pages: number
  reset: boolean
  /** Cases whose whole timeline was fetched (they entered the user's scope). */
  timelinesFilled: number
  /** How long the push and the pull took; of the pull, the time writing the cache. */
  pushMs: number
  pullMs: number
  storeMs: number
}

/** `auth_login` / `auth_resume` */
export interface SessionInfo {
  profile: Profile
  status: SyncStatus
  /** True when the session was opened from the cache without the server. */
  offline: boolean
  /** The server asks for a new password first (admin-set, or older than 90 days). */
  mustChangePassword: boolean
  /** Locked after inactivity: only the unlock form is shown until the password is given. */
  locked: boolean
}

// ---- org --------------------------------------------------------------------------

export interface Unit {
  id: string
  code: string
  name: string
  level: 1 | 2 | 3
  parent: string | null
  kind: string
  policeLine: string | null
  jurisdiction: { districts: string[]; streets: string[] }
  /** False: disabled by the admin (no new work; old cases keep it). */
  active: boolean
}

export interface UserSummary {
  id: string
  username: string
  displayName: string
  role: string
  roleName: string
  unitId: string
  active: boolean
}

/** `auth_last_user`: who signed in last on this machine (no secret). */
export interface LastUser {
  serverUrl: string
  username: string
}

// ---- cases ------------------------------------------------------------------------

export interface LocalCaseQuery {
  states?: CaseState[]
  category?: string | null
  channel?: Channel | null
  unit?: string | null
  from?: string | null
  to?: string | null
  overdue?: boolean
  /** Only cases waiting for a supervisor's decision (reply review or extension). */
  awaitingDecision?: boolean
  keyword?: string | null
  list?: WorkList | null
  sort?: 'receivedAt' | 'deadline' | 'number' | 'state' | null
  desc?: boolean
  offset: number
  limit: number
}

export interface CaseRow {
  id: string
  number: string | null
  title: string
  state: CaseState
  handlingUnit: string | null
  receivedAt: string
  version: number
  pendingCommands: number
  category: string | null
  channel: Channel | null
  urgency: Urgency | null
  /** The deadline running now (sign-in or reply). */
  deadline: string | null
  overdue: boolean
  dueSoon: boolean
  warnAt: string | null
  /** Working minutes until `deadline` (negative when late), from the holiday calendar. */
  remainingMinutes: number | null
}

export interface CaseRowPage {
  total: number
  rows: CaseRow[]
  /** Working minutes in one working day, to show countdowns as days + hours. */
  minutesPerDay: number
}

export interface WorkListCounts {
  unsigned: number
  inProgress: number
  dueSoon: number
  overdue: number
}

export interface CitizenView {
  name: string
  phone: string | null
  idCard: string | null
  masked: boolean
}

export interface Deadlines {
  signIn: string | null
  signInWarn: string | null
  reply: string | null
  replyWarn: string | null
  followUpTask: string | null
  /** A year these deadlines cross whose holiday calendar was missing when they were
   *  counted: they assume Monday–Friday there (shown as provisional). Absent otherwise. */
  calendarMissing?: number
}

export interface Opinion {
  text: string
  by: string
  at: string
}

export interface CoUnit {
  unit: string
  opinion: Opinion | null
}

export interface SignOff {
  step: 'unitHead' | 'superior'
  by: string
  name: string
  role: Role
  unit: string
  at: string
  comment: string | null
}

export interface ExtensionRequest {
  reason: string
  until: string
  by: string
  at: string
}

export interface FollowUp {
  level: 'l1' | 'l2' | 'l3' | 'difficult' | null
  awaitingAnswer: boolean
  satisfaction: Satisfaction | null
  rehandleResult: string | null
  leaderSigned: boolean
  investigation: string | null
  supervisionNotices: number
}

/** The domain `Case` (citizen identity replaced by `LocalCase.citizen`). */
export interface Case {
  id: string
  number: string | null
  version: number
  channel: Channel
  requestType: RequestType
  category: string | null
  title: string
  content: string
  citizen: { name: string; phone: string | null; idCard: string | null }
  address: string | null
  district: string | null
  receivedAt: string
  urgency: Urgency
  flags: { policeComplaint: boolean; important: boolean }
  handlingUnit: string | null
  supervisingUnit: string | null
  coUnits: CoUnit[]
  assignedOfficer: string | null
  state: CaseState
  deadlines: Deadlines
  dispatchedAt: string | null
  signedInAt: string | null
  completedAt: string | null
  closedAt: string | null
  reply: Opinion | null
  signOffs: SignOff[]
  pendingExtension: ExtensionRequest | null
  extensionsGranted: number
  duplicateOf: string | null
  followUp: FollowUp
  returnCount: number
  urgeCount: number
  closingNote: string | null
  createdBy: string
  intakeUnit?: string | null
}

export interface TimelineEntry {
  id: string
  caseId: string
  seq: number
  at: string
  deviceAt: string | null
  actorId: string
  actorName: string
  actorRole: Role
  actorUnit: string
  kind: string
  fromState: CaseState | null
  toState: CaseState
  detail: unknown
  prevHash: string
  hash: string
}

export interface Unreplayable {
  command: string
  code: string
  message: string
}

/** `case_get` / `case_act` / `case_intake`: the case as this user sees it now. */
export interface LocalCase {
  case: Case
  citizen: CitizenView
  serverVersion: number
  pending: string[]
  unreplayable: Unreplayable[]
  allowedActions: ActionKind[]
  /** Every step the server recorded, oldest first. */
  timeline: TimelineEntry[]
  /** This user's steps not yet confirmed by the server, with their device times. */
  pendingSteps: PendingStep[]
  /** Cached duplicates linked to this case (首问负责), oldest link first. */
  duplicates: DuplicateLink[]
}

/** One row of a server search (`GET /cases`), masked like every list. */
export interface ServerCaseSummary {
  id: string
  number: string | null
  title: string
  channel: Channel
  requestType: RequestType
  category: string | null
  state: CaseState
  urgency: string
  sensitive: boolean
  handlingUnit: string | null
  supervisingUnit: string | null
  receivedAt: string
  signInDeadline: string | null
  replyDeadline: string | null
  overdue: boolean
  version: number
}

export interface ServerCasePage {
  items: ServerCaseSummary[]
  /** Pass back for the next page; null on the last. */
  nextCursor: string | null
  /** Counted on the first page only. */
  total: number | null
}

/** A duplicate linked to the case on screen; `linkedAt` is null until its timeline is cached. */
export interface DuplicateLink {
  id: string
  number: string | null
  title: string
  state: CaseState
  linkedAt: string | null
  linkedBy: string | null
}

export interface PendingStep {
  command: string
  kind: string
  label: string
  actorName: string
  deviceAt: string
  detail: unknown
}

// ---- actions (the domain `Action`, tagged by `type`) --------------------------------

export interface DispatchOrder {
  handlingUnit: string
  supervisingUnit?: string | null
  coUnits?: string[]
  category: string
  requestType: RequestType
  urgency?: Urgency
  flags?: { policeComplaint: boolean; important: boolean }
}

export type Action =
  | ({ type: 'dispatch' } & DispatchOrder)
  | { type: 'redispatch'; order: DispatchOrder; reason: string }
  | { type: 'reject'; reason: string }
  | { type: 'transferOut'; department: string; reason: string }
  | { type: 'linkDuplicate'; master: string }
  | { type: 'signIn' }
  | { type: 'assign'; officer: { id: string; unit: string; role: Role } }
  | { type: 'return'; reason: string }
  | { type: 'coUnitOpinion'; text: string }
  | { type: 'submitReply'; text: string }
  | { type: 'approve'; comment: string | null; verdict?: ComplaintVerdict }
  | { type: 'sendBack'; reason: string }
  | { type: 'requestExtension'; reason: string; until: string }
  | { type: 'approveExtension'; comment: string | null }
  | { type: 'rejectExtension'; reason: string }
  | { type: 'urge'; message: string }
  | { type: 'consult'; participants: string[]; summary: string }
  | { type: 'addNote'; text: string }
  | { type: 'followUpAnswer'; satisfaction: Satisfaction; channel: FollowUpChannel; note: string | null }
  | { type: 'recordRehandle'; result: string }
  | { type: 'leaderSignOff'; opinion: string }
  | { type: 'recordInvestigation'; department: InvestigatingDept; finding: string; verdict?: ComplaintVerdict }
  | { type: 'supervisionNotice'; notice: string }
  | { type: 'conclude'; decision: string }
  | { type: 'archive'; reason: string }
  /** System only (首问负责): a merged duplicate takes its master's reply. */
  | { type: 'adoptMasterReply'; master: string; answer: Record<string, unknown> }

/** The domain `NewCase` (intake, 入户走访). */
export interface NewCase {
  id?: string | null
  channel: Channel
  requestType: RequestType
  category?: string | null
  title: string
  content: string
  citizenName: string
  citizenPhone?: string | null
  citizenIdCard?: string | null
  address?: string | null
  district?: string | null
  receivedAt?: string | null
  urgency: Urgency
  flags: { policeComplaint: boolean; important: boolean }
  /** 领导批示 only (required there, refused elsewhere). */
  leaderInstruction?: LeaderInstruction | null
}

/** 领导批示: the leader and the instruction text. */
export interface LeaderInstruction {
  leader: string
  instruction: string
}

// ---- intake desk (intake_check, intake_assist) ---------------------------------------

/** `intake_check`: one problem of the form, from the domain's intake rules. `field` is the
 * NewCase field (`title`, `citizenPhone`, `citizenIdCard`, `receivedAt`, `leaderName`,
 * `leaderInstruction`, …) or `channel` when the role may not take that channel. */
export interface FieldProblem {
  field: string
  code: string
  message: string
}

/** The draft sent to `intake_assist` (nothing is stored). */
export interface AssistDraft {
  title: string
  content: string
  citizenPhone?: string | null
  address?: string | null
  /** The case being dispatched, left out of its own candidates. */
  excludeCaseId?: string | null
}

export interface Scored {
  label: string
  score: number
}

export interface UnitSuggestion {
  unitId: string
  unitName: string
  score: number
  /** Words that drove it: kind words first, then the place that matched the jurisdiction. */
  reasons: string[]
}

/** minsheng-nlp `Suggestion`. */
export interface Suggestion {
  /** [is police-related, probability] */
  policeRelated: [boolean, number]
  category: Scored[]
  requestType: Scored[]
  unitKind: Scored[]
  handlingUnits: UnitSuggestion[]
  supervisingUnit: string | null
  district: string | null
  street: string | null
  categoryReasons: string[]
}

/** A possible earlier report of the same matter (only cases this user may see). */
export interface DuplicateCandidate {
  caseId: string
  number: string | null
  title: string
  state: CaseState
  receivedAt: string
  score: number
  textSimilarity: number
  samePhone: boolean
  sameMatter: boolean
}

export interface CallerCase {
  caseId: string
  number: string | null
  title: string
  channel: Channel
  state: CaseState
  stateName: string
  category: string | null
  handlingUnitName: string | null
  receivedAt: string
}

/** `intake_assist` (server `POST /intake/assist`). */
export interface IntakeAssist {
  suggestion: Suggestion | null
  supervisingUnitName: string | null
  modelVersion: number | null
  duplicates: DuplicateCandidate[]
  phoneMasked: string | null
  callerHistory: CallerCase[]
}

// ---- sync conflicts ---------------------------------------------------------------

export type CommandPayload = { kind: 'action'; body: Action } | { kind: 'intake'; body: NewCase }

export interface OutboxCommand {
  seq: number
  id: string
  caseId: string
  baseVersion: number | null
  payload: CommandPayload
  actor: { userId: string; name: string; role: Role; unitId: string }
  deviceAt: string
  status: 'queued' | 'sent' | 'applied' | 'rejected' | 'conflict'
  errorCode: string | null
  errorMessage: string | null
}

// ---- bulk import (server POST /intake/bulk) ------------------------------------------

export interface BulkRowResult {
  row: number
  ok: boolean
  caseId: string | null
  number: string | null
  code: string | null
  message: string | null
  /** Accepted rows, when the server has a model; `policeRelated: false` marks a row for
   * 转其他部门 (never transferred automatically). */
  suggestion?: BulkSuggestion
  /** Accepted rows: open or recent cases (or earlier rows) that may be the same matter. */
  duplicates?: DuplicateCandidate[]
}

/** The server's compact suggestion on a bulk row (`SuggestionBrief`). */
export interface BulkSuggestion {
  policeRelated: boolean
  policeProbability: number
  category: string | null
  categoryScore: number | null
  requestType: string | null
  requestTypeScore: number | null
  handlingUnits: { unitId: string; unitName: string; score: number }[]
  supervisingUnit: string | null
  supervisingUnitName: string | null
  modelVersion: number | null
}

export interface BulkResult {
  channel: string
  total: number
  accepted: number
  rejected: number
  rows: BulkRowResult[]
  notPoliceRelated: string[]
}

// ---- approvals (`approvals_queue`) --------------------------------------------------

/** A reply or an extension request that waits for this user's decision. */
export interface ApprovalItem {
  kind: 'reply' | 'extension'
  row: CaseRow
  /** The reply under review (kind = reply). */
  reply: Opinion | null
  /** The request (kind = extension). */
  extension: ExtensionRequest | null
  sensitive: boolean
  /** This sign-off concludes a 涉警投诉: approving needs a verdict (the domain asks for it). */
  asksVerdict: boolean
}
