import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it } from 'vitest'
import { appendQuote, quoteCoOpinions } from '@/domain/actionForms'
import { sampleCase, sampleLocal } from './helpers'
import { $, click, JFL, lastAct, mountDesk, TRAFFIC_LX, type } from './deskFixtures'

const coUnits = [
  { unit: JFL, opinion: { text: '已协助核实施工许可', by: 'u2', at: '2026-11-27T02:00:00Z' } },
  { unit: TRAFFIC_LX, opinion: null },
]

// Element Plus dialogs and selects render slowly under happy-dom on a loaded machine.
describe('联办意见 and 一口回复', { timeout: 20_000 }, () => {
  afterEach(() => {
    clearMocks()
    document.body.innerHTML = ''
  })

  it('quotes only the co-units that answered, one line each', () => {
    const names: Record<string, string> = { [JFL]: '解放路派出所', [TRAFFIC_LX]: '历下交警大队' }
    expect(quoteCoOpinions(coUnits, (id) => names[id] ?? id)).toBe('解放路派出所：已协助核实施工许可')
    expect(quoteCoOpinions([coUnits[1]!], (id) => id)).toBe('')
    expect(appendQuote('', 'A：x')).toBe('A：x')
    expect(appendQuote('已责令停工。\n', 'A：x')).toBe('已责令停工。\nA：x')
  })

  it("shows each co-unit's status and opinion", async () => {
    const { wrapper } = await mountDesk(sampleLocal([], sampleCase({ coUnits })), { online: false })
    const rows = [...document.querySelectorAll('[data-test="co-opinion"]')].map((r) => r.textContent ?? '')
    expect(rows).toHaveLength(2)
    expect(rows[0]).toContain('解放路派出所')
    expect(rows[0]).toContain('已反馈')
    expect(rows[0]).toContain('已协助核实施工许可')
    expect(rows[1]).toContain('历下交警大队')
    expect(rows[1]).toContain('待反馈')
    wrapper.unmount()
  })

  it('inserts the co-units’ opinions into the reply the lead unit sends', async () => {
    const local = sampleLocal(['submitReply'], sampleCase({ coUnits }))
    const { wrapper, calls } = await mountDesk(local, { online: false, handlers: { case_act: () => sampleLocal([]) } })
    await click('[data-test="action-submitReply"]')
    await type('[data-test="field-reply"]', '经查，施工方已停工。')
    await click('[data-test="quote-co-opinions"]')
    expect($<HTMLTextAreaElement>('[data-test="field-reply"]')?.value).toBe('经查，施工方已停工。\n解放路派出所：已协助核实施工许可')
    await click('[data-test="action-submit"]')
    expect(lastAct(calls)).toEqual({
      id: local.case.id,
      action: { type: 'submitReply', text: '经查，施工方已停工。\n解放路派出所：已协助核实施工许可' },
    })
    wrapper.unmount()
  })

  it('offers no quote without co-unit opinions', async () => {
    const { wrapper } = await mountDesk(sampleLocal(['submitReply']), { online: false })
    await click('[data-test="action-submitReply"]')
    expect($('[data-test="field-reply"]')).not.toBeNull()
    expect($('[data-test="quote-co-opinions"]')).toBeNull()
    wrapper.unmount()
  })
})
