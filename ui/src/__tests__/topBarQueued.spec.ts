// The top bar's queued-command count as the e2e tests read it (tests/e2e/lib/app.js
// queued()): `data-queued` on `topbar-queued`, a number, present at 0 too, and the same
// number the officer sees.
import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { SyncStatus } from '@/api'
import AppTopBar from '@/components/AppTopBar.vue'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useSyncStore } from '@/stores/sync'
import { mockCommands, settle } from './helpers'

const status = (queued: number): SyncStatus => ({
  online: true,
  syncing: false,
  queued,
  conflicts: 0,
  lastSyncAt: null,
  lastError: null,
  lastErrorCode: null,
  nextAttemptAt: null,
  loginRequired: false,
})

describe('topbar-queued data-queued', () => {
  afterEach(() => clearMocks())

  it('is present at 0 and follows the sync status, matching the text shown', async () => {
    mockCommands({
      sync_status: () => status(0),
      worklist_counts: () => ({ unsigned: 0, inProgress: 0, dueSoon: 0, overdue: 0 }),
    })
    const pinia = createPinia()
    setActivePinia(pinia)
    const sync = useSyncStore()
    await sync.start()
    const wrapper = mount(AppTopBar, {
      global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
    })
    await settle()
    const badge = () => wrapper.get('[data-test="topbar-queued"]')
    expect(badge().attributes('data-queued')).toBe('0')
    expect(badge().text()).toBe('0')
    for (const n of [2, 13, 0]) {
      sync.apply(status(n))
      await settle()
      expect(badge().attributes('data-queued')).toBe(String(n))
      expect(badge().text()).toBe(String(n))
    }
    wrapper.unmount()
  })
})
