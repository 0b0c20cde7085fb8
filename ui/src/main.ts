// Element Plus is not installed globally: unplugin-vue-components imports each <el-*>
// used in a template (with its CSS) where it is used. The services called from scripts
// (ElMessage, ElMessageBox, ElNotification) need their CSS here.
import 'element-plus/theme-chalk/base.css'
import 'element-plus/theme-chalk/el-message.css'
import 'element-plus/theme-chalk/el-message-box.css'
import 'element-plus/theme-chalk/el-notification.css'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { createAppI18n } from './i18n'
import { createAppRouter } from './router'
import './style.css'

const mount = () => createApp(App).use(createPinia()).use(createAppRouter()).use(createAppI18n()).mount('#app')

// See style.css: on Linux every text uses the regular face, from the app's own CJK font. It
// is loaded before the first screen: text laid out while it loads would open the system's
// CJK font in the meantime (the memory the bundled face saves). Never waits more than 1 s.
if (/Linux/.test(globalThis.navigator?.userAgent ?? '')) {
  // Form controls keep the desktop's UI font (GTK's, e.g. "Sans"), read from a probe before
  // the class applies; the bundled face only takes over their CJK characters (style.css).
  const probe = document.body.appendChild(document.createElement('button'))
  const controlFont = getComputedStyle(probe).fontFamily
  probe.remove()
  document.documentElement.style.setProperty('--ms-control-font', `${controlFont}, 'Minsheng Noto Sans SC'`)
  document.documentElement.classList.add('single-weight')
  const loaded = globalThis.document.fonts?.load("14px 'Minsheng Noto Sans SC'", '民') ?? Promise.resolve()
  void Promise.race([loaded, new Promise((resolve) => setTimeout(resolve, 1000))])
    .catch(() => undefined)
    .then(mount)
} else {
  mount()
}
