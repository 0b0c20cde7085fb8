//! The intake desk: the form's checks (the domain's rules, offline), live assistance
//! while typing (online) and bulk import of a channel file (online, POST /intake/bulk).

use chrono::Utc;
use minsheng_domain::case::Channel;
use minsheng_domain::workflow::{check_intake, FieldProblem, NewCase};
use serde_json::Value;
use tauri::{AppHandle, Runtime, State};

use crate::session_slot::SessionSlot;
use crate::Error;

/// Most rows one call may carry; the UI sends batches of 200 to move its progress bar.
const MAX_ROWS: usize = 1000;

/// `rows` are NewCase-shaped objects read from the file; the server validates each and
/// answers per row. Offline this fails with `OFFLINE` and nothing is queued.
/// `idempotency_key` names this batch of this import: sent again after a lost answer,
/// the server answers the first result and stores nothing twice.
#[tauri::command]
pub async fn intake_bulk(
    slot: State<'_, SessionSlot>,
    channel: String,
    rows: Vec<Value>,
    idempotency_key: Option<String>,
) -> Result<Value, Error> {
    let channel: Channel = channel
        .parse()
        .map_err(|e: minsheng_domain::DomainError| Error::InvalidArgument(e.to_string()))?;
    if rows.len() > MAX_ROWS {
        return Err(Error::InvalidArgument(format!(
            "一次最多导入 {MAX_ROWS} 行"
        )));
    }
    let session = slot.get()?;
    // The server accepts the channel's code as well as its Chinese name; the code needs no escaping.
    let path = format!("/intake/bulk?channel={channel:?}");
    let rows = Value::Array(rows);
    Ok(match idempotency_key {
        Some(key) => session.api_post_once(&path, &rows, &key).await?,
        None => session.api_post(&path, &rows).await?,
    })
}

/// Every problem of the intake form at once, by field: the domain's own intake rules
/// (the same function the outbox and the server run), so the form never restates them.
#[tauri::command]
pub fn intake_check(
    slot: State<'_, SessionSlot>,
    new_case: NewCase,
) -> Result<Vec<FieldProblem>, Error> {
    let actor = slot.get()?.profile().actor()?;
    Ok(check_intake(&new_case, &actor, Utc::now()))
}

/// Live assistance while the request is typed (online): the server's suggestions,
/// duplicate candidates and the caller's history, scoped to this user. Offline this
/// fails with `OFFLINE` and the form simply works without it.
#[tauri::command]
pub async fn intake_assist(slot: State<'_, SessionSlot>, draft: Value) -> Result<Value, Error> {
    if !draft.is_object() {
        return Err(Error::InvalidArgument("草稿必须是对象".into()));
    }
    let session = slot.get()?;
    Ok(session.api_post("/intake/assist", &draft).await?)
}

/// The bulk-import template (CSV, UTF-8 with BOM so Excel opens it in Chinese): written
/// into the downloads folder like the Excel exports, since the web view has no download
/// handler. Only the one fixed file name is written.
#[tauri::command]
pub fn intake_save_template<R: Runtime>(
    app: AppHandle<R>,
    content: String,
) -> Result<String, Error> {
    if content.len() > 64 * 1024 {
        return Err(Error::InvalidArgument("模板内容过大".into()));
    }
    crate::commands::online::save_download(&app, "诉求批量导入模板.csv", content.as_bytes())
}
