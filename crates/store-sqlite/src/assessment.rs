//! SQLite side of `storage::assessment`.
//!
//! Dashboards read the per-day rollups (`rollups`), kept in step with the facts in the
//! facts transaction. The facts tables are clustered by time (`WITHOUT ROWID`, primary
//! key led by the instant) for the facts path and the drill-downs; scoped facts queries
//! drive from `case_scope`'s (unit, received_at) index and look facts up by primary key.

mod rollups;

pub(super) use rollups::MIGRATION as ROLLUPS_MIGRATION;

use crate::{db, DbResult};
use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::case::CaseState;
use minsheng_domain::ids::{CaseId, UnitId, UserId};
use minsheng_domain::scope::ListScope;
use minsheng_domain::timeline::TimelineEntry;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension, Row};

use super::{from_ms, ms, parse_id, SqliteStore};
use minsheng_domain::calendar::{
    beijing_day, beijing_hour_of_ms, month_of_day, BEIJING_OFFSET_MS, DAY_MS,
};
use minsheng_store::assessment::{
    AlertRecord, AnalyticsQuery, BucketCounts, CaseFacts, Counts, Dimension, ReportRecord, Stint,
    StintGroup, Via, WeekCell, WeekCells,
};
use minsheng_store::StoreResult;

/// Schema of the assessment area (migration entry in `migrations.rs`).
pub(super) const MIGRATION: &str = r"
CREATE TABLE assess_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO assess_meta(key, value) VALUES ('facts_position', 0);
CREATE TABLE assess_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- One row per case, derived from its timeline by the facts worker.
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
    PRIMARY KEY (received_at, case_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX assess_cases_id ON assess_cases(case_id);
CREATE INDEX assess_cases_answered ON assess_cases(answered_at) WHERE answered_at IS NOT NULL;
CREATE INDEX assess_cases_merged ON assess_cases(merged_at) WHERE merged_at IS NOT NULL;

-- One row per handling stint (dispatch to a unit until return, re-dispatch or the end).
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
    PRIMARY KEY (dispatched_at, case_id, n)
) WITHOUT ROWID;
CREATE INDEX assess_stints_case ON assess_stints(case_id);
CREATE INDEX assess_stints_unit ON assess_stints(unit_id, dispatched_at);
CREATE INDEX assess_stints_officer ON assess_stints(officer_id, dispatched_at) WHERE officer_id IS NOT NULL;

CREATE TABLE assess_alerts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    area_kind TEXT NOT NULL,
    area TEXT NOT NULL,
    category TEXT NOT NULL,
    week TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (kind, area_kind, area, category, week)
);
CREATE INDEX assess_alerts_raised ON assess_alerts(raised_at DESC);
CREATE TABLE assess_alert_units (
    unit_id TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    PRIMARY KEY (unit_id, alert_id)
) WITHOUT ROWID;
CREATE INDEX assess_alert_units_recent ON assess_alert_units(unit_id, raised_at DESC);

CREATE TABLE assess_reports (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    period_start TEXT NOT NULL,
    generated_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (kind, period_start)
);
";

fn opt_ms(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(ms)
}

fn opt_time(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.map(from_ms)
}

fn stint_from_row(r: &Row<'_>) -> rusqlite::Result<Stint> {
    let officer: Option<String> = r.get("officer_id")?;
    Ok(Stint {
        case_id: parse_id(&r.get::<_, String>("case_id")?)?,
        n: r.get("n")?,
        unit_id: parse_id(&r.get::<_, String>("unit_id")?)?,
        officer_id: officer.as_deref().map(parse_id).transpose()?,
        dispatched_at: from_ms(r.get("dispatched_at")?),
        sign_in_deadline: from_ms(r.get("sign_in_deadline")?),
        signed_in_at: opt_time(r.get("signed_in_at")?),
        reply_deadline: from_ms(r.get("reply_deadline")?),
        completed_at: opt_time(r.get("completed_at")?),
        ended_at: opt_time(r.get("ended_at")?),
        returned: r.get("returned")?,
        first_satisfied: r.get("first_satisfied")?,
        final_satisfied: r.get("final_satisfied")?,
    })
}

/// SQL twin of `assessment::score::outcome` (kept in step by the tests, which compare
/// this path with the recomputation from timelines).
const STINT_COUNTS: &str = "
WITH x AS (
  SELECT {group} AS k, signed_in_at, sign_in_deadline, completed_at, reply_deadline,
         returned, first_satisfied, final_satisfied,
         MIN(COALESCE(ended_at, :now), :now) AS cutoff
  FROM assess_stints WHERE dispatched_at >= :from AND dispatched_at < :to {extra}
), y AS (
  SELECT k, returned, first_satisfied, final_satisfied,
    (signed_in_at IS NOT NULL OR cutoff > sign_in_deadline) AS s_dec,
    (CASE WHEN signed_in_at IS NOT NULL THEN signed_in_at > sign_in_deadline ELSE cutoff > sign_in_deadline END) AS s_late,
    (completed_at IS NOT NULL OR cutoff > reply_deadline) AS r_dec,
    (CASE WHEN completed_at IS NOT NULL THEN completed_at > reply_deadline ELSE cutoff > reply_deadline END) AS r_late
  FROM x
)
SELECT k, COUNT(*), SUM(s_dec), SUM(s_late), SUM(r_dec), SUM(r_late), SUM(returned),
       SUM(first_satisfied IS NOT NULL), SUM(first_satisfied = 0), SUM(final_satisfied = 1),
       SUM(s_late OR r_late)
FROM y GROUP BY k";

fn count(r: &Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(r.get::<_, Option<i64>>(i)?.unwrap_or(0)).unwrap_or(0))
}

/// Monday of the Beijing week containing `day` (days since 1970-01-01; that was a Thursday).
const WEEK_OF_DAY: &str = "(d - ((d + 3) % 7))";

impl SqliteStore {
    /// Duplicates linked in `[from, to)`, by the master's handling unit (facts path).
    fn duplicate_counts(
        conn: &rusqlite::Connection,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> DbResult<Vec<(String, u64)>> {
        let mut stmt = conn.prepare_cached(
            "SELECT m.handling_unit, COUNT(*) FROM assess_cases d
             JOIN assess_cases m ON m.case_id = d.duplicate_of
             WHERE d.merged_at >= ?1 AND d.merged_at < ?2 AND m.handling_unit IS NOT NULL
             GROUP BY m.handling_unit",
        )?;
        let rows = stmt.query_map(params![ms(from), ms(to)], |r| Ok((r.get(0)?, count(r, 1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn analytics_sql(q: &AnalyticsQuery, select: &str) -> Option<(String, Vec<(String, Value)>)> {
        let mut params: Vec<(String, Value)> = vec![
            (":from".into(), Value::Integer(ms(q.from))),
            (":to".into(), Value::Integer(ms(q.to))),
        ];
        let mut clauses = Vec::new();
        let from = match &q.scope {
            ListScope::Nothing => return None,
            ListScope::Everything | ListScope::FollowUpPhase => {
                clauses.push("f.received_at >= :from AND f.received_at < :to".to_owned());
                if q.scope == ListScope::FollowUpPhase {
                    clauses.push(format!(
                        "f.state IN {}",
                        crate::states_sql(CaseState::is_follow_up_phase)
                    ));
                }
                "assess_cases f"
            }
            ListScope::Unit(u) => {
                params.push((":scope".into(), Value::Text(u.to_string())));
                clauses.push(
                    "s.unit_id = :scope AND s.received_at >= :from AND s.received_at < :to"
                        .to_owned(),
                );
                "case_scope s JOIN assess_cases f ON f.received_at = s.received_at AND f.case_id = s.case_id"
            }
        };
        let f = &q.filter;
        let mut text = |col: &str, name: &str, v: &Option<String>| {
            if let Some(v) = v {
                params.push((name.into(), Value::Text(v.clone())));
                clauses.push(format!("{col} = {name}"));
            }
        };
        text("f.category", ":category", &f.category);
        text("f.channel", ":channel", &f.channel);
        text("f.request_type", ":rtype", &f.request_type);
        text("f.district", ":district", &f.district);
        text("f.police_line", ":line", &f.police_line);
        text("f.state", ":state", &f.state);
        if let Some(u) = f.unit {
            params.push((":unit".into(), Value::Text(u.to_string())));
            clauses.push("(f.handling_unit = :unit OR f.branch = :unit)".into());
        }
        if let Some(h) = f.hour {
            params.push((":hour".into(), Value::Integer(i64::from(h))));
            clauses.push("f.bj_hour = :hour".into());
        }
        let sql = format!("{select} FROM {from} WHERE {}", clauses.join(" AND "));
        Some((sql, params))
    }
}

fn dimension_key(d: Dimension) -> &'static str {
    match d {
        Dimension::Category => "f.category",
        Dimension::PoliceLine => "f.police_line",
        Dimension::District => "f.district",
        Dimension::Unit => "f.handling_unit",
        Dimension::Branch => "f.branch",
        Dimension::Channel => "f.channel",
        Dimension::RequestType => "f.request_type",
        Dimension::Day => "f.bj_day",
        Dimension::Week => "(f.bj_day - ((f.bj_day + 3) % 7))",
        Dimension::Month => "f.bj_month",
        Dimension::Hour => "f.bj_hour",
        Dimension::State => "f.state",
    }
}

fn named(params: &[(String, Value)]) -> Vec<(&str, &dyn rusqlite::ToSql)> {
    params
        .iter()
        .map(|(n, v)| (n.as_str(), v as &dyn rusqlite::ToSql))
        .collect()
}

/// (Beijing day, yyyymm, hour) of an instant: the time columns of a fact row.
fn bj_parts(t: DateTime<Utc>) -> (i64, i64, i64) {
    let day = beijing_day(t);
    (day, month_of_day(day), beijing_hour_of_ms(ms(t)))
}

impl minsheng_store::assessment::AssessmentStore for SqliteStore {
    fn facts_position(&self) -> StoreResult<u64> {
        db(|| {
            let conn = self.conn()?;
            let v: i64 = conn.query_row(
                "SELECT value FROM assess_meta WHERE key = 'facts_position'",
                [],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(v).unwrap_or(0))
        })
    }

    fn changed_cases(&self, after: u64, limit: usize) -> StoreResult<(Vec<CaseId>, u64)> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached(
                "SELECT seq, case_id FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after as i64, limit as i64], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut ids = Vec::new();
            let mut seen = std::collections::HashSet::new();
            let mut pos = after;
            for row in rows {
                let (seq, id) = row?;
                pos = u64::try_from(seq).unwrap_or(pos);
                if seen.insert(id.clone()) {
                    ids.push(parse_id(&id)?);
                }
            }
            Ok((ids, pos))
        })
    }

    fn cases_with_timelines(&self, ids: &[CaseId]) -> StoreResult<Vec<(Case, Vec<TimelineEntry>)>> {
        db(|| {
            let conn = self.conn()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(c) = super::cases::get_case(&conn, *id)? {
                    let t = super::cases::timeline(&conn, *id)?;
                    out.push((c, t));
                }
            }
            Ok(out)
        })
    }

    fn write_facts(&self, facts: &[CaseFacts], position: u64) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
            let mut deltas = minsheng_store::rollup::RollupDeltas::default();
            let mut keys = rollups::ScopeKeys::default();
            let mut duplicates = Vec::new();
            let mut del_case = tx.prepare_cached("DELETE FROM assess_cases WHERE case_id = ?1")?;
            let mut del_stints =
                tx.prepare_cached("DELETE FROM assess_stints WHERE case_id = ?1")?;
            let mut ins_case = tx.prepare_cached(
                "INSERT INTO assess_cases(received_at, case_id, bj_day, bj_month, bj_hour, category, channel,
                   request_type, district, handling_unit, branch, police_line, state, closed, answered_at,
                   first_satisfied, duplicate_of, merged_at, scope, dup_unit)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,NULL)",
            )?;
            let mut ins_stint = tx.prepare_cached(
                "INSERT INTO assess_stints(dispatched_at, case_id, n, unit_id, officer_id, sign_in_deadline,
                   signed_in_at, reply_deadline, completed_at, ended_at, returned, first_satisfied,
                   final_satisfied, settle_at)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
            )?;
            for f in facts {
                let c = &f.case;
                let id = c.case_id.to_string();
                // Take away what the case's old rows added to the rollups.
                if let Some(old) = rollups::load_case_row(tx, &id)? {
                    deltas.case(&old, -1);
                    if let (Some(m), Some(u)) = (old.merged_at, &old.dup_unit) {
                        deltas.duplicate(m, u, -1);
                    }
                }
                for s in rollups::case_stints(tx, &id)? {
                    deltas.stint(&s, -1);
                }
                del_case.execute([&id])?;
                del_stints.execute([&id])?;
                let row = minsheng_store::rollup::CaseRow::new(c, keys.column(tx, c)?);
                let (day, month, hour) = bj_parts(c.received_at);
                ins_case.execute(params![
                    row.received_at,
                    id,
                    day,
                    month,
                    hour,
                    row.category,
                    row.channel,
                    row.request_type,
                    row.district,
                    row.handling_unit,
                    row.branch,
                    row.police_line,
                    row.state,
                    row.closed,
                    row.answered_at,
                    row.first_satisfied,
                    row.duplicate_of,
                    row.merged_at,
                    row.scope,
                ])?;
                deltas.case(&row, 1);
                if c.duplicate_of.is_some() {
                    duplicates.push(id.clone());
                }
                for s in f.stints.iter().map(minsheng_store::rollup::stored) {
                    ins_stint.execute(params![
                        ms(s.dispatched_at),
                        id,
                        s.n,
                        s.unit_id.to_string(),
                        s.officer_id.map(|o| o.to_string()),
                        ms(s.sign_in_deadline),
                        opt_ms(s.signed_in_at),
                        ms(s.reply_deadline),
                        opt_ms(s.completed_at),
                        opt_ms(s.ended_at),
                        s.returned,
                        s.first_satisfied,
                        s.final_satisfied,
                        opt_ms(s.settles_at()),
                    ])?;
                    deltas.stint(&s, 1);
                }
            }
            // A duplicate counts for its master's handling unit: those just written, and
            // those of masters just written (their unit may have changed).
            for f in facts {
                duplicates.extend(rollups::duplicates_of(tx, &f.case.case_id.to_string())?);
            }
            duplicates.sort_unstable();
            duplicates.dedup();
            for d in &duplicates {
                rollups::attribute_duplicate(tx, d, &mut deltas)?;
            }
            rollups::apply_deltas(&deltas, tx)?;
            // Never move backwards if two runs overlap.
            tx.execute(
                "UPDATE assess_meta SET value = MAX(value, ?1) WHERE key = 'facts_position'",
                [position as i64],
            )?;
            Ok(())
        })
        })
    }

    fn for_each_case_timeline(
        &self,
        f: &mut dyn FnMut(Case, Vec<TimelineEntry>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        db(|| {
            let conn = self.conn()?;
            let ids: Vec<String> = conn
                .prepare("SELECT id FROM cases ORDER BY rowid")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut n = 0;
            for id in ids {
                let id: CaseId = parse_id(&id)?;
                if let Some(c) = super::cases::get_case(&conn, id)? {
                    let t = super::cases::timeline(&conn, id)?;
                    f(c, t)?;
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    fn period_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
        group: StintGroup,
        via: Via,
    ) -> StoreResult<Vec<(String, Counts)>> {
        db(|| {
            let conn = self.conn()?;
            if let (Via::Rollups, Some(days)) = (via, rollups::day_range(from, to)) {
                return rollups::period_counts(&conn, days, from, to, now, group);
            }
            let (col, extra) = match group {
                StintGroup::Unit => ("unit_id", ""),
                StintGroup::Officer => ("officer_id", "AND officer_id IS NOT NULL"),
            };
            let sql = STINT_COUNTS
                .replace("{group}", col)
                .replace("{extra}", extra);
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                rusqlite::named_params! {":from": ms(from), ":to": ms(to), ":now": ms(now)},
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        Counts {
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
                        },
                    ))
                },
            )?;
            let mut map: std::collections::HashMap<String, Counts> =
                rows.collect::<Result<_, _>>()?;
            if group == StintGroup::Unit {
                for (k, n) in Self::duplicate_counts(&conn, from, to)? {
                    map.entry(k).or_default().duplicates += n;
                }
            }
            Ok(map.into_iter().filter(|(_, c)| !c.is_empty()).collect())
        })
    }

    fn stints(
        &self,
        units: &[UnitId],
        officer: Option<UserId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Stint>> {
        db(|| {
            let conn = self.conn()?;
            let mut out = Vec::new();
            if let Some(o) = officer {
                let mut stmt = conn.prepare_cached(
                "SELECT * FROM assess_stints WHERE officer_id = ?1 AND dispatched_at >= ?2 AND dispatched_at < ?3
                 ORDER BY dispatched_at",
            )?;
                let rows =
                    stmt.query_map(params![o.to_string(), ms(from), ms(to)], stint_from_row)?;
                for r in rows {
                    out.push(r?);
                }
            }
            let mut stmt = conn.prepare_cached(
            "SELECT * FROM assess_stints WHERE unit_id = ?1 AND dispatched_at >= ?2 AND dispatched_at < ?3
             ORDER BY dispatched_at",
        )?;
            for u in units {
                let rows =
                    stmt.query_map(params![u.to_string(), ms(from), ms(to)], stint_from_row)?;
                for r in rows {
                    out.push(r?);
                }
            }
            out.sort_by_key(|a| (a.dispatched_at, a.case_id));
            Ok(out)
        })
    }

    fn duplicate_cases(
        &self,
        units: &[UnitId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<CaseId>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached(
            "SELECT d.case_id FROM assess_cases d JOIN assess_cases m ON m.case_id = d.duplicate_of
             WHERE d.merged_at >= ?1 AND d.merged_at < ?2 AND m.handling_unit = ?3 ORDER BY d.merged_at",
        )?;
            let mut out = Vec::new();
            for u in units {
                let rows = stmt.query_map(params![ms(from), ms(to), u.to_string()], |r| {
                    r.get::<_, String>(0)
                })?;
                for r in rows {
                    out.push(parse_id(&r?)?);
                }
            }
            Ok(out)
        })
    }

    fn analytics(&self, q: &AnalyticsQuery, via: Via) -> StoreResult<Vec<BucketCounts>> {
        db(|| {
            if via == Via::Rollups {
                if let Some(rows) = rollups::analytics(&*self.conn()?, q)? {
                    return Ok(rows);
                }
            }
            let key = dimension_key(q.by);
            let select = format!(
            "SELECT CAST({key} AS TEXT) AS k, COUNT(*), SUM(f.closed), SUM(f.first_satisfied IS NOT NULL),
               SUM(f.first_satisfied = 0), SUM(f.duplicate_of IS NOT NULL)"
        );
            let Some((sql, params)) = Self::analytics_sql(q, &select) else {
                return Ok(Vec::new());
            };
            let sql = format!("{sql} GROUP BY k");
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(named(&params).as_slice(), |r| {
                Ok(BucketCounts {
                    key: r.get(0)?,
                    count: count(r, 1)?,
                    closed: count(r, 2)?,
                    answered: count(r, 3)?,
                    unsatisfied: count(r, 4)?,
                    duplicates: count(r, 5)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn analytics_cases(&self, q: &AnalyticsQuery, limit: usize) -> StoreResult<Vec<CaseId>> {
        db(|| {
            let Some((sql, mut params)) = Self::analytics_sql(q, "SELECT f.case_id") else {
                return Ok(Vec::new());
            };
            params.push((":limit".into(), Value::Integer(limit as i64)));
            let sql = format!("{sql} ORDER BY f.received_at DESC LIMIT :limit");
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(named(&params).as_slice(), |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for r in rows {
                out.push(parse_id(&r?)?);
            }
            Ok(out)
        })
    }

    fn week_cells(&self, from_week: i64, to_week: i64, via: Via) -> StoreResult<WeekCells> {
        db(|| {
            let conn = self.conn()?;
            if via == Via::Rollups {
                if let Some(cells) = rollups::week_cells(&conn, from_week, to_week)? {
                    return Ok(cells);
                }
            }
            let from = from_week * DAY_MS - BEIJING_OFFSET_MS;
            let to = (to_week + 7) * DAY_MS - BEIJING_OFFSET_MS;
            let volume = |area: &str| -> StoreResult<Vec<WeekCell>> {
                db(|| {
                    let sql = format!(
                "SELECT w, category, area, COUNT(*) FROM (
                   SELECT (bj_day - ((bj_day + 3) % 7)) AS w, category, {area} AS area FROM assess_cases
                   WHERE received_at >= ?1 AND received_at < ?2 AND category IS NOT NULL
                     AND {area} IS NOT NULL AND duplicate_of IS NULL)
                 GROUP BY w, category, area"
            );
                    let mut stmt = conn.prepare_cached(&sql)?;
                    let rows = stmt.query_map(params![from, to], |r| {
                        Ok(WeekCell {
                            week: r.get(0)?,
                            category: r.get(1)?,
                            area: r.get(2)?,
                            count: count(r, 3)?,
                            unsatisfied: 0,
                        })
                    })?;
                    Ok(rows.collect::<Result<_, _>>()?)
                })
            };
            let by_district = volume("district")?;
            let by_unit = volume("handling_unit")?;
            let sql = format!(
            "SELECT {WEEK_OF_DAY} AS w, category, handling_unit, COUNT(*), SUM(first_satisfied = 0) FROM (
               SELECT (answered_at + {BEIJING_OFFSET_MS}) / {DAY_MS} AS d, category, handling_unit, first_satisfied
               FROM assess_cases WHERE answered_at >= ?1 AND answered_at < ?2
                 AND category IS NOT NULL AND handling_unit IS NOT NULL)
             GROUP BY w, category, handling_unit"
        );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![from, to], |r| {
                Ok(WeekCell {
                    week: r.get(0)?,
                    category: r.get(1)?,
                    area: r.get(2)?,
                    count: count(r, 3)?,
                    unsatisfied: count(r, 4)?,
                })
            })?;
            let dissatisfaction_by_unit = rows.collect::<Result<_, _>>()?;
            Ok(WeekCells {
                by_district,
                by_unit,
                dissatisfaction_by_unit,
            })
        })
    }

    fn upsert_alerts(&self, alerts: &[AlertRecord]) -> StoreResult<Vec<AlertRecord>> {
        db(|| {
            self.write(|tx| {
            let mut stored = Vec::with_capacity(alerts.len());
            for a in alerts {
                let existing: Option<String> = tx
                    .query_row(
                        "SELECT id FROM assess_alerts WHERE kind=?1 AND area_kind=?2 AND area=?3 AND category=?4 AND week=?5",
                        params![a.kind, a.area_kind, a.area, a.category, a.week],
                        |r| r.get(0),
                    )
                    .optional()?;
                let mut rec = a.clone();
                if let Some(id) = existing {
                    // Same alert seen again later in the week: keep its id and first raise time.
                    let old: String = tx.query_row(
                        "SELECT data FROM assess_alerts WHERE id = ?1",
                        [&id],
                        |r| r.get(0),
                    )?;
                    let old: AlertRecord = serde_json::from_str(&old)?;
                    rec.id = id;
                    rec.raised_at = old.raised_at;
                    tx.execute(
                        "UPDATE assess_alerts SET data = ?2 WHERE id = ?1",
                        params![rec.id, serde_json::to_string(&rec)?],
                    )?;
                    stored.push(rec);
                    continue;
                }
                tx.execute(
                    "INSERT INTO assess_alerts(id, kind, area_kind, area, category, week, raised_at, data)
                     VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                    params![
                        rec.id,
                        rec.kind,
                        rec.area_kind,
                        rec.area,
                        rec.category,
                        rec.week,
                        ms(rec.raised_at),
                        serde_json::to_string(&rec)?
                    ],
                )?;
                for u in &rec.units {
                    tx.execute(
                        "INSERT OR IGNORE INTO assess_alert_units(unit_id, alert_id, raised_at) VALUES (?1,?2,?3)",
                        params![u.to_string(), rec.id, ms(rec.raised_at)],
                    )?;
                }
                stored.push(rec);
            }
            Ok(stored)
        })
        })
    }

    fn alerts_to_push(&self, limit: usize) -> StoreResult<Vec<AlertRecord>> {
        db(|| {
            let conn = self.conn()?;
            let datas: Vec<String> = conn
            .prepare_cached(
                "SELECT data FROM assess_alerts WHERE pushed_at IS NULL ORDER BY raised_at LIMIT ?1",
            )?
            .query_map([limit as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
            datas.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
        })
    }

    fn mark_alert_pushed(&self, id: &str, at: DateTime<Utc>) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                tx.execute(
                    "UPDATE assess_alerts SET pushed_at = ?2 WHERE id = ?1",
                    params![id, ms(at)],
                )?;
                Ok(())
            })
        })
    }

    fn alerts(&self, units: Option<&[UnitId]>, limit: usize) -> StoreResult<Vec<AlertRecord>> {
        db(|| {
            let conn = self.conn()?;
            let datas: Vec<String> = match units {
                None => conn
                    .prepare_cached(
                        "SELECT data FROM assess_alerts ORDER BY raised_at DESC LIMIT ?1",
                    )?
                    .query_map([limit as i64], |r| r.get(0))?
                    .collect::<Result<_, _>>()?,
                Some(units) => {
                    let marks = vec!["?"; units.len().max(1)].join(",");
                    let sql = format!(
                    "SELECT DISTINCT a.data, a.raised_at FROM assess_alert_units u JOIN assess_alerts a ON a.id = u.alert_id
                     WHERE u.unit_id IN ({marks}) ORDER BY a.raised_at DESC LIMIT {limit}"
                );
                    let ids: Vec<String> = if units.is_empty() {
                        vec![String::new()]
                    } else {
                        units.iter().map(ToString::to_string).collect()
                    };
                    conn.prepare(&sql)?
                        .query_map(params_from_iter(ids), |r| r.get(0))?
                        .collect::<Result<_, _>>()?
                }
            };
            datas.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
        })
    }

    fn insert_report(&self, r: &ReportRecord, replace: bool) -> StoreResult<bool> {
        db(|| {
            self.write(|tx| {
                if replace {
                    tx.execute(
                        "DELETE FROM assess_reports WHERE kind = ?1 AND period_start = ?2",
                        params![r.kind, r.period_start],
                    )?;
                }
                let n = tx.execute(
                "INSERT OR IGNORE INTO assess_reports(id, kind, period_start, generated_at, data)
                 VALUES (?1,?2,?3,?4,?5)",
                params![
                    r.id,
                    r.kind,
                    r.period_start,
                    ms(r.generated_at),
                    serde_json::to_string(r)?
                ],
            )?;
                Ok(n == 1)
            })
        })
    }

    fn reports(&self, kind: Option<&str>, limit: usize) -> StoreResult<Vec<ReportRecord>> {
        db(|| {
            let conn = self.conn()?;
            let rows: Vec<String> = conn
                .prepare_cached(
                    "SELECT data FROM assess_reports WHERE ?1 IS NULL OR kind = ?1
                 ORDER BY period_start DESC, generated_at DESC LIMIT ?2",
                )?
                .query_map(params![kind, limit as i64], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            rows.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
        })
    }

    fn report(&self, id: &str) -> StoreResult<Option<ReportRecord>> {
        db(|| {
            let conn = self.conn()?;
            let d: Option<String> = conn
                .query_row("SELECT data FROM assess_reports WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            d.map(|d| Ok(serde_json::from_str(&d)?)).transpose()
        })
    }

    fn assessment_setting(&self, key: &str) -> StoreResult<Option<String>> {
        db(|| {
            let conn = self.conn()?;
            Ok(conn
                .query_row(
                    "SELECT value FROM assess_settings WHERE key = ?1",
                    [key],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    fn set_assessment_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                tx.execute(
                    "INSERT INTO assess_settings(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![key, value],
                )?;
                Ok(())
            })
        })
    }
}
