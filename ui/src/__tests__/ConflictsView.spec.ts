import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { OutboxCommand } from '@/api'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import ConflictsView from '@/views/ConflictsView.vue'
import { mockCommands, settle } from './helpers'

const refused: OutboxCommand = {
  seq: 7,
  id: 'cmd-1',
  caseId: '0190f0a0-0000-7000-8000-000000000003',
  baseVersion: 4,
  payload: { kind: 'action', body: { type: 'submitReply', text: '<img src=x onerror=alert(1)>已处理' } },
  actor: { userId: 'u1', name: '张警官', role: 'officer', unitId: 'unit1' },
  deviceAt: '2026-11-26T01:30:00Z',
  status: 'conflict',
  errorCode: 'CASE_REASSIGNED',
  errorMessage: '该件已改派至其他单位',
}

describe('ConflictsView', () => {
  afterEach(() => clearMocks())

  it('lists each refused command with the server reason and resolves it', async () => {
    let open = [refused]
    const calls = mockCommands({
      sync_conflicts: () => open,
      sync_resolve_conflict: () => {
        open = []
        return null
      },
      sync_status: () => ({
        online: true,
        syncing: false,
        queued: 0,
        conflicts: 0,
        lastSyncAt: null,
        lastError: null,
        lastErrorCode: null,
        nextAttemptAt: null,
        loginRequired: false,
      }),
      worklist_counts: () => ({ unsigned: 0, inProgress: 0, dueSoon: 0, overdue: 0 }),
    })
    const pinia = createPinia()
    setActivePinia(pinia)
    const wrapper = mount(ConflictsView, {
      global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
    })
    await settle()
    const row = wrapper.get('[data-test="conflict-row"]')
    expect(row.text()).toContain('提交答复')
    expect(row.text()).toContain('该件已改派至其他单位')
    expect(row.text()).toContain('<img src=x onerror=alert(1)>已处理')
    expect(row.element.querySelector('img')).toBeNull()
    await wrapper.get('[data-test="conflict-reapply"]').trigger('click')
    await settle()
    expect(calls.find((c) => c.cmd === 'sync_resolve_conflict')?.args).toEqual({ command: 'cmd-1', how: 'reapply' })
    expect(wrapper.findAll('[data-test="conflict-row"]')).toHaveLength(0)
  })
})
