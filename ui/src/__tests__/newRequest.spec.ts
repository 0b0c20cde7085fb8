import { clearMocks } from '@tauri-apps/api/mocks'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { createMemoryHistory } from 'vue-router'
import type { AssistDraft, FieldProblem, IntakeAssist, NewCase } from '@/api'
import { createAppI18n } from '@/i18n'
import { navItems } from '@/navigation'
import { createAppRouter } from '@/router'
import { useSessionStore } from '@/stores/session'
import NewRequestView from '@/views/intake/NewRequestView.vue'
import { ASSIST_DELAY_MS } from '@/views/intake/useIntakeAssist'
import { DRAFT_NAME, useNewRequest } from '@/views/intake/useNewRequest'
import { capsOf, mockCommands, sampleCase, sampleLocal, settle, type Handler } from './helpers'

const NOW = new Date('2026-11-26T02:00:00Z')
const NEW_ID = '0190f0a0-0000-7000-8000-0000000000aa'
const DUP_ID = '0190f0a0-0000-7000-8000-0000000000d1'
const HIST_ID = '0190f0a0-0000-7000-8000-0000000000b7'

function answer(dupTitle: string): IntakeAssist {
  return {
    suggestion: {
      policeRelated: [true, 0.93],
      category: [{ label: '噪音扰民', score: 0.81 }],
      requestType: [{ label: '投诉', score: 0.7 }],
      unitKind: [],
      handlingUnits: [{ unitId: 'u-px', unitName: '泉城路派出所', score: 0.77, reasons: ['派出所', '泉城路'] }],
      supervisingUnit: 'u-lx',
      district: '历下区',
      street: '泉城路',
      categoryReasons: ['装修', '夜间'],
    },
    supervisingUnitName: '历下分局',
    modelVersion: 3,
    duplicates: [
      {
        caseId: DUP_ID,
        number: 'MS202611250007',
        title: dupTitle,
        state: 'inProgress',
        receivedAt: '2026-11-25T02:00:00Z',
        score: 0.9,
        textSimilarity: 0.88,
        samePhone: true,
        sameMatter: true,
      },
    ],
    phoneMasked: '138****5678',
    callerHistory: [
      {
        caseId: HIST_ID,
        number: 'MS202610010003',
        title: '车辆被刮',
        channel: '12345市长热线',
        state: 'archived',
        stateName: '已归档',
        category: '交通管理',
        handlingUnitName: '泉城路派出所',
        receivedAt: '2026-10-01T01:00:00Z',
      },
    ],
  }
}

const created = () => sampleLocal([], sampleCase({ id: NEW_ID, number: null, state: 'pendingAcceptance', title: '楼上夜间装修' }))
const SYNC = { online: true, syncing: false, queued: 1, conflicts: 0, lastSyncAt: null, lastError: null, lastErrorCode: null, nextAttemptAt: null, loginRequired: false }

let pinia: Pinia
/** Each account's encrypted cache, as far as drafts go: user → draft name → value. */
let caches: Map<string, Map<string, unknown>>
let user = 'clerk1'
const drafts = () => {
  if (!caches.has(user)) caches.set(user, new Map())
  return caches.get(user) as Map<string, unknown>
}
const storedDraft = () => drafts().get(DRAFT_NAME) ?? null

function signIn(username = 'clerk1'): void {
  user = username
  useSessionStore().profile = {
    id: 'u1',
    username,
    displayName: '王受理',
    role: 'clerk',
    roleName: '受理员',
    unitId: 'unit1',
    unitName: '民生警务中心',
    active: true,
  }
}

function mockAll(extra: Record<string, Handler> = {}) {
  return mockCommands({
    draft_load: (a) => drafts().get(a.name as string) ?? null,
    draft_save: (a) => {
      drafts().set(a.name as string, JSON.parse(JSON.stringify(a.value)))
      return null
    },
    draft_clear: (a) => {
      drafts().delete(a.name as string)
      return null
    },
    intake_check: () => [],
    intake_assist: () => answer('楼上装修噪音'),
    case_intake: () => created(),
    sync_status: () => SYNC,
    worklist_counts: () => ({ unsigned: 0, inProgress: 0, dueSoon: 0, overdue: 0 }),
    org_units: () => [],
    ...extra,
  })
}

function plugins(router = createAppRouter(createMemoryHistory(), false)) {
  return { router, list: [pinia, createAppI18n('zh-CN'), ElementPlus, router] }
}

/** The composable in a bare component (no template), as the page uses it. */
function useInHost() {
  let nr: ReturnType<typeof useNewRequest> | undefined
  const p = plugins()
  const wrapper = mount(
    defineComponent({
      setup() {
        nr = useNewRequest()
        return () => h('div')
      },
    }),
    { global: { plugins: p.list } },
  )
  if (!nr) throw new Error('not set up')
  return { nr, wrapper, router: p.router }
}

const sent = (calls: { cmd: string; args: Record<string, unknown> }[], cmd: string) =>
  calls.filter((c) => c.cmd === cmd).map((c) => (cmd === 'intake_assist' ? c.args.draft : c.args.newCase))

function fill(f: ReturnType<typeof useNewRequest>['form']): void {
  f.citizenPhone = '13812345678'
  f.citizenName = '李女士'
  f.address = '泉城路1号'
  f.title = '楼上夜间装修'
  f.content = '每晚十点后仍在施工'
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  vi.setSystemTime(NOW)
  caches = new Map()
  pinia = createPinia()
  setActivePinia(pinia)
  signIn()
})
afterEach(() => {
  vi.useRealTimers()
  clearMocks()
  document.body.innerHTML = ''
})

describe('新建诉求 composable', () => {
  it('asks for assistance once the clerk pauses, and shows only the latest answer', async () => {
    const pending: { draft: AssistDraft; resolve: (a: IntakeAssist) => void }[] = []
    mockAll({ intake_assist: (a) => new Promise((resolve) => pending.push({ draft: a.draft as AssistDraft, resolve })) })
    const { nr, wrapper } = useInHost()
    nr.form.title = '楼上'
    await vi.advanceTimersByTimeAsync(ASSIST_DELAY_MS / 2)
    nr.form.title = '楼上装修'
    await vi.advanceTimersByTimeAsync(ASSIST_DELAY_MS - 1)
    expect(pending).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(pending.map((p) => p.draft)).toEqual([{ title: '楼上装修', content: '', citizenPhone: null, address: null }])

    nr.form.content = '每晚十点后施工'
    await vi.advanceTimersByTimeAsync(ASSIST_DELAY_MS)
    expect(pending).toHaveLength(2)
    pending[1]?.resolve(answer('新答案'))
    await settle()
    pending[0]?.resolve(answer('旧答案'))
    await settle()
    expect(nr.assist.state.value).toBe('ready')
    expect(nr.assist.answer.value?.duplicates[0]?.title).toBe('新答案')
    expect(nr.assist.elapsedMs.value).not.toBeNull()
    wrapper.unmount()
  })

  it('says offline quietly when the server cannot be reached, and the form keeps working', async () => {
    const calls = mockAll({ intake_assist: () => Promise.reject({ code: 'OFFLINE', message: '离线' }) })
    const { nr, wrapper } = useInHost()
    fill(nr.form)
    await vi.advanceTimersByTimeAsync(ASSIST_DELAY_MS)
    await settle()
    expect(nr.assist.state.value).toBe('offline')
    expect(nr.assist.answer.value).toBeNull()
    await nr.submit()
    expect(sent(calls, 'case_intake')).toHaveLength(1)
    wrapper.unmount()
  })

  it('shows the domain’s problems under the fields the clerk touched, every one after 登记', async () => {
    const problems: FieldProblem[] = [
      { field: 'title', code: 'INVALID_FIELD', message: '标题不能为空' },
      { field: 'citizenPhone', code: 'INVALID_FIELD', message: '电话号码格式不正确' },
      { field: 'citizenPhone', code: 'INVALID_FIELD', message: '请核对区号' },
    ]
    const calls = mockAll({ intake_check: () => problems })
    const { nr, wrapper } = useInHost()
    nr.form.citizenPhone = '123'
    await vi.advanceTimersByTimeAsync(300)
    await settle()
    expect(nr.errors.value).toEqual({ citizenPhone: '电话号码格式不正确；请核对区号' })

    expect(await nr.submit()).toBe('citizenPhone')
    expect(nr.errors.value).toEqual({ title: '标题不能为空', citizenPhone: '电话号码格式不正确；请核对区号' })
    expect(sent(calls, 'case_intake')).toHaveLength(0)
    wrapper.unmount()
  })

  it('keeps the draft per user across a reload, and drops it after 登记', async () => {
    mockAll()
    const first = useInHost()
    await first.nr.draftLoaded
    first.nr.form.title = '楼上夜间装修'
    first.nr.form.channel = '来信来访'
    await vi.advanceTimersByTimeAsync(200)
    expect(storedDraft()).toMatchObject({ title: '楼上夜间装修', channel: '来信来访' })
    expect(localStorage.length, 'nothing in plain storage').toBe(0)
    first.wrapper.unmount()

    const again = useInHost()
    await again.nr.draftLoaded
    expect(again.nr.restored.value).toBe(true)
    expect(again.nr.form.title).toBe('楼上夜间装修')
    expect(again.nr.form.channel).toBe('来信来访')
    again.wrapper.unmount()

    signIn('clerk2')
    const other = useInHost()
    await other.nr.draftLoaded
    expect(other.nr.restored.value).toBe(false)
    expect(other.nr.form.title).toBe('')
    other.wrapper.unmount()

    signIn('clerk1')
    const third = useInHost()
    await third.nr.draftLoaded
    fill(third.nr.form)
    await third.nr.submit()
    expect(third.nr.created.value).toEqual({ id: NEW_ID, title: '楼上夜间装修' })
    await vi.advanceTimersByTimeAsync(200)
    expect(storedDraft()).toBeNull()
    third.wrapper.unmount()
  })

  it('sends the leader’s instruction for 领导批示 only', async () => {
    const calls = mockAll()
    const { nr, wrapper } = useInHost()
    fill(nr.form)
    nr.form.channel = '领导批示'
    nr.form.leaderName = '张局长'
    nr.form.leaderInstruction = '请历下分局核查并答复'
    await nr.submit()
    nr.reset()
    fill(nr.form)
    nr.form.leaderName = '张局长' // typed, then the channel changed back
    await nr.submit()
    const [leader, plain] = sent(calls, 'case_intake') as NewCase[]
    expect(leader?.leaderInstruction).toEqual({ leader: '张局长', instruction: '请历下分局核查并答复' })
    expect(plain?.channel).toBe('民生警务热线')
    expect(plain?.leaderInstruction).toBeNull()
    wrapper.unmount()
  })

  it('queues the NewCase the form shows, then 立即派单 opens the case with act=dispatch', async () => {
    const calls = mockAll()
    const { nr, wrapper, router } = useInHost()
    fill(nr.form)
    nr.form.citizenIdCard = ' '
    nr.form.district = '历下区'
    nr.form.category = '噪音扰民'
    nr.form.requestType = '投诉'
    nr.form.urgency = '紧急'
    nr.form.important = true
    nr.form.receivedAt = Date.parse('2026-11-26T01:30:00Z')
    expect(await nr.submit()).toBeNull()
    expect(sent(calls, 'intake_check')).toContainEqual(sent(calls, 'case_intake')[0])
    expect(sent(calls, 'case_intake')).toEqual([
      {
        id: null,
        channel: '民生警务热线',
        requestType: '投诉',
        category: '噪音扰民',
        title: '楼上夜间装修',
        content: '每晚十点后仍在施工',
        citizenName: '李女士',
        citizenPhone: '13812345678',
        citizenIdCard: null,
        address: '泉城路1号',
        district: '历下区',
        receivedAt: '2026-11-26T01:30:00.000Z',
        urgency: '紧急',
        flags: { policeComplaint: false, important: true },
        leaderInstruction: null,
      },
    ])
    await nr.dispatchNow()
    expect(router.currentRoute.value.fullPath).toBe(`/cases/${NEW_ID}?act=dispatch`)
    wrapper.unmount()
  })

  it('registers a same-matter duplicate and opens it for linking; applies the suggestion', async () => {
    mockAll()
    const { nr, wrapper, router } = useInHost()
    fill(nr.form)
    const a = answer('楼上装修噪音')
    if (a.suggestion) nr.applySuggestion(a.suggestion)
    expect([nr.form.category, nr.form.requestType, nr.form.district]).toEqual(['噪音扰民', '投诉', '历下区'])
    const dup = a.duplicates[0]
    if (dup) await nr.registerAsDuplicate(dup)
    await settle()
    expect(router.currentRoute.value.fullPath).toBe(`/cases/${NEW_ID}?act=linkDuplicate&master=${DUP_ID}`)
    wrapper.unmount()
  })

  it('opens a caller’s earlier case from the cache, else shows the server’s view in the drawer', async () => {
    let cached = false
    mockAll({ case_get: () => (cached ? created() : Promise.reject({ code: 'NOT_FOUND', message: '无' })) })
    const { nr, wrapper, router } = useInHost()
    const earlier = answer('x').callerHistory[0]
    if (!earlier) throw new Error('fixture')
    await nr.openHistory(earlier)
    expect(nr.compareId.value).toBe(HIST_ID)
    expect(router.currentRoute.value.fullPath).toBe('/')
    nr.compareId.value = null
    cached = true
    await nr.openHistory(earlier)
    expect(nr.compareId.value).toBeNull()
    expect(router.currentRoute.value.fullPath).toBe(`/cases/${HIST_ID}`)
    wrapper.unmount()
  })
})

describe('NewRequestView', () => {
  async function mountView(extra: Record<string, Handler> = {}) {
    const calls = mockAll(extra)
    const p = plugins()
    const wrapper = mount(NewRequestView, { attachTo: document.body, global: { plugins: p.list } })
    await settle()
    return { wrapper, calls, router: p.router }
  }

  async function type(selector: string, value: string): Promise<void> {
    const el = document.querySelector<HTMLInputElement | HTMLTextAreaElement>(selector)
    if (!el) throw new Error(`no ${selector}`)
    el.value = value
    el.dispatchEvent(new Event('input'))
    await settle()
  }

  it('is in the clerk’s menu next to 受理分派, not in an officer’s', () => {
    const clerk = navItems(capsOf('clerk')).map((i) => i.test)
    expect(clerk.indexOf('newrequest')).toBe(clerk.indexOf('intake') + 1)
    expect(navItems(capsOf('admin')).map((i) => i.test)).toContain('newrequest')
    expect(navItems(capsOf('officer')).map((i) => i.test)).not.toContain('newrequest')
  })

  it('shows the leader inputs only for 领导批示', async () => {
    const { wrapper } = await mountView()
    expect(document.querySelector('[data-test="field-leaderName"]')).toBeNull()
    document.querySelector<HTMLElement>('[data-test="field-channel"]')?.click()
    await settle()
    const option = [...document.querySelectorAll<HTMLElement>('.el-select-dropdown__item')].find((o) => o.textContent?.trim() === '领导批示')
    option?.click()
    await settle()
    expect(document.querySelector('[data-test="field-leaderName"]')).not.toBeNull()
    expect(document.querySelector('[data-test="field-leaderInstruction"]')).not.toBeNull()
    wrapper.unmount()
  })

  it('puts each problem under its field and focuses the first one', async () => {
    const { wrapper, calls } = await mountView({
      intake_check: () => [
        { field: 'content', code: 'INVALID_FIELD', message: '诉求内容不能为空' },
        { field: 'citizenPhone', code: 'INVALID_FIELD', message: '电话号码格式不正确' },
      ],
    })
    await type('[data-test="field-citizenPhone"]', '123')
    document.querySelector<HTMLButtonElement>('[data-test="submit"]')?.click()
    await settle()
    await vi.advanceTimersByTimeAsync(150) // Element Plus shows a field's message 100 ms late
    const phone = document.querySelector('[data-field="citizenPhone"]')
    expect(phone?.classList.contains('is-error')).toBe(true)
    expect(phone?.textContent).toContain('电话号码格式不正确')
    expect(document.querySelector('[data-field="content"]')?.textContent).toContain('诉求内容不能为空')
    expect(document.querySelector('[data-field="title"]')?.classList.contains('is-error')).toBe(false)
    expect(document.activeElement).toBe(document.querySelector('[data-test="field-citizenPhone"]'))
    expect(calls.some((c) => c.cmd === 'case_intake')).toBe(false)
    wrapper.unmount()
  })

  it('shows suggestions, duplicates and the caller’s history beside the form', async () => {
    const { wrapper } = await mountView({ case_remote: () => ({ number: 'MS202611250007', title: '楼上装修噪音', stateName: '办理中', content: '已有内容', receivedAt: '2026-11-25T02:00:00Z', handlingUnitName: '泉城路派出所' }) })
    expect(document.querySelector('[data-test="assist-empty"]')?.textContent).toContain('输入诉求内容后显示智能提示')
    await type('[data-test="field-title"]', '楼上夜间装修')
    await vi.advanceTimersByTimeAsync(ASSIST_DELAY_MS)
    await settle()
    const panel = document.querySelector('[data-test="assist-panel"]')?.textContent ?? ''
    for (const s of ['涉警', '93%', '噪音扰民', '装修', '投诉', '泉城路派出所', '历下分局', '同一来电人', '同一事项', '相似度 88%', '138****5678', '车辆被刮'])
      expect(panel).toContain(s)
    expect(document.querySelector('[data-test="assist-elapsed"]')?.textContent).toMatch(/\d+ ms/)
    document.querySelector<HTMLElement>('[data-test="duplicate-compare"]')?.click()
    await settle()
    expect(document.querySelector('[data-test="compare-candidate"]')?.textContent).toContain('已有内容')
    expect(document.querySelector('[data-test="compare-draft"]')?.textContent).toContain('楼上夜间装修')
    wrapper.unmount()
  })

  it('restores a draft with a notice, and 清空 asks first', async () => {
    drafts().set(DRAFT_NAME, { title: '草稿标题', content: '草稿内容' })
    const { wrapper } = await mountView()
    expect(document.querySelector('[data-test="draft-restored"]')?.textContent).toContain('已恢复未提交的草稿')
    expect(document.querySelector<HTMLInputElement>('[data-test="field-title"]')?.value).toBe('草稿标题')
    document.querySelector<HTMLButtonElement>('[data-test="clear"]')?.click()
    await settle()
    expect(document.querySelector<HTMLInputElement>('[data-test="field-title"]')?.value).toBe('草稿标题')
    const confirm = [...document.querySelectorAll<HTMLButtonElement>('.el-message-box__btns button')].find((b) => b.textContent?.includes('确认'))
    confirm?.click()
    await vi.advanceTimersByTimeAsync(500)
    await settle()
    expect(document.querySelector<HTMLInputElement>('[data-test="field-title"]')?.value).toBe('')
    await vi.advanceTimersByTimeAsync(200)
    expect(storedDraft()).toBeNull()
    wrapper.unmount()
  })
})
