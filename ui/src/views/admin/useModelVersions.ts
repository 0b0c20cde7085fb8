// 系统管理 › 分派建议模型 (issue 16): the current model with its k-fold scores, the versions
// kept for rollback, retraining now and rolling back. The server decides everything
// (admin only, whether a retrained model is installed); this only shows and asks.
import { ref } from 'vue'
import { errorMessage } from '@/api'
import { online, type ModelStatus, type ModelVersionView, type RetrainReport } from '@/api/online'
import { useOnlineLoad } from '@/views/useOnlineLoad'

/** The tasks shown, in order: police relevance, category, unit kind. */
export const F1_TASKS = ['police_related', 'category', 'unit_type'] as const

/** "0.916 / 0.747 / 0.727"; a dash for a task without k-fold scores. */
export function f1Text(v: ModelVersionView): string {
  return F1_TASKS.map((t) => {
    const f = v.macroF1[t]
    return typeof f === 'number' ? f.toFixed(3) : '—'
  }).join(' / ')
}

export function useModelVersions(api = online) {
  const status = ref<ModelStatus | null>(null)
  const { state, error, run } = useOnlineLoad()
  const retraining = ref(false)
  const rollingBack = ref<number | null>(null)

  async function load(): Promise<void> {
    await run(api.modelStatus, (s) => (status.value = s), () => (status.value = null))
  }

  /** Retrains now; the report says whether the new model was installed. Throws a readable Error. */
  async function retrain(): Promise<RetrainReport> {
    retraining.value = true
    try {
      const report = await api.retrainModel()
      status.value = await api.modelStatus()
      return report
    } catch (err: unknown) {
      throw new Error(errorMessage(err))
    } finally {
      retraining.value = false
    }
  }

  /** Makes `version` current again. Throws a readable Error. */
  async function rollback(version: number): Promise<void> {
    rollingBack.value = version
    try {
      status.value = await api.rollbackModel(version)
    } catch (err: unknown) {
      throw new Error(errorMessage(err))
    } finally {
      rollingBack.value = null
    }
  }

  return { status, state, error, retraining, rollingBack, load, retrain, rollback }
}
