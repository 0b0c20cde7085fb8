// ECharts options of the command view, built from analytics answers (pure, testable).
import type { AnalyticsView, Bucket } from '@/api/online'
import { fmtInt, fmtPct } from './numbers'

/** The palette of the platform (brand blue first), readable on white. */
export const PALETTE = ['#1f4e99', '#2e8b57', '#e6a23c', '#d4380d', '#6f42c1', '#13a8a8', '#8c8c8c', '#faad14', '#2f54eb', '#a0d911', '#eb2f96', '#597ef7']

const BASE = {
  color: PALETTE,
  textStyle: { fontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif" },
  animationDuration: 300,
}

/**
 * ECharts renders a tooltip formatter's string as HTML. Labels come from data (unit names,
 * categories, districts from imports), so every one is escaped before it goes in.
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)
}

/** The bucket a chart item stands for (dataIndex → bucket), for drill-down on click. */
export type BucketRef = { bucket: Bucket }

/** A ring chart of shares; slices beyond `max` are folded into 其他 (not drillable). */
export function pieOption(view: AnalyticsView | null, otherLabel: string, max = 10): Record<string, unknown> {
  const buckets = view?.buckets ?? []
  const head = buckets.slice(0, max)
  const rest = buckets.slice(max).reduce((n, b) => n + b.count, 0)
  const data: { name: string; value: number; bucket?: Bucket }[] = head.map((b) => ({ name: b.label, value: b.count, bucket: b }))
  if (rest > 0) data.push({ name: otherLabel, value: rest })
  return {
    ...BASE,
    tooltip: {
      trigger: 'item',
      formatter: (p: { name: string; value: number; percent: number }) =>
        `${escapeHtml(p.name)}<br/>${fmtInt(p.value)} 件（${fmtPct(p.percent)}）`,
    },
    legend: { type: 'scroll', orient: 'vertical', right: 4, top: 'middle', itemWidth: 10, itemHeight: 10, textStyle: { fontSize: 12 } },
    series: [
      {
        type: 'pie',
        radius: ['38%', '68%'],
        center: ['36%', '50%'],
        avoidLabelOverlap: true,
        label: { show: false },
        labelLine: { show: false },
        data,
      },
    ],
  }
}

/** Horizontal bars of the biggest `top` buckets, largest on top. */
export function rankOption(view: AnalyticsView | null, top = 10): Record<string, unknown> {
  const buckets = (view?.buckets ?? []).slice(0, top).reverse()
  return {
    ...BASE,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 40, top: 8, bottom: 8 },
    xAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { type: 'dashed' } } },
    yAxis: { type: 'category', data: buckets.map((b) => b.label), axisLabel: { fontSize: 12, width: 120, overflow: 'truncate' } },
    series: [
      {
        type: 'bar',
        barMaxWidth: 14,
        data: buckets.map((b) => ({ value: b.count, bucket: b })),
        label: { show: true, position: 'right', fontSize: 11 },
        itemStyle: { color: '#1f4e99' },
      },
    ],
  }
}

/** A trend line (received and closed) over time buckets, or over hours of the day. */
export function trendOption(view: AnalyticsView | null, names: { received: string; closed: string }): Record<string, unknown> {
  const buckets = view?.buckets ?? []
  const labels = buckets.map((b) => (view?.by === 'day' ? b.label.slice(5) : b.label))
  return {
    ...BASE,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, right: 8, itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 12 } },
    grid: { left: 8, right: 16, top: 28, bottom: 8 },
    xAxis: { type: 'category', boundaryGap: false, data: labels, axisLabel: { fontSize: 11 } },
    yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { type: 'dashed' } } },
    series: [
      {
        name: names.received,
        type: 'line',
        smooth: true,
        symbolSize: 5,
        areaStyle: { opacity: 0.12 },
        data: buckets.map((b) => ({ value: b.count, bucket: b })),
      },
      { name: names.closed, type: 'line', smooth: true, symbolSize: 5, data: buckets.map((b) => ({ value: b.closed, bucket: b })) },
    ],
  }
}

/** Satisfaction % per bucket (only those with follow-up answers), lowest highlighted. */
export function satisfactionOption(view: AnalyticsView | null, top = 12): Record<string, unknown> {
  const buckets = (view?.buckets ?? []).filter((b) => b.satisfaction !== null).slice(0, top)
  const color = (p: number) => (p >= 95 ? '#2e8b57' : p >= 85 ? '#e6a23c' : '#d4380d')
  return {
    ...BASE,
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (ps: { name: string; value: number; dataIndex: number }[]) => {
        const p = ps[0]
        if (!p) return ''
        const b = buckets[p.dataIndex]
        return `${escapeHtml(p.name)}<br/>${fmtPct(p.value)}（回访 ${fmtInt(b?.answered)} 件，不满意 ${fmtInt(b?.unsatisfied)} 件）`
      },
    },
    grid: { left: 8, right: 16, top: 16, bottom: 8 },
    xAxis: {
      type: 'category',
      data: buckets.map((b) => b.label),
      axisLabel: { fontSize: 11, interval: 0, rotate: buckets.length > 6 ? 30 : 0, width: 80, overflow: 'truncate' },
    },
    yAxis: { type: 'value', min: (v: { min: number }) => Math.max(0, Math.floor(v.min / 10) * 10 - 10), max: 100, axisLabel: { formatter: '{value}%' } },
    series: [
      {
        type: 'bar',
        barMaxWidth: 22,
        data: buckets.map((b) => ({ value: b.satisfaction, bucket: b, itemStyle: { color: color(b.satisfaction ?? 0) } })),
        label: { show: true, position: 'top', fontSize: 10, formatter: (p: { value: number }) => fmtPct(p.value) },
      },
    ],
  }
}
