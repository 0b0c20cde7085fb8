//! A record as 纪检督察 and 市局领导 read it: the record, its own trail, and the
//! complaint's case timeline merged with that trail into one timeline (complaint →
//! sign-off or investigation → 认定 → decision), with what the reader may do next.

use chrono::{DateTime, Utc};
use minsheng_domain::accountability::{
    allowed_steps, chain_is_valid, sanctions_for, AccountabilityEntry, AccountabilityRecord,
    Sanction,
};
use minsheng_domain::ids::UserId;
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::workflow::ActionKind;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::state::AppState;

/// An officer of the responsible unit the 认定 form offers.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfficerOption {
    pub id: UserId,
    pub name: String,
    /// Proposed from the case (assigned officer, reply author).
    pub proposed: bool,
}

/// Where a step of the one timeline comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum TrailSource {
    /// The complaint's case timeline.
    Case,
    /// The accountability record's own trail.
    Accountability,
}

/// One step of the trail from complaint to decision.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrailItem {
    pub at: DateTime<Utc>,
    pub source: TrailSource,
    /// The step's code (`intake`, `approve`, `open`, `decide` …).
    pub kind: String,
    /// Its Chinese name.
    pub label: String,
    pub actor_name: String,
    pub actor_role: Role,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountabilityDetail {
    pub record: AccountabilityRecord,
    /// The record's own steps, oldest first (hash-chained).
    pub entries: Vec<AccountabilityEntry>,
    /// Whether those steps link and hash correctly.
    pub chain_valid: bool,
    /// The case timeline and the record's steps as one timeline, oldest first.
    pub timeline: Vec<TrailItem>,
    pub officer_options: Vec<OfficerOption>,
    /// Step codes the reader may take now (`establish`, `decide`, `dismiss`).
    pub allowed_steps: Vec<String>,
    /// The decisions the reader may take.
    pub sanctions: Vec<Sanction>,
}

fn case_label(kind: &str) -> String {
    if kind == "intake" {
        return "受理登记".into();
    }
    ActionKind::ALL
        .iter()
        .find(|k| k.code() == kind)
        .map_or_else(|| kind.to_owned(), |k| k.label_zh().to_owned())
}

fn own_label(e: &AccountabilityEntry) -> String {
    match e.kind.as_str() {
        "open" => "启动责任倒查".into(),
        "establish" => "认定责任".into(),
        "decide" => {
            let sanction = e.detail.get("sanction").cloned();
            let name = sanction
                .and_then(|v| serde_json::from_value::<Sanction>(v).ok())
                .map_or("", Sanction::label_zh);
            format!("处理决定：{name}")
        }
        "dismiss" => "决定不予追责".into(),
        other => other.to_owned(),
    }
}

pub(super) fn detail(
    s: &AppState,
    actor: &Actor,
    record: AccountabilityRecord,
) -> Result<AccountabilityDetail, ApiError> {
    let entries = s.store.accountability_trail(record.id)?;
    // Read through the case service: the reader must be able to see the complaint.
    let case_timeline = match crate::cases::timeline(s, actor, record.case_id) {
        Ok(t) => t,
        Err(ApiError::NotFound(_)) => Vec::new(),
        Err(e) => return Err(e),
    };
    // Order: by time; at one instant, a case step before the record it opened, and the
    // record's later steps after the case's.
    let opened_after = entries
        .first()
        .and_then(|e| e.detail.get("caseEntrySeq"))
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(u64::MAX / 4);
    let mut keyed: Vec<((DateTime<Utc>, u64), TrailItem)> = case_timeline
        .into_iter()
        .map(|e| ((e.at, e.seq * 2), e))
        .map(|(k, e)| {
            (
                k,
                TrailItem {
                    at: e.at,
                    source: TrailSource::Case,
                    label: case_label(&e.kind),
                    kind: e.kind,
                    actor_name: e.actor_name,
                    actor_role: e.actor_role,
                    detail: e.detail,
                },
            )
        })
        .chain(entries.iter().map(|e| {
            let rank = if e.seq == 1 {
                opened_after * 2 + 1
            } else {
                u64::MAX / 2 + e.seq
            };
            (
                (e.at, rank),
                TrailItem {
                    at: e.at,
                    source: TrailSource::Accountability,
                    kind: e.kind.clone(),
                    label: own_label(e),
                    actor_name: e.actor_name.clone(),
                    actor_role: e.actor_role,
                    detail: e.detail.clone(),
                },
            )
        }))
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    let timeline: Vec<TrailItem> = keyed.into_iter().map(|(_, t)| t).collect();
    let mut officer_options: Vec<OfficerOption> = s
        .store
        .list_users(Some(record.unit_id))?
        .into_iter()
        .filter(|u| u.active && matches!(u.role, Role::Officer | Role::UnitHead))
        .map(|u| OfficerOption {
            proposed: record.proposed_officers.contains(&u.id),
            id: u.id,
            name: u.display_name,
        })
        .collect();
    officer_options.sort_by(|a, b| b.proposed.cmp(&a.proposed).then(a.name.cmp(&b.name)));
    Ok(AccountabilityDetail {
        chain_valid: chain_is_valid(&entries),
        allowed_steps: allowed_steps(&record, actor.role)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        sanctions: sanctions_for(actor.role),
        record,
        entries,
        timeline,
        officer_options,
    })
}
