import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useServerStore } from '@/stores/server'
import { useSessionStore } from '@/stores/session'
import LoginView from '@/views/LoginView.vue'
import { mockCommands, settle } from './helpers'

const profile = {
  id: 'u1',
  username: 'zhang',
  displayName: '张警官',
  role: 'officer',
  roleName: '承办民警',
  unitId: 'unit1',
  unitName: '泉城路派出所',
  active: true,
}
const status = { online: true, syncing: false, queued: 0, conflicts: 0, lastSyncAt: null, lastError: null, nextAttemptAt: null, lastErrorCode: null, loginRequired: false }

async function mountLogin(handlers: Parameters<typeof mockCommands>[0]) {
  const calls = mockCommands({
    app_info: () => ({ version: '0.1.0', serverUrl: 'http://10.0.0.8:8686' }),
    server_health: () => ({ ok: true, message: '已连接市局服务器' }),
    auth_last_user: () => null,
    ...handlers,
  })
  const pinia = createPinia()
  setActivePinia(pinia)
  localStorage.clear()
  await useServerStore().loadInfo()
  const router = createAppRouter(createMemoryHistory(), false)
  await router.push('/login')
  const wrapper = mount(LoginView, {
    attachTo: document.body,
    global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, router] },
  })
  await settle()
  return { wrapper, calls, router }
}

describe('LoginView', () => {
  afterEach(() => clearMocks())

  it('prefills the server address and asks for missing credentials in Chinese', async () => {
    const { wrapper, calls } = await mountLogin({})
    expect(wrapper.text()).toContain('用户名')
    expect((wrapper.get('[data-test="login-server"]').element as HTMLInputElement).value).toBe('http://10.0.0.8:8686')
    await wrapper.get('form').trigger('submit')
    await settle()
    const invalid = wrapper.findAll('.el-form-item.is-error').map((item) => item.text())
    expect(invalid).toHaveLength(2)
    expect(invalid[0]).toContain('用户名')
    expect(invalid[1]).toContain('密码')
    expect(calls.some((c) => c.cmd === 'auth_login')).toBe(false)
    wrapper.unmount()
  })

  it('signs in through auth_login and opens the workbench', async () => {
    const { wrapper, calls, router } = await mountLogin({
      auth_login: () => ({ profile, status, offline: false }),
    })
    await wrapper.get('[data-test="login-username"]').setValue('zhang')
    await wrapper.get('[data-test="login-password"]').setValue('secret-1')
    await wrapper.get('form').trigger('submit')
    await settle()
    const login = calls.find((c) => c.cmd === 'auth_login')
    expect(login?.args).toEqual({ serverUrl: 'http://10.0.0.8:8686', username: 'zhang', password: 'secret-1' })
    expect(useSessionStore().profile?.displayName).toBe('张警官')
    await vi.waitFor(() => expect(router.currentRoute.value.path).toBe('/'), { timeout: 10_000 })
    wrapper.unmount()
  })

  it('shows the server refusal in login-error', async () => {
    const { wrapper } = await mountLogin({
      auth_login: () => {
        throw { code: 'INVALID_CREDENTIALS', message: '用户名或密码错误' }
      },
    })
    await wrapper.get('[data-test="login-username"]').setValue('zhang')
    await wrapper.get('[data-test="login-password"]').setValue('bad')
    await wrapper.get('form').trigger('submit')
    await settle()
    expect(wrapper.get('[data-test="login-error"]').text()).toContain('用户名或密码错误')
    wrapper.unmount()
  })

  it('offers to continue offline as the last user, with the password checked on this computer', async () => {
    const { wrapper, calls } = await mountLogin({
      auth_last_user: () => ({ serverUrl: 'http://10.0.0.9:8686', username: 'zhang' }),
      auth_resume: () => ({ profile, status: { ...status, online: false }, offline: true, mustChangePassword: false, locked: false }),
    })
    // Without the password nothing is asked of Rust.
    await wrapper.get('[data-test="login-resume"]').trigger('click')
    await settle()
    expect(calls.some((c) => c.cmd === 'auth_resume')).toBe(false)
    expect(wrapper.get('[data-test="login-error"]').text()).toContain('请输入密码')
    await wrapper.get('input[data-test="login-password"]').setValue('Minsheng#2026')
    await wrapper.get('[data-test="login-resume"]').trigger('click')
    await settle()
    expect(calls.find((c) => c.cmd === 'auth_resume')?.args).toEqual({
      serverUrl: 'http://10.0.0.9:8686',
      username: 'zhang',
      password: 'Minsheng#2026',
    })
    expect(useSessionStore().offlineLogin).toBe(true)
    wrapper.unmount()
  })
})
