//! Intake: turning a request from any channel into a case in 待受理.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, CaseFlags, CaseState, Category, Channel, RequestType, Urgency};
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
    #[serde(default)]
    pub category: Option<String>,
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub citizen_name: String,
    #[serde(default)]
    pub citizen_phone: Option<String>,
    #[serde(default)]
    pub citizen_id_card: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub district: Option<String>,
    /// When the citizen made the request; defaults to now. Must not be in the future.
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub urgency: Urgency,
    #[serde(default)]
    pub flags: CaseFlags,
}

const fn default_request_type() -> RequestType {
    RequestType::Consultation
}

fn bounded(
    field: &'static str,
    label: &str,
    v: &str,
    min: usize,
    max: usize,
) -> Result<String, DomainError> {
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

/// Validates a new request and builds the case. Who may take intake: clerks, and
/// officers/unit heads for home visits (入户走访) only.
pub fn intake(new: &NewCase, actor: &Actor, now: DateTime<Utc>) -> Result<Case, DomainError> {
    match actor.role {
        Role::Clerk | Role::System | Role::Admin => {}
        Role::Officer | Role::UnitHead if new.channel == Channel::HomeVisit => {}
        role => {
            return Err(DomainError::RoleNotAllowed {
                action: crate::workflow::ActionKind::Dispatch,
                role,
            })
        }
    }
    let title = bounded("title", "标题", &new.title, 1, 200)?;
    let content = bounded("content", "诉求内容", &new.content, 1, 20_000)?;
    let citizen_name = bounded("citizenName", "群众姓名", &new.citizen_name, 0, 50)?;
    let phone = new
        .citizen_phone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Phone::parse)
        .transpose()?;
    let id_card = new
        .citizen_id_card
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(IdCard::parse)
        .transpose()?;
    let received_at = new.received_at.unwrap_or(now);
    // Allow a few minutes of device clock skew, not a future-dated request.
    if received_at > now + chrono::Duration::minutes(10) {
        return Err(DomainError::InvalidField {
            field: "receivedAt",
            reason: "受理时间不能晚于当前时间".into(),
        });
    }
    let category = new
        .category
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Category::new)
        .transpose()?;
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
        address: optional("address", "地址", new.address.as_ref(), 200)?,
        district: optional("district", "区县", new.district.as_ref(), 50)?,
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
    })
}
