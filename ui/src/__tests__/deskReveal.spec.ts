import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { sampleLocal } from './helpers'
import { $, click, mountDesk } from './deskFixtures'

const FULL = { name: '李女士', phone: '13812345678', idCard: '370102199001011234', masked: false }

// Element Plus dialogs and selects render slowly under happy-dom on a loaded machine.
describe('查看完整号码 (PIPL)', { timeout: 20_000 }, () => {
  afterEach(() => {
    vi.useRealTimers()
    clearMocks()
    document.body.innerHTML = ''
    localStorage.clear()
  })

  it('asks the server once per click, shows the audit notice, and forgets the number on hide', async () => {
    const local = sampleLocal([])
    const { wrapper, calls, pinia } = await mountDesk(local, { handlers: { citizen_reveal: () => FULL } })
    expect($('[data-test="citizen-phone"]')?.textContent).toBe('138****5678')
    await click('[data-test="citizen-reveal"]')
    expect(calls.filter((c) => c.cmd === 'citizen_reveal')).toEqual([{ cmd: 'citizen_reveal', args: { id: local.case.id } }])
    expect($('[data-test="citizen-phone"]')?.textContent).toBe('13812345678')
    expect($('[data-test="citizen-id"]')?.textContent).toBe('370102199001011234')
    expect($('[data-test="citizen-audited"]')?.textContent).toContain('本次查看已记入审计日志')
    // Kept in the page only: no store, no localStorage.
    expect(JSON.stringify(pinia.state.value)).not.toContain('13812345678')
    expect(JSON.stringify({ ...localStorage })).not.toContain('13812345678')

    await click('[data-test="citizen-hide"]')
    expect(document.body.textContent).not.toContain('13812345678')
    expect($('[data-test="citizen-phone"]')?.textContent).toBe('138****5678')

    await click('[data-test="citizen-reveal"]')
    expect(calls.filter((c) => c.cmd === 'citizen_reveal')).toHaveLength(2)
    wrapper.unmount()
    expect(document.body.textContent).not.toContain('13812345678')
  })

  it('hides the number again after 60 seconds', async () => {
    const { wrapper } = await mountDesk(sampleLocal([]), { handlers: { citizen_reveal: () => FULL } })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    await click('[data-test="citizen-reveal"]')
    expect($('[data-test="citizen-phone"]')?.textContent).toBe('13812345678')
    vi.advanceTimersByTime(59_000)
    await wrapper.vm.$nextTick()
    expect($('[data-test="citizen-phone"]')?.textContent).toBe('13812345678')
    vi.advanceTimersByTime(1_000)
    await wrapper.vm.$nextTick()
    expect($('[data-test="citizen-phone"]')?.textContent).toBe('138****5678')
    expect(document.body.textContent).not.toContain('13812345678')
    wrapper.unmount()
  })

  it("shows the server's refusal as is, and offers nothing offline", async () => {
    const refused = await mountDesk(sampleLocal([]), {
      handlers: {
        citizen_reveal: () => {
          throw { code: 'FORBIDDEN', message: '无权查看完整身份信息' }
        },
      },
    })
    await click('[data-test="citizen-reveal"]')
    expect(document.body.textContent).toContain('无权查看完整身份信息')
    expect($('[data-test="citizen-phone"]')?.textContent).toBe('138****5678')
    refused.wrapper.unmount()
    clearMocks()
    document.body.innerHTML = ''

    const offline = await mountDesk(sampleLocal([]), { online: false })
    expect($('[data-test="citizen-reveal"]')).toBeNull()
    offline.wrapper.unmount()
  })
})
