import { describe, expect, it } from 'vitest'
import { sampleCase, sampleLocal } from './helpers'
import { assistDraft, suggestedValues } from '@/components/useCaseAssist'
import { unitOptionGroups } from '@/components/unitGroups'
import { buildAction, initialValues, validateAction } from '@/domain/actionForms'
/** The city's category list as the cache holds it (the shipped defaults). */
const LISTED = ['治安管理', '噪音扰民', '交通管理', '车驾管', '户政管理', '出入境']
import { assistAnswer, CITY, JFL, LIXIA, QCL, TRAFFIC, TRAFFIC_LX, UNITS } from './deskFixtures'

describe('dispatch order with 联办 co-units', () => {
  const base = { category: '噪音扰民', requestType: '投诉', handlingUnit: QCL, supervisingUnit: LIXIA, urgency: '普通' }

  it('sends the chosen co-units as plain unit ids (DispatchOrder.coUnits)', () => {
    expect(buildAction('dispatch', { ...base, coUnits: [JFL, TRAFFIC_LX] })).toMatchObject({
      type: 'dispatch',
      handlingUnit: QCL,
      coUnits: [JFL, TRAFFIC_LX],
    })
    expect(buildAction('redispatch', { ...base, coUnits: [JFL], reason: '辖区调整' })).toMatchObject({
      type: 'redispatch',
      order: { handlingUnit: QCL, coUnits: [JFL] },
      reason: '辖区调整',
    })
    expect(buildAction('dispatch', { ...base, coUnits: [] })).toMatchObject({ coUnits: [] })
  })

  it('opens with no co-units, and needs none', () => {
    expect(initialValues('dispatch').coUnits).toEqual([])
    expect(validateAction('dispatch', { ...base, coUnits: [] })).toEqual({})
  })
})

describe('unit pickers', () => {
  it('groups the offered levels by parent, minus the excluded units', () => {
    // Groups and options in org-code order (JN-JJ before JN-LX), like the org tree.
    expect(unitOptionGroups(UNITS, [3], [QCL])).toEqual([
      { id: TRAFFIC, label: '交警支队', options: [{ value: TRAFFIC_LX, label: '历下交警大队' }] },
      { id: LIXIA, label: '历下分局', options: [{ value: JFL, label: '解放路派出所' }] },
    ])
    const supervising = unitOptionGroups(UNITS, [1, 2])
    expect(supervising.map((g) => g.label)).toEqual(['济南市公安局'])
    expect(supervising[0]?.options.map((o) => o.value)).toEqual([CITY, TRAFFIC, LIXIA])
  })

  it('never offers a unit the admin disabled', () => {
    const units = UNITS.map((u) => (u.id === JFL ? { ...u, active: false } : u))
    const offered = unitOptionGroups(units, [3]).flatMap((g) => g.options.map((o) => o.value))
    expect(offered).not.toContain(JFL)
    expect(offered).toContain(QCL)
  })
})

describe('suggestions', () => {
  it('fill only what is empty; the supervising unit only with its handling unit', () => {
    const a = assistAnswer()
    expect(suggestedValues(a, { category: '', requestType: '投诉', handlingUnit: '', supervisingUnit: '' }, LISTED)).toEqual({
      category: '治安管理',
      handlingUnit: QCL,
      supervisingUnit: LIXIA,
    })
    expect(suggestedValues(a, { category: '噪音扰民', requestType: '', handlingUnit: JFL, supervisingUnit: '' }, LISTED)).toEqual({
      requestType: '求助',
    })
    expect(suggestedValues({ ...a, suggestion: null }, {}, LISTED)).toEqual({})
  })

  it('ignore a category outside the list (e.g. 非公安)', () => {
    const a = assistAnswer()
    const s = a.suggestion ? { ...a.suggestion, category: [{ label: '非公安', score: 0.9 }] } : null
    expect(suggestedValues({ ...a, suggestion: s }, { category: '' }, LISTED).category).toBeUndefined()
  })

  it('send the case text, never a masked phone', () => {
    const local = sampleLocal([], sampleCase({ address: null, district: null }))
    expect(assistDraft(local).citizenPhone).toBeNull()
    expect(assistDraft(local).address).toBeNull()
    const unmasked = { ...local, citizen: { ...local.citizen, phone: '13812345678', masked: false } }
    expect(assistDraft(unmasked).citizenPhone).toBe('13812345678')
  })
})
