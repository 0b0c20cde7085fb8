//! Storage of the knowledge base (知识库 / 规范答复口径): standard replies per category,
//! versioned (every replaced version is kept), with a "last reviewed" time and a
//! retired flag. The store only reads and writes; who may change what, and the limits
//! of the texts, are decided by the handlers.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreResult;

/// A standard reply as stored. `version` starts at 1 and grows with every content edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StandardReply {
    pub id: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub version: u64,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// User id of the last editor (None for seeded rows).
    pub updated_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub retired: bool,
}

/// A replaced version of a standard reply (the text as it was).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StandardReplyVersion {
    pub id: String,
    pub version: u64,
    pub title: String,
    pub body: String,
    pub updated_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Filters of the list: exact category, and `text` as a substring of title or body.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeQuery {
    pub category: Option<String>,
    pub text: Option<String>,
    pub include_retired: bool,
    pub limit: usize,
}

/// A content edit: the new category, title and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardReplyEdit {
    pub category: String,
    pub title: String,
    pub body: String,
    pub updated_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

pub trait KnowledgeStore {
    /// Standard replies matching `q`, by category then title.
    fn list_standard_replies(&self, q: &KnowledgeQuery) -> StoreResult<Vec<StandardReply>>;
    fn standard_reply(&self, id: &str) -> StoreResult<Option<StandardReply>>;
    /// The replaced versions of a reply, oldest first.
    fn standard_reply_versions(&self, id: &str) -> StoreResult<Vec<StandardReplyVersion>>;
    fn insert_standard_reply(&self, r: &StandardReply) -> StoreResult<()>;
    /// In one write transaction: the current row must have `expected_version`
    /// (else `StoreError::StaleVersion`; unknown id `NotFound`); the current text is kept
    /// as a version row and the edit is written with version + 1. Returns the new row.
    fn update_standard_reply(
        &self,
        id: &str,
        expected_version: u64,
        edit: &StandardReplyEdit,
    ) -> StoreResult<StandardReply>;
    /// Sets `reviewed_at` (the text and version stay). None when the id is unknown.
    fn mark_standard_reply_reviewed(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<StandardReply>>;
    /// Sets the retired flag. None when the id is unknown.
    fn retire_standard_reply(
        &self,
        id: &str,
        by: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<StandardReply>>;
}
