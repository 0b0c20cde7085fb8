//! The case service: what http, sync, import, notify and seed call to read and change
//! cases. A case out of the caller's scope looks exactly like a missing one; intake
//! and every workflow action go through the domain's state machine inside one store
//! transaction; the citizen's identity is shown only to roles that need it, with an
//! audit record each time.

mod actions;
mod view;

pub use actions::{resolve_action, resolve_action_with, transition, References};
pub use view::CaseView;

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::citizen::CitizenView;
use minsheng_domain::ids::{CaseId, EntryId};
use minsheng_domain::org::UnitKind;
use minsheng_domain::role::Actor;
use minsheng_domain::scope::can_see;
use minsheng_domain::timeline::{verify_chain, ChainReport, TimelineEntry};
use minsheng_domain::workflow::{self, Action, NewCase};
use minsheng_store::AuditRecord;

use crate::error::ApiError;
use crate::intelligence;
use crate::state::AppState;

/// Loads a case the actor may see; anything else is "not found" so ids leak nothing.
pub fn visible_case(s: &AppState, actor: &Actor, id: CaseId) -> Result<Case, ApiError> {
    let c = s.store.case(id)?.ok_or(ApiError::NotFound("诉求件"))?;
    if can_see(actor, &c, &s.org()) {
        Ok(c)
    } else {
        Err(ApiError::NotFound("诉求件"))
    }
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

/// 受理: stores a new request with its intake entry and answers it as the clerk sees
/// it, with the model's suggestion and the possible duplicates in the clerk's scope.
pub fn register(s: &AppState, actor: &Actor, new: &NewCase) -> Result<CaseView, ApiError> {
    // Writes follow the latest org tree and rules, whichever instance changed them.
    s.refresh_if_changed()?;
    let now = s.now();
    let c = workflow::intake(new, actor, now)?;
    let entry = intake_entry(&c, actor, now, None);
    let stored = s
        .store
        .insert_cases(&s.org(), vec![(c, vec![entry])])?
        .remove(0);
    let extras = intelligence::on_intake(s, actor, &stored);
    let mut view = CaseView::new(&stored, actor, &s.org(), now)?;
    view.suggestion = extras.suggestion;
    view.duplicates = Some(extras.duplicates);
    Ok(view)
}

/// Applies one action through the state machine in one transaction; appends it to the timeline.
pub fn apply_action(
    s: &AppState,
    actor: &Actor,
    id: CaseId,
    action: Action,
    expected_version: Option<u64>,
    device_at: Option<DateTime<Utc>>,
) -> Result<Case, ApiError> {
    s.refresh_if_changed()?;
    // Before the store compares versions: a stale version on a case out of scope must
    // answer 404 like an unknown id, not 409 with its current version.
    let current = visible_case(s, actor, id)?;
    let action = resolve_action(s, actor, action)?;
    let check = intelligence::DispatchCheck::before(s, &current, &action);
    let org = s.org();
    let now = s.now();
    let mut f = transition(s, actor, &action, &org, now, device_at);
    let updated = s.store.update_case(&org, id, expected_version, &mut f)?;
    intelligence::after_action(s, &updated, check);
    Ok(updated)
}

/// The citizen's full phone and ID number, for roles that need them; audited (PIPL).
pub fn citizen_identity(s: &AppState, actor: &Actor, id: CaseId) -> Result<CitizenView, ApiError> {
    let c = visible_case(s, actor, id)?;
    if !actor.role.sees_citizen_identity() {
        return Err(ApiError::Forbidden);
    }
    s.store.audit(&AuditRecord {
        at: s.now(),
        user_id: actor.user_id,
        action: "unmaskCitizen".into(),
        target: c.id.to_string(),
        detail: c.number.clone().unwrap_or_default(),
    })?;
    Ok(c.citizen.view(true))
}

/// The timeline of a visible case, oldest first.
pub fn timeline(s: &AppState, actor: &Actor, id: CaseId) -> Result<Vec<TimelineEntry>, ApiError> {
    let c = visible_case(s, actor, id)?;
    Ok(s.store.timeline(c.id)?)
}

/// Verifies the case's hash chain (tamper evidence), including that no entry was cut
/// off the end: every change bumps the version and appends one entry.
pub fn verified_timeline(s: &AppState, actor: &Actor, id: CaseId) -> Result<ChainReport, ApiError> {
    let c = visible_case(s, actor, id)?;
    let mut report = verify_chain(&s.store.timeline(c.id)?);
    if report.valid && report.entries != c.version {
        report.valid = false;
        report.broken_at = Some(report.entries + 1);
        report.problem = Some(format!(
            "记录数 {} 与诉求件版本 {} 不一致（末尾记录被删除）",
            report.entries, c.version
        ));
        report.head_hash = None;
    }
    Ok(report)
}

/// The platform itself, as the actor of imports from the command line and of the
/// server's own steps (SMS answers, 首问负责 replies to duplicates).
pub fn system_actor(s: &AppState) -> Result<Actor, ApiError> {
    let org = s.org();
    let unit = org
        .units()
        .find(|u| u.kind == UnitKind::PlatformOffice)
        .or_else(|| org.units().find(|u| u.parent.is_none()))
        .ok_or(ApiError::NotFound("组织机构（请先 seed-demo 或导入单位）"))?;
    Ok(Actor::system(unit.id))
}
