// Online-only reads of the city server (analytics, assessment, alerts, reports,
// notifications, 回访) through the shell's allowlisted passthrough. Offline every call
// fails with code OFFLINE; views show their offline state instead of the error.
import { invoke, type InvokeArgs } from '@tauri-apps/api/core'
import { ApiError, type WorkListCounts } from './index'

// ---------------------------------------------------------------- wire types (server DTOs)

export type PeriodKind = 'week' | 'month' | 'year'
export type BoardLevel = 'station' | 'branch' | 'officer'

export interface PeriodView {
  kind: PeriodKind
  start: string
  end: string
  label: string
  from: string
  to: string
}

/** Raw counts behind every assessment rate. */
export interface Counts {
  received: number
  signInDecided: number
  signInLate: number
  replyDecided: number
  replyLate: number
  returned: number
  answered: number
  rehandled: number
  satisfied: number
  overdue: number
  duplicates: number
}

/** Percentages with 2 decimals; null when the denominator is 0. */
export interface Rates {
  signInOnTime: number | null
  replyOnTime: number | null
  returnRate: number | null
  rehandleRate: number | null
  satisfaction: number | null
  duplicateShare: number | null
}

export interface Weights {
  signInOnTime: number
  replyOnTime: number
  satisfaction: number
  noReturn: number
  noRehandle: number
  deductPerOverdue: number
  deductPerReturn: number
  deductPerRehandle: number
  maxDeduction: number
  /** Decided replies a row needs in the period to be ranked (scoring rules). */
  minVolume: number
}

export interface ScoreRow {
  rank: number | null
  previousRank: number | null
  /** previousRank − rank: positive moved up; null when new on the board. */
  movement: number | null
  unitId: string
  unitName: string
  officerId: string | null
  officerName: string | null
  counts: Counts
  rates: Rates
  score: number | null
  /** Why the row has no rank (样本不足，不参与排名 …); null when ranked. */
  unranked: string | null
  explain: string
}

/** A row as the 红黑榜 publishes it. */
export interface BoardEntry {
  rank: number | null
  previousRank: number | null
  movement: number | null
  unitId: string
  unitName: string
  officerId: string | null
  officerName: string | null
  score: number | null
}

/** The 红黑榜 of a board, as the server computed it (never recomputed here). */
export interface RedBlack {
  period: PeriodView
  /** The period contains today: titles say 本周/本月/本年. */
  current: boolean
  level: BoardLevel
  minVolume: number
  /** Best first. */
  red: BoardEntry[]
  /** Worst first. */
  black: BoardEntry[]
}

/** The caller's figures for a period: the sum of the board rows they may see. */
export interface Totals {
  counts: Counts
  rates: Rates
}

/** The 红黑榜 of the current week and month, published to every role. */
export interface Bulletin {
  week: RedBlack
  month: RedBlack
}

/** The 回访 queue: open = phoneTasks + awaiting. */
export interface FollowUpQueue {
  open: number
  phoneTasks: number
  awaiting: number
  overdue: number
}

export interface ScoreBoard {
  period: PeriodView
  previous: PeriodView
  level: BoardLevel
  source: 'facts' | 'timeline'
  asOf: string
  weights: Weights
  rows: ScoreRow[]
  totals: Totals
  lists: RedBlack
}

export type Metric =
  | 'received'
  | 'signInOnTime'
  | 'signInLate'
  | 'replyOnTime'
  | 'replyLate'
  | 'returned'
  | 'answered'
  | 'rehandled'
  | 'satisfied'
  | 'unsatisfied'
  | 'overdue'
  | 'duplicates'

export interface Stint {
  caseId: string
  n: number
  unitId: string
  officerId: string | null
  dispatchedAt: string
  signInDeadline: string
  signedInAt: string | null
  replyDeadline: string
  completedAt: string | null
  endedAt: string | null
  returned: boolean
  firstSatisfied: boolean | null
  finalSatisfied: boolean | null
}

export interface ExplainItem {
  caseId: string
  number: string | null
  title: string
  stint: Stint | null
  counts: Counts | null
}

export interface Explanation {
  period: PeriodView
  metric: Metric
  asOf: string
  total: number
  items: ExplainItem[]
}

export type Dimension =
  | 'category'
  | 'policeLine'
  | 'district'
  | 'unit'
  | 'branch'
  | 'channel'
  | 'requestType'
  | 'day'
  | 'week'
  | 'month'
  | 'hour'
  | 'state'

export interface Drill {
  path: string
  query: Record<string, string>
}

export interface Bucket {
  key: string | null
  label: string
  count: number
  closed: number
  answered: number
  unsatisfied: number
  satisfaction: number | null
  duplicates: number
  cases: Drill | null
  exact: Drill
}

/** Sums over every case of an analytics query (with or without a value). */
export interface AnalyticsTotals {
  count: number
  closed: number
  answered: number
  unsatisfied: number
  satisfaction: number | null
  duplicates: number
}

export interface AnalyticsView {
  by: Dimension
  from: string
  to: string
  total: number
  totals: AnalyticsTotals
  /** Cases with no value for the dimension (never a bucket). */
  missing: number
  buckets: Bucket[]
}

export interface DrillCase {
  id: string
  number: string | null
  title: string
  state: string
  stateName: string
  category: string | null
  district: string | null
  handlingUnit: string | null
  receivedAt: string
}

export interface AlertRecord {
  id: string
  kind: 'volume' | 'dissatisfaction' | string
  areaKind: 'district' | 'unit' | string
  area: string
  areaName: string
  category: string
  week: string
  observed: number
  baseline: number
  statistic: number
  message: string
  raisedAt: string
  units: string[]
}

export interface ReportBrief {
  id: string
  kind: 'week' | 'month' | string
  periodStart: string
  title: string
  generatedAt: string
  generatedBy: string
  export: string
}

export interface Dashboard {
  period: PeriodView
  current: boolean
  /** 民生清单 now (not of the period), as `GET /worklists`. */
  worklists: WorkListCounts
  /** The period's assessment figures in scope; null for roles without assessment. */
  totals: Totals | null
  /** The period's station 红黑榜. */
  lists: RedBlack
  latestReports: ReportBrief[]
  alerts: AlertRecord[]
}

export interface StaffNotification {
  id: string
  userId: string
  kind: string
  caseId: string | null
  title: string
  body: string
  createdAt: string
  readAt: string | null
}

export interface NotificationList {
  items: StaffNotification[]
  unread: number
}

export interface MarkReadResult {
  updated: number
  unread: number
}

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
] as const
export type NotifyKind = (typeof NOTIFY_KINDS)[number]

/** The caller's notification preferences: staff notifications also by SMS, for which kinds. */
export interface NotifyPrefs {
  sms: boolean
  /** Kinds sent by SMS; empty means every kind. */
  smsKinds: string[]
}

export type FollowUpStatus = 'awaiting' | 'phoneTask' | 'answered' | 'superseded'

export interface FollowUpRecord {
  id: string
  eventKey: string
  caseId: string | null
  level: string | null
  round: number
  serviceEventId: string | null
  service: string | null
  phone: string | null
  status: FollowUpStatus
  createdAt: string
  dueAt: string
  answeredAt: string | null
  satisfaction: 'satisfied' | 'basicallySatisfied' | 'unsatisfied' | null
  answerText: string | null
}

/** One round's full number (`GET /followups/{id}/phone`; the server audits every call). */
export interface FollowUpPhone {
  id: string
  caseId: string | null
  caseNumber: string | null
  serviceEventId: string | null
  status: FollowUpStatus
  phone: string
}

/** A citizen's answer given on the phone to a window-service round. */
export interface PhoneAnswer {
  satisfaction: 'satisfied' | 'basicallySatisfied' | 'unsatisfied'
  note: string | null
}

export interface FollowUpStatsRow {
  group: string
  sent: number
  answered: number
  satisfied: number
  basicallySatisfied: number
  unsatisfied: number
  phoneTasks: number
}

/** A standard reply of the knowledge base (知识库 / 规范答复口径). */
export interface StandardReply {
  id: string
  category: string
  title: string
  body: string
  version: number
  reviewedAt: string | null
  updatedBy: string | null
  updatedAt: string
  retired: boolean
}

export interface KnowledgeQuery {
  /** Exact category; every category when empty. */
  category?: string
  /** Text anywhere in the title or body. */
  q?: string
  /** Also list retired replies (maintenance screen). */
  includeRetired?: boolean
}

/** A new standard reply (`POST /knowledge`). */
export interface NewStandardReply {
  category: string
  title: string
  body: string
}

/** An edit of a standard reply (`PUT /knowledge/{id}`); 409 STALE_VERSION when stale. */
export interface StandardReplyUpdate {
  expectedVersion: number
  category?: string
  title: string
  body: string
}

/** How often clerks kept a suggestion at dispatch (rates 0..1; null without dispatches). */
export interface MatchRates {
  dispatches: number
  categoryMatched: number
  unitMatched: number
  requestTypeMatched: number
  categoryRate: number | null
  unitRate: number | null
  requestTypeRate: number | null
}

/** `GET /intelligence/accuracy`: overall and over the last 30 days. */
export interface AccuracyReport {
  modelLoaded: boolean
  modelVersion: number | null
  overall: MatchRates
  last30Days: MatchRates
}

// ---------------------------------------------------------------- calls

/** True when a failure means "no link to the city server" (or no session to use it). */
export function isOffline(err: unknown): boolean {
  return err instanceof ApiError && ['OFFLINE', 'NOT_SIGNED_IN', 'LOGIN_REQUIRED', 'AUTH_EXPIRED'].includes(err.code)
}

async function call<T>(command: string, args: InvokeArgs): Promise<T> {
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
  /** How often clerks kept the suggested category / unit / request type at dispatch. */
  accuracy: () => get<AccuracyReport>('/intelligence/accuracy'),
  /** Saves an .xlsx export to the download folder; resolves to the saved file's path. */
  download: (path: string, fileName: string) =>
    call<string>('online_download', { path: relativePath(path), fileName }),
}

export type OnlineApi = typeof online
