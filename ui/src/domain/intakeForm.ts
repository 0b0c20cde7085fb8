// The 入户走访 form: the same checks the domain's intake runs, so an officer offline
// hears about a bad phone number now rather than at the next sync.
import type { NewCase, RequestType, Urgency } from '@/api/types'

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

/** Mainland mobile (1[3-9] + 9 digits) or a landline with area code, spaces and dashes ignored. */
export function isValidPhone(raw: string): boolean {
  let s = raw.replace(/[\s-]/g, '')
  if (s.startsWith('+86')) s = s.slice(3)
  if (!/^\d+$/.test(s)) return false
  return /^1[3-9]\d{9}$/.test(s) || (s.startsWith('0') && s.length >= 10 && s.length <= 12)
}

export type HomeVisitErrors = Partial<Record<keyof HomeVisitForm, string>>

/** i18n keys of the problems, by field. */
export function validateHomeVisit(f: HomeVisitForm): HomeVisitErrors {
  const e: HomeVisitErrors = {}
  const len = (s: string) => [...s.trim()].length
  if (len(f.title) === 0) e.title = 'form.required'
  else if (len(f.title) > 200) e.title = 'form.tooLong'
  if (len(f.content) === 0) e.content = 'form.required'
  else if (len(f.content) > 20000) e.content = 'form.tooLong'
  if (len(f.citizenName) === 0) e.citizenName = 'form.required'
  else if (len(f.citizenName) > 50) e.citizenName = 'form.tooLong'
  if (f.citizenPhone.trim() !== '' && !isValidPhone(f.citizenPhone)) e.citizenPhone = 'homeVisit.phoneInvalid'
  if (len(f.address) === 0) e.address = 'form.required'
  else if (len(f.address) > 200) e.address = 'form.tooLong'
  return e
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
