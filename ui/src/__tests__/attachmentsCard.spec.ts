// The 附件 card: empty state, each upload state in Chinese with its progress and
// reason, the add button only where the domain allows it, and a picked file sent raw
// with its case and (encoded) name.
import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import type { AttachmentItem } from '@/api/attachments'
import AttachmentsCard from '@/components/AttachmentsCard.vue'
import { createAppI18n } from '@/i18n'
import { mockCommands, settle } from './helpers'

const CASE = '0190a000-0000-7000-8000-000000000001'

function item(over: Partial<AttachmentItem>): AttachmentItem {
  return {
    id: '0190a000-0000-7000-8000-0000000000aa',
    caseId: CASE,
    name: '走访照片.jpg',
    contentType: 'image/jpeg',
    size: 1000,
    sha256: 'ab'.repeat(32),
    uploaderName: '',
    at: '2026-11-24T02:00:00Z',
    state: 'queued',
    sent: 0,
    errorCode: null,
    error: null,
    hasThumbnail: false,
    ...over,
  }
}

function mountCard() {
  const pinia = createPinia()
  setActivePinia(pinia)
  return mount(AttachmentsCard, {
    props: { caseId: CASE },
    global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus] },
  })
}

describe('AttachmentsCard', () => {
  afterEach(() => clearMocks())

  it('shows the empty state, and no add button where the domain refuses', async () => {
    mockCommands({ attachments_list: () => ({ items: [], mayAttach: false }) })
    const w = mountCard()
    await settle()
    expect(w.find('[data-test="attachments-empty"]').text()).toContain('暂无附件')
    expect(w.find('[data-test="attachment-input"]').exists()).toBe(false)
    w.unmount()
  })

  it('shows each state in Chinese with progress and the reason of a failure', async () => {
    mockCommands({
      attachments_list: () => ({
        mayAttach: true,
        items: [
          item({ id: 'a1', state: 'queued' }),
          item({ id: 'a2', state: 'uploading', sent: 450 }),
          item({ id: 'a3', state: 'done', sent: 1000, uploaderName: '民警 张伟', contentType: 'application/pdf', name: '来信.pdf' }),
          item({ id: 'a4', state: 'failed', errorCode: 'ATTACHMENT_TYPE_MISMATCH', error: '文件内容与声明的类型“image/jpeg”不符' }),
        ],
      }),
    })
    const w = mountCard()
    await settle()
    const states = w.findAll('[data-test="attachment-state"]').map((s) => s.text())
    expect(states).toEqual(['排队中', '上传中 45%', '已上传', '失败'])
    expect(w.find('[data-test="attachment-error"]').text()).toContain('不符')
    expect(w.text()).toContain('民警 张伟 上传')
    expect(w.find('[data-test="attachment-input"]').exists()).toBe(true)
    w.unmount()
  })

  it('an upload of this computer says 本机待上传 until sent, then 本机上传 (not yet named by the sync)', async () => {
    mockCommands({
      attachments_list: () => ({
        mayAttach: true,
        items: [item({ id: 'a1', state: 'queued' }), item({ id: 'a2', state: 'done', sent: 1000, name: '已传.jpg' })],
      }),
    })
    const w = mountCard()
    await settle()
    const rows = w.findAll('[data-test="attachment-row"]').map((r) => r.text())
    expect(rows[0]).toContain('本机待上传')
    expect(rows[1]).toContain('本机上传')
    expect(rows[1]).not.toContain('待上传')
    w.unmount()
  })

  it('sends a picked file raw with its case and encoded name', async () => {
    const calls = mockCommands({
      attachments_list: () => ({ items: [], mayAttach: true }),
      attachment_add: () => item({}),
    })
    const w = mountCard()
    await settle()
    const input = w.get('[data-test="attachment-input"]')
    const file = new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0])], '走访 1.jpg', { type: 'image/jpeg' })
    Object.defineProperty(input.element, 'files', { value: [file] })
    await input.trigger('change')
    await settle()
    const add = calls.find((c) => c.cmd === 'attachment_add')
    expect(add).toBeDefined()
    w.unmount()
  })
})
