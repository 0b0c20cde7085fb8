import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import type { StandardReply } from '@/api/online'
import { createAppI18n } from '@/i18n'
import { navItems } from '@/navigation'
import KnowledgeView from '@/views/KnowledgeView.vue'
import { OFFLINE } from './analyticsFixtures'
import { capsOf, mockCommands, settle } from './helpers'

const ID = '0190f0a0-0000-7000-8000-00000000c001'
const NOISE: StandardReply = {
  id: ID,
  category: '噪音扰民',
  title: '夜间施工噪音答复',
  body: '您好！民警已到现场核查。',
  version: 3,
  reviewedAt: '2026-11-20T02:00:00Z',
  updatedBy: null,
  updatedAt: '2026-11-20T02:00:00Z',
  retired: false,
}
const OLD: StandardReply = { ...NOISE, id: '0190f0a0-0000-7000-8000-00000000c002', title: '旧口径', retired: true, reviewedAt: null }

function mountView() {
  setActivePinia(createPinia())
  return mount(KnowledgeView, { attachTo: document.body, global: { plugins: [createAppI18n('zh-CN'), ElementPlus] } })
}
const $ = <T extends Element = HTMLElement>(sel: string) => document.querySelector<T>(sel)
async function click(sel: string) {
  const el = $(sel)
  if (!el) throw new Error(`missing ${sel}`)
  ;(el as HTMLElement).click()
  await settle()
}
async function type(sel: string, value: string) {
  const el = $<HTMLInputElement>(`input${sel}, textarea${sel}, ${sel} input, ${sel} textarea`)
  if (!el) throw new Error(`missing ${sel}`)
  el.value = value
  el.dispatchEvent(new Event('input'))
  await settle()
}
const rowsText = () => [...document.querySelectorAll('[data-test="kb-table"] .el-table__body tr')].map((r) => r.textContent ?? '')

afterEach(() => {
  clearMocks()
  document.body.innerHTML = ''
})

describe('知识库维护', { timeout: 20_000 }, () => {
  it('is in the menu of admins and clerks only', () => {
    expect(navItems(capsOf('admin')).some((i) => i.path === '/knowledge')).toBe(true)
    expect(navItems(capsOf('clerk')).some((i) => i.path === '/knowledge')).toBe(true)
    expect(navItems(capsOf('officer')).some((i) => i.path === '/knowledge')).toBe(false)
    expect(navItems(capsOf('leader')).some((i) => i.path === '/knowledge')).toBe(false)
  })

  it('lists replies with retired ones, version, review date and status; filters by text', async () => {
    const calls = mockCommands({ online_get: () => [NOISE, OLD] })
    const w = mountView()
    await settle()
    expect(calls[0]).toEqual({ cmd: 'online_get', args: { path: '/knowledge?includeRetired=true' } })
    const rows = rowsText()
    expect(rows).toHaveLength(2)
    expect(rows[0]).toContain('噪音扰民')
    expect(rows[0]).toContain('夜间施工噪音答复')
    expect(rows[0]).toContain('2026-11-20 10:00')
    expect(rows[0]).toContain('在用')
    expect(rows[1]).toContain('未复核')
    expect(rows[1]).toContain('已停用')
    // A retired row offers no actions.
    expect(document.querySelectorAll('.el-table__body [data-test="kb-edit"]')).toHaveLength(1)
    await type('[data-test="kb-text"]', 'KTV')
    await click('[data-test="kb-search"]')
    expect(calls.at(-1)?.args.path).toBe('/knowledge?q=KTV&includeRetired=true')
    w.unmount()
  })

  it('creates a reply with POST /knowledge and shows char counts', async () => {
    const created = { ...NOISE, id: '0190f0a0-0000-7000-8000-00000000c003', category: '交通管理', title: '占道', body: '已处置', version: 1 }
    const calls = mockCommands({ online_get: () => [NOISE], online_post: () => created })
    const w = mountView()
    await settle()
    await click('[data-test="kb-create"]')
    await type('[data-test="kb-f-category"]', '交通管理')
    await type('[data-test="kb-f-title"]', '  占道 ')
    await type('[data-test="kb-f-body"]', '已处置')
    expect($('[data-test="kb-count-body"]')?.textContent).toBe('3/5000 字')
    expect($('[data-test="kb-count-title"]')?.textContent).toBe('5/100 字')
    await click('[data-test="kb-save"]')
    expect(calls.at(-1)).toEqual({
      cmd: 'online_post',
      args: { path: '/knowledge', body: { category: '交通管理', title: '占道', body: '已处置' } },
    })
    expect(rowsText()).toHaveLength(2)
    expect(rowsText()[0]).toContain('占道')
    w.unmount()
  })

  it('edits from the shown version and says so when someone saved first (409)', async () => {
    const calls = mockCommands({
      online_get: () => [NOISE],
      online_put: () => {
        throw { code: 'STALE_VERSION', message: '版本冲突' }
      },
    })
    const w = mountView()
    await settle()
    await click('.el-table__body [data-test="kb-edit"]')
    await type('[data-test="kb-f-body"]', '新的正文')
    await click('[data-test="kb-save"]')
    expect(calls.at(-1)).toEqual({
      cmd: 'online_put',
      args: { path: `/knowledge/${ID}`, body: { expectedVersion: 3, category: '噪音扰民', title: '夜间施工噪音答复', body: '新的正文' } },
    })
    expect($('[data-test="kb-dialog-error"]')?.textContent).toContain('已被他人修改，请刷新后再改')
    w.unmount()
  })

  it("shows the server's own message on other refusals", async () => {
    mockCommands({
      online_get: () => [NOISE],
      online_put: () => {
        throw { code: 'KNOWLEDGE_TITLE_TOO_LONG', message: '标题不能超过100个字' }
      },
    })
    const w = mountView()
    await settle()
    await click('.el-table__body [data-test="kb-edit"]')
    await click('[data-test="kb-save"]')
    expect($('[data-test="kb-dialog-error"]')?.textContent).toContain('标题不能超过100个字')
    w.unmount()
  })

  it('marks reviewed with POST /knowledge/{id}/review and retires after confirmation', async () => {
    const calls = mockCommands({
      online_get: () => [NOISE],
      online_post: () => ({ ...NOISE, reviewedAt: '2026-11-27T01:00:00Z' }),
      online_delete: () => ({ ...NOISE, reviewedAt: '2026-11-27T01:00:00Z', retired: true }),
    })
    const w = mountView()
    await settle()
    await click('.el-table__body [data-test="kb-review"]')
    expect(calls.at(-1)).toEqual({ cmd: 'online_post', args: { path: `/knowledge/${ID}/review`, body: {} } })
    expect(rowsText()[0]).toContain('2026-11-27 09:00')

    await click('.el-table__body [data-test="kb-retire"]')
    expect(calls.some((c) => c.cmd === 'online_delete')).toBe(false)
    expect(document.querySelector('.el-message-box')?.textContent).toContain('确定停用')
    await click('.el-message-box .el-button--primary')
    await settle()
    expect(calls.at(-1)).toEqual({ cmd: 'online_delete', args: { path: `/knowledge/${ID}` } })
    expect(rowsText()[0]).toContain('已停用')
    w.unmount()
  })

  it('shows the offline state', async () => {
    mockCommands({ online_get: () => { throw OFFLINE } })
    const w = mountView()
    await settle()
    expect($('[data-test="analytics-offline"]')).not.toBeNull()
    expect($('[data-test="kb-table"]')).toBeNull()
    w.unmount()
  })
})
