//! `GET /sync/pull`: the caller's changes since a cursor (a change-log position),
//! page by page. Each page lists the latest state of the visible cases whose last
//! change lies in it, and tombstones for cases that left the caller's unit.
//!
//! A cursor is `"<epoch>:<position>"`, opaque to clients. The epoch names the
//! database's change log (new after every restore from backup), so a cursor of a
//! replaced file is refused even when its position is below the current counter,
//! where a bare number would silently skip the changes in between.

use minsheng_domain::config::ConfigSnapshot;
use minsheng_domain::ids::CaseId;
use minsheng_domain::role::Actor;
use minsheng_domain::scope::list_scope;
use serde::{Deserialize, Serialize};

use crate::cases::CaseView;
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::SyncEpoch;

pub const DEFAULT_PULL_LIMIT: usize = 500;
pub const MAX_PULL_LIMIT: usize = 2000;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PullParams {
    /// `nextCursor` of the previous page; absent or empty for a full snapshot.
    pub cursor: Option<String>,
    /// Cases per page (1–2000, default 500).
    pub limit: Option<usize>,
    /// The desktop installation, for `ackSeq` (or header `X-Minsheng-Install`).
    pub install_id: Option<String>,
    /// A cursor up to which the client holds the timelines of the cases it holds: the
    /// cursor where its last complete pull ended (later pages of a pull may skip a case
    /// whose last change comes after them, so the page's own cursor would not do).
    /// Each changed case then comes with only the entries appended after that position.
    /// Absent: whole timelines. A case the client could not see at that position (it
    /// entered the caller's scope since) then arrives without its older entries; such
    /// a client notices the gap in `seq` and fetches `GET /cases/{id}/timeline`.
    pub timelines_since: Option<String>,
    /// The configuration version the client holds (`config.version` of an earlier
    /// answer; 0 or absent: none). The answer carries `config` when it differs.
    pub config_version: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PullResponse {
    pub changes: Vec<CaseView>,
    /// The timelines of the changed cases (each case's entries oldest first), so the
    /// desktop shows every step offline: in full, or the new entries (`timelinesSince`).
    #[schema(value_type = Vec<Object>)]
    pub timelines: Vec<Box<serde_json::value::RawValue>>,
    #[schema(value_type = Vec<String>)]
    pub removed: Vec<CaseId>,
    /// Save after applying this page; pull again from it while `hasMore`. Opaque
    /// (`"<epoch>:<position>"`).
    pub next_cursor: String,
    pub has_more: bool,
    /// Highest command sequence processed for the install (0: none or not given).
    pub ack_seq: u64,
    /// The identity of the server's change log; send it with pushes (`PushRequest.epoch`).
    pub epoch: String,
    /// The city's holiday calendar and SLA rules, when the client's `configVersion`
    /// differs from the server's: an offline client counts deadlines with them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigSnapshot>,
}

pub fn format_cursor(epoch: SyncEpoch, position: u64) -> String {
    format!("{epoch}:{position}")
}

/// The position of a cursor of this epoch. A cursor of another epoch (the database
/// was restored), a bare position (from before epochs) or anything unreadable means
/// "start over".
fn parse_cursor(raw: Option<&str>, epoch: SyncEpoch) -> Result<u64, ApiError> {
    let Some(c) = raw.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(0);
    };
    let (e, position) = c.split_once(':').ok_or(ApiError::SyncReset)?;
    match (e.parse::<SyncEpoch>(), position.parse::<u64>()) {
        (Ok(e), Ok(p)) if e == epoch => Ok(p),
        _ => Err(ApiError::SyncReset),
    }
}

pub fn pull(
    s: &AppState,
    actor: &Actor,
    p: &PullParams,
    install: Option<&str>,
) -> Result<PullResponse, ApiError> {
    let epoch = s.store.sync_epoch()?;
    let after = parse_cursor(p.cursor.as_deref(), epoch)?;
    let limit = p.limit.unwrap_or(DEFAULT_PULL_LIMIT);
    if limit == 0 || limit > MAX_PULL_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "limit 必须在 1–{MAX_PULL_LIMIT} 之间"
        )));
    }
    let page = s.store.changes_since(&list_scope(actor), after, limit)?;
    let org = s.org();
    let now = s.now();
    let changes = page
        .changed
        .iter()
        .map(|c| CaseView::new(c, actor, &org, now))
        .collect::<Result<_, _>>()?;
    let ids: Vec<CaseId> = page.changed.iter().map(|c| c.id).collect();
    // An unreadable position just means whole timelines.
    let known_at = parse_cursor(p.timelines_since.as_deref(), epoch)
        .ok()
        .filter(|&k| k > 0 && k <= after);
    let timelines = s.store.timelines_json(&ids, known_at)?;
    let config = if p.config_version == Some(s.store.config_version()?) {
        None
    } else {
        Some(s.store.config_snapshot()?)
    };
    let ack_seq = match install.or(p.install_id.as_deref()) {
        Some(i) if !i.trim().is_empty() => s.store.ack_seq(i.trim())?.unwrap_or(0),
        _ => 0,
    };
    Ok(PullResponse {
        changes,
        timelines,
        removed: page.removed,
        next_cursor: format_cursor(epoch, page.next),
        has_more: page.has_more,
        ack_seq,
        epoch: epoch.to_string(),
        config,
    })
}
