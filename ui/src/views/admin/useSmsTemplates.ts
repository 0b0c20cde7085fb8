// 短信模板 (admin): the templates (`GET /sms/templates`), an editor whose text is rendered
// on the server's sample case while the admin types (`POST /sms/templates/{code}/preview`,
// so placeholders are checked by the server), and the save (`PUT /sms/templates/{code}`).
import { ref } from 'vue'
import { errorMessage } from '@/api'
import { online, type SmsTemplate, type TemplatePreview } from '@/api/online'
import { useOnlineLoad } from '@/views/useOnlineLoad'

/** Wait after the last keystroke before asking for a preview. */
export const PREVIEW_DELAY_MS = 300

export interface TemplateDraft {
  code: string
  name: string
  body: string
  providerTemplateId: string
}

/** `body` with `{name}` put at `at` (the caret; the end when unknown). */
export function insertPlaceholder(body: string, name: string, at: number | null = null): { body: string; caret: number } {
  const token = `{${name}}`
  const i = at === null || at < 0 || at > body.length ? body.length : at
  return { body: body.slice(0, i) + token + body.slice(i), caret: i + token.length }
}

export function useSmsTemplates(delay = PREVIEW_DELAY_MS) {
  const rows = ref<SmsTemplate[]>([])
  const { state, error, run } = useOnlineLoad()
  const draft = ref<TemplateDraft | null>(null)
  const preview = ref<TemplatePreview | null>(null)
  /** The placeholders the open template may use (kept while a draft is refused). */
  const placeholders = ref<TemplatePreview['placeholders']>([])
  /** The server's refusal of the draft (unknown placeholder, braces, length). */
  const bodyError = ref('')
  const previewing = ref(false)
  const saving = ref(false)
  let timer: ReturnType<typeof setTimeout> | null = null
  /** Answers to older drafts are dropped: only the latest request may set the preview. */
  let asked = 0

  async function load(): Promise<void> {
    await run(
      online.smsTemplates,
      (list) => (rows.value = list),
      () => (rows.value = []),
    )
  }

  async function renderNow(): Promise<void> {
    const d = draft.value
    if (!d) return
    const n = ++asked
    previewing.value = true
    try {
      const p = await online.previewSmsTemplate(d.code, d.body)
      if (n !== asked) return
      preview.value = p
      placeholders.value = p.placeholders
      bodyError.value = ''
    } catch (err: unknown) {
      if (n !== asked) return
      preview.value = null
      bodyError.value = errorMessage(err)
    } finally {
      if (n === asked) previewing.value = false
    }
  }

  /** Asks for a preview once the admin stops typing. */
  function schedule(): void {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      void renderNow()
    }, delay)
  }

  function open(t: SmsTemplate): void {
    draft.value = { code: t.code, name: t.name, body: t.body, providerTemplateId: t.providerTemplateId ?? '' }
    preview.value = null
    placeholders.value = []
    bodyError.value = ''
    void renderNow()
  }

  function close(): void {
    if (timer) clearTimeout(timer)
    timer = null
    asked++
    previewing.value = false
    draft.value = null
  }

  /** Saves the draft; true when stored (the list shows the server's answer). */
  async function save(): Promise<boolean> {
    const d = draft.value
    if (!d) return false
    saving.value = true
    try {
      const t = await online.saveSmsTemplate(d.code, {
        name: d.name.trim() || null,
        body: d.body,
        providerTemplateId: d.providerTemplateId.trim() || null,
      })
      const i = rows.value.findIndex((r) => r.code === t.code)
      if (i >= 0) rows.value.splice(i, 1, t)
      else rows.value.push(t)
      close()
      return true
    } catch (err: unknown) {
      bodyError.value = errorMessage(err)
      return false
    } finally {
      saving.value = false
    }
  }

  return { rows, state, error, draft, preview, placeholders, bodyError, previewing, saving, load, open, close, schedule, renderNow, save }
}
