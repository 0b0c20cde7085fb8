// A 上传附件 timeline entry shows its photo's thumbnail (asked once through the
// attachments door); a PDF, or a thumbnail that cannot be had offline, shows nothing.
import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import TimelineThumb from '@/components/TimelineThumb.vue'
import { mockCommands, settle } from './helpers'

const CASE = '0190a000-0000-7000-8000-000000000001'
const PHOTO = '0190a000-0000-7000-8000-0000000000aa'
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])

function detail(contentType: string) {
  return { attachmentId: PHOTO, name: '走访照片.jpg', size: 1000, contentType, sha256: 'ab'.repeat(32) }
}

describe('TimelineThumb', () => {
  afterEach(() => clearMocks())

  it('shows the thumbnail of a photo', async () => {
    const calls = mockCommands({ attachment_bytes: () => JPEG.buffer })
    const w = mount(TimelineThumb, { props: { caseId: CASE, detail: detail('image/jpeg') } })
    await settle()
    const img = w.get('[data-test="timeline-thumb"]')
    expect(img.attributes('src')).toBe('data:image/jpeg;base64,/9j/4AECAw==')
    expect(img.attributes('alt')).toBe('走访照片.jpg')
    const asked = calls.filter((c) => c.cmd === 'attachment_bytes')
    expect(asked).toHaveLength(1)
    expect(asked[0]?.args).toMatchObject({ caseId: CASE, id: PHOTO, thumbnail: true })
  })

  it('shows nothing for a PDF and asks for nothing', async () => {
    const calls = mockCommands({})
    const w = mount(TimelineThumb, { props: { caseId: CASE, detail: detail('application/pdf') } })
    await settle()
    expect(w.find('[data-test="timeline-thumb"]').exists()).toBe(false)
    expect(calls.filter((c) => c.cmd === 'attachment_bytes')).toHaveLength(0)
  })

  it('shows nothing when the thumbnail cannot be had (offline, never fetched)', async () => {
    mockCommands({
      attachment_bytes: () => {
        throw { code: 'OFFLINE', message: '离线' }
      },
    })
    const w = mount(TimelineThumb, { props: { caseId: CASE, detail: detail('image/png') } })
    await settle()
    expect(w.find('[data-test="timeline-thumb"]').exists()).toBe(false)
  })
})
