//! 责任倒查 (accountability): a 涉警投诉 found 属实 or 部分属实 — at its final sign-off or
//! at the level-3 investigation — is traced back to the officers responsible and dealt
//! with according to law and discipline. Pure: the server opens a record in the same
//! transaction as the action that found the complaint substantiated, and every later
//! step goes through `apply`.
//!
//! States: 待调查 → 已认定 (officers and facts established, may be amended) → 已处理
//! (a decision, by 纪检督察 or 市局领导; a 处分 or 停止执行职务 only by 市局领导) or
//! 不予追责 (市局领导 only). Only 纪检督察 and 市局领导 reach the records at all
//! (`Capability::Accountability`); each record has its own hash-chained steps.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::case::Case;
use crate::error::DomainError;
use crate::ids::{AccountabilityId, CaseId, UnitId, UserId};
use crate::role::{Actor, Role};
use crate::workflow::{Action, ComplaintVerdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccountabilityState {
    /// 待调查
    Investigating,
    /// 已认定
    Established,
    /// 已处理
    Decided,
    /// 不予追责
    Dismissed,
}

impl AccountabilityState {
    pub const ALL: [Self; 4] = [
        Self::Investigating,
        Self::Established,
        Self::Decided,
        Self::Dismissed,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Self::Investigating => "investigating",
            Self::Established => "established",
            Self::Decided => "decided",
            Self::Dismissed => "dismissed",
        }
    }

    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Investigating => "待调查",
            Self::Established => "已认定",
            Self::Decided => "已处理",
            Self::Dismissed => "不予追责",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
}

/// What is decided for the officers (组织处理 and 纪律处分), mildest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Sanction {
    /// 批评教育
    CriticalEducation,
    /// 诫勉谈话
    AdmonitoryTalk,
    /// 通报批评
    CircularCriticism,
    /// 停止执行职务
    Suspension,
    /// 警告
    Warning,
    /// 记过
    Demerit,
    /// 记大过
    MajorDemerit,
    /// 降级
    Demotion,
    /// 撤职
    Dismissal,
    /// 开除
    Expulsion,
}

impl Sanction {
    pub const ALL: [Self; 10] = [
        Self::CriticalEducation,
        Self::AdmonitoryTalk,
        Self::CircularCriticism,
        Self::Suspension,
        Self::Warning,
        Self::Demerit,
        Self::MajorDemerit,
        Self::Demotion,
        Self::Dismissal,
        Self::Expulsion,
    ];

    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::CriticalEducation => "批评教育",
            Self::AdmonitoryTalk => "诫勉谈话",
            Self::CircularCriticism => "通报批评",
            Self::Suspension => "停止执行职务",
            Self::Warning => "警告",
            Self::Demerit => "记过",
            Self::MajorDemerit => "记大过",
            Self::Demotion => "降级",
            Self::Dismissal => "撤职",
            Self::Expulsion => "开除",
        }
    }

    /// 停止执行职务 and every 纪律处分 (警告 and above) are decided by 市局领导; the
    /// 纪检督察 decide 批评教育, 诫勉谈话 and 通报批评 themselves.
    pub const fn needs_leader(self) -> bool {
        !matches!(
            self,
            Self::CriticalEducation | Self::AdmonitoryTalk | Self::CircularCriticism
        )
    }
}

/// Where the complaint was found substantiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VerdictSource {
    /// The final (superior) sign-off of the reply.
    SignOff,
    /// The level-3 follow-up investigation (纪委/督察/法制).
    Investigation,
}

/// An officer held responsible, as resolved from the user directory by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Involved {
    pub id: UserId,
    pub name: String,
    pub unit: UnitId,
}

/// The decision taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    /// None for 不予追责.
    pub sanction: Option<Sanction>,
    pub note: String,
    pub by: UserId,
    pub by_name: String,
    pub by_role: Role,
    pub at: DateTime<Utc>,
}

/// One accountability record (责任倒查记录).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountabilityRecord {
    pub id: AccountabilityId,
    pub case_id: CaseId,
    pub case_number: Option<String>,
    pub case_title: String,
    /// The responsible unit: the case's handling unit when it was found substantiated.
    pub unit_id: UnitId,
    pub verdict: ComplaintVerdict,
    pub source: VerdictSource,
    /// What the sign-off or the investigation said.
    pub verdict_text: String,
    pub opened_at: DateTime<Utc>,
    pub state: AccountabilityState,
    /// Proposed at opening from the case (the assigned officer, the reply's author):
    /// the 认定 form starts from them.
    pub proposed_officers: Vec<UserId>,
    /// The officers held responsible (set by 认定).
    pub officers: Vec<Involved>,
    /// The established facts (认定事实).
    pub finding: Option<String>,
    pub decision: Option<Decision>,
    /// Bumped by the store on every step.
    pub version: u64,
}

impl AccountabilityRecord {
    /// Counts in the assessment: decided (已处理) with a sanction.
    pub fn counts_in_assessment(&self) -> bool {
        self.state == AccountabilityState::Decided
    }
}

/// What `open` needs to know besides the case.
pub struct Opening<'a> {
    pub verdict: ComplaintVerdict,
    pub source: VerdictSource,
    pub verdict_text: &'a str,
}

/// The verdict an action reaches on a case, if it found the complaint substantiated
/// (the action already applied: `next` is the case after it).
pub fn substantiated_by(
    next: &Case,
    action: &Action,
) -> Option<(ComplaintVerdict, VerdictSource, String)> {
    if !next.flags.police_complaint {
        return None;
    }
    let (verdict, source, text) = match action {
        Action::Approve {
            verdict: Some(v),
            comment,
        } => (
            *v,
            VerdictSource::SignOff,
            comment.clone().unwrap_or_default(),
        ),
        Action::RecordInvestigation {
            verdict: Some(v),
            finding,
            ..
        } => (*v, VerdictSource::Investigation, finding.clone()),
        _ => return None,
    };
    verdict
        .is_substantiated()
        .then_some((verdict, source, text))
}

/// The users `open` proposes as involved: the assigned officer and the reply's author.
pub fn proposed_officers(case: &Case) -> Vec<UserId> {
    let mut out: Vec<UserId> = Vec::new();
    for u in case
        .assigned_officer
        .into_iter()
        .chain(case.reply.as_ref().map(|r| r.by))
    {
        if !out.contains(&u) {
            out.push(u);
        }
    }
    out
}

/// A new record (待调查) for a substantiated complaint; None if the case has no
/// handling unit (never for a signed-off or investigated case).
pub fn open(
    id: AccountabilityId,
    case: &Case,
    o: Opening<'_>,
    now: DateTime<Utc>,
) -> Option<AccountabilityRecord> {
    let unit_id = case.handling_unit?;
    Some(AccountabilityRecord {
        id,
        case_id: case.id,
        case_number: case.number.clone(),
        case_title: case.title.clone(),
        unit_id,
        verdict: o.verdict,
        source: o.source,
        verdict_text: o.verdict_text.trim().to_owned(),
        opened_at: now,
        state: AccountabilityState::Investigating,
        proposed_officers: proposed_officers(case),
        officers: Vec::new(),
        finding: None,
        decision: None,
        version: 0,
    })
}

/// A step on a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccountabilityStep {
    /// 认定: the officers responsible (users of the responsible unit) and the facts.
    /// Again while not yet decided, to amend.
    Establish {
        officers: Vec<Involved>,
        finding: String,
    },
    /// 处理决定.
    Decide { sanction: Sanction, note: String },
    /// 不予追责 (市局领导).
    Dismiss { reason: String },
}

impl AccountabilityStep {
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Establish { .. } => "establish",
            Self::Decide { .. } => "decide",
            Self::Dismiss { .. } => "dismiss",
        }
    }

    pub const fn label_zh(&self) -> &'static str {
        match self {
            Self::Establish { .. } => "认定责任",
            Self::Decide { .. } => "作出处理决定",
            Self::Dismiss { .. } => "决定不予追责",
        }
    }
}

/// The steps (`AccountabilityStep::code`) `role` may take on `rec` now — the buttons
/// the desktop offers are exactly the ones `apply` accepts.
pub fn allowed_steps(rec: &AccountabilityRecord, role: Role) -> Vec<&'static str> {
    use AccountabilityState as S;
    let open = matches!(rec.state, S::Investigating | S::Established);
    let mut out = Vec::new();
    if open && role == Role::Inspector {
        out.push("establish");
    }
    if rec.state == S::Established && matches!(role, Role::Inspector | Role::Leader) {
        out.push("decide");
    }
    if open && role == Role::Leader {
        out.push("dismiss");
    }
    out
}

/// The decisions `role` may take (the leader all of them).
pub fn sanctions_for(role: Role) -> Vec<Sanction> {
    match role {
        Role::Leader => Sanction::ALL.to_vec(),
        Role::Inspector => Sanction::ALL
            .into_iter()
            .filter(|x| !x.needs_leader())
            .collect(),
        _ => Vec::new(),
    }
}

const TEXT_MAX: usize = 5000;
const OFFICERS_MAX: usize = 20;

fn text(field: &'static str, label: &str, v: &str) -> Result<String, DomainError> {
    let v = v.trim();
    let reason = if v.is_empty() {
        format!("{label}不能为空")
    } else if v.chars().count() > TEXT_MAX {
        format!("{label}不能超过{TEXT_MAX}个字")
    } else {
        return Ok(v.to_owned());
    };
    Err(DomainError::InvalidField { field, reason })
}

/// Applies a step by `actor` (version unchanged: the store bumps it).
pub fn apply(
    rec: &AccountabilityRecord,
    actor: &Actor,
    step: &AccountabilityStep,
    now: DateTime<Utc>,
) -> Result<AccountabilityRecord, DomainError> {
    use AccountabilityState as S;
    let refuse_role = || DomainError::AccountabilityRole {
        step: step.label_zh(),
        role: actor.role,
    };
    if !matches!(actor.role, Role::Inspector | Role::Leader) {
        return Err(refuse_role());
    }
    let from_ok = match step {
        AccountabilityStep::Establish { .. } | AccountabilityStep::Dismiss { .. } => {
            matches!(rec.state, S::Investigating | S::Established)
        }
        AccountabilityStep::Decide { .. } => rec.state == S::Established,
    };
    if !from_ok {
        return Err(DomainError::AccountabilityStep {
            step: step.label_zh(),
            state: rec.state.label_zh(),
        });
    }
    let mut r = rec.clone();
    let decision = |sanction, note: String| Decision {
        sanction,
        note,
        by: actor.user_id,
        by_name: actor.name.clone(),
        by_role: actor.role,
        at: now,
    };
    match step {
        AccountabilityStep::Establish { officers, finding } => {
            if actor.role != Role::Inspector {
                return Err(refuse_role());
            }
            r.finding = Some(text("finding", "认定事实", finding)?);
            if officers.is_empty() || officers.len() > OFFICERS_MAX {
                return Err(DomainError::InvalidField {
                    field: "officers",
                    reason: format!("须认定 1–{OFFICERS_MAX} 名责任民警"),
                });
            }
            if let Some(o) = officers.iter().find(|o| o.unit != rec.unit_id) {
                return Err(DomainError::InvalidField {
                    field: "officers",
                    reason: format!("“{}”不是责任单位的民警", o.name),
                });
            }
            let mut ids: Vec<UserId> = officers.iter().map(|o| o.id).collect();
            ids.sort();
            ids.dedup();
            if ids.len() != officers.len() {
                return Err(DomainError::InvalidField {
                    field: "officers",
                    reason: "责任民警重复".into(),
                });
            }
            r.officers.clone_from(officers);
            r.state = S::Established;
        }
        AccountabilityStep::Decide { sanction, note } => {
            if sanction.needs_leader() && actor.role != Role::Leader {
                return Err(DomainError::AccountabilityRole {
                    step: sanction.label_zh(),
                    role: actor.role,
                });
            }
            r.decision = Some(decision(Some(*sanction), text("note", "处理意见", note)?));
            r.state = S::Decided;
        }
        AccountabilityStep::Dismiss { reason } => {
            if actor.role != Role::Leader {
                return Err(refuse_role());
            }
            r.decision = Some(decision(None, text("reason", "不予追责理由", reason)?));
            r.state = S::Dismissed;
        }
    }
    Ok(r)
}

/// One step of a record's own trail, hash-chained like a case timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountabilityEntry {
    pub record_id: AccountabilityId,
    /// 1-based.
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor_id: UserId,
    pub actor_name: String,
    pub actor_role: Role,
    /// `open`, `establish`, `decide`, `dismiss`.
    pub kind: String,
    pub from_state: Option<AccountabilityState>,
    pub to_state: AccountabilityState,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub detail: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl AccountabilityEntry {
    /// The entry after `prev` (None for the first), sealed.
    #[allow(clippy::too_many_arguments)]
    pub fn next(
        prev: Option<&Self>,
        record_id: AccountabilityId,
        at: DateTime<Utc>,
        actor: &Actor,
        kind: &str,
        from_state: Option<AccountabilityState>,
        to_state: AccountabilityState,
        detail: serde_json::Value,
    ) -> Self {
        let mut e = Self {
            record_id,
            seq: prev.map_or(1, |p| p.seq + 1),
            at,
            actor_id: actor.user_id,
            actor_name: actor.name.clone(),
            actor_role: actor.role,
            kind: kind.to_owned(),
            from_state,
            to_state,
            detail,
            prev_hash: prev.map_or_else(|| GENESIS.to_owned(), |p| p.hash.clone()),
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    /// SHA-256 over every field but `hash` (serde_json maps are sorted: canonical).
    pub fn compute_hash(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(m) = v.as_object_mut() {
            m.remove("hash");
        }
        hex::encode(Sha256::digest(serde_json::to_vec(&v).unwrap_or_default()))
    }
}

/// Whether `entries` (in seq order) link and hash correctly.
pub fn chain_is_valid(entries: &[AccountabilityEntry]) -> bool {
    let mut prev = GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        if e.seq != i as u64 + 1 || e.prev_hash != prev || e.compute_hash() != e.hash {
            return false;
        }
        prev.clone_from(&e.hash);
    }
    true
}
