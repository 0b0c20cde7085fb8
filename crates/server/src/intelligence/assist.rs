//! Live assistance while a request is typed at the intake desk: what the model suggests
//! for the text so far, earlier reports of the same matter or from the same caller, and
//! the caller's history. Everything shown is limited to what the asking user may see.

use chrono::{DateTime, Utc};
use minsheng_domain::case::{CaseState, Channel};
use minsheng_domain::citizen::Phone;
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::scope::can_see;
use minsheng_domain::workflow::clean_text;
use minsheng_nlp::Suggestion;
use serde::{Deserialize, Serialize};

use super::views::{duplicate_views, DuplicateView};
use crate::error::ApiError;
use crate::state::AppState;

/// Candidates shown beside the form.
const ASSIST_CANDIDATES: usize = 6;
/// Earlier cases of the caller shown at most (newest first).
const CALLER_HISTORY: usize = 20;
/// Rows looked at for the caller's history before the scope filter.
const CALLER_SCAN: usize = 200;
/// Longest text accepted (the intake's own limits: title 200, content 20,000).
const MAX_TEXT: usize = 20_200;

/// The intake form as typed so far (nothing is stored).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssistRequest {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: String,
    /// A phone number as typed; an incomplete or invalid one is ignored.
    #[serde(default)]
    pub citizen_phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// The case being dispatched, left out of its own candidates.
    #[serde(default)]
    pub exclude_case_id: Option<String>,
}

/// An earlier case of the same caller.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallerCase {
    pub case_id: String,
    pub number: Option<String>,
    pub title: String,
    #[schema(value_type = String)]
    pub channel: Channel,
    #[schema(value_type = String)]
    pub state: CaseState,
    pub state_name: String,
    pub category: Option<String>,
    pub handling_unit_name: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// `POST /intake/assist`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntakeAssist {
    /// minsheng-nlp `Suggestion` (policeRelated, category, requestType, unitKind,
    /// handlingUnits with reasons, supervisingUnit, district, street, categoryReasons);
    /// null without a model or before any text is typed.
    #[schema(value_type = Option<Object>)]
    pub suggestion: Option<Suggestion>,
    pub supervising_unit_name: Option<String>,
    pub model_version: Option<u64>,
    /// Possible earlier reports: same matter (text) and/or same caller (phone).
    pub duplicates: Vec<DuplicateView>,
    /// The caller's masked number, when a valid one was typed.
    pub phone_masked: Option<String>,
    /// Earlier cases of the same number the user may see, newest first.
    pub caller_history: Vec<CallerCase>,
}

/// Who may ask: the roles that take requests in (clerks; officers and unit heads for
/// 入户走访), admins and city leaders. Results are scoped per case in any event.
fn may_assist(actor: &Actor) -> Result<(), ApiError> {
    match actor.role {
        Role::Clerk | Role::Admin | Role::Leader | Role::Officer | Role::UnitHead => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

pub fn assist(s: &AppState, actor: &Actor, req: &AssistRequest) -> Result<IntakeAssist, ApiError> {
    may_assist(actor)?;
    if req.title.chars().count() + req.content.chars().count() > MAX_TEXT {
        return Err(ApiError::BadRequest(
            "标题与内容过长（标题不超过200字，内容不超过20000字）".into(),
        ));
    }
    let title = clean_text(req.title.trim());
    let content = clean_text(req.content.trim());
    let phone = req
        .citizen_phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .and_then(|p| Phone::parse(p).ok());
    let has_text = !(title.is_empty() && content.is_empty());
    let suggestion = has_text
        .then(|| {
            s.intel
                .suggest_text(&title, &content, req.address.as_deref())
        })
        .flatten();
    let org = s.org();
    let supervising_unit_name = suggestion
        .as_ref()
        .and_then(|x| x.supervising_unit.as_deref())
        .and_then(|u| u.parse().ok())
        .and_then(|u| org.get(u))
        .map(|u| u.name.clone());
    let duplicates = if has_text || phone.is_some() {
        super::followed::before_lookup(s);
        let found = s.intel.candidates_for_text(
            phone.as_ref().map(Phone::as_str),
            &title,
            &content,
            ASSIST_CANDIDATES * 4,
            req.exclude_case_id.as_deref(),
        );
        duplicate_views(s, actor, found, ASSIST_CANDIDATES)?
    } else {
        Vec::new()
    };
    let caller_history = match &phone {
        Some(p) => caller_history(s, actor, p, req.exclude_case_id.as_deref())?,
        None => Vec::new(),
    };
    Ok(IntakeAssist {
        suggestion,
        supervising_unit_name,
        model_version: s.intel.model_version(),
        duplicates,
        phone_masked: phone.as_ref().map(Phone::masked),
        caller_history,
    })
}

fn caller_history(
    s: &AppState,
    actor: &Actor,
    phone: &Phone,
    exclude: Option<&str>,
) -> Result<Vec<CallerCase>, ApiError> {
    let org = s.org();
    let mut out = Vec::new();
    for id in s.store.case_ids_by_phone(phone.as_str(), CALLER_SCAN)? {
        if out.len() == CALLER_HISTORY {
            break;
        }
        if exclude == Some(id.to_string().as_str()) {
            continue;
        }
        let Some(c) = s.store.case(id)? else { continue };
        if !can_see(actor, &c, &org) {
            continue;
        }
        out.push(CallerCase {
            case_id: c.id.to_string(),
            number: c.number,
            title: c.title,
            channel: c.channel,
            state: c.state,
            state_name: c.state.label_zh().to_owned(),
            category: c.category.map(|x| x.as_str().to_owned()),
            handling_unit_name: c
                .handling_unit
                .and_then(|u| org.get(u))
                .map(|u| u.name.clone()),
            received_at: c.received_at,
        });
    }
    Ok(out)
}
