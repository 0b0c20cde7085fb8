// Number formats of the analytics screens: zh-CN grouping, percentages with one decimal.
import type { BoardEntry, PeriodKind } from '@/api/online'

const INT = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 0 })
const ONE = new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 1, maximumFractionDigits: 1 })
const TWO = new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/** 12,345 ; '—' when absent. */
export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined || Number.isNaN(n) ? '—' : INT.format(n)
}

/** 98.5% (the server sends percent values); '—' when there is no denominator. */
export function fmtPct(p: number | null | undefined): string {
  return p === null || p === undefined || Number.isNaN(p) ? '—' : `${ONE.format(p)}%`
}

/** A composite score: 92.35. */
export function fmtScore(s: number | null | undefined): string {
  return s === null || s === undefined || Number.isNaN(s) ? '—' : TWO.format(s)
}

/** A share of a whole as a percentage value (0–100), null for an empty whole. */
export function share(part: number, whole: number): number | null {
  return whole > 0 ? (part * 100) / whole : null
}

export type MovementDir = 'up' | 'down' | 'same' | 'new' | 'none'

export interface Movement {
  dir: MovementDir
  /** Places moved (absolute). */
  places: number
}

/** How a row moved since the previous period (红黑榜 arrows). */
export function movementOf(row: Pick<BoardEntry, 'rank' | 'previousRank' | 'movement'>): Movement {
  if (row.rank === null) return { dir: 'none', places: 0 }
  if (row.movement === null || row.previousRank === null) return { dir: 'new', places: 0 }
  if (row.movement > 0) return { dir: 'up', places: row.movement }
  if (row.movement < 0) return { dir: 'down', places: -row.movement }
  return { dir: 'same', places: 0 }
}

/** What a 红黑榜 title calls its period: the word for the current week/month/year
 * (本周/本月/本年 from `words`), otherwise the period's own label (2026年10月). The server
 * says whether the period is the current one; the lists themselves are never made here. */
export function periodName(
  lists: { period: { kind: PeriodKind; label: string }; current: boolean },
  words: Record<PeriodKind, string>,
): string {
  return lists.current ? words[lists.period.kind] : lists.period.label
}

const BJ_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' })

/** Today's date in Beijing as YYYY-MM-DD (from parts: WebKitGTK formats en-CA as MM/DD/YYYY). */
export function beijingToday(now: Date = new Date()): string {
  const p: Record<string, string> = {}
  for (const { type, value } of BJ_DATE.formatToParts(now)) p[type] = value
  return `${p.year}-${p.month}-${p.day}`
}

/** Moves a YYYY-MM-DD date by whole periods (for ◀ ▶ buttons). */
export function shiftDate(date: string, kind: PeriodKind, by: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const t = new Date(Date.UTC(y, m - 1, d))
  if (kind === 'week') t.setUTCDate(t.getUTCDate() + 7 * by)
  else if (kind === 'month') t.setUTCMonth(t.getUTCMonth() + by, 1)
  else t.setUTCFullYear(t.getUTCFullYear() + by, 0, 1)
  return t.toISOString().slice(0, 10)
}
