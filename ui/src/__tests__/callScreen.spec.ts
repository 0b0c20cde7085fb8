import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { Component } from 'vue'
import type { FollowUpRecord } from '@/api/online'
import { createAppI18n } from '@/i18n'
import { navItems } from '@/navigation'
import { createAppRouter } from '@/router'
import { useSessionStore } from '@/stores/session'
import FollowUpQueueView from '@/views/analytics/FollowUpQueueView.vue'
import CallScreenView from '@/views/followup/CallScreenView.vue'
import { callOrder } from '@/views/followup/useCallScreen'
import { capsOf, mockCommands, sampleCase, sampleLocal, settle, type Handler } from './helpers'

const CASE_ID = '0190f0a0-0000-7000-8000-000000000003'
const FULL = '13812345678'

function round(overrides: Partial<FollowUpRecord>): FollowUpRecord {
  return {
    id: 'r-case',
    eventKey: 'k',
    caseId: CASE_ID,
    level: 'l1',
    round: 0,
    serviceEventId: null,
    service: null,
    phone: '138****5678',
    status: 'phoneTask',
    createdAt: '2026-11-24T01:00:00Z',
    dueAt: '2026-11-25T01:00:00Z',
    answeredAt: null,
    satisfaction: null,
    answerText: null,
    ...overrides,
  }
}

const CASE_ROUND = round({})
const SERVICE_ROUND = round({
  id: 'r-service',
  caseId: null,
  level: null,
  serviceEventId: 'window:HZ-1',
  service: 'household',
  phone: '139****2222',
  status: 'awaiting',
  dueAt: '2026-11-26T01:00:00Z',
})

const REMOTE = {
  id: CASE_ID,
  number: 'MS202611240003',
  title: '小区门口夜间施工噪音',
  reply: { text: '已约谈施工单位，夜间停止施工。', by: 'u1', at: '2026-11-24T02:00:00Z' },
  stateName: '已办结',
  allowedActions: ['followUpAnswer', 'addNote'],
}

function path(args: Record<string, unknown>): string {
  return String(args.path)
}

/** The server's follow-up lists and reveal, the case (server and local), the tally draft. */
function handlers(opts: { allowed?: string[]; rounds?: FollowUpRecord[]; extra?: Record<string, Handler> } = {}) {
  const rounds = opts.rounds ?? [SERVICE_ROUND, CASE_ROUND]
  const local = sampleLocal((opts.allowed ?? ['followUpAnswer', 'addNote']) as never, sampleCase({ state: 'completed' }))
  return {
    online_get: (a: Record<string, unknown>) => {
      const p = path(a)
      const phone = /^\/followups\/([^/?]+)\/phone$/.exec(p)
      if (phone) return { id: phone[1], caseId: null, caseNumber: null, serviceEventId: null, status: 'phoneTask', phone: FULL }
      if (p.startsWith('/followups?status=phoneTask')) return rounds.filter((r) => r.status === 'phoneTask')
      if (p.startsWith('/followups?status=awaiting')) return rounds.filter((r) => r.status === 'awaiting')
      if (p.startsWith('/followups/stats')) return []
      if (p.startsWith('/followups/queue')) return { open: 2, phoneTasks: 1, awaiting: 1, overdue: 1 }
      if (p.startsWith('/followups')) return rounds
      throw { code: 'NOT_MOCKED', message: p }
    },
    case_remote: () => REMOTE,
    case_get: () => local,
    case_act: () => ({ ...local, pending: ['cmd-1'], allowedActions: [] }),
    draft_load: () => null,
    draft_save: () => null,
    ...opts.extra,
  } satisfies Record<string, Handler>
}

async function mountView(view: Component, h: Record<string, Handler>) {
  const calls = mockCommands(h)
  const pinia = createPinia()
  setActivePinia(pinia)
  // A 回访员 is signed in: the queue offers 开始回访 and 记录回访 to roles that make calls.
  useSessionStore().profile = {
    id: 'u-fu',
    username: 'followup',
    displayName: '周晓燕',
    role: 'followUp',
    roleName: '回访员',
    unitId: 'unit-office',
    unitName: '民生警务平台办公室',
    active: true,
  }
  const wrapper = mount(view, {
    attachTo: document.body,
    global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
  })
  await settle()
  return { wrapper, calls }
}

const $ = (sel: string): HTMLElement | null => document.querySelector<HTMLElement>(sel)
const text = (sel: string): string => $(sel)?.textContent?.trim() ?? ''
async function click(sel: string): Promise<void> {
  const el = $(sel)
  if (!el) throw new Error(`no ${sel}`)
  el.click()
  await settle()
}
async function typeNote(value: string): Promise<void> {
  const el = document.querySelector<HTMLTextAreaElement>('textarea[data-test="answer-note"], [data-test="answer-note"] textarea')
  if (!el) throw new Error('no note')
  el.value = value
  el.dispatchEvent(new Event('input'))
  await settle()
}
const reveals = (calls: { cmd: string; args: Record<string, unknown> }[]) =>
  calls.filter((c) => c.cmd === 'online_get' && path(c.args).endsWith('/phone'))

afterEach(() => {
  clearMocks()
  document.body.innerHTML = ''
})

describe('电话回访 call screen', { timeout: 30_000 }, () => {
  it('orders phone tasks first, then awaiting, oldest due first; the 回访员 sees it in the menu', () => {
    const later = round({ id: 'late', dueAt: '2026-11-27T00:00:00Z' })
    const early = round({ id: 'early', status: 'awaiting', dueAt: '2026-11-20T00:00:00Z' })
    const done = round({ id: 'done', status: 'answered' })
    expect(callOrder([early, done, later, CASE_ROUND]).map((r) => r.id)).toEqual(['r-case', 'late', 'early'])
    expect(navItems(capsOf('followUp')).map((i) => i.path)).toContain('/followups/call')
    expect(navItems(capsOf('officer')).map((i) => i.path)).not.toContain('/followups/call')
  })

  it('shows the case, its reply and the standard questions; reveals once per click and forgets the number on the next case', async () => {
    const { wrapper, calls } = await mountView(CallScreenView, handlers())
    expect(text('[data-test="call-number"]')).toBe('MS202611240003')
    expect(text('[data-test="call-title"]')).toBe('小区门口夜间施工噪音')
    expect(text('[data-test="call-reply"]')).toBe('已约谈施工单位，夜间停止施工。')
    expect(document.body.textContent).toContain('群众：李女士')
    expect(document.querySelectorAll('[data-test="call-question"]')).toHaveLength(3)
    expect(document.body.textContent).toContain('对处理结果是否满意')
    expect(document.body.textContent).toContain('民警服务态度')
    expect(document.body.textContent).toContain('是否还有其他诉求')
    expect(text('[data-test="call-counter"]')).toBe('今日已回访 0 件 / 待回访 2 件')
    expect(text('[data-test="call-phone"]')).toBe('138****5678')
    expect(reveals(calls)).toHaveLength(0)

    await click('[data-test="call-reveal"]')
    expect(reveals(calls).map((c) => path(c.args))).toEqual(['/followups/r-case/phone'])
    expect(text('[data-test="call-phone-full"]')).toBe(FULL)
    expect(text('[data-test="call-audited"]')).toContain('本次查看已记入审计日志')
    await click('[data-test="call-reveal"]')
    expect(reveals(calls)).toHaveLength(2)

    // 未接通: the next case is shown, without the number.
    await click('[data-test="call-later"]')
    expect(text('[data-test="call-number"]')).toBe('户政业务回访')
    expect(text('[data-test="call-service"]')).toContain('业务编号：window:HZ-1')
    expect(document.body.textContent).not.toContain(FULL)
    expect(text('[data-test="call-phone"]')).toBe('139****2222')
    expect(reveals(calls)).toHaveLength(2)
    wrapper.unmount()
    expect(document.body.textContent).not.toContain(FULL)
  })

  it('records the answer as the queued phone 回访 action and moves to the next case', async () => {
    const { calls } = await mountView(CallScreenView, handlers())
    await click('[data-test="call-reveal"]')
    // No answer chosen yet: nothing is recorded.
    await click('[data-test="call-save"]')
    expect(calls.filter((c) => c.cmd === 'case_act')).toHaveLength(0)
    expect(document.body.textContent).toContain('请先选择回访结果')

    await click('[data-test="answer-basicallySatisfied"]')
    await typeNote('  希望以后提前告知施工时间 ')
    await click('[data-test="call-save"]')
    const acts = calls.filter((c) => c.cmd === 'case_act')
    expect(acts).toEqual([
      {
        cmd: 'case_act',
        args: {
          id: CASE_ID,
          action: { type: 'followUpAnswer', satisfaction: 'basicallySatisfied', channel: 'phone', note: '希望以后提前告知施工时间' },
        },
      },
    ])
    expect(document.body.textContent).toContain('已保存：MS202611240003 — 基本满意（已存入本机，联网后自动上传）')
    const results = [...document.querySelectorAll('[data-test="call-row-result"]')].map((e) => e.textContent?.trim())
    expect(results).toEqual(['基本满意 · 电话回访（待上传）'])
    expect(text('[data-test="call-counter"]')).toBe('今日已回访 1 件 / 待回访 1 件')
    // The next case, with a fresh answer and no number.
    expect(text('[data-test="call-number"]')).toBe('户政业务回访')
    expect(document.body.textContent).not.toContain(FULL)
    expect($('[data-test="answer-basicallySatisfied"]')?.getAttribute('aria-checked')).toBe('false')
    // The day's tally is kept in the encrypted cache: round ids and answers only.
    const saved = calls.filter((c) => c.cmd === 'draft_save').at(-1)?.args
    expect(saved?.name).toBe('followup.callTally')
    expect(JSON.stringify(saved?.value)).toContain('r-case')
    expect(JSON.stringify(saved?.value)).not.toContain(FULL)
  })

  it('offers no saving when Rust does not allow the 回访 action on the case', async () => {
    const { calls } = await mountView(CallScreenView, handlers({ allowed: ['addNote'], rounds: [CASE_ROUND] }))
    expect($('[data-test="call-not-allowed"]')).not.toBeNull()
    await click('[data-test="answer-satisfied"]')
    expect($('[data-test="call-save"]')?.hasAttribute('disabled')).toBe(true)
    await click('[data-test="call-save"]')
    expect(calls.filter((c) => c.cmd === 'case_act')).toHaveLength(0)
  })

  it('answers a window-service round through the server endpoint', async () => {
    const posted: unknown[] = []
    const { calls } = await mountView(
      CallScreenView,
      handlers({
        rounds: [SERVICE_ROUND],
        extra: {
          online_post: (a) => {
            posted.push(a)
            return { ...SERVICE_ROUND, status: 'answered', satisfaction: 'unsatisfied', answerText: '电话回访' }
          },
        },
      }),
    )
    expect(text('[data-test="call-number"]')).toBe('户政业务回访')
    expect(calls.filter((c) => c.cmd === 'case_remote')).toHaveLength(0)
    await click('[data-test="answer-unsatisfied"]')
    await click('[data-test="call-save"]')
    expect(posted).toEqual([{ path: '/followups/r-service/answer', body: { satisfaction: 'unsatisfied', note: null } }])
    expect(calls.filter((c) => c.cmd === 'case_act')).toHaveLength(0)
    expect(document.body.textContent).toContain('已保存：户政业务回访 — 不满意')
    expect(text('[data-test="call-row-result"]')).toBe('不满意 · 电话回访')
    expect(text('[data-test="call-counter"]')).toBe('今日已回访 1 件 / 待回访 0 件')
    expect($('[data-test="call-none"]')?.textContent).toContain('队列中的回访已全部完成')
  })

  it("shows the server's refusal of a second answer on the row and moves on", async () => {
    const second = round({ ...SERVICE_ROUND, id: 'r-service-2', dueAt: '2026-11-27T01:00:00Z' })
    await mountView(
      CallScreenView,
      handlers({
        rounds: [SERVICE_ROUND, second],
        extra: {
          online_post: () => {
            throw { code: 'FOLLOWUP_ANSWERED', message: '该回访已记录结果，不能重复记录' }
          },
        },
      }),
    )
    await click('[data-test="answer-satisfied"]')
    await click('[data-test="call-save"]')
    expect(document.body.textContent).toContain('该回访已记录结果，不能重复记录')
    expect(text('[data-test="call-row-result"]')).toBe('已有结果')
    expect(text('[data-test="call-counter"]')).toBe('今日已回访 0 件 / 待回访 1 件')
  })
})

describe('回访工作台 记录回访', { timeout: 30_000 }, () => {
  it('links to the call screen and records an answer in a dialog with a visible result', async () => {
    const posted: unknown[] = []
    const { wrapper } = await mountView(
      FollowUpQueueView,
      handlers({
        extra: {
          online_post: (a) => {
            posted.push(a)
            return { ...SERVICE_ROUND, status: 'answered', satisfaction: 'satisfied', answerText: '电话回访' }
          },
        },
      }),
    )
    expect($('[data-test="followup-start"]')?.textContent).toContain('开始回访')
    const recordButtons = () => [...document.querySelectorAll<HTMLElement>('[data-test="followup-record"]')]
    expect(recordButtons()).toHaveLength(2)

    // The case round: its queued 回访 action.
    recordButtons()[0]!.click()
    await settle()
    expect($('[data-test="answer-dialog"]')).not.toBeNull()
    await click('.el-dialog [data-test="answer-satisfied"]')
    await click('[data-test="answer-save"]')
    expect(document.body.textContent).toContain('已保存：MS202611240003 — 满意')
    expect(text('[data-test="followup-result"]')).toBe('满意 · 电话回访（待上传）')
    expect(recordButtons()).toHaveLength(1)

    // The window-service round: the server's endpoint, the row replaced by its answer.
    recordButtons()[0]!.click()
    await settle()
    await click('.el-dialog [data-test="answer-basicallySatisfied"]')
    await click('[data-test="answer-save"]')
    expect(posted).toEqual([{ path: '/followups/r-service/answer', body: { satisfaction: 'basicallySatisfied', note: null } }])
    expect(recordButtons()).toHaveLength(0)
    expect(document.querySelectorAll('[data-test="followup-result"]')).toHaveLength(2)
    wrapper.unmount()
  })
})
