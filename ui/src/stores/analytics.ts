import { defineStore } from 'pinia'
import { ref } from 'vue'
import { errorMessage } from '@/api'
import {
  isOffline,
  online,
  type AlertRecord,
  type AnalyticsView,
  type BoardLevel,
  type Dashboard,
  type Dimension,
  type Explanation,
  type Metric,
  type PeriodKind,
  type ReportBrief,
  type ScoreBoard,
  type ScoreRow,
} from '@/api/online'
import { beijingToday, shiftDate } from '@/views/analytics/numbers'

/** What a screen shows instead of data: nothing yet, loading, offline, or a server refusal. */
export type LoadState = 'idle' | 'loading' | 'ready' | 'offline' | 'error'

/** Runs a server read, mapping OFFLINE to the offline state rather than an error. */
async function guarded<T>(
  state: { value: LoadState },
  error: { value: string },
  work: () => Promise<T>,
): Promise<T | null> {
  state.value = 'loading'
  try {
    const out = await work()
    state.value = 'ready'
    error.value = ''
    return out
  } catch (err: unknown) {
    if (isOffline(err)) {
      state.value = 'offline'
      error.value = ''
    } else {
      state.value = 'error'
      error.value = errorMessage(err)
    }
    return null
  }
}

/** The trend dimension that suits a period: days of a week/month, months of a year. */
export function trendDimension(kind: PeriodKind): Dimension {
  return kind === 'year' ? 'month' : 'day'
}

/** Charts of the command view (全局掌控), all over the same period. */
export interface DashboardCharts {
  category: AnalyticsView | null
  policeLine: AnalyticsView | null
  trend: AnalyticsView | null
  hour: AnalyticsView | null
  units: AnalyticsView | null
  branches: AnalyticsView | null
}

const NO_CHARTS: DashboardCharts = {
  category: null,
  policeLine: null,
  trend: null,
  hour: null,
  units: null,
  branches: null,
}

/** Analytics and assessment (一网考): the period picked, the score board, the dashboard. */
export const useAnalyticsStore = defineStore('analytics', () => {
  const period = ref<PeriodKind>('month')
  const date = ref<string>(beijingToday())
  const level = ref<BoardLevel>('station')

  const board = ref<ScoreBoard | null>(null)
  const boardState = ref<LoadState>('idle')
  const boardError = ref('')

  const dashboard = ref<Dashboard | null>(null)
  const charts = ref<DashboardCharts>({ ...NO_CHARTS })
  const dashState = ref<LoadState>('idle')
  const dashError = ref('')

  const alerts = ref<AlertRecord[]>([])
  const alertsState = ref<LoadState>('idle')
  const alertsError = ref('')

  const reports = ref<ReportBrief[]>([])

  function setPeriod(kind: PeriodKind): void {
    period.value = kind
  }

  /** ◀ / ▶: the previous or next period of the same kind. */
  function step(by: number): void {
    date.value = shiftDate(date.value, period.value, by)
  }

  let boardTicket = 0
  async function loadBoard(): Promise<void> {
    const ticket = ++boardTicket
    const q = { period: period.value, date: date.value, level: level.value }
    const b = await guarded(boardState, boardError, () => online.scores(q))
    // A slower answer for an older choice must not overwrite the current one.
    if (ticket === boardTicket) board.value = b
  }

  async function loadDashboard(): Promise<void> {
    const p = { period: period.value, date: date.value }
    const out = await guarded(dashState, dashError, async () => {
      // One after another: the server is a shared SQLite, and the answers are small.
      // The dashboard's lists and totals are of the same period as the charts.
      const d = await online.dashboard(p)
      const next: DashboardCharts = {
        category: await online.analytics({ ...p, by: 'category' }),
        policeLine: await online.analytics({ ...p, by: 'policeLine' }),
        trend: await online.analytics({ ...p, by: trendDimension(p.period) }),
        hour: await online.analytics({ ...p, by: 'hour' }),
        units: await online.analytics({ ...p, by: 'unit' }),
        branches: await online.analytics({ ...p, by: 'branch' }),
      }
      return { d, next }
    })
    if (out) {
      dashboard.value = out.d
      charts.value = out.next
    }
  }

  async function loadAlerts(): Promise<void> {
    const a = await guarded(alertsState, alertsError, () => online.alerts())
    if (a) alerts.value = a
  }

  async function loadReports(): Promise<void> {
    try {
      reports.value = await online.reports(undefined, 30)
    } catch {
      // The dashboard card keeps the latest reports it got with the dashboard.
    }
  }

  /** The cases behind one number of a row. */
  function explain(row: ScoreRow, metric: Metric): Promise<Explanation> {
    const who = row.officerId ? { officer: row.officerId } : { unit: row.unitId }
    return online.explain({ period: period.value, date: date.value, metric, ...who })
  }

  /** Saves the current board as Excel; resolves to the saved path. */
  function exportBoard(fileName: string): Promise<string> {
    const q = new URLSearchParams({ period: period.value, date: date.value, level: level.value })
    return online.download(`/assessment/scores.xlsx?${q.toString()}`, fileName)
  }

  return {
    period,
    date,
    level,
    board,
    boardState,
    boardError,
    dashboard,
    charts,
    dashState,
    dashError,
    alerts,
    alertsState,
    alertsError,
    reports,
    setPeriod,
    step,
    loadBoard,
    loadDashboard,
    loadAlerts,
    loadReports,
    explain,
    exportBoard,
  }
})
