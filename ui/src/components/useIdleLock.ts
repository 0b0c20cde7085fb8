// 等保 idle-session timeout: after a number of minutes without keyboard, mouse or touch
// input the app locks (auth_lock, held by Rust so a reload does not undo it) and asks
// for the password again. The minutes are a user preference within 1–30 (default 15).
import { onBeforeUnmount, onMounted, ref } from 'vue'
import { useSessionStore } from '@/stores/session'

const KEY = 'minsheng.idleMinutes'
export const IDLE_DEFAULT = 15
export const IDLE_MIN = 1
export const IDLE_MAX = 30

/** The chosen minutes, clamped to 1–30 (a stored value outside is not honoured). */
export function idleMinutes(): number {
  const n = Number(globalThis.localStorage?.getItem(KEY) ?? IDLE_DEFAULT)
  return Number.isInteger(n) && n >= IDLE_MIN && n <= IDLE_MAX ? n : IDLE_DEFAULT
}

export function setIdleMinutes(n: number): void {
  const v = Math.min(IDLE_MAX, Math.max(IDLE_MIN, Math.round(n)))
  globalThis.localStorage?.setItem(KEY, String(v))
}

const EVENTS = ['keydown', 'mousedown', 'mousemove', 'wheel', 'touchstart'] as const

/** Starts the idle timer for the signed-in shell; returns the minutes in force. */
export function useIdleLock() {
  const session = useSessionStore()
  const minutes = ref(idleMinutes())
  let timer: ReturnType<typeof setTimeout> | null = null

  function arm(): void {
    if (timer) clearTimeout(timer)
    if (session.locked) return
    minutes.value = idleMinutes()
    timer = setTimeout(() => {
      if (session.signedIn && !session.locked) void session.lock().catch(() => undefined)
    }, minutes.value * 60_000)
  }

  onMounted(() => {
    for (const e of EVENTS) globalThis.addEventListener(e, arm, { passive: true })
    arm()
  })
  onBeforeUnmount(() => {
    for (const e of EVENTS) globalThis.removeEventListener(e, arm)
    if (timer) clearTimeout(timer)
  })
  return { minutes, rearm: arm }
}
