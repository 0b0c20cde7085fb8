import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from '@/api'
import { mockCommands, capsOf } from '@/__tests__/helpers'
import { pickedPackage, releases as releaseSamples, updateOffer } from '@/api/generated/samples'
import { navItems } from '@/navigation'
import { applyPicked, missingFields, toForm, useReleases, type UploadDraft } from '@/views/admin/useReleases'
import { createUpdateFlow, type UpdateDeps } from './useUpdate'

afterEach(() => clearMocks())

const QUEUED = '还有 2 条操作未同步。更新会重启程序，未同步的操作会保留在本机，重启后继续同步。'

function deps(over: Partial<UpdateDeps> = {}): UpdateDeps & { installs: boolean[]; dismissed: string[]; asked: string[] } {
  const installs: boolean[] = []
  const dismissed: string[] = []
  const asked: string[] = []
  return {
    installs,
    dismissed,
    asked,
    check: async () => updateOffer,
    install: async (confirmed) => {
      installs.push(confirmed)
      return null
    },
    dismiss: async (v) => {
      dismissed.push(v)
      return null
    },
    confirmQueued: async (m) => {
      asked.push(m)
      return true
    },
    ...over,
  }
}

describe('the update flow', () => {
  it('opens on an offer and says "latest" when nothing is newer', async () => {
    const d = deps()
    const flow = createUpdateFlow(d)
    expect(await flow.checkNow()).toBe('offer')
    expect(flow.visible.value).toBe(true)
    expect(flow.offer.value?.notes).toBe(updateOffer.notes)
    const none = createUpdateFlow(deps({ check: async () => null }))
    expect(await none.checkNow()).toBe('latest')
    expect(none.visible.value).toBe(false)
  })

  it('稍后 closes and tells Rust not to announce this version again', async () => {
    const d = deps()
    const flow = createUpdateFlow(d)
    flow.announce(updateOffer)
    await flow.later()
    expect(flow.visible.value).toBe(false)
    expect(d.dismissed).toEqual([updateOffer.version])
    expect(d.installs).toEqual([])
  })

  it('installs at once when nothing is queued, reporting progress', async () => {
    let finish: () => void = () => undefined
    const d = deps({
      install: (c) =>
        new Promise((resolve) => {
          d.installs.push(c)
          finish = () => resolve(null)
        }),
    })
    const flow = createUpdateFlow(d)
    flow.announce(updateOffer)
    const done = flow.install()
    expect(flow.phase.value).toBe('installing')
    flow.onProgress({ downloaded: 1024, total: 4096 })
    expect(flow.percent.value).toBe(25)
    finish()
    await done
    expect(d.installs).toEqual([false])
    expect(d.asked).toEqual([])
    expect(flow.phase.value).toBe('restarting')
  })

  it('asks before installing over queued actions, with the count Rust names', async () => {
    const refuseFirst = (d: ReturnType<typeof deps>) => async (confirmed: boolean) => {
      d.installs.push(confirmed)
      if (!confirmed) throw new ApiError('UPDATE_QUEUE_NOT_EMPTY', QUEUED)
      return null
    }
    const yes = deps()
    yes.install = refuseFirst(yes)
    const flow = createUpdateFlow(yes)
    flow.announce(updateOffer)
    await flow.install()
    expect(yes.asked).toEqual([QUEUED])
    expect(yes.installs).toEqual([false, true])
    expect(flow.phase.value).toBe('restarting')

    const no = deps({ confirmQueued: async () => false })
    no.install = refuseFirst(no)
    const declined = createUpdateFlow(no)
    declined.announce(updateOffer)
    await declined.install()
    expect(no.installs).toEqual([false])
    expect(declined.phase.value).toBe('offer')
    expect(declined.visible.value).toBe(true)
  })

  it('shows a refused package and lets the user close', async () => {
    const d = deps({
      install: async () => {
        throw new ApiError('UPDATE_SIGNATURE_INVALID', '更新包签名校验失败，已拒绝安装')
      },
    })
    const flow = createUpdateFlow(d)
    flow.announce(updateOffer)
    await flow.install()
    expect(flow.error.value).toBe('更新包签名校验失败，已拒绝安装')
    expect(flow.phase.value).toBe('offer')
  })

  it('does not replace an offer while installing', async () => {
    const flow = createUpdateFlow(deps({ install: () => new Promise(() => undefined) }))
    flow.announce(updateOffer)
    void flow.install()
    flow.announce({ ...updateOffer, version: '9.9.9' })
    expect(flow.offer.value?.version).toBe(updateOffer.version)
  })
})

describe('版本发布', () => {
  const draft = (): UploadDraft => ({ package: null, signaturePath: '', version: '', target: '', bundle: '', notes: '' })

  it('fills the form from the picked package and lists what is missing', () => {
    const d = draft()
    expect(missingFields(d)).toEqual(['package', 'signaturePath', 'version', 'target', 'bundle', 'notes'])
    applyPicked(d, { ...pickedPackage, signaturePath: '/home/admin/x.deb.sig' })
    expect(d.version).toBe('0.2.0')
    expect(d.target).toBe('linux-x86_64')
    expect(d.bundle).toBe('deb')
    expect(missingFields(d)).toEqual(['notes'])
    d.notes = '  修复同步问题 '
    expect(toForm(d)).toEqual({
      packagePath: pickedPackage.path,
      signaturePath: '/home/admin/x.deb.sig',
      version: '0.2.0',
      target: 'linux-x86_64',
      bundle: 'deb',
      notes: '修复同步问题',
    })
  })

  it('uploads through Rust, shows the server refusal, and withdraws', async () => {
    const calls = mockCommands({
      releases_list: () => releaseSamples,
      release_upload: () => {
        throw { code: 'RELEASE_NOT_NEWER', message: '版本 0.2.0 不比已发布的 0.2.0 新' }
      },
      release_withdraw: () => null,
    })
    const rel = useReleases()
    await rel.load()
    expect(rel.rows.value).toHaveLength(1)
    applyPicked(rel.draft, pickedPackage)
    rel.draft.signaturePath = '/tmp/x.sig'
    rel.draft.notes = '说明'
    await expect(rel.upload()).rejects.toThrow('版本 0.2.0 不比已发布的 0.2.0 新')
    const [first] = releaseSamples
    if (!first) throw new Error('no sample release')
    await rel.withdraw(first)
    expect(rel.rows.value.map((r) => r.withdrawn)).toEqual([true])
    expect(calls.find((c) => c.cmd === 'release_withdraw')?.args).toEqual({ id: first.id })
    expect(calls.find((c) => c.cmd === 'release_upload')?.args.form).toMatchObject({ version: '0.2.0', bundle: 'deb' })
  })

  it('is an admin page', () => {
    expect(navItems(capsOf('admin')).some((i) => i.path === '/admin/releases')).toBe(true)
    expect(navItems(capsOf('officer')).some((i) => i.path === '/admin/releases')).toBe(false)
  })
})
