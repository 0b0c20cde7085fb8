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

use chrono::{DateTime, Datelike, Utc};
use minsheng_domain::scope::ListScope;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::super::{from_ms, ms};
use minsheng_store::assessment::{
    AnalyticsFilter, AnalyticsQuery, BucketCounts, Counts, Dimension, FactCase, Stint, StintGroup,
    WeekCell, WeekCells,
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

pub(super) const DAY_MS: i64 = 86_400_000;
pub(super) const BJ_OFFSET_MS: i64 = 8 * 3_600_000;
const HOUR_MS: i64 = 3_600_000;

/// Scope keys that are not units.
const EVERYTHING: i64 = 0;
const FOLLOW_UP: i64 = -1;
const FOLLOW_UP_STATES: [&str; 6] = [
    "completed",
    "followUpL2",
    "followUpL3",
    "difficultSupervision",
    "archived",
    "concluded",
];

/// Dimensions kept per case, with their codes in `assess_roll_cases.dim`.
const DIMS: [(Dimension, i64); 9] = [
    (Dimension::Category, 0),
    (Dimension::PoliceLine, 1),
    (Dimension::District, 2),
    (Dimension::Unit, 3),
    (Dimension::Branch, 4),
    (Dimension::Channel, 5),
    (Dimension::RequestType, 6),
    (Dimension::Hour, 7),
    (Dimension::State, 8),
];
/// One row per case per day: what the time dimensions sum.
const STATE_DIM: i64 = 8;

/// Early-warning cell kinds in `assess_roll_weeks.kind`.
const WEEK_DISTRICT: i64 = 0;
const WEEK_UNIT: i64 = 1;
const WEEK_ANSWERS: i64 = 2;

/// Beijing day number (days since 1970-01-01) of an instant in ms.
pub(super) fn bj_day(t: i64) -> i64 {
    (t + BJ_OFFSET_MS).div_euclid(DAY_MS)
}

/// Monday of the week containing `day` (1970-01-01 was a Thursday).
pub(super) fn monday(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}

/// `[from, to)` as Beijing day numbers, when both are day boundaries.
pub(super) fn day_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<(i64, i64)> {
    let aligned = |t: i64| (t + BJ_OFFSET_MS).rem_euclid(DAY_MS) == 0;
    let (f, t) = (ms(from), ms(to));
    (aligned(f) && aligned(t)).then(|| (bj_day(f), bj_day(t)))
}

fn bj_month(day: i64) -> i64 {
    let d = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
        + chrono::Duration::days(day);
    i64::from(d.year()) * 100 + i64::from(d.month())
}

/// A stint as stored (times in whole ms), so what a row adds when written is exactly
/// what it takes away when read back and rewritten.
pub(super) fn stored(s: &Stint) -> Stint {
    let t = |x: DateTime<Utc>| from_ms(ms(x));
    Stint {
        dispatched_at: t(s.dispatched_at),
        sign_in_deadline: t(s.sign_in_deadline),
        signed_in_at: s.signed_in_at.map(t),
        reply_deadline: t(s.reply_deadline),
        completed_at: s.completed_at.map(t),
        ended_at: s.ended_at.map(t),
        ..s.clone()
    }
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

/// The columns of an `assess_cases` row that rollups read.
pub(super) struct CaseRow {
    pub received_at: i64,
    pub category: Option<String>,
    pub channel: String,
    pub request_type: String,
    pub district: Option<String>,
    pub handling_unit: Option<String>,
    pub branch: Option<String>,
    pub police_line: Option<String>,
    pub state: String,
    pub closed: bool,
    pub answered_at: Option<i64>,
    pub first_satisfied: Option<bool>,
    pub duplicate_of: Option<String>,
    pub merged_at: Option<i64>,
    pub scope: String,
    pub dup_unit: Option<String>,
}

impl CaseRow {
    pub(super) fn new(c: &FactCase, scope: String) -> Self {
        Self {
            received_at: ms(c.received_at),
            category: c.category.clone(),
            channel: c.channel.clone(),
            request_type: c.request_type.clone(),
            district: c.district.clone(),
            handling_unit: c.handling_unit.map(|u| u.to_string()),
            branch: c.branch.map(|u| u.to_string()),
            police_line: c.police_line.clone(),
            state: c.state.clone(),
            closed: c.closed,
            answered_at: c.answered_at.map(ms),
            first_satisfied: c.first_satisfied,
            duplicate_of: c.duplicate_of.map(|d| d.to_string()),
            merged_at: c.merged_at.map(ms),
            scope,
            dup_unit: None,
        }
    }

    pub(super) fn load(tx: &Transaction<'_>, case_id: &str) -> DbResult<Option<Self>> {
        let mut stmt = tx.prepare_cached(
            "SELECT received_at, category, channel, request_type, district, handling_unit, branch,
               police_line, state, closed, answered_at, first_satisfied, duplicate_of, merged_at,
               scope, dup_unit
             FROM assess_cases WHERE case_id = ?1",
        )?;
        Ok(stmt
            .query_row([case_id], |r| {
                Ok(Self {
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

    /// The bucket key of a dimension ('' for none; read back as None).
    fn value(&self, d: Dimension) -> String {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        match d {
            Dimension::Category => text(&self.category),
            Dimension::PoliceLine => text(&self.police_line),
            Dimension::District => text(&self.district),
            Dimension::Unit => text(&self.handling_unit),
            Dimension::Branch => text(&self.branch),
            Dimension::Channel => self.channel.clone(),
            Dimension::RequestType => self.request_type.clone(),
            Dimension::Hour => {
                ((self.received_at + BJ_OFFSET_MS).rem_euclid(DAY_MS) / HOUR_MS).to_string()
            }
            Dimension::State => self.state.clone(),
            Dimension::Day | Dimension::Week | Dimension::Month => String::new(),
        }
    }

    fn scope_keys(&self) -> impl Iterator<Item = i64> + '_ {
        let follow_up = FOLLOW_UP_STATES.contains(&self.state.as_str());
        std::iter::once(EVERYTHING)
            .chain(follow_up.then_some(FOLLOW_UP))
            .chain(self.scope.split(' ').filter_map(|k| k.parse().ok()))
    }
}

fn add<const N: usize>(into: &mut [i64; N], v: &[i64; N], sign: i64) {
    for (a, b) in into.iter_mut().zip(v) {
        *a += sign * b;
    }
}

fn signed(c: &Counts) -> [i64; 11] {
    c.to_array().map(|x| x as i64)
}

/// Changes to the rollup rows collected over one facts transaction, applied at its end
/// (rows of one day and unit are touched once however many cases changed).
#[derive(Default)]
pub(super) struct Deltas {
    units: HashMap<(i64, String), [i64; 11]>,
    officers: HashMap<(i64, String), [i64; 11]>,
    cases: HashMap<(i64, i64, i64, String), [i64; 5]>,
    weeks: HashMap<(i64, i64, String, String), [i64; 2]>,
}

impl Deltas {
    /// Adds (`sign` 1) or takes away (−1) a stored stint.
    pub(super) fn stint(&mut self, s: &Stint, sign: i64) {
        let day = bj_day(ms(s.dispatched_at));
        let c = signed(&s.final_counts());
        add(
            self.units.entry((day, s.unit_id.to_string())).or_default(),
            &c,
            sign,
        );
        if let Some(o) = s.officer_id {
            add(
                self.officers.entry((day, o.to_string())).or_default(),
                &c,
                sign,
            );
        }
    }

    pub(super) fn duplicate(&mut self, merged_at: i64, unit: &str, sign: i64) {
        let mut c = [0; 11];
        c[10] = 1;
        add(
            self.units
                .entry((bj_day(merged_at), unit.to_owned()))
                .or_default(),
            &c,
            sign,
        );
    }

    pub(super) fn case(&mut self, r: &CaseRow, sign: i64) {
        let day = bj_day(r.received_at);
        let b = [
            1,
            i64::from(r.closed),
            i64::from(r.first_satisfied.is_some()),
            i64::from(r.first_satisfied == Some(false)),
            i64::from(r.duplicate_of.is_some()),
        ];
        for scope in r.scope_keys() {
            for (d, code) in DIMS {
                add(
                    self.cases
                        .entry((scope, code, day, r.value(d)))
                        .or_default(),
                    &b,
                    sign,
                );
            }
        }
        if let Some(cat) = &r.category {
            let week = monday(day);
            if r.duplicate_of.is_none() {
                for (kind, area) in [(WEEK_DISTRICT, &r.district), (WEEK_UNIT, &r.handling_unit)] {
                    if let Some(a) = area {
                        add(
                            self.weeks
                                .entry((kind, week, cat.clone(), a.clone()))
                                .or_default(),
                            &[1, 0],
                            sign,
                        );
                    }
                }
            }
            if let (Some(at), Some(u)) = (r.answered_at, &r.handling_unit) {
                let unsatisfied = i64::from(r.first_satisfied == Some(false));
                add(
                    self.weeks
                        .entry((WEEK_ANSWERS, monday(bj_day(at)), cat.clone(), u.clone()))
                        .or_default(),
                    &[1, unsatisfied],
                    sign,
                );
            }
        }
    }

    pub(super) fn apply(&self, tx: &Transaction<'_>) -> DbResult<()> {
        for (table, rows) in [
            ("assess_roll_units", &self.units),
            ("assess_roll_officers", &self.officers),
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
            for ((day, key), c) in rows.iter().filter(|(_, c)| c.iter().any(|x| *x != 0)) {
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
        for ((scope, dim, day, value), b) in
            self.cases.iter().filter(|(_, b)| b.iter().any(|x| *x != 0))
        {
            stmt.execute(params![
                scope, dim, day, value, b[0], b[1], b[2], b[3], b[4]
            ])?;
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO assess_roll_weeks(kind, week, category, area, n, unsatisfied) VALUES (?1,?2,?3,?4,?5,?6)
             ON CONFLICT(kind, week, category, area) DO UPDATE SET n = n + excluded.n,
               unsatisfied = unsatisfied + excluded.unsatisfied",
        )?;
        for ((kind, week, cat, area), w) in
            self.weeks.iter().filter(|(_, w)| w.iter().any(|x| *x != 0))
        {
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
    deltas: &mut Deltas,
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
