// Dates are shown as YYYY-MM-DD HH:mm in Asia/Shanghai, whatever the machine's zone.
const parts = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

export function formatDateTime(date: Date): string {
  const p: Record<string, string> = {}
  for (const { type, value } of parts.formatToParts(date)) p[type] = value
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/** An ISO instant from the Rust side as `YYYY-MM-DD HH:mm` (Beijing); '—' when absent. */
export function formatIso(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '—' : formatDateTime(d)
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
