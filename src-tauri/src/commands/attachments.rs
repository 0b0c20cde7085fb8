//! Attachments of a case: add (the file's bytes come raw over IPC, not as JSON), list
//! with upload progress, thumbnails and files (kept on this desktop once fetched), save
//! to the downloads folder, retry or remove a refused upload, and the queue's counts.

use minsheng_client::attachments::{AttachmentItem, UploadSummary};
use serde::Serialize;
use tauri::ipc::{InvokeBody, Request, Response};
use tauri::{AppHandle, Runtime, State};

use crate::commands::online::DOWNLOAD_DIR_ENV;
use crate::commands::parse_id;
use crate::session_slot::SessionSlot;
use crate::Error;

/// Header of `attachment_add` naming the case.
const CASE_HEADER: &str = "x-case-id";
/// Header of `attachment_add` with the file name, percent-encoded (UTF-8).
const NAME_HEADER: &str = "x-file-name";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentList {
    pub items: Vec<AttachmentItem>,
    /// Whether this user may attach to the case (the domain's rule).
    pub may_attach: bool,
}

/// `%E8%B5%B0` → the UTF-8 text (what `encodeURIComponent` wrote).
fn percent_decoded(raw: &str) -> Result<String, Error> {
    let bad = || Error::InvalidArgument("文件名编码无效".into());
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

fn header<'a>(request: &'a Request<'_>, name: &str) -> Result<&'a str, Error> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::InvalidArgument(format!("缺少 {name}")))
}

/// Queues a file for upload to a case. The body is the file's bytes; headers name the
/// case (`x-case-id`) and the file (`x-file-name`, percent-encoded).
#[tauri::command]
pub fn attachment_add(
    slot: State<'_, SessionSlot>,
    request: Request<'_>,
) -> Result<AttachmentItem, Error> {
    let case = parse_id(header(&request, CASE_HEADER)?)?;
    let name = percent_decoded(header(&request, NAME_HEADER)?)?;
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(Error::InvalidArgument("附件内容须以二进制发送".into()));
    };
    Ok(slot.get()?.attach(case, &name, bytes)?)
}

#[tauri::command]
pub fn attachments_list(
    slot: State<'_, SessionSlot>,
    case_id: String,
) -> Result<AttachmentList, Error> {
    let session = slot.get()?;
    let case = parse_id(&case_id)?;
    Ok(AttachmentList {
        items: session.attachments(case)?,
        may_attach: session.may_attach(case)?,
    })
}

/// The thumbnail (JPEG) or the file, as raw bytes.
#[tauri::command]
pub async fn attachment_bytes(
    slot: State<'_, SessionSlot>,
    case_id: String,
    id: String,
    thumbnail: bool,
) -> Result<Response, Error> {
    let session = slot.get()?;
    let bytes = session
        .attachment_bytes(parse_id(&case_id)?, &id, thumbnail)
        .await?;
    Ok(Response::new(bytes))
}

/// A name safe to write: no path, no characters file systems refuse.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || r#"/\:*?"<>|"#.contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_matches('.');
    if trimmed.is_empty() {
        "附件".to_owned()
    } else {
        trimmed.chars().take(100).collect()
    }
}

/// `dir/name`, or `dir/stem (2).ext` ... when that exists: never overwrite a file.
fn free_path(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    (2..10_000)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Saves the file into the downloads folder (never over an existing file); returns
/// the path written.
#[tauri::command]
pub async fn attachment_save<R: Runtime>(
    app: AppHandle<R>,
    slot: State<'_, SessionSlot>,
    case_id: String,
    id: String,
    name: String,
) -> Result<String, Error> {
    use tauri::Manager;
    let session = slot.get()?;
    let bytes = session
        .attachment_bytes(parse_id(&case_id)?, &id, false)
        .await?;
    let dir = match std::env::var_os(DOWNLOAD_DIR_ENV).filter(|v| !v.is_empty()) {
        Some(d) => std::path::PathBuf::from(d),
        None => app
            .path()
            .download_dir()
            .map_err(|e| Error::DataDir(e.to_string()))?,
    };
    let io = |e: std::io::Error| Error::Client {
        code: "LOCAL_IO".to_owned(),
        message: format!("无法保存文件：{e}"),
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let target = free_path(&dir, &safe_name(&name));
    std::fs::write(&target, bytes).map_err(io)?;
    Ok(target.to_string_lossy().into_owned())
}

#[tauri::command]
pub fn attachment_retry(slot: State<'_, SessionSlot>, id: String) -> Result<bool, Error> {
    Ok(slot.get()?.retry_attachment(&id)?)
}

#[tauri::command]
pub fn attachment_remove(slot: State<'_, SessionSlot>, id: String) -> Result<bool, Error> {
    Ok(slot.get()?.remove_attachment(&id)?)
}

#[tauri::command]
pub fn uploads_summary(slot: State<'_, SessionSlot>) -> Result<UploadSummary, Error> {
    Ok(slot.get()?.upload_summary()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decode_and_stay_names() {
        assert_eq!(
            percent_decoded("%E8%B5%B0%E8%AE%BF.jpg").unwrap(),
            "走访.jpg"
        );
        assert!(percent_decoded("%E8%B5").is_err());
        assert_eq!(safe_name("../a/b.jpg"), "_a_b.jpg");
        assert_eq!(safe_name(".."), "附件");
    }
}
