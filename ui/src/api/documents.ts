// Printed documents (PDF) built by the shell from the cached case or a report and saved to
// the user's print folder (SettingsView). Which of them a user may print comes from Rust.
import { invoke, type InvokeArgs } from '@tauri-apps/api/core'
import { ApiError } from './index'

/** The documents of a case this user may print (the buttons shown). */
export interface Printable {
  caseSheet: boolean
  /** The 办理单 with the citizen's identity (an audited reveal; roles the server shows it to). */
  caseSheetIdentity: boolean
  replyLetter: boolean
  urgeNotice: boolean
}

/** A document written to the print folder. */
export interface SavedDocument {
  path: string
  pages: number
  bytes: number
  /** Characters the font lacks, printed as □ (empty when none). */
  missingChars: string
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args)
  } catch (err: unknown) {
    const e = err as { code?: unknown; message?: unknown } | string
    if (typeof e === 'object' && e !== null && typeof e.code === 'string' && typeof e.message === 'string') {
      throw new ApiError(e.code, e.message)
    }
    throw new ApiError('ipc', String(err))
  }
}

export const documents = {
  folder: () => call<string | null>('documents_folder'),
  /** Sets (and creates) the print folder; resolves to the folder saved. */
  setFolder: (folder: string) => call<string>('documents_set_folder', { folder }),
  /** The system's folder dialog; null when cancelled. */
  pickFolder: () => call<string | null>('documents_pick_folder'),
  printable: (caseId: string) => call<Printable>('documents_printable', { caseId }),
  /** `revealIdentity`: the citizen unmasked — an audited reveal through the server. */
  caseSheet: (caseId: string, revealIdentity: boolean) => call<SavedDocument>('documents_case_sheet', { caseId, revealIdentity }),
  /** Addressed to the citizen by name: an audited reveal through the server. */
  replyLetter: (caseId: string) => call<SavedDocument>('documents_reply_letter', { caseId }),
  urgeNotice: (caseId: string) => call<SavedDocument>('documents_urge_notice', { caseId }),
  bulletin: (reportId: string) => call<SavedDocument>('documents_bulletin', { reportId }),
  /** Opens a saved document with the system's PDF viewer, to print it there. */
  open: (path: string) => call<null>('documents_open', { path }),
}
