// The 工作台 shows the figures it is given: the approvals queue of the Rust command the
// 审核签批 page uses, the server's 回访 queue counts, and the server's 红黑榜 bulletin.
import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { ApprovalItem, CaseRow } from '@/api'
import type { Bulletin, FollowUpQueue } from '@/api/online'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useSessionStore } from '@/stores/session'
import WorkbenchView from '@/views/WorkbenchView.vue'
import { board } from './analyticsFixtures'
import { mockCommands, settle, type Handler } from './helpers'

function caseRow(id: string, state: CaseRow['state'] = 'pendingReview'): CaseRow {
  return {
    id,
    number: `MS20261126${id.padStart(4, '0')}`,
    title: `诉求${id}`,
    state,
    handlingUnit: 'u-1',
    receivedAt: '2026-11-26T01:00:00Z',
    version: 3,
    pendingCommands: 0,
    category: '噪音扰民',
    channel: null,
    urgency: null,
    deadline: null,
    overdue: false,
    dueSoon: false,
    warnAt: null,
    remainingMinutes: null,
  }
}

function item(id: string, kind: ApprovalItem['kind'] = 'reply'): ApprovalItem {
  return { kind, row: caseRow(id), reply: null, extension: null, sensitive: false, asksVerdict: false }
}

// Published for the last complete week and month (not the current ones).
const BULLETIN: Bulletin = {
  week: { ...board('station', 'week', false).lists },
  month: { ...board('station', 'month', false).lists, red: [board().lists.red[1]!], black: [] },
}
const QUEUE: FollowUpQueue = { open: 76, phoneTasks: 9, awaiting: 67, overdue: 9 }

function signIn(role: string): void {
  useSessionStore().profile = {
    id: 'u1',
    username: role,
    displayName: '王警官',
    role,
    roleName: role,
    unitId: 'u-1',
    unitName: '泉城路派出所',
    active: true,
  }
}

function mountWith(role: string, extra: Record<string, Handler> = {}) {
  const calls = mockCommands({
    worklist_counts: () => ({ unsigned: 2, inProgress: 5, dueSoon: 1, overdue: 3 }),
    // Seven cases wait for review in scope; the list is not what the workbench counts.
    cases_list: () => ({ total: 7, rows: Array.from({ length: 7 }, (_, i) => caseRow(`${i + 1}`)), minutesPerDay: 480 }),
    approvals_queue: () => [item('1'), item('2'), item('3', 'extension'), item('3')],
    online_get: (a) => {
      const p = String(a.path)
      if (p === '/assessment/bulletin') return BULLETIN
      if (p === '/followups/queue') return QUEUE
      throw { code: 'NOT_MOCKED', message: p }
    },
    ...extra,
  })
  signIn(role)
  const w = mount(WorkbenchView, {
    attachTo: document.body,
    global: { plugins: [createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
  })
  return { w, calls }
}

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  clearMocks()
  document.body.innerHTML = ''
})

describe('WorkbenchView', () => {
  it('counts 待审核签批 with the approvals queue command, not a state filter', async () => {
    const { w, calls } = mountWith('unitHead')
    await settle()
    expect(calls.some((c) => c.cmd === 'approvals_queue')).toBe(true)
    // Four decisions wait (two replies, one case with a reply and an extension).
    expect(w.get('[data-test="approvals-title"]').text()).toBe('待审核签批（4）')
    expect(w.findAll('.block')[0]!.findAll('[data-test="case-row"]')).toHaveLength(3)
    expect(w.get('[data-test="worklist-overdue"]').text()).toContain('3')
  })

  it('shows the week and month 红黑榜 the server published, named by their periods, for every role', async () => {
    for (const role of ['officer', 'followUp', 'clerk', 'leader']) {
      const { w } = mountWith(role)
      await settle()
      const week = w.get('[data-test="bulletin-week"]')
      expect(week.get('[data-test="red-black-title"]').text()).toBe('红黑榜 · 2026年第48周')
      expect(week.findAll('[data-test="red-item"]').map((r) => r.text())).toEqual([
        expect.stringContaining('泉城路派出所'),
        expect.stringContaining('趵突泉派出所'),
      ])
      expect(week.findAll('[data-test="black-item"]')[0]!.text()).toContain('大明湖派出所')
      const month = w.get('[data-test="bulletin-month"]')
      expect(month.get('[data-test="red-black-title"]').text()).toBe('红黑榜 · 2026年11月')
      expect(month.findAll('[data-test="red-item"]')).toHaveLength(1)
      expect(month.findAll('[data-test="black-item"]')).toHaveLength(0)
      expect(week.text()).toContain('不足 5 件')
      w.unmount()
    }
  })

  it('gives the 回访员 the server’s follow-up queue counts instead of empty 民生清单 cards', async () => {
    const { w } = mountWith('followUp')
    await settle()
    expect(w.find('[data-test="worklist-overdue"]').exists()).toBe(false)
    expect(w.get('[data-test="followup-open"]').text()).toContain('76')
    expect(w.get('[data-test="followup-phoneTasks"]').text()).toContain('9')
    expect(w.get('[data-test="followup-awaiting"]').text()).toContain('67')
  })

  it('offline: keeps the local lists and says the bulletin needs the city server', async () => {
    const { w } = mountWith('officer', {
      online_get: () => {
        throw { code: 'OFFLINE', message: 'connection refused' }
      },
    })
    await settle()
    expect(w.get('[data-test="bulletin-note"]').text()).toContain('离线')
    expect(w.findAll('[data-test="red-item"]')).toHaveLength(0)
    expect(w.get('[data-test="worklist-unsigned"]').text()).toContain('2')
  })
})
