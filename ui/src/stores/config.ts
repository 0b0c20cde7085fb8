import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, type LocalConfig } from '@/api'

/** The city's configuration as the local cache holds it (offline too): the one category
 *  list the forms offer (SPEC §10). Reloaded after every sync, which may bring a new one. */
export const useConfigStore = defineStore('config', () => {
  const local = ref<LocalConfig | null>(null)

  /** Categories offered for new work, in the city's order. */
  const categories = computed(() => (local.value?.categories ?? []).filter((c) => !c.retired).map((c) => c.name))
  /** Every category the city has had (list filters find old cases by a retired one). */
  const allCategories = computed(() => (local.value?.categories ?? []).map((c) => c.name))

  async function load(): Promise<void> {
    try {
      local.value = await api.configLocal()
    } catch {
      // Without a session there is no cache to read; the next sign-in loads it.
    }
  }

  return { local, categories, allCategories, load }
})
