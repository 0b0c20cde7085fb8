//! The case as one user sees it.

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::citizen::CitizenView;
use minsheng_domain::ids::UnitId;
use minsheng_domain::lists::{lists_of, WorkList};
use minsheng_domain::org::OrgTree;
use minsheng_domain::role::Actor;
use minsheng_domain::workflow::{self, ActionKind};
use serde::Serialize;

use crate::error::ApiError;
use crate::intelligence::{DuplicateView, SuggestionBrief};

/// A case as shown to one user: citizen identity masked, plus what they may do now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaseView {
    /// The case; its `citizen` is replaced by the masked view below.
    #[serde(flatten)]
    #[schema(value_type = minsheng_domain::case::Case)]
    pub case: serde_json::Value,
    pub citizen: CitizenView,
    pub state_name: String,
    pub handling_unit_name: Option<String>,
    pub supervising_unit_name: Option<String>,
    pub allowed_actions: Vec<ActionKind>,
    pub lists: Vec<WorkList>,
    /// At intake only, when the server has a model: the suggested category, request
    /// type, handling and supervising units, police relevance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<SuggestionBrief>,
    /// At intake only: open or recent cases that may be the same matter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<Vec<DuplicateView>>,
}

impl CaseView {
    pub fn new(
        c: &Case,
        actor: &Actor,
        org: &OrgTree,
        now: DateTime<Utc>,
    ) -> Result<Self, ApiError> {
        let mut case = serde_json::to_value(c)?;
        if let Some(obj) = case.as_object_mut() {
            obj.remove("citizen");
        }
        let name = |u: Option<UnitId>| u.and_then(|u| org.get(u)).map(|u| u.name.clone());
        Ok(Self {
            case,
            citizen: c.citizen.view(false),
            state_name: c.state.label_zh().to_owned(),
            handling_unit_name: name(c.handling_unit),
            supervising_unit_name: name(c.supervising_unit),
            allowed_actions: workflow::allowed_actions(c, actor, org),
            lists: lists_of(c, now),
            suggestion: None,
            duplicates: None,
        })
    }
}
