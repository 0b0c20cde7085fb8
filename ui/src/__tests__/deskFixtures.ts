import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import type { IntakeAssist, LocalCase, SyncStatus, Unit } from '@/api'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useConfigStore } from '@/stores/config'
import { useOrgStore } from '@/stores/org'
import { useSyncStore } from '@/stores/sync'
import CaseDetailView from '@/views/CaseDetailView.vue'
import { mockCommands, settle, type Handler } from './helpers'

const unit = (id: string, code: string, name: string, level: Unit['level'], parent: string | null): Unit => ({
  id,
  code,
  name,
  level,
  parent,
  kind: level === 3 ? '派出所' : '分局',
  policeLine: null,
  jurisdiction: { districts: [], streets: [] },
  active: true,
})

export const CITY = '0190f0a0-0000-7000-8000-0000000000a0'
export const LIXIA = '0190f0a0-0000-7000-8000-0000000000a1'
export const TRAFFIC = '0190f0a0-0000-7000-8000-0000000000a2'
export const QCL = '0190f0a0-0000-7000-8000-0000000000b1'
export const JFL = '0190f0a0-0000-7000-8000-0000000000b2'
export const TRAFFIC_LX = '0190f0a0-0000-7000-8000-0000000000b3'

export const UNITS: Unit[] = [
  unit(CITY, 'JN', '济南市公安局', 1, null),
  unit(LIXIA, 'JN-LX', '历下分局', 2, CITY),
  unit(TRAFFIC, 'JN-JJ', '交警支队', 2, CITY),
  unit(QCL, 'JN-LX-QCL', '泉城路派出所', 3, LIXIA),
  unit(JFL, 'JN-LX-JFL', '解放路派出所', 3, LIXIA),
  unit(TRAFFIC_LX, 'JN-JJ-LX', '历下交警大队', 3, TRAFFIC),
]

export function status(online: boolean): SyncStatus {
  return {
    online,
    syncing: false,
    queued: 0,
    conflicts: 0,
    lastSyncAt: null,
    lastError: null,
    lastErrorCode: null,
    nextAttemptAt: null,
    loginRequired: false,
  }
}

export function assistAnswer(overrides: Partial<IntakeAssist> = {}): IntakeAssist {
  return {
    suggestion: {
      policeRelated: [true, 0.93],
      category: [
        { label: '治安管理', score: 0.71 },
        { label: '噪音扰民', score: 0.2 },
      ],
      requestType: [{ label: '求助', score: 0.66 }],
      unitKind: [{ label: '派出所', score: 0.9 }],
      handlingUnits: [
        { unitId: QCL, unitName: '泉城路派出所', score: 0.81, reasons: ['装修', '泉城路街道'] },
        { unitId: JFL, unitName: '解放路派出所', score: 0.1, reasons: ['装修'] },
        { unitId: TRAFFIC_LX, unitName: '历下交警大队', score: 0.04, reasons: [] },
      ],
      supervisingUnit: LIXIA,
      district: '历下区',
      street: '泉城路街道',
      categoryReasons: ['施工'],
    },
    supervisingUnitName: '历下分局',
    modelVersion: 3,
    duplicates: [
      {
        caseId: '0190f0a0-0000-7000-8000-000000000077',
        number: 'MS202611250007',
        title: '泉城路夜间装修扰民',
        state: 'inProgress',
        receivedAt: '2026-11-25T02:00:00Z',
        score: 0.9,
        textSimilarity: 0.84,
        samePhone: true,
        sameMatter: true,
      },
    ],
    phoneMasked: null,
    callerHistory: [],
    ...overrides,
  }
}

/** Mounts the case detail with the org tree loaded and the given online state. */
export async function mountDesk(
  local: LocalCase,
  opts: { online?: boolean; route?: string; handlers?: Record<string, Handler> } = {},
) {
  const online = opts.online ?? true
  const calls = mockCommands({
    case_get: () => local,
    org_unit_users: () => [],
    sync_status: () => status(online),
    worklist_counts: () => ({ unsigned: 0, inProgress: 0, dueSoon: 0, overdue: 0 }),
    ...opts.handlers,
  })
  const pinia = createPinia()
  setActivePinia(pinia)
  useOrgStore().units = UNITS
  // The city's category list as the cache holds it (the shipped defaults).
  useConfigStore().local = {
    version: 0,
    categories: ['治安管理', '噪音扰民', '交通管理', '户政管理'].map((name) => ({ name, retired: false })),
    holidayYears: [2025, 2026],
    calendarMissing: null,
  }
  useSyncStore().apply(status(online))
  const router = createAppRouter(createMemoryHistory(), false)
  if (opts.route) await router.push(opts.route)
  const wrapper = mount(CaseDetailView, {
    props: { id: local.case.id },
    attachTo: document.body,
    global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, router] },
  })
  await settle()
  return { wrapper, calls, pinia, router }
}

export const $ = <T extends Element = HTMLElement>(sel: string): T | null => document.querySelector<T>(sel)

export async function click(sel: string): Promise<void> {
  const el = $(sel)
  if (!el) throw new Error(`no ${sel}`)
  ;(el as HTMLElement).click()
  await settle()
}

export async function type(sel: string, value: string): Promise<void> {
  const el = $<HTMLInputElement | HTMLTextAreaElement>(sel)
  if (!el) throw new Error(`no ${sel}`)
  el.value = value
  el.dispatchEvent(new Event('input'))
  await settle()
}

export const lastAct = (calls: { cmd: string; args: Record<string, unknown> }[]) =>
  [...calls].reverse().find((c) => c.cmd === 'case_act')?.args
