// 审计日志 (admin): the log filtered by user, action, target and time, newest first in
// keyset pages (`GET /audit/search`), its Excel export through the passthrough's .xlsx
// door, and the hash-chain check (`GET /audit/verify`) as a status line.
import { computed, reactive, ref } from 'vue'
import { errorMessage } from '@/api'
import { isOffline, online, type AuditAction, type AuditEntry, type AuditQuery, type ChainReport } from '@/api/online'
import { useOnlineLoad } from '@/views/useOnlineLoad'
import { beijingDayStart, formatDateTime } from '@/format'
import type { LoadState } from '@/stores/analytics'

export const PAGE_SIZE = 50

export interface AuditFilters {
  user: string
  action: string
  target: string
  /** The calendar days picked (Beijing days on any machine): first and last, inclusive. */
  range: [Date, Date] | null
}

const DAY_MS = 24 * 3600 * 1000

/** The filters as the server takes them: instants in RFC 3339, the last day included. */
export function auditQuery(f: AuditFilters): Omit<AuditQuery, 'cursor' | 'limit'> {
  const [from, to] = f.range ?? [null, null]
  return {
    user: f.user.trim() || undefined,
    action: f.action || undefined,
    target: f.target.trim() || undefined,
    from: from ? beijingDayStart(from).toISOString() : undefined,
    to: to ? new Date(beijingDayStart(to).getTime() + DAY_MS).toISOString() : undefined,
  }
}

type Translate = (key: string, params?: Record<string, unknown>) => string
/** Whether a message key exists (vue-i18n's `te`). */
type Has = (key: string) => boolean

/** One line of a record's detail: the field's name and what became of it. */
export interface DetailLine {
  field: string
  text: string
}

function plain(v: unknown, t: Translate, te: Has, field: string): string {
  if (v === null || v === undefined || v === '') return t('admin.audit.none')
  if (typeof v === 'boolean') return field === 'active' ? t(v ? 'admin.audit.yes' : 'admin.audit.no') : String(v)
  if (field === 'role' && typeof v === 'string') return te(`role.${v}`) ? t(`role.${v}`) : v
  if (typeof v === 'object' && v !== null && 'name' in v) {
    const o = v as { name?: unknown; id?: unknown }
    return String(o.name ?? o.id ?? '')
  }
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

/** A field's name: the audit log's own, a weight's, else the key. */
function fieldName(k: string, t: Translate, te: Has): string {
  for (const key of [`admin.audit.field.${k}`, `admin.weights.${k}`]) if (te(key)) return t(key)
  return k
}

/**
 * A record's detail as lines: `{field: {before, after}}` (admin changes) as
 * "before → after", `{before: {...}, after: {...}}` (templates, weights) field by field
 * where they differ, a reset password as 已重置; anything else as it is.
 */
export function describeDetail(detail: string, t: Translate, te: Has): DetailLine[] {
  let v: unknown
  try {
    v = JSON.parse(detail)
  } catch {
    return detail ? [{ field: '', text: detail }] : []
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [{ field: '', text: detail }]
  const o = v as Record<string, unknown>
  const isPair = (x: unknown): x is { before: unknown; after: unknown } =>
    typeof x === 'object' && x !== null && 'before' in x && 'after' in x
  // Whole records before and after: the fields that differ.
  if (isPair(o) && Object.keys(o).length === 2) {
    const before = (o.before ?? {}) as Record<string, unknown>
    const after = (o.after ?? {}) as Record<string, unknown>
    if (typeof after === 'object') {
      const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after)])]
      return keys
        .filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after[k]))
        .map((k) => ({ field: fieldName(k, t, te), text: `${plain(before?.[k], t, te, k)} → ${plain(after[k], t, te, k)}` }))
    }
  }
  return Object.entries(o).map(([k, x]) => {
    if (isPair(x)) return { field: fieldName(k, t, te), text: `${plain(x.before, t, te, k)} → ${plain(x.after, t, te, k)}` }
    if (k === 'password' && x === 'reset') return { field: fieldName(k, t, te), text: t('admin.audit.reset') }
    return { field: fieldName(k, t, te), text: plain(x, t, te, k) }
  })
}

/** The export's file name: 审计日志 and the Beijing date and time. */
export function exportName(now: Date = new Date()): string {
  return `审计日志 ${formatDateTime(now).replace(/[-: ]/g, '').slice(0, 12)}`
}

export function useAuditLog() {
  const filters = reactive<AuditFilters>({ user: '', action: '', target: '', range: null })
  const rows = ref<AuditEntry[]>([])
  const next = ref<string | null>(null)
  const { state, error, failed, run } = useOnlineLoad()
  const loadingMore = ref(false)
  const actions = ref<AuditAction[]>([])
  const chain = ref<ChainReport | null>(null)
  const chainState = ref<LoadState>('idle')
  const chainError = ref('')
  const exporting = ref(false)

  async function load(): Promise<void> {
    await run(
      () => online.audit({ ...auditQuery(filters), limit: PAGE_SIZE }),
      (page) => {
        rows.value = page.items
        next.value = page.nextCursor
      },
      () => (rows.value = []),
    )
  }

  async function more(): Promise<void> {
    if (!next.value || loadingMore.value) return
    loadingMore.value = true
    try {
      const page = await online.audit({ ...auditQuery(filters), cursor: next.value, limit: PAGE_SIZE })
      rows.value = [...rows.value, ...page.items]
      next.value = page.nextCursor
    } catch (err: unknown) {
      failed(err)
    } finally {
      loadingMore.value = false
    }
  }

  async function loadActions(): Promise<void> {
    try {
      actions.value = await online.auditActions()
    } catch {
      actions.value = [] // the filter then takes a typed code
    }
  }

  async function verify(): Promise<void> {
    chainState.value = 'loading'
    try {
      chain.value = await online.verifyAudit()
      chainState.value = 'ready'
    } catch (err: unknown) {
      chain.value = null
      chainState.value = isOffline(err) ? 'offline' : 'error'
      chainError.value = errorMessage(err)
    }
  }

  /** Saves the filtered log as .xlsx; resolves to the saved file's path. */
  async function exportXlsx(): Promise<string> {
    exporting.value = true
    try {
      return await online.exportAudit(auditQuery(filters), exportName())
    } finally {
      exporting.value = false
    }
  }

  function resetFilters(): Promise<void> {
    Object.assign(filters, { user: '', action: '', target: '', range: null })
    return load()
  }

  /** The Chinese name of an action (the server's), else its code. */
  function actionName(e: AuditEntry): string {
    return e.actionName ?? actions.value.find((a) => a.code === e.action)?.name ?? e.action
  }

  const hasMore = computed(() => next.value !== null)
  const empty = computed(() => state.value === 'ready' && rows.value.length === 0)

  return {
    filters,
    rows,
    state,
    error,
    loadingMore,
    hasMore,
    empty,
    actions,
    chain,
    chainState,
    chainError,
    exporting,
    load,
    more,
    loadActions,
    verify,
    exportXlsx,
    resetFilters,
    actionName,
  }
}
