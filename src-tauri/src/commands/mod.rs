//! IPC commands, one module per area. Keep them out of the crate root (E0255 with `pub`).

pub mod accountability;
pub mod app;
pub mod attachments;
pub mod auth;
pub mod case_online;
pub mod cases;
pub mod desktop;
pub mod documents;
pub mod draft;
pub mod intake;
pub mod online;
pub mod online_admin;
pub mod online_releases;
pub mod online_supervisors;
pub mod org;
pub mod server;
pub mod settings;
pub mod sync;
pub mod updates;

use crate::Error;

/// Parses a UUID id (case, unit, command) sent by the UI.
pub(crate) fn parse_id<T: std::str::FromStr>(raw: &str) -> Result<T, Error> {
    raw.trim()
        .parse()
        .map_err(|_| Error::InvalidArgument(format!("无效的编号：{raw}")))
}
