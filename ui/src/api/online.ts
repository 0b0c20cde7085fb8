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
  explain: string
}

export interface ScoreBoard {
  period: PeriodView
  previous: PeriodView
  level: BoardLevel
  source: 'facts' | 'timeline'
  asOf: string
  weights: Weights
  rows: ScoreRow[]
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

export interface AnalyticsView {
  by: Dimension
  from: string
  to: string
  total: number
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
  worklists: WorkListCounts
  redList: ScoreRow[]
  blackList: ScoreRow[]
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

export interface FollowUpStatsRow {
  group: string
  sent: number
  answered: number
  satisfied: number
  basicallySatisfied: number
  unsatisfied: number
  phoneTasks: number
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
  dashboard: () => get<Dashboard>('/dashboard'),
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
  /** Saves an .xlsx export to the download folder; resolves to the saved file's path. */
  download: (path: string, fileName: string) =>
    call<string>('online_download', { path: relativePath(path), fileName }),
}

export type OnlineApi = typeof online
