// Opening a case from a server list: the detail screen works from the local cache only.
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
