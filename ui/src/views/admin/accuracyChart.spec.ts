import { describe, expect, it } from 'vitest'
import type { WeekRates } from '@/api/online'
import { noDispatches, percent, percentText, rateOf, weekLabel, weeklyOption } from './accuracyChart'

const week = (weekStart: string, dispatches: number, rate: number | null): WeekRates => ({
  weekStart,
  rates: {
    dispatches,
    categoryMatched: 0,
    unitMatched: 0,
    requestTypeMatched: 0,
    categoryRate: rate,
    unitRate: rate === null ? null : rate / 2,
    requestTypeRate: rate,
  },
})

describe('模型准确率 chart', () => {
  it('shows rates as percentages and absent ones as gaps', () => {
    expect(percent(0.875)).toBe(87.5)
    expect(percent(null)).toBeNull()
    expect(percentText(1)).toBe('100.0%')
    expect(percentText(null)).toBe('—')
    expect(weekLabel('2026-11-23')).toBe('11-23')
    const weeks = [week('2026-11-16', 4, 0.5), week('2026-11-23', 0, null)]
    expect(rateOf(weeks[0]!, 'unit')).toBe(0.25)
    const o = weeklyOption(weeks, { category: '诉求分类', unit: '承办单位', requestType: '诉求类型' }) as {
      xAxis: { data: string[] }
      series: { name: string; data: (number | null)[]; connectNulls: boolean }[]
    }
    expect(o.xAxis.data).toEqual(['11-16', '11-23'])
    expect(o.series.map((s) => s.name)).toEqual(['诉求分类', '承办单位', '诉求类型'])
    expect(o.series[1]?.data).toEqual([25, null])
    expect(o.series.every((s) => !s.connectNulls)).toBe(true)
    expect(noDispatches(weeks)).toBe(false)
    expect(noDispatches([week('2026-11-23', 0, null)])).toBe(true)
  })
})
