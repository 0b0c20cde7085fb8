//! Case reads that need the server: a case outside the cache (a duplicate candidate
//! of another unit's history), and revealing a citizen's full phone/ID (audited by the
//! server, PIPL; never cached on this device).

use minsheng_client::api::{CaseListQuery, CasePage};
use minsheng_client::view::LocalCase;
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

/// The most rows one server search page brings.
const SEARCH_PAGE: usize = 50;

/// Searches the user's whole scope on the server by title/content text, newest first,
/// for cases this computer does not cache; `cursor` is the previous page's `nextCursor`.
#[tauri::command]
pub async fn cases_search_server(
    slot: State<'_, SessionSlot>,
    text: String,
    cursor: Option<String>,
) -> Result<CasePage, Error> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 100 {
        return Err(Error::InvalidArgument("请输入 1–100 个字的检索内容".into()));
    }
    let session = slot.get()?;
    let query = CaseListQuery {
        q: Some(text.to_owned()),
        limit: Some(SEARCH_PAGE),
        with_total: Some(cursor.is_none()),
        cursor,
        ..CaseListQuery::default()
    };
    Ok(session.search_server(&query).await?)
}

/// Brings one case (and its timeline) the server shows this user into the cache, so
/// its page opens like any cached case.
#[tauri::command]
pub async fn case_fetch(slot: State<'_, SessionSlot>, id: String) -> Result<LocalCase, Error> {
    let id: minsheng_domain::ids::CaseId = parse_id(&id)?;
    let session = slot.get()?;
    Ok(session.fetch_case(id).await?)
}
