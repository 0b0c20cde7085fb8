//! PostgreSQL: `KnowledgeStore` (the knowledge base, see `minsheng_store::knowledge`).
//!
//! Text is ordered `COLLATE "C"` (code point order, as SQLite's BINARY) whatever the
//! database's locale, and matched case-insensitively for ASCII like SQLite's `LIKE`
//! (`LOWER(…) LIKE LOWER(…)`, plain SQL rather than PostgreSQL's `ILIKE`). The LIKE
//! escape is `!`: what a backslash in a string literal means depends on
//! `standard_conforming_strings`.

use chrono::{DateTime, Utc};
use minsheng_store::knowledge::{
    KnowledgeQuery, KnowledgeStore, StandardReply, StandardReplyEdit, StandardReplyVersion,
};
use minsheng_store::{StoreError, StoreResult};
use postgres::{GenericClient, Row};

use crate::{db, from_ms, ms, DbResult, PgStore};

const COLS: &str =
    "id, category, title, body, version, reviewed_at, updated_by, updated_at, retired";

/// `text` as a LIKE pattern matching it anywhere, escaped with `!` (use `ESCAPE '!'`).
pub(crate) fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            p.push('!');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn version_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

fn reply_from_row(r: &Row) -> DbResult<StandardReply> {
    Ok(StandardReply {
        id: r.try_get("id")?,
        category: r.try_get("category")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        version: version_of(r.try_get("version")?),
        reviewed_at: r.try_get::<_, Option<i64>>("reviewed_at")?.map(from_ms),
        updated_by: r.try_get("updated_by")?,
        updated_at: from_ms(r.try_get("updated_at")?),
        retired: r.try_get("retired")?,
    })
}

fn load(c: &mut impl GenericClient, id: &str, lock: bool) -> DbResult<Option<StandardReply>> {
    let sql = format!(
        "SELECT {COLS} FROM standard_replies WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    c.query_opt(&sql, &[&id])?
        .as_ref()
        .map(reply_from_row)
        .transpose()
}

impl KnowledgeStore for PgStore {
    fn list_standard_replies(&self, q: &KnowledgeQuery) -> StoreResult<Vec<StandardReply>> {
        db(|| {
            let limit = i64::try_from(q.limit.max(1)).unwrap_or(i64::MAX);
            let pattern = q.text.as_deref().map(like_pattern);
            let rows = self.read(|c| {
                Ok(c.query(
                    &format!(
                        "SELECT {COLS} FROM standard_replies
                          WHERE (CAST($1 AS TEXT) IS NULL OR category = $1)
                            AND (CAST($2 AS TEXT) IS NULL
                                 OR LOWER(title) LIKE LOWER($2) ESCAPE '!'
                                 OR LOWER(body) LIKE LOWER($2) ESCAPE '!')
                            AND ($3 OR NOT retired)
                          ORDER BY category COLLATE \"C\", title COLLATE \"C\", id COLLATE \"C\"
                          LIMIT $4"
                    ),
                    &[&q.category, &pattern, &q.include_retired, &limit],
                )?)
            })?;
            rows.iter().map(reply_from_row).collect()
        })
    }

    fn standard_reply(&self, id: &str) -> StoreResult<Option<StandardReply>> {
        db(|| self.read(|c| load(c, id, false)))
    }

    fn standard_reply_versions(&self, id: &str) -> StoreResult<Vec<StandardReplyVersion>> {
        db(|| {
            let rows = self.read(|c| {
                Ok(c.query(
                    "SELECT id, version, title, body, updated_by, updated_at
                       FROM standard_reply_versions WHERE id = $1 ORDER BY version",
                    &[&id],
                )?)
            })?;
            rows.iter()
                .map(|r| {
                    Ok(StandardReplyVersion {
                        id: r.try_get(0)?,
                        version: version_of(r.try_get(1)?),
                        title: r.try_get(2)?,
                        body: r.try_get(3)?,
                        updated_by: r.try_get(4)?,
                        updated_at: from_ms(r.try_get(5)?),
                    })
                })
                .collect()
        })
    }

    fn insert_standard_reply(&self, r: &StandardReply) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                let version = i64::try_from(r.version).unwrap_or(i64::MAX);
                tx.execute(
                    &format!(
                        "INSERT INTO standard_replies({COLS})
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                    ),
                    &[
                        &r.id,
                        &r.category,
                        &r.title,
                        &r.body,
                        &version,
                        &r.reviewed_at.map(ms),
                        &r.updated_by,
                        &ms(r.updated_at),
                        &r.retired,
                    ],
                )
                .map_err(|e| {
                    let e = crate::DbError::from(e);
                    if e.is_unique_violation() {
                        StoreError::AlreadyExists(format!("答复口径“{}”", r.id)).into()
                    } else {
                        e
                    }
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
                // The row stays locked until commit: a concurrent edit of the same reply
                // waits here and then finds the version this one wrote (StaleVersion).
                let cur = load(tx, id, true)?.ok_or(StoreError::NotFound("答复口径"))?;
                if cur.version != expected_version {
                    return Err(StoreError::StaleVersion {
                        current: cur.version,
                    }
                    .into());
                }
                let old_version = i64::try_from(cur.version).unwrap_or(i64::MAX);
                tx.execute(
                    "INSERT INTO standard_reply_versions(id, version, title, body, updated_by, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &cur.id,
                        &old_version,
                        &cur.title,
                        &cur.body,
                        &cur.updated_by,
                        &ms(cur.updated_at),
                    ],
                )?;
                let row = tx.query_one(
                    &format!(
                        "UPDATE standard_replies SET category = $2, title = $3, body = $4,
                           version = version + 1, updated_by = $5, updated_at = $6
                         WHERE id = $1 RETURNING {COLS}"
                    ),
                    &[
                        &id,
                        &edit.category,
                        &edit.title,
                        &edit.body,
                        &edit.updated_by,
                        &ms(edit.updated_at),
                    ],
                )?;
                reply_from_row(&row)
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
                tx.query_opt(
                    &format!(
                        "UPDATE standard_replies SET reviewed_at = $2 WHERE id = $1 RETURNING {COLS}"
                    ),
                    &[&id, &ms(at)],
                )?
                .as_ref()
                .map(reply_from_row)
                .transpose()
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
                tx.query_opt(
                    &format!(
                        "UPDATE standard_replies SET retired = TRUE, updated_by = $2, updated_at = $3
                         WHERE id = $1 RETURNING {COLS}"
                    ),
                    &[&id, &by, &ms(at)],
                )?
                .as_ref()
                .map(reply_from_row)
                .transpose()
            })
        })
    }
}
