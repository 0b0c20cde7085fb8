// Finding a case in the local cache by its number (MS202611260001), for linking a
// duplicate without typing an id.
import { api, type CaseRow, type LocalCaseQuery } from '@/api'

/** The number as typed, without spaces, upper case (`ms2026…` → `MS2026…`). */
export function normalizeNumber(input: string): string {
  return input.replace(/\s+/g, '').toUpperCase()
}

const page = (q: Partial<LocalCaseQuery>): LocalCaseQuery => ({ offset: 0, limit: 1, ...q })

/**
 * The cached case with exactly this number, or null. The keyword search is asked first;
 * the cache's text index only covers title and content for keywords of three or more
 * characters, so when that misses, the list sorted by number is bisected (numbers are
 * fixed-width ASCII, so the cache's text order is JavaScript's; cases not yet numbered
 * sort first), a handful of one-row reads.
 */
export async function findCaseByNumber(input: string): Promise<CaseRow | null> {
  const number = normalizeNumber(input)
  if (number === '') return null
  const hits = await api.listCases(page({ keyword: number, limit: 50 }))
  const direct = hits.rows.find((r) => r.number === number)
  if (direct) return direct

  const at = (offset: number) => api.listCases(page({ sort: 'number', desc: false, offset }))
  const first = await at(0)
  let lo = 0
  let hi = first.total
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2)
    const row = mid === 0 ? first.rows[0] : (await at(mid)).rows[0]
    if (!row) return null
    const n = row.number
    if (n === number) return row
    if (n === null || n < number) lo = mid + 1
    else hi = mid
  }
  return null
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
