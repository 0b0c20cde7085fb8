import { clearMocks } from '@tauri-apps/api/mocks'
import { afterEach, describe, expect, it } from 'vitest'
import type { ModelStatus, ModelVersionView } from '@/api/online'
import { mockCommands } from '@/__tests__/helpers'
import { f1Text, useModelVersions } from './useModelVersions'

const v = (version: number, f1: Record<string, number>): ModelVersionView => ({
  version,
  createdAt: '2026-12-07T02:00:00Z',
  trainingRows: 760,
  sources: ['police_labeled.csv', 'server history (28 rows)'],
  macroF1: f1,
})

const STATUS: ModelStatus = {
  configured: true,
  current: v(2, { police_related: 0.9161, category: 0.7474, unit_type: 0.7266 }),
  archived: [v(1, { police_related: 0.875 })],
  baseDataConfigured: true,
  retrainEveryHours: 24,
  lastRetrain: null,
  refused: null,
}

afterEach(() => clearMocks())

describe('分派建议模型 composable', () => {
  it('shows the three macro-F1 scores in order, a dash where a task has none', () => {
    expect(f1Text(STATUS.current!)).toBe('0.916 / 0.747 / 0.727')
    expect(f1Text(STATUS.archived[0]!)).toBe('0.875 / — / —')
  })

  it('retrains, reloads the status, and rolls back to the version asked for', async () => {
    let current = 2
    const calls = mockCommands({
      online_get: () => ({ ...STATUS, current: v(current, {}) }),
      online_post: (a) => {
        if (a.path === '/intelligence/model/retrain') {
          current = 3
          return { outcome: 'installed', version: 3, message: '已训练并启用第 3 版模型' }
        }
        current = 4
        return { ...STATUS, current: v(4, {}) }
      },
    })
    const m = useModelVersions()
    await m.load()
    expect(m.status.value?.current?.version).toBe(2)
    const report = await m.retrain()
    expect(report.outcome).toBe('installed')
    expect(m.status.value?.current?.version).toBe(3)
    expect(m.retraining.value).toBe(false)
    await m.rollback(1)
    expect(m.status.value?.current?.version).toBe(4)
    const posts = calls.filter((c) => c.cmd === 'online_post')
    expect(posts.map((c) => c.args.path)).toEqual(['/intelligence/model/retrain', '/intelligence/model/rollback'])
    expect(posts[1]!.args.body).toEqual({ version: 1 })
  })

  it('turns a refusal into a readable error and clears the busy flag', async () => {
    mockCommands({
      online_get: () => STATUS,
      online_post: () => {
        throw { code: 'MODEL_RETRAIN_RUNNING', message: '模型正在重新训练，请稍后再看结果' }
      },
    })
    const m = useModelVersions()
    await expect(m.retrain()).rejects.toThrow('模型正在重新训练')
    expect(m.retraining.value).toBe(false)
    await expect(m.rollback(1)).rejects.toThrow('模型正在重新训练')
    expect(m.rollingBack.value).toBeNull()
  })
})
