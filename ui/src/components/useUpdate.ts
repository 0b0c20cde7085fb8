// The update flow the dialog shows (issue 17): an offer arrives (the background check's
// `update-available` event, or 检查更新), the user picks 立即更新 or 稍后; installing
// with offline actions still queued asks once more (Rust refuses with
// UPDATE_QUEUE_NOT_EMPTY and names the count), then downloads with progress. One shared
// state: the dialog lives in the shell, the triggers (menu, CLIENT_TOO_OLD) elsewhere.
import { computed, ref } from 'vue'
import { ApiError, errorMessage } from '@/api'
import { UPDATE_QUEUE_NOT_EMPTY, updates, type UpdateOffer, type UpdateProgress } from '@/api/updates'

export interface UpdateDeps {
  check: () => Promise<UpdateOffer | null>
  install: (confirmQueued: boolean) => Promise<unknown>
  dismiss: (version: string) => Promise<unknown>
  /** Asks the user; resolves to true for yes. `message` is the Rust refusal (names the count). */
  confirmQueued: (message: string) => Promise<boolean>
}

export type UpdatePhase = 'offer' | 'installing' | 'restarting'

export function createUpdateFlow(deps: UpdateDeps) {
  const offer = ref<UpdateOffer | null>(null)
  const visible = ref(false)
  const phase = ref<UpdatePhase>('offer')
  const progress = ref<UpdateProgress | null>(null)
  const error = ref('')
  const checking = ref(false)

  /** Shows `o` (the event or a manual check); a dialog already installing is left alone. */
  function announce(o: UpdateOffer): void {
    if (phase.value !== 'offer') return
    offer.value = o
    error.value = ''
    visible.value = true
  }

  /** 检查更新: 'offer' (the dialog opens) or 'latest'. Failures throw a readable Error. */
  async function checkNow(): Promise<'offer' | 'latest'> {
    checking.value = true
    try {
      const o = await deps.check()
      if (!o) return 'latest'
      announce(o)
      return 'offer'
    } catch (err: unknown) {
      throw new Error(errorMessage(err))
    } finally {
      checking.value = false
    }
  }

  /** 稍后: closes; the background check stays quiet about this version. */
  async function later(): Promise<void> {
    visible.value = false
    const v = offer.value?.version
    if (v) await deps.dismiss(v).catch(() => undefined)
  }

  function onProgress(p: UpdateProgress): void {
    if (phase.value === 'installing') progress.value = p
  }

  /** 立即更新. Resolves once the app restarts (or the user declined / it failed). */
  async function install(): Promise<void> {
    error.value = ''
    progress.value = null
    phase.value = 'installing'
    try {
      try {
        await deps.install(false)
      } catch (err: unknown) {
        if (!(err instanceof ApiError && err.code === UPDATE_QUEUE_NOT_EMPTY)) throw err
        if (!(await deps.confirmQueued(err.message))) {
          phase.value = 'offer'
          return
        }
        await deps.install(true)
      }
      phase.value = 'restarting'
    } catch (err: unknown) {
      error.value = errorMessage(err)
      phase.value = 'offer'
    }
  }

  /** 0..100 while the size is known. */
  const percent = computed(() => {
    const p = progress.value
    if (!p || !p.total) return 0
    return Math.min(100, Math.floor((p.downloaded / p.total) * 100))
  })

  return { offer, visible, phase, progress, percent, error, checking, announce, checkNow, later, install, onProgress }
}

export type UpdateFlow = ReturnType<typeof createUpdateFlow>

let shared: UpdateFlow | null = null
let asker: ((message: string) => Promise<boolean>) | null = null

/** The app's one update flow; `confirmQueued` is the dialog's question (set by the dialog). */
export function useUpdate(confirmQueued?: (message: string) => Promise<boolean>): UpdateFlow {
  if (!shared) {
    shared = createUpdateFlow({
      check: updates.check,
      install: updates.install,
      dismiss: updates.dismiss,
      confirmQueued: (m) => (asker ? asker(m) : Promise.resolve(false)),
    })
    // Listened for here, not in the dialog: an offer that arrives while the dialog is not
    // mounted (the lock screen is up) is kept and shown once it is.
    updates.onAvailable(shared.announce).catch(() => undefined)
    updates.onProgress(shared.onProgress).catch(() => undefined)
  }
  if (confirmQueued) asker = confirmQueued
  return shared
}

/** 检查更新 from a menu or a notice: the dialog opens, or a toast says 已是最新版本 / why not. */
export async function checkForUpdates(say: { latest: () => void; failed: (message: string) => void }): Promise<void> {
  try {
    if ((await useUpdate().checkNow()) === 'latest') say.latest()
  } catch (err: unknown) {
    say.failed(errorMessage(err))
  }
}
