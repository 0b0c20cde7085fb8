import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SessionInfo } from '@/api'
import PasswordCard from '@/components/PasswordCard.vue'
import { createAppI18n } from '@/i18n'
import { useSessionStore } from '@/stores/session'
import { mockCommands, settle, type Handler } from './helpers'
import { $, click, status, type } from './deskFixtures'

const info = (displayName: string): SessionInfo => ({
  profile: {
    id: 'u1',
    username: 'clerk1',
    displayName,
    role: 'clerk',
    roleName: '受理员',
    unitId: 'unit',
    unitName: '民生警务平台办公室',
    active: true,
  },
  status: status(true),
  offline: false,
  mustChangePassword: false,
  locked: false,
})

async function mountCard(change: Handler) {
  const calls = mockCommands({ auth_change_password: change })
  const pinia = createPinia()
  setActivePinia(pinia)
  useSessionStore().adopt({ ...info('王受理'), offline: true })
  const wrapper = mount(PasswordCard, { attachTo: document.body, global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus] } })
  await settle()
  return { wrapper, calls }
}

async function fill(old: string, next: string, confirm: string) {
  await type('[data-test="pw-old"]', old)
  await type('[data-test="pw-new"]', next)
  await type('[data-test="pw-confirm"]', confirm)
}

// Element Plus dialogs and selects render slowly under happy-dom on a loaded machine.
describe('修改密码', { timeout: 20_000 }, () => {
  afterEach(() => {
    clearMocks()
    document.body.innerHTML = ''
  })

  it('changes the password and takes over the new session', async () => {
    const { wrapper, calls } = await mountCard(() => info('王受理（新）'))
    await fill('Old#2026pass', 'New#2026pass!', 'New#2026pass!')
    await click('[data-test="pw-submit"]')
    expect(calls.filter((c) => c.cmd === 'auth_change_password')).toEqual([
      { cmd: 'auth_change_password', args: { oldPassword: 'Old#2026pass', newPassword: 'New#2026pass!' } },
    ])
    const session = useSessionStore()
    expect(session.profile?.displayName).toBe('王受理（新）')
    expect(session.offlineLogin).toBe(false)
    expect(document.body.textContent).toContain('密码已修改')
    expect($<HTMLInputElement>('[data-test="pw-old"]')?.value).toBe('')
    wrapper.unmount()
  })

  it('asks nothing of the server when the two new passwords differ', async () => {
    const { wrapper, calls } = await mountCard(() => info('x'))
    await fill('Old#2026pass', 'New#2026pass!', 'New#2026pass?')
    await click('[data-test="pw-submit"]')
    expect(calls.some((c) => c.cmd === 'auth_change_password')).toBe(false)
    await vi.waitFor(() => expect(document.body.textContent).toContain('两次输入的新密码不一致'))
    wrapper.unmount()
  })

  it("shows the server's policy message as is", async () => {
    const { wrapper } = await mountCard(() => {
      throw { code: 'WEAK_PASSWORD', message: '新密码至少12位，且包含字母、数字和符号' }
    })
    await fill('Old#2026pass', 'short', 'short')
    await click('[data-test="pw-submit"]')
    expect($('[data-test="pw-error"]')?.textContent).toContain('新密码至少12位，且包含字母、数字和符号')
    expect(useSessionStore().profile?.displayName).toBe('王受理')
    wrapper.unmount()
  })
})
