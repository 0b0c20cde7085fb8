// 服务器检索 from the case list: the cache holds the user's open cases and recently closed
// ones; older closed cases live only on the city server. Online, the same keyword searches
// the whole scope there (keyset pages of 50) and a row opens after it is fetched.
import { computed, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { api, errorMessage, type ServerCaseSummary } from '@/api'
import { formatIso } from '@/format'
import { useOrgStore } from '@/stores/org'
import type { DrawerRow } from './analytics/CaseListDrawer.vue'

export function useServerSearch() {
  const { t } = useI18n()
  const org = useOrgStore()
  const open = ref(false)
  const text = ref('')
  const items = ref<ServerCaseSummary[]>([])
  const total = ref<number | null>(null)
  const cursor = ref<string | null>(null)
  const loading = ref(false)
  const error = ref('')
  let seq = 0

  async function page(first: boolean): Promise<void> {
    const mine = ++seq
    loading.value = true
    try {
      const p = await api.searchServer(text.value, first ? null : cursor.value)
      if (mine !== seq) return
      items.value = first ? p.items : [...items.value, ...p.items]
      if (first) total.value = p.total
      cursor.value = p.nextCursor
      error.value = ''
    } catch (err: unknown) {
      if (mine === seq) error.value = errorMessage(err)
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  /** Opens the drawer with the first page for `keyword`. */
  function search(keyword: string): void {
    text.value = keyword.trim()
    items.value = []
    total.value = null
    cursor.value = null
    open.value = true
    void page(true)
  }

  const rows = computed<DrawerRow[]>(() =>
    items.value.map((c) => ({
      id: c.id,
      number: c.number,
      title: c.title,
      cells: {
        state: t(`state.${c.state}`),
        unit: c.handlingUnit ? org.name(c.handlingUnit) : '—',
        received: formatIso(c.receivedAt),
      },
    })),
  )
  const columns = computed(() => [
    { key: 'state', label: t('cases.state'), width: 90 },
    { key: 'unit', label: t('cases.unit'), width: 150 },
    { key: 'received', label: t('cases.receivedAt'), width: 150 },
  ])
  const subtitle = computed(() => {
    if (error.value) return error.value
    if (total.value === null) return ''
    return t('cases.serverSearchTotal', { n: total.value, text: text.value })
  })

  return {
    open,
    rows,
    columns,
    subtitle,
    loading,
    more: computed(() => cursor.value !== null),
    search,
    next: () => void page(false),
  }
}
