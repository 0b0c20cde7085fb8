import { clearMocks } from '@tauri-apps/api/mocks'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { withQuery } from '@/api/online'
import { trendDimension, useAnalyticsStore } from '@/stores/analytics'
import { beijingToday, fmtInt, fmtPct, movementOf, periodName, shiftDate } from '@/views/analytics/numbers'
import { board, OFFLINE, row } from './analyticsFixtures'
import { mockCommands } from './helpers'

describe('analytics numbers', () => {
  it('formats counts zh-CN and percentages with one decimal', () => {
    expect(fmtInt(1234567)).toBe('1,234,567')
    expect(fmtPct(87.5)).toBe('87.5%')
    expect(fmtPct(91.666)).toBe('91.7%')
    expect(fmtPct(100)).toBe('100.0%')
    expect(fmtPct(null)).toBe('—')
  })

  it('reads ranking movement: up, down, unchanged, new, unranked', () => {
    expect(movementOf(row({ rank: 1, previousRank: 3, movement: 2 }))).toEqual({ dir: 'up', places: 2 })
    expect(movementOf(row({ rank: 5, previousRank: 2, movement: -3 }))).toEqual({ dir: 'down', places: 3 })
    expect(movementOf(row({ rank: 4, previousRank: 4, movement: 0 }))).toEqual({ dir: 'same', places: 0 })
    expect(movementOf(row({ rank: 2, previousRank: null, movement: null }))).toEqual({ dir: 'new', places: 0 })
    expect(movementOf(row({ rank: null, previousRank: 1, movement: null }))).toEqual({ dir: 'none', places: 0 })
  })

  it('names the 红黑榜 period: 本周/本月/本年 when current, else the period label', () => {
    const words = { week: '本周', month: '本月', year: '本年' } as const
    const lists = (kind: 'week' | 'month' | 'year', label: string, current: boolean) => ({
      period: { kind, label },
      current,
    })
    expect(periodName(lists('week', '2026年第48周（11-23—11-29）', true), words)).toBe('本周')
    expect(periodName(lists('month', '2026年11月', true), words)).toBe('本月')
    expect(periodName(lists('year', '2026年', true), words)).toBe('本年')
    // A past period keeps its own name: never 本月 for last month or a past year.
    expect(periodName(lists('month', '2026年10月', false), words)).toBe('2026年10月')
    expect(periodName(lists('year', '2025年', false), words)).toBe('2025年')
  })

  it('steps periods by week, month and year', () => {
    expect(shiftDate('2026-11-26', 'week', -1)).toBe('2026-11-19')
    expect(shiftDate('2026-01-31', 'month', 1)).toBe('2026-02-01')
    expect(shiftDate('2026-11-26', 'year', -1)).toBe('2025-01-01')
    expect(beijingToday(new Date('2026-11-26T16:30:00Z'))).toBe('2026-11-27')
    expect(trendDimension('year')).toBe('month')
    expect(trendDimension('week')).toBe('day')
  })

  it('encodes query values and leaves empty ones out', () => {
    expect(withQuery('/analytics', { by: 'category', category: '噪音扰民', unit: '' })).toBe(
      '/analytics?by=category&category=%E5%99%AA%E9%9F%B3%E6%89%B0%E6%B0%91',
    )
  })
})

describe('analytics store', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => clearMocks())

  it('asks the server for the chosen period and level', async () => {
    const calls = mockCommands({ online_get: () => board('officer', 'week') })
    const store = useAnalyticsStore()
    store.setPeriod('week')
    store.date = '2026-11-26'
    store.level = 'officer'
    await store.loadBoard()
    expect(calls[0]?.args.path).toBe('/assessment/scores?period=week&date=2026-11-26&level=officer')
    expect(store.boardState).toBe('ready')
    expect(store.board?.rows).toHaveLength(5)
  })

  it('turns OFFLINE into the offline state, not an error', async () => {
    mockCommands({
      online_get: () => {
        throw OFFLINE
      },
    })
    const store = useAnalyticsStore()
    await store.loadBoard()
    await store.loadDashboard()
    await store.loadAlerts()
    expect(store.boardState).toBe('offline')
    expect(store.dashState).toBe('offline')
    expect(store.alertsState).toBe('offline')
    expect(store.boardError).toBe('')
  })

  it('reports a server refusal as an error with its message', async () => {
    mockCommands({
      online_get: () => {
        throw { code: 'FORBIDDEN', message: '无权查看' }
      },
    })
    const store = useAnalyticsStore()
    await store.loadBoard()
    expect(store.boardState).toBe('error')
    expect(store.boardError).toBe('无权查看')
  })

  it('exports the board through the download command', async () => {
    const calls = mockCommands({ online_download: () => '/home/u/下载/考核.xlsx' })
    const store = useAnalyticsStore()
    store.setPeriod('year')
    store.date = '2026-05-01'
    expect(await store.exportBoard('考核')).toBe('/home/u/下载/考核.xlsx')
    expect(calls[0]?.args).toEqual({
      path: '/assessment/scores.xlsx?period=year&date=2026-05-01&level=station',
      fileName: '考核',
    })
  })

  it('explains a row by unit, or by officer for officer rows', async () => {
    const calls = mockCommands({ online_get: () => ({ total: 0, items: [] }) })
    const store = useAnalyticsStore()
    store.date = '2026-11-26'
    await store.explain(row(), 'overdue')
    await store.explain(row({ officerId: 'o-9', officerName: '张警官' }), 'returned')
    expect(calls[0]?.args.path).toBe('/assessment/explain?period=month&date=2026-11-26&metric=overdue&unit=u-1')
    expect(calls[1]?.args.path).toBe('/assessment/explain?period=month&date=2026-11-26&metric=returned&officer=o-9')
  })
})
