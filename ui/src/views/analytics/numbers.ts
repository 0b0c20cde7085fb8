// Number formats of the analytics screens: zh-CN grouping, percentages with one decimal.
import type { PeriodKind, ScoreRow } from '@/api/online'

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
export function movementOf(row: Pick<ScoreRow, 'rank' | 'previousRank' | 'movement'>): Movement {
  if (row.rank === null) return { dir: 'none', places: 0 }
  if (row.movement === null || row.previousRank === null) return { dir: 'new', places: 0 }
  if (row.movement > 0) return { dir: 'up', places: row.movement }
  if (row.movement < 0) return { dir: 'down', places: -row.movement }
  return { dir: 'same', places: 0 }
}

/** Best and worst `n` ranked rows (rows arrive best first); the worst list starts with the last.
 * With fewer than 2n rows the board is split in halves so no unit is on both lists. */
export function redBlack<T extends Pick<ScoreRow, 'rank'>>(rows: T[], n = 5): { red: T[]; black: T[] } {
  const ranked = rows.filter((r) => r.rank !== null)
  const blackSize = Math.min(n, Math.floor(ranked.length / 2))
  const redSize = Math.min(n, ranked.length - blackSize)
  return { red: ranked.slice(0, redSize), black: ranked.slice(ranked.length - blackSize).reverse() }
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
