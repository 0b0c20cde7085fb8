import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import AppTopBar from '@/components/AppTopBar.vue'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useSessionStore } from '@/stores/session'
import { useSyncStore } from '@/stores/sync'
import { mockCommands, settle } from './helpers'

describe('AppTopBar', () => {
  afterEach(() => clearMocks())

  it('shows unit, role, 离线 and the queued count from the sync status', async () => {
    mockCommands({
      sync_status: () => ({
        online: false,
        syncing: false,
        queued: 3,
        conflicts: 1,
        lastSyncAt: '2026-11-26T01:30:00Z',
        lastError: null,
        nextAttemptAt: null,
        lastErrorCode: null,
        loginRequired: false,
      }),
      worklist_counts: () => ({ unsigned: 1, inProgress: 2, dueSoon: 0, overdue: 4 }),
    })
    const pinia = createPinia()
    setActivePinia(pinia)
    useSessionStore().profile = {
      id: 'u1',
      username: 'zhang',
      displayName: '张警官',
      role: 'officer',
      roleName: '承办民警',
      unitId: 'unit1',
      unitName: '泉城路派出所',
      active: true,
    }
    await useSyncStore().start()
    const wrapper = mount(AppTopBar, {
      global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
    })
    await settle()
    expect(wrapper.get('[data-test="topbar-online"]').text()).toBe('离线')
    expect(wrapper.get('[data-test="topbar-queued"]').text()).toBe('3')
    expect(wrapper.get('[data-test="topbar-user"]').text()).toContain('泉城路派出所')
    expect(wrapper.get('[data-test="topbar-user"]').text()).toContain('承办民警')
    expect(wrapper.text()).toContain('2026-11-26 09:30')
  })

  it('follows sync-status events', async () => {
    mockCommands({
      sync_status: () => ({ online: false, syncing: true, queued: 2, conflicts: 0, lastSyncAt: null, lastError: null, nextAttemptAt: null, lastErrorCode: null, loginRequired: false }),
      worklist_counts: () => ({ unsigned: 0, inProgress: 0, dueSoon: 0, overdue: 0 }),
    })
    const pinia = createPinia()
    setActivePinia(pinia)
    useSessionStore().profile = null
    const sync = useSyncStore()
    await sync.start()
    const wrapper = mount(AppTopBar, {
      global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
    })
    useSessionStore().profile = {
      id: 'u1',
      username: 'zhang',
      displayName: '张警官',
      role: 'officer',
      roleName: '承办民警',
      unitId: 'unit1',
      unitName: '泉城路派出所',
      active: true,
    }
    const revision = sync.revision
    sync.apply({ online: true, syncing: false, queued: 0, conflicts: 0, lastSyncAt: null, lastError: null, nextAttemptAt: null, lastErrorCode: null, loginRequired: false })
    await settle()
    expect(wrapper.get('[data-test="topbar-online"]').text()).toBe('在线')
    expect(wrapper.get('[data-test="topbar-queued"]').text()).toBe('0')
    expect(sync.revision).toBe(revision + 1)
  })
})
