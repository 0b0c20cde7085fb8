import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SmsTemplate, TemplatePreview } from '@/api/online'
import { mockCommands, settle } from '@/__tests__/helpers'
import { insertPlaceholder, useSmsTemplates } from './useSmsTemplates'

const L1: SmsTemplate = {
  code: 'followup.l1',
  name: '办结回访（一级）',
  body: '【济南公安】编号{caseNumber}已办结。',
  providerTemplateId: null,
  updatedAt: '1970-01-01T00:00:00Z',
}
const PLACEHOLDERS = [
  { name: 'caseNumber', label: '诉求编号', sample: 'MS202611260001' },
  { name: 'name', label: '群众姓名', sample: '王女士' },
]
const preview = (text: string): TemplatePreview => ({ text, chars: text.length, segments: 1, placeholders: PLACEHOLDERS })

afterEach(() => {
  clearMocks()
  vi.useRealTimers()
})

describe('短信模板 composable', () => {
  it('inserts a placeholder at the caret, or at the end', () => {
    expect(insertPlaceholder('编号已办结', 'caseNumber', 2)).toEqual({ body: '编号{caseNumber}已办结', caret: 14 })
    expect(insertPlaceholder('您好', 'name')).toEqual({ body: '您好{name}', caret: 8 })
    expect(insertPlaceholder('您好', 'name', 99).body).toBe('您好{name}')
  })

  it('previews the latest draft once typing pauses; a refusal shows under the text and keeps the placeholders', async () => {
    vi.useFakeTimers()
    const answers: Record<string, () => unknown> = {
      '【济南公安】编号{caseNumber}已办结。': () => preview('【济南公安】编号MS202611260001已办结。'),
      '{name}您好': () => preview('王女士您好'),
      '{caseNo}': () => {
        throw { code: 'SMS_TEMPLATE_PLACEHOLDER_UNKNOWN', message: '未知的占位符“{caseNo}”，可用占位符：{caseNumber}（诉求编号）' }
      },
    }
    const calls = mockCommands({
      online_post: (a) => {
        const body = (a.body as { body: string }).body
        const answer = answers[body]
        if (!answer) throw new Error(`unexpected ${body}`)
        return answer()
      },
    })
    const sms = useSmsTemplates(300)
    sms.open(L1)
    await settle()
    expect(calls[0]).toEqual({ cmd: 'online_post', args: { path: '/sms/templates/followup.l1/preview', body: { body: L1.body } } })
    expect(sms.preview.value?.text).toBe('【济南公安】编号MS202611260001已办结。')
    expect(sms.placeholders.value.map((p) => p.name)).toEqual(['caseNumber', 'name'])

    // Several keystrokes: one request, for the last text.
    const d = sms.draft.value!
    d.body = '{na'
    sms.schedule()
    d.body = '{name}您好'
    sms.schedule()
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(300)
    await settle()
    expect(calls).toHaveLength(2)
    expect(sms.preview.value?.text).toBe('王女士您好')

    d.body = '{caseNo}'
    sms.schedule()
    await vi.advanceTimersByTimeAsync(300)
    await settle()
    expect(sms.bodyError.value).toContain('{caseNo}')
    expect(sms.preview.value).toBeNull()
    expect(sms.placeholders.value).toHaveLength(2)
  })

  it('drops the answer to an older draft', async () => {
    let release: (v: unknown) => void = () => {}
    mockCommands({
      online_post: (a) => {
        const body = (a.body as { body: string }).body
        if (body === 'old') return new Promise((r) => (release = r))
        return preview('new')
      },
    })
    const sms = useSmsTemplates(0)
    sms.open({ ...L1, body: 'old' })
    sms.draft.value!.body = 'new'
    await sms.renderNow()
    release(preview('old'))
    await settle()
    expect(sms.preview.value?.text).toBe('new')
  })

  it('saves through PUT and shows the stored template in the list', async () => {
    const saved = { ...L1, body: '新内容{caseNumber}', updatedAt: '2026-11-23T02:00:00Z' }
    const calls = mockCommands({
      online_get: () => [L1],
      online_post: () => preview('x'),
      online_put: () => saved,
    })
    const sms = useSmsTemplates(0)
    await sms.load()
    sms.open(L1)
    sms.draft.value!.body = '新内容{caseNumber}'
    expect(await sms.save()).toBe(true)
    expect(calls.at(-1)).toEqual({
      cmd: 'online_put',
      args: { path: '/sms/templates/followup.l1', body: { name: '办结回访（一级）', body: '新内容{caseNumber}', providerTemplateId: null } },
    })
    expect(sms.rows.value[0]?.body).toBe('新内容{caseNumber}')
    expect(sms.draft.value).toBeNull()
  })
})
