//! The org tree and unit staff from the cache (the 指派 and dispatch pickers).

use minsheng_client::cache::UserSummary;
use minsheng_domain::org::Unit;
use tauri::State;

use crate::commands::parse_id;
use crate::session_slot::SessionSlot;
use crate::Error;

#[tauri::command]
pub fn org_units(slot: State<'_, SessionSlot>) -> Result<Vec<Unit>, Error> {
    Ok(slot.get()?.units()?)
}

#[tauri::command]
pub fn org_unit_users(
    slot: State<'_, SessionSlot>,
    unit: String,
) -> Result<Vec<UserSummary>, Error> {
    Ok(slot.get()?.unit_users(parse_id(&unit)?)?)
}
