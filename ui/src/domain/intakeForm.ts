// The 入户走访 form and the NewCase it becomes. Its checks are the domain's own
// (`api.intakeCheck`, offline too): nothing here restates them.
import type { FieldProblem, NewCase, RequestType, Urgency } from '@/api/types'

export interface HomeVisitForm {
  citizenName: string
  citizenPhone: string
  address: string
  district: string
  title: string
  content: string
  category: string
  requestType: RequestType
  urgency: Urgency
}

export function emptyHomeVisit(): HomeVisitForm {
  return {
    citizenName: '',
    citizenPhone: '',
    address: '',
    district: '',
    title: '',
    content: '',
    category: '',
    requestType: '求助',
    urgency: '普通',
  }
}

export function toNewCase(f: HomeVisitForm, receivedAt: Date = new Date()): NewCase {
  const opt = (s: string) => (s.trim() === '' ? null : s.trim())
  return {
    id: null,
    channel: '入户走访',
    requestType: f.requestType,
    category: opt(f.category),
    title: f.title.trim(),
    content: f.content.trim(),
    citizenName: f.citizenName.trim(),
    citizenPhone: opt(f.citizenPhone),
    citizenIdCard: null,
    address: opt(f.address),
    district: opt(f.district),
    receivedAt: receivedAt.toISOString(),
    urgency: f.urgency,
    flags: { policeComplaint: false, important: false },
  }
}

/** The domain's problems split into messages under the form's inputs (the NewCase field
 * names are the form's) and the rest, which no input shows (e.g. the channel for a role). */
export function placeProblems(problems: FieldProblem[]): { byField: Record<string, string>; other: string[] } {
  const fields = new Set(Object.keys(emptyHomeVisit()))
  const byField: Record<string, string> = {}
  const other: string[] = []
  for (const p of problems) {
    if (!fields.has(p.field)) other.push(p.message)
    else byField[p.field] = byField[p.field] ? `${byField[p.field]}；${p.message}` : p.message
  }
  return { byField, other }
}
