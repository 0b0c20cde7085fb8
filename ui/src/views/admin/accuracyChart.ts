// 模型准确率: the weekly rates of `GET /intelligence/accuracy` as table rows and as an
// ECharts line option (pure, testable). Rates come as 0..1; a week without dispatches
// has null rates and stays a gap, never a made-up 0 %.
import type { WeekRates } from '@/api/online'
import { PALETTE } from '@/views/analytics/charts'

export type RateField = 'category' | 'unit' | 'requestType'
export const RATE_FIELDS: RateField[] = ['category', 'unit', 'requestType']

/** A 0..1 rate as a percentage value with one decimal (87.5), null when absent. */
export function percent(rate: number | null | undefined): number | null {
  return rate === null || rate === undefined ? null : Math.round(rate * 1000) / 10
}

/** "87.5%" or "—". */
export function percentText(rate: number | null | undefined): string {
  const p = percent(rate)
  return p === null ? '—' : `${p.toFixed(1)}%`
}

export function rateOf(w: WeekRates, f: RateField): number | null {
  const r = w.rates
  return { category: r.categoryRate, unit: r.unitRate, requestType: r.requestTypeRate }[f]
}

/** `11-23` for the week starting 2026-11-23. */
export function weekLabel(weekStart: string): string {
  return weekStart.slice(5)
}

/** True when no week of the report had a dispatch. */
export function noDispatches(weeks: readonly WeekRates[]): boolean {
  return weeks.every((w) => w.rates.dispatches === 0)
}

/** One line per rate over the weeks (percent), gaps where a week had no dispatches. */
export function weeklyOption(weeks: readonly WeekRates[], names: Record<RateField, string>): Record<string, unknown> {
  return {
    color: PALETTE,
    textStyle: { fontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif" },
    animationDuration: 300,
    tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => (v === null || v === undefined ? '—' : `${v}%`) },
    legend: { top: 0, right: 8, itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 12 } },
    grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
    xAxis: { type: 'category', boundaryGap: false, data: weeks.map((w) => weekLabel(w.weekStart)), axisLabel: { fontSize: 11 } },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' }, splitLine: { lineStyle: { type: 'dashed' } } },
    series: RATE_FIELDS.map((f) => ({
      name: names[f],
      type: 'line',
      symbolSize: 6,
      connectNulls: false,
      data: weeks.map((w) => percent(rateOf(w, f))),
    })),
  }
}
