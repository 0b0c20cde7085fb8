import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it } from 'vitest'
import UnitPicker from '@/components/UnitPicker.vue'
import { sampleCase, sampleLocal, settle } from './helpers'
import { $, assistAnswer, click, JFL, lastAct, LIXIA, mountDesk, QCL, TRAFFIC_LX } from './deskFixtures'

const waiting = () =>
  sampleLocal(
    ['dispatch', 'linkDuplicate', 'reject'],
    sampleCase({ state: 'pendingAcceptance', handlingUnit: null, supervisingUnit: null, category: null }),
  )

function pickers(wrapper: Awaited<ReturnType<typeof mountDesk>>['wrapper']) {
  return wrapper.findAllComponents(UnitPicker)
}

// Element Plus dialogs and selects render slowly under happy-dom on a loaded machine.
describe('dispatch dialog with system suggestions', { timeout: 20_000 }, () => {
  afterEach(() => {
    clearMocks()
    document.body.innerHTML = ''
  })

  it('asks for suggestions with the case text, excluding the case itself and a masked phone', async () => {
    const local = waiting()
    const { wrapper, calls } = await mountDesk(local, { handlers: { intake_assist: () => assistAnswer() } })
    await click('[data-test="action-dispatch"]')
    const ask = calls.filter((c) => c.cmd === 'intake_assist')
    expect(ask).toHaveLength(1)
    expect(ask[0]?.args).toEqual({
      draft: {
        title: local.case.title,
        content: local.case.content,
        citizenPhone: null,
        address: '历下区 泉城路1号',
        excludeCaseId: local.case.id,
      },
    })
    const block = $('[data-test="dispatch-suggestions"]')?.textContent ?? ''
    expect(block).toContain('涉警')
    expect(block).toContain('治安管理（71%）')
    expect(block).toContain('求助（66%）')
    expect(block).toContain('泉城路街道')
    expect(block).toContain('历下分局')
    expect(block).toContain('MS202611250007')
    expect(document.querySelectorAll('[data-test="suggest-unit"]')).toHaveLength(3)
    wrapper.unmount()
  })

  it('pre-fills only the empty fields, tags them, and a change removes the tag', async () => {
    // The case already has a category: the suggestion (治安管理) must not replace it.
    const local = sampleLocal(
      ['dispatch'],
      sampleCase({ state: 'pendingAcceptance', handlingUnit: null, supervisingUnit: null, category: '噪音扰民' }),
    )
    const { wrapper } = await mountDesk(local, { handlers: { intake_assist: () => assistAnswer() } })
    await click('[data-test="action-dispatch"]')

    const [lead, supervising] = pickers(wrapper)
    expect(lead?.props('modelValue')).toBe(QCL)
    expect(supervising?.props('modelValue')).toBe(LIXIA)
    expect($('[data-test="suggested-handlingUnit"]')).not.toBeNull()
    expect($('[data-test="suggested-supervisingUnit"]')).not.toBeNull()
    expect($('[data-test="suggested-category"]')).toBeNull()
    expect($('[data-test="item-category"]')?.textContent).toContain('噪音扰民')
    expect($('[data-test="item-category"]')?.textContent).not.toContain('治安管理')
    expect($('[data-test="suggested-requestType"]')).toBeNull() // the case has one

    lead?.vm.$emit('update:modelValue', JFL)
    await settle()
    expect($('[data-test="suggested-handlingUnit"]')).toBeNull()
    expect($('[data-test="suggested-supervisingUnit"]')).not.toBeNull()
    wrapper.unmount()
  })

  it('a case without classification gets the suggested category, tagged', async () => {
    const { wrapper } = await mountDesk(waiting(), { handlers: { intake_assist: () => assistAnswer() } })
    await click('[data-test="action-dispatch"]')
    expect($('[data-test="suggested-category"]')).not.toBeNull()
    expect($('[data-test="item-category"]')?.textContent).toContain('治安管理')
    wrapper.unmount()
  })

  it('puts the chosen co-units into the dispatch action, never the lead unit', async () => {
    const { wrapper, calls } = await mountDesk(waiting(), {
      handlers: { intake_assist: () => assistAnswer(), case_act: () => sampleLocal([]) },
    })
    await click('[data-test="action-dispatch"]')
    const co = pickers(wrapper)[2]
    expect(co?.props('multiple')).toBe(true)
    expect(co?.props('exclude')).toEqual([QCL])
    co?.vm.$emit('update:modelValue', [JFL, TRAFFIC_LX])
    await settle()
    await click('[data-test="action-submit"]')
    expect(lastAct(calls)).toEqual({
      id: waiting().case.id,
      action: {
        type: 'dispatch',
        handlingUnit: QCL,
        supervisingUnit: LIXIA,
        coUnits: [JFL, TRAFFIC_LX],
        category: '治安管理',
        requestType: '投诉',
        urgency: '紧急',
        flags: { policeComplaint: false, important: false },
      },
    })
    wrapper.unmount()
  })

  it('choosing a co-unit as the lead takes it out of the co-units', async () => {
    const { wrapper } = await mountDesk(waiting(), { handlers: { intake_assist: () => assistAnswer() } })
    await click('[data-test="action-dispatch"]')
    const [lead, , co2] = pickers(wrapper)
    co2?.vm.$emit('update:modelValue', [JFL])
    await settle()
    lead?.vm.$emit('update:modelValue', JFL)
    await settle()
    expect(pickers(wrapper)[2]?.props('modelValue')).toEqual([])
    wrapper.unmount()
  })

  it('offline: no request, a quiet note, and the dialog works as before', async () => {
    const local = waiting()
    const { wrapper, calls } = await mountDesk(local, { online: false, handlers: { case_act: () => sampleLocal([]) } })
    await click('[data-test="action-dispatch"]')
    expect(calls.some((c) => c.cmd === 'intake_assist')).toBe(false)
    expect($('[data-test="suggest-offline"]')).not.toBeNull()
    expect(document.querySelector('[data-test^="suggested-"]')).toBeNull()
    expect(pickers(wrapper)[0]?.props('modelValue')).toBe('')
    wrapper.unmount()
  })

  it('the link dropping mid-request and a server without a model both leave the form empty', async () => {
    const offline = await mountDesk(waiting(), {
      handlers: {
        intake_assist: () => {
          throw { code: 'OFFLINE', message: '无法连接市局服务器' }
        },
      },
    })
    await click('[data-test="action-dispatch"]')
    expect($('[data-test="suggest-offline"]')).not.toBeNull()
    expect(pickers(offline.wrapper)[0]?.props('modelValue')).toBe('')
    offline.wrapper.unmount()
    clearMocks()
    document.body.innerHTML = ''

    const none = await mountDesk(waiting(), { handlers: { intake_assist: () => assistAnswer({ suggestion: null, duplicates: [] }) } })
    await click('[data-test="action-dispatch"]')
    expect($('[data-test="suggest-none"]')).not.toBeNull()
    expect(document.querySelector('[data-test^="suggested-"]')).toBeNull()
    none.wrapper.unmount()
  })

  it('a suggested duplicate switches to 关联重复件 with that master chosen', async () => {
    const local = waiting()
    const { wrapper, calls } = await mountDesk(local, {
      handlers: {
        case_get: (a) => {
          if (a.id === local.case.id) return local
          throw { code: 'CASE_NOT_CACHED', message: '本机缓存中没有该诉求件' }
        },
        case_remote: () => {
          throw { code: 'OFFLINE', message: '无法连接' }
        },
        intake_assist: () => assistAnswer(),
        case_act: () => sampleLocal([]),
      },
    })
    await click('[data-test="action-dispatch"]')
    await click('[data-test="suggest-link"]')
    expect(calls.filter((c) => c.cmd === 'intake_assist')).toHaveLength(1)
    expect($('[data-test="dispatch-suggestions"]')).toBeNull()
    expect($('[data-test="dup-chosen"]')?.textContent).toContain('MS202611250007')
    await click('[data-test="action-submit"]')
    expect(lastAct(calls)).toEqual({
      id: local.case.id,
      action: { type: 'linkDuplicate', master: '0190f0a0-0000-7000-8000-000000000077' },
    })
    wrapper.unmount()
  })

  it('opens the dispatch dialog from ?act=dispatch when dispatch is allowed', async () => {
    const local = waiting()
    const { wrapper, router } = await mountDesk(local, {
      route: `/cases/${local.case.id}?act=dispatch`,
      handlers: { intake_assist: () => assistAnswer() },
    })
    expect($('[data-test="dispatch-suggestions"]')).not.toBeNull()
    // The query stays: the shell keys the page by its full path, so rewriting it would
    // rebuild the page and drop the dialog it just opened (found by the e2e run).
    expect(router.currentRoute.value.query.act).toBe('dispatch')
    wrapper.unmount()
  })

  it('ignores ?act=dispatch when the state machine does not allow it', async () => {
    const local = sampleLocal(['submitReply'])
    const { wrapper, calls } = await mountDesk(local, { route: `/cases/${local.case.id}?act=dispatch` })
    expect($('[data-test="action-form"]')).toBeNull()
    expect(calls.some((c) => c.cmd === 'intake_assist')).toBe(false)
    wrapper.unmount()
  })
})
