// What each workflow action asks for before it is queued, how it is validated and how
// the form's values become the domain `Action`. The buttons themselves come from the
// facade's `allowedActions` (the same state machine the server runs); this module only
// orders them and knows their forms.
import type {
  Action,
  ActionKind,
  CoUnit,
  ComplaintVerdict,
  FollowUpChannel,
  InvestigatingDept,
  RequestType,
  Role,
  Satisfaction,
  Unit,
  Urgency,
} from '@/api/types'

export type FieldName =
  | 'reply'
  | 'reason'
  | 'comment'
  | 'until'
  | 'assignee'
  | 'message'
  | 'text'
  | 'department'
  | 'master'
  | 'summary'
  | 'participants'
  | 'satisfaction'
  | 'channel'
  | 'note'
  | 'result'
  | 'opinion'
  | 'finding'
  | 'investigator'
  | 'notice'
  | 'decision'
  | 'handlingUnit'
  | 'supervisingUnit'
  | 'coUnits'
  | 'category'
  | 'requestType'
  | 'urgency'
  | 'policeComplaint'
  | 'important'
  | 'verdict'

/** `unit`: one unit, `units`: several (联办), `case`: a case picked by number or candidate. */
export type FieldKind = 'textarea' | 'text' | 'datetime' | 'user' | 'unit' | 'units' | 'case' | 'select' | 'switch'

export interface FieldSpec {
  name: FieldName
  kind: FieldKind
  required: boolean
  /** Fixed options for `select`. */
  options?: readonly string[]
  /** Org levels offered by `unit`/`units` pickers (grouped by parent; the domain still decides). */
  levels?: readonly Unit['level'][]
  /** Only on a 涉警投诉 (the domain says where it is required). */
  policeComplaintOnly?: boolean
}

// Text limits are the domain's (it answers with its own message): none restated here.
const long = (name: FieldName, required = true): FieldSpec => ({ name, kind: 'textarea', required })
const short = (name: FieldName, required = true): FieldSpec => ({ name, kind: 'text', required })

/** 涉警投诉 是否属实: asked at its final sign-off and its level-3 investigation. */
const VERDICT: FieldSpec = {
  name: 'verdict',
  kind: 'select',
  required: false,
  options: ['substantiated', 'partlySubstantiated', 'unsubstantiated'],
  policeComplaintOnly: true,
}

const DISPATCH_FIELDS: FieldSpec[] = [
  { name: 'category', kind: 'select', required: true },
  { name: 'requestType', kind: 'select', required: true },
  // 承办: 科所队 (stations, brigades, windows); 督办: 市局 or 分局/支队; 联办: other 科所队,
  // which give the opinions the lead unit's one reply quotes (the domain checks all three).
  { name: 'handlingUnit', kind: 'unit', required: true, levels: [3] },
  { name: 'supervisingUnit', kind: 'unit', required: false, levels: [1, 2] },
  { name: 'coUnits', kind: 'units', required: false, levels: [2, 3] },
  { name: 'urgency', kind: 'select', required: true },
  { name: 'policeComplaint', kind: 'switch', required: false },
  { name: 'important', kind: 'switch', required: false },
]

/** The form of every action; an empty list means "confirm and queue". */
export const ACTION_FIELDS: Record<ActionKind, FieldSpec[]> = {
  dispatch: DISPATCH_FIELDS,
  redispatch: [...DISPATCH_FIELDS, long('reason')],
  reject: [long('reason')],
  transferOut: [short('department'), long('reason')],
  linkDuplicate: [{ name: 'master', kind: 'case', required: true }],
  signIn: [],
  assign: [{ name: 'assignee', kind: 'user', required: true }],
  return: [long('reason')],
  coUnitOpinion: [long('text')],
  submitReply: [long('reply')],
  approve: [long('comment', false), VERDICT],
  sendBack: [long('reason')],
  requestExtension: [long('reason'), { name: 'until', kind: 'datetime', required: true }],
  approveExtension: [long('comment', false)],
  rejectExtension: [long('reason')],
  urge: [long('message')],
  consult: [short('participants'), long('summary')],
  addNote: [long('text')],
  followUpAnswer: [
    { name: 'satisfaction', kind: 'select', required: true, options: ['satisfied', 'basicallySatisfied', 'unsatisfied'] },
    { name: 'channel', kind: 'select', required: true, options: ['phone', 'visit', 'sms'] },
    long('note', false),
  ],
  recordRehandle: [long('result')],
  leaderSignOff: [long('opinion')],
  recordInvestigation: [
    { name: 'investigator', kind: 'select', required: true, options: ['纪委', '督察', '法制'] },
    long('finding'),
    VERDICT,
  ],
  supervisionNotice: [long('notice')],
  conclude: [long('decision')],
  archive: [long('reason')],
  // The server's own step (首问负责); never offered to a user (`allowedActions` never holds it).
  adoptMasterReply: [],
}

/** The button order in the detail: the main step first, side actions after. */
const ORDER: ActionKind[] = [
  'signIn',
  'submitReply',
  'approve',
  'sendBack',
  'dispatch',
  'redispatch',
  'assign',
  'approveExtension',
  'rejectExtension',
  'requestExtension',
  'return',
  'coUnitOpinion',
  'urge',
  'followUpAnswer',
  'recordRehandle',
  'leaderSignOff',
  'recordInvestigation',
  'supervisionNotice',
  'conclude',
  'archive',
  'linkDuplicate',
  'transferOut',
  'reject',
  'consult',
  'addNote',
]

/** Actions shown as primary (filled) buttons. */
const PRIMARY = new Set<ActionKind>(['signIn', 'submitReply', 'approve', 'dispatch', 'approveExtension', 'leaderSignOff'])
/** Actions that undo or refuse something: shown in the warning colour. */
const DANGER = new Set<ActionKind>(['return', 'sendBack', 'reject', 'rejectExtension', 'transferOut', 'conclude'])

export interface ActionButton {
  kind: ActionKind
  tone: 'primary' | 'danger' | 'default'
}

/** The buttons for what the state machine allows this user now, in display order. */
export function actionButtons(allowed: readonly ActionKind[]): ActionButton[] {
  const set = new Set(allowed)
  return ORDER.filter((k) => set.has(k)).map((kind) => ({
    kind,
    tone: PRIMARY.has(kind) ? 'primary' : DANGER.has(kind) ? 'danger' : 'default',
  }))
}

/**
 * The form's values: strings for text/select/unit/user/case (a case id), string[] for
 * `units`, booleans for switches, Date for datetime.
 */
export type FormValues = Partial<Record<FieldName, string | string[] | boolean | Date | null>>

export interface Assignable {
  id: string
  unitId: string
  role: string
}

/**
 * Error message keys (i18n `form.*`) for the choices an action cannot be built without
 * (a unit, a person, a date, a listed option). Texts are not checked here: whether one
 * is missing or too long, and every other rule, is the domain's to say (`api.actionCheck`),
 * in its own words.
 */
export function validateAction(kind: ActionKind, values: FormValues): Partial<Record<FieldName, string>> {
  const errors: Partial<Record<FieldName, string>> = {}
  for (const f of ACTION_FIELDS[kind]) {
    const v = values[f.name]
    if (f.kind === 'switch' || f.kind === 'text' || f.kind === 'textarea') continue
    if (f.kind === 'units') {
      if (f.required && (!Array.isArray(v) || v.length === 0)) errors[f.name] = 'form.required'
      continue
    }
    if (f.kind === 'datetime') {
      if (f.required && (!(v instanceof Date) || Number.isNaN(v.getTime()))) errors[f.name] = 'form.required'
      continue
    }
    const s = typeof v === 'string' ? v.trim() : ''
    if (s === '') {
      if (f.required) errors[f.name] = 'form.required'
      continue
    }
    if (f.options && !f.options.includes(s)) errors[f.name] = 'form.invalidOption'
  }
  return errors
}

/** The form field a domain refusal names (`FieldProblem.field`); null when the form has no
 * such field (the refusal is about the case, the role or the state). */
export function formFieldOf(kind: ActionKind, domainField: string): FieldName | null {
  let name = domainField
  if (domainField === 'officer') name = 'assignee'
  else if (kind === 'submitReply' && domainField === 'text') name = 'reply'
  else if (kind === 'recordInvestigation' && domainField === 'department') name = 'investigator'
  return ACTION_FIELDS[kind].some((f) => f.name === name) ? (name as FieldName) : null
}

function text(values: FormValues, name: FieldName): string {
  const v = values[name]
  return typeof v === 'string' ? v.trim() : ''
}

function optionalText(values: FormValues, name: FieldName): string | null {
  const s = text(values, name)
  return s === '' ? null : s
}

function ids(values: FormValues, name: FieldName): string[] {
  const v = values[name]
  return Array.isArray(v) ? v.filter((id) => id.trim() !== '') : []
}

/** The verdict when one was chosen (sent only then: other cases never carry one). */
function verdictOf(values: FormValues): { verdict?: ComplaintVerdict } {
  const v = optionalText(values, 'verdict')
  return v ? { verdict: v as ComplaintVerdict } : {}
}

function dispatchOrder(values: FormValues) {
  return {
    handlingUnit: text(values, 'handlingUnit'),
    supervisingUnit: optionalText(values, 'supervisingUnit'),
    // DispatchOrder.co_units: Vec<UnitId>, plain unit ids (the domain makes CoUnit rows).
    coUnits: ids(values, 'coUnits'),
    category: text(values, 'category'),
    requestType: text(values, 'requestType') as RequestType,
    urgency: (optionalText(values, 'urgency') ?? '普通') as Urgency,
    flags: { policeComplaint: values.policeComplaint === true, important: values.important === true },
  }
}

/**
 * Turns validated form values into the domain action. `users` resolves the chosen
 * assignee to the id/unit/role the domain checks offline.
 */
export function buildAction(kind: ActionKind, values: FormValues, users: readonly Assignable[] = []): Action {
  switch (kind) {
    case 'dispatch':
      return { type: 'dispatch', ...dispatchOrder(values) }
    case 'redispatch':
      return { type: 'redispatch', order: dispatchOrder(values), reason: text(values, 'reason') }
    case 'reject':
      return { type: 'reject', reason: text(values, 'reason') }
    case 'transferOut':
      return { type: 'transferOut', department: text(values, 'department'), reason: text(values, 'reason') }
    case 'linkDuplicate':
      return { type: 'linkDuplicate', master: text(values, 'master') }
    case 'signIn':
      return { type: 'signIn' }
    case 'assign': {
      const id = text(values, 'assignee')
      const user = users.find((u) => u.id === id)
      if (!user) throw new Error(`unknown assignee ${id}`)
      return { type: 'assign', officer: { id: user.id, unit: user.unitId, role: user.role as Role } }
    }
    case 'return':
      return { type: 'return', reason: text(values, 'reason') }
    case 'coUnitOpinion':
      return { type: 'coUnitOpinion', text: text(values, 'text') }
    case 'submitReply':
      return { type: 'submitReply', text: text(values, 'reply') }
    case 'approve':
      return { type: 'approve', comment: optionalText(values, 'comment'), ...verdictOf(values) }
    case 'sendBack':
      return { type: 'sendBack', reason: text(values, 'reason') }
    case 'requestExtension': {
      const until = values.until
      if (!(until instanceof Date)) throw new Error('until is required')
      return { type: 'requestExtension', reason: text(values, 'reason'), until: until.toISOString() }
    }
    case 'approveExtension':
      return { type: 'approveExtension', comment: optionalText(values, 'comment') }
    case 'rejectExtension':
      return { type: 'rejectExtension', reason: text(values, 'reason') }
    case 'urge':
      return { type: 'urge', message: text(values, 'message') }
    case 'consult':
      return {
        type: 'consult',
        participants: text(values, 'participants')
          .split(/[,，、\s]+/)
          .filter((p) => p !== ''),
        summary: text(values, 'summary'),
      }
    case 'addNote':
      return { type: 'addNote', text: text(values, 'text') }
    case 'followUpAnswer':
      return {
        type: 'followUpAnswer',
        satisfaction: text(values, 'satisfaction') as Satisfaction,
        channel: text(values, 'channel') as FollowUpChannel,
        note: optionalText(values, 'note'),
      }
    case 'recordRehandle':
      return { type: 'recordRehandle', result: text(values, 'result') }
    case 'leaderSignOff':
      return { type: 'leaderSignOff', opinion: text(values, 'opinion') }
    case 'recordInvestigation':
      return {
        type: 'recordInvestigation',
        department: text(values, 'investigator') as InvestigatingDept,
        finding: text(values, 'finding'),
        ...verdictOf(values),
      }
    case 'supervisionNotice':
      return { type: 'supervisionNotice', notice: text(values, 'notice') }
    case 'conclude':
      return { type: 'conclude', decision: text(values, 'decision') }
    case 'archive':
      return { type: 'archive', reason: text(values, 'reason') }
    case 'adoptMasterReply':
      throw new Error('“同步主件答复”由系统执行，不能在客户端发起')
  }
}

/** Default values when a form opens (e.g. a sensible extension date, the case's own classification). */
export function initialValues(kind: ActionKind, now: Date = new Date()): FormValues {
  const v: FormValues = {}
  for (const f of ACTION_FIELDS[kind]) {
    v[f.name] = f.kind === 'switch' ? false : f.kind === 'datetime' ? null : f.kind === 'units' ? [] : ''
  }
  if (kind === 'requestExtension') v.until = new Date(now.getTime() + 3 * 24 * 3600 * 1000)
  if (kind === 'followUpAnswer') v.channel = 'phone'
  if (kind === 'dispatch' || kind === 'redispatch') v.urgency = '普通'
  return v
}

/**
 * 一口回复: the co-units' opinions as reply text, one "单位：意见" line each (units
 * without an opinion yet are left out). Empty when there is nothing to quote.
 */
export function quoteCoOpinions(coUnits: readonly CoUnit[], unitName: (id: string) => string): string {
  return coUnits
    .filter((c) => c.opinion !== null && c.opinion.text.trim() !== '')
    .map((c) => `${unitName(c.unit)}：${c.opinion?.text.trim() ?? ''}`)
    .join('\n')
}

/** Appends a quoted block to the reply text, on its own paragraph. */
export function appendQuote(reply: string, quote: string): string {
  if (quote === '') return reply
  const base = reply.replace(/\s+$/, '')
  return base === '' ? quote : `${base}\n${quote}`
}
