import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, ApiError, type AppInfo, type ServerHealth } from '@/api'

export const HEALTH_POLL_MS = 10_000

/** Connection to the city server: app info plus the last health probe, polled. */
export const useServerStore = defineStore('server', () => {
  const info = ref<AppInfo | null>(null)
  const health = ref<ServerHealth | null>(null)
  const checkedAt = ref<Date | null>(null)
  let timer: ReturnType<typeof setInterval> | null = null

  const online = computed(() => health.value?.ok === true)

  async function loadInfo(): Promise<void> {
    try {
      info.value = await api.appInfo()
    } catch {
      info.value = null
    }
  }

  async function refresh(): Promise<void> {
    try {
      health.value = await api.serverHealth()
    } catch (err: unknown) {
      const message = err instanceof ApiError ? err.message : String(err)
      health.value = { ok: false, message }
    }
    checkedAt.value = new Date()
  }

  function startPolling(intervalMs: number = HEALTH_POLL_MS): void {
    if (timer !== null) return
    void refresh()
    timer = setInterval(() => void refresh(), intervalMs)
  }

  function stopPolling(): void {
    if (timer !== null) clearInterval(timer)
    timer = null
  }

  return { info, health, checkedAt, online, loadInfo, refresh, startPolling, stopPolling }
})
