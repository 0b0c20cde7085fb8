// Messages of the printed documents and the print folder setting (namespace `print`).
export default {
  print: {
    title: 'Print / PDF',
    caseSheet: 'Case sheet',
    caseSheetIdentity: 'Case sheet (with identity)',
    replyLetter: 'Reply letter',
    urgeNotice: 'Supervision notice',
    bulletin: 'Bulletin',
    identityHint: "Prints the citizen's full identity; needs the server and is audited",
    saved: 'PDF exported',
    savedAt: 'Saved ({pages} pages): ',
    open: 'Open to print',
    missing: 'Exported, but the font lacks these characters (printed as □): {chars}',
    pickFolder: 'Choose folder',
    folder: 'Print folder',
    folderHint: 'Exported PDFs are saved here (set per user)',
    folderPlaceholder: 'e.g. /home/user/print',
    folderSave: 'Save',
    folderSaved: 'Print folder saved: {folder}',
  },
}
