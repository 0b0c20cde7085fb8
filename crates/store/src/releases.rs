//! Storage of desktop releases: the metadata row and the package bytes in chunks, in the
//! database so every server instance on one PostgreSQL serves them. Which releases are
//! accepted and which is offered are the domain's rules (`minsheng_domain::release`);
//! the store keeps and lists.

use chrono::{DateTime, Utc};
use minsheng_domain::ids::UserId;

use super::StoreResult;

/// A published release as stored (its bytes live in its chunks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRecord {
    /// UUID v7, minted by the server.
    pub id: String,
    /// Semantic version as published ("0.2.0").
    pub version: String,
    /// `ReleaseTarget::code` ("linux-x86_64").
    pub target: String,
    /// `ReleaseBundle::code` ("deb").
    pub bundle: String,
    pub notes: String,
    /// The package's file name, display only.
    pub file_name: String,
    pub size: u64,
    /// SHA-256 of the package, lower-case hex.
    pub sha256: String,
    /// The Tauri updater's signature string (base64 of the minisign signature).
    pub signature: String,
    pub published_at: DateTime<Utc>,
    pub published_by: UserId,
    pub published_by_name: String,
    /// Set when an admin stopped offering it.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

pub trait ReleaseStore {
    /// Stores the row and the package bytes (split into chunks of at most `chunk_bytes`)
    /// in one write transaction. The id must be new.
    fn insert_release(
        &self,
        rec: &ReleaseRecord,
        content: &[u8],
        chunk_bytes: usize,
    ) -> StoreResult<()>;
    /// Every release of `target` and `bundle` (withdrawn ones too), newest published first.
    fn releases_for(&self, target: &str, bundle: &str) -> StoreResult<Vec<ReleaseRecord>>;
    /// Every release, newest published first.
    fn all_releases(&self) -> StoreResult<Vec<ReleaseRecord>>;
    fn release(&self, id: &str) -> StoreResult<Option<ReleaseRecord>>;
    /// The package's chunk number `index` (0, 1, …, in the order `insert_release` split
    /// the bytes); `None` past the last one. A download streams them one at a time.
    fn release_chunk(&self, id: &str, index: u64) -> StoreResult<Option<Vec<u8>>>;
    /// Marks it withdrawn at `at` unless it is already; returns whether it changed.
    /// Unknown id: `NotFound`.
    fn withdraw_release(&self, id: &str, at: DateTime<Utc>) -> StoreResult<bool>;
}
