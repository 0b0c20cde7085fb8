// 新建诉求: the intake clerk's form. The intake rules are the domain's (`api.intakeCheck`,
// offline too); this composable only maps the form to a NewCase, shows each problem under
// its field, keeps the draft across crashes and reloads, submits, and hands over to the
// case page (派单 / 关联重复件).
import { ElMessage, ElMessageBox } from 'element-plus'
import { computed, onScopeDispose, reactive, ref, shallowRef, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { useRouter } from 'vue-router'
import {
  api,
  CHANNELS,
  errorMessage,
  REQUEST_TYPES,
  URGENCIES,
  type CallerCase,
  type Channel,
  type DuplicateCandidate,
  type FieldProblem,
  type NewCase,
  type RequestType,
  type Suggestion,
  type Urgency,
} from '@/api'
import { useSyncStore } from '@/stores/sync'
import { openIfCached } from '@/views/analytics/openCase'
import { useIntakeAssist } from './useIntakeAssist'

/** The one channel that carries a leader's instruction (SPEC §3). */
export const LEADER_CHANNEL: Channel = '领导批示'
export const CHECK_DELAY_MS = 300
/** The draft's name in the signed-in user's encrypted cache (one cache per account). */
export const DRAFT_NAME = 'newRequest'
/** Draft writes are coalesced over this many ms (a crash loses at most this much typing). */
const DRAFT_SAVE_MS = 150

export interface NewRequestForm {
  channel: Channel
  /** Epoch milliseconds (the date picker's `value-format="x"`); null = now. */
  receivedAt: number | null
  leaderName: string
  leaderInstruction: string
  citizenPhone: string
  citizenName: string
  citizenIdCard: string
  district: string
  address: string
  title: string
  content: string
  requestType: RequestType
  category: string
  urgency: Urgency
  policeComplaint: boolean
  important: boolean
}

/** The inputs in screen order: the first problem in this order gets the focus. */
export const FIELD_ORDER = [
  'channel',
  'receivedAt',
  'leaderName',
  'leaderInstruction',
  'citizenPhone',
  'citizenName',
  'citizenIdCard',
  'district',
  'address',
  'title',
  'content',
  'requestType',
  'category',
  'urgency',
] as const

const TEXT_FIELDS = [
  'leaderName',
  'leaderInstruction',
  'citizenPhone',
  'citizenName',
  'citizenIdCard',
  'district',
  'address',
  'title',
  'content',
  'category',
] as const

export function emptyForm(now: number = Date.now()): NewRequestForm {
  return {
    channel: '民生警务热线',
    receivedAt: now,
    leaderName: '',
    leaderInstruction: '',
    citizenPhone: '',
    citizenName: '',
    citizenIdCard: '',
    district: '',
    address: '',
    title: '',
    content: '',
    requestType: '求助',
    category: '',
    urgency: '普通',
    policeComplaint: false,
    important: false,
  }
}

/** Nothing typed: such a form is not worth keeping as a draft. */
export function isBlank(f: NewRequestForm): boolean {
  return TEXT_FIELDS.every((k) => f[k].trim() === '')
}

const opt = (s: string): string | null => (s.trim() === '' ? null : s.trim())

/** The NewCase the domain checks and queues; the leader's instruction only for 领导批示. */
export function toNewCase(f: NewRequestForm): NewCase {
  return {
    id: null,
    channel: f.channel,
    requestType: f.requestType,
    category: opt(f.category),
    title: f.title.trim(),
    content: f.content.trim(),
    citizenName: f.citizenName.trim(),
    citizenPhone: opt(f.citizenPhone),
    citizenIdCard: opt(f.citizenIdCard),
    address: opt(f.address),
    district: opt(f.district),
    receivedAt: f.receivedAt === null ? null : new Date(f.receivedAt).toISOString(),
    urgency: f.urgency,
    flags: { policeComplaint: f.policeComplaint, important: f.important },
    leaderInstruction:
      f.channel === LEADER_CHANNEL ? { leader: f.leaderName.trim(), instruction: f.leaderInstruction.trim() } : null,
  }
}

const oneOf = <T extends string>(list: readonly T[], v: unknown): v is T => typeof v === 'string' && list.includes(v as T)

/** A stored draft read back defensively (an older build or a hand-edited value). */
export function parseDraft(raw: string | null): NewRequestForm | null {
  if (!raw) return null
  let data: unknown
  try {
    data = JSON.parse(raw)
  } catch {
    return null
  }
  if (typeof data !== 'object' || data === null) return null
  const rec = data as Record<string, unknown>
  const f = emptyForm()
  const target = f as unknown as Record<string, unknown>
  for (const key of Object.keys(f)) {
    if (typeof rec[key] === typeof target[key]) target[key] = rec[key]
  }
  if (rec.receivedAt === null) f.receivedAt = null
  if (!oneOf(CHANNELS, f.channel)) f.channel = emptyForm().channel
  if (!oneOf(REQUEST_TYPES, f.requestType)) f.requestType = emptyForm().requestType
  if (!oneOf(URGENCIES, f.urgency)) f.urgency = emptyForm().urgency
  return isBlank(f) ? null : f
}

/** The field of `problems` to focus: the first one on screen. */
export function firstField(problems: FieldProblem[]): string | null {
  for (const field of FIELD_ORDER) if (problems.some((p) => p.field === field)) return field
  return problems[0]?.field ?? null
}

export interface UseNewRequestOptions {
  checkDelay?: number
  assistDelay?: number
}

export function useNewRequest(options: UseNewRequestOptions = {}) {
  const { t } = useI18n()
  const router = useRouter()
  const sync = useSyncStore()
  const form = reactive<NewRequestForm>(emptyForm())
  /** The form came back from a draft (the view says so). */
  const restored = ref(false)
  const problems = shallowRef<FieldProblem[]>([])
  /** Fields the clerk has changed: only their problems show while typing. */
  const touched = shallowRef(new Set<string>())
  /** After 登记 every problem shows. */
  const showAll = ref(false)
  const submitting = ref(false)
  const created = shallowRef<{ id: string; title: string } | null>(null)
  /** A same-matter candidate the new case is linked to once registered. */
  const linkMaster = shallowRef<{ id: string; number: string } | null>(null)
  /** The case shown side by side in the drawer. */
  const compareId = ref<string | null>(null)
  const isLeaderChannel = computed(() => form.channel === LEADER_CHANNEL)
  const onScreen = computed(
    () => new Set<string>(FIELD_ORDER.filter((f) => isLeaderChannel.value || !f.startsWith('leader'))),
  )

  /** Messages by field, for the fields that show them now. */
  const errors = computed<Record<string, string>>(() => {
    const out: Record<string, string> = {}
    for (const p of problems.value) {
      if (!onScreen.value.has(p.field)) continue
      if (!showAll.value && p.field !== 'channel' && !touched.value.has(p.field)) continue
      out[p.field] = out[p.field] ? `${out[p.field]}；${p.message}` : p.message
    }
    return out
  })
  /** Problems no visible input can show (listed above the buttons after 登记). */
  const otherProblems = computed(() => (showAll.value ? problems.value.filter((p) => !onScreen.value.has(p.field)) : []))

  // ---- the domain's check, debounced; a late answer never overwrites a newer one ----
  let checkTimer: ReturnType<typeof setTimeout> | null = null
  let checkSeq = 0
  function cancelCheck(): void {
    if (checkTimer !== null) clearTimeout(checkTimer)
    checkTimer = null
    checkSeq++
  }
  async function check(): Promise<FieldProblem[]> {
    const mine = ++checkSeq
    const found = await api.intakeCheck(toNewCase(form))
    if (mine === checkSeq) problems.value = found
    return found
  }
  function scheduleCheck(): void {
    cancelCheck()
    checkTimer = setTimeout(() => {
      checkTimer = null
      check().catch(() => undefined) // the submit check reports failures
    }, options.checkDelay ?? CHECK_DELAY_MS)
  }

  // ---- the draft: written on every change into the encrypted cache (a citizen's
  // number never sits in the web view's plain storage), so a crash loses nothing ----
  let restoring = false
  let saveTimer: ReturnType<typeof setTimeout> | null = null
  function saveDraft(): void {
    if (restoring) return
    if (saveTimer !== null) clearTimeout(saveTimer)
    saveTimer = setTimeout(() => {
      saveTimer = null
      const write = isBlank(form) ? api.draftClear(DRAFT_NAME) : api.draftSave(DRAFT_NAME, { ...form })
      write.catch(() => undefined) // not signed in any more: the form still works
    }, DRAFT_SAVE_MS)
  }
  function dropDraft(): void {
    if (saveTimer !== null) clearTimeout(saveTimer)
    saveTimer = null
    api.draftClear(DRAFT_NAME).catch(() => undefined)
  }
  /** Resolves once a saved draft (if any) is back in the form. */
  const draftLoaded = api
    .draftLoad<unknown>(DRAFT_NAME)
    .then((value) => {
      const saved = parseDraft(value === null || value === undefined ? null : JSON.stringify(value))
      if (!saved || !isBlank(form)) return
      restoring = true
      Object.assign(form, saved)
      last = { ...form }
      touched.value = new Set<string>(FIELD_ORDER.filter((k) => form[k] !== emptyForm()[k]))
      restoring = false
      restored.value = true
      scheduleCheck()
    })
    .catch(() => undefined)

  let last: NewRequestForm = { ...form }
  watch(
    form,
    () => {
      const changed = (Object.keys(form) as (keyof NewRequestForm)[]).filter((k) => form[k] !== last[k])
      last = { ...form }
      if (changed.some((k) => !touched.value.has(k))) touched.value = new Set([...touched.value, ...changed])
      saveDraft()
      scheduleCheck()
    },
    { deep: true, flush: 'sync' },
  )
  scheduleCheck()

  // ---- assistance ----
  const assist = useIntakeAssist(
    () => ({ title: form.title, content: form.content, citizenPhone: opt(form.citizenPhone), address: opt(form.address) }),
    options.assistDelay,
  )
  watch(
    () => sync.online,
    (online) => {
      if (online && assist.state.value === 'offline') void assist.refresh()
    },
  )

  function applySuggestion(s: Suggestion): void {
    const category = s.category[0]?.label
    const requestType = s.requestType[0]?.label
    if (category) form.category = category
    if (oneOf(REQUEST_TYPES, requestType)) form.requestType = requestType
    if (s.district && form.district.trim() === '') form.district = s.district
    ElMessage.success(t('newRequest.assist.applied'))
  }

  // ---- submit ----
  /** Checks and queues the request; answers the field to focus when there are problems. */
  async function submit(): Promise<string | null> {
    if (submitting.value) return null
    submitting.value = true
    showAll.value = true
    try {
      cancelCheck()
      const newCase = toNewCase(form)
      const found = await api.intakeCheck(newCase)
      problems.value = found
      if (found.length > 0) return firstField(found)
      const local = await api.intake(newCase)
      dropDraft()
      const id = local.case.id
      ElMessage.success(t('newRequest.created', { title: local.case.title }))
      void sync.localChange()
      const master = linkMaster.value
      if (master) {
        await router.push({ path: `/cases/${id}`, query: { act: 'linkDuplicate', master: master.id } })
        return null
      }
      created.value = { id, title: local.case.title }
      return null
    } catch (err: unknown) {
      ElMessage.error(errorMessage(err))
      return null
    } finally {
      submitting.value = false
    }
  }

  function registerAsDuplicate(c: DuplicateCandidate): Promise<string | null> {
    linkMaster.value = { id: c.caseId, number: c.number ?? c.title }
    return submit()
  }

  async function dispatchNow(): Promise<void> {
    const done = created.value
    if (done) await router.push({ path: `/cases/${done.id}`, query: { act: 'dispatch' } })
  }

  /** A blank form (继续登记, 清空). */
  function reset(): void {
    Object.assign(form, emptyForm())
    touched.value = new Set()
    problems.value = []
    showAll.value = false
    created.value = null
    linkMaster.value = null
    restored.value = false
    dropDraft()
    assist.clear()
    scheduleCheck() // e.g. a channel this role may not take
  }

  async function askClear(): Promise<void> {
    try {
      await ElMessageBox.confirm(t('newRequest.clearConfirm'), t('newRequest.clear'), {
        type: 'warning',
        confirmButtonText: t('form.confirm'),
        cancelButtonText: t('form.cancel'),
      })
    } catch {
      return // kept
    }
    reset()
  }

  /** A caller's earlier case: the case page when cached, else the server's view in the drawer. */
  async function openHistory(c: CallerCase): Promise<void> {
    if (!(await openIfCached(router, c.caseId))) compareId.value = c.caseId
  }

  onScopeDispose(() => {
    if (checkTimer !== null) clearTimeout(checkTimer)
  })

  return {
    form,
    restored,
    draftLoaded,
    problems,
    errors,
    otherProblems,
    isLeaderChannel,
    submitting,
    created,
    linkMaster,
    compareId,
    assist,
    submit,
    registerAsDuplicate,
    applySuggestion,
    dispatchNow,
    reset,
    askClear,
    openHistory,
  }
}
