//! The facts position, the cases to (re)derive, and `write_facts`: fact rows per case
//! and per stint, and the rollup rows kept in step with them by signed deltas
//! (`minsheng_store::rollup`) in the same transaction.
//!
//! Concurrency. On SQLite `write_facts` reads a case's old rows, then subtracts what they
//! added to the rollups: right because there is one writer. Here several instances may
//! run the facts worker at once, so:
//! * Every facts transaction first locks the one `facts_position` row (`FOR UPDATE`):
//!   facts transactions run one at a time across instances, so the old rows a writer
//!   reads are exactly the ones its deltas take away, and the duplicate attribution
//!   (which reads *other* cases' rows: a duplicate counts for its master's handling
//!   unit) sees every committed master. Per-case locks would not cover that cross-case
//!   read without lock-ordering trouble, and facts writing is a background batch job
//!   (one instance keeps up with the change log), so serialising it costs nothing that
//!   matters; reads never wait for it (MVCC).
//! * The rollups are still changed only by atomic upserts (`n = t.n + excluded.n`),
//!   never read-modify-written in Rust.
//! * The position only moves forward (`GREATEST`): a writer that read an older stretch
//!   of the change log must not move it back.
//! * A lagging writer never puts older facts over newer ones. A writer derives a case
//!   from the case as it read it, after seeing the change log up to its `position`.
//!   If, under the lock, the stored position is already beyond it and the case has a
//!   change in `(position, stored]`, another writer covered that newer change, so it
//!   read the case after it and has written facts at least as new: this writer leaves
//!   the case alone. (A change beyond `stored` is left to whoever covers it; with one
//!   writer the stored position is never beyond the writer's, and nothing is skipped.)

use std::collections::{HashMap, HashSet};

use minsheng_domain::calendar::{beijing_day, beijing_hour_of_ms, month_of_day};
use minsheng_domain::case::Case;
use minsheng_domain::ids::CaseId;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_store::assessment::{CaseFacts, FactCase};
use minsheng_store::rollup::{self, CaseRow, RollupDeltas};
use minsheng_store::{Store, StoreResult};
use postgres::Transaction;

use super::{big, opt_ms, stint_from_row, STINT_COLUMNS};
use crate::{ms, parse_id, DbResult, PgStore};

pub(super) fn position(store: &PgStore) -> DbResult<u64> {
    store.read(|c| {
        let v: i64 = c
            .query_one(
                "SELECT value FROM assess_meta WHERE key = 'facts_position'",
                &[],
            )?
            .try_get(0)?;
        Ok(u64::try_from(v).unwrap_or(0))
    })
}

pub(super) fn changed_cases(
    store: &PgStore,
    after: u64,
    limit: usize,
) -> DbResult<(Vec<CaseId>, u64)> {
    store.read(|c| {
        let rows = c.query(
            "SELECT seq, case_id FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&big(after), &big(limit)],
        )?;
        let mut ids = Vec::new();
        let mut seen = HashSet::new();
        let mut pos = after;
        for r in &rows {
            let seq: i64 = r.try_get(0)?;
            let id: &str = r.try_get(1)?;
            pos = u64::try_from(seq).unwrap_or(pos);
            if seen.insert(id.to_owned()) {
                ids.push(parse_id(id)?);
            }
        }
        Ok((ids, pos))
    })
}

/// Through the core contract's readers, so this area does not depend on how the core
/// stores a case. A write in between is harmless: it is a change after the position the
/// caller read the log to, so the next pass derives the case again.
pub(super) fn cases_with_timelines(
    store: &PgStore,
    ids: &[CaseId],
) -> DbResult<Vec<(Case, Vec<TimelineEntry>)>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(c) = store.case(*id)? {
            out.push((c, store.timeline(*id)?));
        }
    }
    Ok(out)
}

pub(super) fn for_each_case_timeline(
    store: &PgStore,
    f: &mut dyn FnMut(Case, Vec<TimelineEntry>) -> StoreResult<()>,
) -> DbResult<u64> {
    let ids: Vec<String> = store.read(|c| {
        Ok(c.query("SELECT id FROM cases ORDER BY id", &[])?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?)
    })?;
    let mut n = 0;
    for id in ids {
        let id: CaseId = parse_id(&id)?;
        if let Some(c) = store.case(id)? {
            let t = store.timeline(id)?;
            f(c, t)?;
            n += 1;
        }
    }
    Ok(n)
}

pub(super) fn write(store: &PgStore, facts: &[CaseFacts], position: u64) -> DbResult<()> {
    let position = big(position);
    store.write(|tx| {
        // Facts transactions one at a time across instances (see the module comment).
        let stored: i64 = tx
            .query_one(
                "SELECT value FROM assess_meta WHERE key = 'facts_position' FOR UPDATE",
                &[],
            )?
            .try_get(0)?;
        // A case given twice: the last one is what it is left with.
        let mut last: HashMap<CaseId, usize> = HashMap::new();
        for (i, f) in facts.iter().enumerate() {
            last.insert(f.case.case_id, i);
        }
        let mut batch: Vec<&CaseFacts> = facts
            .iter()
            .enumerate()
            .filter(|(i, f)| last.get(&f.case.case_id) == Some(i))
            .map(|(_, f)| f)
            .collect();
        if stored > position {
            let ids: Vec<String> = batch.iter().map(|f| f.case.case_id.to_string()).collect();
            let newer = covered_later(tx, &ids, position, stored)?;
            if !newer.is_empty() {
                tracing::debug!(
                    skipped = newer.len(),
                    position,
                    stored,
                    "facts: cases already derived by a later pass left as they are"
                );
            }
            batch.retain(|f| !newer.contains(&f.case.case_id.to_string()));
        }
        let ids: Vec<String> = batch.iter().map(|f| f.case.case_id.to_string()).collect();

        let mut deltas = RollupDeltas::default();
        // Take away what the cases' old rows added to the rollups.
        for old in load_case_rows(tx, &ids)? {
            deltas.case(&old, -1);
            if let (Some(m), Some(u)) = (old.merged_at, &old.dup_unit) {
                deltas.duplicate(m, u, -1);
            }
        }
        let old_stints = tx.query(
            &format!("SELECT {STINT_COLUMNS} FROM assess_stints WHERE case_id = ANY($1)"),
            &[&ids],
        )?;
        for r in &old_stints {
            deltas.stint(&stint_from_row(r)?, -1);
        }
        tx.execute("DELETE FROM assess_stints WHERE case_id = ANY($1)", &[&ids])?;

        let mut keys = ScopeKeys::default();
        let mut duplicates = Vec::new();
        let ins_case = tx.prepare(
            "INSERT INTO assess_cases(case_id, received_at, bj_day, bj_month, bj_hour, category,
               channel, request_type, district, handling_unit, branch, police_line, state, closed,
               answered_at, first_satisfied, duplicate_of, merged_at, scope, dup_unit)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,NULL)
             ON CONFLICT (case_id) DO UPDATE SET received_at = excluded.received_at,
               bj_day = excluded.bj_day, bj_month = excluded.bj_month, bj_hour = excluded.bj_hour,
               category = excluded.category, channel = excluded.channel,
               request_type = excluded.request_type, district = excluded.district,
               handling_unit = excluded.handling_unit, branch = excluded.branch,
               police_line = excluded.police_line, state = excluded.state, closed = excluded.closed,
               answered_at = excluded.answered_at, first_satisfied = excluded.first_satisfied,
               duplicate_of = excluded.duplicate_of, merged_at = excluded.merged_at,
               scope = excluded.scope, dup_unit = NULL",
        )?;
        let ins_stint = tx.prepare(
            "INSERT INTO assess_stints(dispatched_at, case_id, n, unit_id, officer_id,
               sign_in_deadline, signed_in_at, reply_deadline, completed_at, ended_at, returned,
               first_satisfied, final_satisfied, settle_at)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)",
        )?;
        for f in &batch {
            let c = &f.case;
            let id = c.case_id.to_string();
            let row = CaseRow::new(c, keys.column(tx, c)?);
            let day = beijing_day(c.received_at);
            tx.execute(
                &ins_case,
                &[
                    &id,
                    &row.received_at,
                    &day,
                    &month_of_day(day),
                    &beijing_hour_of_ms(row.received_at),
                    &row.category,
                    &row.channel,
                    &row.request_type,
                    &row.district,
                    &row.handling_unit,
                    &row.branch,
                    &row.police_line,
                    &row.state,
                    &row.closed,
                    &row.answered_at,
                    &row.first_satisfied,
                    &row.duplicate_of,
                    &row.merged_at,
                    &row.scope,
                ],
            )?;
            deltas.case(&row, 1);
            if c.duplicate_of.is_some() {
                duplicates.push(id.clone());
            }
            for s in f.stints.iter().map(rollup::stored) {
                tx.execute(
                    &ins_stint,
                    &[
                        &ms(s.dispatched_at),
                        &id,
                        &i64::from(s.n),
                        &s.unit_id.to_string(),
                        &s.officer_id.map(|o| o.to_string()),
                        &ms(s.sign_in_deadline),
                        &opt_ms(s.signed_in_at),
                        &ms(s.reply_deadline),
                        &opt_ms(s.completed_at),
                        &opt_ms(s.ended_at),
                        &s.returned,
                        &s.first_satisfied,
                        &s.final_satisfied,
                        &opt_ms(s.settles_at()),
                    ],
                )?;
                deltas.stint(&s, 1);
            }
        }
        // A duplicate counts for its master's handling unit: those just written, and
        // those of masters just written (their unit may have changed).
        for r in &tx.query(
            "SELECT case_id FROM assess_cases WHERE duplicate_of = ANY($1)",
            &[&ids],
        )? {
            duplicates.push(r.try_get(0)?);
        }
        duplicates.sort_unstable();
        duplicates.dedup();
        attribute_duplicates(tx, &duplicates, &mut deltas)?;
        apply_deltas(tx, &deltas)?;
        // Never move backwards when a writer with an older stretch of the log commits last.
        tx.execute(
            "UPDATE assess_meta SET value = GREATEST(value, $1) WHERE key = 'facts_position'",
            &[&position],
        )?;
        Ok(())
    })
}

/// Cases of `ids` with a change in `(position, stored]`: a later pass has derived them.
fn covered_later(
    tx: &mut Transaction<'_>,
    ids: &[String],
    position: i64,
    stored: i64,
) -> DbResult<HashSet<String>> {
    let rows = tx.query(
        "SELECT DISTINCT case_id FROM changes WHERE case_id = ANY($1) AND seq > $2 AND seq <= $3",
        &[&ids, &position, &stored],
    )?;
    rows.iter()
        .map(|r| Ok(r.try_get::<_, String>(0)?))
        .collect()
}

/// Interned scope keys of units, cached for one transaction.
#[derive(Default)]
struct ScopeKeys(HashMap<String, i64>);

impl ScopeKeys {
    fn key(&mut self, tx: &mut Transaction<'_>, unit: &str) -> DbResult<i64> {
        if let Some(k) = self.0.get(unit) {
            return Ok(*k);
        }
        let find = "SELECT id FROM assess_scope_keys WHERE unit_id = $1";
        let k: i64 = match tx.query_opt(find, &[&unit])? {
            Some(r) => r.try_get(0)?,
            None => {
                // ON CONFLICT: a key interned meanwhile by a transaction not under the
                // facts lock is simply found.
                tx.execute(
                    "INSERT INTO assess_scope_keys(unit_id) VALUES ($1) ON CONFLICT (unit_id) DO NOTHING",
                    &[&unit],
                )?;
                tx.query_one(find, &[&unit])?.try_get(0)?
            }
        };
        self.0.insert(unit.to_owned(), k);
        Ok(k)
    }

    /// The `scope` column of a case.
    fn column(&mut self, tx: &mut Transaction<'_>, c: &FactCase) -> DbResult<String> {
        let mut keys = Vec::with_capacity(c.scope_units.len());
        for u in &c.scope_units {
            keys.push(self.key(tx, &u.to_string())?.to_string());
        }
        Ok(keys.join(" "))
    }
}

/// The stored rollup inputs of those of `ids` that have facts.
fn load_case_rows(tx: &mut Transaction<'_>, ids: &[String]) -> DbResult<Vec<CaseRow>> {
    let rows = tx.query(
        "SELECT received_at, category, channel, request_type, district, handling_unit, branch,
           police_line, state, closed, answered_at, first_satisfied, duplicate_of, merged_at,
           scope, dup_unit
         FROM assess_cases WHERE case_id = ANY($1)",
        &[&ids],
    )?;
    rows.iter()
        .map(|r| {
            Ok(CaseRow {
                received_at: r.try_get(0)?,
                category: r.try_get(1)?,
                channel: r.try_get(2)?,
                request_type: r.try_get(3)?,
                district: r.try_get(4)?,
                handling_unit: r.try_get(5)?,
                branch: r.try_get(6)?,
                police_line: r.try_get(7)?,
                state: r.try_get(8)?,
                closed: r.try_get(9)?,
                answered_at: r.try_get(10)?,
                first_satisfied: r.try_get(11)?,
                duplicate_of: r.try_get(12)?,
                merged_at: r.try_get(13)?,
                scope: r.try_get(14)?,
                dup_unit: r.try_get(15)?,
            })
        })
        .collect()
}

/// Counts each duplicate for its master's current handling unit (the facts path joins
/// the two at query time): moves its rollup count when the attribution changed.
fn attribute_duplicates(
    tx: &mut Transaction<'_>,
    ids: &[String],
    deltas: &mut RollupDeltas,
) -> DbResult<()> {
    let rows = tx.query(
        "SELECT d.case_id, d.merged_at, d.duplicate_of, d.dup_unit, m.handling_unit
         FROM assess_cases d LEFT JOIN assess_cases m ON m.case_id = d.duplicate_of
         WHERE d.case_id = ANY($1)",
        &[&ids],
    )?;
    let update = tx.prepare("UPDATE assess_cases SET dup_unit = $2 WHERE case_id = $1")?;
    for r in &rows {
        let id: String = r.try_get(0)?;
        let merged: Option<i64> = r.try_get(1)?;
        let master: Option<String> = r.try_get(2)?;
        let current: Option<String> = r.try_get(3)?;
        let target: Option<String> = match (merged, &master) {
            (Some(_), Some(_)) => r.try_get(4)?,
            _ => None,
        };
        if target == current {
            continue;
        }
        if let Some(m) = merged {
            if let Some(u) = &current {
                deltas.duplicate(m, u, -1);
            }
            if let Some(u) = &target {
                deltas.duplicate(m, u, 1);
            }
        }
        tx.execute(&update, &[&id, &target])?;
    }
    Ok(())
}

/// Applies the non-zero deltas of one facts transaction as atomic upserts (a row's new
/// value is computed by the database from its current one, never read into Rust).
fn apply_deltas(tx: &mut Transaction<'_>, d: &RollupDeltas) -> DbResult<()> {
    for (table, rows) in [
        ("assess_roll_units", d.units().collect::<Vec<_>>()),
        ("assess_roll_officers", d.officers().collect::<Vec<_>>()),
    ] {
        if rows.is_empty() {
            continue;
        }
        let sum = |c: &str| format!("{c} = {table}.{c} + excluded.{c}");
        let set = [
            "received",
            "sign_in_decided",
            "sign_in_late",
            "reply_decided",
            "reply_late",
            "returned",
            "answered",
            "rehandled",
            "satisfied",
            "overdue",
            "duplicates",
        ]
        .map(sum)
        .join(", ");
        let stmt = tx.prepare(&format!(
            "INSERT INTO {table}(day, unit_id, received, sign_in_decided, sign_in_late,
               reply_decided, reply_late, returned, answered, rehandled, satisfied, overdue,
               duplicates)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
             ON CONFLICT (day, unit_id) DO UPDATE SET {set}"
        ))?;
        for ((day, key), c) in rows {
            tx.execute(
                &stmt,
                &[
                    day, key, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9],
                    &c[10],
                ],
            )?;
        }
    }
    let cases: Vec<_> = d.cases().collect();
    if !cases.is_empty() {
        let stmt = tx.prepare(
            "INSERT INTO assess_roll_cases(scope, dim, day, value, n, closed, answered,
               unsatisfied, duplicates)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
             ON CONFLICT (scope, dim, day, value) DO UPDATE SET
               n = assess_roll_cases.n + excluded.n,
               closed = assess_roll_cases.closed + excluded.closed,
               answered = assess_roll_cases.answered + excluded.answered,
               unsatisfied = assess_roll_cases.unsatisfied + excluded.unsatisfied,
               duplicates = assess_roll_cases.duplicates + excluded.duplicates",
        )?;
        for ((scope, dim, day, value), b) in cases {
            tx.execute(
                &stmt,
                &[scope, dim, day, value, &b[0], &b[1], &b[2], &b[3], &b[4]],
            )?;
        }
    }
    let weeks: Vec<_> = d.weeks().collect();
    if !weeks.is_empty() {
        let stmt = tx.prepare(
            "INSERT INTO assess_roll_weeks(kind, week, category, area, n, unsatisfied)
             VALUES ($1,$2,$3,$4,$5,$6)
             ON CONFLICT (kind, week, category, area) DO UPDATE SET
               n = assess_roll_weeks.n + excluded.n,
               unsatisfied = assess_roll_weeks.unsatisfied + excluded.unsatisfied",
        )?;
        for ((kind, week, cat, area), w) in weeks {
            tx.execute(&stmt, &[kind, week, cat, area, &w[0], &w[1]])?;
        }
    }
    Ok(())
}
