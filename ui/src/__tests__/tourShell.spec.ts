// Findings of the tour of the app: 同步冲突 neutral without conflicts, the user shown once
// in the top bar, the login throttle message as the server words it.
import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { Profile, SyncStatus } from '@/api'
import AppShell from '@/components/AppShell.vue'
import AppTopBar from '@/components/AppTopBar.vue'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useServerStore } from '@/stores/server'
import { useSessionStore } from '@/stores/session'
import { useSyncStore } from '@/stores/sync'
import ConflictsView from '@/views/ConflictsView.vue'
import LoginView from '@/views/LoginView.vue'
import { mockCommands, settle } from './helpers'

const status = (conflicts: number): SyncStatus => ({
  online: true,
  syncing: false,
  queued: 0,
  conflicts,
  lastSyncAt: null,
  lastError: null,
  lastErrorCode: null,
  nextAttemptAt: null,
  loginRequired: false,
})
const COUNTS = { unsigned: 0, inProgress: 0, dueSoon: 0, overdue: 0 }

async function setup(conflicts: number) {
  mockCommands({ sync_status: () => status(conflicts), worklist_counts: () => COUNTS, sync_conflicts: () => [] })
  const pinia = createPinia()
  setActivePinia(pinia)
  await useSyncStore().start()
  const plugins = [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)]
  return plugins
}

describe('tour: 同步冲突 is neutral without conflicts', () => {
  afterEach(() => clearMocks())

  it('shows no badge and no warning colour at 0', async () => {
    const plugins = await setup(0)
    const wrapper = mount(AppShell, { global: { plugins, stubs: { AppTopBar: true, RouterView: true } } })
    await settle()
    const item = wrapper.get('[data-test="nav-conflicts"]')
    expect(item.classes()).not.toContain('alarm')
    expect(wrapper.find('[data-test="nav-conflicts-badge"]').exists()).toBe(false)
  })

  it('stands out with the count when there are conflicts', async () => {
    const plugins = await setup(2)
    const wrapper = mount(AppShell, { global: { plugins, stubs: { AppTopBar: true, RouterView: true } } })
    await settle()
    expect(wrapper.get('[data-test="nav-conflicts"]').classes()).toContain('alarm')
    expect(wrapper.get('[data-test="nav-conflicts-badge"]').text()).toBe('2')
  })

  it('the conflicts page has no warning banner when the list is empty', async () => {
    const plugins = await setup(0)
    const wrapper = mount(ConflictsView, { global: { plugins } })
    await settle()
    expect(wrapper.find('[data-test="conflicts-hint"]').exists()).toBe(false)
    expect(wrapper.find('.el-alert--warning').exists()).toBe(false)
    expect(wrapper.text()).toContain('没有同步冲突')
  })
})

describe('tour: the top bar names the user once', () => {
  afterEach(() => clearMocks())

  const leader: Profile = {
    id: 'u3',
    username: 'leader',
    displayName: '市局领导 赵振华',
    role: 'leader',
    roleName: '市局领导',
    unitId: 'unit-ld',
    unitName: '市局领导',
    active: true,
  }

  async function label(profile: Profile): Promise<string> {
    const plugins = await setup(0)
    useSessionStore().profile = profile
    const wrapper = mount(AppTopBar, { global: { plugins } })
    await settle()
    return wrapper.get('[data-test="topbar-user"]').text()
  }

  it('says 市局领导 once for a leader of the unit 市局领导', async () => {
    expect(await label(leader)).toBe('赵振华（市局领导）')
  })

  it('shows name, role and unit', async () => {
    expect(
      await label({ ...leader, displayName: '张伟', role: 'officer', roleName: '承办民警', unitName: '泉城路派出所' }),
    ).toBe('张伟（承办民警 · 泉城路派出所）')
  })
})

describe('tour: the login throttle message', () => {
  afterEach(() => clearMocks())

  it("is the server's own words", async () => {
    mockCommands({
      app_info: () => ({ version: '0.1.0', serverUrl: 'http://10.0.0.8:8686' }),
      server_health: () => ({ ok: true, message: '已连接市局服务器' }),
      auth_last_user: () => null,
      auth_login: () => {
        throw { code: 'LOGIN_THROTTLED', message: '登录失败次数过多，请15分钟后再试' }
      },
    })
    const pinia = createPinia()
    setActivePinia(pinia)
    localStorage.clear()
    await useServerStore().loadInfo()
    const router = createAppRouter(createMemoryHistory(), false)
    await router.push('/login')
    const wrapper = mount(LoginView, { attachTo: document.body, global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, router] } })
    await settle()
    await wrapper.get('input[data-test="login-username"]').setValue('zhang')
    await wrapper.get('input[data-test="login-password"]').setValue('wrong')
    await wrapper.get('form').trigger('submit')
    await settle()
    expect(wrapper.get('[data-test="login-error"]').text()).toBe('登录失败次数过多，请15分钟后再试')
    wrapper.unmount()
  })
})
