// 等保 idle lock: after the chosen minutes without input the shell asks Rust to lock
// and shows only the unlock form; the password unlocks; too many wrong ones sign out.
import { clearMocks } from '@tauri-apps/api/mocks'
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import AppShell from '@/components/AppShell.vue'
import { idleMinutes, setIdleMinutes } from '@/components/useIdleLock'
import { useSessionStore } from '@/stores/session'
import { mockCommands } from './helpers'

const SYNC = { online: true, syncing: false, queued: 0, conflicts: 0, lastSyncAt: null, lastError: null, lastErrorCode: null, nextAttemptAt: null, loginRequired: false }

function mountShell(unlock: (password: string) => unknown) {
  const calls = mockCommands({
    sync_status: () => SYNC,
    worklist_counts: () => ({ unsigned: 0, inProgress: 0, dueSoon: 0, overdue: 0 }),
    auth_lock: () => null,
    auth_unlock: (a) => unlock(a.password as string),
    online_get: () => ({ items: [], unread: 0 }),
  })
  const pinia = createPinia()
  setActivePinia(pinia)
  useSessionStore().profile = {
    id: 'u1',
    username: 'officer',
    displayName: '民警 张伟',
    role: 'officer',
    roleName: '承办民警',
    unitId: 'unit1',
    unitName: '泉城路派出所',
    active: true,
  }
  const router = createAppRouter(createMemoryHistory(), false)
  const wrapper = mount(AppShell, { attachTo: document.body, global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, router] } })
  return { wrapper, calls, router }
}

async function typeAndUnlock(password: string): Promise<void> {
  const input = document.querySelector<HTMLInputElement>('input[data-test="lock-password"]')!
  input.value = password
  input.dispatchEvent(new Event('input'))
  await flushPromises()
  document.querySelector<HTMLButtonElement>('[data-test="lock-unlock"]')!.click()
  for (let i = 0; i < 5; i++) await flushPromises()
}

describe('idle lock', () => {
  afterEach(() => {
    vi.useRealTimers()
    clearMocks()
    document.body.innerHTML = ''
    globalThis.localStorage?.removeItem('minsheng.idleMinutes')
  })

  it('keeps the minutes within 1–30', () => {
    setIdleMinutes(90)
    expect(idleMinutes()).toBe(30)
    setIdleMinutes(0)
    expect(idleMinutes()).toBe(1)
    globalThis.localStorage?.setItem('minsheng.idleMinutes', '500')
    expect(idleMinutes()).toBe(15)
  })

  it('locks after the idle minutes, input postpones it, the password unlocks', async () => {
    vi.useFakeTimers()
    setIdleMinutes(2)
    const { calls } = mountShell((p) => {
      if (p !== 'Minsheng#2026') throw { code: 'BAD_CREDENTIALS', message: '密码不正确，还可尝试 4 次' }
      return null
    })
    await flushPromises()
    vi.advanceTimersByTime(90_000)
    globalThis.dispatchEvent(new Event('keydown'))
    vi.advanceTimersByTime(90_000)
    await flushPromises()
    expect(calls.some((c) => c.cmd === 'auth_lock')).toBe(false)
    vi.advanceTimersByTime(31_000)
    for (let i = 0; i < 5; i++) await flushPromises()
    expect(calls.some((c) => c.cmd === 'auth_lock')).toBe(true)
    expect(document.querySelector('[data-test="lock-screen"]')).not.toBeNull()
    expect(document.querySelector('[data-test="nav-workbench"]')).toBeNull()
    expect(document.body.textContent).toContain('2 分钟未操作')

    vi.useRealTimers()
    await typeAndUnlock('wrong')
    expect(document.querySelector('[data-test="lock-error"]')?.textContent).toContain('还可尝试 4 次')
    expect(document.querySelector('[data-test="lock-screen"]')).not.toBeNull()
    await typeAndUnlock('Minsheng#2026')
    expect(document.querySelector('[data-test="lock-screen"]')).toBeNull()
    expect(document.querySelector('[data-test="nav-workbench"]')).not.toBeNull()
  })

  it('too many wrong passwords end the session and go to the login screen', async () => {
    const { router } = mountShell(() => {
      throw { code: 'LOGIN_REQUIRED', message: '请重新登录' }
    })
    await flushPromises()
    useSessionStore().locked = true
    await flushPromises()
    await typeAndUnlock('wrong')
    expect(useSessionStore().signedIn).toBe(false)
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'), { timeout: 5000 })
  })
})
