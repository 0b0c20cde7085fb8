// Server answers used by the analytics specs (shapes of crates/server's DTOs).
import type { AnalyticsView, BoardEntry, Counts, Dashboard, RedBlack, ScoreBoard, ScoreRow } from '@/api/online'

export const COUNTS: Counts = {
  received: 12,
  signInDecided: 12,
  signInLate: 1,
  replyDecided: 10,
  replyLate: 2,
  returned: 1,
  answered: 8,
  rehandled: 1,
  satisfied: 7,
  overdue: 3,
  duplicates: 2,
  accountability: 0,
}

export function row(over: Partial<ScoreRow> = {}): ScoreRow {
  return {
    rank: 1,
    previousRank: 3,
    movement: 2,
    unitId: 'u-1',
    unitName: '泉城路派出所',
    officerId: null,
    officerName: null,
    counts: COUNTS,
    rates: { signInOnTime: 91.67, replyOnTime: 80, returnRate: 8.33, rehandleRate: 12.5, satisfaction: 87.5, duplicateShare: 14.29 },
    score: 88.25,
    unranked: null,
    explain: '/api/v1/assessment/explain?period=month&date=2026-11-01&unit=u-1',
    ...over,
  }
}

function entry(r: ScoreRow): BoardEntry {
  const { rank, previousRank, movement, unitId, unitName, officerId, officerName, score } = r
  return { rank, previousRank, movement, unitId, unitName, officerId, officerName, score }
}

export function board(level: ScoreBoard['level'] = 'station', kind: ScoreBoard['period']['kind'] = 'month', current = true): ScoreBoard {
  const label = kind === 'week' ? '2026年第48周' : kind === 'year' ? '2026年' : '2026年11月'
  const period = { kind, start: '2026-11-01', end: '2026-11-30', label, from: '2026-10-31T16:00:00Z', to: '2026-11-30T16:00:00Z' }
  const rows = [
    row(),
    row({ rank: 2, previousRank: 1, movement: -1, unitId: 'u-2', unitName: '趵突泉派出所', score: 85.1 }),
    row({ rank: 3, previousRank: null, movement: null, unitId: 'u-3', unitName: '千佛山派出所', score: 80 }),
    row({ rank: 4, previousRank: 4, movement: 0, unitId: 'u-4', unitName: '大明湖派出所', score: 70 }),
    row({ rank: null, previousRank: null, movement: null, unitId: 'u-5', unitName: '新设派出所', score: 100, unranked: '样本不足，不参与排名' }),
  ]
  // What the server sends: red and black computed there, disjoint.
  const lists: RedBlack = {
    period,
    current,
    level,
    minVolume: 5,
    red: [entry(rows[0]!), entry(rows[1]!)],
    black: [entry(rows[3]!), entry(rows[2]!)],
  }
  return {
    period,
    previous: { kind, start: '2026-10-01', end: '2026-10-31', label: '2026年10月', from: '2026-09-30T16:00:00Z', to: '2026-10-31T16:00:00Z' },
    level,
    source: 'facts',
    asOf: '2026-11-26T02:00:00Z',
    weights: {
      signInOnTime: 15,
      replyOnTime: 25,
      satisfaction: 40,
      noReturn: 10,
      noRehandle: 10,
      deductPerOverdue: 0.5,
      deductPerReturn: 0,
      deductPerRehandle: 0,
      maxDeduction: 20,
      deductPerAccountability: 2,
      minVolume: 5,
    },
    rows,
    totals: { counts: { ...COUNTS, received: 60, overdue: 15 }, rates: rows[0]!.rates },
    lists,
  }
}

export function view(by: AnalyticsView['by'], labels: [string, number][]): AnalyticsView {
  return {
    by,
    from: '2026-10-31T16:00:00Z',
    to: '2026-11-30T16:00:00Z',
    total: labels.reduce((n, [, c]) => n + c, 0),
    // Server-side sums (chosen apart from the buckets so a UI sum would show).
    totals: { count: labels.reduce((n, [, c]) => n + c, 0) + 7, closed: 321, answered: 50, unsatisfied: 4, satisfaction: 92, duplicates: 9 },
    missing: 7,
    buckets: labels.map(([label, count]) => ({
      key: label,
      label,
      count,
      closed: Math.floor(count / 2),
      answered: 10,
      unsatisfied: 1,
      satisfaction: 90,
      duplicates: 1,
      cases: null,
      exact: { path: '/api/v1/analytics/cases', query: { category: label } },
    })),
  }
}

export function dashboard(kind: ScoreBoard['period']['kind'] = 'month', current = true): Dashboard {
  const b = board('station', kind, current)
  return {
    period: b.period,
    current,
    worklists: { unsigned: 3, inProgress: 10, dueSoon: 2, overdue: 1 },
    calendarWarning: null,
    totals: b.totals,
    lists: b.lists,
    latestReports: [
      {
        id: 'r1',
        kind: 'week',
        periodStart: '2026-11-16',
        title: '2026年第47周民生警务周报',
        generatedAt: '2026-11-23T16:10:00Z',
        generatedBy: 'schedule',
        export: '/api/v1/reports/r1/export.xlsx',
      },
    ],
    alerts: [],
  }
}

export const OFFLINE = { code: 'OFFLINE', message: '无法连接到市局服务器（离线）：connection refused' }
