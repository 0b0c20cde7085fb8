import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '@/api'
import { isOffline, online, type StaffNotification } from '@/api/online'

/** Poll interval of GET /notifications while the app runs. */
export const POLL_MS = 60_000

/** Where the 桌面弹窗 switch of 通知偏好 is kept (a setting of this computer, not the account). */
const DESKTOP_KEY = 'minsheng.notify.desktop'

/** Shows one desktop notification; returns false when it was not shown. */
export type DesktopNotifier = (title: string, body: string) => boolean

/**
 * The operating system's notifications through the shell (`desktop_notify`), only while the
 * window is in the background: in front, the in-app toast says the same.
 */
export const shellNotifier: DesktopNotifier = (title, body) => {
  if (globalThis.document?.hasFocus()) return false
  void api.desktopNotify(title, body).catch(() => false)
  return true
}

/** Staff notifications (派单, 签收提醒, 签批, 催办, 逾期 …) from the city server. */
export const useNotificationsStore = defineStore('notifications', () => {
  const items = ref<StaffNotification[]>([])
  const unread = ref(0)
  const offline = ref(false)
  const lastError = ref('')
  /** Ids already seen, so each one pops up on the desktop once. */
  const seen = new Set<string>()
  let primed = false
  let timer: ReturnType<typeof setInterval> | null = null
  let notifier: DesktopNotifier = shellNotifier
  /** 桌面弹窗 on or off (default on). */
  const desktopEnabled = ref(globalThis.localStorage?.getItem(DESKTOP_KEY) !== 'off')
  /** Called with notifications that arrived since the last poll (the in-app toast). */
  let onFresh: ((fresh: StaffNotification[]) => void) | null = null

  const unreadItems = computed(() => items.value.filter((n) => n.readAt === null))

  function setNotifier(n: DesktopNotifier, fresh?: (fresh: StaffNotification[]) => void): void {
    notifier = n
    onFresh = fresh ?? null
  }

  async function poll(): Promise<void> {
    try {
      const list = await online.notifications(false, 50)
      offline.value = false
      lastError.value = ''
      items.value = list.items
      unread.value = list.unread
      const fresh = list.items.filter((n) => n.readAt === null && !seen.has(n.id))
      for (const n of list.items) seen.add(n.id)
      // The first answer after sign-in is the backlog, not news: no pop-ups for it.
      if (primed && fresh.length > 0) {
        if (desktopEnabled.value) for (const n of fresh.slice(0, 3)) notifier(n.title, n.body)
        onFresh?.(fresh)
      }
      primed = true
    } catch (err: unknown) {
      offline.value = isOffline(err)
      lastError.value = offline.value ? '' : String((err as Error).message ?? err)
    }
  }

  function setDesktopEnabled(on: boolean): void {
    desktopEnabled.value = on
    globalThis.localStorage?.setItem(DESKTOP_KEY, on ? 'on' : 'off')
  }

  function start(): void {
    if (timer !== null) return
    void poll()
    timer = setInterval(() => void poll(), POLL_MS)
  }

  function stop(): void {
    if (timer !== null) clearInterval(timer)
    timer = null
    items.value = []
    unread.value = 0
    seen.clear()
    primed = false
  }

  async function markRead(ids: string[]): Promise<void> {
    const todo = ids.filter((id) => items.value.some((n) => n.id === id && n.readAt === null))
    if (todo.length === 0) return
    const r = await online.markRead(todo)
    const now = new Date().toISOString()
    items.value = items.value.map((n) => (todo.includes(n.id) ? { ...n, readAt: now } : n))
    unread.value = r.unread
  }

  async function markAllRead(): Promise<void> {
    const r = await online.markAllRead()
    const now = new Date().toISOString()
    items.value = items.value.map((n) => (n.readAt === null ? { ...n, readAt: now } : n))
    unread.value = r.unread
  }

  return {
    items,
    unread,
    offline,
    lastError,
    unreadItems,
    desktopEnabled,
    poll,
    start,
    stop,
    markRead,
    markAllRead,
    setNotifier,
    setDesktopEnabled,
  }
})
