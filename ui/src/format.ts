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
