// 短信死信队列 (admin): SMS the outbox gave up on (`GET /sms/outbox?status=dead`), put back
// in the queue (`POST …/retry`) or discarded with a reason (`POST …/discard`), and the
// ones already discarded. Both writes are audited by the server.
import { computed, ref } from 'vue'
import { errorMessage } from '@/api'
import { online, type OutboxMessage } from '@/api/online'
import { useOnlineLoad } from '@/views/useOnlineLoad'

export type DeadLetterView = 'dead' | 'discarded'

export function useDeadLetters() {
  const view = ref<DeadLetterView>('dead')
  const rows = ref<OutboxMessage[]>([])
  const { state, error, run } = useOnlineLoad()
  const busy = ref<string | null>(null)

  async function load(): Promise<void> {
    await run(
      () => online.outbox(view.value),
      (list) => (rows.value = list),
      () => (rows.value = []),
    )
  }

  function drop(id: string): void {
    rows.value = rows.value.filter((r) => r.id !== id)
  }

  /** Puts the message back in the queue; it leaves this list. Throws a readable Error. */
  async function retry(m: OutboxMessage): Promise<void> {
    busy.value = m.id
    try {
      await online.retrySms(m.id)
      drop(m.id)
    } catch (err: unknown) {
      throw new Error(errorMessage(err))
    } finally {
      busy.value = null
    }
  }

  /** Gives the message up with `reason` (the server requires one). Throws a readable Error. */
  async function discard(m: OutboxMessage, reason: string): Promise<void> {
    busy.value = m.id
    try {
      await online.discardSms(m.id, reason.trim())
      drop(m.id)
    } catch (err: unknown) {
      throw new Error(errorMessage(err))
    } finally {
      busy.value = null
    }
  }

  function show(v: DeadLetterView): Promise<void> {
    view.value = v
    return load()
  }

  const empty = computed(() => state.value === 'ready' && rows.value.length === 0)

  return { view, rows, state, error, busy, empty, load, show, retry, discard }
}
