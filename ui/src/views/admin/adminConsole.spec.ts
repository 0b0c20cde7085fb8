// 系统管理 screens as the admin uses them: the menu group only roles with `administer`
// see (Rust's table), the user form offering the units of the role's level and showing
// the server's refusal under the unit, the dead-letter discard with its reason, and the
// audit log's chain status line.
import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { Unit } from '@/api'
import type { Account, OutboxMessage } from '@/api/online'
import { capsOf, mockCommands, settle } from '@/__tests__/helpers'
import AppShell from '@/components/AppShell.vue'
import { createAppI18n } from '@/i18n'
import { navEntries } from '@/navigation'
import { createAppRouter } from '@/router'
import { useCapabilityStore } from '@/stores/capabilities'
import { useSessionStore } from '@/stores/session'
import AuditLogView from './AuditLogView.vue'
import DeadLettersView from './DeadLettersView.vue'
import UsersView from './UsersView.vue'

const unit = (id: string, name: string, level: 1 | 2 | 3, parent: string | null): Unit => ({
  id,
  code: id,
  name,
  level,
  parent,
  kind: '派出所',
  policeLine: null,
  jurisdiction: { districts: [], streets: [] },
  active: true,
})
const UNITS = [
  unit('JN', '济南市公安局', 1, null),
  unit('PTB', '民生警务平台办公室', 1, 'JN'),
  unit('LX', '历下分局', 2, 'JN'),
  unit('QCL', '泉城路派出所', 3, 'LX'),
]
const OFFICER: Account = {
  id: '0190f0a0-0000-7000-8000-0000000000b1',
  username: 'officer',
  displayName: '张伟',
  role: 'officer',
  roleName: '承办民警',
  unitId: 'QCL',
  unitName: '泉城路派出所',
  phone: '13800001111',
  active: true,
  mustChangePassword: false,
  createdAt: '2026-11-23T01:00:00Z',
  passwordChangedAt: '2026-11-23T01:00:00Z',
}

function mountView<T>(component: T) {
  const pinia = createPinia()
  setActivePinia(pinia)
  return mount(component as never, {
    attachTo: document.body,
    global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)] },
  })
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
/** The options of the dropdown that is open now (closed ones are display: none). */
const openOptions = () =>
  [...document.querySelectorAll<HTMLElement>('.el-select-dropdown__item')].filter(
    (o) => o.closest<HTMLElement>('.el-popper')?.style.display !== 'none',
  )
const optionLabels = () => openOptions().map((o) => o.textContent?.trim() ?? '')
/** Picks the option labelled `label` of the select `sel`. */
async function pick(sel: string, label: string) {
  await click(`${sel} .el-select__wrapper`)
  const option = openOptions().find((o) => o.textContent?.trim() === label)
  if (!option) throw new Error(`no option ${label} in ${JSON.stringify(optionLabels())}`)
  option.click()
  await settle()
}

afterEach(() => {
  clearMocks()
  document.body.innerHTML = ''
})

describe('系统管理', { timeout: 30_000 }, () => {
  it('is one menu group, for the roles Rust says may administer', async () => {
    const group = (role: string) => navEntries(capsOf(role)).find((e) => 'group' in e && e.group.key === 'admin')
    const admin = group('admin')
    expect(admin && 'items' in admin ? admin.items.map((i) => i.path) : []).toEqual(
      expect.arrayContaining(['/admin/users', '/admin/audit', '/admin/weights', '/admin/sms-templates', '/admin/dead-letters', '/admin/accuracy']),
    )
    for (const role of ['clerk', 'officer', 'unitHead', 'supervisor', 'leader', 'followUp']) expect(group(role)).toBeUndefined()

    // In the shell: a sub-menu titled 系统管理 holding the screens.
    mockCommands({ sync_status: () => ({ online: true, syncing: false, queued: 0, conflicts: 0, lastSyncAt: null, lastError: null, lastErrorCode: null, nextAttemptAt: null, loginRequired: false }) })
    const pinia = createPinia()
    setActivePinia(pinia)
    await useCapabilityStore().load()
    useSessionStore().profile = {
      id: 'u1',
      username: 'admin',
      displayName: '王明',
      role: 'admin',
      roleName: '管理员',
      unitId: 'PTB',
      unitName: '平台办',
      active: true,
    }
    const w = mount(AppShell, {
      global: {
        plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory(), false)],
        stubs: { AppTopBar: true, RouterView: true },
      },
    })
    await settle()
    const sub = w.get('[data-test="nav-group-admin"]')
    expect(sub.text()).toContain('系统管理')
    expect(sub.find('[data-test="nav-admin-users"]').exists()).toBe(true)
    expect(sub.find('[data-test="nav-admin-dead"]').exists()).toBe(true)
    w.unmount()
  })

  it('用户管理: lists accounts, offers the units of the role’s level, shows a refusal under the unit', async () => {
    const calls = mockCommands({
      org_units: () => UNITS,
      online_get: () => ({ items: [OFFICER], total: 1, nextCursor: null }),
      online_post: () => {
        throw { code: 'ROLE_UNIT_MISMATCH', message: '“督办员”须设在二级单位（分局/县局/支队），“泉城路派出所”是三级单位（科所队）' }
      },
    })
    const w = mountView(UsersView)
    await settle()
    expect(calls.find((c) => c.cmd === 'online_get')?.args.path).toBe('/users/search?limit=50')
    expect($('[data-test="users-total"]')?.textContent).toContain('共 1 人')
    const row = $('[data-test="users-table"] .el-table__body tr')?.textContent ?? ''
    expect(row).toContain('张伟')
    expect(row).toContain('泉城路派出所')
    expect(row).toContain('2026-11-23 09:00')

    await click('[data-test="users-create"]')
    // No role yet: no unit to pick.
    expect($('[data-test="users-f-unit-hint"]')).toBeNull()
    await pick('[data-test="users-f-role"]', '承办民警')
    expect($('[data-test="users-f-unit-hint"]')?.textContent).toContain('三级')
    await click('[data-test="users-f-unit"] .el-select__wrapper')
    expect(optionLabels()).toContain('泉城路派出所')
    expect(optionLabels()).not.toContain('历下分局')
    expect(optionLabels()).not.toContain('民生警务平台办公室')
    // The password is filled with a generated one.
    expect($<HTMLInputElement>('input[data-test="users-f-password"], [data-test="users-f-password"] input')?.value).toHaveLength(12)

    // The server's refusal lands under the unit.
    await pick('[data-test="users-f-unit"]', '泉城路派出所')
    await type('[data-test="users-f-username"]', 'newbie')
    await type('[data-test="users-f-name"]', '新同事')
    await click('[data-test="users-f-save"]')
    const post = calls.find((c) => c.cmd === 'online_post')
    expect(post?.args.path).toBe('/users')
    expect(post?.args.body).toMatchObject({ username: 'newbie', displayName: '新同事', role: 'officer', unitId: 'QCL' })
    await vi.waitFor(() => {
      const unitItem = $('[data-test="users-f-unit"]')?.closest('.el-form-item')
      expect(unitItem?.classList.contains('is-error')).toBe(true)
      expect(unitItem?.querySelector('.el-form-item__error')?.textContent).toContain('须设在二级单位')
    })
    w.unmount()
  })

  it('短信死信队列: discarding needs a reason and takes the message off the list', async () => {
    const dead: OutboxMessage = {
      id: '0190f0a0-0000-7000-8000-0000000000d1',
      eventKey: 'followup:x',
      phone: '139****5678',
      template: 'followup.l1',
      providerTemplateId: null,
      params: {},
      body: '【济南公安】编号MS202611230001已办结。',
      status: 'dead',
      attempts: 5,
      nextAttemptAt: '2026-11-23T01:00:00Z',
      lastError: 'MOBILE_NUMBER_ILLEGAL',
      providerId: null,
      deliveryStatus: null,
      createdAt: '2026-11-23T01:00:00Z',
      sentAt: null,
      discardReason: null,
    }
    const calls = mockCommands({
      online_get: () => [dead],
      online_post: (a) => ({ ...dead, status: 'discarded', discardReason: (a.body as { reason: string }).reason }),
    })
    const w = mountView(DeadLettersView)
    await settle()
    expect(calls[0]?.args.path).toBe('/sms/outbox?status=dead&limit=1000')
    expect($('[data-test="dead-table"] .el-table__body tr')?.textContent).toContain('MOBILE_NUMBER_ILLEGAL')
    await click('[data-test="dead-table"] .el-table__body [data-test="dead-discard"]')
    await click('[data-test="dead-confirm"]')
    expect(calls.some((c) => c.cmd === 'online_post')).toBe(false)
    // Element Plus shows a field's message 100 ms late.
    await vi.waitFor(() => expect($('[data-test="dead-dialog"] .el-form-item__error')?.textContent).toContain('请填写放弃原因'))
    await type('[data-test="dead-reason"]', '空号，已电话回访')
    await click('[data-test="dead-confirm"]')
    expect(calls.at(-1)).toEqual({
      cmd: 'online_post',
      args: { path: `/sms/outbox/${dead.id}/discard`, body: { reason: '空号，已电话回访' } },
    })
    expect($('[data-test="dead-empty"]')?.textContent).toContain('没有死信短信')
    w.unmount()
  })

  it('审计日志: shows the chain check as a status line, and an empty result plainly', async () => {
    mockCommands({
      online_get: (a) => {
        const p = String(a.path)
        if (p.startsWith('/audit/verify')) return { valid: false, entries: 10, brokenAt: 7, problem: '哈希不符', headHash: null }
        if (p.startsWith('/audit/actions')) return []
        return { items: [], nextCursor: null }
      },
    })
    const w = mountView(AuditLogView)
    await settle()
    expect($('[data-test="audit-chain-broken"]')?.textContent).toContain('第 7 条记录起被改动或删除')
    expect($('[data-test="audit-empty"]')?.textContent).toContain('没有符合条件的审计记录')
    w.unmount()
  })
})
