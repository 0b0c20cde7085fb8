// 知识库维护: the standard replies (规范答复口径) as admins and clerks keep them, through the
// online passthrough (`/knowledge` GET/POST, `/knowledge/{id}` PUT/DELETE,
// `/knowledge/{id}/review` POST). Online only; offline the screen shows its offline state.
import { computed, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError, errorMessage } from '@/api'
import { online, type StandardReply } from '@/api/online'
import { useOnlineLoad } from '@/views/useOnlineLoad'

/** The server's limits (crates/server/src/http/knowledge.rs). */
export const CATEGORY_MAX = 50
export const TITLE_MAX = 100
export const BODY_MAX = 5000

export interface KnowledgeDraft {
  category: string
  title: string
  body: string
}

export function useKnowledge() {
  const { t } = useI18n()
  const rows = ref<StandardReply[]>([])
  const { state, error, run } = useOnlineLoad((err) => describe(err))
  const category = ref('')
  const text = ref('')
  const includeRetired = ref(true)
  /** Categories seen in the unfiltered list, for the filter. */
  const categories = ref<string[]>([])

  /** A failure as the user should read it: the stale-version case in plain words, else the server's message. */
  function describe(err: unknown): string {
    if (err instanceof ApiError && err.code === 'STALE_VERSION') return t('knowledge.admin.stale')
    return errorMessage(err)
  }

  async function load(): Promise<void> {
    await run(
      () =>
        online.standardReplies({
          category: category.value || undefined,
          q: text.value.trim() || undefined,
          includeRetired: includeRetired.value || undefined,
        }),
      (list) => {
        rows.value = list
        const seen = new Set([...categories.value, ...list.map((r) => r.category)])
        categories.value = [...seen].sort((a, b) => a.localeCompare(b, 'zh-CN'))
      },
      () => (rows.value = []),
    )
  }

  /** Replaces one row with the server's answer (or adds it). */
  function put(next: StandardReply): void {
    const i = rows.value.findIndex((r) => r.id === next.id)
    if (i >= 0) rows.value.splice(i, 1, next)
    else rows.value.unshift(next)
    if (!categories.value.includes(next.category)) categories.value = [...categories.value, next.category].sort()
  }

  /** Checks a draft against the server's rules; the message of the first rule broken, or null. */
  function invalid(d: KnowledgeDraft): string | null {
    if (!d.category.trim() || !d.title.trim() || !d.body.trim()) return t('knowledge.admin.required')
    if ([...d.category.trim()].length > CATEGORY_MAX || [...d.title.trim()].length > TITLE_MAX || [...d.body.trim()].length > BODY_MAX)
      return t('knowledge.admin.tooLong')
    return null
  }

  /** Creates (no `editing`) or saves an edit from `editing.version`; throws a readable Error. */
  async function save(d: KnowledgeDraft, editing: StandardReply | null): Promise<StandardReply> {
    const bad = invalid(d)
    if (bad) throw new Error(bad)
    const body = { category: d.category.trim(), title: d.title.trim(), body: d.body.trim() }
    try {
      const next = editing
        ? await online.updateStandardReply(editing.id, { expectedVersion: editing.version, ...body })
        : await online.createStandardReply(body)
      put(next)
      return next
    } catch (err: unknown) {
      throw new Error(describe(err))
    }
  }

  async function review(r: StandardReply): Promise<void> {
    try {
      put(await online.reviewStandardReply(r.id))
    } catch (err: unknown) {
      throw new Error(describe(err))
    }
  }

  async function retire(r: StandardReply): Promise<void> {
    try {
      const next = await online.retireStandardReply(r.id)
      if (includeRetired.value) put(next)
      else rows.value = rows.value.filter((x) => x.id !== r.id)
    } catch (err: unknown) {
      throw new Error(describe(err))
    }
  }

  const empty = computed(() => state.value === 'ready' && rows.value.length === 0)

  return { rows, state, error, category, text, includeRetired, categories, empty, load, save, review, retire, invalid }
}
