// 系统管理 › 版本发布 (issue 17): the published desktop releases, uploading a signed package
// (the server checks the signature, the version and that it is newer, and answers in
// Chinese), withdrawing one. Online only, admin only (the server checks the role).
import { computed, reactive, ref } from 'vue'
import { errorMessage } from '@/api'
import { releases, type PickedPackage, type ReleaseForm, type ReleaseSummary } from '@/api/updates'
import { useOnlineLoad } from '@/views/useOnlineLoad'

export interface UploadDraft {
  package: PickedPackage | null
  signaturePath: string
  version: string
  target: string
  bundle: string
  notes: string
}

export type DraftField = 'package' | 'signaturePath' | 'version' | 'target' | 'bundle' | 'notes'

function emptyDraft(): UploadDraft {
  return { package: null, signaturePath: '', version: '', target: '', bundle: '', notes: '' }
}

/** The fields still empty (the server checks the values themselves). */
export function missingFields(d: UploadDraft): DraftField[] {
  const out: DraftField[] = []
  if (!d.package) out.push('package')
  if (!d.signaturePath) out.push('signaturePath')
  for (const f of ['version', 'target', 'bundle', 'notes'] as const) if (!d[f].trim()) out.push(f)
  return out
}

/** A picked package fills what its file name tells, keeping what the admin typed. */
export function applyPicked(d: UploadDraft, p: PickedPackage): void {
  d.package = p
  if (p.version) d.version = p.version
  if (p.target) d.target = p.target
  if (p.bundle) d.bundle = p.bundle
  if (p.signaturePath) d.signaturePath = p.signaturePath
}

export function toForm(d: UploadDraft): ReleaseForm {
  return {
    packagePath: d.package?.path ?? '',
    signaturePath: d.signaturePath,
    version: d.version.trim(),
    target: d.target,
    bundle: d.bundle,
    notes: d.notes.trim(),
  }
}

export function useReleases(api = releases) {
  const rows = ref<ReleaseSummary[]>([])
  const { state, error, run } = useOnlineLoad()
  const busy = ref<string | null>(null)
  const draft = reactive<UploadDraft>(emptyDraft())
  const uploading = ref(false)

  async function load(): Promise<void> {
    await run(api.list, (list) => (rows.value = list), () => (rows.value = []))
  }

  function resetDraft(): void {
    Object.assign(draft, emptyDraft())
  }

  async function pickPackage(): Promise<void> {
    const p = await api.pickPackage()
    if (p) applyPicked(draft, p)
  }

  async function pickSignature(): Promise<void> {
    const s = await api.pickSignature()
    if (s) draft.signaturePath = s
  }

  /** Uploads the draft; the new release goes on top. Throws a readable Error (the server's). */
  async function upload(): Promise<ReleaseSummary> {
    uploading.value = true
    try {
      const r = await api.upload(toForm(draft))
      rows.value = [r, ...rows.value]
      resetDraft()
      return r
    } catch (err: unknown) {
      throw new Error(errorMessage(err))
    } finally {
      uploading.value = false
    }
  }

  /** 撤回: the row stays, marked withdrawn. Throws a readable Error. */
  async function withdraw(r: ReleaseSummary): Promise<void> {
    busy.value = r.id
    try {
      await api.withdraw(r.id)
      rows.value = rows.value.map((x) => (x.id === r.id ? { ...x, withdrawn: true } : x))
    } catch (err: unknown) {
      throw new Error(errorMessage(err))
    } finally {
      busy.value = null
    }
  }

  const empty = computed(() => state.value === 'ready' && rows.value.length === 0)

  return { rows, state, error, busy, draft, uploading, empty, load, resetDraft, pickPackage, pickSignature, upload, withdraw }
}
