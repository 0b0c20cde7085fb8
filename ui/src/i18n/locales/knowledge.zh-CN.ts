// Messages of the knowledge base (知识库 / 规范答复口径) picker in the reply composer
// (namespace `knowledge`).
export default {
  knowledge: {
    open: '知识库',
    openHint: '从规范答复口径中选择并插入答复',
    title: '知识库 · 规范答复口径',
    allCategories: '全部分类',
    search: '搜索标题或正文',
    searchButton: '搜索',
    empty: '没有符合条件的答复口径',
    insert: '插入',
    version: '第 {v} 版',
    reviewed: '最近复核：{d}',
    neverReviewed: '未复核',
    offline: '离线时不可用',
  },
}
