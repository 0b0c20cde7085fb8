// Chart tooltips are HTML in ECharts: a label from the data must not become markup.
import { describe, expect, it } from 'vitest'
import type { AnalyticsView } from '@/api/online'
import { escapeHtml, pieOption, satisfactionOption } from '@/views/analytics/charts'

const EVIL = '<img src=x onerror="alert(1)">治安&管理'

function view(): AnalyticsView {
  return {
    by: 'category',
    buckets: [{ key: 'k', label: EVIL, count: 3, closed: 1, satisfaction: 80, answered: 5, unsatisfied: 1 }],
  } as unknown as AnalyticsView
}

type Formatter = (p: unknown) => string

describe('chart tooltips escape data labels', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
  })

  it('the share ring and the satisfaction bars show the label as text', () => {
    const pie = pieOption(view(), '其他') as { tooltip: { formatter: Formatter } }
    const pieTip = pie.tooltip.formatter({ name: EVIL, value: 3, percent: 100 })
    const sat = satisfactionOption(view()) as { tooltip: { formatter: Formatter } }
    const satTip = sat.tooltip.formatter([{ name: EVIL, value: 80, dataIndex: 0 }])
    for (const tip of [pieTip, satTip]) {
      expect(tip).not.toContain('<img')
      expect(tip).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;治安&amp;管理')
    }
  })
})
