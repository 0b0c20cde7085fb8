import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { SessionInfo } from '@/api'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useServerStore } from '@/stores/server'
import { useSessionStore } from '@/stores/session'
import LoginView from '@/views/LoginView.vue'
import SettingsView from '@/views/SettingsView.vue'
import { click, status, type } from './deskFixtures'
import { mockCommands, settle, type Handler } from './helpers'

const info = (mustChangePassword: boolean): SessionInfo => ({
  profile: {
    id: 'u1',
    username: 'zhang',
    displayName: '张警官',
    role: 'officer',
    roleName: '承办民警',
    unitId: 'unit1',
    unitName: '泉城路派出所',
    active: true,
  },
  status: status(true),
  offline: false,
  mustChangePassword,
  locked: false,
})

function setup(handlers: Record<string, Handler>) {
  const calls = mockCommands({
    app_info: () => ({ version: '0.1.0', serverUrl: 'http://10.0.0.8:8686' }),
    auth_last_user: () => null,
    closed_window_days: () => 30,
    online_get: () => ({ sms: false, smsKinds: [] }),
    ...handlers,
  })
  const pinia = createPinia()
  setActivePinia(pinia)
  localStorage.clear()
  return { calls, pinia }
}

// Element Plus renders slowly under happy-dom on a loaded machine.
describe('密码须修改（等保）', { timeout: 20_000 }, () => {
  afterEach(() => {
    clearMocks()
    document.body.innerHTML = ''
  })

  it('keeps a user whose password must change on 设置 until it is changed', async () => {
    setup({})
    const router = createAppRouter(createMemoryHistory())
    const session = useSessionStore()
    session.adopt(info(true))
    await router.push('/')
    expect(router.currentRoute.value.name).toBe('settings')
    await router.push('/cases')
    expect(router.currentRoute.value.name).toBe('settings')
    await router.push('/knowledge')
    expect(router.currentRoute.value.name).toBe('settings')

    // The new session after the change says nothing more is asked.
    session.adopt(info(false))
    await router.push('/cases')
    expect(router.currentRoute.value.name).toBe('cases')
  })

  it('opens 设置 right after a login that must change the password', async () => {
    const { pinia } = setup({ auth_login: () => info(true) })
    await useServerStore().loadInfo()
    const router = createAppRouter(createMemoryHistory(), false)
    await router.push('/login')
    const wrapper = mount(LoginView, {
      attachTo: document.body,
      global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, router] },
    })
    await settle()
    await wrapper.get('[data-test="login-username"]').setValue('zhang')
    await wrapper.get('[data-test="login-password"]').setValue('Given#2026a')
    await wrapper.get('form').trigger('submit')
    await settle()
    expect(router.currentRoute.value.path).toBe('/settings')
    wrapper.unmount()
  })

  it('explains why in Chinese and lets go once the password is changed', async () => {
    const { pinia } = setup({ auth_change_password: () => info(false) })
    useSessionStore().adopt(info(true))
    const router = createAppRouter(createMemoryHistory(), false)
    await router.push('/settings')
    const wrapper = mount(SettingsView, {
      attachTo: document.body,
      global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, router] },
    })
    await settle()
    const notice = wrapper.find('[data-test="must-change-password"]')
    expect(notice.exists()).toBe(true)
    expect(notice.text()).toContain('请先修改密码')
    expect(notice.text()).toContain('90 天')

    await type('[data-test="pw-old"]', 'Given#2026a')
    await type('[data-test="pw-new"]', 'Mine#2026abc')
    await type('[data-test="pw-confirm"]', 'Mine#2026abc')
    await click('[data-test="pw-submit"]')
    expect(useSessionStore().mustChangePassword).toBe(false)
    expect(wrapper.find('[data-test="must-change-password"]').exists()).toBe(false)
    wrapper.unmount()
  })
})
