// 优秀监督员 (online only): the register, proposals and decisions, consultation rounds,
// the responsible unit's phone/visit tasks and their answers, and 监督员之声 — through the
// shell's allowlisted passthrough (src-tauri commands/online_supervisors.rs). Types are
// generated from the server's OpenAPI document.
import type { components } from './openapi'
import { call, relativePath, withQuery, type Wire } from './online'

type Schema<K extends keyof components['schemas']> = Wire<components['schemas'][K]>
type Body<K extends keyof components['schemas']> = components['schemas'][K]

export type SupervisorRecord = Schema<'SupervisorRecord'>
export type SupervisorStatus = Schema<'SupervisorStatus'>
export type SupervisorKind = Schema<'SupervisorKind'>
export type ContactChannel = Schema<'ContactChannel'>
export type SupervisorStep = Schema<'SupervisorStep'>
export type SupervisorRound = Schema<'SupervisorRound'>
export type Consultation = Schema<'Consultation'>
export type ConsultationStatus = Schema<'ConsultationStatus'>
export type RoundOpened = Schema<'RoundOpened'>
export type FeedbackSummary = Schema<'FeedbackSummary'>
export type SuggestionLine = Schema<'SuggestionLine'>
export type SupervisorPhone = Schema<'SupervisorPhone'>
export type NewSupervisor = Body<'NewSupervisor'>
export type SupervisorEdit = Body<'SupervisorEdit'>
export type SupervisorAnswer = Body<'SupervisorAnswer'>

export const SUPERVISOR_KINDS: readonly SupervisorKind[] = ['热心群众', '人大代表', '政协委员', '其他']
export const SUPERVISOR_STATUSES: readonly SupervisorStatus[] = ['候选', '已聘任', '已解聘', '拒绝']
export const CONTACT_CHANNELS: readonly ContactChannel[] = ['短信', '电话', '走访']

const id = (v: string) => encodeURIComponent(v)

export const supervisorsApi = {
  list: (q: { status?: SupervisorStatus; unit?: string; limit?: number } = {}) =>
    call<SupervisorRecord[]>('online_get', { path: withQuery('/supervisors', { ...q }) }),
  create: (s: NewSupervisor) => call<SupervisorRecord>('online_post', { path: '/supervisors', body: s }),
  /** 按数据推荐: the candidates the rule adds now. */
  propose: () => call<SupervisorRecord[]>('online_post', { path: '/supervisors/proposals', body: {} }),
  edit: (sid: string, e: SupervisorEdit) =>
    call<SupervisorRecord>('online_patch', { path: `/supervisors/${id(sid)}`, body: e }),
  decide: (s: SupervisorRecord, step: SupervisorStep, note?: string) =>
    call<SupervisorRecord>('online_post', {
      path: `/supervisors/${id(s.id)}/decision`,
      body: { version: s.version, step, note },
    }),
  /** The full number (audited by the server). */
  phone: (sid: string) => call<SupervisorPhone>('online_get', { path: `/supervisors/${id(sid)}/phone` }),
  rounds: () => call<SupervisorRound[]>('online_get', { path: '/supervisors/rounds' }),
  openRound: () => call<RoundOpened>('online_post', { path: '/supervisors/rounds', body: {} }),
  consultations: (q: { roundId?: string; status?: ConsultationStatus; limit?: number } = {}) =>
    call<Consultation[]>('online_get', { path: withQuery('/supervisors/consultations', { ...q }) }),
  answer: (cid: string, a: SupervisorAnswer) =>
    call<Consultation>('online_post', { path: `/supervisors/consultations/${id(cid)}/answer`, body: a }),
  feedback: (period?: string) =>
    call<FeedbackSummary>('online_get', { path: withQuery('/supervisors/feedback', { period }) }),
  /** Saves the month's export to the download folder; resolves to the file's path. */
  exportFeedback: (period: string) =>
    call<string>('online_download', {
      path: relativePath(withQuery('/supervisors/feedback.xlsx', { period })),
      fileName: `监督员之声${period}.xlsx`,
    }),
}
