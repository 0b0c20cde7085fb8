// 组织机构 (admin): the org tree as the server holds it (`GET /units`), a new unit
// (`POST /units`) and changes to one (`PATCH /units/{id}`: rename, code, move, kind,
// police line, jurisdiction, disable). The server checks the tree (a cycle, a parent not
// one level up, a taken code) and answers in Chinese; a move re-scopes the cases.
import { computed, reactive, ref } from 'vue'
import { errorMessage, type Unit } from '@/api'
import { online, type NewUnit, type UnitEdit } from '@/api/online'
import { useOnlineLoad } from '@/views/useOnlineLoad'

export interface UnitNode {
  id: string
  label: string
  unit: Unit
  children: UnitNode[]
}

/** The units as a tree in code order (roots: level-1 units without a parent). */
export function buildTree(units: readonly Unit[]): UnitNode[] {
  const byCode = (a: Unit, b: Unit) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)
  const nodes = new Map<string, UnitNode>()
  for (const u of units) nodes.set(u.id, { id: u.id, label: u.name, unit: u, children: [] })
  const roots: UnitNode[] = []
  for (const u of [...units].sort(byCode)) {
    const node = nodes.get(u.id)
    if (!node) continue
    const parent = u.parent ? nodes.get(u.parent) : undefined
    if (parent) parent.children.push(node)
    else roots.push(node)
  }
  return roots
}

/** Lines of a text area as a clean list (blank lines and repeats dropped). */
export function lines(text: string): string[] {
  return [...new Set(text.split(/[\n,，、]/).map((s) => s.trim()).filter(Boolean))]
}

export interface UnitDraft {
  code: string
  name: string
  parent: string | null
  kind: Unit['kind']
  policeLine: string | null
  streets: string
  districts: string
  active: boolean
}

export function toDraft(u: Unit): UnitDraft {
  return {
    code: u.code,
    name: u.name,
    parent: u.parent,
    kind: u.kind,
    policeLine: u.policeLine,
    streets: u.jurisdiction.streets.join('\n'),
    districts: u.jurisdiction.districts.join('\n'),
    active: u.active,
  }
}

/** Only what changed, as `PATCH /units/{id}` takes it. */
export function editOf(before: Unit, d: UnitDraft): UnitEdit {
  const e: UnitEdit = {}
  if (d.name.trim() !== before.name) e.name = d.name.trim()
  if (d.code.trim() !== before.code) e.code = d.code.trim()
  if (d.parent && d.parent !== before.parent) e.parent = d.parent
  if (d.kind !== before.kind) e.kind = d.kind as UnitEdit['kind']
  if (d.policeLine !== before.policeLine) {
    if (d.policeLine) e.policeLine = d.policeLine as UnitEdit['policeLine']
    else e.clearPoliceLine = true
  }
  const streets = lines(d.streets)
  const districts = lines(d.districts)
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i])
  if (!same(streets, [...before.jurisdiction.streets].sort()) || !same(districts, [...before.jurisdiction.districts].sort())) {
    e.jurisdiction = { streets: [...streets].sort(), districts: [...districts].sort() }
  }
  if (d.active !== before.active) e.active = d.active
  return e
}

export function useOrgAdmin() {
  const { state, error, run } = useOnlineLoad()
  const units = ref<Unit[]>([])
  const selected = ref<string | null>(null)
  const draft = reactive<UnitDraft>({ code: '', name: '', parent: null, kind: '派出所', policeLine: null, streets: '', districts: '', active: true })
  const saveError = ref('')
  const saving = ref(false)

  const tree = computed(() => buildTree(units.value))
  const current = computed(() => units.value.find((u) => u.id === selected.value) ?? null)
  /** Parents a unit may move under: enabled units exactly one level up. */
  const parents = computed(() => {
    const u = current.value
    if (!u) return []
    return units.value.filter((p) => p.level === u.level - 1 && p.active && p.id !== u.id)
  })

  function select(id: string): void {
    selected.value = id
    const u = units.value.find((x) => x.id === id)
    if (u) Object.assign(draft, toDraft(u))
    saveError.value = ''
  }

  async function load(): Promise<void> {
    await run(online.units, (list) => {
      units.value = list
      if (selected.value) select(selected.value)
    })
  }

  /** Saves the draft; resolves to how many cases changed scope (null when refused). */
  async function save(): Promise<number | null> {
    const before = current.value
    if (!before) return null
    const edit = editOf(before, draft)
    if (Object.keys(edit).length === 0) return 0
    saving.value = true
    saveError.value = ''
    try {
      const changed = await online.updateUnit(before.id, edit)
      await load()
      return changed.rescopedCases
    } catch (err: unknown) {
      saveError.value = errorMessage(err)
      return null
    } finally {
      saving.value = false
    }
  }

  async function create(unit: NewUnit): Promise<string | null> {
    try {
      const u = await online.createUnit(unit)
      await load()
      select(u.id)
      return null
    } catch (err: unknown) {
      return errorMessage(err)
    }
  }

  return { state, error, units, tree, selected, current, parents, draft, saveError, saving, load, select, save, create }
}
