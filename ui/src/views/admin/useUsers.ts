// 用户管理 (admin): the directory in keyset pages (`GET /users/search`), new accounts,
// edits of name / role / unit, password resets and disabling, through the online
// passthrough. The rules (which unit level a role works at, the last admin, the password
// policy) are the server's; its refusals come back under the field they concern.
import { computed, reactive, ref } from 'vue'
import { ApiError } from '@/api'
import { online, type Account, type AccountQuery } from '@/api/online'
import { useOnlineLoad } from '@/views/useOnlineLoad'

export const PAGE_SIZE = 50

export interface UserFilters {
  unit: string
  role: string
  q: string
  /** '' any, 'true' active, 'false' disabled. */
  active: '' | 'true' | 'false'
}

export interface AccountDraft {
  username: string
  displayName: string
  role: string
  unitId: string
  phone: string
  password: string
}

/** A form field a server refusal belongs under. */
export type DraftField = keyof AccountDraft | 'form'

/** Which field a refusal of the server concerns, by its stable code. */
export function fieldOfError(err: unknown): DraftField {
  if (!(err instanceof ApiError)) return 'form'
  switch (err.code) {
    case 'ROLE_UNIT_MISMATCH':
    case 'UNKNOWN_UNIT':
      return 'unitId'
    case 'ALREADY_EXISTS':
      return 'username'
    case 'LAST_ADMIN':
      return 'role'
    case 'INVALID_FIELD':
      // The policy's message names the password; a bad phone number names the phone.
      return /密码|password/i.test(err.message) ? 'password' : 'phone'
    default:
      return 'form'
  }
}

/** A random password of 12 characters with upper and lower case letters, digits and a symbol. */
export function generatePassword(random: (n: number) => number = cryptoRandom): string {
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnpqrstuvwxyz', '23456789', '#@%+=!?']
  const all = sets.join('')
  const chars = sets.map((s) => s[random(s.length)] ?? s[0])
  while (chars.length < 12) chars.push(all[random(all.length)] ?? 'x')
  // Shuffle so the classes are not always in the same places.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = random(i + 1)
    ;[chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? '']
  }
  return chars.join('')
}

function cryptoRandom(n: number): number {
  const buf = new Uint32Array(1)
  globalThis.crypto.getRandomValues(buf)
  return (buf[0] ?? 0) % n
}

export function useUsers() {
  const filters = reactive<UserFilters>({ unit: '', role: '', q: '', active: '' })
  const rows = ref<Account[]>([])
  const total = ref(0)
  const next = ref<string | null>(null)
  const { state, error, failed, run } = useOnlineLoad()
  const loadingMore = ref(false)

  function query(cursor?: string): AccountQuery {
    return {
      unit: filters.unit || undefined,
      role: filters.role || undefined,
      q: filters.q.trim() || undefined,
      active: filters.active === '' ? undefined : filters.active === 'true',
      cursor,
      limit: PAGE_SIZE,
    }
  }

  /** The first page for the current filters. */
  async function load(): Promise<void> {
    await run(
      () => online.accounts(query()),
      (page) => {
        rows.value = page.items
        total.value = page.total
        next.value = page.nextCursor
      },
      () => (rows.value = []),
    )
  }

  /** Appends the next page. */
  async function more(): Promise<void> {
    if (!next.value || loadingMore.value) return
    loadingMore.value = true
    try {
      const page = await online.accounts(query(next.value))
      const seen = new Set(rows.value.map((r) => r.id))
      rows.value = [...rows.value, ...page.items.filter((r) => !seen.has(r.id))]
      total.value = page.total
      next.value = page.nextCursor
    } catch (err: unknown) {
      failed(err)
    } finally {
      loadingMore.value = false
    }
  }

  function resetFilters(): Promise<void> {
    Object.assign(filters, { unit: '', role: '', q: '', active: '' })
    return load()
  }

  /** Puts the server's answer in place of the row. */
  function replace(a: Account): void {
    const i = rows.value.findIndex((r) => r.id === a.id)
    if (i >= 0) rows.value.splice(i, 1, a)
  }

  async function create(d: AccountDraft): Promise<void> {
    await online.createAccount({
      username: d.username.trim(),
      displayName: d.displayName.trim(),
      role: d.role,
      unitId: d.unitId,
      phone: d.phone.trim() || null,
      password: d.password,
    })
    await load()
  }

  async function edit(id: string, d: Pick<AccountDraft, 'displayName' | 'role' | 'unitId'>): Promise<Account> {
    const a = await online.editAccount(id, {
      displayName: d.displayName.trim(),
      role: d.role as Account['role'],
      unitId: d.unitId,
    })
    replace(a)
    return a
  }

  async function resetPassword(id: string, password: string): Promise<Account> {
    const a = await online.resetPassword(id, password)
    replace(a)
    return a
  }

  async function setActive(a: Account, active: boolean): Promise<Account> {
    const next = await online.setAccountActive(a.id, active)
    // A filtered list (active only / disabled only) no longer holds it.
    if (filters.active !== '' && (filters.active === 'true') !== active) {
      rows.value = rows.value.filter((r) => r.id !== a.id)
      total.value = Math.max(0, total.value - 1)
    } else {
      replace(next)
    }
    return next
  }

  const hasMore = computed(() => next.value !== null)
  const empty = computed(() => state.value === 'ready' && rows.value.length === 0)

  return {
    filters,
    rows,
    total,
    state,
    error,
    loadingMore,
    hasMore,
    empty,
    load,
    more,
    resetFilters,
    create,
    edit,
    resetPassword,
    setActive,
  }
}
