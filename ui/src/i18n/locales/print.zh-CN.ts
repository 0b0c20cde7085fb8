// Messages of the printed documents (打印/导出PDF) and the print folder setting
// (namespace `print`).
export default {
  print: {
    title: '打印/导出PDF',
    caseSheet: '办理单',
    caseSheetIdentity: '办理单（含身份）',
    replyLetter: '答复函',
    urgeNotice: '督办通知单',
    bulletin: '通报',
    identityHint: '打印诉求人完整身份，需联网并记入审计日志',
    saved: '已导出 PDF',
    savedAt: '已保存（{pages} 页）：',
    open: '打开打印',
    missing: '已导出，但字体缺少以下字符，已以□代替：{chars}',
    pickFolder: '选择文件夹',
    folder: '打印文件夹',
    folderHint: '导出的 PDF 保存到此文件夹（每位用户各自设置）',
    folderPlaceholder: '例如 /home/user/打印',
    folderSave: '保存',
    folderSaved: '打印文件夹已保存：{folder}',
  },
}
