//! Stint counts of a period (from the per-day rollups with the open-stint correction,
//! or from the facts), the stints themselves, and the duplicates of a period.
//!
//! SQL note: PostgreSQL has no arithmetic on booleans and no `SUM(boolean)`, so every
//! condition counted is `CASE WHEN … THEN 1 ELSE 0 END` (the aggregate `FILTER` clause
//! is avoided for openGauss); `SUM` of a BIGINT column is NUMERIC, hence the casts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use minsheng_domain::calendar::{beijing_day_of_ms, BEIJING_OFFSET_MS, DAY_MS};
use minsheng_domain::ids::{CaseId, UnitId, UserId};
use minsheng_store::assessment::{Counts, Stint, StintGroup, Via};
use postgres::Transaction;

use super::{count, stint_from_row, STINT_COLUMNS};
use crate::{ms, parse_id, DbResult, PgStore};

/// SQL twin of `Stint::counts_at` summed by unit or officer over the stints dispatched
/// in `[$1, $2)`, as of `$3` (kept equal to the Rust by the tests comparing this path
/// with the rollups and with replayed timelines). Late means done after the deadline,
/// or not done by the cutoff (the end of the stint or now) when that is past it.
const STINT_COUNTS: &str = "
WITH x AS (
  SELECT {group} AS k, signed_in_at, sign_in_deadline, completed_at, reply_deadline,
         returned, first_satisfied, final_satisfied,
         LEAST(COALESCE(ended_at, $3), $3) AS cutoff
  FROM assess_stints WHERE dispatched_at >= $1 AND dispatched_at < $2 {extra}
), y AS (
  SELECT k, returned, first_satisfied, final_satisfied,
    CASE WHEN signed_in_at IS NOT NULL OR cutoff > sign_in_deadline THEN 1 ELSE 0 END AS s_dec,
    CASE WHEN COALESCE(signed_in_at, cutoff) > sign_in_deadline THEN 1 ELSE 0 END AS s_late,
    CASE WHEN completed_at IS NOT NULL OR cutoff > reply_deadline THEN 1 ELSE 0 END AS r_dec,
    CASE WHEN COALESCE(completed_at, cutoff) > reply_deadline THEN 1 ELSE 0 END AS r_late
  FROM x
)
SELECT k, COUNT(*), SUM(s_dec), SUM(s_late), SUM(r_dec), SUM(r_late),
       SUM(CASE WHEN returned THEN 1 ELSE 0 END),
       SUM(CASE WHEN first_satisfied IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN first_satisfied = FALSE THEN 1 ELSE 0 END),
       SUM(CASE WHEN final_satisfied = TRUE THEN 1 ELSE 0 END),
       SUM(GREATEST(s_late, r_late))
FROM y GROUP BY k";

/// SQL twin of `Stint::counts_at(now) − Stint::final_counts()` summed by unit or officer
/// over the stints of `[$1, $2)` still open at `$3` (`settle_at > now`: a deadline ahead
/// and not met yet; `$4` stands for "never"): only sign-in/reply decided and late, and
/// overdue, differ.
const OPEN_CORRECTION: &str = "
WITH x AS (
  SELECT {key} AS k, signed_in_at AS s, sign_in_deadline AS sd, completed_at AS c,
         reply_deadline AS rd, LEAST(COALESCE(ended_at, $3), $3) AS cn,
         COALESCE(ended_at, $4) AS ci
  FROM assess_stints
  WHERE settle_at > $3 AND dispatched_at >= $1 AND dispatched_at < $2 {extra}
), y AS (
  SELECT k,
    CASE WHEN s IS NOT NULL OR cn > sd THEN 1 ELSE 0 END AS sdn,
    CASE WHEN s IS NOT NULL OR ci > sd THEN 1 ELSE 0 END AS sdi,
    CASE WHEN COALESCE(s, cn) > sd THEN 1 ELSE 0 END AS sln,
    CASE WHEN COALESCE(s, ci) > sd THEN 1 ELSE 0 END AS sli,
    CASE WHEN c IS NOT NULL OR cn > rd THEN 1 ELSE 0 END AS rdn,
    CASE WHEN c IS NOT NULL OR ci > rd THEN 1 ELSE 0 END AS rdi,
    CASE WHEN COALESCE(c, cn) > rd THEN 1 ELSE 0 END AS rln,
    CASE WHEN COALESCE(c, ci) > rd THEN 1 ELSE 0 END AS rli
  FROM x
)
SELECT k, SUM(sdn - sdi), SUM(sln - sli), SUM(rdn - rdi), SUM(rln - rli),
       SUM(GREATEST(sln, rln) - GREATEST(sli, rli))
FROM y GROUP BY k";

/// `[from, to)` as Beijing day numbers, when both are day boundaries.
pub(super) fn day_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<(i64, i64)> {
    let aligned = |t: i64| (t + BEIJING_OFFSET_MS).rem_euclid(DAY_MS) == 0;
    let (f, t) = (ms(from), ms(to));
    (aligned(f) && aligned(t)).then(|| (beijing_day_of_ms(f), beijing_day_of_ms(t)))
}

/// (grouping column, extra condition) of a stint query.
fn grouping(group: StintGroup) -> (&'static str, &'static str) {
    match group {
        StintGroup::Unit => ("unit_id", ""),
        StintGroup::Officer => ("officer_id", "AND officer_id IS NOT NULL"),
    }
}

pub(super) fn period_counts(
    store: &PgStore,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    group: StintGroup,
    via: Via,
) -> DbResult<Vec<(String, Counts)>> {
    // The day rows and the correction (or the stints and the duplicates) must agree.
    store.read_snapshot(|tx| {
        if let (Via::Rollups, Some(days)) = (via, day_range(from, to)) {
            return from_rollups(tx, days, from, to, now, group);
        }
        let (col, extra) = grouping(group);
        let sql = STINT_COUNTS
            .replace("{group}", col)
            .replace("{extra}", extra);
        let mut map: HashMap<String, Counts> = HashMap::new();
        for r in &tx.query(&sql, &[&ms(from), &ms(to), &ms(now)])? {
            let c = Counts {
                received: count(r, 1)?,
                sign_in_decided: count(r, 2)?,
                sign_in_late: count(r, 3)?,
                reply_decided: count(r, 4)?,
                reply_late: count(r, 5)?,
                returned: count(r, 6)?,
                answered: count(r, 7)?,
                rehandled: count(r, 8)?,
                satisfied: count(r, 9)?,
                overdue: count(r, 10)?,
                duplicates: 0,
                accountability: 0,
            };
            map.insert(r.try_get(0)?, c);
        }
        if group == StintGroup::Unit {
            // Duplicates linked in the period, by the master's handling unit.
            let rows = tx.query(
                "SELECT m.handling_unit, COUNT(*) FROM assess_cases d
                 JOIN assess_cases m ON m.case_id = d.duplicate_of
                 WHERE d.merged_at >= $1 AND d.merged_at < $2 AND m.handling_unit IS NOT NULL
                 GROUP BY m.handling_unit",
                &[&ms(from), &ms(to)],
            )?;
            for r in &rows {
                map.entry(r.try_get(0)?).or_default().duplicates += count(r, 1)?;
            }
        }
        Ok(map.into_iter().filter(|(_, c)| !c.is_empty()).collect())
    })
}

/// Stint (and, by unit, duplicate) counts of the days `[d0, d1)` as of `now`: the day
/// rows hold the final counts; the stints still open at `now` are corrected to theirs.
fn from_rollups(
    tx: &mut Transaction<'_>,
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
    let sums = [
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
    .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
    .join(", ");
    let mut map: HashMap<String, [i64; 11]> = HashMap::new();
    for r in &tx.query(
        &format!(
            "SELECT unit_id, {sums} FROM {table} WHERE day >= $1 AND day < $2 GROUP BY unit_id"
        ),
        &[&d0, &d1],
    )? {
        let mut a = [0i64; 11];
        for (i, x) in a.iter_mut().enumerate() {
            *x = r.try_get::<_, Option<i64>>(i + 1)?.unwrap_or(0);
        }
        map.insert(r.try_get(0)?, a);
    }
    // The stints whose outcome still moves with the clock: exact counts as of now.
    let (key, extra) = grouping(group);
    let sql = OPEN_CORRECTION
        .replace("{key}", key)
        .replace("{extra}", extra);
    for r in &tx.query(&sql, &[&ms(from), &ms(to), &ms(now), &i64::MAX])? {
        let a = map.entry(r.try_get(0)?).or_default();
        for (i, field) in [1, 2, 3, 4, 9].into_iter().enumerate() {
            a[field] += r.try_get::<_, Option<i64>>(i + 1)?.unwrap_or(0);
        }
    }
    Ok(map
        .into_iter()
        .map(|(k, a)| (k, Counts::from_array(a.map(|x| x.max(0) as u64))))
        .filter(|(_, c)| !c.is_empty())
        .collect())
}

pub(super) fn stints(
    store: &PgStore,
    units: &[UnitId],
    officer: Option<UserId>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<Vec<Stint>> {
    store.read_snapshot(|tx| {
        let mut out = Vec::new();
        if let Some(o) = officer {
            let rows = tx.query(
                &format!(
                    "SELECT {STINT_COLUMNS} FROM assess_stints
                     WHERE officer_id = $1 AND dispatched_at >= $2 AND dispatched_at < $3
                     ORDER BY dispatched_at"
                ),
                &[&o.to_string(), &ms(from), &ms(to)],
            )?;
            for r in &rows {
                out.push(stint_from_row(r)?);
            }
        }
        let stmt = tx.prepare(&format!(
            "SELECT {STINT_COLUMNS} FROM assess_stints
             WHERE unit_id = $1 AND dispatched_at >= $2 AND dispatched_at < $3
             ORDER BY dispatched_at"
        ))?;
        for u in units {
            for r in &tx.query(&stmt, &[&u.to_string(), &ms(from), &ms(to)])? {
                out.push(stint_from_row(r)?);
            }
        }
        out.sort_by_key(|a| (a.dispatched_at, a.case_id));
        Ok(out)
    })
}

pub(super) fn duplicate_cases(
    store: &PgStore,
    units: &[UnitId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<Vec<CaseId>> {
    store.read_snapshot(|tx| {
        let stmt = tx.prepare(
            "SELECT d.case_id FROM assess_cases d JOIN assess_cases m ON m.case_id = d.duplicate_of
             WHERE d.merged_at >= $1 AND d.merged_at < $2 AND m.handling_unit = $3
             ORDER BY d.merged_at",
        )?;
        let mut out = Vec::new();
        for u in units {
            for r in &tx.query(&stmt, &[&ms(from), &ms(to), &u.to_string()])? {
                out.push(parse_id(r.try_get::<_, &str>(0)?)?);
            }
        }
        Ok(out)
    })
}
