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

/// One role and what it may reach (`domain::capability`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RoleCapabilities {
    pub role: minsheng_domain::role::Role,
    pub capabilities: Vec<minsheng_domain::capability::Capability>,
    /// The unit level (1–3) an account of this role is posted at
    /// (`domain::staffing`): the admin's user form offers only those units.
    pub posting_level: u8,
}

/// The capability table of every role: the menu, work-bench cards and buttons read it
/// (the UI never restates which role may do what), and an assignment dialog asks which
/// colleagues can handle a case; the user form which units fit a role.
#[tauri::command]
pub fn role_capabilities() -> Vec<RoleCapabilities> {
    minsheng_domain::role::Role::ALL
        .iter()
        .copied()
        .filter(|r| *r != minsheng_domain::role::Role::System)
        .map(|role| RoleCapabilities {
            role,
            capabilities: role.capabilities(),
            posting_level: minsheng_domain::staffing::posting_level(role).map_or(0, u8::from),
        })
        .collect()
}
