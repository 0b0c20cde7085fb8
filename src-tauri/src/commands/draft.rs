//! Form drafts (the new-request form, a reply being composed): saved on every change in
//! the user's encrypted cache, so what was typed survives a crash or a closed window,
//! and a citizen's number never lands in the web view's plain local storage.

use serde_json::Value;
use tauri::State;

use crate::session_slot::SessionSlot;
use crate::Error;

/// A draft larger than this is refused (a form, not a document store).
const MAX_DRAFT: usize = 256 * 1024;

fn check_name(name: &str) -> Result<(), Error> {
    let ok = (1..=60).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!("草稿名称无效：{name}")))
    }
}

#[tauri::command]
pub fn draft_load(slot: State<'_, SessionSlot>, name: String) -> Result<Option<Value>, Error> {
    check_name(&name)?;
    let Some(raw) = slot.get()?.draft(&name)? else {
        return Ok(None);
    };
    // A draft that no longer parses is dropped rather than breaking the form.
    Ok(serde_json::from_str(&raw).ok())
}

#[tauri::command]
pub fn draft_save(slot: State<'_, SessionSlot>, name: String, value: Value) -> Result<(), Error> {
    check_name(&name)?;
    let raw = value.to_string();
    if raw.len() > MAX_DRAFT {
        return Err(Error::InvalidArgument("草稿过大（超过256KB）".into()));
    }
    Ok(slot.get()?.save_draft(&name, &raw)?)
}

#[tauri::command]
pub fn draft_clear(slot: State<'_, SessionSlot>, name: String) -> Result<(), Error> {
    check_name(&name)?;
    Ok(slot.get()?.clear_draft(&name)?)
}
