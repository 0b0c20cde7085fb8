import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import ServerStatusTag from '@/components/ServerStatusTag.vue'
import { createAppI18n } from '@/i18n'
import { useServerStore } from '@/stores/server'
import type { ServerHealth } from '@/api'

function answer(health: ServerHealth): string[] {
  const calls: string[] = []
  mockIPC((cmd) => {
    calls.push(cmd)
    if (cmd === 'server_health') return health
    if (cmd === 'app_info') return { version: '0.1.0', serverUrl: 'http://127.0.0.1:8686' }
    throw new Error(`unexpected command ${cmd}`)
  })
  return calls
}

async function mountTag() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const wrapper = mount(ServerStatusTag, {
    global: { plugins: [pinia, createAppI18n('zh-CN'), ElementPlus] },
  })
  await useServerStore().refresh()
  await flushPromises()
  return wrapper
}

describe('ServerStatusTag', () => {
  beforeEach(() => clearMocks())
  afterEach(() => clearMocks())

  it('shows 离线 when server_health answers ok=false', async () => {
    const calls = answer({ ok: false, message: '无法连接市局服务器' })
    const wrapper = await mountTag()
    expect(calls).toContain('server_health')
    expect(wrapper.get('[data-testid="server-status"]').text()).toContain('离线')
  })

  it('shows 在线 when the server answers ok=true', async () => {
    answer({ ok: true, serverVersion: '0.1.0', message: '已连接市局服务器' })
    const wrapper = await mountTag()
    expect(wrapper.get('[data-testid="server-status"]').text()).toContain('在线')
  })

  it('shows 离线 when the command itself fails', async () => {
    mockIPC(() => {
      throw { code: 'invalidServerUrl', message: '市局服务器地址无效：x' }
    })
    const wrapper = await mountTag()
    expect(wrapper.get('[data-testid="server-status"]').text()).toContain('离线')
    expect(useServerStore().health?.message).toBe('市局服务器地址无效：x')
  })
})
