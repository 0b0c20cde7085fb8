import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { afterEach, describe, expect, it } from 'vitest'
import CasePrintBar from '@/components/CasePrintBar.vue'
import { createAppI18n } from '@/i18n'
import { mockCommands, settle } from './helpers'

const CASE = '0190f0a0-0000-7000-8000-000000000003'

function mountBar(online = true) {
  return mount(CasePrintBar, {
    props: { caseId: CASE, online, version: 1 },
    attachTo: document.body,
    global: { plugins: [createAppI18n('zh-CN'), ElementPlus] },
  })
}

const shown = () => [...document.querySelectorAll('[data-test^="print-"]')].map((b) => b.getAttribute('data-test'))

describe('CasePrintBar', () => {
  afterEach(() => {
    clearMocks()
    document.body.innerHTML = ''
  })

  it('shows exactly the documents Rust says this user may print', async () => {
    mockCommands({ documents_printable: () => ({ caseSheet: true, caseSheetIdentity: false, replyLetter: false, urgeNotice: true }) })
    mountBar()
    await settle()
    expect(shown()).toEqual(['print-bar', 'print-caseSheet', 'print-urgeNotice'])
  })

  it('prints the 督办通知单 to the folder and offers to open it', async () => {
    const calls = mockCommands({
      documents_printable: () => ({ caseSheet: true, caseSheetIdentity: true, replyLetter: true, urgeNotice: true }),
      documents_urge_notice: () => ({ path: '/tmp/p/督办通知单-MS1.pdf', pages: 1, bytes: 24000, missingChars: '' }),
      documents_open: () => null,
    })
    mountBar()
    await settle()
    ;(document.querySelector('[data-test="print-urgeNotice"]') as HTMLElement).click()
    await settle()
    expect(calls.find((c) => c.cmd === 'documents_urge_notice')?.args).toEqual({ caseId: CASE })
    const saved = document.querySelector('[data-test="print-saved"]')
    expect(saved?.getAttribute('data-path')).toBe('/tmp/p/督办通知单-MS1.pdf')
    ;(document.querySelector('[data-test="print-open"]') as HTMLElement).click()
    await settle()
    expect(calls.find((c) => c.cmd === 'documents_open')?.args).toEqual({ path: '/tmp/p/督办通知单-MS1.pdf' })
  })

  it('offline, the prints that reveal the identity are disabled; the masked 办理单 is not', async () => {
    mockCommands({ documents_printable: () => ({ caseSheet: true, caseSheetIdentity: true, replyLetter: true, urgeNotice: false }) })
    mountBar(false)
    await settle()
    const disabled = (t: string) => (document.querySelector(`[data-test="${t}"]`) as HTMLButtonElement).disabled
    expect(disabled('print-caseSheet')).toBe(false)
    expect(disabled('print-caseSheetIdentity')).toBe(true)
    expect(disabled('print-replyLetter')).toBe(true)
  })
})
