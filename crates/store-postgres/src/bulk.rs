//! PostgreSQL: `BulkImportStore` (keyed bulk imports, see `minsheng_store::bulk`).
//!
//! Concurrency: two attempts under one key may run at once (a client retrying while the
//! first request is still being processed, on another instance). The key is recorded
//! with `INSERT … ON CONFLICT DO NOTHING` (the second waits for the first's insert to
//! commit, then reads it); each row is claimed in `bulk_import_rows` *before* its case
//! is stored, with the same statement, so of two attempts storing row N one claims it
//! and stores the case, and the other waits for that commit and returns the stored
//! case instead; the answer is written only while none is (`answer IS NULL`, re-checked
//! after the row lock), so every retry gets the first answer.

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::{CaseId, UserId};
use minsheng_domain::org::OrgTree;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_store::bulk::{BulkImportStore, ImportStart};
use minsheng_store::{StoreError, StoreResult};
use postgres::Transaction;

use crate::cases::{get_case, insert_cases};
use crate::{db, ms, parse_id, DbResult, PgStore};

fn row_index(v: i64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// The case recorded for `row` of an import; a record without its case is a broken
/// invariant (both are written in one transaction).
fn recorded_case(tx: &mut Transaction<'_>, row: i64, id: &str) -> DbResult<Case> {
    let id: CaseId = parse_id(id)?;
    Ok(get_case(tx, id)?
        .ok_or_else(|| StoreError::Internal(format!("bulk import row {row}: case {id} missing")))?)
}

impl BulkImportStore for PgStore {
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
                let inserted = tx.execute(
                    "INSERT INTO bulk_imports(user_id, key, request_hash, created_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, key) DO NOTHING",
                    &[&user, &key, &request_hash, &ms(now)],
                )?;
                if inserted == 1 {
                    return Ok(ImportStart::Open(Vec::new()));
                }
                let found = tx.query_one(
                    "SELECT request_hash, answer FROM bulk_imports WHERE user_id = $1 AND key = $2",
                    &[&user, &key],
                )?;
                let hash: String = found.try_get(0)?;
                let answer: Option<String> = found.try_get(1)?;
                if hash != request_hash {
                    return Ok(ImportStart::Mismatch);
                }
                if let Some(answer) = answer {
                    return Ok(ImportStart::Done(serde_json::from_str(&answer)?));
                }
                let rows: Vec<(i64, String)> = tx
                    .query(
                        "SELECT row, case_id FROM bulk_import_rows
                          WHERE user_id = $1 AND key = $2 ORDER BY row",
                        &[&user, &key],
                    )?
                    .iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .collect::<DbResult<_>>()?;
                let mut out = Vec::with_capacity(rows.len());
                for (row, id) in rows {
                    out.push((row_index(row), recorded_case(tx, row, &id)?));
                }
                Ok(ImportStart::Open(out))
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
            self.write_cases(|tx| {
                let mut out = Vec::with_capacity(rows.len());
                for (row, case, entries) in rows {
                    let index = i64::try_from(row).unwrap_or(i64::MAX);
                    let id = case.id.to_string();
                    // Claim the row first: an attempt that claimed it before (committed,
                    // or committing while this one waits here) keeps it.
                    let claimed = tx.execute(
                        "INSERT INTO bulk_import_rows(user_id, key, row, case_id)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (user_id, key, row) DO NOTHING",
                        &[&user, &key, &index, &id],
                    )?;
                    if claimed == 0 {
                        let earlier: String = tx
                            .query_one(
                                "SELECT case_id FROM bulk_import_rows
                                  WHERE user_id = $1 AND key = $2 AND row = $3",
                                &[&user, &key, &index],
                            )?
                            .try_get(0)?;
                        out.push((row, recorded_case(tx, index, &earlier)?));
                        continue;
                    }
                    for c in insert_cases(tx, org, vec![(case, entries)])? {
                        let stored = c.id.to_string();
                        if stored != id {
                            tx.execute(
                                "UPDATE bulk_import_rows SET case_id = $4
                                  WHERE user_id = $1 AND key = $2 AND row = $3",
                                &[&user, &key, &index, &stored],
                            )?;
                        }
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
                    "UPDATE bulk_imports SET answer = $3
                      WHERE user_id = $1 AND key = $2 AND answer IS NULL",
                    &[&user, &key, &answer.to_string()],
                )?;
                let stored: Option<String> = tx
                    .query_opt(
                        "SELECT answer FROM bulk_imports WHERE user_id = $1 AND key = $2",
                        &[&user, &key],
                    )?
                    .map(|r| r.try_get(0))
                    .transpose()?
                    .flatten();
                Ok(match stored {
                    Some(a) => serde_json::from_str(&a)?,
                    None => answer.clone(),
                })
            })
        })
    }
}
