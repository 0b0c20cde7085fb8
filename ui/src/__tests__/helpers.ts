import { mockIPC } from '@tauri-apps/api/mocks'
import { flushPromises } from '@vue/test-utils'
import type { Capability, Case, LocalCase } from '@/api'
import { roleCapabilities } from '@/api/generated/samples'

export type Handler = (args: Record<string, unknown>) => unknown

/** Mocks the Tauri IPC with a table of command handlers; records every call. */
export function mockCommands(handlers: Record<string, Handler>): { cmd: string; args: Record<string, unknown> }[] {
  const calls: { cmd: string; args: Record<string, unknown> }[] = []
  mockIPC((cmd, args) => {
    // auth_last_user etc. answer null unless a test says otherwise
    const a = (args ?? {}) as Record<string, unknown>
    calls.push({ cmd, args: a })
    const h = handlers[cmd]
    if (h) return h(a)
    // The domain's capability table, as Rust serialised it (generated samples).
    if (cmd === 'role_capabilities') return roleCapabilities
    // The domain accepts the action unless a test says what it objects to.
    if (cmd === 'case_action_check') return []
    if (cmd.startsWith('plugin:event|')) return 1
    throw { code: 'NOT_MOCKED', message: `unexpected command ${cmd}` }
  })
  return calls
}

/** What `role` may reach, from the table Rust serialised (not restated here). */
export function capsOf(role: string): Capability[] {
  return roleCapabilities.find((r) => r.role === role)?.capabilities ?? []
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) await flushPromises()
}

export function sampleCase(overrides: Partial<Case> = {}): Case {
  return {
    id: '0190f0a0-0000-7000-8000-000000000003',
    number: 'MS202611260001',
    version: 4,
    channel: '12345市长热线',
    requestType: '投诉',
    category: '噪音扰民',
    title: '楼上夜间装修噪音',
    content: '<script>window.hacked = true</script><b>每晚十点后仍在施工</b>',
    citizen: { name: '李女士', phone: null, idCard: null },
    address: '泉城路1号',
    district: '历下区',
    receivedAt: '2026-11-26T01:30:00Z',
    urgency: '紧急',
    flags: { policeComplaint: false, important: false },
    handlingUnit: '0190f0a0-0000-7000-8000-000000000002',
    supervisingUnit: null,
    coUnits: [],
    assignedOfficer: null,
    state: 'inProgress',
    deadlines: { signIn: null, signInWarn: null, reply: '2026-11-30T09:00:00Z', replyWarn: null, followUpTask: null },
    dispatchedAt: null,
    signedInAt: null,
    completedAt: null,
    closedAt: null,
    reply: null,
    signOffs: [],
    pendingExtension: null,
    extensionsGranted: 0,
    duplicateOf: null,
    followUp: {
      level: null,
      awaitingAnswer: false,
      satisfaction: null,
      rehandleResult: null,
      leaderSigned: false,
      investigation: null,
      supervisionNotices: 0,
    },
    returnCount: 0,
    urgeCount: 0,
    closingNote: null,
    createdBy: '0190f0a0-0000-7000-8000-000000000001',
    ...overrides,
  }
}

export function sampleLocal(allowed: LocalCase['allowedActions'], c: Case = sampleCase()): LocalCase {
  return {
    case: c,
    citizen: { name: '李女士', phone: '138****5678', idCard: null, masked: true },
    serverVersion: 4,
    pending: [],
    unreplayable: [],
    allowedActions: allowed,
    timeline: [
      {
        id: 'e1',
        caseId: c.id,
        seq: 1,
        at: '2026-11-26T01:30:00Z',
        deviceAt: '2026-11-26T01:20:00Z',
        actorId: 'u1',
        actorName: '张警官',
        actorRole: 'officer',
        actorUnit: '0190f0a0-0000-7000-8000-000000000002',
        kind: 'signIn',
        fromState: 'pendingSignIn',
        toState: 'inProgress',
        detail: {},
        prevHash: '0',
        hash: 'abc',
      },
    ],
    pendingSteps: [],
    duplicates: [],
  }
}
