import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, type Unit, type UserSummary } from '@/api'

export interface UnitNode {
  value: string
  label: string
  level: number
  children?: UnitNode[]
}

/** The org tree from the cache: names for ids, the tree for unit pickers, users per unit. */
export const useOrgStore = defineStore('org', () => {
  const units = ref<Unit[]>([])
  const users = ref<Record<string, UserSummary[]>>({})

  const byId = computed(() => new Map(units.value.map((u) => [u.id, u])))

  const tree = computed<UnitNode[]>(() => {
    const nodes = new Map<string, UnitNode>()
    for (const u of units.value) nodes.set(u.id, { value: u.id, label: u.name, level: u.level })
    const roots: UnitNode[] = []
    // Codes are ASCII: a plain comparison (localeCompare would load ICU's Chinese collation).
    const sorted = [...units.value].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
    for (const u of sorted) {
      const node = nodes.get(u.id)
      if (!node) continue
      const parent = u.parent ? nodes.get(u.parent) : undefined
      if (parent) (parent.children ??= []).push(node)
      else roots.push(node)
    }
    return roots
  })

  function name(id: string | null | undefined): string {
    if (!id) return '—'
    return byId.value.get(id)?.name ?? id.slice(0, 8)
  }

  async function load(): Promise<void> {
    try {
      units.value = await api.units()
    } catch {
      units.value = []
    }
  }

  async function usersOf(unit: string): Promise<UserSummary[]> {
    const cached = users.value[unit]
    if (cached) return cached
    const list = await api.unitUsers(unit)
    users.value = { ...users.value, [unit]: list }
    return list
  }

  function userName(id: string | null | undefined): string {
    if (!id) return '—'
    for (const list of Object.values(users.value)) {
      const u = list.find((x) => x.id === id)
      if (u) return u.displayName
    }
    return id.slice(0, 8)
  }

  return { units, byId, tree, name, load, usersOf, userName }
})
