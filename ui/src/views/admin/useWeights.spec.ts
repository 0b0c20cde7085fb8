import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from '@/api'
import type { Weights } from '@/api/online'
import { mockCommands } from '@/__tests__/helpers'
import { cleanMessage, errorPlace, useWeights } from './useWeights'

const W: Weights = {
  signInOnTime: 15,
  replyOnTime: 25,
  satisfaction: 40,
  noReturn: 10,
  noRehandle: 10,
  deductPerOverdue: 0.5,
  deductPerReturn: 0,
  deductPerRehandle: 0,
  maxDeduction: 20,
  deductPerAccountability: 2,
  minVolume: 5,
}

afterEach(() => clearMocks())

describe('考核权重 composable', () => {
  it('places the server message under the part of the form it names', () => {
    expect(errorPlace('参与排名的最少件数必须在 0–1000 之间')).toBe('minVolume')
    expect(errorPlace('权重和扣分必须在 0–100 之间，且权重之和大于 0')).toBe('weights')
    expect(cleanMessage(new ApiError('BAD_REQUEST', '请求格式错误：权重和扣分必须在 0–100 之间'))).toBe('权重和扣分必须在 0–100 之间')
    expect(cleanMessage(new ApiError('FORBIDDEN', '无权执行此操作'))).toBe('无权执行此操作')
  })

  it('loads, sums the weights, saves the draft and shows a refusal under its field', async () => {
    let refuse = false
    const calls = mockCommands({
      online_get: () => W,
      online_put: (a) => {
        if (refuse) throw { code: 'BAD_REQUEST', message: '请求格式错误：参与排名的最少件数必须在 0–1000 之间' }
        return a.body
      },
    })
    const w = useWeights()
    await w.load()
    expect(calls[0]?.args.path).toBe('/assessment/weights')
    expect(w.sum.value).toBe(100)
    expect(w.dirty.value).toBe(false)
    w.draft.value!.satisfaction = 30
    expect(w.sum.value).toBe(90)
    expect(w.dirty.value).toBe(true)
    expect(await w.save()).toBe(true)
    expect(calls.at(-1)).toEqual({ cmd: 'online_put', args: { path: '/assessment/weights', body: { ...W, satisfaction: 30 } } })
    expect(w.dirty.value).toBe(false)

    refuse = true
    w.draft.value!.minVolume = 5000
    expect(await w.save()).toBe(false)
    expect(w.problem.value).toEqual({ at: 'minVolume', message: '参与排名的最少件数必须在 0–1000 之间' })
    w.revert()
    expect(w.draft.value?.minVolume).toBe(5)
    expect(w.problem.value).toBeNull()
  })
})
