import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from '@/api'
import type { Account, AccountPage } from '@/api/online'
import { mockCommands, settle } from '@/__tests__/helpers'
import { fieldOfError, generatePassword, useUsers } from './useUsers'

const account = (n: number, over: Partial<Account> = {}): Account => ({
  id: `0190f0a0-0000-7000-8000-0000000000${String(n).padStart(2, '0')}`,
  username: `user-${n}`,
  displayName: `用户${n}`,
  role: 'officer',
  roleName: '承办民警',
  unitId: '0190f0a0-0000-7000-8000-0000000000aa',
  unitName: '泉城路派出所',
  phone: null,
  active: true,
  mustChangePassword: false,
  createdAt: '2026-11-23T01:00:00Z',
  passwordChangedAt: '2026-11-23T01:00:00Z',
  ...over,
})

afterEach(() => clearMocks())

describe('用户管理 composable', () => {
  it('puts each server refusal under the field it concerns', () => {
    expect(fieldOfError(new ApiError('ROLE_UNIT_MISMATCH', '“承办民警”须设在三级单位'))).toBe('unitId')
    expect(fieldOfError(new ApiError('UNKNOWN_UNIT', '单位不存在'))).toBe('unitId')
    expect(fieldOfError(new ApiError('ALREADY_EXISTS', '用户名“x”已存在'))).toBe('username')
    expect(fieldOfError(new ApiError('LAST_ADMIN', '至少保留一名管理员'))).toBe('role')
    expect(fieldOfError(new ApiError('INVALID_FIELD', '密码至少8位'))).toBe('password')
    expect(fieldOfError(new ApiError('INVALID_FIELD', '电话号码格式不正确'))).toBe('phone')
    expect(fieldOfError(new ApiError('BAD_REQUEST', '姓名不能为空'))).toBe('form')
    expect(fieldOfError(new Error('x'))).toBe('form')
  })

  it('generates passwords with every character class', () => {
    for (let i = 0; i < 50; i++) {
      const p = generatePassword()
      expect(p).toHaveLength(12)
      expect(p).toMatch(/[A-Z]/)
      expect(p).toMatch(/[a-z]/)
      expect(p).toMatch(/[0-9]/)
      expect(p).toMatch(/[^A-Za-z0-9]/)
    }
  })

  it('asks for the filtered first page, then appends the next by cursor', async () => {
    const first: AccountPage = { items: [account(1), account(2)], total: 3, nextCursor: 'user-2' }
    const second: AccountPage = { items: [account(2), account(3)], total: 3, nextCursor: null }
    const calls = mockCommands({
      online_get: (a) => (String(a.path).includes('cursor=') ? second : first),
    })
    const u = useUsers()
    Object.assign(u.filters, { unit: 'u1', role: 'officer', q: ' 张 ', active: 'false' })
    await u.load()
    expect(calls[0]?.args.path).toBe('/users/search?unit=u1&role=officer&q=%E5%BC%A0&active=false&limit=50')
    expect(u.rows.value).toHaveLength(2)
    expect(u.hasMore.value).toBe(true)
    await u.more()
    expect(calls[1]?.args.path).toContain('cursor=user-2')
    // The row already shown is not doubled.
    expect(u.rows.value.map((r) => r.username)).toEqual(['user-1', 'user-2', 'user-3'])
    expect(u.hasMore.value).toBe(false)
  })

  it('edits, resets and disables through their routes and shows the answer in place', async () => {
    const a = account(1)
    const calls = mockCommands({
      online_get: () => ({ items: [a], total: 1, nextCursor: null }),
      online_put: (x) =>
        String(x.path).endsWith('/active')
          ? { ...a, active: (x.body as { active: boolean }).active }
          : { ...a, ...(x.body as object), roleName: '所队长' },
      online_post: () => ({ ...a, mustChangePassword: true }),
    })
    const u = useUsers()
    await u.load()
    await u.edit(a.id, { displayName: ' 张伟 ', role: 'unitHead', unitId: a.unitId })
    expect(calls.at(-1)).toEqual({
      cmd: 'online_put',
      args: { path: `/users/${a.id}`, body: { displayName: '张伟', role: 'unitHead', unitId: a.unitId } },
    })
    expect(u.rows.value[0]?.roleName).toBe('所队长')
    await u.resetPassword(a.id, 'Reset#2026b')
    expect(calls.at(-1)).toEqual({ cmd: 'online_post', args: { path: `/users/${a.id}/password`, body: { password: 'Reset#2026b' } } })
    expect(u.rows.value[0]?.mustChangePassword).toBe(true)
    // Disabled while the list shows active accounts only: it leaves the list.
    u.filters.active = 'true'
    await u.setActive(a, false)
    expect(calls.at(-1)).toEqual({ cmd: 'online_put', args: { path: `/users/${a.id}/active`, body: { active: false } } })
    expect(u.rows.value).toHaveLength(0)
  })

  it('shows the offline state instead of an error', async () => {
    mockCommands({
      online_get: () => {
        throw { code: 'OFFLINE', message: '离线' }
      },
    })
    const u = useUsers()
    await u.load()
    await settle()
    expect(u.state.value).toBe('offline')
  })
})
