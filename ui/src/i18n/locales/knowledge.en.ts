import type zhCN from './knowledge.zh-CN'

const en: typeof zhCN = {
  knowledge: {
    open: 'Knowledge base',
    openHint: 'Pick a standard reply and insert it',
    title: 'Knowledge base · standard replies',
    allCategories: 'All categories',
    search: 'Search title or text',
    searchButton: 'Search',
    empty: 'No standard replies match',
    insert: 'Insert',
    version: 'Version {v}',
    reviewed: 'Last reviewed: {d}',
    neverReviewed: 'never',
    offline: 'Not available offline',
  },
}

export default en
