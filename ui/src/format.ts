// Dates are shown as YYYY-MM-DD HH:mm in Beijing time, whatever the machine's zone.
// China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact; it
// also spares the web view ICU's time-zone and date-format data (a few MB per process).
const BEIJING_OFFSET_MS = 8 * 3600 * 1000

const pad = (n: number): string => String(n).padStart(2, '0')

export function formatDateTime(date: Date): string {
  const b = new Date(date.getTime() + BEIJING_OFFSET_MS)
  return `${b.getUTCFullYear()}-${pad(b.getUTCMonth() + 1)}-${pad(b.getUTCDate())} ${pad(b.getUTCHours())}:${pad(b.getUTCMinutes())}`
}

/** An ISO instant from the Rust side as `YYYY-MM-DD HH:mm` (Beijing); '—' when absent. */
export function formatIso(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '—' : formatDateTime(d)
}

/** The machine's UTC offset at `ms` in milliseconds (UTC+8 → 8 h). */
function machineOffsetMs(ms: number): number {
  return -new Date(ms).getTimezoneOffset() * 60_000
}

/**
 * Date pickers show a value in the machine's zone. These shift an instant so a picker shows
 * (and the user picks) Beijing wall-clock time on any machine, like every other time on
 * screen: on a machine set to Beijing time both are the identity.
 */
export function toBeijingPicker(instant: Date, offset: (ms: number) => number = machineOffsetMs): Date {
  return new Date(instant.getTime() + BEIJING_OFFSET_MS - offset(instant.getTime()))
}

/** The instant a picker value stands for (the inverse of `toBeijingPicker`). */
export function fromBeijingPicker(shown: Date, offset: (ms: number) => number = machineOffsetMs): Date {
  return new Date(shown.getTime() - BEIJING_OFFSET_MS + offset(shown.getTime()))
}

/** 00:00 Beijing time of the calendar day a date picker shows as `day` (its local fields). */
export function beijingDayStart(day: Date): Date {
  return new Date(Date.UTC(day.getFullYear(), day.getMonth(), day.getDate()) - BEIJING_OFFSET_MS)
}

type Translate = (key: string, params?: Record<string, unknown>) => string

/** A span of working minutes as "2个工作日3小时" / "45分钟". */
export function formatWorkingSpan(minutes: number, minutesPerDay: number, t: Translate): string {
  const m = Math.abs(Math.round(minutes))
  const perDay = minutesPerDay > 0 ? minutesPerDay : 480
  const days = Math.floor(m / perDay)
  const hours = Math.floor((m % perDay) / 60)
  if (days > 0) return t('countdown.days', { n: days }) + (hours > 0 ? t('countdown.hours', { n: hours }) : '')
  if (hours > 0) return t('countdown.hours', { n: hours })
  return t('countdown.minutes', { n: m % 60 })
}

/** The deadline countdown shown in lists: "剩 2个工作日" or "已超 3小时". */
export function formatCountdown(minutes: number, minutesPerDay: number, t: Translate): string {
  const span = formatWorkingSpan(minutes, minutesPerDay, t)
  return minutes < 0 ? t('countdown.overdue', { t: span }) : t('countdown.left', { t: span })
}
