import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it } from 'vitest'
import type { AuditEntry } from '@/api/online'
import { mockCommands } from '@/__tests__/helpers'
import { createAppI18n } from '@/i18n'
import { auditQuery, describeDetail, exportName, useAuditLog } from './useAuditLog'

const i18n = createAppI18n('zh-CN').global
const t = (k: string, p?: Record<string, unknown>) => (p ? i18n.t(k, p) : i18n.t(k))
const te = (k: string) => i18n.te(k)

const entry = (id: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  id,
  at: '2026-11-23T02:00:00Z',
  userId: '0190f0a0-0000-7000-8000-000000000001',
  username: 'admin',
  userName: '系统管理员 王明',
  action: 'updateUser',
  actionName: '修改用户',
  target: 'officer',
  detail: '',
  ...over,
})

afterEach(() => clearMocks())

describe('审计日志 composable', () => {
  it('sends the picked days as Beijing instants, the last day included', () => {
    // A picker shows local calendar days; 2026-11-01 … 2026-11-02 (Beijing).
    const q = auditQuery({ user: ' clerk ', action: 'login', target: '', range: [new Date(2026, 10, 1), new Date(2026, 10, 2)] })
    expect(q).toEqual({
      user: 'clerk',
      action: 'login',
      target: undefined,
      from: '2026-10-31T16:00:00.000Z',
      to: '2026-11-02T16:00:00.000Z',
    })
    expect(auditQuery({ user: '', action: '', target: '', range: null })).toEqual({
      user: undefined,
      action: undefined,
      target: undefined,
      from: undefined,
      to: undefined,
    })
  })

  it('reads a change as before → after, in Chinese', () => {
    const user = JSON.stringify({
      role: { before: 'officer', after: 'unitHead' },
      unit: { before: { id: 'a', name: '泉城路派出所' }, after: { id: 'b', name: '解放路派出所' } },
      active: { before: true, after: false },
      password: 'reset',
    })
    expect(describeDetail(user, t, te)).toEqual([
      { field: '角色', text: '承办民警 → 所队长' },
      { field: '单位', text: '泉城路派出所 → 解放路派出所' },
      { field: '状态', text: '启用 → 停用' },
      { field: '密码', text: '已重置' },
    ])
    // A new account: nothing before.
    expect(describeDetail(JSON.stringify({ displayName: { before: null, after: '张伟' } }), t, te)).toEqual([
      { field: '姓名', text: '（无） → 张伟' },
    ])
    // Whole records (a template, the weights): only the fields that differ.
    const template = JSON.stringify({
      before: { name: '办结回访', body: '旧内容', providerTemplateId: null },
      after: { name: '办结回访', body: '新内容{caseNumber}', providerTemplateId: null },
    })
    expect(describeDetail(template, t, te)).toEqual([{ field: '内容', text: '旧内容 → 新内容{caseNumber}' }])
    const weights = JSON.stringify({ before: { satisfaction: 40, noReturn: 10 }, after: { satisfaction: 35, noReturn: 10 } })
    expect(describeDetail(weights, t, te)).toEqual([{ field: '满意度', text: '40 → 35' }])
    // A dead letter discarded, a login's plain text, nothing.
    expect(describeDetail(JSON.stringify({ status: { before: 'dead', after: 'discarded' }, reason: '空号' }), t, te)).toEqual([
      { field: '状态', text: 'dead → discarded' },
      { field: '原因', text: '空号' },
    ])
    expect(describeDetail('ip:127.0.0.1', t, te)).toEqual([{ field: '', text: 'ip:127.0.0.1' }])
    expect(describeDetail('', t, te)).toEqual([])
  })

  it('pages newest first by cursor, verifies the chain and exports through the .xlsx door', async () => {
    const calls = mockCommands({
      online_get: (a) => {
        const path = String(a.path)
        if (path.startsWith('/audit/verify')) return { valid: true, entries: 42, brokenAt: null, problem: null, headHash: 'h' }
        if (path.startsWith('/audit/actions')) return [{ code: 'updateUser', name: '修改用户' }]
        return path.includes('cursor=')
          ? { items: [entry(3)], nextCursor: null }
          : { items: [entry(9), entry(5)], nextCursor: '5' }
      },
      online_download: () => '/home/admin/下载/审计日志.xlsx',
    })
    const log = useAuditLog()
    log.filters.action = 'updateUser'
    await log.load()
    expect(calls.at(-1)?.args.path).toBe('/audit/search?action=updateUser&limit=50')
    await log.more()
    expect(calls.at(-1)?.args.path).toBe('/audit/search?action=updateUser&cursor=5&limit=50')
    expect(log.rows.value.map((r) => r.id)).toEqual([9, 5, 3])
    expect(log.hasMore.value).toBe(false)
    await log.verify()
    expect(log.chain.value?.valid).toBe(true)
    await log.loadActions()
    expect(log.actionName(entry(1, { actionName: null, action: 'updateUser' }))).toBe('修改用户')
    expect(log.actionName(entry(1, { actionName: null, action: 'newThing' }))).toBe('newThing')
    const path = await log.exportXlsx()
    expect(path).toContain('审计日志')
    const dl = calls.at(-1)
    expect(dl?.cmd).toBe('online_download')
    expect(dl?.args.path).toBe('/audit/export.xlsx?action=updateUser')
    expect(String(dl?.args.fileName)).toMatch(/^审计日志 \d{12}$/)
  })

  it('names exports by the Beijing time', () => {
    expect(exportName(new Date('2026-11-23T16:05:00Z'))).toBe('审计日志 202611240005')
  })
})
