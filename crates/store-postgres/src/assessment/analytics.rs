//! Analytics buckets (from the rollups for unfiltered queries over whole Beijing days,
//! else from the facts), their drill-down, and the early-warning week cells.

use std::collections::BTreeMap;

use minsheng_domain::calendar::{monday_of, month_of_day, BEIJING_OFFSET_MS, DAY_MS};
use minsheng_domain::case::CaseState;
use minsheng_domain::ids::CaseId;
use minsheng_domain::scope::ListScope;
use minsheng_store::assessment::{
    AnalyticsFilter, AnalyticsQuery, BucketCounts, Dimension, Via, WeekCell, WeekCells,
};
use minsheng_store::rollup::{
    add, DIMS, EVERYTHING, FOLLOW_UP, STATE_DIM, WEEK_ANSWERS, WEEK_DISTRICT, WEEK_UNIT,
};
use postgres::types::ToSql;
use postgres::{GenericClient, Transaction};

use super::{big, count};
use crate::{ms, parse_id, states_sql, DbResult, PgStore};

/// Positional parameters of a query built piece by piece.
#[derive(Default)]
struct Params(Vec<Box<dyn ToSql + Sync>>);

impl Params {
    /// Adds a value; returns its placeholder (`$n`).
    fn add(&mut self, v: impl ToSql + Sync + 'static) -> String {
        self.0.push(Box::new(v));
        format!("${}", self.0.len())
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect()
    }
}

/// `SELECT {select} FROM … WHERE …` over the facts of a query; None when nothing can
/// match. Scoped queries drive from `case_scope` (indexed by unit and time).
fn facts_sql(q: &AnalyticsQuery, select: &str, p: &mut Params) -> Option<String> {
    let (from, to) = (p.add(ms(q.from)), p.add(ms(q.to)));
    let mut clauses = Vec::new();
    let tables = match &q.scope {
        ListScope::Nothing => return None,
        ListScope::Everything | ListScope::FollowUpPhase => {
            clauses.push(format!("f.received_at >= {from} AND f.received_at < {to}"));
            if q.scope == ListScope::FollowUpPhase {
                clauses.push(format!(
                    "f.state IN {}",
                    states_sql(CaseState::is_follow_up_phase)
                ));
            }
            "assess_cases f"
        }
        ListScope::Unit(u) => {
            let unit = p.add(u.to_string());
            clauses.push(format!(
                "s.unit_id = {unit} AND s.received_at >= {from} AND s.received_at < {to}"
            ));
            "case_scope s JOIN assess_cases f ON f.case_id = s.case_id AND f.received_at = s.received_at"
        }
    };
    let f = &q.filter;
    for (col, v) in [
        ("f.category", &f.category),
        ("f.channel", &f.channel),
        ("f.request_type", &f.request_type),
        ("f.district", &f.district),
        ("f.police_line", &f.police_line),
        ("f.state", &f.state),
    ] {
        if let Some(v) = v {
            clauses.push(format!("{col} = {}", p.add(v.clone())));
        }
    }
    if let Some(u) = f.unit {
        let unit = p.add(u.to_string());
        clauses.push(format!("(f.handling_unit = {unit} OR f.branch = {unit})"));
    }
    if let Some(h) = f.hour {
        clauses.push(format!("f.bj_hour = {}", p.add(i64::from(h))));
    }
    Some(format!(
        "SELECT {select} FROM {tables} WHERE {}",
        clauses.join(" AND ")
    ))
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

fn bucket(key: Option<String>, a: [i64; 5]) -> BucketCounts {
    let n = |x: i64| u64::try_from(x).unwrap_or(0);
    BucketCounts {
        key,
        count: n(a[0]),
        closed: n(a[1]),
        answered: n(a[2]),
        unsatisfied: n(a[3]),
        duplicates: n(a[4]),
    }
}

pub(super) fn analytics(
    store: &PgStore,
    q: &AnalyticsQuery,
    via: Via,
) -> DbResult<Vec<BucketCounts>> {
    store.read_snapshot(|tx| {
        if via == Via::Rollups {
            if let Some(rows) = from_rollups(tx, q)? {
                return Ok(rows);
            }
        }
        let select = format!(
            "CAST({} AS TEXT) AS k, COUNT(*),
               SUM(CASE WHEN f.closed THEN 1 ELSE 0 END),
               SUM(CASE WHEN f.first_satisfied IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN f.first_satisfied = FALSE THEN 1 ELSE 0 END),
               SUM(CASE WHEN f.duplicate_of IS NOT NULL THEN 1 ELSE 0 END)",
            dimension_key(q.by)
        );
        let mut p = Params::default();
        let Some(sql) = facts_sql(q, &select, &mut p) else {
            return Ok(Vec::new());
        };
        let rows = tx.query(&format!("{sql} GROUP BY 1 ORDER BY 1"), &p.refs())?;
        rows.iter()
            .map(|r| {
                let mut a = [0i64; 5];
                for (i, x) in a.iter_mut().enumerate() {
                    *x = r.try_get::<_, Option<i64>>(i + 1)?.unwrap_or(0);
                }
                Ok(bucket(r.try_get(0)?, a))
            })
            .collect()
    })
}

/// The scope key of a query; None when nothing can match.
fn query_scope(c: &mut impl GenericClient, scope: &ListScope) -> DbResult<Option<i64>> {
    Ok(match scope {
        ListScope::Nothing => None,
        ListScope::Everything => Some(EVERYTHING),
        ListScope::FollowUpPhase => Some(FOLLOW_UP),
        ListScope::Unit(u) => c
            .query_opt(
                "SELECT id FROM assess_scope_keys WHERE unit_id = $1",
                &[&u.to_string()],
            )?
            .map(|r| r.try_get(0))
            .transpose()?,
    })
}

/// An unfiltered analytics query over whole days; None when rollups cannot answer it.
fn from_rollups(
    tx: &mut Transaction<'_>,
    q: &AnalyticsQuery,
) -> DbResult<Option<Vec<BucketCounts>>> {
    let Some((d0, d1)) =
        super::counts::day_range(q.from, q.to).filter(|_| q.filter == AnalyticsFilter::default())
    else {
        return Ok(None);
    };
    let Some(scope) = query_scope(tx, &q.scope)? else {
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
    let rows = tx.query(
        &format!(
            "SELECT CAST({group} AS TEXT), CAST(SUM(n) AS BIGINT), CAST(SUM(closed) AS BIGINT),
               CAST(SUM(answered) AS BIGINT), CAST(SUM(unsatisfied) AS BIGINT),
               CAST(SUM(duplicates) AS BIGINT)
             FROM assess_roll_cases WHERE scope = $1 AND dim = $2 AND day >= $3 AND day < $4
             GROUP BY {group} HAVING SUM(n) > 0"
        ),
        &[&scope, &dim, &d0, &d1],
    )?;
    let mut buckets: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    for r in &rows {
        let k: String = r.try_get(0)?;
        let mut a = [0i64; 5];
        for (i, x) in a.iter_mut().enumerate() {
            *x = r.try_get::<_, Option<i64>>(i + 1)?.unwrap_or(0);
        }
        let key = match q.by {
            Dimension::Week => monday_of(k.parse().unwrap_or_default()).to_string(),
            Dimension::Month => month_of_day(k.parse().unwrap_or_default()).to_string(),
            _ => k,
        };
        add(buckets.entry(key).or_default(), &a, 1);
    }
    Ok(Some(
        buckets
            .into_iter()
            .map(|(k, a)| bucket((!k.is_empty()).then_some(k), a.map(|x| x.max(0))))
            .collect(),
    ))
}

pub(super) fn analytics_cases(
    store: &PgStore,
    q: &AnalyticsQuery,
    limit: usize,
) -> DbResult<Vec<CaseId>> {
    let mut p = Params::default();
    let Some(sql) = facts_sql(q, "f.case_id", &mut p) else {
        return Ok(Vec::new());
    };
    let limit = p.add(big(limit));
    store.read(|c| {
        let rows = c.query(
            &format!("{sql} ORDER BY f.received_at DESC, f.case_id DESC LIMIT {limit}"),
            &p.refs(),
        )?;
        rows.iter()
            .map(|r| parse_id(r.try_get::<_, &str>(0)?))
            .collect()
    })
}

pub(super) fn week_cells(
    store: &PgStore,
    from_week: i64,
    to_week: i64,
    via: Via,
) -> DbResult<WeekCells> {
    // Three reads that must agree.
    store.read_snapshot(|tx| {
        if via == Via::Rollups && monday_of(from_week) == from_week {
            let stmt = tx.prepare(
                "SELECT week, category, area, n, unsatisfied FROM assess_roll_weeks
                 WHERE kind = $1 AND week >= $2 AND week <= $3 AND n > 0",
            )?;
            let mut cells = |kind: i64| -> DbResult<Vec<WeekCell>> {
                tx.query(&stmt, &[&kind, &from_week, &to_week])?
                    .iter()
                    .map(|r| {
                        Ok(WeekCell {
                            week: r.try_get(0)?,
                            category: r.try_get(1)?,
                            area: r.try_get(2)?,
                            count: count(r, 3)?,
                            unsatisfied: count(r, 4)?,
                        })
                    })
                    .collect()
            };
            return Ok(WeekCells {
                by_district: cells(WEEK_DISTRICT)?,
                by_unit: cells(WEEK_UNIT)?,
                dissatisfaction_by_unit: cells(WEEK_ANSWERS)?,
            });
        }
        let from = from_week * DAY_MS - BEIJING_OFFSET_MS;
        let to = (to_week + 7) * DAY_MS - BEIJING_OFFSET_MS;
        let mut volume = |area: &str| -> DbResult<Vec<WeekCell>> {
            let sql = format!(
                "SELECT w, category, area, COUNT(*) FROM (
                   SELECT (bj_day - ((bj_day + 3) % 7)) AS w, category, {area} AS area
                   FROM assess_cases
                   WHERE received_at >= $1 AND received_at < $2 AND category IS NOT NULL
                     AND {area} IS NOT NULL AND duplicate_of IS NULL) AS t
                 GROUP BY w, category, area"
            );
            tx.query(&sql, &[&from, &to])?
                .iter()
                .map(|r| {
                    Ok(WeekCell {
                        week: r.try_get(0)?,
                        category: r.try_get(1)?,
                        area: r.try_get(2)?,
                        count: count(r, 3)?,
                        unsatisfied: 0,
                    })
                })
                .collect()
        };
        let by_district = volume("district")?;
        let by_unit = volume("handling_unit")?;
        let sql = format!(
            "SELECT (d - ((d + 3) % 7)) AS w, category, handling_unit, COUNT(*),
               SUM(CASE WHEN first_satisfied = FALSE THEN 1 ELSE 0 END) FROM (
               SELECT (answered_at + {BEIJING_OFFSET_MS}) / {DAY_MS} AS d, category,
                 handling_unit, first_satisfied
               FROM assess_cases WHERE answered_at >= $1 AND answered_at < $2
                 AND category IS NOT NULL AND handling_unit IS NOT NULL) AS t
             GROUP BY 1, category, handling_unit"
        );
        let dissatisfaction_by_unit = tx
            .query(&sql, &[&from, &to])?
            .iter()
            .map(|r| {
                Ok(WeekCell {
                    week: r.try_get(0)?,
                    category: r.try_get(1)?,
                    area: r.try_get(2)?,
                    count: count(r, 3)?,
                    unsatisfied: count(r, 4)?,
                })
            })
            .collect::<DbResult<_>>()?;
        Ok(WeekCells {
            by_district,
            by_unit,
            dissatisfaction_by_unit,
        })
    })
}
