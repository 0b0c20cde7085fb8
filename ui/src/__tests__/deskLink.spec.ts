import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it } from 'vitest'
import type { CaseRow, LocalCaseQuery } from '@/api'
import { findCaseByNumber } from '@/components/caseLookup'
import { mockCommands, sampleCase, sampleLocal } from './helpers'
import { $, assistAnswer, click, lastAct, mountDesk, type } from './deskFixtures'

const row = (id: string, number: string | null, title: string): CaseRow => ({
  id,
  number,
  title,
  state: 'inProgress',
  handlingUnit: null,
  receivedAt: '2026-11-20T01:00:00Z',
  version: 1,
  pendingCommands: 0,
  category: null,
  channel: null,
  urgency: null,
  deadline: null,
  overdue: false,
  dueSoon: false,
  warnAt: null,
  remainingMinutes: null,
})

const MASTER = '0190f0a0-0000-7000-8000-000000000042'
const CACHE: CaseRow[] = [
  row('0190f0a0-0000-7000-8000-000000000040', null, '离线登记未编号'),
  row('0190f0a0-0000-7000-8000-000000000041', 'MS202611200001', '小区停车难'),
  row(MASTER, 'MS202611200002', '夜间装修噪音'),
  row('0190f0a0-0000-7000-8000-000000000043', 'MS202611210001', '身份证补办咨询'),
  row('0190f0a0-0000-7000-8000-000000000044', 'MS202611230005', '电动车被盗'),
]

/** `cases_list` as the cache answers it: a number-shaped keyword (MS + digits) searches the
 * number column, any other keyword title and content. */
function fakeCache(args: Record<string, unknown>) {
  const q = args.query as LocalCaseQuery
  const k = q.keyword ?? ''
  const byNumber = /^(MS)?\d{6,}$/.test(k)
  const rows = CACHE.filter((r) => k === '' || (byNumber ? (r.number ?? '').includes(k) : r.title.includes(k)))
  return { total: rows.length, rows: rows.slice(q.offset, q.offset + q.limit), minutesPerDay: 480 }
}

const waiting = () => sampleLocal(['linkDuplicate', 'dispatch'], sampleCase({ state: 'pendingAcceptance', handlingUnit: null }))

// Element Plus dialogs and selects render slowly under happy-dom on a loaded machine.
describe('linking a duplicate without typing an id', { timeout: 20_000 }, () => {
  afterEach(() => {
    clearMocks()
    document.body.innerHTML = ''
  })

  it('resolves a case number in the cache to its id', async () => {
    const calls = mockCommands({ cases_list: fakeCache })
    expect((await findCaseByNumber(' ms2026 1120 0002 '))?.id).toBe(MASTER)
    expect((await findCaseByNumber('MS202611230005'))?.title).toBe('电动车被盗')
    expect(await findCaseByNumber('MS202611220009')).toBeNull()
    expect(calls.every((c) => c.cmd === 'cases_list')).toBe(true)
    expect(calls.length).toBeLessThan(20)
  })

  it('takes a number found by the keyword search directly', async () => {
    const calls = mockCommands({ cases_list: () => ({ total: 1, rows: [CACHE[2]], minutesPerDay: 480 }) })
    expect((await findCaseByNumber('MS202611200002'))?.id).toBe(MASTER)
    expect(calls).toHaveLength(1)
    expect((calls[0]?.args.query as LocalCaseQuery).keyword).toBe('MS202611200002')
  })

  it('finds the master by number, shows it, and queues the link with its id', async () => {
    const local = waiting()
    const { wrapper, calls } = await mountDesk(local, {
      handlers: { intake_assist: () => assistAnswer({ duplicates: [] }), cases_list: fakeCache, case_act: () => sampleLocal([]) },
    })
    await click('[data-test="action-linkDuplicate"]')
    await click('[data-test="action-submit"]')
    expect(calls.some((c) => c.cmd === 'case_act')).toBe(false) // nothing chosen yet

    await type('[data-test="dup-number"]', 'MS202611200009')
    await click('[data-test="dup-find"]')
    expect($('[data-test="dup-not-found"]')?.textContent).toContain('MS202611200009')

    await type('[data-test="dup-number"]', 'MS202611200002')
    await click('[data-test="dup-find"]')
    expect($('[data-test="dup-not-found"]')).toBeNull()
    const chosen = $('[data-test="dup-chosen"]')?.textContent ?? ''
    expect(chosen).toContain('MS202611200002')
    expect(chosen).toContain('夜间装修噪音')

    await click('[data-test="action-submit"]')
    expect(lastAct(calls)).toEqual({ id: local.case.id, action: { type: 'linkDuplicate', master: MASTER } })
    wrapper.unmount()
  })

  it('offers the system candidates and shows the domain refusal as is', async () => {
    const local = waiting()
    const { wrapper, calls } = await mountDesk(local, {
      handlers: {
        intake_assist: () => assistAnswer(),
        case_act: () => {
          throw { code: 'MASTER_MERGED', message: '主件本身已合并到其他件，请关联最初的主件' }
        },
      },
    })
    await click('[data-test="action-linkDuplicate"]')
    const cand = $('[data-test="dup-candidate"]')
    expect(cand?.textContent).toContain('MS202611250007')
    expect(cand?.textContent).toContain('同一事项')
    expect(cand?.textContent).toContain('同一来电')
    await click('[data-test="dup-candidate"]')
    expect($('[data-test="dup-chosen"]')?.textContent).toContain('泉城路夜间装修扰民')
    await click('[data-test="action-submit"]')
    expect(lastAct(calls)).toEqual({
      id: local.case.id,
      action: { type: 'linkDuplicate', master: '0190f0a0-0000-7000-8000-000000000077' },
    })
    expect(document.body.textContent).toContain('主件本身已合并到其他件，请关联最初的主件')
    wrapper.unmount()
  })

  it('opens from ?act=linkDuplicate&master= with that master chosen', async () => {
    const local = waiting()
    const master = sampleLocal([], sampleCase({ id: MASTER, number: 'MS202611200002', title: '夜间装修噪音' }))
    const { wrapper, calls } = await mountDesk(local, {
      route: `/cases/${local.case.id}?act=linkDuplicate&master=${MASTER}`,
      handlers: {
        case_get: (a) => (a.id === MASTER ? master : local),
        intake_assist: () => assistAnswer({ duplicates: [] }),
        case_act: () => sampleLocal([]),
      },
    })
    const chosen = $('[data-test="dup-chosen"]')?.textContent ?? ''
    expect(chosen).toContain('MS202611200002')
    expect(chosen).toContain('夜间装修噪音')
    await click('[data-test="action-submit"]')
    expect(lastAct(calls)).toEqual({ id: local.case.id, action: { type: 'linkDuplicate', master: MASTER } })
    wrapper.unmount()
  })
})
