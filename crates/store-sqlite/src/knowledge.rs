//! SQLite side of the knowledge base (see `storage::knowledge`).

use crate::{db, DbResult};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

use super::{from_ms, ms, SqliteStore};
use crate::DbError;
use minsheng_store::knowledge::{
    KnowledgeQuery, KnowledgeStore, StandardReply, StandardReplyEdit, StandardReplyVersion,
};
use minsheng_store::StoreError;
use minsheng_store::StoreResult;

pub(super) const MIGRATION: &str = r"
CREATE TABLE standard_replies (
    id TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    version INTEGER NOT NULL,
    reviewed_at INTEGER,
    updated_by TEXT,
    updated_at INTEGER NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX standard_replies_category ON standard_replies(category, title);
CREATE TABLE standard_reply_versions (
    id TEXT NOT NULL REFERENCES standard_replies(id),
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (id, version)
);
";

const COLS: &str =
    "id, category, title, body, version, reviewed_at, updated_by, updated_at, retired";

fn reply_from_row(r: &Row<'_>) -> rusqlite::Result<StandardReply> {
    Ok(StandardReply {
        id: r.get("id")?,
        category: r.get("category")?,
        title: r.get("title")?,
        body: r.get("body")?,
        version: r.get::<_, i64>("version")?.try_into().unwrap_or_default(),
        reviewed_at: r.get::<_, Option<i64>>("reviewed_at")?.map(from_ms),
        updated_by: r.get("updated_by")?,
        updated_at: from_ms(r.get("updated_at")?),
        retired: r.get("retired")?,
    })
}

fn load(conn: &rusqlite::Connection, id: &str) -> DbResult<Option<StandardReply>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLS} FROM standard_replies WHERE id = ?1"),
            [id],
            reply_from_row,
        )
        .optional()?)
}

/// `text` as a LIKE pattern matching it anywhere, with `\` escaping.
pub(super) fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl KnowledgeStore for SqliteStore {
    fn list_standard_replies(&self, q: &KnowledgeQuery) -> StoreResult<Vec<StandardReply>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLS} FROM standard_replies
             WHERE (?1 IS NULL OR category = ?1)
               AND (?2 IS NULL OR title LIKE ?2 ESCAPE '\\' OR body LIKE ?2 ESCAPE '\\')
               AND (?3 OR retired = 0)
             ORDER BY category, title, id
             LIMIT ?4"
            ))?;
            let limit = i64::try_from(q.limit.max(1)).unwrap_or(i64::MAX);
            let rows = stmt.query_map(
                params![
                    q.category,
                    q.text.as_deref().map(like_pattern),
                    q.include_retired,
                    limit
                ],
                reply_from_row,
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn standard_reply(&self, id: &str) -> StoreResult<Option<StandardReply>> {
        db(|| {
            let conn = self.conn()?;
            load(&conn, id)
        })
    }

    fn standard_reply_versions(&self, id: &str) -> StoreResult<Vec<StandardReplyVersion>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached(
                "SELECT id, version, title, body, updated_by, updated_at
             FROM standard_reply_versions WHERE id = ?1 ORDER BY version",
            )?;
            let rows = stmt.query_map([id], |r| {
                Ok(StandardReplyVersion {
                    id: r.get(0)?,
                    version: r.get::<_, i64>(1)?.try_into().unwrap_or_default(),
                    title: r.get(2)?,
                    body: r.get(3)?,
                    updated_by: r.get(4)?,
                    updated_at: from_ms(r.get(5)?),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn insert_standard_reply(&self, r: &StandardReply) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
            tx.execute(
                &format!(
                    "INSERT INTO standard_replies({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ),
                params![
                    r.id,
                    r.category,
                    r.title,
                    r.body,
                    i64::try_from(r.version).unwrap_or(i64::MAX),
                    r.reviewed_at.map(ms),
                    r.updated_by,
                    ms(r.updated_at),
                    r.retired
                ],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    DbError::Store(StoreError::AlreadyExists(format!("答复口径“{}”", r.id)))
                }
                e => e.into(),
            })?;
            Ok(())
        })
        })
    }

    fn update_standard_reply(
        &self,
        id: &str,
        expected_version: u64,
        edit: &StandardReplyEdit,
    ) -> StoreResult<StandardReply> {
        db(|| {
            self.write(|tx| {
            let cur = load(tx, id)?.ok_or(StoreError::NotFound("答复口径"))?;
            if cur.version != expected_version {
                return Err(StoreError::StaleVersion {
                    current: cur.version,
                }.into());
            }
            let old_version = i64::try_from(cur.version).unwrap_or(i64::MAX);
            tx.execute(
                "INSERT INTO standard_reply_versions(id, version, title, body, updated_by, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![cur.id, old_version, cur.title, cur.body, cur.updated_by, ms(cur.updated_at)],
            )?;
            tx.execute(
                "UPDATE standard_replies SET category = ?2, title = ?3, body = ?4,
                   version = version + 1, updated_by = ?5, updated_at = ?6
                 WHERE id = ?1",
                params![
                    id,
                    edit.category,
                    edit.title,
                    edit.body,
                    edit.updated_by,
                    ms(edit.updated_at)
                ],
            )?;
            load(tx, id)?.ok_or(StoreError::NotFound("答复口径").into())
        })
        })
    }

    fn mark_standard_reply_reviewed(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<StandardReply>> {
        db(|| {
            self.write(|tx| {
                tx.execute(
                    "UPDATE standard_replies SET reviewed_at = ?2 WHERE id = ?1",
                    params![id, ms(at)],
                )?;
                load(tx, id)
            })
        })
    }

    fn retire_standard_reply(
        &self,
        id: &str,
        by: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<StandardReply>> {
        db(|| {
            self.write(|tx| {
                tx.execute(
                    "UPDATE standard_replies SET retired = 1, updated_by = ?2, updated_at = ?3
                 WHERE id = ?1",
                    params![id, by, ms(at)],
                )?;
                load(tx, id)
            })
        })
    }
}
