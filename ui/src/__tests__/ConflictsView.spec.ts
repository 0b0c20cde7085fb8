import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { OutboxCommand, Resolution, SyncStatus } from '@/api'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import ConflictsView from '@/views/ConflictsView.vue'
import { mockCommands, settle } from './helpers'

const refused: OutboxCommand = {
  seq: 7,
  id: 'cmd-1',
  caseId: '0190f0a0-0000-7000-8000-000000000003',
  baseVersion: 4,
  payload: { kind: 'action', body: { type: 'submitReply', text: '<img src=x onerror=alert(1)>已处理' } },
  actor: { userId: 'u1', name: '张警官', role: 'officer', unitId: 'unit1' },
  deviceAt: '2026-11-26T01:30:00Z',
  status: 'conflict',
  errorCode: 'CASE_REASSIGNED',
  errorMessage: '该件已改派至其他单位',
}
/** A second refused command, so a resolution is seen to remove only its own row. */
const other: OutboxCommand = {
  ...refused,
  seq: 8,
  id: 'cmd-2',
  caseId: '0190f0a0-0000-7000-8000-000000000004',
  payload: { kind: 'action', body: { type: 'urge', message: '请尽快办理' } },
  status: 'rejected',
  errorCode: 'INVALID_TRANSITION',
  errorMessage: '该件已办结',
}

const status = (conflicts: number): SyncStatus => ({
  online: true,
  syncing: false,
  queued: 0,
  conflicts,
  lastSyncAt: null,
  lastError: null,
  lastErrorCode: null,
  nextAttemptAt: null,
  loginRequired: false,
})

/**
 * The view over a fake outbox holding `initial`: `sync_resolve_conflict` removes the
 * command (as the Rust side does) unless `fail` says to refuse it with an error body.
 */
function setup(
  initial: OutboxCommand[],
  fail: { code: string; message: string } | null = null,
  extra: Parameters<typeof mockCommands>[0] = {},
) {
  let open = [...initial]
  const calls = mockCommands({
    ...extra,
    sync_conflicts: () => open,
    sync_resolve_conflict: (args) => {
      if (fail) throw fail
      open = open.filter((c) => c.id !== args.command)
      return null
    },
    sync_status: () => status(open.length),
    worklist_counts: () => ({ unsigned: 0, inProgress: 0, dueSoon: 0, overdue: 0 }),
  })
  const pinia = createPinia()
  setActivePinia(pinia)
  const wrapper = mount(ConflictsView, {
    attachTo: document.body,
    global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
  })
  const resolves = () => calls.filter((c) => c.cmd === 'sync_resolve_conflict').map((c) => c.args)
  const rows = () => wrapper.findAll('[data-test="conflict-row"]').map((r) => r.attributes('data-command-id'))
  const row = (id: string) => wrapper.get(`[data-test="conflict-row"][data-command-id="${id}"]`)
  return { wrapper, calls, resolves, rows, row }
}

/** Texts of the toasts (ElMessage) of `type` on the page now. */
const messages = (type: 'success' | 'error') =>
  [...document.querySelectorAll(`.el-message--${type} .el-message__content`)].map((e) => e.textContent?.trim() ?? '')

async function clickIn(root: Element | null, sel: string): Promise<void> {
  const el = root?.querySelector<HTMLElement>(sel)
  if (!el) throw new Error(`missing ${sel}`)
  el.click()
  await settle()
}
const messageBox = () => document.querySelector('.el-message-box')

afterEach(() => {
  clearMocks()
  document.body.innerHTML = ''
})

describe('ConflictsView', () => {
  it('lists each refused command with the server reason, as text', async () => {
    const { wrapper, rows, row } = setup([refused, other])
    await settle()
    expect(rows()).toEqual(['cmd-1', 'cmd-2'])
    const r = row('cmd-1')
    expect(r.text()).toContain('提交答复')
    expect(r.text()).toContain('该件已改派至其他单位')
    expect(r.text()).toContain('CASE_REASSIGNED')
    expect(r.text()).toContain('<img src=x onerror=alert(1)>已处理')
    expect(r.element.querySelector('img')).toBeNull()
    expect(row('cmd-2').text()).toContain('该件已办结')
    expect(row('cmd-2').text()).toContain('请尽快办理')
    expect(wrapper.find('[data-test="conflicts-hint"]').exists()).toBe(true)
    wrapper.unmount()
  })

  it('names each case by its number and title from the cache, else by the start of its id', async () => {
    const { wrapper, row } = setup([refused, other], null, {
      case_get: (args) => {
        if (args.id === refused.caseId) return { case: { number: 'MS202611260007', title: '楼下饭店夜间噪音扰民' } }
        throw { code: 'NOT_FOUND', message: '诉求件不存在' }
      },
    })
    await settle()
    expect(row('cmd-1').get('[data-test="conflict-case"]').text()).toBe('MS202611260007 楼下饭店夜间噪音扰民')
    expect(row('cmd-2').get('[data-test="conflict-case"]').text()).toBe('0190f0a0')
    wrapper.unmount()
  })

  it.each<[string, Resolution]>([
    ['conflict-reapply', 'reapply'],
    ['conflict-forward', 'forwardAsNote'],
  ])('%s resolves with "%s": only that row goes, 已处理 is shown, the status is read again', async (button, how) => {
    const { wrapper, calls, resolves, rows, row } = setup([refused, other])
    await settle()
    const statusReads = calls.filter((c) => c.cmd === 'sync_status').length
    await row('cmd-1').get(`[data-test="${button}"]`).trigger('click')
    await settle()
    expect(resolves()).toEqual([{ command: 'cmd-1', how }])
    expect(rows()).toEqual(['cmd-2'])
    expect(messages('success')).toContain('已处理')
    expect(messages('error')).toEqual([])
    // The top bar's conflict count follows: the view asks the shell for the status again.
    expect(calls.filter((c) => c.cmd === 'sync_status').length).toBeGreaterThan(statusReads)
    wrapper.unmount()
  })

  it('discard asks first; confirmed, it resolves with "discard" and the row goes', async () => {
    const { wrapper, resolves, rows, row } = setup([refused, other])
    await settle()
    await row('cmd-1').get('[data-test="conflict-discard"]').trigger('click')
    await settle()
    expect(messageBox()?.textContent).toContain('放弃后这条操作不会上传，确定吗？')
    // It names what is discarded: the action and the case.
    expect(messageBox()?.textContent).toContain('提交答复（0190f0a0）')
    expect(resolves()).toEqual([])
    expect(rows()).toEqual(['cmd-1', 'cmd-2'])
    await clickIn(messageBox(), '.el-message-box__btns .el-button--primary')
    await settle()
    expect(resolves()).toEqual([{ command: 'cmd-1', how: 'discard' }])
    expect(rows()).toEqual(['cmd-2'])
    expect(messages('success')).toContain('已处理')
    wrapper.unmount()
  })

  it('discard cancelled: nothing is resolved, the row stays', async () => {
    const { wrapper, resolves, rows, row } = setup([refused])
    await settle()
    await row('cmd-1').get('[data-test="conflict-discard"]').trigger('click')
    await settle()
    const box = messageBox()
    expect(box?.textContent).toContain('放弃后这条操作不会上传')
    const cancel = [...(box?.querySelectorAll<HTMLElement>('.el-message-box__btns button') ?? [])].find((b) =>
      b.textContent?.includes('取消'),
    )
    expect(cancel).toBeDefined()
    cancel?.click()
    await settle()
    expect(resolves()).toEqual([])
    expect(rows()).toEqual(['cmd-1'])
    expect(messages('success')).toEqual([])
    // Still resolvable afterwards (the row is not left busy).
    expect(row('cmd-1').get('[data-test="conflict-forward"]').classes()).not.toContain('is-loading')
    wrapper.unmount()
  })

  it.each<[string, Resolution]>([
    ['conflict-reapply', 'reapply'],
    ['conflict-forward', 'forwardAsNote'],
  ])('a failed %s: the row stays and the error is shown', async (button, how) => {
    const fail = { code: 'RESOLUTION_NOT_POSSIBLE', message: '离线新建的诉求件被拒绝后只能放弃，或重新登记' }
    const { wrapper, resolves, rows, row } = setup([refused, other], fail)
    await settle()
    await row('cmd-1').get(`[data-test="${button}"]`).trigger('click')
    await settle()
    expect(resolves()).toEqual([{ command: 'cmd-1', how }])
    expect(rows()).toEqual(['cmd-1', 'cmd-2'])
    expect(messages('error')).toContain(fail.message)
    expect(messages('success')).toEqual([])
    // Not left spinning: the officer can choose again.
    for (const b of row('cmd-1').findAll('button')) expect(b.classes()).not.toContain('is-loading')
    wrapper.unmount()
  })

  it('a failed discard (after confirming): the row stays and the error is shown', async () => {
    const fail = { code: 'NO_SUCH_CONFLICT', message: '同步冲突列表中没有该操作（可能已处理）：cmd-1' }
    const { wrapper, resolves, rows, row } = setup([refused], fail)
    await settle()
    await row('cmd-1').get('[data-test="conflict-discard"]').trigger('click')
    await settle()
    await clickIn(messageBox(), '.el-message-box__btns .el-button--primary')
    await settle()
    expect(resolves()).toEqual([{ command: 'cmd-1', how: 'discard' }])
    expect(rows()).toEqual(['cmd-1'])
    expect(messages('error')).toContain(fail.message)
    wrapper.unmount()
  })

  it('a failed list load shows the error', async () => {
    mockCommands({
      sync_conflicts: () => {
        throw { code: 'CACHE_LOCKED', message: '本机缓存已锁定' }
      },
    })
    setActivePinia(createPinia())
    const wrapper = mount(ConflictsView, {
      attachTo: document.body,
      global: { plugins: [createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
    })
    await settle()
    expect(messages('error')).toContain('本机缓存已锁定')
    expect(wrapper.findAll('[data-test="conflict-row"]')).toHaveLength(0)
    wrapper.unmount()
  })
})
