import { ElMessage, ElMessageBox } from 'element-plus'
import { useI18n } from 'vue-i18n'
import { api, errorMessage, type CaseRow } from '@/api'
import { useSyncStore } from '@/stores/sync'

/** 催办 from a list row: asks for the message, queues the action. */
export function useUrge() {
  const { t } = useI18n()
  const sync = useSyncStore()
  return async function urge(row: CaseRow): Promise<void> {
    let message: string
    try {
      const r = await ElMessageBox.prompt(`${row.number ?? ''} ${row.title}`, t('action.urge'), {
        inputPlaceholder: t('field.message'),
        inputValidator: (v: string) => (v.trim() === '' ? t('form.required') : true),
        confirmButtonText: t('form.submit'),
        cancelButtonText: t('form.cancel'),
      })
      message = r.value.trim()
    } catch {
      return // cancelled
    }
    try {
      await api.act(row.id, { type: 'urge', message })
      ElMessage.success(t('form.queued', { action: t('action.urge') }))
      await sync.localChange()
    } catch (err: unknown) {
      ElMessage.error(errorMessage(err))
    }
  }
}
