// 查看完整号码 (PIPL): the citizen's full phone/ID card from the server, which checks the
// role and writes the audit row. Held only in this component's memory, hidden again
// after a minute, when the case changes or when the page is left; never put in a store
// or in localStorage.
import { ElMessage } from 'element-plus'
import { onBeforeUnmount, shallowRef, ref, watch } from 'vue'
import { api, errorMessage, type CitizenView } from '@/api'

export const REVEAL_SECONDS = 60

export function useCitizenReveal(caseId: () => string) {
  const view = shallowRef<CitizenView | null>(null)
  const busy = ref(false)
  let timer: ReturnType<typeof setTimeout> | null = null

  function hide(): void {
    if (timer !== null) clearTimeout(timer)
    timer = null
    view.value = null
  }

  /** One click, one request (one audit row); the server's refusal (403) in its words. */
  async function reveal(): Promise<void> {
    if (busy.value) return
    busy.value = true
    try {
      const v = await api.revealCitizen(caseId())
      hide()
      view.value = v
      timer = setTimeout(hide, REVEAL_SECONDS * 1000)
    } catch (err: unknown) {
      ElMessage.error(errorMessage(err))
    } finally {
      busy.value = false
    }
  }

  watch(caseId, hide)
  onBeforeUnmount(hide)

  return { view, busy, reveal, hide }
}
