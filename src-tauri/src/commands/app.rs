use serde::Serialize;
use tauri::State;

use crate::ServerLink;

/// What the shell tells the UI about itself.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub server_url: String,
}

#[tauri::command]
pub fn app_info(link: State<'_, ServerLink>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        server_url: link.url().to_owned(),
    }
}
