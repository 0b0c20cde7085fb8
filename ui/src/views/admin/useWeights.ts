// 考核权重 (admin): the assessment weights and deductions as the server holds them
// (`GET /assessment/weights`), edited and saved with `PUT /assessment/weights`. The server
// validates; its Chinese message is shown under the part of the form it concerns.
import { computed, ref } from 'vue'
import { ApiError, errorMessage } from '@/api'
import { online, type Weights } from '@/api/online'
import { useOnlineLoad } from '@/views/useOnlineLoad'

export const WEIGHT_FIELDS = ['signInOnTime', 'replyOnTime', 'satisfaction', 'noReturn', 'noRehandle'] as const
export const DEDUCTION_FIELDS = ['deductPerOverdue', 'deductPerReturn', 'deductPerRehandle', 'maxDeduction', 'deductPerAccountability'] as const

/** Where a refusal of the server belongs: the minimum volume, or the weights and deductions. */
export type WeightsErrorAt = 'minVolume' | 'weights'

/** The refusal's place: the server's message for the minimum volume names it (参与排名的最少件数). */
export function errorPlace(message: string): WeightsErrorAt {
  return message.includes('最少件数') ? 'minVolume' : 'weights'
}

/** The server's message without the generic "请求格式错误：" lead. */
export function cleanMessage(err: unknown): string {
  const m = errorMessage(err)
  return err instanceof ApiError && err.code === 'BAD_REQUEST' ? m.replace(/^请求格式错误：/, '') : m
}

export function useWeights() {
  const saved = ref<Weights | null>(null)
  const draft = ref<Weights | null>(null)
  const { state, error, run } = useOnlineLoad()
  const saving = ref(false)
  const problem = ref<{ at: WeightsErrorAt; message: string } | null>(null)

  async function load(): Promise<void> {
    await run(online.weights, (w) => {
      saved.value = w
      draft.value = { ...w }
      problem.value = null
    })
  }

  function revert(): void {
    if (saved.value) draft.value = { ...saved.value }
    problem.value = null
  }

  /** Saves the draft; true when the server took it. */
  async function save(): Promise<boolean> {
    if (!draft.value) return false
    saving.value = true
    problem.value = null
    try {
      const w = await online.saveWeights(draft.value)
      saved.value = w
      draft.value = { ...w }
      return true
    } catch (err: unknown) {
      const message = cleanMessage(err)
      problem.value = { at: errorPlace(message), message }
      return false
    } finally {
      saving.value = false
    }
  }

  /** The sum of the five weights (the score scales them to 100). */
  const sum = computed(() => (draft.value ? WEIGHT_FIELDS.reduce((n, f) => n + (Number(draft.value?.[f]) || 0), 0) : 0))
  const dirty = computed(() => JSON.stringify(saved.value) !== JSON.stringify(draft.value))

  return { draft, saved, state, error, saving, problem, sum, dirty, load, revert, save }
}
