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

// See style.css: on Linux every text uses the regular face.
if (/Linux/.test(globalThis.navigator?.userAgent ?? '')) document.documentElement.classList.add('single-weight')

createApp(App).use(createPinia()).use(createAppRouter()).use(createAppI18n()).mount('#app')
