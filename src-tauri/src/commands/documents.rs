//! Printed documents (PDF): 办理单 and 答复函 on a case, 督办通知单 after a 督办, and the
//! 通报 of a report. Built here from the cached case (prints offline) or the report the
//! server shows this user, saved to the user's print folder, opened with the system viewer
//! for printing on request.
//!
//! Identity: a 办理单 prints the citizen masked unless the user asks for the identity; the
//! 答复函 is addressed to the citizen by name. Both reveals go through the server's
//! `GET /cases/{id}/citizen`, which checks the role and scope and writes the audit row, so
//! they need the server; the masked 办理单 does not.

use std::path::{Path, PathBuf};

use chrono::Utc;
use minsheng_client::Session;
use minsheng_documents::{Rendered, Typeface, BUNDLED_FONT};
use minsheng_domain::capability::Capability;
use minsheng_domain::role::Role;
use serde::Serialize;
use serde_json::Value;
use tauri::{AppHandle, Runtime, State};

use crate::commands::parse_id;
use crate::print_data::{self, Identity, Units};
use crate::session_slot::SessionSlot;
use crate::Error;

/// A full CJK font of the system (fonts-noto-cjk) covers rare characters of names the
/// bundled subset may lack; `MINSHENG_PRINT_FONT` names another font file.
const SYSTEM_FONTS: [&str; 2] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
];
pub const PRINT_FONT_ENV: &str = "MINSHENG_PRINT_FONT";

fn fail(code: &str, message: impl Into<String>) -> Error {
    Error::Client {
        code: code.to_owned(),
        message: message.into(),
    }
}

/// The font documents are set in: read per print (not kept: the system font is ~20 MB and
/// printing is rare), the bundled subset when no system font loads.
fn typeface() -> Result<Typeface, Error> {
    let configured = std::env::var(PRINT_FONT_ENV).ok();
    for path in configured.iter().map(String::as_str).chain(SYSTEM_FONTS) {
        if let Ok(bytes) = std::fs::read(path) {
            match Typeface::from_bytes(bytes, "SC") {
                Ok(face) => return Ok(face),
                Err(e) => eprintln!("打印字体 {path} 无法使用：{e}"),
            }
        }
    }
    Typeface::from_bytes(BUNDLED_FONT.to_vec(), "SC")
        .map_err(|e| fail("PRINT_FAILED", e.to_string()))
}

/// Which documents this user may print for a case (the UI shows exactly these buttons).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Printable {
    pub case_sheet: bool,
    /// The 办理单 with the citizen's identity (roles the server shows it to).
    pub case_sheet_identity: bool,
    pub reply_letter: bool,
    pub urge_notice: bool,
}

/// A document written to disk.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    pub path: String,
    pub pages: usize,
    pub bytes: usize,
    /// Characters the font lacks, printed as □ (empty when none).
    pub missing_chars: String,
}

fn role(session: &Session) -> Option<Role> {
    Role::from_code(&session.profile().role)
}

fn can(session: &Session, c: Capability) -> bool {
    role(session).is_some_and(|r| r.can(c))
}

fn units(session: &Session) -> Result<Units, Error> {
    Ok(Units(session.units()?))
}

fn folder(session: &Session) -> Result<PathBuf, Error> {
    match session.print_folder()? {
        Some(f) if Path::new(&f).is_dir() => Ok(PathBuf::from(f)),
        Some(f) => Err(fail(
            "NO_PRINT_FOLDER",
            format!("打印文件夹不存在：{f}，请在“设置”中重新选择"),
        )),
        None => Err(fail(
            "NO_PRINT_FOLDER",
            "尚未设置打印文件夹，请在“设置”中选择",
        )),
    }
}

/// File names keep what a clerk recognises: document, case number, time.
fn file_name(kind: &str, key: &str) -> String {
    let key: String = key
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{kind}-{key}-{}.pdf",
        print_data::beijing(Utc::now()).format("%Y%m%d-%H%M%S")
    )
}

fn save(session: &Session, name: String, r: Rendered) -> Result<Saved, Error> {
    let path = folder(session)?.join(name);
    std::fs::write(&path, &r.pdf)
        .map_err(|e| fail("PRINT_FAILED", format!("无法保存 {}：{e}", path.display())))?;
    let missing: String = r.missing_chars.iter().collect();
    if !missing.is_empty() {
        eprintln!(
            "{}：字体缺少 {} 个字符，以□代替：{missing}",
            path.display(),
            r.missing_chars.len()
        );
    }
    Ok(Saved {
        path: path.display().to_string(),
        pages: r.pages,
        bytes: r.pdf.len(),
        missing_chars: missing,
    })
}

fn render(doc: Result<Rendered, minsheng_documents::Error>) -> Result<Rendered, Error> {
    doc.map_err(|e| fail("PRINT_FAILED", e.to_string()))
}

/// The unmasked citizen through the audited server call.
async fn revealed(session: &Session, id: &str) -> Result<Identity, Error> {
    let v: Value = session.api_get(&format!("/cases/{id}/citizen")).await?;
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Ok(Identity {
        name: field("name"),
        phone: field("phone"),
    })
}

#[tauri::command]
pub fn documents_folder(slot: State<'_, SessionSlot>) -> Result<Option<String>, Error> {
    Ok(slot.get()?.print_folder()?)
}

/// Sets this user's print folder (created when missing).
#[tauri::command]
pub fn documents_set_folder(slot: State<'_, SessionSlot>, folder: String) -> Result<String, Error> {
    let folder = folder.trim();
    let path = Path::new(folder);
    if folder.is_empty() || !path.is_absolute() {
        return Err(Error::InvalidArgument(format!(
            "请填写完整的文件夹路径：{folder}"
        )));
    }
    std::fs::create_dir_all(path)
        .map_err(|e| fail("NO_PRINT_FOLDER", format!("无法使用文件夹 {folder}：{e}")))?;
    slot.get()?.set_print_folder(folder)?;
    Ok(folder.to_owned())
}

/// Asks for the print folder with the system's folder dialog; None when cancelled.
#[tauri::command]
pub async fn documents_pick_folder<R: Runtime>(
    app: AppHandle<R>,
    slot: State<'_, SessionSlot>,
) -> Result<Option<String>, Error> {
    use tauri_plugin_dialog::DialogExt;
    let session = slot.get()?;
    let start = session.print_folder()?;
    let mut dialog = app.dialog().file().set_title("选择打印文件夹");
    if let Some(dir) = start.filter(|d| Path::new(d).is_dir()) {
        dialog = dialog.set_directory(dir);
    }
    // The native dialog blocks until closed: off the async workers.
    let picked = tauri::async_runtime::spawn_blocking(move || dialog.blocking_pick_folder())
        .await
        .map_err(|e| fail("DIALOG", format!("无法打开文件夹对话框：{e}")))?
        .and_then(|f| f.into_path().ok());
    match picked {
        Some(p) => {
            let s = p.display().to_string();
            session.set_print_folder(&s)?;
            Ok(Some(s))
        }
        None => Ok(None),
    }
}

#[tauri::command]
pub fn documents_printable(
    slot: State<'_, SessionSlot>,
    case_id: String,
) -> Result<Printable, Error> {
    let session = slot.get()?;
    let c = session.case(parse_id(&case_id)?)?;
    let identity = role(&session).is_some_and(Role::sees_citizen_identity);
    Ok(Printable {
        case_sheet: true,
        case_sheet_identity: identity,
        reply_letter: c.case.reply.is_some() && identity && can(&session, Capability::Handle),
        urge_notice: print_data::has_urge(&c)
            && (can(&session, Capability::Urge) || can(&session, Capability::Supervise)),
    })
}

/// 办理单 of a cached case; `reveal_identity` prints the citizen unmasked (audited, online).
#[tauri::command]
pub async fn documents_case_sheet(
    slot: State<'_, SessionSlot>,
    case_id: String,
    reveal_identity: bool,
) -> Result<Saved, Error> {
    let session = slot.get()?;
    let id: minsheng_domain::ids::CaseId = parse_id(&case_id)?;
    let c = session.case(id)?;
    let who = if reveal_identity {
        revealed(&session, &case_id).await?
    } else {
        Identity {
            name: print_data::masked_name(&c.citizen.name),
            phone: print_data::masked_phone(&c.citizen),
        }
    };
    let profile = session.profile();
    let data = print_data::case_sheet(
        &c,
        &units(&session)?,
        who,
        &profile.display_name,
        Utc::now(),
    );
    let r = render(data.render(&typeface()?))?;
    save(&session, file_name("办理单", &data.number), r)
}

/// 答复函 to the citizen, addressed by name (audited reveal through the server).
#[tauri::command]
pub async fn documents_reply_letter(
    slot: State<'_, SessionSlot>,
    case_id: String,
) -> Result<Saved, Error> {
    let session = slot.get()?;
    if !can(&session, Capability::Handle) {
        return Err(fail("FORBIDDEN", "无权打印答复函"));
    }
    let c = session.case(parse_id(&case_id)?)?;
    let who = revealed(&session, &case_id).await?;
    let data = print_data::reply_letter(&c, &units(&session)?, who.name, Utc::now())
        .ok_or_else(|| fail("NOTHING_TO_PRINT", "该诉求尚无答复，无法打印答复函"))?;
    let r = render(data.render(&typeface()?))?;
    save(&session, file_name("答复函", &data.case_number), r)
}

/// 督办通知单 of the case's latest 督办 (works offline right after the urge).
#[tauri::command]
pub fn documents_urge_notice(
    slot: State<'_, SessionSlot>,
    case_id: String,
) -> Result<Saved, Error> {
    let session = slot.get()?;
    if !(can(&session, Capability::Urge) || can(&session, Capability::Supervise)) {
        return Err(fail("FORBIDDEN", "无权打印督办通知单"));
    }
    let c = session.case(parse_id(&case_id)?)?;
    let data = print_data::urge_notice(&c, &units(&session)?, Some(session.profile().unit_id))
        .ok_or_else(|| fail("NOTHING_TO_PRINT", "该诉求尚未督办，无法打印督办通知单"))?;
    let r = render(data.render(&typeface()?))?;
    save(&session, file_name("督办通知单", &data.case_number), r)
}

/// 通报 of a report (`GET /reports/{id}`: the server removes what the user may not see).
#[tauri::command]
pub async fn documents_bulletin(
    slot: State<'_, SessionSlot>,
    report_id: String,
) -> Result<Saved, Error> {
    let session = slot.get()?;
    if !can(&session, Capability::Reports) {
        return Err(fail("FORBIDDEN", "无权打印通报"));
    }
    let id = report_id.trim();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(Error::InvalidArgument(format!(
            "无效的通报编号：{report_id}"
        )));
    }
    let v = session.api_get(&format!("/reports/{id}")).await?;
    let report: print_data::Report = serde_json::from_value(v)
        .map_err(|e| fail("PRINT_FAILED", format!("通报数据无法读取：{e}")))?;
    let data = print_data::bulletin(&report, units(&session)?.bureau());
    let r = render(data.render(&typeface()?))?;
    save(&session, file_name("通报", &data.number), r)
}

/// Opens a saved document with the system's PDF viewer (to print it there). Only files in
/// the user's print folder.
#[tauri::command]
pub fn documents_open(slot: State<'_, SessionSlot>, path: String) -> Result<(), Error> {
    let session = slot.get()?;
    let dir = folder(&session)?;
    let file = PathBuf::from(&path);
    let inside =
        file.parent().is_some_and(|p| p == dir) && file.extension().is_some_and(|e| e == "pdf");
    if !inside || !file.is_file() {
        return Err(Error::InvalidArgument(format!(
            "不是打印文件夹中的文件：{path}"
        )));
    }
    open::that_detached(&file).map_err(|e| fail("OPEN_FAILED", format!("无法打开 {path}：{e}")))
}
