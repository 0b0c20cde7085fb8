// Online-only reads of the city server (analytics, assessment, alerts, reports,
// notifications, 回访) through the shell's allowlisted passthrough. Offline every call
// fails with code OFFLINE; views show their offline state instead of the error.
import { invoke, type InvokeArgs } from '@tauri-apps/api/core'
import { ApiError } from './index'
import type { Unit } from './types'
import type { components } from './openapi'

// ---------------------------------------------------------------- wire types (server DTOs)
// Generated from the server's OpenAPI document (`openapi.d.ts`, `npm run gen:api`), not
// mirrored by hand: a schema change on the server changes these types.

/** An answer as the server writes it. serde writes every `Option` field (as `null`), so no
 *  key of these schemas is ever missing, though the document marks the nullable ones
 *  optional: `Wire` makes every key present, recursively. */
export type Wire<T> = T extends readonly (infer U)[]
  ? Wire<U>[]
  : T extends object
    ? { [K in keyof T]-?: Wire<Exclude<T[K], undefined>> }
    : T
type Schema<K extends keyof components['schemas']> = Wire<components['schemas'][K]>
/** A request body as the document describes it (optional fields stay optional). */
type Body<K extends keyof components['schemas']> = components['schemas'][K]

export type PeriodKind = Schema<'PeriodKind'>
export type BoardLevel = Schema<'Level'>
export type PeriodView = Schema<'PeriodView'>
/** Raw counts behind every assessment rate. */
export type Counts = Schema<'Counts'>
/** Percentages with 2 decimals; null when the denominator is 0. */
export type Rates = Schema<'Rates'>
export type Weights = Schema<'Weights'>
export type ScoreRow = Schema<'ScoreRow'>
/** A row as the 红黑榜 publishes it. */
export type BoardEntry = Schema<'BoardEntry'>
/** The 红黑榜 of a board, as the server computed it (never recomputed here). */
export type RedBlack = Schema<'RedBlack'>
/** The caller's figures for a period: the sum of the board rows they may see. */
export type Totals = Schema<'Totals'>
/** The 红黑榜 of the current week and month, published to every role. */
export type Bulletin = Schema<'Bulletin'>
/** The 回访 queue: open = phoneTasks + awaiting. */
export type FollowUpQueue = Schema<'FollowUpQueue'>
export type ScoreBoard = Schema<'ScoreBoard'>
export type Metric = Schema<'Metric'>
export type Stint = Schema<'Stint'>
export type ExplainItem = Schema<'ExplainItem'>
export type Explanation = Schema<'Explanation'>
export type Dimension = Schema<'Dimension'>
export type Drill = Schema<'Drill'>
export type Bucket = Schema<'Bucket'>
/** Sums over every case of an analytics query (with or without a value). */
export type AnalyticsTotals = Schema<'AnalyticsTotals'>
export type AnalyticsView = Schema<'AnalyticsView'>
export type DrillCase = Schema<'DrillCase'>
export type AlertRecord = Schema<'AlertRecord'>
export type ReportBrief = Schema<'ReportBrief'>
export type Dashboard = Schema<'Dashboard'>
export type StaffNotification = Schema<'StaffNotification'>
export type NotificationList = Schema<'NotificationList'>
// 责任倒查 (纪检督察, 市局领导; online only: discipline records never sit in a desktop's cache)
export type AccountabilityRecord = Schema<'AccountabilityRecord'>
export type AccountabilityState = Schema<'AccountabilityState'>
export type AccountabilityList = Schema<'AccountabilityList'>
export type AccountabilityDetail = Schema<'AccountabilityDetail'>
export type TrailItem = Schema<'TrailItem'>
export type Sanction = Schema<'Sanction'>
export type AccountabilityStepInput = Body<'StepInput'>
export interface AccountabilityQuery {
  state?: AccountabilityState
  unit?: string
  q?: string
  offset?: number
  limit?: number
}
export type MarkReadResult = Schema<'MarkReadResult'>

/** Kinds of staff notification (server `notify.rs` KINDS), in the order the settings list them. */
export const NOTIFY_KINDS = [
  'dispatch',
  'assign',
  'approval',
  'urge',
  'sendBack',
  'signInReminder',
  'overdue',
  'followUpTask',
  'phoneFollowUp',
  'freeTextReply',
] as const satisfies readonly NotifyKind[]
/** A kind the server accepts in `smsKinds` (its document's enum). */
export type NotifyKind = NotifyPrefs['smsKinds'][number]

/** The caller's notification preferences: staff notifications also by SMS, for which kinds. */
export type NotifyPrefs = Schema<'NotifyPrefs'>

export type FollowUpStatus = Schema<'FollowUpStatus'>
export type FollowUpRecord = Schema<'FollowUpRecord'>
/** One round's full number (`GET /followups/{id}/phone`; the server audits every call). */
export type FollowUpPhone = Schema<'FollowUpPhone'>
/** A citizen's answer given on the phone to a window-service round. */
export type PhoneAnswer = Body<'PhoneAnswer'>
export type FollowUpStatsRow = Schema<'FollowUpStatsRow'>

/** A standard reply of the knowledge base (知识库 / 规范答复口径). */
export type StandardReply = Schema<'StandardReply'>

export interface KnowledgeQuery {
  /** Exact category; every category when empty. */
  category?: string
  /** Text anywhere in the title or body. */
  q?: string
  /** Also list retired replies (maintenance screen). */
  includeRetired?: boolean
}

/** A new standard reply (`POST /knowledge`). */
export type NewStandardReply = Body<'NewStandardReply'>
/** An edit of a standard reply (`PUT /knowledge/{id}`); 409 STALE_VERSION when stale. */
export type StandardReplyUpdate = Body<'StandardReplyUpdate'>

/** How often clerks kept a suggestion at dispatch (rates 0..1; null without dispatches). */
export type MatchRates = Schema<'MatchRates'>
/** `GET /intelligence/accuracy`: overall, over the last 30 days and per Beijing week. */
export type AccuracyReport = Schema<'AccuracyReport'>
/** One week of `AccuracyReport.weekly` (its Monday and its rates). */
export type WeekRates = Schema<'WeekRates'>
/** `GET /intelligence/model`: the current model, the versions kept, the last retrain (admin). */
export type ModelStatus = Schema<'ModelStatus'>
/** One model version with its k-fold macro-F1 per task. */
export type ModelVersionView = Schema<'ModelVersionView'>
/** What one retrain did (`installed`, `rejected` or `skipped`, with a Chinese message). */
export type RetrainReport = Schema<'RetrainReport'>

// 系统管理 (admin console; the server refuses every other role with 403)
/** An account as the admin's directory shows it. */
export type Account = Schema<'AccountView'>
export type AccountPage = Schema<'AccountPage'>
/** `POST /users`: a new account (must change its password at the first sign-in). */
export type NewAccount = Body<'NewUser'>
/** `PUT /users/{id}`: name, role and unit. */
export type AccountEdit = Body<'AccountEdit'>
export interface AccountQuery {
  unit?: string
  role?: string
  /** Part of the username or display name. */
  q?: string
  active?: boolean
  cursor?: string
  limit?: number
}
export type AuditEntry = Schema<'AuditEntry'>
export type AuditEntryPage = Schema<'AuditEntryPage'>
export type AuditAction = Schema<'AuditAction'>
/** `GET /audit/verify`: the audit log's hash chain. */
export type ChainReport = Schema<'ChainReport'>
export interface AuditQuery {
  /** Username or user id. */
  user?: string
  action?: string
  /** Part of the target. */
  target?: string
  /** RFC 3339 instants. */
  from?: string
  to?: string
  cursor?: string
  limit?: number
}
export type SmsTemplate = Schema<'SmsTemplate'>
export type TemplateEdit = Body<'TemplateEdit'>
/** A draft rendered on the sample case, with the placeholders the template may use. */
export type TemplatePreview = Schema<'TemplatePreview'>
export type OutboxMessage = Schema<'OutboxMessage'>
export type OutboxStatus = Schema<'OutboxStatus'>

/** The city's configuration (`GET /config`): holiday calendar per year, SLA rule editions. */
export type ConfigView = Schema<'ConfigView'>
/** One year's holidays and 调休 make-up working days (dates `YYYY-MM-DD`). */
export type HolidayYear = Body<'HolidayYear'>
/** SLA rules as sent to `PUT /config/sla` (working hours / days per urgency and type). */
export type SlaRules = Body<'SlaRules'>
export type SlaVersion = Schema<'SlaVersion'>
export type CalendarWarning = Schema<'CalendarWarning'>
/** Add, retire (or bring back) or rename a category (`POST /config/categories`). */
export type CategoryChange = Body<'CategoryChangeBody'>
/** `POST /units`: a new unit below an existing one. */
export type NewUnit = Body<'NewUnit'>
/** `PATCH /units/{id}`: only the fields to change. */
export type UnitEdit = Body<'UnitEdit'>
export type UnitChanged = Schema<'UnitChanged'>

// ---------------------------------------------------------------- calls

/** True when a failure means "no link to the city server" (or no session to use it). */
export function isOffline(err: unknown): boolean {
  return err instanceof ApiError && ['OFFLINE', 'NOT_SIGNED_IN', 'LOGIN_REQUIRED', 'AUTH_EXPIRED'].includes(err.code)
}

export async function call<T>(command: string, args: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args)
  } catch (err: unknown) {
    const e = err as { code?: unknown; message?: unknown } | string
    if (typeof e === 'object' && e !== null && typeof e.code === 'string' && typeof e.message === 'string') {
      throw new ApiError(e.code, e.message)
    }
    throw new ApiError('ipc', String(err))
  }
}

type Query = Record<string, string | number | boolean | null | undefined>

/** `path?query` with empty values left out; values URL-encoded (Chinese labels). */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === null || v === undefined || v === '') continue
    params.append(k, String(v))
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

/** The server's own links are absolute (`/api/v1/...`); the passthrough wants them relative. */
export function relativePath(apiPath: string): string {
  return apiPath.startsWith('/api/v1/') ? apiPath.slice('/api/v1'.length) : apiPath
}

const get = <T>(path: string, query?: Query) => call<T>('online_get', { path: withQuery(path, query) })
const post = <T>(path: string, body: unknown) => call<T>('online_post', { path, body })
const put = <T>(path: string, body: unknown) => call<T>('online_put', { path, body })
const del = <T>(path: string) => call<T>('online_delete', { path })

export interface PeriodQuery {
  period: PeriodKind
  /** Any day in the period, YYYY-MM-DD; default today. */
  date?: string
}

export interface AnalyticsFilter {
  category?: string
  channel?: string
  requestType?: string
  district?: string
  policeLine?: string
  unit?: string
  hour?: number
  state?: string
}

export const online = {
  dashboard: (q?: PeriodQuery) => get<Dashboard>('/dashboard', { ...q }),
  /** The 红黑榜 of the current week and month (every role). */
  bulletin: () => get<Bulletin>('/assessment/bulletin'),
  scores: (q: PeriodQuery & { level: BoardLevel }) => get<ScoreBoard>('/assessment/scores', { ...q }),
  explain: (q: PeriodQuery & { unit?: string; officer?: string; metric: Metric }) =>
    get<Explanation>('/assessment/explain', { ...q }),
  weights: () => get<Weights>('/assessment/weights'),
  analytics: (q: PeriodQuery & { by: Dimension } & AnalyticsFilter) => get<AnalyticsView>('/analytics', { ...q }),
  /** The cases of a bucket: `query` is the bucket's `exact.query`. */
  drillCases: (query: Record<string, string>, limit = 200) =>
    get<DrillCase[]>('/analytics/cases', { ...query, limit }),
  alerts: () => get<AlertRecord[]>('/alerts'),
  reports: (kind?: 'week' | 'month', limit = 20) => get<ReportBrief[]>('/reports', { kind, limit }),
  createReport: (kind: 'week' | 'month', date?: string) => post<unknown>('/reports', { kind, date }),
  notifications: (unreadOnly = false, limit = 50) =>
    get<NotificationList>('/notifications', { unreadOnly: unreadOnly || undefined, limit }),
  markRead: (ids: string[]) => post<MarkReadResult>('/notifications/read', { ids }),
  markAllRead: () => post<MarkReadResult>('/notifications/read', { all: true }),
  notificationPrefs: () => get<NotifyPrefs>('/notifications/preferences'),
  saveNotificationPrefs: (prefs: NotifyPrefs) => put<NotifyPrefs>('/notifications/preferences', prefs),
  followups: (q: { status?: FollowUpStatus; caseId?: string; limit?: number } = {}) =>
    get<FollowUpRecord[]>('/followups', { ...q }),
  followupStats: () => get<FollowUpStatsRow[]>('/followups/stats'),
  /** Counts of the 回访 queue (follow-up agents and city roles). */
  followupQueue: () => get<FollowUpQueue>('/followups/queue'),
  /** One round's full number, to phone the citizen; every call writes an audit row (PIPL). */
  followupPhone: (id: string) => get<FollowUpPhone>(`/followups/${encodeURIComponent(id)}/phone`),
  /** Records a window-service round's answer given on the phone (once; 409 after). */
  answerFollowUp: (id: string, answer: PhoneAnswer) =>
    post<FollowUpRecord>(`/followups/${encodeURIComponent(id)}/answer`, answer),
  /** Standard replies (not retired) for the reply composer; every signed-in role. */
  standardReplies: (q: KnowledgeQuery = {}) => get<StandardReply[]>('/knowledge', { ...q }),
  /** Adds a standard reply (admin, clerk). */
  createStandardReply: (r: NewStandardReply) => post<StandardReply>('/knowledge', r),
  /** Edits a standard reply from `expectedVersion`; 409 STALE_VERSION when someone saved first. */
  updateStandardReply: (id: string, u: StandardReplyUpdate) =>
    put<StandardReply>(`/knowledge/${encodeURIComponent(id)}`, u),
  /** Marks a standard reply as reviewed now (text and version stay). */
  reviewStandardReply: (id: string) => post<StandardReply>(`/knowledge/${encodeURIComponent(id)}/review`, {}),
  /** Retires a standard reply (hidden from the composer, kept with its versions). */
  retireStandardReply: (id: string) => del<StandardReply>(`/knowledge/${encodeURIComponent(id)}`),
  /** Holiday calendar, SLA rule editions and the missing-calendar warning (every role). */
  config: () => get<ConfigView>('/config'),
  /** A new edition of the SLA rules, for cases dispatched from now (admin). */
  putSla: (rules: SlaRules) => put<SlaVersion>('/config/sla', rules),
  /** The org tree as the server holds it now (the admin's screen; forms use the cache). */
  units: () => get<Unit[]>('/units'),
  createUnit: (u: NewUnit) => post<Unit>('/units', u),
  /** Changes a unit; a move re-scopes its cases (`rescopedCases`). */
  updateUnit: (id: string, e: UnitEdit) => call<UnitChanged>('online_patch', { path: `/units/${encodeURIComponent(id)}`, body: e }),
  /** Changes the city's category list; names are never removed (admin). */
  changeCategory: (change: CategoryChange) => post<ConfigView>('/config/categories', change),
  /** Adds or replaces one year's holiday calendar (admin). */
  putHolidayYear: (year: number, body: HolidayYear) => put<ConfigView>(`/config/calendar/${year}`, body),
  /** How often clerks kept the suggested category / unit / request type at dispatch. */
  accuracy: () => get<AccuracyReport>('/intelligence/accuracy'),
  /** The suggestion model's versions and last retrain (admin). */
  modelStatus: () => get<ModelStatus>('/intelligence/model'),
  /** Retrains now from the base set plus the clerks' history; installed unless worse (admin). */
  retrainModel: () => post<RetrainReport>('/intelligence/model/retrain', {}),
  /** Makes a kept version current again on every instance (admin). */
  rollbackModel: (version: number) => post<ModelStatus>('/intelligence/model/rollback', { version }),
  // ---- 系统管理 (admin)
  accounts: (q: AccountQuery = {}) => get<AccountPage>('/users/search', { ...q }),
  createAccount: (a: NewAccount) => post<unknown>('/users', a),
  editAccount: (id: string, e: AccountEdit) => put<Account>(`/users/${encodeURIComponent(id)}`, e),
  setAccountActive: (id: string, active: boolean) =>
    put<Account>(`/users/${encodeURIComponent(id)}/active`, { active }),
  /** A password the admin chose; the user must change it at the next sign-in. */
  resetPassword: (id: string, password: string) =>
    post<Account>(`/users/${encodeURIComponent(id)}/password`, { password }),
  audit: (q: AuditQuery = {}) => get<AuditEntryPage>('/audit/search', { ...q }),
  auditActions: () => get<AuditAction[]>('/audit/actions'),
  verifyAudit: () => get<ChainReport>('/audit/verify'),
  /** The filtered audit log as .xlsx in the download folder (the export is audited). */
  exportAudit: (q: Omit<AuditQuery, 'cursor' | 'limit'>, fileName: string) =>
    call<string>('online_download', { path: withQuery('/audit/export.xlsx', { ...q }), fileName }),
  saveWeights: (w: Weights) => put<Weights>('/assessment/weights', w),
  smsTemplates: () => get<SmsTemplate[]>('/sms/templates'),
  saveSmsTemplate: (code: string, e: TemplateEdit) =>
    put<SmsTemplate>(`/sms/templates/${encodeURIComponent(code)}`, e),
  previewSmsTemplate: (code: string, body: string) =>
    post<TemplatePreview>(`/sms/templates/${encodeURIComponent(code)}/preview`, { body }),
  outbox: (status: OutboxStatus, limit = 1000) => get<OutboxMessage[]>('/sms/outbox', { status, limit }),
  retrySms: (id: string) => post<{ id: string; status: string }>(`/sms/outbox/${encodeURIComponent(id)}/retry`, {}),
  discardSms: (id: string, reason: string) =>
    post<OutboxMessage>(`/sms/outbox/${encodeURIComponent(id)}/discard`, { reason }),
  // ---- 责任倒查 (the server refuses every role but 纪检督察 and 市局领导)
  accountabilityList: (q: AccountabilityQuery = {}) => get<AccountabilityList>('/accountability', { ...q }),
  accountabilityRecord: (id: string) => get<AccountabilityDetail>(`/accountability/${encodeURIComponent(id)}`),
  /** 认定 / 处理决定 / 不予追责 from `version`; 409 STALE_VERSION when someone acted first. */
  accountabilityStep: (id: string, step: AccountabilityStepInput, version: number) =>
    post<AccountabilityDetail>(`/accountability/${encodeURIComponent(id)}/steps`, { step, version }),
  /** Saves an .xlsx export to the download folder; resolves to the saved file's path. */
  download: (path: string, fileName: string) =>
    call<string>('online_download', { path: relativePath(path), fileName }),
}

export type OnlineApi = typeof online
