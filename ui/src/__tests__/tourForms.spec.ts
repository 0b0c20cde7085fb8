// Findings of the tour of the app: 入户走访 checked by the domain (intake_check), and the
// case list's search box and cache hint.
import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { FieldProblem, NewCase } from '@/api'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useSyncStore } from '@/stores/sync'
import CaseListView from '@/views/CaseListView.vue'
import HomeVisitView from '@/views/HomeVisitView.vue'
import { mockCommands, sampleCase, sampleLocal, settle, type Handler } from './helpers'

const SYNC = { online: false, syncing: false, queued: 0, conflicts: 0, lastSyncAt: null, lastError: null, lastErrorCode: null, nextAttemptAt: null, loginRequired: false }
const COUNTS = { unsigned: 0, inProgress: 0, dueSoon: 0, overdue: 0 }
const EMPTY_PAGE = { total: 0, rows: [], minutesPerDay: 480 }

function mountView(component: typeof HomeVisitView | typeof CaseListView, handlers: Record<string, Handler>) {
  const calls = mockCommands({ sync_status: () => SYNC, worklist_counts: () => COUNTS, cases_list: () => EMPTY_PAGE, ...handlers })
  const pinia = createPinia()
  setActivePinia(pinia)
  const wrapper = mount(component, {
    attachTo: document.body,
    global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
  })
  return { wrapper, calls }
}

describe('tour: 入户走访 asks the domain', () => {
  afterEach(() => {
    clearMocks()
    document.body.innerHTML = ''
  })

  it("shows intake_check's messages under their fields and queues nothing", async () => {
    const problems: FieldProblem[] = [
      { field: 'citizenPhone', code: 'INVALID_FIELD', message: '联系电话格式不正确（手机号或带区号的座机号）' },
      { field: 'title', code: 'INVALID_FIELD', message: '诉求标题不能为空' },
      { field: 'channel', code: 'FORBIDDEN', message: '您的角色不能登记该渠道' },
    ]
    const { wrapper, calls } = mountView(HomeVisitView, { intake_check: () => problems })
    await settle()
    await wrapper.get('input[data-test="field-citizenPhone"]').setValue('123')
    await wrapper.get('form').trigger('submit')
    await settle()
    await new Promise((r) => setTimeout(r, 150)) // el-form-item shows its error debounced (100 ms)

    const check = calls.find((c) => c.cmd === 'intake_check')
    expect((check?.args.newCase as NewCase).channel).toBe('入户走访')
    expect((check?.args.newCase as NewCase).citizenPhone).toBe('123')
    const phoneItem = wrapper.get('input[data-test="field-citizenPhone"]').element.closest('.el-form-item')
    expect(phoneItem?.textContent).toContain('联系电话格式不正确（手机号或带区号的座机号）')
    const titleItem = wrapper.get('input[data-test="field-title"]').element.closest('.el-form-item')
    expect(titleItem?.textContent).toContain('诉求标题不能为空')
    expect(wrapper.get('[data-test="homevisit-other"]').text()).toContain('您的角色不能登记该渠道')
    expect(calls.some((c) => c.cmd === 'case_intake')).toBe(false)
  })

  it('queues the visit once the domain finds nothing, and clears the form', async () => {
    const created = sampleLocal([], sampleCase({ channel: '入户走访', number: null }))
    const { wrapper, calls } = mountView(HomeVisitView, { intake_check: () => [], case_intake: () => created })
    await settle()
    await wrapper.get('input[data-test="field-citizenName"]').setValue('李女士')
    await wrapper.get('input[data-test="field-title"]').setValue('楼道照明损坏')
    await wrapper.get('form').trigger('submit')
    await settle()
    const intake = calls.find((c) => c.cmd === 'case_intake')
    expect(intake).toBeDefined()
    expect(intake?.args.newCase).toMatchObject({ channel: '入户走访', citizenName: '李女士', title: '楼道照明损坏' })
    expect((wrapper.get('input[data-test="field-title"]').element as HTMLInputElement).value).toBe('')
    expect(wrapper.find('.el-form-item.is-error').exists()).toBe(false)
  })
})

describe('tour: the case list', () => {
  afterEach(() => {
    clearMocks()
    document.body.innerHTML = ''
  })

  it('says the list holds only the cached cases, with the window from the settings', async () => {
    const { wrapper } = mountView(CaseListView, {
      settings_closed_window: () => 30,
      cases_list: () => ({ total: 1133, rows: [], minutesPerDay: 480 }),
    })
    await settle()
    expect(wrapper.text()).toContain('共 1133 件')
    expect(wrapper.get('[data-test="case-cache-hint"]').text()).toBe('（仅含本机缓存：已办结超过 30 天的诉求件未缓存）')
  })

  it('keeps the search placeholder short enough for its box', async () => {
    const { wrapper } = mountView(CaseListView, { settings_closed_window: () => 30 })
    await settle()
    const placeholder = wrapper.get('input[data-test="case-search"]').attributes('placeholder') ?? ''
    expect(placeholder).toBe('标题、内容或编号（离线可用）')
    expect([...placeholder].length).toBeLessThanOrEqual(14)
  })

  it('offers 服务器检索 for the keyword online; the drawer lists the server\'s cases and pages on', async () => {
    const item = (n: number) => ({
      id: `0190f0a0-0000-7000-8000-00000000000${n}`,
      number: `MS20251102000${n}`,
      title: `去年的噪音投诉 ${n}`,
      channel: '12345市长热线',
      requestType: '投诉',
      category: '噪音扰民',
      state: 'archived',
      urgency: '普通',
      sensitive: false,
      handlingUnit: null,
      supervisingUnit: null,
      receivedAt: '2025-11-02T01:00:00Z',
      signInDeadline: null,
      replyDeadline: null,
      overdue: false,
      version: 9,
    })
    const { wrapper, calls } = mountView(CaseListView, {
      settings_closed_window: () => 30,
      sync_status: () => ({ ...SYNC, online: true }),
      cases_search_server: (a) =>
        a.cursor === null ? { items: [item(1)], nextCursor: 'next-1', total: 2 } : { items: [item(2)], nextCursor: null, total: null },
    })
    await settle()
    useSyncStore().apply({ ...SYNC, online: true })
    await wrapper.get('input[data-test="case-search"]').setValue('噪音投诉')
    await settle()
    await wrapper.get('[data-test="server-search"]').trigger('click')
    await settle()
    expect(calls.find((c) => c.cmd === 'cases_search_server')?.args).toEqual({ text: '噪音投诉', cursor: null })
    await vi.waitFor(() => expect(document.body.textContent).toContain('MS202511020001'))
    expect(document.body.textContent).toContain('共 2 件')
    document.querySelector<HTMLButtonElement>('[data-test="drawer-more"]')?.click()
    await settle()
    expect(calls.filter((c) => c.cmd === 'cases_search_server').at(-1)?.args).toEqual({ text: '噪音投诉', cursor: 'next-1' })
    await vi.waitFor(() => expect(document.body.textContent).toContain('MS202511020002'))
  })
})
