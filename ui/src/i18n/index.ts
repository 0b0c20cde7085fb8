import { createI18n } from 'vue-i18n'
import en from './locales/en'
import zhCN from './locales/zh-CN'

export const LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof LOCALES)[number]
const STORAGE_KEY = 'minsheng.locale'

function savedLocale(): Locale {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY)
  return saved === 'en' ? 'en' : 'zh-CN'
}

export function createAppI18n(locale: Locale = savedLocale()) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'zh-CN',
    messages: { 'zh-CN': zhCN, en },
  })
}

export function rememberLocale(locale: Locale): void {
  globalThis.localStorage?.setItem(STORAGE_KEY, locale)
}
