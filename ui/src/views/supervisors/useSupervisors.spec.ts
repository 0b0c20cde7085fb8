import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it } from 'vitest'
import type { Consultation, FeedbackSummary, SupervisorRecord } from '@/api/supervisors'
import { mockCommands, settle } from '@/__tests__/helpers'
import {
  answerBody,
  answerProblem,
  emptyAnswer,
  registrationProblem,
  stepsFor,
  useSupervisorRegister,
  useSupervisorTasks,
  voiceBars,
} from './useSupervisors'

const UNIT = '0190f0a0-0000-7000-8000-0000000000aa'

function supervisor(over: Partial<SupervisorRecord> = {}): SupervisorRecord {
  return {
    id: '0190f0a0-0000-7000-8000-000000000001',
    name: '甲先生',
    phone: '139****0001',
    kind: '热心群众',
    status: '候选',
    reason: '近12个月反映诉求5件',
    unitId: UNIT,
    contactPreferences: ['短信', '电话'],
    address: null,
    note: null,
    since: null,
    endedAt: null,
    proposedAt: '2026-12-07T02:00:00Z',
    proposedBy: null,
    updatedAt: '2026-12-07T02:00:00Z',
    version: 1,
    ...over,
  }
}

function task(over: Partial<Consultation> = {}): Consultation {
  return {
    id: '0190f0a0-0000-7000-8000-0000000000c1',
    roundId: '0190f0a0-0000-7000-8000-0000000000r1',
    period: '2026-12',
    supervisorId: '0190f0a0-0000-7000-8000-000000000002',
    supervisorName: '人大代表王某',
    phone: '137****0009',
    unitId: UNIT,
    channel: '电话',
    status: 'pending',
    openedAt: '2026-12-01T01:00:00Z',
    answeredAt: null,
    answeredBy: null,
    satisfaction: null,
    text: null,
    suggestion: false,
    caseId: null,
    ...over,
  }
}

afterEach(() => clearMocks())

describe('优秀监督员 page logic', () => {
  it('refuses an answer without a score, and a suggestion without text', () => {
    expect(answerProblem(emptyAnswer())).toBe('请选择满意度')
    expect(answerProblem({ satisfaction: 'satisfied', text: '  ', suggestion: true })).toBe('作为建议受理时请填写建议内容')
    expect(answerProblem({ satisfaction: 'satisfied', text: '多'.repeat(501), suggestion: false })).toBe('意见内容不能超过500字')
    expect(answerProblem({ satisfaction: 'unsatisfied', text: '', suggestion: false })).toBeNull()
    expect(answerBody({ satisfaction: 'satisfied', text: ' 加强巡逻 ', suggestion: true })).toEqual({
      satisfaction: 'satisfied',
      text: '加强巡逻',
      suggestion: true,
    })
  })

  it('offers the decisions of each status only', () => {
    expect(stepsFor('候选')).toEqual(['confirm', 'decline'])
    expect(stepsFor('已聘任')).toEqual(['retire'])
    expect(stepsFor('已解聘')).toEqual([])
    expect(stepsFor('拒绝')).toEqual([])
    expect(
      registrationProblem({ name: '王某', phone: '13700000009', kind: '人大代表', reason: '', unitId: UNIT, contactPreferences: ['电话'] }),
    ).toBe('请填写聘任理由')
  })

  it('draws the card from the server\'s counts (shares of the answers)', () => {
    const s = { answered: 4, satisfied: 2, basicallySatisfied: 1, unsatisfied: 1 } as FeedbackSummary
    expect(voiceBars(s).map((b) => [b.label, b.count, b.pct])).toEqual([
      ['满意', 2, 50],
      ['基本满意', 1, 25],
      ['不满意', 1, 25],
    ])
    expect(voiceBars({ ...s, answered: 0, satisfied: 0, basicallySatisfied: 0, unsatisfied: 0 })[0]!.pct).toBe(0)
    expect(voiceBars(null)).toEqual([])
  })

  it('loads the register, lists the candidates and replaces a row after a decision', async () => {
    const calls = mockCommands({
      online_get: (a) => {
        const path = a.path as string
        if (path.startsWith('/supervisors/rounds')) return []
        if (path.startsWith('/supervisors/consultations')) return []
        return [supervisor(), supervisor({ id: '0190f0a0-0000-7000-8000-000000000005', status: '已聘任', name: '乙女士' })]
      },
      online_post: (a) => {
        expect(a.path).toBe('/supervisors/0190f0a0-0000-7000-8000-000000000001/decision')
        expect(a.body).toEqual({ version: 1, step: 'confirm', note: undefined })
        return supervisor({ status: '已聘任', version: 2 })
      },
    })
    const reg = useSupervisorRegister()
    await reg.load()
    await settle()
    expect(reg.state.value).toBe('ready')
    expect(reg.candidates.value.map((r) => r.name)).toEqual(['甲先生'])
    await reg.decide(reg.rows.value[0]!, 'confirm')
    expect(reg.candidates.value).toEqual([])
    expect(reg.rows.value[0]!.version).toBe(2)
    expect(calls.filter((c) => c.cmd === 'online_post')).toHaveLength(1)
  })

  it('records a task once and shows the server\'s refusal in Chinese', async () => {
    let answered = false
    mockCommands({
      online_get: () => [task()],
      online_post: () => {
        if (answered) throw { code: 'CONSULTATION_ANSWERED', message: '该监督员本轮意见已记录，不能重复记录' }
        answered = true
        return task({ status: 'answered', satisfaction: 'satisfied', suggestion: true, caseId: '0190f0a0-0000-7000-8000-0000000000ca' })
      },
    })
    const t = useSupervisorTasks()
    await t.load()
    expect(t.pending.value).toHaveLength(1)
    const form = { satisfaction: 'satisfied' as const, text: '学校门口增设护学岗', suggestion: true }
    const saved = await t.answer(t.pending.value[0]!, form)
    expect(saved.caseId).not.toBeNull()
    expect(t.pending.value).toHaveLength(0)
    expect(t.done.value).toHaveLength(1)
    await expect(t.answer(task(), form)).rejects.toThrow('该监督员本轮意见已记录，不能重复记录')
    await expect(t.answer(task(), emptyAnswer())).rejects.toThrow('请选择满意度')
  })
})
