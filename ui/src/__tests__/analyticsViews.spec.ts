import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { Component } from 'vue'
import type { AlertRecord, FollowUpRecord } from '@/api/online'
import { createAppI18n } from '@/i18n'
import { navItems } from '@/navigation'
import { createAppRouter } from '@/router'
import { useSessionStore } from '@/stores/session'
import AlertsView from '@/views/analytics/AlertsView.vue'
import AssessmentView from '@/views/analytics/AssessmentView.vue'
import DashboardView from '@/views/analytics/DashboardView.vue'
import FollowUpQueueView from '@/views/analytics/FollowUpQueueView.vue'
import { board, dashboard, OFFLINE, view } from './analyticsFixtures'
import { capsOf, mockCommands, settle } from './helpers'

let pinia: Pinia

function mountView(c: Component) {
  return mount(c, {
    attachTo: document.body,
    global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
  })
}

function signIn(role: string): void {
  useSessionStore().profile = {
    id: 'u1',
    username: role,
    displayName: '王领导',
    role,
    roleName: role,
    unitId: 'unit1',
    unitName: '济南市公安局',
    active: true,
  }
}

function path(args: Record<string, unknown>): string {
  return String(args.path)
}

beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
})
afterEach(() => {
  clearMocks()
  document.body.innerHTML = ''
})

describe('navigation', () => {
  it('shows dashboards and assessment to leaders, the 回访 queue to follow-up agents', () => {
    const leader = navItems(capsOf('leader')).map((i) => i.test)
    expect(leader).toEqual(expect.arrayContaining(['dashboard', 'assessment', 'alerts']))
    // A leader reads the 回访 queue (the server lets him) but does not make the calls.
    expect(leader).toContain('followups')
    expect(leader).not.toContain('followupcall')
    const follow = navItems(capsOf('followUp')).map((i) => i.test)
    expect(follow).toContain('followups')
    expect(follow).not.toContain('assessment')
    // An officer sees his own station's figures and his own row in 考核排名 (the server scopes them).
    expect(navItems(capsOf('officer')).map((i) => i.test)).toContain('assessment')
    expect(navItems(capsOf('followUp')).map((i) => i.test)).not.toContain('dashboard')
  })
})

describe('AssessmentView', () => {
  it('lists the board with ranking movement arrows and red/black lists', { timeout: 30_000 }, async () => {
    mockCommands({ online_get: () => board() })
    signIn('leader')
    const w = mountView(AssessmentView)
    await settle()
    expect(w.findAll('[data-test="assessment-row"]')).toHaveLength(5)
    const moves = w.findAll('[data-test="movement"]').map((m) => m.text())
    expect(moves).toEqual(['▲ 2', '▼ 1', '新上榜', '—', ''])
    expect(w.find('[data-test="movement"]').classes()).toContain('up')
    expect(w.text()).toContain('87.5%')
    expect(w.text()).toContain('88.25')
    expect(w.get('[data-test="period-label"]').text()).toBe('2026年11月')
    // The lists are the server's (never split here), titled with the period.
    expect(w.findAll('[data-test="red-item"]').map((r) => r.text())[0]).toContain('▲2')
    expect(w.findAll('[data-test="black-item"]').map((r) => r.text())[0]).toContain('大明湖派出所')
    expect(w.get('[data-test="red-black-title"]').text()).toBe('红黑榜 · 本月')
    // Below the minimum volume: listed with the reason, no rank.
    expect(w.findAll('[data-test="unranked"]')).toHaveLength(1)
  })

  it('reloads for the period picked (week / year) and for the officer level', { timeout: 30_000 }, async () => {
    const calls = mockCommands({
      online_get: (a) => {
        const q = new URLSearchParams(path(a).split('?')[1])
        return board((q.get('level') ?? 'station') as 'station', (q.get('period') ?? 'month') as 'month')
      },
    })
    signIn('leader')
    const w = mountView(AssessmentView)
    await settle()
    await w.get('[data-test="period-week"] input').trigger('change')
    await settle()
    expect(path(calls.at(-1)!.args)).toMatch(/^\/assessment\/scores\?period=week&date=\d{4}-\d{2}-\d{2}&level=station$/)
    expect(w.get('[data-test="period-label"]').text()).toBe('2026年第48周')
    expect(w.get('[data-test="red-black-title"]').text()).toBe('红黑榜 · 本周')
    await w.get('[data-test="period-year"] input').trigger('change')
    await settle()
    expect(path(calls.at(-1)!.args)).toContain('period=year')
    expect(w.get('[data-test="red-black-title"]').text()).toBe('红黑榜 · 本年')
    await w.get('[data-test="level-officer"] input').trigger('change')
    await settle()
    expect(path(calls.at(-1)!.args)).toContain('level=officer')
    const before = path(calls.at(-1)!.args)
    await w.get('[data-test="period-prev"]').trigger('click')
    await settle()
    expect(path(calls.at(-1)!.args)).not.toBe(before)
  })

  it('shows the offline state instead of an error when the city is unreachable', async () => {
    mockCommands({
      online_get: () => {
        throw OFFLINE
      },
    })
    signIn('leader')
    const w = mountView(AssessmentView)
    await settle()
    expect(w.get('[data-test="analytics-offline"]').text()).toContain('离线：统计数据需要连接市局服务器')
    expect(w.find('[data-test="analytics-error"]').exists()).toBe(false)
    expect(w.text()).not.toContain('connection refused')
    expect(w.get('[data-test="assessment-export"]').attributes('disabled')).toBeDefined()
  })

  it('opens the cases behind a number', { timeout: 30_000 }, async () => {
    const calls = mockCommands({
      online_get: (a) =>
        path(a).startsWith('/assessment/explain')
          ? {
              period: board().period,
              metric: 'overdue',
              asOf: '2026-11-26T02:00:00Z',
              total: 1,
              items: [{ caseId: 'c-1', number: 'MS202611260001', title: '楼上夜间装修噪音', stint: null, counts: null }],
            }
          : board(),
    })
    signIn('leader')
    const w = mountView(AssessmentView)
    await settle()
    await w.findAll('a.num.bad')[0]!.trigger('click')
    await settle()
    expect(path(calls.at(-1)!.args)).toContain('metric=overdue&unit=u-1')
    expect(document.body.textContent).toContain('MS202611260001')
  })
})

describe('DashboardView', () => {
  it('draws the chart panels and the KPIs from the analytics answers', { timeout: 30_000 }, async () => {
    mockCommands({
      online_get: (a) => {
        const p = path(a)
        if (p.startsWith('/dashboard')) return dashboard()
        const by = new URLSearchParams(p.split('?')[1]).get('by') as 'category'
        return view(by, [
          ['噪音扰民', 1200],
          ['交通管理', 800],
        ])
      },
    })
    signIn('leader')
    const w = mountView(DashboardView)
    await settle()
    for (const id of ['category', 'line', 'trend', 'satisfaction']) {
      expect(w.find(`[data-test="dashboard-chart-${id}"]`).exists()).toBe(true)
    }
    // The KPIs are the server's totals (the buckets sum to 2,000; 7 more have no category).
    expect(w.get('[data-test="kpi-received"]').text()).toBe('2,007')
    expect(w.get('[data-test="kpi-closed"]').text()).toBe('321')
    expect(w.get('[data-test="kpi-satisfaction"]').text()).toBe('92.0%')
    expect(w.get('[data-test="missing-category"]').text()).toContain('7')
    // 本期逾期 is the assessment's figure; 当前已逾期 the 民生清单's, each labelled.
    expect(w.get('[data-test="kpi-period-overdue"]').text()).toBe('15')
    expect(w.get('[data-test="kpi-live-overdue"]').text()).toBe('1')
    expect(w.findAll('[data-test="red-item"]')).toHaveLength(2)
    expect(w.findAll('[data-test="black-item"]')).toHaveLength(2)
    expect(w.get('[data-test="red-black-title"]').text()).toBe('红黑榜 · 本月')
    expect(w.get('[data-test="report-row"]').text()).toContain('周报')
  })

  it('asks for the lists of the period picked and titles them by it', { timeout: 30_000 }, async () => {
    let past = false
    const calls = mockCommands({
      online_get: (a) => {
        const p = path(a)
        const q = new URLSearchParams(p.split('?')[1])
        if (p.startsWith('/dashboard')) return dashboard((q.get('period') ?? 'month') as 'month', !past)
        return view((q.get('by') ?? 'category') as 'category', [['噪音扰民', 3]])
      },
    })
    signIn('leader')
    const w = mountView(DashboardView)
    await settle()
    await w.get('[data-test="period-year"] input').trigger('change')
    await settle()
    const asked = calls.map((c) => path(c.args)).filter((p) => p.startsWith('/dashboard'))
    expect(asked.at(-1)).toMatch(/^\/dashboard\?period=year&date=\d{4}-\d{2}-\d{2}$/)
    expect(w.get('[data-test="red-black-title"]').text()).toBe('红黑榜 · 本年')
    await w.get('[data-test="period-week"] input').trigger('change')
    await settle()
    expect(w.get('[data-test="red-black-title"]').text()).toBe('红黑榜 · 本周')
    // A past period is named by its label, never 本周/本月/本年.
    past = true
    await w.get('[data-test="period-prev"]').trigger('click')
    await settle()
    expect(w.get('[data-test="red-black-title"]').text()).toBe('红黑榜 · 2026年第48周')
  })

  it('shows the offline state', async () => {
    mockCommands({
      online_get: () => {
        throw OFFLINE
      },
    })
    signIn('leader')
    const w = mountView(DashboardView)
    await settle()
    expect(w.text()).toContain('离线：统计数据需要连接市局服务器')
    expect(w.find('[data-test="dashboard-chart-category"]').exists()).toBe(false)
  })
})

describe('AlertsView', () => {
  it('lists alerts with kind and area', async () => {
    const alert: AlertRecord = {
      id: 'a1',
      kind: 'volume',
      areaKind: 'district',
      area: '历下区',
      areaName: '历下区',
      category: '噪音扰民',
      week: '2026-11-16',
      observed: 42,
      baseline: 12.5,
      statistic: 0.00001,
      message: '历下区噪音扰民本周42件，远高于前8周均值12.5件',
      raisedAt: '2026-11-23T01:00:00Z',
      units: ['u1'],
    }
    mockCommands({ online_get: () => [alert, { ...alert, id: 'a2', kind: 'dissatisfaction', baseline: 0.05, statistic: 3.2 }] })
    signIn('supervisor')
    const w = mountView(AlertsView)
    await settle()
    expect(w.findAll('[data-test="alert-row"]')).toHaveLength(2)
    expect(w.text()).toContain('数量激增')
    expect(w.text()).toContain('不满意率升高')
    expect(w.text()).toContain('5.0%')
  })
})

describe('FollowUpQueueView', () => {
  const rec: FollowUpRecord = {
    id: 'f1',
    eventKey: 'k',
    caseId: 'c-1',
    level: 'l1',
    round: 0,
    serviceEventId: null,
    service: null,
    phone: '138****5678',
    status: 'phoneTask',
    createdAt: '2026-11-25T01:00:00Z',
    dueAt: '2026-11-26T01:00:00Z',
    answeredAt: null,
    satisfaction: null,
    answerText: null,
  }

  it('lists the phone tasks with cached case titles and the satisfaction stats', async () => {
    const calls = mockCommands({
      online_get: (a) =>
        path(a).startsWith('/followups/stats')
          ? [{ group: 'l1', sent: 100, answered: 80, satisfied: 70, basicallySatisfied: 6, unsatisfied: 4, phoneTasks: 5 }]
          : path(a).startsWith('/followups/queue')
            ? { open: 76, phoneTasks: 5, awaiting: 71, overdue: 5 }
            : [rec],
      case_get: () => ({ case: { number: 'MS202611250007', title: '电动车被盗' } }),
    })
    signIn('followUp')
    const w = mountView(FollowUpQueueView)
    await settle()
    expect(path(calls.find((c) => c.cmd === 'online_get')!.args)).toBe('/followups?limit=1000')
    expect(w.findAll('[data-test="followup-row"]')).toHaveLength(1)
    expect(w.text()).toContain('MS202611250007')
    expect(w.text()).toContain('一级回访')
    expect(w.get('[data-test="followup-stat"]').text()).toContain('95.0%')
    // The tab counts are the server's queue figures (the ones the 工作台 shows).
    expect(w.get('[data-test="followup-open"]').text()).toBe('待回访（76）')
    expect(w.get('[data-test="followup-phoneTask"]').text()).toBe('待电话回访（5）')
  })

  it('offline: says so and points to offline recording in the case detail', async () => {
    mockCommands({
      online_get: () => {
        throw OFFLINE
      },
    })
    signIn('followUp')
    const w = mountView(FollowUpQueueView)
    await settle()
    expect(w.text()).toContain('离线：统计数据需要连接市局服务器')
    expect(w.text()).toContain('仍可在诉求件详情中记录电话回访')
  })
})
