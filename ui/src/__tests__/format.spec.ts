import { describe, expect, it } from 'vitest'
import { formatDateTime, formatIso } from '@/format'

describe('formatIso', () => {
  it('shows Beijing time whatever the machine zone', () => {
    expect(formatIso('2026-11-26T17:30:00Z')).toBe('2026-11-27 01:30')
    expect(formatIso('2026-01-01T00:05:09.999Z')).toBe('2026-01-01 08:05')
    expect(formatDateTime(new Date(Date.UTC(2026, 5, 30, 15, 59)))).toBe('2026-06-30 23:59')
  })

  it('shows a dash for nothing or garbage', () => {
    expect(formatIso(null)).toBe('—')
    expect(formatIso('')).toBe('—')
    expect(formatIso('not a date')).toBe('—')
  })
})
