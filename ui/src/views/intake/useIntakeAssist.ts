// Live assistance while a request is typed: the server's suggestions, duplicate
// candidates and the caller's history (`api.intakeAssist`, online only). Asked once the
// clerk pauses; only the answer to the latest question is shown.
import { onScopeDispose, ref, shallowRef, watch } from 'vue'
import { api, ApiError, errorMessage, type AssistDraft, type IntakeAssist } from '@/api'

/** empty: nothing typed yet; offline: the server cannot be reached (the form still works). */
export type AssistState = 'empty' | 'loading' | 'ready' | 'offline' | 'error'

/** The pause after which the panel asks: with the server's answer (tens of ms on the demo data)
 * the suggestions stand within 300 ms of the clerk pausing (SPEC §9, measured in the README). */
export const ASSIST_DELAY_MS = 200

function hasInput(d: AssistDraft): boolean {
  return [d.title, d.content, d.citizenPhone ?? ''].some((s) => s.trim() !== '')
}

/** `draft` is read whenever one of its parts changes; `delay` is the pause before asking. */
export function useIntakeAssist(draft: () => AssistDraft, delay = ASSIST_DELAY_MS) {
  const state = ref<AssistState>('empty')
  const answer = shallowRef<IntakeAssist | null>(null)
  /** Round trip of the shown answer, measured here (the target is 300 ms after a pause). */
  const elapsedMs = ref<number | null>(null)
  const error = ref('')
  let timer: ReturnType<typeof setTimeout> | null = null
  /** Bumped by every question (and by clearing), so a late answer is recognised and dropped. */
  let seq = 0

  function cancel(): void {
    if (timer !== null) clearTimeout(timer)
    timer = null
  }

  async function ask(d: AssistDraft): Promise<void> {
    const mine = ++seq
    const started = performance.now()
    state.value = 'loading'
    try {
      const a = await api.intakeAssist(d)
      if (mine !== seq) return
      answer.value = a
      elapsedMs.value = Math.round(performance.now() - started)
      state.value = 'ready'
    } catch (err: unknown) {
      if (mine !== seq) return
      answer.value = null
      elapsedMs.value = null
      if (err instanceof ApiError && err.code === 'OFFLINE') {
        state.value = 'offline'
      } else {
        error.value = errorMessage(err)
        state.value = 'error'
      }
    }
  }

  function clear(): void {
    cancel()
    seq++
    answer.value = null
    elapsedMs.value = null
    state.value = 'empty'
  }

  /** Asks now (e.g. after a reconnect), without waiting for a pause. */
  function refresh(): Promise<void> {
    cancel()
    const d = draft()
    if (!hasInput(d)) {
      clear()
      return Promise.resolve()
    }
    return ask(d)
  }

  watch(
    () => {
      const d = draft()
      return [d.title, d.content, d.citizenPhone ?? '', d.address ?? ''].join('\u0000')
    },
    () => {
      cancel()
      if (!hasInput(draft())) {
        clear()
        return
      }
      timer = setTimeout(() => {
        timer = null
        void ask(draft())
      }, delay)
    },
    { immediate: true }, // a restored draft gets its assistance without a keystroke
  )

  onScopeDispose(() => {
    cancel()
    seq++
  })

  return { state, answer, elapsedMs, error, refresh, clear }
}
