//! Bulk import of a channel file: online only, through the server's POST /intake/bulk.

use minsheng_domain::case::Channel;
use serde_json::Value;
use tauri::State;

use crate::session_slot::SessionSlot;
use crate::Error;

/// Most rows one call may carry; the UI sends batches of 200 to move its progress bar.
const MAX_ROWS: usize = 1000;

/// `rows` are NewCase-shaped objects read from the file; the server validates each and
/// answers per row. Offline this fails with `OFFLINE` and nothing is queued.
#[tauri::command]
pub async fn intake_bulk(
    slot: State<'_, SessionSlot>,
    channel: String,
    rows: Vec<Value>,
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
    Ok(session.api_post(&path, &Value::Array(rows)).await?)
}
