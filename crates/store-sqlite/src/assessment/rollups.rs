//! Per-day rollups of the assessment facts (migration 7), changed by `write_facts` in
//! the same transaction as the facts they sum, so the two can never drift apart.
//!
//! * `assess_roll_units` / `assess_roll_officers`: per (Beijing day of dispatch, unit or
//!   officer) the stint counts as *final* — every deadline still open taken as passed —
//!   plus, per unit, the duplicates linked that day to cases it handles. A period query
//!   sums its day rows, then corrects the few stints whose outcome still depends on the
//!   clock (`assess_stints.settle_at > now`: a deadline ahead and not yet met) by their
//!   exact counts as of `now`. So the score of any period, past or current, is exact.
//! * `assess_roll_cases`: per (scope key, dimension, day of receipt, value) the analytics
//!   bucket counts. Scope keys: 0 everything, −1 in follow-up, else the interned id of a
//!   unit in the case's `scope_units`. Day/week/month charts sum the `state` rows.
//! * `assess_roll_weeks`: early-warning cells per (kind, Monday, category, area).
//!
//! Rows are changed by signed deltas: a rewritten case first takes away what its old
//! rows added. Counts that fall to zero stay as rows and are filtered out on reading.

use crate::DbResult;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use minsheng_domain::scope::ListScope;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::super::ms;
use minsheng_domain::calendar::{
    beijing_day_of_ms as bj_day, monday_of as monday, month_of_day as bj_month, BEIJING_OFFSET_MS,
    DAY_MS,
};
use minsheng_store::assessment::{
    AnalyticsFilter, AnalyticsQuery, BucketCounts, Counts, Dimension, FactCase, Stint, StintGroup,
    WeekCell, WeekCells,
};
use minsheng_store::rollup::{
    add, CaseRow, RollupDeltas, DIMS, EVERYTHING, FOLLOW_UP, STATE_DIM, WEEK_ANSWERS,
    WEEK_DISTRICT, WEEK_UNIT,
};

pub(crate) const MIGRATION: &str = r"
-- The facts gain the scope keys and duplicate attribution their rollup rows need; they
-- are derived data, so they are dropped and replayed from the change log (position 0).
DROP TABLE assess_cases;
DROP TABLE assess_stints;
CREATE TABLE assess_cases (
    received_at INTEGER NOT NULL,
    case_id TEXT NOT NULL,
    bj_day INTEGER NOT NULL,
    bj_month INTEGER NOT NULL,
    bj_hour INTEGER NOT NULL,
    category TEXT,
    channel TEXT NOT NULL,
    request_type TEXT NOT NULL,
    district TEXT,
    handling_unit TEXT,
    branch TEXT,
    police_line TEXT,
    state TEXT NOT NULL,
    closed INTEGER NOT NULL,
    answered_at INTEGER,
    first_satisfied INTEGER,
    duplicate_of TEXT,
    merged_at INTEGER,
    -- Interned scope keys (assess_scope_keys.id) of the case's scope units, space-separated.
    scope TEXT NOT NULL,
    -- The unit this duplicate is counted for (the master's handling unit when written).
    dup_unit TEXT,
    PRIMARY KEY (received_at, case_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX assess_cases_id ON assess_cases(case_id);
CREATE INDEX assess_cases_answered ON assess_cases(answered_at) WHERE answered_at IS NOT NULL;
CREATE INDEX assess_cases_merged ON assess_cases(merged_at) WHERE merged_at IS NOT NULL;
CREATE INDEX assess_cases_dup ON assess_cases(duplicate_of) WHERE duplicate_of IS NOT NULL;

CREATE TABLE assess_stints (
    dispatched_at INTEGER NOT NULL,
    case_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    unit_id TEXT NOT NULL,
    officer_id TEXT,
    sign_in_deadline INTEGER NOT NULL,
    signed_in_at INTEGER,
    reply_deadline INTEGER NOT NULL,
    completed_at INTEGER,
    ended_at INTEGER,
    returned INTEGER NOT NULL,
    first_satisfied INTEGER,
    final_satisfied INTEGER,
    -- From this instant on the stint counts as its rollup rows say (NULL: always).
    settle_at INTEGER,
    PRIMARY KEY (dispatched_at, case_id, n)
) WITHOUT ROWID;
CREATE INDEX assess_stints_case ON assess_stints(case_id);
CREATE INDEX assess_stints_unit ON assess_stints(unit_id, dispatched_at);
CREATE INDEX assess_stints_officer ON assess_stints(officer_id, dispatched_at) WHERE officer_id IS NOT NULL;
-- Covering: the clock-dependent correction of a period query reads this index only.
CREATE INDEX assess_stints_settle ON assess_stints(settle_at, dispatched_at, unit_id, officer_id,
    signed_in_at, sign_in_deadline, completed_at, reply_deadline, ended_at) WHERE settle_at IS NOT NULL;

CREATE TABLE assess_scope_keys (id INTEGER PRIMARY KEY, unit_id TEXT NOT NULL UNIQUE);

CREATE TABLE assess_roll_units (
    day INTEGER NOT NULL,
    unit_id TEXT NOT NULL,
    received INTEGER NOT NULL,
    sign_in_decided INTEGER NOT NULL,
    sign_in_late INTEGER NOT NULL,
    reply_decided INTEGER NOT NULL,
    reply_late INTEGER NOT NULL,
    returned INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    rehandled INTEGER NOT NULL,
    satisfied INTEGER NOT NULL,
    overdue INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    PRIMARY KEY (day, unit_id)
) WITHOUT ROWID;
CREATE TABLE assess_roll_officers (
    day INTEGER NOT NULL,
    unit_id TEXT NOT NULL,
    received INTEGER NOT NULL,
    sign_in_decided INTEGER NOT NULL,
    sign_in_late INTEGER NOT NULL,
    reply_decided INTEGER NOT NULL,
    reply_late INTEGER NOT NULL,
    returned INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    rehandled INTEGER NOT NULL,
    satisfied INTEGER NOT NULL,
    overdue INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    PRIMARY KEY (day, unit_id)
) WITHOUT ROWID;
CREATE TABLE assess_roll_cases (
    scope INTEGER NOT NULL,
    dim INTEGER NOT NULL,
    day INTEGER NOT NULL,
    value TEXT NOT NULL,
    n INTEGER NOT NULL,
    closed INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    unsatisfied INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    PRIMARY KEY (scope, dim, day, value)
) WITHOUT ROWID;
CREATE TABLE assess_roll_weeks (
    kind INTEGER NOT NULL,
    week INTEGER NOT NULL,
    category TEXT NOT NULL,
    area TEXT NOT NULL,
    n INTEGER NOT NULL,
    unsatisfied INTEGER NOT NULL,
    PRIMARY KEY (kind, week, category, area)
) WITHOUT ROWID;

-- Alerts are pushed to their units' staff once; those raised before this are history.
ALTER TABLE assess_alerts ADD COLUMN pushed_at INTEGER;
UPDATE assess_alerts SET pushed_at = raised_at;
CREATE INDEX assess_alerts_unpushed ON assess_alerts(raised_at) WHERE pushed_at IS NULL;

UPDATE assess_meta SET value = 0 WHERE key = 'facts_position';
";

/// `[from, to)` as Beijing day numbers, when both are day boundaries.
pub(super) fn day_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<(i64, i64)> {
    let aligned = |t: i64| (t + BEIJING_OFFSET_MS).rem_euclid(DAY_MS) == 0;
    let (f, t) = (ms(from), ms(to));
    (aligned(f) && aligned(t)).then(|| (bj_day(f), bj_day(t)))
}

/// Interned scope keys of units, cached for one transaction.
#[derive(Default)]
pub(super) struct ScopeKeys(HashMap<String, i64>);

impl ScopeKeys {
    fn key(&mut self, tx: &Transaction<'_>, unit: &str) -> DbResult<i64> {
        if let Some(k) = self.0.get(unit) {
            return Ok(*k);
        }
        tx.execute(
            "INSERT OR IGNORE INTO assess_scope_keys(unit_id) VALUES (?1)",
            [unit],
        )?;
        let k: i64 = tx.query_row(
            "SELECT id FROM assess_scope_keys WHERE unit_id = ?1",
            [unit],
            |r| r.get(0),
        )?;
        self.0.insert(unit.to_owned(), k);
        Ok(k)
    }

    /// The `scope` column of a case.
    pub(super) fn column(&mut self, tx: &Transaction<'_>, c: &FactCase) -> DbResult<String> {
        let mut keys = Vec::with_capacity(c.scope_units.len());
        for u in &c.scope_units {
            keys.push(self.key(tx, &u.to_string())?.to_string());
        }
        Ok(keys.join(" "))
    }
}

/// The scope key of a query; None when nothing can match.
fn query_scope(conn: &Connection, scope: &ListScope) -> DbResult<Option<i64>> {
    Ok(match scope {
        ListScope::Nothing => None,
        ListScope::Everything => Some(EVERYTHING),
        ListScope::FollowUpPhase => Some(FOLLOW_UP),
        ListScope::Unit(u) => conn
            .query_row(
                "SELECT id FROM assess_scope_keys WHERE unit_id = ?1",
                [u.to_string()],
                |r| r.get(0),
            )
            .optional()?,
    })
}

/// The stored rollup inputs of a case, if it has facts.
pub(super) fn load_case_row(tx: &Transaction<'_>, case_id: &str) -> DbResult<Option<CaseRow>> {
    {
        let mut stmt = tx.prepare_cached(
            "SELECT received_at, category, channel, request_type, district, handling_unit, branch,
               police_line, state, closed, answered_at, first_satisfied, duplicate_of, merged_at,
               scope, dup_unit
             FROM assess_cases WHERE case_id = ?1",
        )?;
        Ok(stmt
            .query_row([case_id], |r| {
                Ok(CaseRow {
                    received_at: r.get(0)?,
                    category: r.get(1)?,
                    channel: r.get(2)?,
                    request_type: r.get(3)?,
                    district: r.get(4)?,
                    handling_unit: r.get(5)?,
                    branch: r.get(6)?,
                    police_line: r.get(7)?,
                    state: r.get(8)?,
                    closed: r.get(9)?,
                    answered_at: r.get(10)?,
                    first_satisfied: r.get(11)?,
                    duplicate_of: r.get(12)?,
                    merged_at: r.get(13)?,
                    scope: r.get(14)?,
                    dup_unit: r.get(15)?,
                })
            })
            .optional()?)
    }
}

/// Applies the non-zero deltas of one facts transaction as upserts.
pub(super) fn apply_deltas(d: &RollupDeltas, tx: &Transaction<'_>) -> DbResult<()> {
    {
        for (table, rows) in [
            ("assess_roll_units", d.units().collect::<Vec<_>>()),
            ("assess_roll_officers", d.officers().collect::<Vec<_>>()),
        ] {
            let mut stmt = tx.prepare_cached(&format!(
                "INSERT INTO {table}(day, unit_id, received, sign_in_decided, sign_in_late, reply_decided,
                   reply_late, returned, answered, rehandled, satisfied, overdue, duplicates)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)
                 ON CONFLICT(day, unit_id) DO UPDATE SET received = received + excluded.received,
                   sign_in_decided = sign_in_decided + excluded.sign_in_decided,
                   sign_in_late = sign_in_late + excluded.sign_in_late,
                   reply_decided = reply_decided + excluded.reply_decided,
                   reply_late = reply_late + excluded.reply_late,
                   returned = returned + excluded.returned, answered = answered + excluded.answered,
                   rehandled = rehandled + excluded.rehandled, satisfied = satisfied + excluded.satisfied,
                   overdue = overdue + excluded.overdue, duplicates = duplicates + excluded.duplicates"
            ))?;
            for ((day, key), c) in rows {
                stmt.execute(params![
                    day, key, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]
                ])?;
            }
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO assess_roll_cases(scope, dim, day, value, n, closed, answered, unsatisfied, duplicates)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)
             ON CONFLICT(scope, dim, day, value) DO UPDATE SET n = n + excluded.n,
               closed = closed + excluded.closed, answered = answered + excluded.answered,
               unsatisfied = unsatisfied + excluded.unsatisfied, duplicates = duplicates + excluded.duplicates",
        )?;
        for ((scope, dim, day, value), b) in d.cases() {
            stmt.execute(params![
                scope, dim, day, value, b[0], b[1], b[2], b[3], b[4]
            ])?;
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO assess_roll_weeks(kind, week, category, area, n, unsatisfied) VALUES (?1,?2,?3,?4,?5,?6)
             ON CONFLICT(kind, week, category, area) DO UPDATE SET n = n + excluded.n,
               unsatisfied = unsatisfied + excluded.unsatisfied",
        )?;
        for ((kind, week, cat, area), w) in d.weeks() {
            stmt.execute(params![kind, week, cat, area, w[0], w[1]])?;
        }
        Ok(())
    }
}

/// Counts a duplicate for its master's current handling unit (the facts path joins the
/// two at query time): moves its rollup count when the attribution changed.
pub(super) fn attribute_duplicate(
    tx: &Transaction<'_>,
    case_id: &str,
    deltas: &mut RollupDeltas,
) -> DbResult<()> {
    let row: Option<(Option<i64>, Option<String>, Option<String>)> = tx
        .prepare_cached(
            "SELECT merged_at, duplicate_of, dup_unit FROM assess_cases WHERE case_id = ?1",
        )?
        .query_row([case_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((merged, master, current)) = row else {
        return Ok(());
    };
    let target: Option<String> = match (merged, &master) {
        (Some(_), Some(m)) => tx
            .prepare_cached("SELECT handling_unit FROM assess_cases WHERE case_id = ?1")?
            .query_row([m], |r| r.get(0))
            .optional()?
            .flatten(),
        _ => None,
    };
    if target == current {
        return Ok(());
    }
    if let Some(m) = merged {
        if let Some(u) = &current {
            deltas.duplicate(m, u, -1);
        }
        if let Some(u) = &target {
            deltas.duplicate(m, u, 1);
        }
    }
    tx.prepare_cached("UPDATE assess_cases SET dup_unit = ?2 WHERE case_id = ?1")?
        .execute(params![case_id, target])?;
    Ok(())
}

fn counts_of(a: &[i64; 11]) -> Counts {
    Counts::from_array(a.map(|x| x.max(0) as u64))
}

/// SQL twin of `Stint::counts_at(now) − Stint::final_counts()` summed by unit or officer
/// over the stints of `[from, to)` still open at `now` (an index-only range scan): only
/// sign-in/reply decided and late, and overdue, differ. Kept equal to the Rust by the
/// tests comparing rollups with the facts path and with replayed timelines.
const OPEN_CORRECTION: &str = "
WITH x AS (
  SELECT {key} AS k, signed_in_at AS s, sign_in_deadline AS sd, completed_at AS c,
         reply_deadline AS rd, MIN(COALESCE(ended_at, :now), :now) AS cn,
         COALESCE(ended_at, :inf) AS ci
  FROM assess_stints INDEXED BY assess_stints_settle
  WHERE settle_at > :now AND dispatched_at >= :from AND dispatched_at < :to {extra}
), y AS (
  SELECT k,
    (s IS NOT NULL OR cn > sd) AS sdn, (s IS NOT NULL OR ci > sd) AS sdi,
    (CASE WHEN s IS NOT NULL THEN s > sd ELSE cn > sd END) AS sln,
    (CASE WHEN s IS NOT NULL THEN s > sd ELSE ci > sd END) AS sli,
    (c IS NOT NULL OR cn > rd) AS rdn, (c IS NOT NULL OR ci > rd) AS rdi,
    (CASE WHEN c IS NOT NULL THEN c > rd ELSE cn > rd END) AS rln,
    (CASE WHEN c IS NOT NULL THEN c > rd ELSE ci > rd END) AS rli
  FROM x
)
SELECT k, SUM(sdn - sdi), SUM(sln - sli), SUM(rdn - rdi), SUM(rln - rli),
       SUM((sln OR rln) - (sli OR rli))
FROM y GROUP BY k";

/// Stint (and, by unit, duplicate) counts of the days `[d0, d1)` as of `now`.
pub(super) fn period_counts(
    conn: &Connection,
    (d0, d1): (i64, i64),
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    group: StintGroup,
) -> DbResult<Vec<(String, Counts)>> {
    let table = match group {
        StintGroup::Unit => "assess_roll_units",
        StintGroup::Officer => "assess_roll_officers",
    };
    let mut map: HashMap<String, [i64; 11]> = HashMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT unit_id, SUM(received), SUM(sign_in_decided), SUM(sign_in_late), SUM(reply_decided),
           SUM(reply_late), SUM(returned), SUM(answered), SUM(rehandled), SUM(satisfied), SUM(overdue),
           SUM(duplicates)
         FROM {table} WHERE day >= ?1 AND day < ?2 GROUP BY unit_id"
    ))?;
    let rows = stmt.query_map(params![d0, d1], |r| {
        let mut a = [0i64; 11];
        for (i, x) in a.iter_mut().enumerate() {
            *x = r.get::<_, Option<i64>>(i + 1)?.unwrap_or(0);
        }
        Ok((r.get::<_, String>(0)?, a))
    })?;
    for row in rows {
        let (k, a) = row?;
        map.insert(k, a);
    }
    // The stints whose outcome still moves with the clock: exact counts as of now.
    let (key, extra) = match group {
        StintGroup::Unit => ("unit_id", ""),
        StintGroup::Officer => ("officer_id", "AND officer_id IS NOT NULL"),
    };
    let sql = OPEN_CORRECTION
        .replace("{key}", key)
        .replace("{extra}", extra);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        rusqlite::named_params! {":from": ms(from), ":to": ms(to), ":now": ms(now), ":inf": i64::MAX},
        |r| {
            let mut d = [0i64; 5];
            for (i, x) in d.iter_mut().enumerate() {
                *x = r.get::<_, Option<i64>>(i + 1)?.unwrap_or(0);
            }
            Ok((r.get::<_, String>(0)?, d))
        },
    )?;
    for row in rows {
        let (k, d) = row?;
        let a = map.entry(k).or_default();
        for (field, delta) in [1, 2, 3, 4, 9].into_iter().zip(d) {
            a[field] += delta;
        }
    }
    Ok(map
        .into_iter()
        .map(|(k, a)| (k, counts_of(&a)))
        .filter(|(_, c)| !c.is_empty())
        .collect())
}

/// An unfiltered analytics query over whole days; None when rollups cannot answer it.
pub(super) fn analytics(
    conn: &Connection,
    q: &AnalyticsQuery,
) -> DbResult<Option<Vec<BucketCounts>>> {
    let Some(days) = day_range(q.from, q.to).filter(|_| q.filter == AnalyticsFilter::default())
    else {
        return Ok(None);
    };
    let Some(scope) = query_scope(conn, &q.scope)? else {
        return Ok(Some(Vec::new()));
    };
    let time = matches!(q.by, Dimension::Day | Dimension::Week | Dimension::Month);
    let dim = if time {
        STATE_DIM
    } else {
        match DIMS.iter().find(|(d, _)| *d == q.by) {
            Some((_, code)) => *code,
            None => return Ok(None),
        }
    };
    let group = if time { "day" } else { "value" };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT CAST({group} AS TEXT), SUM(n), SUM(closed), SUM(answered), SUM(unsatisfied), SUM(duplicates)
         FROM assess_roll_cases WHERE scope = ?1 AND dim = ?2 AND day >= ?3 AND day < ?4
         GROUP BY {group} HAVING SUM(n) > 0"
    ))?;
    let rows = stmt.query_map(params![scope, dim, days.0, days.1], |r| {
        let mut a = [0i64; 5];
        for (i, x) in a.iter_mut().enumerate() {
            *x = r.get::<_, Option<i64>>(i + 1)?.unwrap_or(0);
        }
        Ok((r.get::<_, String>(0)?, a))
    })?;
    let mut buckets: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    for row in rows {
        let (k, a) = row?;
        let key = match q.by {
            Dimension::Week => monday(k.parse().unwrap_or_default()).to_string(),
            Dimension::Month => bj_month(k.parse().unwrap_or_default()).to_string(),
            _ => k,
        };
        add(buckets.entry(key).or_default(), &a, 1);
    }
    Ok(Some(
        buckets
            .into_iter()
            .map(|(k, a)| BucketCounts {
                key: (!k.is_empty()).then_some(k),
                count: a[0].max(0) as u64,
                closed: a[1].max(0) as u64,
                answered: a[2].max(0) as u64,
                unsatisfied: a[3].max(0) as u64,
                duplicates: a[4].max(0) as u64,
            })
            .collect(),
    ))
}

/// Early-warning cells of the weeks `from_week..=to_week` (Mondays); None when
/// `from_week` is not a Monday.
pub(super) fn week_cells(
    conn: &Connection,
    from_week: i64,
    to_week: i64,
) -> DbResult<Option<WeekCells>> {
    if monday(from_week) != from_week {
        return Ok(None);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT week, category, area, n, unsatisfied FROM assess_roll_weeks
         WHERE kind = ?1 AND week >= ?2 AND week <= ?3 AND n > 0",
    )?;
    let mut cells = |kind: i64| -> DbResult<Vec<WeekCell>> {
        let rows = stmt.query_map(params![kind, from_week, to_week], |r| {
            Ok(WeekCell {
                week: r.get(0)?,
                category: r.get(1)?,
                area: r.get(2)?,
                count: r.get::<_, i64>(3)?.max(0) as u64,
                unsatisfied: r.get::<_, i64>(4)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    Ok(Some(WeekCells {
        by_district: cells(WEEK_DISTRICT)?,
        by_unit: cells(WEEK_UNIT)?,
        dissatisfaction_by_unit: cells(WEEK_ANSWERS)?,
    }))
}

/// Stints of a case as stored (to take their rollup counts away before a rewrite).
pub(super) fn case_stints(tx: &Transaction<'_>, case_id: &str) -> DbResult<Vec<Stint>> {
    let mut stmt = tx.prepare_cached("SELECT * FROM assess_stints WHERE case_id = ?1")?;
    let rows = stmt.query_map([case_id], super::stint_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Ids of the cases linked as duplicates of `master`.
pub(super) fn duplicates_of(tx: &Transaction<'_>, master: &str) -> DbResult<Vec<String>> {
    let mut stmt = tx.prepare_cached("SELECT case_id FROM assess_cases WHERE duplicate_of = ?1")?;
    let rows = stmt.query_map([master], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
