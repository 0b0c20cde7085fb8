// 责任倒查 (纪检督察, 市局领导): the records in offset pages (`GET /accountability`), one
// record with the trail from complaint to decision, and its steps (认定, 处理决定, 不予追责)
// from the version shown. Online only — the shell's passthrough keeps nothing on disk,
// so discipline records never sit in a desktop's offline cache. What the reader may do
// next (`allowedSteps`, `sanctions`) comes from the server, never restated here.
import { computed, ref } from 'vue'
import { ApiError, errorMessage } from '@/api'
import {
  online,
  type AccountabilityDetail,
  type AccountabilityRecord,
  type AccountabilityState,
  type AccountabilityStepInput,
  type Sanction,
} from '@/api/online'
import { useOnlineLoad } from '@/views/useOnlineLoad'

export const PAGE = 50

export type StepKind = 'establish' | 'decide' | 'dismiss'

/** The step form: every field of the three steps (only the chosen step's are sent). */
export interface StepForm {
  kind: StepKind | null
  officers: string[]
  finding: string
  sanction: Sanction | null
  note: string
  reason: string
}

/** What is missing from the form for its step (an i18n key of the field), or null. */
export function missing(f: StepForm): 'acc.pickOfficers' | 'acc.finding' | 'acc.sanction' | 'acc.note' | 'acc.reason' | null {
  switch (f.kind) {
    case 'establish':
      if (f.officers.length === 0) return 'acc.pickOfficers'
      return f.finding.trim() ? null : 'acc.finding'
    case 'decide':
      if (!f.sanction) return 'acc.sanction'
      return f.note.trim() ? null : 'acc.note'
    case 'dismiss':
      return f.reason.trim() ? null : 'acc.reason'
    default:
      return null
  }
}

/** The request body of the form's step (trimmed texts). */
export function stepOf(f: StepForm): AccountabilityStepInput | null {
  switch (f.kind) {
    case 'establish':
      return { type: 'establish', officers: [...f.officers], finding: f.finding.trim() }
    case 'decide':
      return f.sanction ? { type: 'decide', sanction: f.sanction, note: f.note.trim() } : null
    case 'dismiss':
      return { type: 'dismiss', reason: f.reason.trim() }
    default:
      return null
  }
}

/** A fresh form for a record: the step first offered, the officers already held
 *  responsible (or those the case proposes). */
export function formFor(d: AccountabilityDetail): StepForm {
  const kind = (d.allowedSteps[0] as StepKind | undefined) ?? null
  const officers = d.record.officers.length
    ? d.record.officers.map((o) => o.id)
    : d.officerOptions.filter((o) => o.proposed).map((o) => o.id)
  return { kind, officers, finding: d.record.finding ?? '', sanction: null, note: '', reason: '' }
}

export function useAccountability() {
  const rows = ref<AccountabilityRecord[]>([])
  const total = ref(0)
  const officerCounts = ref<{ name: string; decided: number }[]>([])
  const filterState = ref<AccountabilityState | ''>('')
  const text = ref('')
  const { state, error, run } = useOnlineLoad()
  const loadingMore = ref(false)

  const detail = ref<AccountabilityDetail | null>(null)
  const form = ref<StepForm | null>(null)
  const formError = ref('')
  const saving = ref(false)

  function query(offset: number) {
    return {
      state: filterState.value || undefined,
      q: text.value.trim() || undefined,
      offset,
      limit: PAGE,
    }
  }

  async function load(): Promise<void> {
    await run(
      () => online.accountabilityList(query(0)),
      (page) => {
        rows.value = page.items
        total.value = page.total
        officerCounts.value = page.officerCounts.map((c) => ({ name: c.officer.name, decided: c.decided }))
      },
      () => {
        rows.value = []
        total.value = 0
        officerCounts.value = []
      },
    )
  }

  const more = computed(() => rows.value.length < total.value)

  async function loadMore(): Promise<void> {
    loadingMore.value = true
    try {
      const page = await online.accountabilityList(query(rows.value.length))
      rows.value = [...rows.value, ...page.items]
      total.value = page.total
    } catch (err: unknown) {
      error.value = errorMessage(err)
    } finally {
      loadingMore.value = false
    }
  }

  function show(d: AccountabilityDetail): void {
    detail.value = d
    form.value = formFor(d)
    formError.value = ''
    const i = rows.value.findIndex((r) => r.id === d.record.id)
    if (i >= 0) rows.value.splice(i, 1, d.record)
  }

  /** Opens a record in the drawer. Throws a readable Error. */
  async function open(id: string): Promise<void> {
    try {
      show(await online.accountabilityRecord(id))
    } catch (err: unknown) {
      throw new Error(errorMessage(err))
    }
  }

  function close(): void {
    detail.value = null
    form.value = null
  }

  /** Sends the form's step; false with `formError` set when it is incomplete or refused.
   *  A record changed meanwhile is reloaded (`stale` true) and the form starts again. */
  async function submit(describeMissing: (key: string) => string): Promise<{ ok: boolean; stale: boolean }> {
    const d = detail.value
    const f = form.value
    if (!d || !f) return { ok: false, stale: false }
    const gap = missing(f)
    const step = stepOf(f)
    if (gap || !step) {
      formError.value = describeMissing(gap ?? 'acc.sanction')
      return { ok: false, stale: false }
    }
    saving.value = true
    formError.value = ''
    try {
      show(await online.accountabilityStep(d.record.id, step, d.record.version))
      return { ok: true, stale: false }
    } catch (err: unknown) {
      if (err instanceof ApiError && err.code === 'STALE_VERSION') {
        await open(d.record.id)
        return { ok: false, stale: true }
      }
      formError.value = errorMessage(err)
      return { ok: false, stale: false }
    } finally {
      saving.value = false
    }
  }

  const empty = computed(() => state.value === 'ready' && rows.value.length === 0)

  return {
    rows,
    total,
    officerCounts,
    filterState,
    text,
    state,
    error,
    more,
    loadingMore,
    detail,
    form,
    formError,
    saving,
    empty,
    load,
    loadMore,
    open,
    close,
    submit,
  }
}
