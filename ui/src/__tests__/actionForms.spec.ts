import { describe, expect, it } from 'vitest'
import { ACTION_KINDS } from '@/api'
import { ACTION_FIELDS, actionButtons, buildAction, formFieldOf, initialValues, validateAction } from '@/domain/actionForms'

describe('action buttons from allowedActions', () => {
  it('shows exactly the allowed actions, main step first', () => {
    const buttons = actionButtons(['addNote', 'return', 'signIn', 'requestExtension'])
    expect(buttons.map((b) => b.kind)).toEqual(['signIn', 'requestExtension', 'return', 'addNote'])
    expect(buttons[0]?.tone).toBe('primary')
    expect(buttons.find((b) => b.kind === 'return')?.tone).toBe('danger')
  })

  it('shows nothing when nothing is allowed (e.g. an archived case for an officer)', () => {
    expect(actionButtons([])).toEqual([])
  })

  it('knows a form and a display slot for every domain action', () => {
    const all = actionButtons(ACTION_KINDS)
    // adoptMasterReply is the server's own step (首问负责): Rust never offers it, so it has no slot.
    expect(all.map((b) => b.kind).sort()).toEqual(ACTION_KINDS.filter((k) => k !== 'adoptMasterReply').sort())
    for (const k of ACTION_KINDS) expect(ACTION_FIELDS[k]).toBeDefined()
  })
})

describe('what the form checks before asking the domain', () => {
  const now = new Date('2026-11-26T08:00:00Z')

  it('texts are not judged here: empty or long, the domain answers (actionCheck)', () => {
    expect(validateAction('submitReply', { reply: '   ' })).toEqual({})
    expect(validateAction('return', { reason: '' })).toEqual({})
    expect(validateAction('addNote', { text: '字'.repeat(20_000) })).toEqual({})
  })

  it('an extension cannot be built without a date', () => {
    expect(validateAction('requestExtension', { reason: '', until: null })).toEqual({ until: 'form.required' })
    expect(validateAction('requestExtension', { reason: '需复核', until: new Date('2026-11-30T08:00:00Z') })).toEqual({})
  })

  it('assign needs an assignee; dispatch needs category, type and unit', () => {
    expect(validateAction('assign', { assignee: '' })).toEqual({ assignee: 'form.required' })
    const errors = validateAction('dispatch', initialValues('dispatch', now))
    expect(Object.keys(errors).sort()).toEqual(['category', 'handlingUnit', 'requestType'])
  })

  it('a duplicate link needs a chosen master; what the master may be is the domain\'s to say', () => {
    expect(validateAction('linkDuplicate', { master: '' })).toEqual({ master: 'form.required' })
    expect(validateAction('linkDuplicate', initialValues('linkDuplicate', now))).toEqual({ master: 'form.required' })
    expect(validateAction('linkDuplicate', { master: '0190f0a0-0000-7000-8000-000000000009' })).toEqual({})
  })

  it('a domain refusal lands on the form field it names', () => {
    expect(formFieldOf('submitReply', 'text')).toBe('reply')
    expect(formFieldOf('addNote', 'text')).toBe('text')
    expect(formFieldOf('assign', 'officer')).toBe('assignee')
    expect(formFieldOf('recordInvestigation', 'department')).toBe('investigator')
    expect(formFieldOf('return', 'reason')).toBe('reason')
    expect(formFieldOf('approve', '')).toBeNull()
  })
})

describe('building the domain action', () => {
  it('maps form fields to the action payload', () => {
    expect(buildAction('submitReply', { reply: ' 已处理 ' })).toEqual({ type: 'submitReply', text: '已处理' })
    expect(buildAction('approve', { comment: '' })).toEqual({ type: 'approve', comment: null })
    expect(buildAction('signIn', {})).toEqual({ type: 'signIn' })
    const until = new Date('2026-11-30T08:00:00Z')
    expect(buildAction('requestExtension', { reason: '需复核', until })).toEqual({
      type: 'requestExtension',
      reason: '需复核',
      until: '2026-11-30T08:00:00.000Z',
    })
  })

  it('resolves the assignee to id, unit and role', () => {
    const users = [{ id: 'u1', unitId: 'unit1', role: 'officer' }]
    expect(buildAction('assign', { assignee: 'u1' }, users)).toEqual({
      type: 'assign',
      officer: { id: 'u1', unit: 'unit1', role: 'officer' },
    })
  })

  it('builds a dispatch order with flags', () => {
    const a = buildAction('dispatch', {
      category: '噪音扰民',
      requestType: '投诉',
      handlingUnit: 'h',
      supervisingUnit: '',
      urgency: '特急',
      policeComplaint: true,
      important: false,
    })
    expect(a).toEqual({
      type: 'dispatch',
      handlingUnit: 'h',
      supervisingUnit: null,
      coUnits: [],
      category: '噪音扰民',
      requestType: '投诉',
      urgency: '特急',
      flags: { policeComplaint: true, important: false },
    })
  })

  it('splits consultation participants on Chinese and Latin separators', () => {
    expect(buildAction('consult', { participants: '张三，李四、王五', summary: '纪要' })).toEqual({
      type: 'consult',
      participants: ['张三', '李四', '王五'],
      summary: '纪要',
    })
  })
})
