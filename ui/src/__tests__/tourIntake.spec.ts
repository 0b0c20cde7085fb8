// Findings of the tour of the app, 批量导入: Element Plus upload, the import template, the
// per-row verdict and duplicates, and 转其他部门 for the rows judged not police-related.
import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Action, BulkResult, BulkRowResult } from '@/api'
import { readFeed } from '@/domain/feed'
import { createAppI18n } from '@/i18n'
import { useSyncStore } from '@/stores/sync'
import BulkImportPanel from '@/views/intake/BulkImportPanel.vue'
import BulkTransferDialog from '@/views/intake/BulkTransferDialog.vue'
import { saveTemplate, TEMPLATE_FILE, templateCsv } from '@/views/intake/bulkTemplate'
import { mockCommands, sampleLocal, settle, type Handler } from './helpers'

const HEADERS = ['标题', '内容', '群众姓名', '联系电话', '身份证号', '地址', '区县', '受理时间', '诉求类型', '诉求类别', '紧急程度', '渠道', '批示领导', '批示内容']
const SYNC = { online: true, syncing: false, queued: 0, conflicts: 0, lastSyncAt: null, lastError: null, lastErrorCode: null, nextAttemptAt: null, loginRequired: false }
const COUNTS = { unsigned: 0, inProgress: 0, dueSoon: 0, overdue: 0 }
const ID = (n: number) => `0190f0a0-0000-7000-8000-00000000010${n}`

const brief = (policeRelated: boolean) => ({
  policeRelated,
  policeProbability: policeRelated ? 0.91 : 0.08,
  category: policeRelated ? '噪音扰民' : '非公安',
  categoryScore: 0.8,
  requestType: '投诉',
  requestTypeScore: 0.7,
  handlingUnits: [],
  supervisingUnit: null,
  supervisingUnitName: null,
  modelVersion: 3,
})
const dup = {
  caseId: ID(9),
  number: 'MS202611250007',
  title: '楼上装修噪音',
  state: 'inProgress' as const,
  receivedAt: '2026-11-25T02:00:00Z',
  score: 0.9,
  textSimilarity: 0.88,
  samePhone: true,
  sameMatter: true,
}
const ROWS: BulkRowResult[] = [
  { row: 1, ok: true, caseId: ID(1), number: 'MS202611260001', code: null, message: null, suggestion: brief(true), duplicates: [dup, { ...dup, number: 'MS202611250008' }] },
  { row: 2, ok: true, caseId: ID(2), number: 'MS202611260002', code: null, message: null, suggestion: brief(false), duplicates: [] },
  { row: 3, ok: false, caseId: null, number: null, code: 'INVALID_FIELD', message: '诉求标题不能为空' },
  { row: 4, ok: true, caseId: ID(4), number: 'MS202611260004', code: null, message: null, suggestion: brief(false), duplicates: [] },
]
const RESULT: BulkResult = { channel: '12345市长热线', total: 4, accepted: 3, rejected: 1, rows: ROWS, notPoliceRelated: [ID(2), ID(4)] }

async function mountWith(component: typeof BulkImportPanel | typeof BulkTransferDialog, handlers: Record<string, Handler>, props = {}) {
  const calls = mockCommands({
    sync_status: () => SYNC,
    worklist_counts: () => COUNTS,
    sync_now: () => ({ pushed: 0, pulled: 3, conflicts: 0 }),
    ...handlers,
  })
  const pinia = createPinia()
  setActivePinia(pinia)
  await useSyncStore().start()
  const wrapper = mount(component, { props, attachTo: document.body, global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus] } })
  await settle()
  return { wrapper, calls }
}

function byTest(test: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(`[data-test="${test}"]`)
  if (!el) throw new Error(`no [data-test="${test}"]`)
  return el
}

describe('tour: the import template', () => {
  afterEach(() => vi.restoreAllMocks())

  it('has the Chinese headers the server accepts, a BOM and one example row the import reads back', () => {
    const csv = templateCsv()
    expect(csv.startsWith('\uFEFF')).toBe(true)
    const [header, example, rest] = csv.slice(1).split('\r\n')
    expect(header?.split(',')).toEqual(HEADERS)
    expect(example?.split(',')).toHaveLength(HEADERS.length)
    expect(rest).toBe('')
    const rows = readFeed(TEMPLATE_FILE, csv)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ title: '楼上夜间装修噪音扰民', citizenPhone: '13800000000', receivedAt: '2025-06-01T09:30:00+08:00', category: '噪音扰民' })
    expect(rows[0]).not.toHaveProperty('leaderInstruction')
  })

  it('reads 批示领导 and 批示内容 into the leader instruction', () => {
    const rows = readFeed('f.csv', '标题,内容,批示领导,批示内容\n路灯,不亮,王局长,请尽快处理\n')
    expect(rows[0]).toEqual({ title: '路灯', content: '不亮', leaderInstruction: { leader: '王局长', instruction: '请尽快处理' } })
  })

  it('is written by Rust into the downloads folder, as UTF-8 CSV with a BOM', async () => {
    let sent: string | null = null
    mockCommands({
      intake_save_template: (a) => {
        sent = a.content as string
        return '/home/u/下载/诉求批量导入模板.csv'
      },
    })
    expect(await saveTemplate()).toBe('/home/u/下载/诉求批量导入模板.csv')
    expect(sent).toBe(templateCsv())
    expect((sent as unknown as string).charCodeAt(0)).toBe(0xfeff)
    expect(TEMPLATE_FILE).toBe('诉求批量导入模板.csv')
  })
})

describe('tour: 批量导入', () => {
  afterEach(() => {
    clearMocks()
    document.body.innerHTML = ''
  })

  it('reads the file from the drop area, shows verdicts and duplicates, and transfers the non-police rows', async () => {
    const acted: { id: string; action: Action }[] = []
    const { wrapper, calls } = await mountWith(BulkImportPanel, {
      intake_bulk: () => RESULT,
      case_act: (args) => {
        acted.push({ id: args.id as string, action: args.action as Action })
        if (args.id === ID(4)) throw { code: 'ILLEGAL_TRANSITION', message: '该件已不在待受理状态' }
        return sampleLocal([])
      },
    })
    expect(wrapper.text()).toContain('将 CSV 或 JSON 文件拖到此处')
    expect(wrapper.text()).toContain('下载导入模板')

    const input = wrapper.get('[data-test="bulk-file"] input[type="file"]')
    expect(input.attributes('accept')).toBe('.csv,.json')
    const file = new File(['标题,内容\n噪音,楼上装修\n路灯,不亮\n无标题,x\n占道,摆摊\n'], 'feed.csv', { type: 'text/csv' })
    Object.defineProperty(input.element, 'files', { value: [file], configurable: true })
    await input.trigger('change')
    await settle()
    expect(wrapper.get('[data-test="bulk-parsed"]').text()).toContain('读取到 4 行')

    await wrapper.get('[data-test="bulk-start"]').trigger('click')
    await settle()
    const bulk = calls.find((c) => c.cmd === 'intake_bulk')
    expect(bulk?.args.channel).toBe('12345市长热线')
    expect((bulk?.args.rows as unknown[]).length).toBe(4)
    // Each batch of a file's import carries its own key, so a resend is not stored twice.
    expect(bulk?.args.idempotencyKey).toMatch(/^[0-9a-f-]{36}-\d+-0$/)

    expect(wrapper.get('[data-test="bulk-verdict-1"]').text()).toBe('涉警')
    expect(wrapper.get('[data-test="bulk-verdict-2"]').text()).toBe('非公安')
    expect(wrapper.get('[data-test="bulk-verdict-3"]').text()).toBe('')
    expect(wrapper.get('[data-test="bulk-dups-1"]').text()).toBe('2 件（MS202611250007）')
    expect(wrapper.get('[data-test="bulk-dups-2"]').text()).toBe('')

    await wrapper.get('[data-test="bulk-select-not-police"]').trigger('click')
    await settle()
    const transfer = wrapper.get('[data-test="bulk-transfer"]')
    expect(transfer.text()).toBe('转其他部门（2）')
    await transfer.trigger('click')
    await settle()

    const dept = byTest('bulk-transfer-department').querySelector('input') ?? (byTest('bulk-transfer-department') as HTMLInputElement)
    dept.value = '市住建局'
    dept.dispatchEvent(new Event('input'))
    const reason = byTest('bulk-transfer-reason').querySelector('textarea') ?? (byTest('bulk-transfer-reason') as HTMLTextAreaElement)
    reason.value = '物业管理事项，非公安职责'
    reason.dispatchEvent(new Event('input'))
    await settle()
    byTest('bulk-transfer-run').click()
    await settle()

    expect(calls.some((c) => c.cmd === 'sync_now')).toBe(true)
    expect(acted).toEqual([
      { id: ID(2), action: { type: 'transferOut', department: '市住建局', reason: '物业管理事项，非公安职责' } },
      { id: ID(4), action: { type: 'transferOut', department: '市住建局', reason: '物业管理事项，非公安职责' } },
    ])
    expect(byTest(`bulk-transfer-${ID(2)}`).textContent).toContain('已转出')
    expect(byTest(`bulk-transfer-${ID(4)}`).textContent).toContain('该件已不在待受理状态')
    expect(byTest('bulk-transfer-progress').textContent).toContain('100%')
    // The transferred row is marked in the results and can no longer be chosen.
    expect(wrapper.get('[data-test="bulk-verdict-2"]').text()).toBe('已转出')
  })

  it('stops at a department or reason the domain refuses, saying it once', async () => {
    const calls: string[] = []
    const rows = ROWS.filter((r) => r.suggestion?.policeRelated === false)
    await mountWith(
      BulkTransferDialog,
      {
        case_act: (args) => {
          calls.push(args.id as string)
          throw { code: 'INVALID_FIELD', message: '接收部门不能为空' }
        },
      },
      { rows, ready: Promise.resolve() },
    )
    byTest('bulk-transfer-run').click()
    await settle()
    await new Promise((r) => setTimeout(r, 150)) // el-form-item shows its error debounced
    expect(calls).toEqual([ID(2)])
    expect(byTest('bulk-transfer-form').textContent).toContain('接收部门不能为空')
    expect(byTest(`bulk-transfer-${ID(2)}`).textContent).toContain('待转出')
  })
})
