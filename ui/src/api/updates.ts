// Updates served by the city server (issue 17): the offer the Rust side found, its
// install (download, signature check, restart), and the admin's 版本发布 screen.
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import { call } from './index'

/** A newer release the server offers (`commands::updates::UpdateOffer`). */
export interface UpdateOffer {
  version: string
  currentVersion: string
  /** The admin's Chinese release notes. */
  notes: string
  /** RFC 3339. */
  publishedAt: string | null
}

/** Bytes downloaded so far and the announced size. */
export interface UpdateProgress {
  downloaded: number
  total: number | null
}

/** A published package (`GET /api/v1/releases`). */
export interface ReleaseSummary {
  id: string
  version: string
  target: string
  bundle: string
  notes: string
  fileName: string
  size: number
  sha256: string
  publishedAt: string
  publishedBy: string
  withdrawn: boolean
}

/** A package picked for upload, with what its file name says. */
export interface PickedPackage {
  path: string
  fileName: string
  size: number
  version: string | null
  target: string | null
  bundle: string | null
  signaturePath: string | null
}

export interface ReleaseForm {
  packagePath: string
  signaturePath: string
  version: string
  target: string
  bundle: string
  notes: string
}

export const RELEASE_TARGETS = ['linux-x86_64', 'windows-x86_64'] as const
export const RELEASE_BUNDLES = ['deb', 'appimage', 'nsis', 'msi'] as const

export const UPDATE_AVAILABLE_EVENT = 'update-available'
export const UPDATE_PROGRESS_EVENT = 'update-progress'
/** The Rust refusal while offline actions are queued (its message names the count). */
export const UPDATE_QUEUE_NOT_EMPTY = 'UPDATE_QUEUE_NOT_EMPTY'

export const updates = {
  /** 检查更新: the offer, or null when this is the newest version. */
  check: () => call<UpdateOffer | null>('update_check'),
  /** Downloads, verifies, installs and restarts; UPDATE_QUEUE_NOT_EMPTY unless confirmed. */
  install: (confirmQueued: boolean) => call<null>('update_install', { confirmQueued }),
  /** 稍后: not announced again in this run. */
  dismiss: (version: string) => call<null>('update_dismiss', { version }),
  onAvailable: (handler: (offer: UpdateOffer) => void): Promise<UnlistenFn> =>
    listen<UpdateOffer>(UPDATE_AVAILABLE_EVENT, (e) => handler(e.payload)),
  onProgress: (handler: (p: UpdateProgress) => void): Promise<UnlistenFn> =>
    listen<UpdateProgress>(UPDATE_PROGRESS_EVENT, (e) => handler(e.payload)),
}

export const releases = {
  list: () => call<ReleaseSummary[]>('releases_list'),
  pickPackage: () => call<PickedPackage | null>('release_pick_package'),
  pickSignature: () => call<string | null>('release_pick_signature'),
  upload: (form: ReleaseForm) => call<ReleaseSummary>('release_upload', { form }),
  withdraw: (id: string) => call<null>('release_withdraw', { id }),
}
