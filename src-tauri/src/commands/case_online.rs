//! Case reads that need the server: a case outside the cache (a duplicate candidate
//! of another unit's history), and revealing a citizen's full phone/ID (audited by the
//! server, PIPL; never cached on this device).

use serde_json::Value;
use tauri::State;

use crate::commands::parse_id;
use crate::session_slot::SessionSlot;
use crate::Error;

/// `GET /cases/{id}` as the server shows it to this user (masked citizen).
#[tauri::command]
pub async fn case_remote(slot: State<'_, SessionSlot>, id: String) -> Result<Value, Error> {
    let id: minsheng_domain::ids::CaseId = parse_id(&id)?;
    let session = slot.get()?;
    Ok(session.api_get(&format!("/cases/{id}")).await?)
}

/// `GET /cases/{id}/citizen`: the unmasked identity; the server checks role and scope
/// and writes the audit row. The answer is shown once and not stored.
#[tauri::command]
pub async fn citizen_reveal(slot: State<'_, SessionSlot>, id: String) -> Result<Value, Error> {
    let id: minsheng_domain::ids::CaseId = parse_id(&id)?;
    let session = slot.get()?;
    Ok(session.api_get(&format!("/cases/{id}/citizen")).await?)
}
