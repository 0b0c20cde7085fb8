import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import type { AccuracyReport } from '@/api/online'
import { createAppI18n } from '@/i18n'
import AccuracyPanel from '@/views/intake/AccuracyPanel.vue'
import { OFFLINE } from './analyticsFixtures'
import { mockCommands, settle } from './helpers'

const REPORT: AccuracyReport = {
  modelLoaded: true,
  modelVersion: 7,
  overall: {
    dispatches: 8,
    categoryMatched: 7,
    unitMatched: 6,
    requestTypeMatched: 8,
    categoryRate: 0.875,
    unitRate: 0.75,
    requestTypeRate: 1,
  },
  last30Days: {
    dispatches: 0,
    categoryMatched: 0,
    unitMatched: 0,
    requestTypeMatched: 0,
    categoryRate: null,
    unitRate: null,
    requestTypeRate: null,
  },
  weekly: [],
}

function mountPanel() {
  setActivePinia(createPinia())
  return mount(AccuracyPanel, { attachTo: document.body, global: { plugins: [createAppI18n('zh-CN'), ElementPlus] } })
}

afterEach(() => {
  clearMocks()
  document.body.innerHTML = ''
})

describe('智能建议准确率', () => {
  it('reads /intelligence/accuracy and shows the rates as percentages with their counts', async () => {
    const calls = mockCommands({ online_get: () => REPORT })
    const w = mountPanel()
    await settle()
    expect(calls).toEqual([{ cmd: 'online_get', args: { path: '/intelligence/accuracy' } }])
    expect(w.get('[data-test="accuracy-explain"]').text()).toBe('派单时受理员保留系统建议的比例；改动会作为反馈用于再训练')
    expect(w.get('[data-test="accuracy-overall-category"]').text()).toBe('87.5%（7/8）')
    expect(w.get('[data-test="accuracy-overall-unit"]').text()).toBe('75.0%（6/8）')
    expect(w.get('[data-test="accuracy-overall-requestType"]').text()).toBe('100.0%（8/8）')
    expect(w.get('[data-test="accuracy-overall"]').text()).toContain('派单 8 件')
    expect(w.get('[data-test="accuracy-model"]').text()).toBe('模型版本：7')
    // No dispatch in the last 30 days: an empty state, not "0%".
    const recent = w.get('[data-test="accuracy-last30"]')
    expect(recent.text()).toContain('近 30 天')
    expect(recent.find('[data-test="accuracy-empty"]').text()).toBe('暂无派单数据')
    expect(recent.find('[data-test="accuracy-last30-category"]').exists()).toBe(false)
    w.unmount()
  })

  it('says when no model is loaded', async () => {
    mockCommands({ online_get: () => ({ ...REPORT, modelLoaded: false, modelVersion: null }) })
    const w = mountPanel()
    await settle()
    expect(w.get('[data-test="accuracy-model"]').text()).toBe('未加载识别模型（仅规则建议）')
    w.unmount()
  })

  it('shows the offline state instead of an error', async () => {
    mockCommands({ online_get: () => { throw OFFLINE } })
    const w = mountPanel()
    await settle()
    expect(w.find('[data-test="analytics-offline"]').exists()).toBe(true)
    expect(w.find('[data-test="analytics-error"]').exists()).toBe(false)
    expect(w.find('[data-test="accuracy-overall"]').exists()).toBe(false)
    w.unmount()
  })

  it("shows the server's message when it refuses", async () => {
    mockCommands({ online_get: () => { throw { code: 'FORBIDDEN', message: '无权查看' } } })
    const w = mountPanel()
    await settle()
    expect(w.get('[data-test="analytics-error"]').text()).toContain('无权查看')
    w.unmount()
  })
})
