import { api } from '@/api'
// 下载导入模板: a CSV that the bulk import reads back — the Chinese column names the
// server's import accepts (crates/server/src/import.rs `field_of`) and one example row,
// in UTF-8 with a byte-order mark so that Excel opens it in Chinese.

export const TEMPLATE_FILE = '诉求批量导入模板.csv'

/** Column → example value. 渠道 left empty: the channel chosen on the screen applies;
 * 批示领导/批示内容 only for 领导批示. */
const EXAMPLE: [string, string][] = [
  ['标题', '楼上夜间装修噪音扰民'],
  ['内容', '每晚十点后楼上仍在装修施工，影响休息，希望尽快处理。'],
  ['群众姓名', '张先生'],
  ['联系电话', '13800000000'],
  ['身份证号', ''],
  ['地址', '泉城路1号3单元'],
  ['区县', '历下区'],
  ['受理时间', '2025-06-01 09:30'],
  ['诉求类型', '投诉'],
  ['诉求类别', '噪音扰民'],
  ['紧急程度', '普通'],
  ['渠道', ''],
  ['批示领导', ''],
  ['批示内容', ''],
]

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function field(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
}

export function templateCsv(): string {
  const header = EXAMPLE.map(([name]) => field(name)).join(',')
  const example = EXAMPLE.map(([, value]) => field(value)).join(',')
  return `\uFEFF${header}\r\n${example}\r\n`
}

/** Saves the template into the downloads folder (through Rust: the web view has no
 * download handler); resolves to the path written. */
export function saveTemplate(): Promise<string> {
  return api.saveImportTemplate(templateCsv())
}
