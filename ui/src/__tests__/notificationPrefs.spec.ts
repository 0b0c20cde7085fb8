import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { notifyPrefs } from '@/api/generated/samples'
import type { StaffNotification } from '@/api/online'
import NotificationPrefsCard from '@/components/NotificationPrefsCard.vue'
import { createAppI18n } from '@/i18n'
import { useNotificationsStore } from '@/stores/notifications'
import { OFFLINE } from './analyticsFixtures'
import { mockCommands, settle } from './helpers'

function mountCard() {
  const pinia = createPinia()
  setActivePinia(pinia)
  return mount(NotificationPrefsCard, {
    attachTo: document.body,
    global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus] },
  })
}

beforeEach(() => {
  localStorage.clear()
  setActivePinia(createPinia())
})
afterEach(() => {
  clearMocks()
  document.body.innerHTML = ''
})

describe('通知偏好', () => {
  it('loads the account preferences and saves them through the PUT passthrough', async () => {
    let saved: unknown = null
    const calls = mockCommands({
      online_get: () => notifyPrefs,
      online_put: (a) => {
        saved = a.body
        return a.body
      },
    })
    const w = mountCard()
    await settle()
    expect(calls[0]).toEqual({ cmd: 'online_get', args: { path: '/notifications/preferences' } })
    // SMS on with two kinds ticked: the kinds are listed, 10 of them, two checked.
    expect(w.findAll('[data-test="notify-prefs-kinds"] .el-checkbox')).toHaveLength(10)
    expect(w.findAll('[data-test="notify-prefs-kinds"] .el-checkbox.is-checked')).toHaveLength(2)
    expect(w.text()).toContain('逾期')
    await w.get('[data-test="notify-prefs-save"]').trigger('click')
    await settle()
    expect(calls.at(-1)?.cmd).toBe('online_put')
    expect(calls.at(-1)?.args.path).toBe('/notifications/preferences')
    expect(saved).toEqual({ sms: true, smsKinds: ['overdue', 'urge'] })
    w.unmount()
  })

  it('sends no kinds when SMS is off', async () => {
    let saved: unknown = null
    mockCommands({
      online_get: () => ({ sms: false, smsKinds: ['urge'] }),
      online_put: (a) => {
        saved = a.body
        return a.body
      },
    })
    const w = mountCard()
    await settle()
    expect(w.find('[data-test="notify-prefs-kinds"]').exists()).toBe(false)
    await w.get('[data-test="notify-prefs-save"]').trigger('click')
    await settle()
    expect(saved).toEqual({ sms: false, smsKinds: [] })
    w.unmount()
  })

  it('shows the offline state instead of the SMS settings', async () => {
    mockCommands({
      online_get: () => {
        throw OFFLINE
      },
    })
    const w = mountCard()
    await settle()
    expect(w.find('[data-test="notify-prefs-offline"]').exists()).toBe(true)
    expect(w.find('[data-test="notify-prefs-save"]').exists()).toBe(false)
    // The desktop switch is a setting of this computer: usable offline.
    expect(w.find('[data-test="notify-prefs-desktop"]').exists()).toBe(true)
    w.unmount()
  })
})

describe('desktop pop-ups', () => {
  const note = (id: string): StaffNotification => ({
    id,
    userId: 'u1',
    kind: 'dispatch',
    caseId: null,
    title: `新派单 ${id}`,
    body: '请签收',
    createdAt: '2026-11-26T01:30:00Z',
    readAt: null,
  })

  it('stay off once switched off, also after a restart', async () => {
    let list = [note('n1')]
    mockCommands({ online_get: () => ({ items: list, unread: list.length }) })
    const store = useNotificationsStore()
    const shown: string[] = []
    const toasts: number[] = []
    store.setNotifier(
      (title) => {
        shown.push(title)
        return true
      },
      (fresh) => toasts.push(fresh.length),
    )
    await store.poll()
    store.setDesktopEnabled(false)
    list = [note('n2'), ...list]
    await store.poll()
    expect(shown).toEqual([])
    expect(toasts).toEqual([1]) // the in-app toast still says it
    setActivePinia(createPinia())
    expect(useNotificationsStore().desktopEnabled).toBe(false)
  })

  it('go through the shell command while the window is in the background', async () => {
    const calls = mockCommands({ desktop_notify: () => true })
    const { shellNotifier } = await import('@/stores/notifications')
    const focused = document.hasFocus
    document.hasFocus = () => false
    try {
      expect(shellNotifier('新派单', '请签收')).toBe(true)
      await settle()
      expect(calls).toEqual([{ cmd: 'desktop_notify', args: { title: '新派单', body: '请签收' } }])
      document.hasFocus = () => true
      expect(shellNotifier('新派单', '请签收')).toBe(false)
    } finally {
      document.hasFocus = focused
    }
  })
})
