//! 责任倒查 (accountability): a 涉警投诉 found 属实 or 部分属实 — at its final sign-off
//! or at the level-3 investigation — opens a record in the same transaction as that
//! action (`opening`, called by the case service's `transition`; a case opens at most
//! one). Only `Capability::Accountability` (纪检督察, 市局领导) reaches the records: not
//! the admin, not the case's own unit. They never enter the case's timeline, the sync
//! change log, the case search or any notification; every list, read and step is
//! audited, with the record's id as target and never its content (the admin's audit
//! console must not become a window onto it). Decided records deduct from the unit's
//! and each officer's assessment (`add_to_counts`, the one place the boards read).

mod view;

pub use view::{AccountabilityDetail, OfficerOption, TrailItem};

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use minsheng_domain::accountability::{
    self as acc, AccountabilityEntry, AccountabilityRecord, AccountabilityState,
    AccountabilityStep, Involved, Opening,
};
use minsheng_domain::capability::Capability;
use minsheng_domain::case::Case;
use minsheng_domain::ids::{AccountabilityId, UnitId, UserId};
use minsheng_domain::role::Actor;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::Action;
use minsheng_store::accountability::{
    AccountabilityOpening, AccountabilityPage, AccountabilityQuery,
};
use minsheng_store::assessment::{Counts, StintGroup};
use minsheng_store::AuditRecord;

use crate::error::ApiError;
use crate::state::AppState;

/// The record an applied action opens, if it found a 涉警投诉 substantiated.
pub fn opening(
    next: &Case,
    action: &Action,
    actor: &Actor,
    case_entry: &TimelineEntry,
    now: DateTime<Utc>,
) -> Option<AccountabilityOpening> {
    let (verdict, source, text) = acc::substantiated_by(next, action)?;
    let record = acc::open(
        AccountabilityId::mint(now),
        next,
        Opening {
            verdict,
            source,
            verdict_text: &text,
        },
        now,
    )?;
    let entry = AccountabilityEntry::next(
        None,
        record.id,
        now,
        actor,
        "open",
        None,
        record.state,
        serde_json::json!({
            "verdict": verdict,
            "source": source,
            "caseEntry": case_entry.id,
            "caseEntrySeq": case_entry.seq,
        }),
    );
    Some(AccountabilityOpening { record, entry })
}

/// Refuses every role without the capability, with its own stable code.
pub fn require(actor: &Actor) -> Result<(), ApiError> {
    if actor.role.can(Capability::Accountability) {
        Ok(())
    } else {
        Err(ApiError::AccountabilityForbidden)
    }
}

/// One audit row: the record's id (or `list`) as target, a step code as detail.
fn audit(
    s: &AppState,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), ApiError> {
    s.store.audit(&AuditRecord {
        at: s.now(),
        user_id: actor.user_id,
        action: action.into(),
        target: target.into(),
        detail: detail.into(),
    })?;
    Ok(())
}

/// A list request as the route gives it.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub state: Option<AccountabilityState>,
    pub unit: Option<UnitId>,
    pub text: Option<String>,
    pub offset: usize,
    pub limit: usize,
}

/// A page of records, and per officer how many decided records name them (in the
/// whole filtered list, not the page).
pub struct ListAnswer {
    pub page: AccountabilityPage,
    pub officer_counts: Vec<(Involved, u64)>,
}

pub fn list(s: &AppState, actor: &Actor, req: &ListRequest) -> Result<ListAnswer, ApiError> {
    require(actor)?;
    let org = s.org();
    let units = match req.unit {
        Some(u) => {
            org.get(u).ok_or(ApiError::NotFound("单位"))?;
            org.subtree(u)
        }
        None => Vec::new(),
    };
    let q = AccountabilityQuery {
        state: req.state,
        units,
        text: req.text.clone(),
        offset: req.offset,
        limit: req.limit.clamp(1, 200),
    };
    let page = s.store.accountability_records(&q)?;
    let all = s.store.accountability_records(&AccountabilityQuery {
        state: Some(AccountabilityState::Decided),
        offset: 0,
        limit: 10_000,
        ..q.clone()
    })?;
    let mut counts: HashMap<UserId, (Involved, u64)> = HashMap::new();
    for r in all.items.iter().filter(|r| r.counts_in_assessment()) {
        for o in &r.officers {
            counts.entry(o.id).or_insert_with(|| (o.clone(), 0)).1 += 1;
        }
    }
    let mut officer_counts: Vec<(Involved, u64)> = counts.into_values().collect();
    officer_counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.name.cmp(&b.0.name)));
    let filter = serde_json::json!({
        "state": req.state.map(AccountabilityState::code),
        "unit": req.unit,
        "offset": req.offset,
    });
    audit(s, actor, "accountabilityList", "list", &filter.to_string())?;
    Ok(ListAnswer {
        page,
        officer_counts,
    })
}

fn record(s: &AppState, id: AccountabilityId) -> Result<AccountabilityRecord, ApiError> {
    s.store
        .accountability_record(id)?
        .ok_or(ApiError::NotFound("责任倒查记录"))
}

/// One record with its trail and the complaint's case timeline as one timeline.
pub fn get(
    s: &AppState,
    actor: &Actor,
    id: AccountabilityId,
) -> Result<AccountabilityDetail, ApiError> {
    require(actor)?;
    let rec = record(s, id)?;
    audit(s, actor, "accountabilityRead", &rec.id.to_string(), "")?;
    view::detail(s, actor, rec)
}

/// A step as a client sends it: officers named by id only.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum StepInput {
    /// 认定责任 (纪检督察): the officers responsible, users of the responsible unit.
    Establish {
        #[schema(value_type = Vec<String>)]
        officers: Vec<UserId>,
        finding: String,
    },
    /// 处理决定.
    Decide {
        sanction: minsheng_domain::accountability::Sanction,
        note: String,
    },
    /// 不予追责 (市局领导).
    Dismiss { reason: String },
}

/// A step on a record (认定, 处理决定, 不予追责), audited.
pub fn act(
    s: &AppState,
    actor: &Actor,
    id: AccountabilityId,
    step: StepInput,
    expected_version: Option<u64>,
) -> Result<AccountabilityDetail, ApiError> {
    require(actor)?;
    record(s, id)?;
    let step = resolve(s, step)?;
    let now = s.now();
    let updated = s
        .store
        .update_accountability(id, expected_version, &mut |cur, last| {
            let next = acc::apply(cur, actor, &step, now)?;
            let entry = AccountabilityEntry::next(
                Some(last),
                cur.id,
                now,
                actor,
                step.code(),
                Some(cur.state),
                next.state,
                serde_json::to_value(&step)?,
            );
            Ok((next, entry))
        })?;
    audit(
        s,
        actor,
        "accountabilityStep",
        &updated.id.to_string(),
        step.code(),
    )?;
    view::detail(s, actor, updated)
}

/// Officers named by id: their names and units come from the user directory.
fn resolve(s: &AppState, step: StepInput) -> Result<AccountabilityStep, ApiError> {
    let (officers, finding) = match step {
        StepInput::Establish { officers, finding } => (officers, finding),
        StepInput::Decide { sanction, note } => {
            return Ok(AccountabilityStep::Decide { sanction, note })
        }
        StepInput::Dismiss { reason } => return Ok(AccountabilityStep::Dismiss { reason }),
    };
    let mut out = Vec::with_capacity(officers.len());
    for o in officers {
        let u = s.store.user(o)?.ok_or(ApiError::NotFound("民警"))?;
        out.push(Involved {
            id: u.id,
            name: u.display_name,
            unit: u.unit_id,
        });
    }
    Ok(AccountabilityStep::Establish {
        officers: out,
        finding,
    })
}

/// Adds the records decided in `[from, to)` to the counts of their unit (or of each
/// officer held responsible): the boards, the dashboard and the reports all read their
/// counts through here, so the deduction has one definition.
pub fn add_to_counts<H: std::hash::BuildHasher>(
    s: &AppState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    group: StintGroup,
    map: &mut HashMap<String, Counts, H>,
) -> Result<(), ApiError> {
    for r in s
        .store
        .accountability_decided(AccountabilityState::Decided, from, to)?
    {
        match group {
            StintGroup::Unit => map.entry(r.unit_id.to_string()).or_default().accountability += 1,
            StintGroup::Officer => {
                for o in &r.officers {
                    map.entry(o.id.to_string()).or_default().accountability += 1;
                }
            }
        }
    }
    Ok(())
}

/// The records behind a row's accountability count (the assessment's explanation).
pub fn decided_for(
    s: &AppState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    units: &[UnitId],
    officer: Option<UserId>,
) -> Result<Vec<AccountabilityRecord>, ApiError> {
    Ok(s.store
        .accountability_decided(AccountabilityState::Decided, from, to)?
        .into_iter()
        .filter(|r| match officer {
            Some(o) => r.officers.iter().any(|x| x.id == o),
            None => units.contains(&r.unit_id),
        })
        .collect())
}
