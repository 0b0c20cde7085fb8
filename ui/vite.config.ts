import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import { defineConfig } from 'vitest/config'

// Tauri loads ui/dist through its own protocol; the dev server must stay on the
// fixed port that tauri.conf.json's devUrl names.
export default defineConfig({
  plugins: [
    vue(),
    // Element Plus on demand: each <el-*> tag (and v-loading) imports its component and
    // its CSS into the chunk that uses it, so the login screen loads a fraction of the
    // library (memory of the webview; see scripts/measure-desktop.sh).
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false }),
  ],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  define: {
    // vue-i18n's esm-bundler build reads these; the Composition API only, no devtools.
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.spec.ts'],
    css: false,
    // One copy of element-plus (ESM) so el-form and el-form-item share their inject keys.
    server: { deps: { inline: ['element-plus'] } },
  },
})
