import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { StaffNotification } from '@/api/online'
import NotificationsPanel from '@/components/NotificationsPanel.vue'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useNotificationsStore } from '@/stores/notifications'
import { useSessionStore } from '@/stores/session'
import { OFFLINE } from './analyticsFixtures'
import { mockCommands, settle } from './helpers'

function note(id: string, over: Partial<StaffNotification> = {}): StaffNotification {
  return {
    id,
    userId: 'u1',
    kind: 'dispatch',
    caseId: 'c-1',
    title: `新派单 ${id}`,
    body: '泉城路1号 噪音扰民，请于1个工作日内签收',
    createdAt: '2026-11-26T01:30:00Z',
    readAt: null,
    ...over,
  }
}

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => clearMocks())

describe('notifications store', () => {
  it('pops up only notifications that arrived after the first poll, once each', async () => {
    let list = [note('n1'), note('n2', { readAt: '2026-11-26T02:00:00Z' })]
    mockCommands({ online_get: () => ({ items: list, unread: list.filter((n) => !n.readAt).length }) })
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
    expect(store.unread).toBe(1)
    expect(shown).toEqual([]) // the backlog at sign-in is not news
    list = [note('n3'), ...list]
    await store.poll()
    await store.poll()
    expect(shown).toEqual(['新派单 n3'])
    expect(toasts).toEqual([1])
    expect(store.unread).toBe(2)
  })

  it('marks read on the server and locally', async () => {
    const calls = mockCommands({
      online_get: () => ({ items: [note('n1'), note('n2')], unread: 2 }),
      online_post: () => ({ updated: 1, unread: 1 }),
    })
    const store = useNotificationsStore()
    await store.poll()
    await store.markRead(['n1'])
    expect(calls.at(-1)).toEqual({ cmd: 'online_post', args: { path: '/notifications/read', body: { ids: ['n1'] } } })
    expect(store.items.find((n) => n.id === 'n1')?.readAt).not.toBeNull()
    expect(store.unread).toBe(1)
    await store.markRead(['n1']) // already read: no second request
    expect(calls.filter((c) => c.cmd === 'online_post')).toHaveLength(1)
  })

  it('is quietly offline without the city server', async () => {
    mockCommands({
      online_get: () => {
        throw OFFLINE
      },
    })
    const store = useNotificationsStore()
    await store.poll()
    expect(store.offline).toBe(true)
    expect(store.lastError).toBe('')
  })
})

describe('NotificationsPanel', () => {
  it('shows the unread count on the bell and the items in the panel', async () => {
    const calls = mockCommands({ online_get: () => ({ items: [note('n1'), note('n2', { kind: 'urge' })], unread: 2 }) })
    const pinia = createPinia()
    setActivePinia(pinia)
    useSessionStore().profile = {
      id: 'u1',
      username: 'officer',
      displayName: '张警官',
      role: 'officer',
      roleName: '承办民警',
      unitId: 'unit1',
      unitName: '泉城路派出所',
      active: true,
    }
    const w = mount(NotificationsPanel, {
      attachTo: document.body,
      global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
    })
    await settle()
    expect(calls.find((c) => c.cmd === 'online_get')?.args.path).toBe('/notifications?limit=50')
    expect(w.get('[data-test="notifications-bell"]').text()).toContain('2')
    await w.get('[data-test="notifications-bell"]').trigger('click')
    await settle()
    // The popover opens on a timer of its own; wait for its list rather than guess a tick count.
    await vi.waitFor(() => expect(document.querySelectorAll('[data-test="notification-item"]')).toHaveLength(2))
    expect(document.body.textContent).toContain('催办')
    w.unmount()
    document.body.innerHTML = ''
  })
})
