import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useServerStore } from '@/stores/server'
import LoginView from '@/views/LoginView.vue'

describe('LoginView', () => {
  afterEach(() => clearMocks())

  it('prefills the server address and asks for missing credentials in Chinese', async () => {
    mockIPC((cmd) => {
      if (cmd === 'app_info') return { version: '0.1.0', serverUrl: 'http://10.0.0.8:8686' }
      return { ok: true, message: '已连接市局服务器' }
    })
    const pinia = createPinia()
    setActivePinia(pinia)
    await useServerStore().loadInfo()
    const wrapper = mount(LoginView, {
      attachTo: document.body,
      global: {
        plugins: [pinia, createAppI18n('zh-CN'), ElementPlus, createAppRouter(createMemoryHistory())],
      },
    })
    expect(wrapper.text()).toContain('用户名')
    expect(wrapper.text()).toContain('密码')
    const inputs = wrapper.findAll('input')
    expect(inputs.map((i) => (i.element as HTMLInputElement).value)).toContain('http://10.0.0.8:8686')

    await wrapper.get('form').trigger('submit')
    for (let i = 0; i < 5; i++) await flushPromises()
    // Username and password are empty; the prefilled address passes.
    const invalid = wrapper.findAll('.el-form-item.is-error').map((item) => item.text())
    expect(invalid).toHaveLength(2)
    expect(invalid[0]).toContain('用户名')
    expect(invalid[1]).toContain('密码')
    wrapper.unmount()
  })
})
