//! The cases behind a score: every stint of a unit (its stations, for a branch) or of
//! an officer in a period, classified exactly as the score counts it.

use chrono::{DateTime, Utc};
use minsheng_domain::ids::{CaseId, UnitId, UserId};
use minsheng_domain::org::UnitLevel;
use minsheng_domain::role::Actor;
use serde::{Deserialize, Serialize};

use super::board::may_see;
use super::period::{Period, PeriodView};
use super::score::outcome;
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::assessment::{Counts, Stint};

/// Which cases to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Metric {
    Received,
    SignInOnTime,
    SignInLate,
    ReplyOnTime,
    ReplyLate,
    Returned,
    Answered,
    Rehandled,
    Satisfied,
    Unsatisfied,
    Overdue,
    Duplicates,
    /// 责任倒查 records decided in the period (each deducts `deductPerAccountability`).
    Accountability,
}

impl Metric {
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map_err(|_| ApiError::BadRequest(format!("参数 metric 的值“{s}”无效")))
    }

    fn matches(self, c: &Counts) -> bool {
        match self {
            Self::Received => true,
            Self::SignInOnTime => c.sign_in_decided == 1 && c.sign_in_late == 0,
            Self::SignInLate => c.sign_in_late == 1,
            Self::ReplyOnTime => c.reply_decided == 1 && c.reply_late == 0,
            Self::ReplyLate => c.reply_late == 1,
            Self::Returned => c.returned == 1,
            Self::Answered => c.answered == 1,
            Self::Rehandled => c.rehandled == 1,
            Self::Satisfied => c.satisfied == 1,
            Self::Unsatisfied => c.answered == 1 && c.satisfied == 0,
            Self::Overdue => c.overdue == 1,
            Self::Duplicates | Self::Accountability => false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExplainItem {
    #[schema(value_type = String)]
    pub case_id: CaseId,
    pub number: Option<String>,
    pub title: String,
    /// The stint (None for a duplicate linked to the unit's case).
    pub stint: Option<Stint>,
    /// What this stint adds to the row's counts.
    pub counts: Option<Counts>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub period: PeriodView,
    pub metric: Metric,
    pub as_of: DateTime<Utc>,
    pub total: usize,
    /// At most 500 items, oldest dispatch first.
    pub items: Vec<ExplainItem>,
}

pub fn explain(
    s: &AppState,
    actor: &Actor,
    period: Period,
    unit: Option<UnitId>,
    officer: Option<UserId>,
    metric: Metric,
    now: DateTime<Utc>,
) -> Result<Explanation, ApiError> {
    let org = s.org();
    let (from, to) = (period.from(), period.to());
    let (units, officer) = match (unit, officer) {
        (_, Some(o)) => {
            let u = s.store.user(o)?.ok_or(ApiError::NotFound("民警"))?;
            if !may_see(actor, &org, u.unit_id, Some(o)) {
                return Err(ApiError::Forbidden);
            }
            (Vec::new(), Some(o))
        }
        (Some(u), None) => {
            let unit = org.get(u).ok_or(ApiError::NotFound("单位"))?;
            if !may_see(actor, &org, u, None) {
                return Err(ApiError::Forbidden);
            }
            let units = if unit.level == UnitLevel::Station {
                vec![u]
            } else {
                org.subtree(u)
            };
            (units, None)
        }
        (None, None) => {
            return Err(ApiError::BadRequest("请指定 unit 或 officer".into()));
        }
    };
    let mut items = Vec::new();
    if metric == Metric::Duplicates {
        for id in s.store.duplicate_cases(&units, from, to)? {
            items.push((id, None, None));
        }
    } else if metric == Metric::Accountability {
        // The complaint each decided record came from — never the record's content.
        for r in crate::accountability::decided_for(s, from, to, &units, officer)? {
            let one = Counts {
                accountability: 1,
                ..Counts::default()
            };
            items.push((r.case_id, None, Some(one)));
        }
    } else {
        for st in s.store.stints(&units, officer, from, to)? {
            let c = outcome(&st, now);
            if metric.matches(&c) {
                items.push((st.case_id, Some(st), Some(c)));
            }
        }
    }
    let total = items.len();
    let mut out = Vec::new();
    for (id, stint, counts) in items.into_iter().take(500) {
        let c = s.store.case(id)?;
        out.push(ExplainItem {
            case_id: id,
            number: c.as_ref().and_then(|c| c.number.clone()),
            title: c.map(|c| c.title).unwrap_or_default(),
            stint,
            counts,
        });
    }
    Ok(Explanation {
        period: period.view(),
        metric,
        as_of: now,
        total,
        items: out,
    })
}
