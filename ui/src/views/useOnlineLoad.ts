// The load state every server-backed (online-only) screen shows: loading, ready, offline
// (no link to the city server: not an error, the screen says so) or error with the
// server's Chinese message. One place for what the screens used to repeat.
import { ref } from 'vue'
import { errorMessage } from '@/api'
import { isOffline } from '@/api/online'
import type { LoadState } from '@/stores/analytics'

export function useOnlineLoad(describe: (err: unknown) => string = errorMessage) {
  const state = ref<LoadState>('idle')
  const error = ref('')

  /** A failure as the screen shows it: offline, or the error's message. */
  function failed(err: unknown): void {
    if (isOffline(err)) {
      state.value = 'offline'
    } else {
      error.value = describe(err)
      state.value = 'error'
    }
  }

  /** Runs `fetch` and hands its answer to `apply`; on failure `reset` clears what was
   *  shown and the state says why. Resolves to whether it loaded. */
  async function run<T>(fetch: () => Promise<T>, apply: (value: T) => void, reset?: () => void): Promise<boolean> {
    state.value = 'loading'
    try {
      apply(await fetch())
      state.value = 'ready'
      return true
    } catch (err: unknown) {
      reset?.()
      failed(err)
      return false
    }
  }

  return { state, error, failed, run }
}
