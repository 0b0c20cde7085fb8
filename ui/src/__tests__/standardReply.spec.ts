import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import type { StandardReply } from '@/api/online'
import StandardReplyPicker from '@/components/StandardReplyPicker.vue'
import { createAppI18n } from '@/i18n'
import { OFFLINE } from './analyticsFixtures'
import { $, click, lastAct, mountDesk, type } from './deskFixtures'
import { mockCommands, sampleLocal, settle } from './helpers'

const NOISE: StandardReply = {
  id: '0190f0a0-0000-7000-8000-00000000c001',
  category: '噪音扰民',
  title: '夜间施工噪音答复',
  body: '您好！民警已到现场核查，责令施工方停止夜间违规作业。',
  version: 3,
  reviewedAt: '2026-11-20T02:00:00Z',
  updatedBy: null,
  updatedAt: '2026-11-20T02:00:00Z',
  retired: false,
}
const TRAFFIC: StandardReply = {
  ...NOISE,
  id: '0190f0a0-0000-7000-8000-00000000c002',
  category: '交通管理',
  title: '违法停车占道答复',
  body: '您好！交警部门已安排警力到现场处置。',
  version: 1,
  reviewedAt: null,
}

/** `online_get` answering like the server: filtered by category and text. */
function knowledgeHandler(paths: string[]) {
  return (a: Record<string, unknown>) => {
    const path = String(a.path)
    paths.push(path)
    const url = new URL(path, 'http://x')
    expect(url.pathname).toBe('/knowledge')
    const cat = url.searchParams.get('category')
    const q = url.searchParams.get('q')
    return [NOISE, TRAFFIC].filter(
      (r) => (!cat || r.category === cat) && (!q || r.title.includes(q) || r.body.includes(q)),
    )
  }
}

const items = () => [...document.querySelectorAll('[data-test="knowledge-item"]')].map((e) => e.textContent ?? '')

// Element Plus dialogs and drawers render slowly under happy-dom on a loaded machine.
describe('知识库 in the reply composer', { timeout: 20_000 }, () => {
  afterEach(() => {
    clearMocks()
    document.body.innerHTML = ''
  })

  it("lists the case category's standard replies and inserts one into the reply", async () => {
    const paths: string[] = []
    const local = sampleLocal(['submitReply']) // category 噪音扰民
    const { wrapper, calls } = await mountDesk(local, {
      online: true,
      handlers: { online_get: knowledgeHandler(paths), case_act: () => sampleLocal([]) },
    })
    await click('[data-test="action-submitReply"]')
    await type('[data-test="field-reply"]', '经查，情况属实。')
    await click('[data-test="open-knowledge"]')
    expect(paths).toEqual([`/knowledge?category=${encodeURIComponent('噪音扰民')}`])
    const shown = items()
    expect(shown).toHaveLength(1)
    expect(shown[0]).toContain('夜间施工噪音答复')
    expect(shown[0]).toContain('第 3 版')
    expect(shown[0]).toContain('最近复核：2026-11-20')
    expect(shown[0]).toContain('责令施工方停止夜间违规作业')

    await click('[data-test="knowledge-insert"]')
    const text = `经查，情况属实。\n${NOISE.body}`
    expect($<HTMLTextAreaElement>('[data-test="field-reply"]')?.value).toBe(text)
    await click('[data-test="action-submit"]')
    expect(lastAct(calls)).toEqual({ id: local.case.id, action: { type: 'submitReply', text } })
    wrapper.unmount()
  })

  it('searches by text across categories once the filter is cleared', async () => {
    const paths: string[] = []
    mockCommands({ online_get: knowledgeHandler(paths) })
    setActivePinia(createPinia())
    const w = mount(StandardReplyPicker, {
      props: { modelValue: true, category: null },
      attachTo: document.body,
      global: { plugins: [createAppI18n('zh-CN'), ElementPlus] },
    })
    await settle()
    expect(paths).toEqual(['/knowledge'])
    expect(items()).toHaveLength(2)
    expect(items()[1]).toContain('未复核')
    await type('[data-test="knowledge-q"]', '停车')
    await click('[data-test="knowledge-search"]')
    expect(paths.at(-1)).toBe(`/knowledge?q=${encodeURIComponent('停车')}`)
    expect(items()).toHaveLength(1)
    expect(items()[0]).toContain('违法停车占道答复')
    await click('[data-test="knowledge-insert"]')
    expect(w.emitted('insert')).toEqual([[TRAFFIC.body]])
    expect(w.emitted('update:modelValue')).toEqual([[false]])
    w.unmount()
  })

  it('says 离线时不可用 when the city server cannot be reached', async () => {
    mockCommands({
      online_get: () => {
        throw OFFLINE
      },
    })
    const w = mount(StandardReplyPicker, {
      props: { modelValue: true, category: '噪音扰民' },
      attachTo: document.body,
      global: { plugins: [createAppI18n('zh-CN'), ElementPlus] },
    })
    await settle()
    expect($('[data-test="knowledge-offline"]')?.textContent).toContain('离线时不可用')
    expect(items()).toHaveLength(0)
    w.unmount()
  })
})
