//! PostgreSQL side of `storage::accountability` (schema: sql/accountability.sql).

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
use postgres::types::ToSql;
use postgres::{GenericClient, Transaction};

use crate::{db, DbResult, PgStore};

fn ms(t: DateTime<Utc>) -> i64 {
    minsheng_store::ms(t)
}

fn version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn insert(tx: &mut Transaction<'_>, r: &AccountabilityRecord) -> DbResult<u64> {
    Ok(tx.execute(
        "INSERT INTO accountability(id, case_id, unit_id, state, opened_at, decided_at, version, search, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (case_id) DO NOTHING",
        &[
            &r.id.to_string(),
            &r.case_id.to_string(),
            &r.unit_id.to_string(),
            &r.state.code(),
            &ms(r.opened_at),
            &decided_at(r).map(ms),
            &version(r.version),
            &search_text(r),
            &serde_json::to_string(r)?,
        ],
    )?)
}

fn append(tx: &mut Transaction<'_>, e: &AccountabilityEntry) -> DbResult<()> {
    tx.execute(
        "INSERT INTO accountability_trail(record_id, seq, at, hash, data) VALUES ($1, $2, $3, $4, $5)",
        &[
            &e.record_id.to_string(),
            &version(e.seq),
            &ms(e.at),
            &e.hash,
            &serde_json::to_string(e)?,
        ],
    )?;
    Ok(())
}

/// Opens the record inside the case's write transaction, unless the case has one.
pub(crate) fn open(tx: &mut Transaction<'_>, o: &AccountabilityOpening) -> DbResult<()> {
    let mut rec = o.record.clone();
    rec.version = 1;
    if insert(tx, &rec)? == 1 {
        append(tx, &o.entry)?;
    }
    Ok(())
}

fn one(
    c: &mut impl GenericClient,
    sql: &str,
    key: String,
) -> DbResult<Option<AccountabilityRecord>> {
    let row = c.query_opt(sql, &[&key])?;
    Ok(row
        .map(|r| serde_json::from_str(r.get::<_, &str>(0)))
        .transpose()?)
}

fn trail(c: &mut impl GenericClient, id: AccountabilityId) -> DbResult<Vec<AccountabilityEntry>> {
    let mut out = Vec::new();
    for r in c.query(
        "SELECT data FROM accountability_trail WHERE record_id = $1 ORDER BY seq",
        &[&id.to_string()],
    )? {
        out.push(serde_json::from_str(r.get::<_, &str>(0))?);
    }
    Ok(out)
}

fn list(c: &mut impl GenericClient, q: &AccountabilityQuery) -> DbResult<AccountabilityPage> {
    let mut wh = vec!["TRUE".to_owned()];
    let mut args: Vec<String> = Vec::new();
    if let Some(s) = q.state {
        args.push(s.code().to_owned());
        wh.push(format!("state = ${}", args.len()));
    }
    if !q.units.is_empty() {
        let mut marks = Vec::new();
        for u in &q.units {
            args.push(u.to_string());
            marks.push(format!("${}", args.len()));
        }
        wh.push(format!("unit_id IN ({})", marks.join(",")));
    }
    if let Some(t) = q.text.as_deref().filter(|t| !t.trim().is_empty()) {
        args.push(t.trim().to_owned());
        wh.push(format!("strpos(search, ${}) > 0", args.len()));
    }
    let wh = wh.join(" AND ");
    let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
    let total: i64 = c
        .query_one(
            &format!("SELECT COUNT(*) FROM accountability WHERE {wh}"),
            &params,
        )?
        .get(0);
    let sql = format!(
        "SELECT data FROM accountability WHERE {wh} ORDER BY opened_at DESC, id DESC LIMIT {} OFFSET {}",
        q.limit, q.offset
    );
    let mut items = Vec::new();
    for r in c.query(&sql, &params)? {
        items.push(serde_json::from_str(r.get::<_, &str>(0))?);
    }
    Ok(AccountabilityPage {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}

impl AccountabilityStore for PgStore {
    fn accountability_records(&self, q: &AccountabilityQuery) -> StoreResult<AccountabilityPage> {
        db(|| self.read_snapshot(|tx| list(tx, q)))
    }

    fn accountability_record(
        &self,
        id: AccountabilityId,
    ) -> StoreResult<Option<AccountabilityRecord>> {
        db(|| {
            self.read(|c| {
                one(
                    c,
                    "SELECT data FROM accountability WHERE id = $1",
                    id.to_string(),
                )
            })
        })
    }

    fn accountability_of_case(&self, case: CaseId) -> StoreResult<Option<AccountabilityRecord>> {
        db(|| {
            self.read(|c| {
                one(
                    c,
                    "SELECT data FROM accountability WHERE case_id = $1",
                    case.to_string(),
                )
            })
        })
    }

    fn accountability_trail(&self, id: AccountabilityId) -> StoreResult<Vec<AccountabilityEntry>> {
        db(|| self.read(|c| trail(c, id)))
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
                    "SELECT data FROM accountability WHERE id = $1 FOR UPDATE",
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
                tx.execute(
                    "UPDATE accountability SET unit_id = $2, state = $3, decided_at = $4, version = $5,
                            search = $6, data = $7 WHERE id = $1",
                    &[
                        &next.id.to_string(),
                        &next.unit_id.to_string(),
                        &next.state.code(),
                        &decided_at(&next).map(ms),
                        &version(next.version),
                        &search_text(&next),
                        &serde_json::to_string(&next)?,
                    ],
                )?;
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
            self.read(|c| {
                let mut out = Vec::new();
                for r in c.query(
                    "SELECT data FROM accountability
                      WHERE state = $1 AND decided_at >= $2 AND decided_at < $3
                      ORDER BY decided_at, id",
                    &[&state.code(), &ms(from), &ms(to)],
                )? {
                    out.push(serde_json::from_str(r.get::<_, &str>(0))?);
                }
                Ok(out)
            })
        })
    }
}
