import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it } from 'vitest'
import type { AccountabilityDetail, AccountabilityRecord } from '@/api/online'
import { capsOf, mockCommands } from '@/__tests__/helpers'
import { ACTION_FIELDS, buildAction } from '@/domain/actionForms'
import { navItems } from '@/navigation'
import { formFor, missing, stepOf, useAccountability, type StepForm } from './useAccountability'

const UNIT = '0190f0a0-0000-7000-8000-00000000b001'
const OFFICER = '0190f0a0-0000-7000-8000-00000000c001'

function record(id: string, over: Partial<AccountabilityRecord> = {}): AccountabilityRecord {
  return {
    id,
    caseId: `0190f0a0-0000-7000-8000-0000000${id.slice(-5)}`,
    caseNumber: 'MS202612070001',
    caseTitle: '反映民警出警态度恶劣',
    unitId: UNIT,
    verdict: 'substantiated',
    source: 'signOff',
    verdictText: '经核实',
    openedAt: '2026-12-07T01:00:00Z',
    state: 'investigating',
    proposedOfficers: [OFFICER],
    officers: [],
    finding: null,
    decision: null,
    version: 1,
    ...over,
  }
}

function detail(r: AccountabilityRecord, allowedSteps: string[]): AccountabilityDetail {
  return {
    record: r,
    entries: [],
    chainValid: true,
    timeline: [],
    officerOptions: [
      { id: OFFICER, name: '民警 张伟', proposed: true },
      { id: '0190f0a0-0000-7000-8000-00000000c002', name: '所长 陈志强', proposed: false },
    ],
    allowedSteps,
    sanctions: ['criticalEducation', 'admonitoryTalk', 'circularCriticism'],
  }
}

const ID = '0190f0a0-0000-7000-8000-00000000a001'

afterEach(() => clearMocks())

describe('责任倒查 page logic', () => {
  it('is in the menu of the roles the domain gives the capability, and no one else', () => {
    mockCommands({})
    const has = (role: string) => navItems(capsOf(role)).some((i) => i.path === '/accountability')
    expect(has('inspector')).toBe(true)
    expect(has('leader')).toBe(true)
    for (const role of ['admin', 'clerk', 'officer', 'unitHead', 'supervisor', 'followUp']) expect(has(role)).toBe(false)
  })

  it('asks a 涉警投诉 whether it is true at its sign-off and investigation, and sends it only when chosen', () => {
    const only = (k: 'approve' | 'recordInvestigation') => ACTION_FIELDS[k].filter((f) => f.policeComplaintOnly).map((f) => f.name)
    expect(only('approve')).toEqual(['verdict'])
    expect(only('recordInvestigation')).toEqual(['verdict'])
    expect(buildAction('approve', { comment: '同意', verdict: 'partlySubstantiated' })).toEqual({
      type: 'approve',
      comment: '同意',
      verdict: 'partlySubstantiated',
    })
    expect(buildAction('approve', { comment: '', verdict: '' })).toEqual({ type: 'approve', comment: null })
  })

  it('says what a step still lacks and sends only that step', () => {
    const f: StepForm = { kind: 'establish', officers: [], finding: '', sanction: null, note: '', reason: '' }
    expect(missing(f)).toBe('acc.pickOfficers')
    f.officers = [OFFICER]
    expect(missing(f)).toBe('acc.finding')
    f.finding = '  言语生硬  '
    expect(missing(f)).toBeNull()
    expect(stepOf(f)).toEqual({ type: 'establish', officers: [OFFICER], finding: '言语生硬' })
    f.kind = 'decide'
    expect(missing(f)).toBe('acc.sanction')
    f.sanction = 'admonitoryTalk'
    expect(missing(f)).toBe('acc.note')
    f.note = '诫勉谈话一次'
    expect(stepOf(f)).toEqual({ type: 'decide', sanction: 'admonitoryTalk', note: '诫勉谈话一次' })
    f.kind = 'dismiss'
    expect(missing(f)).toBe('acc.reason')
  })

  it('starts the form from the server: its first allowed step and the proposed officers', () => {
    const d = detail(record(ID), ['establish'])
    expect(formFor(d)).toMatchObject({ kind: 'establish', officers: [OFFICER], finding: '' })
    const decided = detail(record(ID, { state: 'decided' }), [])
    expect(formFor(decided).kind).toBeNull()
  })

  it('pages by offset, opens a record, steps from its version and reloads a stale one', async () => {
    const all = Array.from({ length: 60 }, (_, i) => record(`0190f0a0-0000-7000-8000-0000000${String(10000 + i)}`))
    let stale = false
    const calls = mockCommands({
      online_get: (a) => {
        const path = String(a.path)
        if (path.startsWith('/accountability?')) {
          const q = new URLSearchParams(path.split('?')[1])
          const offset = Number(q.get('offset') ?? 0)
          const limit = Number(q.get('limit'))
          return { items: all.slice(offset, offset + limit), total: all.length, officerCounts: [{ officer: { id: OFFICER, name: '民警 张伟', unit: UNIT }, decided: 2 }] }
        }
        return detail(record(all[0]!.id, { version: stale ? 2 : 1 }), ['establish'])
      },
      online_post: (a) => {
        if (stale) throw { code: 'STALE_VERSION', message: '内容已被他人修改（当前版本 2），请刷新后重试' }
        const body = a.body as { step: { officers: string[]; finding: string }; version: number }
        return detail(record(all[0]!.id, { state: 'established', version: body.version + 1, finding: body.step.finding }), ['establish', 'decide'])
      },
    })
    const acc = useAccountability()
    acc.filterState.value = 'investigating'
    await acc.load()
    expect(calls[0]?.args.path).toBe('/accountability?state=investigating&offset=0&limit=50')
    expect(acc.rows.value).toHaveLength(50)
    expect(acc.more.value).toBe(true)
    expect(acc.officerCounts.value).toEqual([{ name: '民警 张伟', decided: 2 }])
    await acc.loadMore()
    expect(calls.at(-1)?.args.path).toBe('/accountability?state=investigating&offset=50&limit=50')
    expect(acc.rows.value).toHaveLength(60)
    expect(acc.more.value).toBe(false)

    await acc.open(all[0]!.id)
    expect(acc.form.value?.officers).toEqual([OFFICER])
    const say = (k: string) => `请填写${k}`
    expect(await acc.submit(say)).toEqual({ ok: false, stale: false })
    expect(acc.formError.value).toBe('请填写acc.finding')
    acc.form.value!.finding = '出警时言语生硬'
    expect(await acc.submit(say)).toEqual({ ok: true, stale: false })
    expect(calls.at(-1)).toEqual({
      cmd: 'online_post',
      args: { path: `/accountability/${all[0]!.id}/steps`, body: { step: { type: 'establish', officers: [OFFICER], finding: '出警时言语生硬' }, version: 1 } },
    })
    expect(acc.rows.value[0]?.state).toBe('established')
    expect(acc.detail.value?.allowedSteps).toEqual(['establish', 'decide'])

    stale = true
    acc.form.value!.finding = '补充认定'
    expect(await acc.submit(say)).toEqual({ ok: false, stale: true })
    expect(acc.detail.value?.record.version).toBe(2)
  })
})
