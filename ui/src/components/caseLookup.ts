// Finding a case in the local cache by its number (MS202611260001), for linking a
// duplicate without typing an id.
import { api, type CaseRow } from '@/api'

/** The number as typed, without spaces, upper case (`ms2026…` → `MS2026…`). */
export function normalizeNumber(input: string): string {
  return input.replace(/\s+/g, '').toUpperCase()
}

/**
 * The cached case with exactly this number, or null. The cache's keyword search matches a
 * number-shaped keyword against the number column (crates/client cache/query.rs), so one
 * query answers it.
 */
export async function findCaseByNumber(input: string): Promise<CaseRow | null> {
  const number = normalizeNumber(input)
  if (number === '') return null
  const hits = await api.listCases({ keyword: number, offset: 0, limit: 50 })
  return hits.rows.find((r) => r.number === number) ?? null
}

/**
 * How to name another case on screen (a duplicate's master): its number and title from
 * the cache, else from the server when online, else the start of its id.
 */
export async function caseLabel(id: string): Promise<string> {
  const label = (number: unknown, title: unknown) =>
    [typeof number === 'string' ? number : '', typeof title === 'string' ? title : ''].filter((x) => x !== '').join(' ')
  try {
    const l = await api.getCase(id)
    return label(l.case.number, l.case.title) || id.slice(0, 8)
  } catch {
    try {
      const v = await api.caseRemote(id)
      return label(v.number, v.title) || id.slice(0, 8)
    } catch {
      return id.slice(0, 8)
    }
  }
}
