//! Analytics aggregates (pie, bar and trend charts) over the caller's scope, with a
//! drill-down filter per bucket.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::case::{CaseState, Channel, RequestType};
use minsheng_domain::ids::UnitId;
use minsheng_domain::org::{OrgTree, PoliceLine};
use minsheng_domain::role::Actor;
use minsheng_domain::scope::list_scope;
use serde::{Deserialize, Serialize};

use super::period::{check_instant, date_of_day, day_start, Period};
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::assessment::{AnalyticsFilter, AnalyticsQuery, Dimension, Via};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnalyticsParams {
    /// category (default), policeLine, district, unit, branch, channel, requestType, day,
    /// week, month, hour, state.
    #[param(value_type = Option<minsheng_store::assessment::Dimension>, inline)]
    pub by: Option<String>,
    /// week, month (default) or year; with `date`, the period analysed.
    #[param(pattern = "^(week|month|year|周|月|年)$")]
    pub period: Option<String>,
    /// Any day inside the period, `YYYY-MM-DD` (default today, Beijing).
    #[param(format = Date)]
    pub date: Option<String>,
    /// Explicit range instead of a period (at most three years; `from` before `to`;
    /// years 1–9999).
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub category: Option<String>,
    /// Channel name or code (empty: any).
    pub channel: Option<String>,
    /// Request type name or code (empty: any).
    pub request_type: Option<String>,
    pub district: Option<String>,
    /// Police line name (`治安`) or code (`PublicOrder`); empty: any.
    pub police_line: Option<String>,
    /// Handling unit id (empty: any).
    #[param(
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub unit: Option<String>,
    /// Hour of day, Beijing (0–23).
    #[param(maximum = 23)]
    pub hour: Option<u32>,
    /// State code (`archived` ...).
    pub state: Option<String>,
    /// Drill-down page size (analytics/cases).
    pub limit: Option<usize>,
}

/// A filter `GET /api/v1/cases` understands, or the exact drill-down endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Drill {
    pub path: String,
    pub query: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    pub key: Option<String>,
    pub label: String,
    pub count: u64,
    pub closed: u64,
    pub answered: u64,
    pub unsatisfied: u64,
    /// Share of first follow-up answers that were 满意/基本满意, percent.
    pub satisfaction: Option<f64>,
    pub duplicates: u64,
    /// The same cases in `GET /api/v1/cases`, when its filters can express the bucket.
    pub cases: Option<Drill>,
    /// Exactly these cases: `GET /api/v1/analytics/cases` with this query.
    pub exact: Drill,
}

/// Sums over every case of the query (with or without a value for the dimension).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsTotals {
    pub count: u64,
    pub closed: u64,
    pub answered: u64,
    pub unsatisfied: u64,
    /// Share of first follow-up answers that were 满意/基本满意, percent.
    pub satisfaction: Option<f64>,
    pub duplicates: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsView {
    pub by: Dimension,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Cases of the query (= `totals.count`).
    pub total: u64,
    /// Sums over every case of the query, including `missing`.
    pub totals: AnalyticsTotals,
    /// Cases with no value for the dimension (no category, district, handling unit or
    /// police line yet, e.g. not dispatched): counted in `totals`, never a bucket, so
    /// “未填写” is never ranked as a unit, category or police line.
    pub missing: u64,
    /// One per value, largest first (time dimensions: in time order).
    pub buckets: Vec<Bucket>,
}

fn dimension(s: &str) -> Result<Dimension, ApiError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| ApiError::BadRequest(format!("参数 by 的值“{s}”无效")))
}

fn bad(field: &str, v: &str) -> ApiError {
    ApiError::BadRequest(format!("参数 {field} 的值“{v}”无效"))
}

/// Builds the store query; labels are validated against the vocabularies.
pub fn query(
    p: &AnalyticsParams,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<AnalyticsQuery, ApiError> {
    let by = dimension(p.by.as_deref().unwrap_or("category"))?;
    let from = p.from.map(|t| check_instant("from", t)).transpose()?;
    let to = p.to.map(|t| check_instant("to", t)).transpose()?;
    let (from, to) = match (from, to) {
        (Some(f), Some(t)) => (f, t),
        (Some(f), None) => (f, now),
        (None, Some(t)) => (t - Duration::days(30), t),
        (None, None) => {
            let per: Period = super::board::period_of(p.period.as_deref(), p.date.as_deref(), now)?;
            (per.from(), per.to())
        }
    };
    if to <= from || to - from > Duration::days(3 * 366) {
        return Err(ApiError::BadRequest("时间范围无效（最长三年）".into()));
    }
    let nonempty = |v: &Option<String>| v.clone().filter(|x| !x.trim().is_empty());
    let channel = nonempty(&p.channel)
        .map(|c| {
            c.parse::<Channel>()
                .map(|x| x.label_zh().to_owned())
                .map_err(|_| bad("channel", &c))
        })
        .transpose()?;
    let request_type = nonempty(&p.request_type)
        .map(|c| {
            c.parse::<RequestType>()
                .map(|x| x.label_zh().to_owned())
                .map_err(|_| bad("requestType", &c))
        })
        .transpose()?;
    let police_line = nonempty(&p.police_line)
        .map(|c| {
            c.parse::<PoliceLine>()
                .map(|x| x.label_zh().to_owned())
                .map_err(|_| bad("policeLine", &c))
        })
        .transpose()?;
    let unit = nonempty(&p.unit)
        .map(|u| u.parse::<UnitId>().map_err(|_| bad("unit", &u)))
        .transpose()?;
    if p.hour.is_some_and(|h| h > 23) {
        return Err(bad("hour", &p.hour.unwrap_or_default().to_string()));
    }
    Ok(AnalyticsQuery {
        scope: list_scope(actor),
        from,
        to,
        by,
        filter: AnalyticsFilter {
            category: nonempty(&p.category),
            channel,
            request_type,
            district: nonempty(&p.district),
            police_line,
            unit,
            hour: p.hour,
            state: nonempty(&p.state)
                .map(|c| {
                    CaseState::from_code(&c)
                        .map(CaseState::code)
                        .ok_or_else(|| bad("state", &c))
                })
                .transpose()?,
        },
    })
}

fn label(org: &OrgTree, by: Dimension, key: Option<&str>) -> String {
    let Some(k) = key else {
        return "未填写".into();
    };
    let num = k.parse::<i64>().unwrap_or_default();
    match by {
        Dimension::Day | Dimension::Week => date_of_day(num).format("%Y-%m-%d").to_string(),
        Dimension::Month => format!("{}-{:02}", num / 100, num % 100),
        Dimension::Hour => format!("{num:02}时"),
        Dimension::Unit | Dimension::Branch => k
            .parse::<UnitId>()
            .ok()
            .and_then(|u| org.get(u))
            .map_or_else(|| k.to_owned(), |u| u.name.clone()),
        Dimension::State => {
            CaseState::from_code(k).map_or_else(|| k.to_owned(), |s| s.label_zh().to_owned())
        }
        _ => k.to_owned(),
    }
}

/// The time range a time bucket covers, clipped to the query's.
fn bucket_range(q: &AnalyticsQuery, key: i64) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let (start, days) = match q.by {
        Dimension::Day => (date_of_day(key), 1),
        Dimension::Week => (date_of_day(key), 7),
        Dimension::Month => {
            let start = chrono::NaiveDate::from_ymd_opt(
                i32::try_from(key / 100).ok()?,
                u32::try_from(key % 100).ok()?,
                1,
            )?;
            let p = Period::containing(super::period::PeriodKind::Month, start);
            (start, (p.end_exclusive() - start).num_days())
        }
        _ => return None,
    };
    let from = day_start(start).max(q.from);
    let to = day_start(start + Duration::days(days)).min(q.to);
    Some((from, to))
}

fn drills(q: &AnalyticsQuery, key: Option<&str>) -> (Option<Drill>, Drill) {
    let mut base: BTreeMap<String, String> = BTreeMap::new();
    let f = &q.filter;
    let (mut from, mut to) = (q.from, q.to);
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            base.insert(k.into(), v.clone());
        }
    };
    put("category", &f.category);
    put("channel", &f.channel);
    put("requestType", &f.request_type);
    put("district", &f.district);
    put("policeLine", &f.police_line);
    put("unit", &f.unit.map(|u| u.to_string()));
    put("hour", &f.hour.map(|h| h.to_string()));
    put("state", &f.state);
    let dim_param = match q.by {
        Dimension::Category => Some("category"),
        Dimension::PoliceLine => Some("policeLine"),
        Dimension::District => Some("district"),
        Dimension::Unit | Dimension::Branch => Some("unit"),
        Dimension::Channel => Some("channel"),
        Dimension::RequestType => Some("requestType"),
        Dimension::Hour => Some("hour"),
        Dimension::State => Some("state"),
        Dimension::Day | Dimension::Week | Dimension::Month => None,
    };
    let mut expressible = key.is_some();
    match (dim_param, key) {
        (Some(p), Some(k)) => {
            base.insert(p.into(), k.to_owned());
        }
        (None, Some(k)) => {
            if let Some((a, b)) = k.parse().ok().and_then(|n| bucket_range(q, n)) {
                from = a;
                to = b;
            }
        }
        _ => {}
    }
    base.insert("from".into(), from.to_rfc3339());
    base.insert("to".into(), to.to_rfc3339());
    // `GET /cases` has no district, police line or hour filter, and its `unit` means
    // the unit's whole reach rather than the handling unit.
    for k in ["district", "policeLine", "hour", "unit"] {
        if base.contains_key(k) {
            expressible = false;
        }
    }
    let exact = base.clone();
    let cases = expressible.then(|| Drill {
        path: "/api/v1/cases".into(),
        query: base,
    });
    (
        cases,
        Drill {
            path: "/api/v1/analytics/cases".into(),
            query: exact,
        },
    )
}

fn satisfaction(answered: u64, unsatisfied: u64) -> Option<f64> {
    (answered > 0)
        .then(|| super::score::round2((answered - unsatisfied) as f64 * 100.0 / answered as f64))
}

pub fn run(s: &AppState, q: &AnalyticsQuery) -> Result<AnalyticsView, ApiError> {
    let org = s.org();
    let rows = s.store.analytics(q, Via::Rollups)?;
    let mut t = AnalyticsTotals::default();
    for r in &rows {
        t.count += r.count;
        t.closed += r.closed;
        t.answered += r.answered;
        t.unsatisfied += r.unsatisfied;
        t.duplicates += r.duplicates;
    }
    t.satisfaction = satisfaction(t.answered, t.unsatisfied);
    let (mut rows, absent): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.key.is_some());
    let time = matches!(
        q.by,
        Dimension::Day | Dimension::Week | Dimension::Month | Dimension::Hour
    );
    if time {
        rows.sort_by_key(|r| r.key.as_deref().and_then(|k| k.parse::<i64>().ok()));
    } else {
        rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
    }
    let buckets = rows
        .into_iter()
        .map(|r| {
            let (cases, exact) = drills(q, r.key.as_deref());
            Bucket {
                label: label(&org, q.by, r.key.as_deref()),
                satisfaction: satisfaction(r.answered, r.unsatisfied),
                key: r.key,
                count: r.count,
                closed: r.closed,
                answered: r.answered,
                unsatisfied: r.unsatisfied,
                duplicates: r.duplicates,
                cases,
                exact,
            }
        })
        .collect();
    Ok(AnalyticsView {
        by: q.by,
        from: q.from,
        to: q.to,
        total: t.count,
        totals: t,
        missing: absent.iter().map(|r| r.count).sum(),
        buckets,
    })
}
