import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, onSyncStatus, type SyncReport, type SyncStatus, type WorkListCounts } from '@/api'

const EMPTY: SyncStatus = {
  online: false,
  syncing: false,
  queued: 0,
  conflicts: 0,
  lastSyncAt: null,
  lastError: null,
  lastErrorCode: null,
  nextAttemptAt: null,
  loginRequired: false,
}

/** Sync status pushed by the shell (`sync-status`), plus the 民生清单 counts it invalidates. */
export const useSyncStore = defineStore('sync', () => {
  const status = ref<SyncStatus>({ ...EMPTY })
  const counts = ref<WorkListCounts>({ unsigned: 0, inProgress: 0, dueSoon: 0, overdue: 0 })
  /** Bumped after every change of local data, so open views reload. */
  const revision = ref(0)
  let unlisten: (() => void) | null = null

  const online = computed(() => status.value.online)

  async function refreshCounts(): Promise<void> {
    try {
      counts.value = await api.worklistCounts()
    } catch {
      // Without a session there is nothing to count.
    }
  }

  function apply(next: SyncStatus): void {
    const finished = status.value.syncing && !next.syncing
    status.value = next
    if (finished) {
      revision.value++
      void refreshCounts()
    }
  }

  async function start(): Promise<void> {
    try {
      status.value = await api.syncStatus()
    } catch {
      status.value = { ...EMPTY }
    }
    await refreshCounts()
    if (unlisten === null) {
      try {
        unlisten = await onSyncStatus(apply)
      } catch {
        unlisten = null
      }
    }
  }

  function stop(): void {
    unlisten?.()
    unlisten = null
    status.value = { ...EMPTY }
  }

  async function syncNow(): Promise<SyncReport> {
    const report = await api.syncNow()
    status.value = await api.syncStatus()
    revision.value++
    await refreshCounts()
    return report
  }

  /** After a local write: the queue grew and lists changed. */
  async function localChange(): Promise<void> {
    revision.value++
    try {
      status.value = await api.syncStatus()
    } catch {
      // keep the last known status
    }
    await refreshCounts()
  }

  return { status, counts, revision, online, start, stop, syncNow, localChange, refreshCounts, apply }
})
