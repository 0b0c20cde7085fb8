// The logic of ActionDialog: the form's values per action, the dispatch suggestions and
// which fields they filled (tagged until the clerk changes them), the co-units kept
// apart from the lead unit, 引用联办意见 for the one reply, and queueing the action.
import { ElMessage } from 'element-plus'
import { computed, ref, watch, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { api, errorMessage, type ActionKind, type LocalCase, type UserSummary } from '@/api'
import {
  ACTION_FIELDS,
  appendQuote,
  buildAction,
  formFieldOf,
  initialValues,
  quoteCoOpinions,
  validateAction,
  type FieldName,
  type FieldSpec,
  type FormValues,
} from '@/domain/actionForms'
import { useCapabilityStore } from '@/stores/capabilities'
import { useConfigStore } from '@/stores/config'
import { useOrgStore } from '@/stores/org'
import { useSyncStore } from '@/stores/sync'
import { suggestedValues, useCaseAssist, type Suggested } from './useCaseAssist'

export interface ActionDialogProps {
  local: LocalCase
  kind: ActionKind | null
  /** linkDuplicate: the master chosen before the dialog opened (e.g. `?master=`). */
  presetMaster?: string | null
}

const ASSISTED = new Set<ActionKind>(['dispatch', 'redispatch', 'linkDuplicate'])

export function useActionDialog(props: ActionDialogProps, onDone: (updated: LocalCase) => void) {
  const { t } = useI18n()
  const org = useOrgStore()
  const config = useConfigStore()
  const capabilities = useCapabilityStore()
  const sync = useSyncStore()
  const assist = useCaseAssist()
  const values = ref<FormValues>({}) as Ref<FormValues>
  const errors = ref<Partial<Record<FieldName, string>>>({})
  const users = ref<UserSummary[]>([])
  const busy = ref(false)
  /** Fields filled from the suggestion and not changed since. */
  const suggested = ref<Suggested>({})

  const fields = computed<FieldSpec[]>(() =>
    props.kind
      ? ACTION_FIELDS[props.kind].filter((f) => !f.policeComplaintOnly || props.local.case.flags.policeComplaint)
      : [],
  )
  const isDispatch = computed(() => props.kind === 'dispatch' || props.kind === 'redispatch')
  const quote = computed(() => quoteCoOpinions(props.local.case.coUnits, (id) => org.name(id)))

  function caseValues(kind: ActionKind): FormValues {
    const v = initialValues(kind)
    const c = props.local.case
    if (kind === 'dispatch' || kind === 'redispatch') {
      v.category = c.category ?? ''
      v.requestType = c.requestType
      v.urgency = c.urgency
      v.policeComplaint = c.flags.policeComplaint
      v.important = c.flags.important
      v.handlingUnit = c.handlingUnit ?? ''
      v.supervisingUnit = c.supervisingUnit ?? ''
      v.coUnits = c.coUnits.map((u) => u.unit)
    }
    if (kind === 'linkDuplicate') v.master = props.presetMaster ?? ''
    return v
  }

  /** Fills the still-empty fields from the top suggestion and tags them. */
  function prefill(): void {
    const fill = suggestedValues(assist.result.value, values.value, config.categories)
    values.value = { ...values.value, ...fill }
    suggested.value = { ...suggested.value, ...fill }
  }

  /** The case the suggestions in `assist` are for. */
  let assisted: string | null = null

  async function open(kind: ActionKind | null): Promise<void> {
    errors.value = {}
    suggested.value = {}
    if (!kind || !ASSISTED.has(kind)) {
      assist.reset()
      assisted = null
    }
    if (!kind) return
    values.value = caseValues(kind)
    if (ASSISTED.has(kind)) {
      // Switching from 派单 to 关联重复件 keeps the answer already shown.
      const id = props.local.case.id
      const reuse = assisted === id && assist.status.value === 'ready'
      assisted = id
      const ready = reuse ? Promise.resolve(assist.result.value) : assist.load(props.local, sync.online)
      void ready.then(() => {
        if (props.kind === kind && (kind === 'dispatch' || kind === 'redispatch')) prefill()
      })
    }
    if (kind === 'assign' && props.local.case.handlingUnit) {
      try {
        const handlers = capabilities.rolesWith('handle')
        users.value = (await org.usersOf(props.local.case.handlingUnit)).filter((u) => handlers.some((r) => r === u.role))
      } catch (err: unknown) {
        users.value = []
        ElMessage.error(errorMessage(err))
      }
    }
  }

  watch(() => props.kind, open, { immediate: true })
  watch(
    () => props.presetMaster,
    (m) => {
      if (props.kind === 'linkDuplicate' && m) values.value = { ...values.value, master: m }
    },
  )

  function set(name: FieldName, value: FormValues[FieldName]): void {
    const next: FormValues = { ...values.value, [name]: value }
    // A co-unit cannot also lead: choosing it as lead takes it out of the co-units.
    if (name === 'handlingUnit' && Array.isArray(next.coUnits)) next.coUnits = next.coUnits.filter((u) => u !== value)
    values.value = next
    if (suggested.value[name] !== undefined && suggested.value[name] !== value) {
      const rest = { ...suggested.value }
      delete rest[name]
      suggested.value = rest
    }
  }

  /** "采用" on one of the suggested handling units. The suggested supervising unit belongs
   * to the top unit: for another one it is cleared, and the domain then takes that unit's
   * own branch/line department (its default supervisor). */
  function useUnit(unitId: string): void {
    const keepSupervisor = suggested.value.handlingUnit === unitId || values.value.handlingUnit === unitId
    set('handlingUnit', unitId)
    suggested.value = { ...suggested.value, handlingUnit: unitId }
    if (!keepSupervisor && suggested.value.supervisingUnit !== undefined) set('supervisingUnit', '')
  }

  function isSuggested(name: FieldName): boolean {
    return suggested.value[name] !== undefined
  }

  function insertQuote(): void {
    const reply = typeof values.value.reply === 'string' ? values.value.reply : ''
    set('reply', appendQuote(reply, quote.value))
  }

  async function submit(): Promise<void> {
    const kind = props.kind
    if (!kind) return
    const missing = validateAction(kind, values.value)
    errors.value = Object.fromEntries(Object.entries(missing).map(([f, key]) => [f, t(key)]))
    if (Object.keys(errors.value).length > 0) return
    busy.value = true
    try {
      const action = buildAction(kind, values.value, users.value)
      // The domain's objections, in its words, under the field they name (nothing queued).
      const problems = await api.actionCheck(props.local.case.id, action)
      if (problems.length > 0) {
        const byField: Partial<Record<FieldName, string>> = {}
        for (const p of problems) {
          const field = formFieldOf(kind, p.field)
          if (field) byField[field] ??= p.message
          else ElMessage.error(p.message)
        }
        errors.value = byField
        return
      }
      const updated = await api.act(props.local.case.id, action)
      ElMessage.success(sync.online ? t('form.queued', { action: t(`action.${kind}`) }) : t('form.offlineQueued'))
      await sync.localChange()
      onDone(updated)
    } catch (err: unknown) {
      // The domain's refusal (self-link, merged master, wrong unit ...) in its own words.
      ElMessage.error(errorMessage(err))
    } finally {
      busy.value = false
    }
  }

  return { values, errors, users, busy, fields, isDispatch, quote, assist, set, useUnit, isSuggested, insertQuote, submit }
}
