import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { LocalCase } from '@/api'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import CaseDetailView from '@/views/CaseDetailView.vue'
import { mockCommands, sampleCase, sampleLocal, settle } from './helpers'

async function mountDetail(local: LocalCase, extra: Parameters<typeof mockCommands>[0] = {}) {
  const calls = mockCommands({
    case_get: () => local,
    org_unit_users: () => [{ id: 'u9', displayName: '赵民警', role: 'officer', unitId: local.case.handlingUnit }],
    sync_status: () => ({ online: false, syncing: false, queued: 1, conflicts: 0, lastSyncAt: null, lastError: null, nextAttemptAt: null, lastErrorCode: null, loginRequired: false }),
    worklist_counts: () => ({ unsigned: 0, inProgress: 1, dueSoon: 0, overdue: 0 }),
    ...extra,
  })
  const pinia = createPinia()
  setActivePinia(pinia)
  const wrapper = mount(CaseDetailView, {
    props: { id: local.case.id },
    attachTo: document.body,
    global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
  })
  await settle()
  return { wrapper, calls }
}

const buttons = () => [...document.querySelectorAll('[data-test^="action-"]')].map((b) => b.getAttribute('data-test'))

describe('CaseDetailView', () => {
  afterEach(() => {
    clearMocks()
    document.body.innerHTML = ''
  })

  it('shows only the actions the state machine allows, and the state label', async () => {
    const { wrapper } = await mountDetail(sampleLocal(['submitReply', 'requestExtension', 'return', 'addNote']))
    expect(wrapper.get('[data-test="case-state"]').text()).toBe('办理中')
    expect(buttons().filter((b) => b !== 'action-form' && b !== 'action-submit')).toEqual([
      'action-submitReply',
      'action-requestExtension',
      'action-return',
      'action-addNote',
    ])
    wrapper.unmount()
  })

  it('renders complaint HTML as text, never as markup', async () => {
    const { wrapper } = await mountDetail(sampleLocal([]))
    const content = wrapper.get('[data-test="case-content"]')
    expect(content.text()).toContain('<script>window.hacked = true</script>')
    expect(content.element.querySelector('script')).toBeNull()
    expect(content.element.querySelector('b')).toBeNull()
    expect((window as unknown as { hacked?: boolean }).hacked).toBeUndefined()
    expect(wrapper.text()).toContain('138****5678')
    wrapper.unmount()
  })

  it('shows the domain\'s objection under its field before queueing, then queues case_act', async () => {
    const local = sampleLocal(['return'])
    const returned = sampleLocal([], sampleCase({ state: 'pendingAcceptance' }))
    // What Rust's check answers for an empty reason (the message is the domain's).
    const check = (a: Record<string, unknown>) =>
      (a.action as { reason?: string }).reason
        ? []
        : [{ field: 'reason', code: 'INVALID_FIELD', message: '退办原因不能为空' }]
    const { wrapper, calls } = await mountDetail(local, { case_act: () => returned, case_action_check: check })
    await wrapper.get('[data-test="action-return"]').trigger('click')
    await settle()
    const submit = document.querySelector<HTMLButtonElement>('[data-test="action-submit"]')
    expect(document.querySelector('[data-test="action-form"]')).not.toBeNull()
    submit?.click()
    await settle()
    expect(calls.some((c) => c.cmd === 'case_act')).toBe(false)
    await vi.waitFor(() => expect(document.querySelector('[data-test="action-form"] .el-form-item.is-error')).not.toBeNull())
    await vi.waitFor(() => expect(document.querySelector('[data-test="item-reason"]')?.textContent).toContain('退办原因不能为空'))

    const reason = document.querySelector<HTMLTextAreaElement>('[data-test="field-reason"]')
    expect(reason).not.toBeNull()
    if (reason) {
      reason.value = '不属于本辖区'
      reason.dispatchEvent(new Event('input'))
    }
    await settle()
    submit?.click()
    await settle()
    const act = calls.find((c) => c.cmd === 'case_act')
    expect(act?.args).toEqual({ id: local.case.id, action: { type: 'return', reason: '不属于本辖区' } })
    expect(wrapper.get('[data-test="case-state"]').text()).toBe('待受理')
    wrapper.unmount()
  })

  it('queues a sign-in without a form', async () => {
    const local = sampleLocal(['signIn'], sampleCase({ state: 'pendingSignIn' }))
    const { wrapper, calls } = await mountDetail(local, { case_act: () => sampleLocal(['submitReply']) })
    await wrapper.get('[data-test="action-signIn"]').trigger('click')
    await settle()
    document.querySelector<HTMLButtonElement>('[data-test="action-submit"]')?.click()
    await settle()
    expect(calls.find((c) => c.cmd === 'case_act')?.args).toEqual({ id: local.case.id, action: { type: 'signIn' } })
    wrapper.unmount()
  })
})
