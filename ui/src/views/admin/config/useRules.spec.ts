import { describe, expect, it } from 'vitest'
import { blankYear, parseYearFile, toBody } from './useRules'

describe('holiday calendar forms', () => {
  it('reads the calendar file the server ships', () => {
    const d = parseYearFile(
      '{"year":2026,"source":"国办发明电〔2025〕7号","holidays":[{"name":"元旦","dates":["2026-01-03","2026-01-01","2026-01-02"]}],"makeupWorkdays":["2026-01-04"]}',
    )
    expect(d.year).toBe(2026)
    expect(d.holidays[0]?.dates).toEqual(['2026-01-01', '2026-01-02', '2026-01-03'])
    expect(d.makeupWorkdays).toEqual(['2026-01-04'])
  })

  it('refuses a file that is not a calendar, in Chinese', () => {
    expect(() => parseYearFile('not json')).toThrow('JSON')
    expect(() => parseYearFile('{"year":"2027"}')).toThrow('year')
    expect(() => parseYearFile('{"year":2027,"holidays":[{"name":"元旦","dates":[1]}]}')).toThrow('holidays')
  })

  it('sends only the holidays that have dates', () => {
    const d = blankYear(2027)
    expect(d.holidays.map((h) => h.name)).toEqual(['元旦', '春节', '清明节', '劳动节', '端午节', '中秋节', '国庆节'])
    d.holidays[0]!.dates = ['2027-01-01']
    const body = toBody(d)
    expect(body.holidays).toEqual([{ name: '元旦', dates: ['2027-01-01'] }])
    expect(body.year).toBe(2027)
  })
})
