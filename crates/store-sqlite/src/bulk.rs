//! SQLite side of `storage::bulk` (keyed bulk imports).

use crate::db;
use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::{CaseId, UserId};
use minsheng_domain::org::OrgTree;
use minsheng_domain::timeline::TimelineEntry;
use rusqlite::{params, OptionalExtension};

use super::{ms, parse_id, SqliteStore};
use minsheng_store::bulk::{BulkImportStore, ImportStart};
use minsheng_store::StoreError;
use minsheng_store::StoreResult;

pub(super) const MIGRATION: &str = r"
-- Bulk imports by (user, Idempotency-Key): the request's hash; its answer once sent.
CREATE TABLE bulk_imports (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    answer TEXT,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
-- The case each stored row of a keyed import became (written with the case).
CREATE TABLE bulk_import_rows (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    row INTEGER NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (user_id, key, row)
) WITHOUT ROWID;
";

fn row_index(v: i64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

impl BulkImportStore for SqliteStore {
    fn begin_bulk_import(
        &self,
        user: UserId,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ImportStart> {
        db(|| {
            let user = user.to_string();
            self.write(|tx| {
                let found: Option<(String, Option<String>)> = tx
                .query_row(
                    "SELECT request_hash, answer FROM bulk_imports WHERE user_id = ?1 AND key = ?2",
                    params![user, key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
                match found {
                    None => {
                        tx.execute(
                            "INSERT INTO bulk_imports(user_id, key, request_hash, created_at)
                         VALUES (?1, ?2, ?3, ?4)",
                            params![user, key, request_hash, ms(now)],
                        )?;
                        Ok(ImportStart::Open(Vec::new()))
                    }
                    Some((hash, _)) if hash != request_hash => Ok(ImportStart::Mismatch),
                    Some((_, Some(answer))) => {
                        Ok(ImportStart::Done(serde_json::from_str(&answer)?))
                    }
                    Some((_, None)) => {
                        let rows: Vec<(i64, String)> = tx
                            .prepare(
                                "SELECT row, case_id FROM bulk_import_rows
                             WHERE user_id = ?1 AND key = ?2 ORDER BY row",
                            )?
                            .query_map(params![user, key], |r| Ok((r.get(0)?, r.get(1)?)))?
                            .collect::<Result<_, _>>()?;
                        let mut out = Vec::with_capacity(rows.len());
                        for (row, id) in rows {
                            let id: CaseId = parse_id(&id)?;
                            let c = super::cases::get_case(tx, id)?.ok_or_else(|| {
                                StoreError::Internal(format!(
                                    "bulk import row {row}: case {id} missing"
                                ))
                            })?;
                            out.push((row_index(row), c));
                        }
                        Ok(ImportStart::Open(out))
                    }
                }
            })
        })
    }

    fn insert_import_cases(
        &self,
        org: &OrgTree,
        user: UserId,
        key: &str,
        rows: Vec<(usize, Case, Vec<TimelineEntry>)>,
    ) -> StoreResult<Vec<(usize, Case)>> {
        db(|| {
            let user = user.to_string();
            self.write(|tx| {
                let mut out = Vec::with_capacity(rows.len());
                for (row, case, entries) in rows {
                    let index = i64::try_from(row).unwrap_or(i64::MAX);
                    let earlier: Option<String> = tx
                        .prepare_cached(
                            "SELECT case_id FROM bulk_import_rows
                         WHERE user_id = ?1 AND key = ?2 AND row = ?3",
                        )?
                        .query_row(params![user, key, index], |r| r.get(0))
                        .optional()?;
                    if let Some(id) = earlier {
                        if let Some(c) = super::cases::get_case(tx, parse_id(&id)?)? {
                            out.push((row, c));
                            continue;
                        }
                    }
                    let stored = super::cases::insert_cases(tx, org, vec![(case, entries)])?;
                    for c in stored {
                        tx.prepare_cached(
                            "INSERT INTO bulk_import_rows(user_id, key, row, case_id)
                         VALUES (?1, ?2, ?3, ?4)",
                        )?
                        .execute(params![
                            user,
                            key,
                            index,
                            c.id.to_string()
                        ])?;
                        out.push((row, c));
                    }
                }
                Ok(out)
            })
        })
    }

    fn finish_bulk_import(
        &self,
        user: UserId,
        key: &str,
        answer: &serde_json::Value,
    ) -> StoreResult<serde_json::Value> {
        db(|| {
            let user = user.to_string();
            self.write(|tx| {
                tx.execute(
                    "UPDATE bulk_imports SET answer = ?3
                 WHERE user_id = ?1 AND key = ?2 AND answer IS NULL",
                    params![user, key, answer.to_string()],
                )?;
                let stored: Option<String> = tx
                    .query_row(
                        "SELECT answer FROM bulk_imports WHERE user_id = ?1 AND key = ?2",
                        params![user, key],
                        |r| r.get(0),
                    )
                    .optional()?
                    .flatten();
                Ok(match stored {
                    Some(a) => serde_json::from_str(&a)?,
                    None => answer.clone(),
                })
            })
        })
    }
}
