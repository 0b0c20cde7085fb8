// 优秀监督员: the platform office's register (candidates proposed from the data or added
// by hand, confirmed, declined, retired), the monthly consultation rounds and every
// answer; the responsible unit's phone/visit tasks; 监督员之声 figures. Every figure is
// the server's; nothing here restates a role rule (the server scopes each list).
import { computed, ref } from 'vue'
import { errorMessage } from '@/api'
import {
  supervisorsApi,
  type Consultation,
  type FeedbackSummary,
  type NewSupervisor,
  type SupervisorAnswer,
  type SupervisorRecord,
  type SupervisorRound,
  type SupervisorStatus,
  type SupervisorStep,
} from '@/api/supervisors'
import { useOnlineLoad } from '@/views/useOnlineLoad'

export type Satisfaction = SupervisorAnswer['satisfaction']

export const SATISFACTION_LABELS: Record<Satisfaction, string> = {
  satisfied: '满意',
  basicallySatisfied: '基本满意',
  unsatisfied: '不满意',
}

/** Longest answer text the server keeps. */
export const ANSWER_MAX = 500

export interface AnswerForm {
  satisfaction: Satisfaction | ''
  text: string
  suggestion: boolean
}

export function emptyAnswer(): AnswerForm {
  return { satisfaction: '', text: '', suggestion: false }
}

/** What keeps the answer form from being saved, in Chinese; null when it can go. */
export function answerProblem(f: AnswerForm): string | null {
  if (!f.satisfaction) return '请选择满意度'
  const text = f.text.trim()
  if (f.suggestion && !text) return '作为建议受理时请填写建议内容'
  if ([...text].length > ANSWER_MAX) return `意见内容不能超过${ANSWER_MAX}字`
  return null
}

/** The body of `POST …/answer` from a complete form. */
export function answerBody(f: AnswerForm): SupervisorAnswer {
  return { satisfaction: f.satisfaction as Satisfaction, text: f.text.trim(), suggestion: f.suggestion }
}

/** What a manual registration lacks, in Chinese; null when it can go to the server. */
export function registrationProblem(s: NewSupervisor): string | null {
  if (!s.name.trim()) return '请填写姓名'
  if (!s.phone.trim()) return '请填写联系电话'
  if (!s.unitId) return '请选择负责单位'
  if (!s.reason.trim()) return '请填写聘任理由'
  if (s.contactPreferences.length === 0) return '请至少选择一种联系方式'
  return null
}

/** The decisions a row offers, by its status (the server refuses the others anyway). */
export function stepsFor(status: SupervisorStatus): SupervisorStep[] {
  if (status === '候选') return ['confirm', 'decline']
  if (status === '已聘任') return ['retire']
  return []
}

export const STEP_LABELS: Record<SupervisorStep, string> = { confirm: '确认聘任', decline: '不予聘任', retire: '解聘' }

/** Bars of the 监督员之声 card: each satisfaction's share of the answers (whole percent). */
export function voiceBars(s: FeedbackSummary | null): { key: Satisfaction; label: string; count: number; pct: number }[] {
  if (!s) return []
  const rows: [Satisfaction, number][] = [
    ['satisfied', s.satisfied],
    ['basicallySatisfied', s.basicallySatisfied],
    ['unsatisfied', s.unsatisfied],
  ]
  return rows.map(([key, count]) => ({
    key,
    label: SATISFACTION_LABELS[key],
    count,
    pct: s.answered > 0 ? Math.round((count * 100) / s.answered) : 0,
  }))
}

/** The platform office's screen. */
export function useSupervisorRegister() {
  const rows = ref<SupervisorRecord[]>([])
  const status = ref<SupervisorStatus | ''>('')
  const rounds = ref<SupervisorRound[]>([])
  const answers = ref<Consultation[]>([])
  const { state, error, run } = useOnlineLoad()
  const busy = ref(false)

  async function load(): Promise<void> {
    await run(
      () =>
        Promise.all([
          supervisorsApi.list({ status: status.value || undefined, limit: 1000 }),
          supervisorsApi.rounds(),
          supervisorsApi.consultations({ limit: 1000 }),
        ]),
      ([list, r, c]) => {
        rows.value = list
        rounds.value = r
        answers.value = c
      },
      () => (rows.value = []),
    )
  }

  const candidates = computed(() => rows.value.filter((r) => r.status === '候选'))

  async function guarded<T>(f: () => Promise<T>): Promise<T> {
    busy.value = true
    try {
      return await f()
    } catch (err: unknown) {
      throw new Error(errorMessage(err))
    } finally {
      busy.value = false
    }
  }

  /** Runs the proposal rule; resolves to how many candidates it added. */
  async function propose(): Promise<number> {
    const added = await guarded(() => supervisorsApi.propose())
    await load()
    return added.length
  }

  async function register(s: NewSupervisor): Promise<void> {
    const problem = registrationProblem(s)
    if (problem) throw new Error(problem)
    await guarded(() => supervisorsApi.create(s))
    await load()
  }

  async function decide(row: SupervisorRecord, step: SupervisorStep, note?: string): Promise<void> {
    const next = await guarded(() => supervisorsApi.decide(row, step, note))
    rows.value = rows.value.map((r) => (r.id === next.id ? next : r))
  }

  /** Opens this month's round; resolves to the server's answer (opened or already open). */
  async function openRound() {
    const r = await guarded(() => supervisorsApi.openRound())
    await load()
    return r
  }

  async function answer(c: Consultation, f: AnswerForm): Promise<Consultation> {
    const problem = answerProblem(f)
    if (problem) throw new Error(problem)
    const saved = await guarded(() => supervisorsApi.answer(c.id, answerBody(f)))
    answers.value = answers.value.map((a) => (a.id === saved.id ? saved : a))
    return saved
  }

  return { rows, status, rounds, answers, candidates, state, error, busy, load, propose, register, decide, openRound, answer }
}

/** The responsible unit's phone/visit tasks (the server gives only its own). */
export function useSupervisorTasks() {
  const tasks = ref<Consultation[]>([])
  const { state, error, run } = useOnlineLoad()
  const busy = ref<string | null>(null)

  async function load(): Promise<void> {
    await run(
      () => supervisorsApi.consultations({ limit: 500 }),
      (list) => (tasks.value = list),
      () => (tasks.value = []),
    )
  }

  const pending = computed(() => tasks.value.filter((t) => t.status === 'pending'))
  const done = computed(() => tasks.value.filter((t) => t.status === 'answered'))

  async function answer(c: Consultation, f: AnswerForm): Promise<Consultation> {
    const problem = answerProblem(f)
    if (problem) throw new Error(problem)
    busy.value = c.id
    try {
      const saved = await supervisorsApi.answer(c.id, answerBody(f))
      tasks.value = tasks.value.map((t) => (t.id === saved.id ? saved : t))
      return saved
    } catch (err: unknown) {
      throw new Error(errorMessage(err))
    } finally {
      busy.value = null
    }
  }

  /** The full number to call (the server audits every reveal). */
  async function phone(c: Consultation): Promise<string> {
    try {
      return (await supervisorsApi.phone(c.supervisorId)).phone
    } catch (err: unknown) {
      throw new Error(errorMessage(err))
    }
  }

  return { tasks, pending, done, state, error, busy, load, answer, phone }
}
