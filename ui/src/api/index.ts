// The only module that talks to the Rust side. Views and stores import from here.
import { invoke, type InvokeArgs } from '@tauri-apps/api/core'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import type {
  Action,
  AppInfo,
  ApprovalItem,
  BulkResult,
  CaseRowPage,
  CitizenView,
  CommandErrorBody,
  AssistDraft,
  FieldProblem,
  IntakeAssist,
  LastUser,
  LocalConfig,
  LocalCase,
  LocalCaseQuery,
  NewCase,
  OutboxCommand,
  Profile,
  Resolution,
  RoleCapabilities,
  ServerCasePage,
  ServerHealth,
  SessionInfo,
  SyncReport,
  SyncStatus,
  Unit,
  UserSummary,
  WorkListCounts,
} from './types'

export * from './types'

/** A command failure with the Rust error's stable `code`. */
export class ApiError extends Error {
  readonly code: string

  constructor(code: string, message: string) {
    super(message)
    this.name = 'ApiError'
    this.code = code
  }
}

function isErrorBody(value: unknown): value is CommandErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === 'string' &&
    typeof (value as Record<string, unknown>).message === 'string'
  )
}

/** The message of any failure, for toasts. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}

/** Invokes a Rust command; failures become `ApiError` (also for `api/attachments.ts`). */
export async function call<T>(command: string, args?: InvokeArgs, options?: { headers: Record<string, string> }): Promise<T> {
  try {
    return await invoke<T>(command, args, options)
  } catch (err: unknown) {
    if (isErrorBody(err)) throw new ApiError(err.code, err.message)
    // IPC-level failures (unknown command, bridge missing) arrive as plain strings.
    throw new ApiError('ipc', typeof err === 'string' ? err : String(err))
  }
}

/** Event the shell emits whenever the session's sync status changes. */
export const SYNC_STATUS_EVENT = 'sync-status'

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  serverHealth: () => call<ServerHealth>('server_health'),

  // session
  lastUser: () => call<LastUser | null>('auth_last_user'),
  login: (serverUrl: string, username: string, password: string) =>
    call<SessionInfo>('auth_login', { serverUrl, username, password }),
  /** Reopens the cached session once the password checks on this computer (offline too). */
  resume: (serverUrl: string, username: string, password: string) =>
    call<SessionInfo>('auth_resume', { serverUrl, username, password }),
  /** Locks the app after inactivity: every command answers LOCKED until unlocked. */
  lock: () => call<null>('auth_lock'),
  /** Unlocks with the sign-in password (checked on this computer); LOGIN_REQUIRED after too many tries. */
  unlock: (password: string) => call<null>('auth_unlock', { password }),
  currentSession: () => call<SessionInfo | null>('auth_current'),
  signOut: (force: boolean) => call<null>('auth_sign_out', { force }),

  /** Which role may reach what (the domain's one table; the UI never restates it). */
  roleCapabilities: () => call<RoleCapabilities[]>('role_capabilities'),

  // sync
  syncStatus: () => call<SyncStatus>('sync_status'),
  syncNow: () => call<SyncReport>('sync_now'),
  conflicts: () => call<OutboxCommand[]>('sync_conflicts'),
  resolveConflict: (command: string, how: Resolution) => call<null>('sync_resolve_conflict', { command, how }),

  // reads (local cache, offline)
  listCases: (query: LocalCaseQuery) => call<CaseRowPage>('cases_list', { query }),
  getCase: (id: string) => call<LocalCase>('case_get', { id }),
  worklistCounts: () => call<WorkListCounts>('worklist_counts'),
  units: () => call<Unit[]>('org_units'),
  unitUsers: (unit: string) => call<UserSummary[]>('org_unit_users', { unit }),
  /** The city's configuration held by the cache (category list, calendar years). */
  configLocal: () => call<LocalConfig>('config_local'),

  // writes (queued, applied optimistically)
  act: (id: string, action: Action) => call<LocalCase>('case_act', { id, action }),
  intake: (newCase: NewCase) => call<LocalCase>('case_intake', { newCase }),
  /** Form drafts, kept in the encrypted cache (never in plain local storage). */
  draftLoad: <T>(name: string) => call<T | null>('draft_load', { name }),
  draftSave: (name: string, value: unknown) => call<null>('draft_save', { name, value }),
  draftClear: (name: string) => call<null>('draft_clear', { name }),
  /** Every problem of the intake form, from the domain's rules (works offline). */
  intakeCheck: (newCase: NewCase) => call<FieldProblem[]>('intake_check', { newCase }),
  /** The domain's objections to an action on a case, by field (nothing is queued; offline too). */
  actionCheck: (id: string, action: Action) => call<FieldProblem[]>('case_action_check', { id, action }),

  approvals: () => call<ApprovalItem[]>('approvals_queue'),

  // settings
  closedWindowDays: () => call<number>('settings_closed_window'),
  setClosedWindowDays: (days: number) => call<null>('settings_set_closed_window', { days }),

  // desktop
  /** Resolves to false when the desktop has no notification service. */
  desktopNotify: (title: string, body: string) => call<boolean>('desktop_notify', { title, body }),

  // online only
  /** `idempotencyKey` names one batch of one import: sent again, the server answers the first result. */
  bulkImport: (channel: string, rows: Record<string, unknown>[], idempotencyKey?: string) =>
    call<BulkResult>('intake_bulk', { channel, rows, idempotencyKey }),
  /** Writes the bulk-import template into the downloads folder; resolves to its path. */
  saveImportTemplate: (content: string) => call<string>('intake_save_template', { content }),
  /** Suggestions, duplicate candidates and caller history for a draft (scoped by the server). */
  intakeAssist: (draft: AssistDraft) => call<IntakeAssist>('intake_assist', { draft }),
  /** A case as the server shows it (masked), for candidates outside the local cache. */
  caseRemote: (id: string) => call<Record<string, unknown>>('case_remote', { id }),
  /** Searches the user's whole scope on the server by text (cases this computer does not cache). */
  searchServer: (text: string, cursor: string | null) => call<ServerCasePage>('cases_search_server', { text, cursor }),
  /** Brings a case the server shows this user (and its timeline) into the cache; its local view. */
  fetchCase: (id: string) => call<LocalCase>('case_fetch', { id }),
  /** The citizen's full phone/ID card; the server writes an audit row (PIPL). */
  revealCitizen: (id: string) => call<CitizenView>('citizen_reveal', { id }),
  /** Changes the password, then signs in again with it (queued work is kept). */
  changePassword: (oldPassword: string, newPassword: string) =>
    call<SessionInfo>('auth_change_password', { oldPassword, newPassword }),
}

export type Api = typeof api

/** Subscribes to `sync-status` events; resolves to the function that unsubscribes. */
export function onSyncStatus(handler: (status: SyncStatus) => void): Promise<UnlistenFn> {
  return listen<SyncStatus>(SYNC_STATUS_EVENT, (event) => handler(event.payload))
}

export type { Profile }
