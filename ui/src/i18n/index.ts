import { createI18n } from 'vue-i18n'
import en from './locales/en'
import zhCN from './locales/zh-CN'
import analyticsZhCN from './locales/analytics.zh-CN'
import analyticsEn from './locales/analytics.en'
import intakeZhCN from './locales/intake.zh-CN'
import intakeEn from './locales/intake.en'
import deskZhCN from './locales/desk.zh-CN'
import deskEn from './locales/desk.en'
import followupZhCN from './locales/followup.zh-CN'
import followupEn from './locales/followup.en'
import knowledgeZhCN from './locales/knowledge.zh-CN'
import knowledgeEn from './locales/knowledge.en'
import adminZhCN from './locales/admin.zh-CN'
import adminEn from './locales/admin.en'
import configZhCN from './locales/config.zh-CN'
import configEn from './locales/config.en'
import printZhCN from './locales/print.zh-CN'
import printEn from './locales/print.en'
import supervisorsZhCN from './locales/supervisors.zh-CN'
import supervisorsEn from './locales/supervisors.en'
import attachmentsZhCN from './locales/attachments.zh-CN'
import attachmentsEn from './locales/attachments.en'
import accountabilityZhCN from './locales/accountability.zh-CN'
import accountabilityEn from './locales/accountability.en'
import updateZhCN from './locales/update.zh-CN'
import updateEn from './locales/update.en'

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
    messages: {
      'zh-CN': { ...zhCN, ...analyticsZhCN, ...intakeZhCN, ...deskZhCN, ...followupZhCN, ...knowledgeZhCN, ...configZhCN, ...adminZhCN, ...printZhCN, ...supervisorsZhCN, ...attachmentsZhCN, ...accountabilityZhCN, ...updateZhCN },
      en: { ...en, ...analyticsEn, ...intakeEn, ...deskEn, ...followupEn, ...knowledgeEn, ...configEn, ...adminEn, ...printEn, ...supervisorsEn, ...attachmentsEn, ...accountabilityEn, ...updateEn },
    },
  })
}

export function rememberLocale(locale: Locale): void {
  globalThis.localStorage?.setItem(STORAGE_KEY, locale)
}
