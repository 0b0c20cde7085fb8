// Unit pickers: the org tree flattened into option groups (one per parent unit), so a
// filterable select finds "历下交警大队" under 交警支队 and "泉城路派出所" under 历下分局.
import type { Unit } from '@/api'

export interface UnitOptionGroup {
  /** The parent unit (or the unit itself when it has none). */
  id: string
  label: string
  options: { value: string; label: string }[]
}

const byCode = (a: Unit, b: Unit): number => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)

/** Enabled units of the given levels, minus `exclude`, grouped by parent in org-code
 *  order (a unit the admin disabled gets no new work). */
export function unitOptionGroups(
  units: readonly Unit[],
  levels: readonly Unit['level'][],
  exclude: readonly string[] = [],
): UnitOptionGroup[] {
  const byId = new Map(units.map((u) => [u.id, u]))
  const skip = new Set(exclude)
  const groups = new Map<string, UnitOptionGroup>()
  const order: Unit[] = []
  for (const u of [...units].sort(byCode)) {
    if (!u.active || !levels.includes(u.level) || skip.has(u.id)) continue
    const head = (u.parent ? byId.get(u.parent) : undefined) ?? u
    let g = groups.get(head.id)
    if (!g) {
      g = { id: head.id, label: head.name, options: [] }
      groups.set(head.id, g)
      order.push(head)
    }
    g.options.push({ value: u.id, label: u.name })
  }
  return order.sort(byCode).flatMap((h) => {
    const g = groups.get(h.id)
    return g ? [g] : []
  })
}
