// 系统建议 for a case being dispatched or linked: the server's suggestions (category,
// request type, handling units with their reasons, supervising unit) and duplicate
// candidates for the case's own text. Online only; offline or without a model the
// dialogs simply work without it.
import { ref } from 'vue'
import { api, errorMessage, REQUEST_TYPES, type AssistDraft, type IntakeAssist, type LocalCase } from '@/api'
import { isOffline } from '@/api/online'
import type { FieldName, FormValues } from '@/domain/actionForms'

/** `offline`: no link to the city; `failed`: the server refused (message in `error`). */
export type AssistStatus = 'idle' | 'loading' | 'ready' | 'offline' | 'failed'

/** The fields a suggestion may fill, with the value it suggests. */
export type Suggested = Partial<Record<FieldName, string>>

/** The case's text as an assist draft; a masked phone is not a phone, so it is left out. */
export function assistDraft(local: LocalCase): AssistDraft {
  const c = local.case
  const phone = local.citizen.masked ? null : local.citizen.phone
  const address = [c.district, c.address].filter((p): p is string => !!p && p.trim() !== '').join(' ')
  return {
    title: c.title,
    content: c.content,
    citizenPhone: phone && phone.trim() !== '' ? phone : null,
    address: address === '' ? null : address,
    excludeCaseId: c.id,
  }
}

const blank = (v: FormValues[FieldName]): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '')

/**
 * What the top suggestion fills in: only fields still empty in the form (the form opens
 * with the case's own values, so a case that has them keeps them). The supervising unit
 * belongs to the top handling unit, so it is only suggested alongside it.
 */
export function suggestedValues(
  assist: IntakeAssist | null,
  current: FormValues,
  categories: readonly string[],
): Suggested {
  const s = assist?.suggestion
  if (!s) return {}
  const out: Suggested = {}
  const category = s.category[0]?.label
  if (blank(current.category) && category && categories.includes(category)) out.category = category
  const requestType = s.requestType[0]?.label
  if (blank(current.requestType) && requestType && (REQUEST_TYPES as readonly string[]).includes(requestType)) {
    out.requestType = requestType
  }
  const top = s.handlingUnits[0]?.unitId
  if (blank(current.handlingUnit) && top) out.handlingUnit = top
  const lead = out.handlingUnit ?? current.handlingUnit
  if (blank(current.supervisingUnit) && s.supervisingUnit && top && lead === top) out.supervisingUnit = s.supervisingUnit
  return out
}

export function useCaseAssist() {
  const status = ref<AssistStatus>('idle')
  const result = ref<IntakeAssist | null>(null)
  const error = ref('')
  let ticket = 0

  function reset(): void {
    ticket++
    status.value = 'idle'
    result.value = null
    error.value = ''
  }

  /** Asks the server (when online); resolves to the answer, or null when there is none. */
  async function load(local: LocalCase, online: boolean): Promise<IntakeAssist | null> {
    reset()
    const mine = ticket
    if (!online) {
      status.value = 'offline'
      return null
    }
    status.value = 'loading'
    try {
      const answer = await api.intakeAssist(assistDraft(local))
      if (mine !== ticket) return null
      result.value = answer
      status.value = 'ready'
      return answer
    } catch (err: unknown) {
      if (mine !== ticket) return null
      if (isOffline(err)) status.value = 'offline'
      else {
        status.value = 'failed'
        error.value = errorMessage(err)
      }
      return null
    }
  }

  return { status, result, error, load, reset }
}
