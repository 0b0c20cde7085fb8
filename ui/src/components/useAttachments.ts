// The attachments card's logic: load the case's list, poll while uploads are under way
// (the progress lives in the encrypted cache, written after each chunk), add files from
// a file input, fetch thumbnails once, view, save, retry, remove.
import { ElMessage, ElMessageBox } from 'element-plus'
import { computed, onBeforeUnmount, ref, watch, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { errorMessage } from '@/api'
import { attachmentsApi, type AttachmentItem } from '@/api/attachments'

const POLL_MS = 1000

/** `data:` URL of bytes (the CSP allows data: images, not blob:). */
export function dataUrl(type: string, bytes: Uint8Array): string {
  let bin = ''
  const step = 0x8000
  for (let i = 0; i < bytes.length; i += step) bin += String.fromCharCode(...bytes.subarray(i, i + step))
  return `data:${type};base64,${btoa(bin)}`
}

export function sizeText(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`
  if (n >= 1024) return `${Math.ceil(n / 1024)} KB`
  return `${n} B`
}

export function useAttachments(caseId: Ref<string | null>) {
  const { t } = useI18n()
  const items = ref<AttachmentItem[]>([])
  const mayAttach = ref(false)
  const adding = ref(false)
  const thumbs = ref<Record<string, string>>({})
  const preview = ref<{ name: string; url: string } | null>(null)
  let timer: ReturnType<typeof setTimeout> | null = null

  const busy = computed(() => items.value.some((a) => a.state === 'queued' || a.state === 'uploading'))

  function stateText(a: AttachmentItem): string {
    if (a.state === 'uploading') return t('attachments.uploading', { p: a.size > 0 ? Math.floor((a.sent * 100) / a.size) : 0 })
    return t(`attachments.${a.state}`)
  }

  async function loadThumbs(): Promise<void> {
    const id = caseId.value
    if (id === null) return
    for (const a of items.value) {
      if (!a.hasThumbnail || thumbs.value[a.id] !== undefined) continue
      try {
        thumbs.value = { ...thumbs.value, [a.id]: dataUrl('image/jpeg', await attachmentsApi.bytes(id, a.id, true)) }
      } catch {
        // Offline and never fetched: the icon stays.
      }
    }
  }

  async function load(): Promise<void> {
    if (timer !== null) clearTimeout(timer)
    timer = null
    const id = caseId.value
    if (id === null) {
      items.value = []
      return
    }
    try {
      const list = await attachmentsApi.list(id)
      items.value = list.items
      mayAttach.value = list.mayAttach
    } catch {
      items.value = []
    }
    void loadThumbs()
    if (busy.value) timer = setTimeout(() => void load(), POLL_MS)
  }

  async function addFiles(files: FileList | null): Promise<void> {
    const id = caseId.value
    if (id === null || files === null) return
    adding.value = true
    try {
      for (const f of Array.from(files)) {
        try {
          await attachmentsApi.add(id, f.name, new Uint8Array(await f.arrayBuffer()))
        } catch (e) {
          ElMessage.error(`${f.name}：${errorMessage(e)}`)
        }
      }
    } finally {
      adding.value = false
      await load()
    }
  }

  async function view(a: AttachmentItem): Promise<void> {
    const id = caseId.value
    if (id === null) return
    try {
      const bytes = await attachmentsApi.bytes(id, a.id, false)
      if (a.contentType.startsWith('image/')) preview.value = { name: a.name, url: dataUrl(a.contentType, bytes) }
      else await save(a)
    } catch (e) {
      ElMessage.error(`${errorMessage(e)}（${t('attachments.offlineView')}）`)
    }
  }

  async function save(a: AttachmentItem): Promise<void> {
    const id = caseId.value
    if (id === null) return
    try {
      ElMessage.success(t('attachments.saved', { path: await attachmentsApi.save(id, a.id, a.name) }))
    } catch (e) {
      ElMessage.error(errorMessage(e))
    }
  }

  async function retry(a: AttachmentItem): Promise<void> {
    await attachmentsApi.retry(a.id).catch((e: unknown) => ElMessage.error(errorMessage(e)))
    await load()
  }

  async function remove(a: AttachmentItem): Promise<void> {
    try {
      await ElMessageBox.confirm(t('attachments.removeConfirm', { name: a.name }), t('attachments.remove'), { type: 'warning' })
    } catch {
      return
    }
    await attachmentsApi.remove(a.id).catch((e: unknown) => ElMessage.error(errorMessage(e)))
    await load()
  }

  watch(caseId, () => void load(), { immediate: true })
  onBeforeUnmount(() => {
    if (timer !== null) clearTimeout(timer)
  })

  return { items, mayAttach, adding, thumbs, preview, busy, stateText, load, addFiles, view, save, retry, remove }
}
