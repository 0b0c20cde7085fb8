import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it } from 'vitest'
import { caseLabel } from '@/components/caseLookup'
import { mockCommands, sampleCase, sampleLocal } from './helpers'

const MASTER = '0190f0a0-0000-7000-8000-0000000000ee'

describe('a duplicate names its master by number, never by a bare id', () => {
  afterEach(() => clearMocks())

  it('takes number and title from the cache', async () => {
    mockCommands({ case_get: () => sampleLocal([], sampleCase({ id: MASTER, number: 'MS202611250009', title: '工地夜间施工' })) })
    expect(await caseLabel(MASTER)).toBe('MS202611250009 工地夜间施工')
  })

  it('asks the server when the master is not cached', async () => {
    const calls = mockCommands({
      case_get: () => Promise.reject({ code: 'NOT_FOUND', message: '本机缓存中没有该诉求件' }),
      case_remote: () => ({ id: MASTER, number: 'MS202611250010', title: '烧烤油烟' }),
    })
    expect(await caseLabel(MASTER)).toBe('MS202611250010 烧烤油烟')
    expect(calls.filter((c) => c.cmd === 'case_remote')).toHaveLength(1)
  })

  it('falls back to the start of the id offline', async () => {
    mockCommands({
      case_get: () => Promise.reject({ code: 'NOT_FOUND', message: '无' }),
      case_remote: () => Promise.reject({ code: 'OFFLINE', message: '离线' }),
    })
    expect(await caseLabel(MASTER)).toBe('0190f0a0')
  })
})
