//! Cases: intake, list, detail, workflow actions, timeline.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use minsheng_domain::case::{Case, CaseState, Channel, RequestType};
use minsheng_domain::citizen::CitizenView;
use minsheng_domain::ids::{CaseId, EntryId, UnitId, UserId};
use minsheng_domain::lists::{lists_of, WorkList};
use minsheng_domain::org::OrgTree;
use minsheng_domain::role::Actor;
use minsheng_domain::scope::{can_see, list_scope};
use minsheng_domain::timeline::{verify_chain, ChainReport, TimelineEntry};
use minsheng_domain::workflow::{self, Action, ActionKind, Assignee, NewCase};
use serde::{Deserialize, Serialize};

use super::{ApiJson, ApiQuery};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::intelligence::{self, DuplicateView, SuggestionBrief};
use crate::state::{AppState, SharedState};
use minsheng_store::{AuditRecord, CaseQuery, CaseSummary, CaseUpdate, StoreError, UserRecord};

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

/// Loads a case the actor may see; anything else is "not found" so ids leak nothing.
pub fn visible_case(s: &AppState, actor: &Actor, id: CaseId) -> Result<Case, ApiError> {
    let c = s.store.case(id)?.ok_or(ApiError::NotFound("诉求件"))?;
    if can_see(actor, &c, &s.org()) {
        Ok(c)
    } else {
        Err(ApiError::NotFound("诉求件"))
    }
}

fn parse_case_id(raw: &str) -> Result<CaseId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("诉求件"))
}

/// Builds the first timeline entry of a new case.
pub fn intake_entry(
    c: &Case,
    actor: &Actor,
    now: DateTime<Utc>,
    device_at: Option<DateTime<Utc>>,
) -> TimelineEntry {
    TimelineEntry::next(
        None,
        EntryId::mint(now),
        c.id,
        now,
        device_at,
        actor,
        "intake",
        None,
        c.state,
        serde_json::json!({ "channel": c.channel, "title": c.title }),
    )
}

/// 受理: registers a request from any channel (clerks; officers for 入户走访).
#[utoipa::path(post, path = "/api/v1/cases", request_body = NewCase,
    responses((status = 201, body = CaseView), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn intake(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(new): ApiJson<NewCase>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    state
        .blocking(move |s| {
            let now = s.now();
            let c = workflow::intake(&new, &auth.actor, now)?;
            let entry = intake_entry(&c, &auth.actor, now, None);
            let stored = s
                .store
                .insert_cases(&s.org(), vec![(c, vec![entry])])?
                .remove(0);
            let extras = intelligence::on_intake(s, &auth.actor, &stored);
            let mut view = CaseView::new(&stored, &auth.actor, &s.org(), now)?;
            view.suggestion = extras.suggestion;
            view.duplicates = Some(extras.duplicates);
            Ok((StatusCode::CREATED, Json(view)))
        })
        .await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListParams {
    /// States, comma-separated codes (`inProgress,pendingReview`; Chinese names work too).
    #[param(value_type = Option<Vec<CaseState>>, style = Form, explode = false)]
    pub state: Option<String>,
    /// Handling unit id (empty: any).
    #[param(
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub unit: Option<String>,
    pub category: Option<String>,
    /// Channel name (`12345市长热线`) or code (`MayorHotline`); empty: any.
    pub channel: Option<String>,
    /// Request type name (`投诉`) or code (`Complaint`); empty: any.
    pub request_type: Option<String>,
    pub overdue: Option<bool>,
    /// Substring of title or content.
    pub q: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// `nextCursor` of the previous page.
    #[param(
        pattern = r"^(-?[0-9]+_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub cursor: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// Also return the total count (slower on big scopes).
    pub with_total: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CasePageView {
    pub items: Vec<CaseSummary>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    pub total: Option<u64>,
}

fn bad(field: &str, v: &str) -> ApiError {
    ApiError::BadRequest(format!("参数 {field} 的值“{v}”无效"))
}

pub fn encode_cursor(c: &(i64, String)) -> String {
    format!("{}_{}", c.0, c.1)
}

fn decode_cursor(s: &str) -> Result<(i64, String), ApiError> {
    let (a, b) = s.split_once('_').ok_or_else(|| bad("cursor", s))?;
    let at = a.parse().map_err(|_| bad("cursor", s))?;
    let id: CaseId = b.parse().map_err(|_| bad("cursor", s))?;
    Ok((at, id.to_string()))
}

pub fn build_query(p: &ListParams, actor: &Actor, s: &AppState) -> Result<CaseQuery, ApiError> {
    let mut q = CaseQuery {
        scope: Some(list_scope(actor)),
        limit: p.limit.unwrap_or(50),
        now: s.now(),
        overdue: p.overdue,
        text: p.q.clone(),
        received_from: p.from,
        received_to: p.to,
        category: p.category.clone().filter(|c| !c.is_empty()),
        ..CaseQuery::default()
    };
    if let Some(states) = &p.state {
        for st in states.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            q.states
                .push(CaseState::from_code(st).ok_or_else(|| bad("state", st))?);
        }
    }
    if let Some(u) = p.unit.as_deref().filter(|x| !x.is_empty()) {
        q.unit = Some(u.parse().map_err(|_| bad("unit", u))?);
    }
    if let Some(c) = p.channel.as_deref().filter(|x| !x.is_empty()) {
        q.channel = Some(c.parse::<Channel>().map_err(|_| bad("channel", c))?);
    }
    if let Some(t) = p.request_type.as_deref().filter(|x| !x.is_empty()) {
        q.request_type = Some(
            t.parse::<RequestType>()
                .map_err(|_| bad("requestType", t))?,
        );
    }
    if let Some(c) = p.cursor.as_deref().filter(|x| !x.is_empty()) {
        q.after = Some(decode_cursor(c)?);
    }
    if q.limit == 0 || q.limit > 500 {
        return Err(ApiError::BadRequest("limit 必须在 1–500 之间".into()));
    }
    Ok(q)
}

/// Lists cases in the caller's scope, newest first, with keyset paging.
#[utoipa::path(get, path = "/api/v1/cases", operation_id = "list_cases", params(ListParams),
    responses((status = 200, body = CasePageView), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<CasePageView>, ApiError> {
    state
        .blocking(move |s| run_list(s, &build_query(&p, &auth.actor, s)?, p.with_total))
        .await
}

/// One page of a case query, with the total when asked for.
pub fn run_list(
    s: &AppState,
    q: &CaseQuery,
    with_total: Option<bool>,
) -> Result<Json<CasePageView>, ApiError> {
    let page = s.store.list_cases(q)?;
    let total = if with_total == Some(true) {
        Some(s.store.count_cases(q)?)
    } else {
        None
    };
    Ok(Json(CasePageView {
        items: page.items,
        next_cursor: page.next.as_ref().map(encode_cursor),
        total,
    }))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", params(("id" = uuid::Uuid, Path, description = "诉求件 id（不存在或不在本人范围内均为 404）")),
    responses((status = 200, body = CaseView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_one(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    state
        .blocking(move |s| {
            let c = visible_case(s, &auth.actor, parse_case_id(&id)?)?;
            Ok(Json(CaseView::new(&c, &auth.actor, &s.org(), s.now())?))
        })
        .await
}

/// The citizen's full phone and ID number, for roles that need them; every call is audited.
#[utoipa::path(get, path = "/api/v1/cases/{id}/citizen", params(("id" = uuid::Uuid, Path, description = "诉求件 id（不存在或不在本人范围内均为 404）")),
    responses((status = 200, body = CitizenView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn unmasked_citizen(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<CitizenView>, ApiError> {
    state
        .blocking(move |s| {
            let c = visible_case(s, &auth.actor, parse_case_id(&id)?)?;
            if !auth.actor.role.sees_citizen_identity() {
                return Err(ApiError::Forbidden);
            }
            s.store.audit(&AuditRecord {
                at: s.now(),
                user_id: auth.actor.user_id,
                action: "unmaskCitizen".into(),
                target: c.id.to_string(),
                detail: c.number.clone().unwrap_or_default(),
            })?;
            Ok(Json(c.citizen.view(true)))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionRequest {
    /// The action, tagged by `type` (e.g. `{"type":"signIn"}`, `{"type":"return","reason":"..."}`).
    pub action: Action,
    /// The case version the user saw; a different current version is a conflict.
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// When the action was taken on the device (offline work).
    #[serde(default)]
    pub device_at: Option<DateTime<Utc>>,
}

/// Where `resolve_action_with` reads what an action names: the store for online
/// actions; for a pushed command its batch's own transaction, which holds the write
/// lock and must not wait for another connection.
pub(crate) trait References {
    fn user(&mut self, id: UserId) -> Result<Option<UserRecord>, ApiError>;
    fn case(&mut self, id: CaseId) -> Result<Option<Case>, ApiError>;
}

struct StoreReferences<'a>(&'a AppState);

impl References for StoreReferences<'_> {
    fn user(&mut self, id: UserId) -> Result<Option<UserRecord>, ApiError> {
        Ok(self.0.store.user(id)?)
    }

    fn case(&mut self, id: CaseId) -> Result<Option<Case>, ApiError> {
        Ok(self.0.store.case(id)?)
    }
}

/// Resolves references the domain cannot look up itself; never trusts client-sent unit/role.
pub(crate) fn resolve_action(
    s: &AppState,
    actor: &Actor,
    action: Action,
) -> Result<Action, ApiError> {
    resolve_action_with(s, actor, action, &mut StoreReferences(s))
}

/// `resolve_action` reading through `refs`.
pub(crate) fn resolve_action_with(
    s: &AppState,
    actor: &Actor,
    action: Action,
    refs: &mut dyn References,
) -> Result<Action, ApiError> {
    match action {
        Action::Assign { officer } => {
            let u = refs
                .user(officer.id)?
                .filter(|u| u.active)
                .ok_or(ApiError::NotFound("民警"))?;
            Ok(Action::Assign {
                officer: Assignee {
                    id: u.id,
                    unit: u.unit_id,
                    role: u.role,
                },
            })
        }
        Action::LinkDuplicate { master } => {
            // Like `visible_case`: missing and out of scope look the same.
            let m = refs
                .case(master)?
                .filter(|m| can_see(actor, m, &s.org()))
                .ok_or(ApiError::NotFound("诉求件"))?;
            workflow::check_master(&m)?;
            Ok(Action::LinkDuplicate { master })
        }
        other => Ok(other),
    }
}

/// The state-machine step of an action, run by the store on the locked current case:
/// re-checks visibility, applies, checks invariants, builds the timeline entry. Shared
/// by online actions and pushed offline commands.
pub(crate) fn transition<'a>(
    s: &'a AppState,
    actor: &'a Actor,
    action: &'a Action,
    org: &'a OrgTree,
    now: DateTime<Utc>,
    device_at: Option<DateTime<Utc>>,
) -> impl FnMut(&Case, &TimelineEntry) -> Result<CaseUpdate, StoreError> + 'a {
    let cfg = s.config();
    move |c: &Case, last: &TimelineEntry| {
        if !can_see(actor, c, org) {
            return Err(ApiError::NotFound("诉求件").into());
        }
        let next = workflow::apply(c, actor, action, &cfg.ctx(now, org))?;
        let broken = next.invariant_violations();
        if !broken.is_empty() {
            return Err(StoreError::Internal(format!(
                "invariant violated: {broken:?}"
            )));
        }
        let entry = TimelineEntry::next(
            Some(last),
            EntryId::mint(now),
            c.id,
            now,
            device_at,
            actor,
            action.kind().code(),
            Some(c.state),
            next.state,
            serde_json::to_value(action)?,
        );
        Ok(CaseUpdate::Write(Box::new(next), Box::new(entry)))
    }
}

/// Applies one action through the state machine in one transaction; appends it to the timeline.
pub fn apply_action(
    s: &AppState,
    actor: &Actor,
    id: CaseId,
    req: ActionRequest,
) -> Result<Case, ApiError> {
    // Before the store compares versions: a stale version on a case out of scope must
    // answer 404 like an unknown id, not 409 with its current version.
    let current = visible_case(s, actor, id)?;
    let action = resolve_action(s, actor, req.action)?;
    let check = intelligence::DispatchCheck::before(s, &current, &action);
    let org = s.org();
    let now = s.now();
    let mut f = transition(s, actor, &action, &org, now, req.device_at);
    let updated = s
        .store
        .update_case(&org, id, req.expected_version, &mut f)?;
    intelligence::after_action(s, &updated, check);
    Ok(updated)
}

/// Takes a workflow action (签收, 答复, 审核, 退办, 延期, 催办, 回访 ...).
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", params(("id" = uuid::Uuid, Path, description = "诉求件 id（不存在或不在本人范围内均为 404）")), request_body = ActionRequest,
    responses((status = 200, body = CaseView), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn act(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ActionRequest>,
) -> Result<Json<CaseView>, ApiError> {
    let state2 = Arc::clone(&state);
    state2
        .blocking(move |s| {
            let id = parse_case_id(&id)?;
            let c = apply_action(s, &auth.actor, id, req)?;
            Ok(Json(CaseView::new(&c, &auth.actor, &s.org(), s.now())?))
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/timeline", params(("id" = uuid::Uuid, Path, description = "诉求件 id（不存在或不在本人范围内均为 404）")),
    responses((status = 200, body = Vec<TimelineEntry>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn timeline(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<Vec<TimelineEntry>>, ApiError> {
    state
        .blocking(move |s| {
            let c = visible_case(s, &auth.actor, parse_case_id(&id)?)?;
            Ok(Json(s.store.timeline(c.id)?))
        })
        .await
}

/// Verifies the case's hash chain (tamper evidence).
#[utoipa::path(get, path = "/api/v1/cases/{id}/timeline/verify", params(("id" = uuid::Uuid, Path, description = "诉求件 id（不存在或不在本人范围内均为 404）")),
    responses((status = 200, body = ChainReport), (status = 404, body = crate::error::ErrorBody)))]
pub async fn verify_timeline(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<ChainReport>, ApiError> {
    state
        .blocking(move |s| {
            let c = visible_case(s, &auth.actor, parse_case_id(&id)?)?;
            let mut report = verify_chain(&s.store.timeline(c.id)?);
            // Every change bumps the version and appends one entry, so a shorter chain
            // means entries were cut off the end.
            if report.valid && report.entries != c.version {
                report.valid = false;
                report.broken_at = Some(report.entries + 1);
                report.problem = Some(format!(
                    "记录数 {} 与诉求件版本 {} 不一致（末尾记录被删除）",
                    report.entries, c.version
                ));
                report.head_hash = None;
            }
            Ok(Json(report))
        })
        .await
}
