//! Storage of case attachments: the declared file (its metadata row) and its bytes in
//! chunks, in the database so every server instance on one PostgreSQL serves them. The
//! store only keeps, counts and compares with the limits it is given; which files are
//! accepted and who may attach are the domain's rules (`minsheng_domain::attachment`).

use chrono::{DateTime, Utc};
use minsheng_domain::ids::{CaseId, UserId};
use minsheng_domain::org::OrgTree;
use minsheng_domain::timeline::TimelineEntry;

use super::{CaseUpdate, StoreResult};
use minsheng_domain::case::Case;

/// An attachment's upload state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentStatus {
    /// Declared; chunks arriving.
    Uploading,
    /// Verified (size, SHA-256, type) and on the case's timeline.
    Complete,
}

impl AttachmentStatus {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Uploading => "uploading",
            Self::Complete => "complete",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "uploading" => Some(Self::Uploading),
            "complete" => Some(Self::Complete),
            _ => None,
        }
    }
}

/// An attachment as stored (the bytes live in its chunks, the thumbnail beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    /// Minted by the client (UUID v7), so a repeated declaration is the same upload.
    pub id: String,
    pub case_id: CaseId,
    /// Display name only (checked by the domain: no path).
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// SHA-256 of the whole file, lower-case hex.
    pub sha256: String,
    pub uploader: UserId,
    pub uploader_name: String,
    pub created_at: DateTime<Utc>,
    pub status: AttachmentStatus,
    pub completed_at: Option<DateTime<Utc>>,
    pub has_thumbnail: bool,
}

/// What `declare_attachment` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declared {
    /// A new row (status uploading).
    Created(AttachmentRecord),
    /// The id was declared before: that row, unchanged.
    Existing(AttachmentRecord),
    /// The case's attachments (every row, uploading or complete) already hold `used`
    /// bytes and the new one would pass the limit given: nothing stored.
    CaseFull { used: u64 },
}

/// What `complete_attachment` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completed {
    /// Marked complete now, with the case's timeline entry appended.
    Now(AttachmentRecord),
    /// It was complete before: nothing changed.
    Before(AttachmentRecord),
}

pub trait AttachmentStore {
    /// In one write transaction (the case row locked, so parallel declarations on
    /// several instances count each other): an existing row with this id is returned
    /// as it is; else when the case's attachments plus `rec.size` stay within
    /// `max_case_bytes` the row is inserted; else nothing is stored.
    fn declare_attachment(
        &self,
        rec: &AttachmentRecord,
        max_case_bytes: u64,
    ) -> StoreResult<Declared>;
    fn attachment(&self, id: &str) -> StoreResult<Option<AttachmentRecord>>;
    /// The case's attachments, oldest first (both states).
    fn case_attachments(&self, case: CaseId) -> StoreResult<Vec<AttachmentRecord>>;
    /// Stores the chunk at `offset` unless a chunk is stored there already (a repeated
    /// chunk changes nothing). Returns the bytes received: the sum of the chunks'
    /// lengths. Unknown id: `NotFound`.
    fn put_attachment_chunk(&self, id: &str, offset: u64, data: &[u8]) -> StoreResult<u64>;
    /// The sum of the stored chunks' lengths.
    fn attachment_received(&self, id: &str) -> StoreResult<u64>;
    /// The stored chunks in offset order, concatenated.
    fn attachment_content(&self, id: &str) -> StoreResult<Vec<u8>>;
    /// Deletes the chunks of an upload (a corrupt transfer starts over).
    fn discard_attachment_chunks(&self, id: &str) -> StoreResult<()>;
    /// Deletes an upload that is not complete, with its chunks (a refused file leaves
    /// nothing). A complete one is kept; returns whether a row was deleted.
    fn delete_uploading_attachment(&self, id: &str) -> StoreResult<bool>;
    /// In one write transaction: when the row is still uploading, stores the thumbnail,
    /// marks it complete at `at` and runs `f` on its case like `Store::update_case` (the
    /// case's timeline entry); when it is complete already, changes nothing.
    fn complete_attachment(
        &self,
        org: &OrgTree,
        id: &str,
        thumbnail: Option<&[u8]>,
        at: DateTime<Utc>,
        f: &mut dyn FnMut(&Case, &TimelineEntry) -> StoreResult<CaseUpdate>,
    ) -> StoreResult<Completed>;
    fn attachment_thumbnail(&self, id: &str) -> StoreResult<Option<Vec<u8>>>;
}
