// Opening a case from a server list: the detail screen works from the local cache, so a
// case this computer does not cache is first brought into it from the server (online).
import { api } from '@/api'
import type { Router } from 'vue-router'

/** Navigates to /cases/:id when the case is cached; false when it is not (caller explains). */
export async function openIfCached(router: Router, id: string): Promise<boolean> {
  try {
    await api.getCase(id)
  } catch {
    return false
  }
  await router.push(`/cases/${id}`)
  return true
}

/**
 * Navigates to /cases/:id, fetching the case into the cache first when it is not cached
 * (a closed case older than the cache window, or a case in a statistic). Rejects with the
 * server's message when it cannot be fetched (offline, or outside the user's scope).
 */
export async function openCase(router: Router, id: string): Promise<void> {
  if (await openIfCached(router, id)) return
  await api.fetchCase(id)
  await router.push(`/cases/${id}`)
}
