// 期限与日历 (admin): the SLA rules and the holiday calendar, which the server keeps as
// data (`GET /config`, `PUT /config/sla`, `PUT /config/calendar/{year}`). The server
// validates (a 0 or negative deadline, overlapping holidays, a make-up day on a weekday
// are refused with its Chinese message); this composable only shapes the forms.
import { computed, reactive, ref } from 'vue'
import { errorMessage } from '@/api'
import { online, type CategoryChange, type ConfigView, type HolidayYear, type SlaRules } from '@/api/online'
import { useOnlineLoad } from '@/views/useOnlineLoad'

export const URGENCIES = ['特急', '紧急', '普通'] as const
export const REQUEST_TYPES = ['咨询', '求助', '投诉', '举报', '建议', '表扬'] as const
/** The holidays of the State Council's yearly notice, offered for a new year. */
export const HOLIDAY_NAMES = ['元旦', '春节', '清明节', '劳动节', '端午节', '中秋节', '国庆节'] as const

export interface HolidayDraft {
  name: string
  dates: string[]
}
export interface YearDraft {
  year: number
  source: string
  holidays: HolidayDraft[]
  makeupWorkdays: string[]
}

/** A year's schedule as the form edits it (sorted dates, every field present). */
export function toDraft(y: HolidayYear): YearDraft {
  return {
    year: y.year,
    source: y.source ?? '',
    holidays: y.holidays.map((h) => ({ name: h.name, dates: [...h.dates].sort() })),
    makeupWorkdays: [...(y.makeupWorkdays ?? [])].sort(),
  }
}

/** A new year with the usual holiday names and no dates yet. */
export function blankYear(year: number): YearDraft {
  return { year, source: '', holidays: HOLIDAY_NAMES.map((name) => ({ name, dates: [] })), makeupWorkdays: [] }
}

/** What is sent: holidays without dates (an offered name left empty) are left out. */
export function toBody(d: YearDraft): HolidayYear {
  return {
    year: d.year,
    source: d.source.trim(),
    holidays: d.holidays
      .filter((h) => h.dates.length > 0)
      .map((h) => ({ name: h.name.trim(), dates: [...h.dates].sort() })),
    makeupWorkdays: [...d.makeupWorkdays].sort(),
  }
}

/** Reads a calendar file (the JSON the server keeps, e.g. `2027.json`); the server checks it on save. */
export function parseYearFile(text: string): YearDraft {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new Error('文件不是有效的 JSON 日历文件')
  }
  const y = raw as Partial<HolidayYear>
  const isDates = (v: unknown) => Array.isArray(v) && v.every((d) => typeof d === 'string')
  if (
    typeof y !== 'object' ||
    y === null ||
    typeof y.year !== 'number' ||
    !Array.isArray(y.holidays) ||
    !y.holidays.every((h) => typeof h?.name === 'string' && isDates(h?.dates)) ||
    (y.makeupWorkdays !== undefined && !isDates(y.makeupWorkdays))
  ) {
    throw new Error('日历文件应包含 year、holidays（name、dates）和 makeupWorkdays')
  }
  return toDraft({ year: y.year, source: y.source ?? '', holidays: y.holidays, makeupWorkdays: y.makeupWorkdays ?? [] })
}

export function useRules() {
  const { state, error, run } = useOnlineLoad()
  const config = ref<ConfigView | null>(null)
  const sla = ref<SlaRules | null>(null)
  const slaError = ref('')
  const savingSla = ref(false)
  const year = ref<number | null>(null)
  const draft = reactive<YearDraft>(blankYear(new Date().getFullYear()))
  const yearError = ref('')
  const savingYear = ref(false)

  const years = computed(() => (config.value?.holidayYears ?? []).map((y) => y.year))
  const current = computed(() => config.value?.sla.at(-1) ?? null)
  const editions = computed(() => [...(config.value?.sla ?? [])].reverse())

  function pick(y: number): void {
    year.value = y
    const found = config.value?.holidayYears.find((h) => h.year === y)
    Object.assign(draft, found ? toDraft(found) : blankYear(y))
    yearError.value = ''
  }

  async function load(): Promise<void> {
    await run(online.config, (c) => {
      config.value = c
      // A plain copy to edit (a reactive proxy cannot be structured-cloned).
      const rules = current.value?.rules
      sla.value = rules ? (JSON.parse(JSON.stringify(rules)) as SlaRules) : null
      pick(year.value ?? c.calendarWarning?.year ?? years.value.at(-1) ?? new Date().getFullYear())
    })
  }

  async function saveSla(): Promise<boolean> {
    if (!sla.value) return false
    savingSla.value = true
    slaError.value = ''
    try {
      await online.putSla(sla.value)
      await load()
      return true
    } catch (err: unknown) {
      slaError.value = errorMessage(err)
      return false
    } finally {
      savingSla.value = false
    }
  }

  async function saveYear(): Promise<boolean> {
    savingYear.value = true
    yearError.value = ''
    try {
      config.value = await online.putHolidayYear(draft.year, toBody(draft))
      pick(draft.year)
      return true
    } catch (err: unknown) {
      yearError.value = errorMessage(err)
      return false
    } finally {
      savingYear.value = false
    }
  }

  /** Applies a change of the category list; resolves to the server's refusal, if any. */
  async function changeCategory(change: CategoryChange): Promise<string | null> {
    try {
      config.value = await online.changeCategory(change)
      return null
    } catch (err: unknown) {
      return errorMessage(err)
    }
  }

  function importYear(text: string): void {
    const parsed = parseYearFile(text)
    year.value = parsed.year
    Object.assign(draft, parsed)
    yearError.value = ''
  }

  return {
    state,
    error,
    config,
    sla,
    slaError,
    savingSla,
    year,
    years,
    draft,
    yearError,
    savingYear,
    current,
    editions,
    load,
    pick,
    saveSla,
    saveYear,
    importYear,
    changeCategory,
  }
}
