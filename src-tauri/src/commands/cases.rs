//! Case reads from the local cache (work offline) and the writes that queue commands.

use chrono::{DateTime, Utc};
use minsheng_client::cache::{CaseRow, LocalCaseQuery, LocalWorkListCounts};
use minsheng_client::view::LocalCase;
use minsheng_client::Session;
use std::sync::Arc;

use minsheng_domain::case::{CaseState, ExtensionRequest, Reply};
use minsheng_domain::config::Config;
use minsheng_domain::ids::CaseId;
use minsheng_domain::workflow::{Action, ActionKind, NewCase};
use serde::Serialize;
use tauri::State;

use crate::commands::parse_id;
use crate::session_slot::SessionSlot;
use crate::Error;

/// The largest page the UI may ask for; lists are paged over the cache.
const MAX_PAGE: usize = 500;
/// The most cases the approval queue shows (the waiting ones, earliest deadline first).
const APPROVAL_SCAN: usize = 5000;

/// A list row plus the working time left until its deadline.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseRowView {
    #[serde(flatten)]
    pub row: CaseRow,
    /// Working minutes from now to `deadline` on the holiday calendar; negative when late.
    pub remaining_minutes: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseRowPage {
    pub total: u64,
    pub rows: Vec<CaseRowView>,
    /// Working minutes of one working day (countdowns show days + hours).
    pub minutes_per_day: i64,
}

/// Counts working time on the calendar of the session's cache (the server's, as of
/// the last pull; the shipped one in tests).
pub struct Countdown {
    config: Arc<Config>,
}

impl Default for Countdown {
    fn default() -> Self {
        Self {
            config: Arc::new(Config::builtin()),
        }
    }
}

impl Countdown {
    pub fn of(session: &Session) -> Self {
        Self {
            config: session.config(),
        }
    }
}

impl Countdown {
    pub fn page(&self, total: u64, rows: Vec<CaseRow>, now: DateTime<Utc>) -> CaseRowPage {
        CaseRowPage {
            total,
            rows: rows
                .into_iter()
                .map(|row| CaseRowView {
                    remaining_minutes: row
                        .deadline
                        .map(|d| self.config.calendar.working_minutes_between(now, d)),
                    row,
                })
                .collect(),
            minutes_per_day: self.config.calendar.office_hours().minutes_per_day(),
        }
    }
}

#[tauri::command]
pub fn cases_list(
    slot: State<'_, SessionSlot>,
    mut query: LocalCaseQuery,
) -> Result<CaseRowPage, Error> {
    query.limit = query.limit.clamp(1, MAX_PAGE);
    let session = slot.get()?;
    let page = session.list_cases(&query)?;
    Ok(Countdown::of(&session).page(page.total, page.rows, Utc::now()))
}

#[tauri::command]
pub fn case_get(slot: State<'_, SessionSlot>, id: String) -> Result<LocalCase, Error> {
    Ok(slot.get()?.case(parse_id(&id)?)?)
}

#[tauri::command]
pub fn worklist_counts(slot: State<'_, SessionSlot>) -> Result<LocalWorkListCounts, Error> {
    Ok(slot.get()?.worklist_counts()?)
}

/// Validated by the domain, queued durably, applied to the local view; sync is kicked.
#[tauri::command]
pub fn case_act(
    slot: State<'_, SessionSlot>,
    id: String,
    action: Action,
) -> Result<LocalCase, Error> {
    Ok(slot.get()?.act(parse_id(&id)?, action)?)
}

/// What the domain would refuse about an action form, by field, without queuing it
/// (the form shows the domain's own words; no rule is restated in the UI).
#[tauri::command]
pub fn case_action_check(
    slot: State<'_, SessionSlot>,
    id: String,
    action: Action,
) -> Result<Vec<minsheng_domain::workflow::FieldProblem>, Error> {
    Ok(slot.get()?.check_action(parse_id(&id)?, &action)?)
}

/// 入户走访 and other intake typed on this device; works offline (id minted here).
#[tauri::command]
pub fn case_intake(
    slot: State<'_, SessionSlot>,
    mut new_case: NewCase,
) -> Result<LocalCase, Error> {
    if new_case.id.is_none() {
        new_case.id = Some(CaseId::mint(Utc::now()));
    }
    Ok(slot.get()?.intake(new_case)?)
}

/// A reply or extension request waiting for this user's decision.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalItem {
    /// `reply` or `extension`.
    pub kind: &'static str,
    pub row: CaseRowView,
    pub reply: Option<Reply>,
    pub extension: Option<ExtensionRequest>,
    pub sensitive: bool,
    /// This sign-off concludes a 涉警投诉: approving needs a verdict (属实/部分属实/不属实).
    /// Asked of the domain (an approval without one is refused on its `verdict` field).
    pub asks_verdict: bool,
}

/// Replies to sign off (审核签批) and extension requests to decide, in deadline order:
/// exactly the cases where the state machine offers this user approve/approveExtension.
#[tauri::command]
pub fn approvals_queue(slot: State<'_, SessionSlot>) -> Result<Vec<ApprovalItem>, Error> {
    let session = slot.get()?;
    approvals(&session, &Countdown::of(&session), Utc::now())
}

pub fn approvals(
    session: &Session,
    countdown: &Countdown,
    now: DateTime<Utc>,
) -> Result<Vec<ApprovalItem>, Error> {
    // The candidates come from an indexed filter; who may decide on each is the
    // workflow's rule (`allowed_actions`), checked per case below.
    let mut found = Vec::new();
    loop {
        let query = LocalCaseQuery {
            awaiting_decision: true,
            sort: Some("deadline".into()),
            offset: found.len(),
            limit: MAX_PAGE,
            ..LocalCaseQuery::default()
        };
        let page = session.list_cases(&query)?;
        let done = page.rows.len() < query.limit || found.len() + page.rows.len() >= APPROVAL_SCAN;
        found.extend(page.rows);
        if done {
            break;
        }
    }
    let total = found.len() as u64;
    let page = minsheng_client::cache::LocalCasePage { total, rows: found };
    let rows = countdown.page(page.total, page.rows, now).rows;
    let mut out = Vec::new();
    for row in rows {
        let local = session.case(row.row.id)?;
        let allowed = |k: ActionKind| local.allowed_actions.contains(&k);
        let c = &local.case;
        if c.state == CaseState::PendingReview && allowed(ActionKind::Approve) {
            let bare = Action::Approve {
                comment: None,
                verdict: None,
            };
            let asks_verdict = c.flags.police_complaint
                && session
                    .check_action(c.id, &bare)?
                    .iter()
                    .any(|p| p.field == "verdict");
            out.push(ApprovalItem {
                kind: "reply",
                row: row.clone(),
                reply: c.reply.clone(),
                extension: None,
                sensitive: c.is_sensitive(),
                asks_verdict,
            });
        }
        if c.pending_extension.is_some() && allowed(ActionKind::ApproveExtension) {
            out.push(ApprovalItem {
                kind: "extension",
                row,
                reply: None,
                extension: c.pending_extension.clone(),
                sensitive: c.is_sensitive(),
                asks_verdict: false,
            });
        }
    }
    Ok(out)
}
