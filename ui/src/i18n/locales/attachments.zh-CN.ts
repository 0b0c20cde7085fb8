// Messages of a case's attachments (namespace `attachments`).
export default {
  attachments: {
    title: '附件',
    add: '添加附件',
    addHint: '照片、扫描件或 PDF，单个不超过 20 MB',
    empty: '暂无附件',
    queued: '排队中',
    uploading: '上传中 {p}%',
    done: '已上传',
    failed: '失败',
    view: '查看',
    save: '保存',
    saved: '已保存到 {path}',
    retry: '重试',
    remove: '移除',
    removeConfirm: '移除尚未上传的附件“{name}”？',
    by: '{name} 上传',
    mine: '本机待上传',
    /** Uploaded from this computer, before the sync brings who attached it. */
    mineDone: '本机上传',
    notAllowed: '您不能为该诉求件添加附件',
    offlineView: '离线时只能查看已下载过的附件',
    topBar: '附件待上传 {n} 个',
    topBarFailed: '附件上传失败 {n} 个',
    afterHomeVisit: '刚登记的走访：可添加现场照片',
  },
}
