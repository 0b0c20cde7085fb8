//! SQLite side of `storage::accountability`: 责任倒查 records (one per case at most)
//! and their trails, which the database keeps append-only.

use chrono::{DateTime, Utc};
use minsheng_domain::accountability::{
    AccountabilityEntry, AccountabilityRecord, AccountabilityState,
};
use minsheng_domain::ids::{AccountabilityId, CaseId};
use minsheng_store::accountability::{
    decided_at, search_text, AccountabilityOpening, AccountabilityPage, AccountabilityQuery,
    AccountabilityStepFn, AccountabilityStore,
};
use minsheng_store::{StoreError, StoreResult};
use rusqlite::{params_from_iter, Connection, OptionalExtension, Transaction};

use crate::{db, ms, DbResult, SqliteStore};

/// Migration 18: the records (the document, and the columns lists filter on) and
/// their hash-chained trails, which cannot be edited or deleted.
pub(super) const MIGRATION: &str = "
CREATE TABLE accountability (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL UNIQUE,
    unit_id TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    decided_at INTEGER,
    version INTEGER NOT NULL,
    search TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX accountability_opened ON accountability(opened_at DESC, id DESC);
CREATE INDEX accountability_decided ON accountability(state, decided_at);
CREATE TABLE accountability_trail (
    record_id TEXT NOT NULL REFERENCES accountability(id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    hash TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (record_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER accountability_trail_no_update BEFORE UPDATE ON accountability_trail
BEGIN SELECT RAISE(ABORT, 'accountability trail is append-only'); END;
CREATE TRIGGER accountability_trail_no_delete BEFORE DELETE ON accountability_trail
BEGIN SELECT RAISE(ABORT, 'accountability trail is append-only'); END;
";

fn write_record(tx: &Transaction<'_>, r: &AccountabilityRecord, insert: bool) -> DbResult<usize> {
    let data = serde_json::to_string(r)?;
    let decided = decided_at(r).map(ms);
    let n = if insert {
        tx.prepare_cached(
            "INSERT INTO accountability(id, case_id, unit_id, state, opened_at, decided_at, version, search, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(case_id) DO NOTHING",
        )?
        .execute(rusqlite::params![
            r.id.to_string(),
            r.case_id.to_string(),
            r.unit_id.to_string(),
            r.state.code(),
            ms(r.opened_at),
            decided,
            r.version as i64,
            search_text(r),
            data
        ])?
    } else {
        tx.prepare_cached(
            "UPDATE accountability SET unit_id = ?2, state = ?3, decided_at = ?4, version = ?5,
                    search = ?6, data = ?7 WHERE id = ?1",
        )?
        .execute(rusqlite::params![
            r.id.to_string(),
            r.unit_id.to_string(),
            r.state.code(),
            decided,
            r.version as i64,
            search_text(r),
            data
        ])?
    };
    Ok(n)
}

fn append(tx: &Transaction<'_>, e: &AccountabilityEntry) -> DbResult<()> {
    tx.prepare_cached(
        "INSERT INTO accountability_trail(record_id, seq, at, hash, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![
        e.record_id.to_string(),
        e.seq as i64,
        ms(e.at),
        e.hash,
        serde_json::to_string(e)?
    ])?;
    Ok(())
}

/// Opens the record inside the case's write transaction, unless the case has one.
pub(crate) fn open(tx: &Transaction<'_>, o: &AccountabilityOpening) -> DbResult<()> {
    let mut rec = o.record.clone();
    rec.version = 1;
    if write_record(tx, &rec, true)? == 1 {
        append(tx, &o.entry)?;
    }
    Ok(())
}

fn one(conn: &Connection, sql: &str, key: String) -> DbResult<Option<AccountabilityRecord>> {
    let data: Option<String> = conn
        .prepare_cached(sql)?
        .query_row([key], |r| r.get(0))
        .optional()?;
    Ok(data.map(|d| serde_json::from_str(&d)).transpose()?)
}

fn trail(conn: &Connection, id: AccountabilityId) -> DbResult<Vec<AccountabilityEntry>> {
    let mut st = conn.prepare_cached(
        "SELECT data FROM accountability_trail WHERE record_id = ?1 ORDER BY seq",
    )?;
    let rows = st.query_map([id.to_string()], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(serde_json::from_str(&r?)?);
    }
    Ok(out)
}

fn list(conn: &Connection, q: &AccountabilityQuery) -> DbResult<AccountabilityPage> {
    let mut wh = vec!["1 = 1".to_owned()];
    let mut args: Vec<String> = Vec::new();
    if let Some(s) = q.state {
        args.push(s.code().to_owned());
        wh.push(format!("state = ?{}", args.len()));
    }
    if !q.units.is_empty() {
        let mut marks = Vec::new();
        for u in &q.units {
            args.push(u.to_string());
            marks.push(format!("?{}", args.len()));
        }
        wh.push(format!("unit_id IN ({})", marks.join(",")));
    }
    if let Some(t) = q.text.as_deref().filter(|t| !t.trim().is_empty()) {
        args.push(t.trim().to_owned());
        wh.push(format!("instr(search, ?{}) > 0", args.len()));
    }
    let wh = wh.join(" AND ");
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM accountability WHERE {wh}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT data FROM accountability WHERE {wh} ORDER BY opened_at DESC, id DESC LIMIT {} OFFSET {}",
        q.limit, q.offset
    );
    let mut st = conn.prepare(&sql)?;
    let rows = st.query_map(params_from_iter(args.iter()), |r| r.get::<_, String>(0))?;
    let mut items = Vec::new();
    for r in rows {
        items.push(serde_json::from_str(&r?)?);
    }
    Ok(AccountabilityPage {
        items,
        total: total.unsigned_abs(),
    })
}

impl AccountabilityStore for SqliteStore {
    fn accountability_records(&self, q: &AccountabilityQuery) -> StoreResult<AccountabilityPage> {
        db(|| list(&*self.conn()?, q))
    }

    fn accountability_record(
        &self,
        id: AccountabilityId,
    ) -> StoreResult<Option<AccountabilityRecord>> {
        db(|| {
            one(
                &*self.conn()?,
                "SELECT data FROM accountability WHERE id = ?1",
                id.to_string(),
            )
        })
    }

    fn accountability_of_case(&self, case: CaseId) -> StoreResult<Option<AccountabilityRecord>> {
        db(|| {
            one(
                &*self.conn()?,
                "SELECT data FROM accountability WHERE case_id = ?1",
                case.to_string(),
            )
        })
    }

    fn accountability_trail(&self, id: AccountabilityId) -> StoreResult<Vec<AccountabilityEntry>> {
        db(|| trail(&*self.conn()?, id))
    }

    fn update_accountability(
        &self,
        id: AccountabilityId,
        expected_version: Option<u64>,
        f: &mut AccountabilityStepFn<'_>,
    ) -> StoreResult<AccountabilityRecord> {
        db(|| {
            self.write(|tx| {
                let current = one(
                    tx,
                    "SELECT data FROM accountability WHERE id = ?1",
                    id.to_string(),
                )?
                .ok_or(StoreError::NotFound("责任倒查记录"))?;
                if expected_version.is_some_and(|v| v != current.version) {
                    return Err(StoreError::StaleVersion {
                        current: current.version,
                    }
                    .into());
                }
                let last = trail(tx, id)?
                    .pop()
                    .ok_or_else(|| StoreError::Internal("accountability trail empty".into()))?;
                let (mut next, entry) = f(&current, &last)?;
                next.version = current.version + 1;
                write_record(tx, &next, false)?;
                append(tx, &entry)?;
                Ok(next)
            })
        })
    }

    fn accountability_decided(
        &self,
        state: AccountabilityState,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<AccountabilityRecord>> {
        db(|| {
            let conn = self.conn()?;
            let mut st = conn.prepare_cached(
                "SELECT data FROM accountability
                  WHERE state = ?1 AND decided_at >= ?2 AND decided_at < ?3 ORDER BY decided_at, id",
            )?;
            let rows = st.query_map(rusqlite::params![state.code(), ms(from), ms(to)], |r| {
                r.get::<_, String>(0)
            })?;
            let mut out = Vec::new();
            for r in rows {
                out.push(serde_json::from_str(&r?)?);
            }
            Ok(out)
        })
    }
}
