//! SQLite side of `storage::notify`.

use super::SqliteStore;

/// Schema of the notify area (migration entry in `migrations.rs`).
pub(super) const MIGRATION: &str = "";

impl crate::storage::notify::NotifyStore for SqliteStore {}
