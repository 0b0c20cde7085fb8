// Reads a channel file (CSV or a JSON array) into the rows POST /intake/bulk takes as
// JSON. Column names follow the server's CSV import (English or Chinese headers).

const FIELD_OF: Record<string, string> = {
  title: 'title',
  标题: 'title',
  content: 'content',
  detail: 'content',
  内容: 'content',
  诉求内容: 'content',
  留言详情: 'content',
  citizenName: 'citizenName',
  name: 'citizenName',
  姓名: 'citizenName',
  群众姓名: 'citizenName',
  反映人: 'citizenName',
  citizenPhone: 'citizenPhone',
  phone: 'citizenPhone',
  电话: 'citizenPhone',
  联系电话: 'citizenPhone',
  手机号: 'citizenPhone',
  citizenIdCard: 'citizenIdCard',
  idCard: 'citizenIdCard',
  身份证号: 'citizenIdCard',
  address: 'address',
  地址: 'address',
  district: 'district',
  区县: 'district',
  receivedAt: 'receivedAt',
  time: 'receivedAt',
  受理时间: 'receivedAt',
  留言时间: 'receivedAt',
  requestType: 'requestType',
  诉求类型: 'requestType',
  category: 'category',
  诉求类别: 'category',
  urgency: 'urgency',
  紧急程度: 'urgency',
  channel: 'channel',
  渠道: 'channel',
  leader: 'leaderName',
  leaderName: 'leaderName',
  批示领导: 'leaderName',
  instruction: 'leaderInstruction',
  leaderInstruction: 'leaderInstruction',
  批示内容: 'leaderInstruction',
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  const s = text.replace(/^\uFEFF/, '')
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && s[i + 1] === '\n') i++
      row.push(field)
      field = ''
      if (row.some((f) => f.trim() !== '')) rows.push(row)
      row = []
    } else field += ch
  }
  row.push(field)
  if (row.some((f) => f.trim() !== '')) rows.push(row)
  return rows
}

/** `YYYY-MM-DD HH:mm[:ss]` (Beijing) → RFC 3339; anything else is passed on for the server to judge. */
export function toInstant(raw: string): string {
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(raw.trim())
  if (!m) return raw.trim()
  const [, y, mo, d, h, mi, se] = m
  const pad = (v: string | undefined) => (v ?? '0').padStart(2, '0')
  return `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(se)}+08:00`
}

export class FeedError extends Error {}

/** The rows of a CSV or JSON channel file as NewCase-shaped objects. */
export function readFeed(fileName: string, text: string): Record<string, unknown>[] {
  if (fileName.toLowerCase().endsWith('.json')) {
    const parsed: unknown = JSON.parse(text)
    if (!Array.isArray(parsed)) throw new FeedError('JSON 必须是诉求对象的数组')
    return parsed as Record<string, unknown>[]
  }
  const [header, ...records] = parseCsv(text)
  if (!header) return []
  const fields = header.map((h) => FIELD_OF[h.trim()] ?? null)
  if (!fields.includes('title') || !fields.includes('content')) {
    throw new FeedError('CSV 必须包含“标题(title)”和“内容(content)”两列')
  }
  return records.map((rec) => {
    const out: Record<string, unknown> = {}
    fields.forEach((f, i) => {
      const v = (rec[i] ?? '').trim()
      if (f === null || v === '') return
      out[f] = f === 'receivedAt' ? toInstant(v) : v
    })
    // 领导批示: NewCase carries the leader and the instruction as one object (the domain
    // requires both for that channel and refuses them elsewhere, row by row).
    if (out.leaderName !== undefined || out.leaderInstruction !== undefined) {
      out.leaderInstruction = { leader: out.leaderName ?? '', instruction: out.leaderInstruction ?? '' }
      delete out.leaderName
    }
    // NewCase requires these (serde defaults aside).
    out.title ??= ''
    out.content ??= ''
    return out
  })
}

/** Splits rows into batches so the progress bar moves and no request is huge. */
export function batches<T>(rows: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size))
  return out
}
