//! Settings kept in the session's cache.

use tauri::State;

use crate::session_slot::SessionSlot;
use crate::Error;

/// How many days closed cases stay in the local cache.
#[tauri::command]
pub fn settings_set_closed_window(slot: State<'_, SessionSlot>, days: u32) -> Result<(), Error> {
    if !(1..=365).contains(&days) {
        return Err(Error::InvalidArgument(format!(
            "缓存天数须在 1 到 365 之间：{days}"
        )));
    }
    Ok(slot.get()?.set_closed_window_days(days)?)
}

#[tauri::command]
pub fn settings_closed_window(slot: State<'_, SessionSlot>) -> Result<u32, Error> {
    Ok(slot.get()?.closed_window_days()?)
}
