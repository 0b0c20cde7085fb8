// The org vocabulary the server accepts (its OpenAPI enums; `satisfies` keeps these in step).
import type { NewUnit } from '@/api/online'

export const KINDS = [
  '市局',
  '平台办',
  '市局领导',
  '支队',
  '分局',
  '县局',
  '派出所',
  '交警大队',
  '车管所',
  '出入境管理',
  '治安户政',
  '刑侦',
  '经侦反诈',
  '督察',
  '网安',
  '纪委',
  '法制',
] as const satisfies readonly NewUnit['kind'][]

export const LINES = ['治安', '交警', '出入境', '刑侦', '经侦', '网安', '督察', '法制', '纪委'] as const satisfies readonly NonNullable<
  NewUnit['policeLine']
>[]
