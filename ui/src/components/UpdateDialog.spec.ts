import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { afterEach, describe, expect, it } from 'vitest'
import { mockCommands, settle } from '@/__tests__/helpers'
import { updateOffer } from '@/api/generated/samples'
import { createAppI18n } from '@/i18n'
import UpdateDialog from './UpdateDialog.vue'
import { checkForUpdates } from './useUpdate'

afterEach(() => {
  clearMocks()
  document.body.innerHTML = ''
})

describe('UpdateDialog', () => {
  it('shows the offer in Chinese after 检查更新 and 稍后 tells Rust', async () => {
    const calls = mockCommands({ update_check: () => updateOffer, update_dismiss: () => null })
    const wrapper = mount(UpdateDialog, { global: { plugins: [ElementPlus, createAppI18n('zh-CN')] }, attachTo: document.body })
    let latest = false
    await checkForUpdates({ latest: () => (latest = true), failed: (m) => expect.fail(m) })
    await settle()
    expect(latest).toBe(false)
    const dialog = document.body.querySelector('[data-test="update-dialog"]')
    expect(dialog?.textContent).toContain(`发现新版本 ${updateOffer.version}（当前 ${updateOffer.currentVersion}）`)
    expect(document.body.querySelector('[data-test="update-notes"]')?.textContent).toBe(updateOffer.notes)
    ;(document.body.querySelector('[data-test="update-later"]') as HTMLButtonElement).click()
    await settle()
    expect(calls.filter((c) => c.cmd === 'update_dismiss').map((c) => c.args)).toEqual([{ version: updateOffer.version }])
    wrapper.unmount()
  })

  it('says 已是最新版本 when nothing is newer', async () => {
    mockCommands({ update_check: () => null })
    let latest = false
    await checkForUpdates({ latest: () => (latest = true), failed: (m) => expect.fail(m) })
    expect(latest).toBe(true)
  })
})
