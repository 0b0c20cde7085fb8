//! What the API shows of a suggestion and of duplicate candidates.

use chrono::{DateTime, Utc};
use minsheng_domain::case::{Case, CaseState};
use minsheng_domain::ids::UnitId;
use minsheng_domain::org::OrgTree;
use minsheng_domain::role::Actor;
use minsheng_domain::scope::can_see;
use minsheng_nlp::{Classification, DuplicateCandidate, Scored, Suggestion};
use serde::Serialize;

use super::INTAKE_CANDIDATES;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnitChoice {
    pub unit_id: String,
    pub unit_name: String,
    pub score: f32,
}

/// The compact suggestion attached to an intake response and to each bulk row.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionBrief {
    /// False: not a police matter — a candidate for 转其他部门 (never done automatically).
    pub police_related: bool,
    pub police_probability: f32,
    pub category: Option<String>,
    pub category_score: Option<f32>,
    pub request_type: Option<String>,
    pub request_type_score: Option<f32>,
    /// Best three, best first (empty for a message judged not police-related in a feed).
    pub handling_units: Vec<UnitChoice>,
    pub supervising_unit: Option<String>,
    pub supervising_unit_name: Option<String>,
    pub model_version: Option<u64>,
}

fn top(list: &[Scored]) -> (Option<String>, Option<f32>) {
    list.first()
        .map_or((None, None), |s| (Some(s.label.clone()), Some(s.score)))
}

fn unit_name(org: &OrgTree, id: &str) -> Option<String> {
    id.parse::<UnitId>()
        .ok()
        .and_then(|u| org.get(u))
        .map(|u| u.name.clone())
}

impl SuggestionBrief {
    pub fn from_suggestion(s: &Suggestion, org: &OrgTree, model_version: Option<u64>) -> Self {
        let (category, category_score) = top(&s.category);
        let (request_type, request_type_score) = top(&s.request_type);
        Self {
            police_related: s.police_related.0,
            police_probability: s.police_related.1,
            category,
            category_score,
            request_type,
            request_type_score,
            handling_units: s
                .handling_units
                .iter()
                .map(|u| UnitChoice {
                    unit_id: u.unit_id.clone(),
                    unit_name: u.unit_name.clone(),
                    score: u.score,
                })
                .collect(),
            supervising_unit_name: s
                .supervising_unit
                .as_deref()
                .and_then(|u| unit_name(org, u)),
            supervising_unit: s.supervising_unit.clone(),
            model_version,
        }
    }

    /// A feed row judged not police-related: labels only, no units.
    pub fn from_classification(c: &Classification, model_version: Option<u64>) -> Self {
        let (category, category_score) = top(&c.category);
        let (request_type, request_type_score) = top(&c.request_type);
        Self {
            police_related: c.police_related.0,
            police_probability: c.police_related.1,
            category,
            category_score,
            request_type,
            request_type_score,
            handling_units: Vec::new(),
            supervising_unit: None,
            supervising_unit_name: None,
            model_version,
        }
    }
}

/// A possible earlier report of the same matter.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateView {
    pub case_id: String,
    pub number: Option<String>,
    pub title: String,
    #[schema(value_type = String)]
    pub state: CaseState,
    pub received_at: DateTime<Utc>,
    /// Text similarity plus a bonus for the same caller, at most 1.
    pub score: f32,
    pub text_similarity: f32,
    pub same_phone: bool,
    /// Text similarity reaches the calibrated "same matter" threshold.
    pub same_matter: bool,
}

/// Resolves index hits to cases the actor may see, dropping merged (and vanished)
/// ones. A case outside the actor's scope is left out without a trace: a candidate
/// list must not become a city-wide "who has complained" lookup.
pub fn duplicate_views(
    s: &AppState,
    actor: &Actor,
    candidates: Vec<DuplicateCandidate>,
    limit: usize,
) -> Result<Vec<DuplicateView>, ApiError> {
    let threshold = s.intel.link_threshold();
    let org = s.org();
    let mut out = Vec::new();
    for cand in candidates {
        if out.len() == limit {
            break;
        }
        let Ok(id) = cand.case_id.parse() else {
            continue;
        };
        let Some(c) = s.store.case(id)? else { continue };
        if c.state == CaseState::Merged || !can_see(actor, &c, &org) {
            continue;
        }
        out.push(DuplicateView {
            case_id: cand.case_id,
            number: c.number,
            title: c.title,
            state: c.state,
            received_at: c.received_at,
            score: cand.score,
            text_similarity: cand.text_similarity,
            same_phone: cand.same_phone,
            same_matter: cand.text_similarity >= threshold,
        });
    }
    Ok(out)
}

/// What an intake (single or bulk row) adds to its response.
#[derive(Debug, Clone, Default)]
pub struct IntakeExtras {
    pub suggestion: Option<SuggestionBrief>,
    pub duplicates: Vec<DuplicateView>,
}

/// Candidates for a newly stored case, then the case joins the index. Never fails:
/// the case is already stored, so a lookup problem is logged, not returned.
/// `follow`: first index what other instances registered (a bulk import does that once
/// before its rows are stored, so a row matches only earlier rows of its feed).
fn duplicates_then_index(
    s: &AppState,
    actor: &Actor,
    c: &Case,
    follow: bool,
) -> Vec<DuplicateView> {
    if follow {
        super::followed::before_lookup(s);
    }
    // Ask for more than shown: merged and out-of-scope cases are dropped afterwards.
    let found = s.intel.candidates(c, INTAKE_CANDIDATES * 4);
    s.intel.index(c);
    duplicate_views(s, actor, found, INTAKE_CANDIDATES).unwrap_or_else(|e| {
        tracing::warn!(case = %c.id, error = ?e, "duplicate lookup failed");
        Vec::new()
    })
}

/// A case registered at the counter or by phone: full suggestion, top candidates.
pub fn on_intake(s: &AppState, actor: &Actor, c: &Case) -> IntakeExtras {
    let version = s.intel.model_version();
    let suggestion = s
        .intel
        .suggest(c)
        .map(|x| SuggestionBrief::from_suggestion(&x, &s.org(), version));
    IntakeExtras {
        suggestion,
        duplicates: duplicates_then_index(s, actor, c, true),
    }
}

/// A case that arrived by sync: it joins the duplicate index; nobody is shown candidates.
pub fn index_new_case(s: &AppState, c: &Case) {
    s.intel.index(c);
}

/// A bulk feed row: the cheap classification first; units only for police matters.
pub fn on_bulk_row(s: &AppState, actor: &Actor, org: &OrgTree, c: &Case) -> IntakeExtras {
    let version = s.intel.model_version();
    let suggestion = s.intel.classify(c).map(|cl| {
        if cl.police_related.0 {
            s.intel.suggest(c).map_or_else(
                || SuggestionBrief::from_classification(&cl, version),
                |x| SuggestionBrief::from_suggestion(&x, org, version),
            )
        } else {
            SuggestionBrief::from_classification(&cl, version)
        }
    });
    IntakeExtras {
        suggestion,
        duplicates: duplicates_then_index(s, actor, c, false),
    }
}

/// `GET /cases/{id}/suggestions`: the full suggestion with its evidence, and candidates.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionsView {
    /// minsheng-nlp `Suggestion` (policeRelated, category, requestType, unitKind,
    /// handlingUnits with reasons, supervisingUnit, district, street, categoryReasons);
    /// null when the server runs without a model.
    #[schema(value_type = Option<Object>)]
    pub suggestion: Option<Suggestion>,
    pub supervising_unit_name: Option<String>,
    pub model_version: Option<u64>,
    pub duplicates: Vec<DuplicateView>,
}

/// Candidates shown on the dispatch screen.
const SCREEN_CANDIDATES: usize = 10;

pub fn suggestions_for(s: &AppState, actor: &Actor, c: &Case) -> Result<SuggestionsView, ApiError> {
    let suggestion = s.intel.suggest(c);
    let supervising_unit_name = suggestion
        .as_ref()
        .and_then(|x| x.supervising_unit.as_deref())
        .and_then(|u| unit_name(&s.org(), u));
    super::followed::before_lookup(s);
    let found = s.intel.candidates(c, SCREEN_CANDIDATES * 4);
    Ok(SuggestionsView {
        suggestion,
        supervising_unit_name,
        model_version: s.intel.model_version(),
        duplicates: duplicate_views(s, actor, found, SCREEN_CANDIDATES)?,
    })
}
