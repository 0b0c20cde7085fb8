import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { createAppI18n } from './i18n'
import { createAppRouter } from './router'
import './style.css'

createApp(App).use(createPinia()).use(createAppRouter()).use(createAppI18n()).use(ElementPlus).mount('#app')
