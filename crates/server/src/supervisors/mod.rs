//! 民生警务优秀监督员 (SPEC §11): the register (proposed from the data or by the platform
//! office, confirmed, retired), monthly consultation rounds (`rounds`) and what the
//! supervisors said (`feedback`). Who may see a supervisor is `domain::supervisors::access`:
//! the platform office everything, the responsible unit its own; anything else looks
//! missing. Phone numbers are masked in every answer; `reveal_phone` shows one, audited.

pub mod feedback;
pub mod rounds;

use chrono::Duration;
use minsheng_domain::capability::Capability;
use minsheng_domain::citizen::Phone;
use minsheng_domain::ids::UnitId;
use minsheng_domain::role::Actor;
use minsheng_domain::supervisors::{
    self as rules, check_preferences, check_text, Access, ContactChannel, SupervisorKind,
    SupervisorStatus, SupervisorStep, NAME_MAX, TEXT_MAX,
};
use minsheng_domain::DomainError;
use minsheng_store::supervisors::{SupervisorQuery, SupervisorRecord};
use minsheng_store::AuditRecord;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::http::notify_pii::mask_phone;
use crate::state::AppState;

/// Unknown and out-of-scope supervisors alike (ids leak nothing).
pub const NOT_FOUND: ApiError = ApiError::NotFound("监督员");

/// Most candidates one proposal run adds.
pub const PROPOSAL_LIMIT: usize = 200;

/// A refusal by role (stable code `FORBIDDEN`).
pub fn require(actor: &Actor, c: Capability) -> Result<(), ApiError> {
    if actor.role.can(c) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Reading the register: the platform office and the leader read all of it, the
/// responsible unit its own supervisors; the unit filter of the latter is forced.
pub fn read_scope(actor: &Actor) -> Result<Option<UnitId>, ApiError> {
    if actor.role.can(Capability::ManageSupervisors)
        || actor.role.can(Capability::SupervisorFeedback)
    {
        Ok(None)
    } else if actor.role.can(Capability::SupervisorTasks) {
        Ok(Some(actor.unit_id))
    } else {
        Err(ApiError::Forbidden)
    }
}

/// A supervisor as lists show them: the number masked.
pub fn view(mut r: SupervisorRecord) -> SupervisorRecord {
    r.phone = mask_phone(&r.phone);
    r
}

fn invalid(e: DomainError) -> ApiError {
    ApiError::Domain(e)
}

/// The register, filtered and scoped.
pub fn list(
    s: &AppState,
    actor: &Actor,
    status: Option<SupervisorStatus>,
    unit: Option<UnitId>,
    limit: usize,
) -> Result<Vec<SupervisorRecord>, ApiError> {
    let forced = read_scope(actor)?;
    let unit = forced.or(unit);
    Ok(s.store
        .supervisors(&SupervisorQuery {
            status,
            unit,
            limit,
        })?
        .into_iter()
        .map(view)
        .collect())
}

/// One supervisor the actor may see (full record; callers mask).
pub fn visible(s: &AppState, actor: &Actor, id: &str) -> Result<SupervisorRecord, ApiError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(NOT_FOUND);
    }
    let r = s.store.supervisor(id)?.ok_or(NOT_FOUND)?;
    let reads_all = actor.role.can(Capability::SupervisorFeedback);
    if !reads_all && rules::access(actor, r.unit_id) == Access::None {
        return Err(NOT_FOUND);
    }
    Ok(r)
}

/// A supervisor registered by hand (人大代表, 政协委员, or a citizen the office knows).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSupervisor {
    #[schema(max_length = 50)]
    pub name: String,
    /// Mobile or landline (an SMS survey needs a mobile).
    pub phone: String,
    pub kind: SupervisorKind,
    /// 聘任理由 (at most 500 characters).
    #[schema(max_length = 500)]
    pub reason: String,
    /// 负责联系的单位.
    #[schema(value_type = String)]
    pub unit_id: UnitId,
    /// Most preferred first, each once.
    pub contact_preferences: Vec<ContactChannel>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub address: Option<String>,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

fn opt_text(
    field: &'static str,
    label: &str,
    v: Option<&str>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match v {
        None => Ok(None),
        Some(t) => {
            let t = check_text(field, label, t, max, false).map_err(invalid)?;
            Ok(Some(t).filter(|t| !t.is_empty()))
        }
    }
}

fn check_unit(s: &AppState, unit: UnitId) -> Result<(), ApiError> {
    match s.org().get(unit) {
        Some(u) if u.active => Ok(()),
        _ => Err(ApiError::Invalid {
            code: "SUPERVISOR_UNIT",
            message: "负责单位不存在或已停用".into(),
        }),
    }
}

fn refuse_standing(s: &AppState, phone: &str, except: Option<&str>) -> Result<(), ApiError> {
    let standing = s
        .store
        .supervisors_by_phone(phone)?
        .into_iter()
        .any(|r| r.status.is_standing() && Some(r.id.as_str()) != except);
    if standing {
        return Err(ApiError::Conflict {
            code: "SUPERVISOR_EXISTS",
            message: "该号码已在监督员名册中（候选或已聘任）".into(),
        });
    }
    Ok(())
}

/// Registers a candidate by hand (the office then confirms it like a proposal).
pub fn create(
    s: &AppState,
    actor: &Actor,
    new: &NewSupervisor,
) -> Result<SupervisorRecord, ApiError> {
    require(actor, Capability::ManageSupervisors)?;
    let name = check_text("name", "姓名", &new.name, NAME_MAX, true).map_err(invalid)?;
    let phone = Phone::parse(&new.phone).map_err(invalid)?;
    let reason = check_text("reason", "聘任理由", &new.reason, TEXT_MAX, true).map_err(invalid)?;
    check_preferences(&new.contact_preferences).map_err(invalid)?;
    check_unit(s, new.unit_id)?;
    let address = opt_text("address", "地址", new.address.as_deref(), 200)?;
    let note = opt_text("note", "备注", new.note.as_deref(), TEXT_MAX)?;
    refuse_standing(s, phone.as_str(), None)?;
    let now = s.now();
    let rec = SupervisorRecord {
        id: uuid::Uuid::now_v7().to_string(),
        name,
        phone: phone.as_str().to_owned(),
        kind: new.kind,
        status: SupervisorStatus::Candidate,
        reason,
        unit_id: new.unit_id,
        contact_preferences: new.contact_preferences.clone(),
        address,
        note,
        since: None,
        ended_at: None,
        proposed_at: now,
        proposed_by: Some(actor.user_id),
        updated_at: now,
        version: 1,
    };
    let audit = AuditRecord::change(
        now,
        actor.user_id,
        "supervisorCreate",
        &rec.id,
        &serde_json::json!({"after": view(rec.clone())}),
    );
    s.store
        .insert_supervisors(std::slice::from_ref(&rec), &audit)?;
    Ok(view(rec))
}

/// 按数据推荐: every caller the proposal rule selects who is not in the register yet
/// (in any status: a declined or retired person is not proposed again) becomes a
/// candidate, responsible unit the one that handled their latest request.
pub fn propose(s: &AppState, actor: &Actor) -> Result<Vec<SupervisorRecord>, ApiError> {
    require(actor, Capability::ManageSupervisors)?;
    let now = s.now();
    let since = now - Duration::days(rules::PROPOSAL_WINDOW_DAYS);
    let not_counted: Vec<_> = minsheng_domain::case::CaseState::ALL
        .iter()
        .copied()
        .filter(|st| !rules::counts_as_request(*st))
        .collect();
    let unreasonable: Vec<_> = minsheng_domain::case::CaseState::ALL
        .iter()
        .copied()
        .filter(|st| rules::is_unreasonable(*st))
        .collect();
    let known: std::collections::HashSet<String> =
        s.store.supervisor_phones()?.into_iter().collect();
    let platform = crate::cases::system_actor(s)?.unit_id;
    let mut rows = Vec::new();
    for c in s.store.requester_counts(
        since,
        &not_counted,
        &unreasonable,
        rules::PROPOSAL_MIN_REQUESTS,
        PROPOSAL_LIMIT * 4,
    )? {
        if rows.len() >= PROPOSAL_LIMIT {
            break;
        }
        if known.contains(&c.phone) || !rules::qualifies(c.requests, c.unreasonable) {
            continue;
        }
        let mut name = String::new();
        let mut unit = None;
        for id in s.store.case_ids_by_phone(&c.phone, 20)? {
            let Some(case) = s.store.case(id)? else {
                continue;
            };
            if name.is_empty() {
                case.citizen.name.trim().clone_into(&mut name);
            }
            if unit.is_none() {
                unit = case.handling_unit;
            }
            if unit.is_some() && !name.is_empty() {
                break;
            }
        }
        rows.push(SupervisorRecord {
            id: uuid::Uuid::now_v7().to_string(),
            name: if name.is_empty() {
                "（未留姓名）".into()
            } else {
                name
            },
            phone: c.phone.clone(),
            kind: SupervisorKind::ActiveCitizen,
            status: SupervisorStatus::Candidate,
            reason: rules::proposal_reason(c.requests, c.unreasonable),
            unit_id: unit.unwrap_or(platform),
            contact_preferences: vec![ContactChannel::Sms, ContactChannel::Phone],
            address: None,
            note: None,
            since: None,
            ended_at: None,
            proposed_at: now,
            proposed_by: None,
            updated_at: now,
            version: 1,
        });
    }
    if !rows.is_empty() {
        let audit = AuditRecord::change(
            now,
            actor.user_id,
            "supervisorPropose",
            "supervisors",
            &serde_json::json!({"after": {"candidates": rows.len()}}),
        );
        s.store.insert_supervisors(&rows, &audit)?;
    }
    Ok(rows.into_iter().map(view).collect())
}

/// An edit of a supervisor's details (not of the status: see `decide`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SupervisorEdit {
    /// The version the edit is based on (else 409 `STALE_VERSION`).
    pub version: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: Option<SupervisorKind>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub unit_id: Option<UnitId>,
    #[serde(default)]
    pub contact_preferences: Option<Vec<ContactChannel>>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

fn save(
    s: &AppState,
    actor: &Actor,
    before: &SupervisorRecord,
    mut after: SupervisorRecord,
    action: &str,
) -> Result<SupervisorRecord, ApiError> {
    let now = s.now();
    after.version = before.version + 1;
    after.updated_at = now;
    let audit = AuditRecord::change(
        now,
        actor.user_id,
        action,
        &before.id,
        &serde_json::json!({"before": view(before.clone()), "after": view(after.clone())}),
    );
    s.store.update_supervisor(&after, before.version, &audit)?;
    Ok(view(after))
}

pub fn edit(
    s: &AppState,
    actor: &Actor,
    id: &str,
    e: &SupervisorEdit,
) -> Result<SupervisorRecord, ApiError> {
    require(actor, Capability::ManageSupervisors)?;
    let before = visible(s, actor, id)?;
    if before.version != e.version {
        return Err(ApiError::StaleVersion {
            current: before.version,
        });
    }
    let mut after = before.clone();
    if let Some(n) = &e.name {
        after.name = check_text("name", "姓名", n, NAME_MAX, true).map_err(invalid)?;
    }
    if let Some(k) = e.kind {
        after.kind = k;
    }
    if let Some(r) = &e.reason {
        after.reason = check_text("reason", "聘任理由", r, TEXT_MAX, true).map_err(invalid)?;
    }
    if let Some(u) = e.unit_id {
        check_unit(s, u)?;
        after.unit_id = u;
    }
    if let Some(p) = &e.contact_preferences {
        check_preferences(p).map_err(invalid)?;
        after.contact_preferences.clone_from(p);
    }
    if e.address.is_some() {
        after.address = opt_text("address", "地址", e.address.as_deref(), 200)?;
    }
    if e.note.is_some() {
        after.note = opt_text("note", "备注", e.note.as_deref(), TEXT_MAX)?;
    }
    save(s, actor, &before, after, "supervisorEdit")
}

/// 确认聘任 / 不予聘任 / 解聘.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SupervisorDecision {
    pub version: u64,
    pub step: SupervisorStep,
    /// Why (kept as the note; at most 500 characters).
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

pub fn decide(
    s: &AppState,
    actor: &Actor,
    id: &str,
    d: &SupervisorDecision,
) -> Result<SupervisorRecord, ApiError> {
    require(actor, Capability::ManageSupervisors)?;
    let before = visible(s, actor, id)?;
    if before.version != d.version {
        return Err(ApiError::StaleVersion {
            current: before.version,
        });
    }
    let status = before
        .status
        .after(d.step)
        .map_err(|e| ApiError::Conflict {
            code: "SUPERVISOR_STATE",
            message: match e {
                DomainError::InvalidField { reason, .. } => reason,
                other => other.to_string(),
            },
        })?;
    if d.step == SupervisorStep::Confirm {
        refuse_standing(s, &before.phone, Some(&before.id))?;
    }
    let now = s.now();
    let mut after = before.clone();
    after.status = status;
    match d.step {
        SupervisorStep::Confirm => after.since = Some(now),
        SupervisorStep::Decline | SupervisorStep::Retire => after.ended_at = Some(now),
    }
    if let Some(n) = opt_text("note", "备注", d.note.as_deref(), TEXT_MAX)? {
        after.note = Some(n);
    }
    let action = match d.step {
        SupervisorStep::Confirm => "supervisorConfirm",
        SupervisorStep::Decline => "supervisorDecline",
        SupervisorStep::Retire => "supervisorRetire",
    };
    save(s, actor, &before, after, action)
}

/// The full number of one supervisor.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SupervisorPhone {
    pub id: String,
    pub name: String,
    pub phone: String,
}

/// The number, for the platform office and the responsible unit's staff (to call or
/// visit); audited (`unmaskSupervisorPhone`).
pub fn reveal_phone(s: &AppState, actor: &Actor, id: &str) -> Result<SupervisorPhone, ApiError> {
    if !(actor.role.can(Capability::ManageSupervisors)
        || actor.role.can(Capability::SupervisorTasks))
    {
        return Err(ApiError::Forbidden);
    }
    let r = visible(s, actor, id)?;
    if rules::access(actor, r.unit_id) == Access::None {
        return Err(ApiError::Forbidden);
    }
    s.store.audit(&AuditRecord {
        at: s.now(),
        user_id: actor.user_id,
        action: "unmaskSupervisorPhone".into(),
        target: r.id.clone(),
        detail: format!("优秀监督员 {}", r.name),
    })?;
    Ok(SupervisorPhone {
        id: r.id,
        name: r.name,
        phone: r.phone,
    })
}
