import { describe, expect, it } from 'vitest'
import { formatDateTime, formatIso, beijingDayStart, fromBeijingPicker, toBeijingPicker } from '@/format'

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

describe('date pickers in Beijing time on any machine', () => {
  const instant = new Date('2026-12-07T01:30:00Z') // 09:30 in Beijing
  type Offset = (ms: number) => number
  const utcMachine: Offset = () => 0
  const beijingMachine: Offset = () => 8 * 3600_000
  const newYorkMachine: Offset = () => -5 * 3600_000

  it('shows the Beijing wall clock in the picker and gives back the same instant', () => {
    for (const machine of [utcMachine, beijingMachine, newYorkMachine]) {
      const shown = toBeijingPicker(instant, machine)
      // The picker shows local fields: shown + machine offset, read as UTC fields.
      const wall = new Date(shown.getTime() + machine(shown.getTime()))
      expect([wall.getUTCHours(), wall.getUTCMinutes()]).toEqual([9, 30])
      expect(fromBeijingPicker(shown, machine).toISOString()).toBe(instant.toISOString())
    }
    expect(toBeijingPicker(instant, beijingMachine).getTime()).toBe(instant.getTime())
  })

  it('a picked calendar day starts at 00:00 Beijing time', () => {
    expect(beijingDayStart(new Date(2026, 11, 7)).toISOString()).toBe('2026-12-06T16:00:00.000Z')
  })
})
