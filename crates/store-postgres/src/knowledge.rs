//! PostgreSQL: `KnowledgeStore` (not ported yet where a method says so).
#![allow(unused_imports, unused_variables, clippy::wildcard_imports)]

use chrono::{DateTime, Utc};
use minsheng_store::knowledge::*;
use minsheng_store::StoreResult;
use minsheng_store::*;
use serde::Serialize;

use crate::PgStore;

impl minsheng_store::knowledge::KnowledgeStore for PgStore {
    fn list_standard_replies(&self, q: &KnowledgeQuery) -> StoreResult<Vec<StandardReply>> {
        todo!("PostgreSQL: list_standard_replies not ported yet")
    }

    fn standard_reply(&self, id: &str) -> StoreResult<Option<StandardReply>> {
        todo!("PostgreSQL: standard_reply not ported yet")
    }

    fn standard_reply_versions(&self, id: &str) -> StoreResult<Vec<StandardReplyVersion>> {
        todo!("PostgreSQL: standard_reply_versions not ported yet")
    }

    fn insert_standard_reply(&self, r: &StandardReply) -> StoreResult<()> {
        todo!("PostgreSQL: insert_standard_reply not ported yet")
    }

    fn update_standard_reply(
        &self,
        id: &str,
        expected_version: u64,
        edit: &StandardReplyEdit,
    ) -> StoreResult<StandardReply> {
        todo!("PostgreSQL: update_standard_reply not ported yet")
    }

    fn mark_standard_reply_reviewed(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<StandardReply>> {
        todo!("PostgreSQL: mark_standard_reply_reviewed not ported yet")
    }

    fn retire_standard_reply(
        &self,
        id: &str,
        by: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<StandardReply>> {
        todo!("PostgreSQL: retire_standard_reply not ported yet")
    }
}
