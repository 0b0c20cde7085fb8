import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api'
import { useOnlineLoad } from './useOnlineLoad'

describe('useOnlineLoad', () => {
  it('applies the answer and is ready', async () => {
    const l = useOnlineLoad()
    let got = 0
    expect(await l.run(async () => 7, (v) => (got = v))).toBe(true)
    expect([l.state.value, got]).toEqual(['ready', 7])
  })

  it('offline is a state, not an error; a refusal shows the server message', async () => {
    const l = useOnlineLoad()
    let cleared = false
    await l.run(
      () => Promise.reject(new ApiError('OFFLINE', '无法连接')),
      () => {},
      () => (cleared = true),
    )
    expect([l.state.value, l.error.value, cleared]).toEqual(['offline', '', true])
    await l.run(() => Promise.reject(new ApiError('FORBIDDEN', '无权访问')), () => {})
    expect([l.state.value, l.error.value]).toEqual(['error', '无权访问'])
  })
})
