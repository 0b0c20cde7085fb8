//! The org tree, unit staff and the city's configuration from the cache (the 指派 and
//! dispatch pickers, the category lists of forms).

use minsheng_client::cache::UserSummary;
use minsheng_domain::config::{CategoryEntry, Config};
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

/// The city's configuration as the cache holds it (from the last pull that brought it;
/// the shipped defaults before): the category list for forms and filters, offline too.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalConfig {
    /// The server's configuration version held (0: the shipped defaults).
    pub version: i64,
    /// 诉求类别 in the city's order, retired ones included (forms offer the others).
    pub categories: Vec<CategoryEntry>,
    /// Years whose holiday calendar is held.
    pub holiday_years: Vec<i32>,
    /// A year whose calendar is missing and needed now (deadlines into it are provisional).
    pub calendar_missing: Option<i32>,
}

impl LocalConfig {
    pub fn of(cfg: &Config, now: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            version: cfg.version,
            categories: cfg.categories.clone(),
            holiday_years: cfg.calendar.years().collect(),
            calendar_missing: cfg.calendar_missing_soon(now),
        }
    }
}

#[tauri::command]
pub fn config_local(slot: State<'_, SessionSlot>) -> Result<LocalConfig, Error> {
    Ok(LocalConfig::of(&slot.get()?.config(), chrono::Utc::now()))
}
