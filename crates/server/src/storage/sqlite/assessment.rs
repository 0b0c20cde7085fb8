//! SQLite side of `storage::assessment`.

use super::SqliteStore;

/// Schema of the assessment area (migration entry in `migrations.rs`).
pub(super) const MIGRATION: &str = "";

impl crate::storage::assessment::AssessmentStore for SqliteStore {}
