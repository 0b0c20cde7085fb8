import { describe, expect, it } from 'vitest'
import type { Unit } from '@/api'
import { buildTree, editOf, lines, toDraft } from './useOrgAdmin'

const unit = (id: string, code: string, level: 1 | 2 | 3, parent: string | null): Unit => ({
  id,
  code,
  name: `单位${code}`,
  level,
  parent,
  kind: level === 3 ? '派出所' : '分局',
  policeLine: null,
  jurisdiction: { districts: ['历下区'], streets: ['泉城路街道'] },
  active: true,
})
const UNITS = [unit('a', 'JN', 1, null), unit('c', 'JN-SZ', 2, 'a'), unit('b', 'JN-LX', 2, 'a'), unit('d', 'JN-LX-Q', 3, 'b')]

describe('org tree admin', () => {
  it('builds the tree in code order', () => {
    const t = buildTree(UNITS)
    expect(t.map((n) => n.unit.code)).toEqual(['JN'])
    expect(t[0]?.children.map((n) => n.unit.code)).toEqual(['JN-LX', 'JN-SZ'])
    expect(t[0]?.children[0]?.children.map((n) => n.id)).toEqual(['d'])
  })

  it('sends only what changed', () => {
    const q = UNITS[3]!
    const d = toDraft(q)
    expect(editOf(q, d)).toEqual({})
    d.parent = 'c'
    d.name = ' 新名称 '
    d.streets = '泉城路街道\n大明湖街道\n泉城路街道'
    expect(editOf(q, d)).toEqual({
      name: '新名称',
      parent: 'c',
      jurisdiction: { streets: ['大明湖街道', '泉城路街道'], districts: ['历下区'] },
    })
    d.policeLine = null
    const withLine = { ...q, policeLine: '治安' }
    expect(editOf(withLine, { ...toDraft(withLine), policeLine: null }).clearPoliceLine).toBe(true)
  })

  it('reads lists separated by lines or Chinese commas', () => {
    expect(lines('泉城路街道，大明湖街道、 \n\n泉城路街道')).toEqual(['泉城路街道', '大明湖街道'])
  })
})
