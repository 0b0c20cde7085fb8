// 电话回访: the 回访员's call screen works through the due phone follow-ups one at a time.
// What may be recorded comes from Rust: a case's answer is the queued `followUpAnswer`
// action (channel phone, works offline) when LocalCase.allowedActions offers it; a
// window-service round's answer goes to the server (`POST /followups/{id}/answer`), which
// refuses a second one. The revealed number lives in this screen's memory only (PIPL):
// one server call (one audit row) per click, dropped when the next case is shown.
import { ElMessage } from 'element-plus'
import { computed, onBeforeUnmount, ref, shallowRef, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { api, ApiError, errorMessage, type Satisfaction } from '@/api'
import { isOffline, online, type FollowUpRecord } from '@/api/online'
import { formatDateTime } from '@/format'
import type { LoadState } from '@/stores/analytics'

export const SATISFACTIONS: readonly Satisfaction[] = ['satisfied', 'basicallySatisfied', 'unsatisfied']
/** SPEC §6's standard questions (the server keeps no question templates). */
export const QUESTIONS = ['result', 'attitude', 'other'] as const
/** The day's tally, kept in the encrypted cache (round ids and answers, no numbers). */
export const TALLY_DRAFT = 'followup.callTally'
/** Case numbers and titles looked up for the queue list (local cache reads). */
const TITLES_LOOKED_UP = 300

/** The call order: phone tasks first, then rounds still awaiting an SMS answer, oldest due first. */
export function callOrder(rows: FollowUpRecord[]): FollowUpRecord[] {
  return rows
    .filter((r) => r.status === 'phoneTask' || r.status === 'awaiting')
    .sort((a, b) => Number(b.status === 'phoneTask') - Number(a.status === 'phoneTask') || a.dueAt.localeCompare(b.dueAt))
}

/** What the agent reads out about a case, and whether this device may record its answer. */
export interface CaseBrief {
  number: string | null
  title: string
  /** The citizen's name as the server shows it (to greet them). */
  citizenName: string | null
  reply: string | null
  stateName: string | null
  /** LocalCase.allowedActions offers `followUpAnswer`; null when the case is not on this device. */
  canAnswer: boolean | null
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)

/** The server's view of the case (its reply), with the local case for what may be done. */
export async function caseBrief(caseId: string): Promise<CaseBrief> {
  const [remote, local] = await Promise.allSettled([api.caseRemote(caseId), api.getCase(caseId)])
  const r = remote.status === 'fulfilled' ? remote.value : null
  const l = local.status === 'fulfilled' ? local.value : null
  if (!r && !l) throw remote.status === 'rejected' ? remote.reason : new Error(caseId)
  const reply = r?.reply as { text?: unknown } | null | undefined
  const citizen = r?.citizen as { name?: unknown } | null | undefined
  return {
    number: str(r?.number) ?? l?.case.number ?? null,
    title: str(r?.title) ?? l?.case.title ?? '',
    citizenName: str(citizen?.name) ?? l?.citizen.name ?? null,
    reply: (r ? str(reply?.text) : null) ?? l?.case.reply?.text ?? null,
    stateName: str(r?.stateName),
    canAnswer: l ? l.allowedActions.includes('followUpAnswer') : null,
  }
}

/** How a recorded answer ended. */
export interface Outcome {
  satisfaction: Satisfaction
  /** Kept in this device's outbox until the next sync (case rounds). */
  queued: boolean
  /** The round as the server now shows it (window-service rounds). */
  record: FollowUpRecord | null
}

/** Records the citizen's answer given on the phone to one round. */
export async function recordAnswer(round: FollowUpRecord, satisfaction: Satisfaction, note: string): Promise<Outcome> {
  const text = note.trim() || null
  if (round.caseId) {
    const c = await api.act(round.caseId, { type: 'followUpAnswer', satisfaction, channel: 'phone', note: text })
    return { satisfaction, queued: c.pending.length > 0, record: null }
  }
  const record = await online.answerFollowUp(round.id, { satisfaction, note: text })
  return { satisfaction, queued: false, record }
}

/** 显示号码: one request (one audit row) per click; the number is kept until `hide`. */
export function useRoundPhone() {
  const phone = ref<string | null>(null)
  const revealing = ref(false)

  function hide(): void {
    phone.value = null
  }

  async function reveal(roundId: string, stillCurrent: () => boolean = () => true): Promise<void> {
    if (revealing.value) return
    revealing.value = true
    try {
      const p = await online.followupPhone(roundId)
      if (stillCurrent()) phone.value = p.phone
    } catch (err: unknown) {
      ElMessage.error(errorMessage(err))
    } finally {
      revealing.value = false
    }
  }

  onBeforeUnmount(hide)
  return { phone, revealing, reveal, hide }
}

/** 记录回访 on the 回访工作台: the round in the dialog and the answers recorded there. */
export function useRecordedAnswers(rows: Ref<FollowUpRecord[]>) {
  const { t } = useI18n()
  const active = ref<FollowUpRecord | null>(null)
  /** The outcome, or 'taken' when the server already had an answer. */
  const recorded = ref<Record<string, Outcome | 'taken'>>({})

  /** The round waits for an answer (and none was recorded here). */
  function open(r: FollowUpRecord): boolean {
    return (r.status === 'phoneTask' || r.status === 'awaiting') && !recorded.value[r.id]
  }
  function saved(r: FollowUpRecord, outcome: Outcome): void {
    recorded.value[r.id] = outcome
    const record = outcome.record
    if (record) rows.value = rows.value.map((x) => (x.id === r.id ? record : x))
    active.value = null
  }
  function taken(r: FollowUpRecord): void {
    recorded.value[r.id] = 'taken'
    active.value = null
  }
  /** What was recorded, as the row shows it. */
  function savedText(r: FollowUpRecord): string {
    const o = recorded.value[r.id]
    if (!o || o === 'taken') return t('followup.taken')
    const text = t('followup.result', { result: t(`option.${o.satisfaction}`) })
    return o.queued ? `${text}（${t('followup.queued')}）` : text
  }
  return { active, recorded, open, saved, taken, savedText }
}

export interface CallRow {
  round: FollowUpRecord
  outcome: Outcome | null
  /** The server says the round already has its answer (its message). */
  taken: string | null
}

interface Tally {
  day: string
  done: { id: string; satisfaction: Satisfaction }[]
}

const today = (): string => formatDateTime(new Date()).slice(0, 10)

export function useCallScreen() {
  const { t, te } = useI18n()
  const state = ref<LoadState>('idle')
  const error = ref('')
  const rows = ref<CallRow[]>([])
  const titles = ref<Record<string, { number: string | null; title: string }>>({})
  const currentId = ref<string | null>(null)
  const brief = shallowRef<CaseBrief | null>(null)
  const briefError = ref('')
  const briefLoading = ref(false)
  const satisfaction = ref<Satisfaction | null>(null)
  const note = ref('')
  const asked = ref<Record<string, boolean>>({})
  const saving = ref(false)
  const tally = ref<Tally>({ day: today(), done: [] })
  const { phone, revealing, reveal: revealRound, hide } = useRoundPhone()

  const current = computed(() => rows.value.find((r) => r.round.id === currentId.value) ?? null)
  const open = (r: CallRow): boolean => !r.outcome && !r.taken
  const left = computed(() => rows.value.filter(open).length)
  const doneToday = computed(() => (tally.value.day === today() ? tally.value.done.length : 0))
  /** The answer may be saved: a window-service round always (the server decides), a case per Rust. */
  const canSave = computed(() => {
    const c = current.value
    if (!c || !open(c) || saving.value) return false
    return c.round.caseId ? brief.value?.canAnswer === true : true
  })

  function label(r: CallRow): string {
    if (r.round.caseId) {
      const known = titles.value[r.round.caseId]
      const number = (r === current.value ? brief.value?.number : null) ?? known?.number
      return number ?? t('followup.case')
    }
    const k = `ana.follow.services.${r.round.service ?? ''}`
    return t('followup.serviceOf', { service: te(k) ? t(k) : (r.round.service ?? '') })
  }

  /** The first open row at or after `index` (wrapping), or null when none is left. */
  function openFrom(index: number): string | null {
    const n = rows.value.length
    for (let i = 0; i < n; i++) {
      const r = rows.value[(((index + i) % n) + n) % n]
      if (r && open(r)) return r.round.id
    }
    return null
  }

  let seq = 0
  async function select(id: string | null): Promise<void> {
    hide()
    currentId.value = id
    satisfaction.value = null
    note.value = ''
    asked.value = {}
    brief.value = null
    briefError.value = ''
    const caseId = current.value?.round.caseId
    const mine = ++seq
    briefLoading.value = Boolean(caseId)
    if (!caseId) return
    try {
      const b = await caseBrief(caseId)
      if (mine === seq) brief.value = b
    } catch (err: unknown) {
      if (mine === seq) briefError.value = errorMessage(err)
    } finally {
      if (mine === seq) briefLoading.value = false
    }
  }

  async function loadTally(): Promise<void> {
    try {
      const saved = await api.draftLoad<Tally>(TALLY_DRAFT)
      if (saved && saved.day === today() && Array.isArray(saved.done)) tally.value = saved
    } catch {
      // No session store: the tally starts at zero.
    }
  }

  async function remember(id: string, s: Satisfaction): Promise<void> {
    const base = tally.value.day === today() ? tally.value.done : []
    tally.value = { day: today(), done: [...base.filter((d) => d.id !== id), { id, satisfaction: s }] }
    try {
      await api.draftSave(TALLY_DRAFT, tally.value)
    } catch {
      // The count is a convenience; the answer itself is recorded.
    }
  }

  async function lookUpTitles(): Promise<void> {
    for (const r of rows.value.slice(0, TITLES_LOOKED_UP)) {
      const id = r.round.caseId
      if (!id || titles.value[id]) continue
      try {
        const c = await api.getCase(id)
        titles.value[id] = { number: c.case.number, title: c.case.title }
      } catch {
        // Not on this device: the row shows the round only.
      }
    }
  }

  async function load(): Promise<void> {
    state.value = 'loading'
    try {
      const [tasks, awaiting] = await Promise.all([
        online.followups({ status: 'phoneTask', limit: 1000 }),
        online.followups({ status: 'awaiting', limit: 1000 }),
        loadTally(),
      ])
      const list = [...tasks, ...awaiting]
      const done = new Map(tally.value.day === today() ? tally.value.done.map((d) => [d.id, d.satisfaction]) : [])
      const kept = rows.value.filter((r) => r.outcome)
      const fresh = callOrder(list)
        .filter((round) => !kept.some((k) => k.round.id === round.id))
        .map((round): CallRow => {
          // Recorded here earlier today and not yet synced: not presented again.
          const s = done.get(round.id)
          return { round, outcome: s ? { satisfaction: s, queued: true, record: null } : null, taken: null }
        })
      rows.value = [...kept, ...fresh]
      state.value = 'ready'
      const still = current.value && open(current.value) ? currentId.value : null
      if (still === null) await select(openFrom(0))
      void lookUpTitles()
    } catch (err: unknown) {
      state.value = isOffline(err) ? 'offline' : 'error'
      error.value = errorMessage(err)
    }
  }

  function reveal(): Promise<void> {
    const id = currentId.value
    return id ? revealRound(id, () => currentId.value === id) : Promise.resolve()
  }

  async function save(): Promise<void> {
    const c = current.value
    const s = satisfaction.value
    if (!c || saving.value) return
    if (!s) {
      ElMessage.warning(t('followup.pickFirst'))
      return
    }
    saving.value = true
    const index = rows.value.indexOf(c)
    try {
      const outcome = await recordAnswer(c.round, s, note.value)
      c.outcome = outcome
      if (outcome.record) c.round = outcome.record
      const params = { what: label(c), result: t(`option.${s}`) }
      ElMessage.success(t(outcome.queued ? 'followup.savedQueued' : 'followup.saved', params))
      await remember(c.round.id, s)
      await select(openFrom(index + 1))
    } catch (err: unknown) {
      if (err instanceof ApiError && err.code === 'FOLLOWUP_ANSWERED') {
        c.taken = err.message
        ElMessage.warning(err.message)
        await select(openFrom(index + 1))
      } else {
        ElMessage.error(errorMessage(err))
      }
    } finally {
      saving.value = false
    }
  }

  /** 未接通: the round goes to the end of the queue; the next one is shown. */
  async function later(): Promise<void> {
    const c = current.value
    if (!c) return
    const index = rows.value.indexOf(c)
    rows.value = [...rows.value.filter((r) => r !== c), c]
    await select(openFrom(index))
  }

  return {
    state,
    error,
    rows,
    titles,
    current,
    brief,
    briefError,
    briefLoading,
    satisfaction,
    note,
    asked,
    saving,
    phone,
    revealing,
    left,
    doneToday,
    canSave,
    label,
    load,
    select,
    reveal,
    save,
    later,
  }
}
