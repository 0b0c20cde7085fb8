import { describe, expect, it } from 'vitest'
import { batches, parseCsv, readFeed, toInstant } from '@/domain/feed'
import { emptyHomeVisit, placeProblems, toNewCase } from '@/domain/intakeForm'
import { formatCountdown } from '@/format'

const t = (key: string, p?: Record<string, unknown>) => `${key}:${JSON.stringify(p ?? {})}`

describe('home-visit form', () => {
  it("places the domain's problems under the form's inputs, the rest apart", () => {
    const placed = placeProblems([
      { field: 'citizenPhone', code: 'INVALID_FIELD', message: '联系电话格式不正确' },
      { field: 'title', code: 'REQUIRED', message: '请填写诉求标题' },
      { field: 'title', code: 'TOO_LONG', message: '标题过长' },
      { field: 'channel', code: 'FORBIDDEN', message: '您的角色不能登记该渠道' },
    ])
    expect(placed.byField).toEqual({ citizenPhone: '联系电话格式不正确', title: '请填写诉求标题；标题过长' })
    expect(placed.other).toEqual(['您的角色不能登记该渠道'])
  })

  it('becomes a 入户走访 NewCase', () => {
    const f = { ...emptyHomeVisit(), title: ' 噪音 ', content: '内容', citizenName: '李', address: '泉城路' }
    const n = toNewCase(f, new Date('2026-11-26T01:00:00Z'))
    expect(n).toMatchObject({
      channel: '入户走访',
      title: '噪音',
      citizenPhone: null,
      address: '泉城路',
      receivedAt: '2026-11-26T01:00:00.000Z',
    })
  })
})

describe('channel files', () => {
  it('parses quoted CSV with commas, quotes and newlines', () => {
    expect(parseCsv('a,b\r\n"x, y","he said ""hi""\nthen left"\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'he said "hi"\nthen left'],
    ])
  })

  it('maps Chinese headers and Beijing times to NewCase fields', () => {
    const rows = readFeed('feed.csv', '\uFEFF标题,留言详情,联系电话,留言时间,无关列\n噪音,楼上装修,13812345678,2026-11-26 09:05,x\n')
    expect(rows).toEqual([
      { title: '噪音', content: '楼上装修', citizenPhone: '13812345678', receivedAt: '2026-11-26T09:05:00+08:00' },
    ])
    expect(toInstant('昨天')).toBe('昨天')
  })

  it('refuses a CSV without title and content', () => {
    expect(() => readFeed('feed.csv', '姓名,电话\n张三,1\n')).toThrow(/标题/)
  })

  it('batches rows for the progress bar', () => {
    expect(batches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]])
  })
})

describe('deadline countdown in working time', () => {
  it('shows working days and hours, and lateness', () => {
    expect(formatCountdown(480 * 2 + 120, 480, t)).toBe('countdown.left:{"t":"countdown.days:{\\"n\\":2}countdown.hours:{\\"n\\":2}"}')
    expect(formatCountdown(-45, 480, t)).toBe('countdown.overdue:{"t":"countdown.minutes:{\\"n\\":45}"}')
  })
})
