//! Sync status, 同步 now, and the 同步冲突 list.

use minsheng_client::outbox::{Command, Resolution};
use minsheng_client::{SyncReport, SyncStatus};
use tauri::State;

use crate::commands::parse_id;
use crate::session_slot::SessionSlot;
use crate::Error;

#[tauri::command]
pub fn sync_status(slot: State<'_, SessionSlot>) -> Result<SyncStatus, Error> {
    Ok(slot.get()?.status())
}

#[tauri::command]
pub async fn sync_now(slot: State<'_, SessionSlot>) -> Result<SyncReport, Error> {
    let session = slot.get()?;
    Ok(session.sync_now().await?)
}

/// Every command the server refused, with its reason, not yet resolved.
#[tauri::command]
pub fn sync_conflicts(slot: State<'_, SessionSlot>) -> Result<Vec<Command>, Error> {
    Ok(slot.get()?.conflicts()?)
}

#[tauri::command]
pub fn sync_resolve_conflict(
    slot: State<'_, SessionSlot>,
    command: String,
    how: Resolution,
) -> Result<(), Error> {
    Ok(slot.get()?.resolve_conflict(parse_id(&command)?, how)?)
}
