//! Intake: turning a request from any channel into a case in 待受理.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{
    Case, CaseFlags, CaseState, Category, Channel, LeaderInstruction, RequestType, Urgency,
};
use crate::citizen::{Citizen, IdCard, Phone};
use crate::error::DomainError;
use crate::ids::CaseId;
use crate::role::{Actor, Role};

/// A request as typed by a clerk, imported from a feed, or recorded on a home visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCase {
    /// Minted by the client for offline intake; the server mints one otherwise.
    #[serde(default)]
    pub id: Option<CaseId>,
    pub channel: Channel,
    #[serde(default = "default_request_type")]
    pub request_type: RequestType,
    /// 诉求类别, at most 20 characters (blank: none yet).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 20))]
    pub category: Option<String>,
    /// 1–200 characters after trimming.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub title: String,
    /// 1–20000 characters after trimming.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 20000, pattern = r"\S")
    )]
    pub content: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 50))]
    pub citizen_name: String,
    /// Mobile (11 digits, 1[3-9]…) or landline with area code; spaces, dashes and +86 are
    /// tolerated. Blank: none.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^\s*$|^\s*(\+86)?[ -]*(1[ -]*[3-9]([ -]*[0-9]){9}|0([ -]*[0-9]){9,11})[ -]*\s*$"
        )
    )]
    pub citizen_phone: Option<String>,
    /// 18-character resident ID (birth date and check digit verified: else 422). Blank: none.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^\s*$|^\s*[0-9]{17}[0-9Xx]\s*$")
    )]
    pub citizen_id_card: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub address: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 50))]
    pub district: Option<String>,
    /// When the citizen made the request; defaults to now. Must not be in the future.
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub urgency: Urgency,
    #[serde(default)]
    pub flags: CaseFlags,
    /// Required for the channel 领导批示, refused for every other channel.
    #[serde(default)]
    pub leader_instruction: Option<LeaderInstruction>,
}

const fn default_request_type() -> RequestType {
    RequestType::Consultation
}

/// Text as the citizen wrote it, without the debris of spreadsheet exports: Excel's
/// escaped carriage return `_x000D_` and CR/CRLF line ends become plain newlines.
pub fn clean_text(raw: &str) -> String {
    raw.replace("_x000D_\n", "\n")
        .replace("_x000D_", "\n")
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

fn bounded(
    field: &'static str,
    label: &str,
    v: &str,
    min: usize,
    max: usize,
) -> Result<String, DomainError> {
    let v = clean_text(v);
    let v = v.trim();
    let n = v.chars().count();
    if n < min || n > max {
        return Err(DomainError::InvalidField {
            field,
            reason: if min > 0 && n < min {
                format!("{label}不能为空")
            } else {
                format!("{label}不能超过{max}个字")
            },
        });
    }
    Ok(v.to_owned())
}

fn optional(
    field: &'static str,
    label: &str,
    v: Option<&String>,
    max: usize,
) -> Result<Option<String>, DomainError> {
    v.map(|s| bounded(field, label, s, 0, max))
        .transpose()
        .map(|o| o.filter(|s| !s.is_empty()))
}

/// A problem with one field of a form (a new request, an action), as the form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldProblem {
    /// The field (camelCase) of `NewCase` or of the action; for intake `channel` when
    /// the role may not take the channel; empty when the refusal is not about one field
    /// (a state or role the action does not fit).
    pub field: &'static str,
    /// The domain error's stable code.
    pub code: &'static str,
    pub message: String,
}

impl FieldProblem {
    /// The field a refusal names (`InvalidField`), else no field.
    pub fn of(e: &DomainError) -> Self {
        Self {
            field: match e {
                DomainError::InvalidField { field, .. } => field,
                _ => "",
            },
            code: e.code(),
            message: e.to_string(),
        }
    }
}

/// Validates a new request and builds the case. Who may take intake: clerks, and
/// officers/unit heads for home visits (入户走访) only.
pub fn intake(new: &NewCase, actor: &Actor, now: DateTime<Utc>) -> Result<Case, DomainError> {
    build(new, actor, now).map_err(|mut problems| problems.swap_remove(0))
}

/// Every problem of a new request at once (the form marks each field); empty when
/// [`intake`] would accept it. The same rules as `intake`, not a copy of them.
pub fn check_intake(new: &NewCase, actor: &Actor, now: DateTime<Utc>) -> Vec<FieldProblem> {
    let Err(problems) = build(new, actor, now) else {
        return Vec::new();
    };
    problems
        .into_iter()
        .map(|e| FieldProblem {
            field: match &e {
                DomainError::InvalidField { field: "phone", .. } => "citizenPhone",
                DomainError::InvalidField {
                    field: "idCard", ..
                } => "citizenIdCard",
                DomainError::InvalidField { field, .. } => field,
                _ => "channel",
            },
            code: e.code(),
            message: e.to_string(),
        })
        .collect()
}

/// Keeps the value, or files its error and keeps going.
fn keep<T>(problems: &mut Vec<DomainError>, r: Result<T, DomainError>) -> Option<T> {
    r.map_err(|e| problems.push(e)).ok()
}

fn may_take(channel: Channel, actor: &Actor) -> Result<(), DomainError> {
    use crate::capability::Capability;
    let role = actor.role;
    if role == Role::System
        || role.can(Capability::Register)
        || (channel == Channel::HomeVisit && role.can(Capability::HomeVisit))
    {
        Ok(())
    } else {
        Err(DomainError::RoleNotAllowed {
            action: crate::workflow::ActionKind::Dispatch,
            role,
        })
    }
}

fn leader_instruction(new: &NewCase) -> Result<Option<LeaderInstruction>, DomainError> {
    match (&new.leader_instruction, new.channel) {
        (Some(li), Channel::LeaderInstruction) => Ok(Some(LeaderInstruction {
            leader: bounded("leaderName", "批示领导", &li.leader, 1, 50)?,
            instruction: bounded("leaderInstruction", "批示内容", &li.instruction, 1, 2000)?,
        })),
        (None, Channel::LeaderInstruction) => Err(DomainError::InvalidField {
            field: "leaderName",
            reason: "“领导批示”渠道须填写批示领导和批示内容".into(),
        }),
        (Some(_), _) => Err(DomainError::InvalidField {
            field: "leaderName",
            reason: "只有“领导批示”渠道可填写批示领导和批示内容".into(),
        }),
        (None, _) => Ok(None),
    }
}

fn received_at(new: &NewCase, now: DateTime<Utc>) -> Result<DateTime<Utc>, DomainError> {
    let received_at = new.received_at.unwrap_or(now);
    // Allow a few minutes of device clock skew, not a future-dated request.
    if received_at > now + chrono::Duration::minutes(10) {
        return Err(DomainError::InvalidField {
            field: "receivedAt",
            reason: "受理时间不能晚于当前时间".into(),
        });
    }
    Ok(received_at)
}

fn nonempty(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn build(new: &NewCase, actor: &Actor, now: DateTime<Utc>) -> Result<Case, Vec<DomainError>> {
    let mut p = Vec::new();
    let role_ok = keep(&mut p, may_take(new.channel, actor));
    let title = keep(&mut p, bounded("title", "标题", &new.title, 1, 200));
    let content = keep(
        &mut p,
        bounded("content", "诉求内容", &new.content, 1, 20_000),
    );
    let citizen_name = keep(
        &mut p,
        bounded("citizenName", "群众姓名", &new.citizen_name, 0, 50),
    );
    let phone = keep(
        &mut p,
        nonempty(new.citizen_phone.as_ref())
            .map(Phone::parse)
            .transpose(),
    );
    let id_card = keep(
        &mut p,
        nonempty(new.citizen_id_card.as_ref())
            .map(IdCard::parse)
            .transpose(),
    );
    let received_at = keep(&mut p, received_at(new, now));
    let category = keep(
        &mut p,
        nonempty(new.category.as_ref())
            .map(Category::new)
            .transpose(),
    );
    let address = keep(
        &mut p,
        optional("address", "地址", new.address.as_ref(), 200),
    );
    let district = keep(
        &mut p,
        optional("district", "区县", new.district.as_ref(), 50),
    );
    let leader_instruction = keep(&mut p, leader_instruction(new));
    let (
        Some(()),
        Some(title),
        Some(content),
        Some(citizen_name),
        Some(phone),
        Some(id_card),
        Some(received_at),
        Some(category),
        Some(address),
        Some(district),
        Some(leader_instruction),
    ) = (
        role_ok,
        title,
        content,
        citizen_name,
        phone,
        id_card,
        received_at,
        category,
        address,
        district,
        leader_instruction,
    )
    else {
        return Err(p);
    };
    Ok(Case {
        id: new.id.unwrap_or_else(|| CaseId::mint(now)),
        number: None,
        version: 0,
        channel: new.channel,
        request_type: new.request_type,
        category,
        title,
        content,
        citizen: Citizen {
            name: citizen_name,
            phone,
            id_card,
        },
        address,
        district,
        received_at,
        urgency: new.urgency,
        flags: new.flags,
        handling_unit: None,
        supervising_unit: None,
        co_units: Vec::new(),
        assigned_officer: None,
        state: CaseState::PendingAcceptance,
        deadlines: crate::case::Deadlines::default(),
        dispatched_at: None,
        signed_in_at: None,
        completed_at: None,
        closed_at: None,
        reply: None,
        sign_offs: Vec::new(),
        pending_extension: None,
        extensions_granted: 0,
        duplicate_of: None,
        follow_up: crate::case::FollowUp::default(),
        return_count: 0,
        urge_count: 0,
        closing_note: None,
        created_by: actor.user_id,
        intake_unit: matches!(actor.role, Role::Officer | Role::UnitHead).then_some(actor.unit_id),
        leader_instruction,
    })
}
