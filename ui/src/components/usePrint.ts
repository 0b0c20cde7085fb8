// Saving a printed document: asks for the print folder when none is set (then retries),
// keeps the last saved file for the 打开 button, reports missing glyphs.
import { ElMessage, ElMessageBox } from 'element-plus'
import { ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError, errorMessage } from '@/api'
import { documents, type SavedDocument } from '@/api/documents'

export function usePrint() {
  const { t } = useI18n()
  const busy = ref<string | null>(null)
  const saved = ref<SavedDocument | null>(null)

  async function askFolder(message: string): Promise<boolean> {
    try {
      await ElMessageBox.confirm(message, t('print.title'), {
        type: 'warning',
        confirmButtonText: t('print.pickFolder'),
        cancelButtonText: t('form.cancel'),
      })
    } catch {
      return false
    }
    return (await documents.pickFolder()) !== null
  }

  /** Runs one print; `what` names the document for the busy state. */
  async function print(what: string, run: () => Promise<SavedDocument>): Promise<void> {
    busy.value = what
    try {
      try {
        saved.value = await run()
      } catch (err: unknown) {
        if (!(err instanceof ApiError && err.code === 'NO_PRINT_FOLDER' && (await askFolder(err.message)))) throw err
        saved.value = await run()
      }
      if (saved.value.missingChars) ElMessage.warning(t('print.missing', { chars: saved.value.missingChars }))
      else ElMessage.success(t('print.saved'))
    } catch (err: unknown) {
      ElMessage.error(errorMessage(err))
    } finally {
      busy.value = null
    }
  }

  async function open(): Promise<void> {
    if (!saved.value) return
    try {
      await documents.open(saved.value.path)
    } catch (err: unknown) {
      ElMessage.error(errorMessage(err))
    }
  }

  return { busy, saved, print, open }
}
