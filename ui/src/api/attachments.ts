// Attachments of a case (the Rust side queues uploads in the encrypted cache and sends
// them when the link is there). File bytes travel raw over IPC, never as JSON arrays.
import { call } from './index'

export type UploadState = 'queued' | 'uploading' | 'done' | 'failed'

export interface AttachmentItem {
  id: string
  caseId: string
  name: string
  contentType: string
  size: number
  sha256: string
  uploaderName: string
  at: string
  state: UploadState
  /** Bytes the server has confirmed. */
  sent: number
  errorCode: string | null
  error: string | null
  hasThumbnail: boolean
}

export interface AttachmentList {
  items: AttachmentItem[]
  /** The domain's rule for this user and case. */
  mayAttach: boolean
}

export interface UploadSummary {
  pending: number
  failed: number
  bytesLeft: number
}

/** The types the server accepts (checked again from the content, by both sides). */
export const ACCEPTED_TYPES = 'image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf'

export const attachmentsApi = {
  list: (caseId: string) => call<AttachmentList>('attachments_list', { caseId }),
  /** Queues the file; refused at once (with the domain's message) when it breaks a rule. */
  add: (caseId: string, name: string, bytes: Uint8Array) =>
    call<AttachmentItem>('attachment_add', bytes, {
      headers: { 'x-case-id': caseId, 'x-file-name': encodeURIComponent(name) },
    }),
  /** The JPEG thumbnail, or the file: kept on this computer once fetched. */
  bytes: async (caseId: string, id: string, thumbnail: boolean): Promise<Uint8Array> =>
    new Uint8Array(await call<ArrayBuffer>('attachment_bytes', { caseId, id, thumbnail })),
  /** Saves into the downloads folder; resolves to the path written. */
  save: (caseId: string, id: string, name: string) => call<string>('attachment_save', { caseId, id, name }),
  retry: (id: string) => call<boolean>('attachment_retry', { id }),
  remove: (id: string) => call<boolean>('attachment_remove', { id }),
  summary: () => call<UploadSummary>('uploads_summary'),
}
