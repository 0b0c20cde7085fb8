//! The local view of a case: the server's state with the user's pending commands
//! replayed on top through the same `workflow::apply` the server runs.

use chrono::{DateTime, Utc};
use minsheng_domain::case::{Case, CaseState};
use minsheng_domain::citizen::CitizenView;
use minsheng_domain::ids::{CaseId, CommandId};
use minsheng_domain::org::OrgTree;
use minsheng_domain::role::Actor;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::{self, ActionKind, Ctx};
use rusqlite::Connection;
use serde::Serialize;

use crate::cache::{cases_load, LocalCache};
use crate::error::{ClientError, Result};
use crate::outbox::{pending_for_case, CommandPayload};

/// A pending command that no longer applies to the newer server state. It stays
/// queued (the server decides); the UI can warn about it before the push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unreplayable {
    pub command: CommandId,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalCase {
    pub case: Case,
    pub citizen: CitizenView,
    /// The version the server last sent; 0 for a case created offline.
    pub server_version: u64,
    /// Pending commands included in `case`, in sequence order.
    pub pending: Vec<CommandId>,
    pub unreplayable: Vec<Unreplayable>,
    /// What the signed-in user may do next (empty without a profile).
    pub allowed_actions: Vec<ActionKind>,
    /// Every step the server recorded, oldest first (cached by the last sync).
    pub timeline: Vec<TimelineEntry>,
    /// The user's own steps not yet confirmed by the server, with their device times.
    pub pending_steps: Vec<PendingStep>,
    /// Cached cases linked to this one as duplicates (首问负责: they follow its reply),
    /// oldest link first. Only cases in the user's scope are cached, so none leaks.
    pub duplicates: Vec<DuplicateLink>,
}

/// A duplicate linked to the case on screen, with when and by whom it was linked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateLink {
    pub id: CaseId,
    pub number: Option<String>,
    pub title: String,
    pub state: CaseState,
    /// The server time of the duplicate's 关联重复件 step (None when its timeline is not
    /// cached yet).
    pub linked_at: Option<DateTime<Utc>>,
    pub linked_by: Option<String>,
}

/// An offline step shown at the end of the timeline until the server records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingStep {
    pub command: CommandId,
    /// Action code (`signIn` ...) or `intake`.
    pub kind: String,
    pub label: String,
    pub actor_name: String,
    pub device_at: DateTime<Utc>,
    pub detail: serde_json::Value,
}

pub(crate) fn build(
    conn: &Connection,
    id: CaseId,
    ctx: &Ctx<'_>,
    viewer: Option<&Actor>,
) -> Result<LocalCase> {
    let cached = cases_load(conn, id)?.ok_or(ClientError::NotCached(id))?;
    let server_version = cached.case.version;
    let mut case = cached.case;
    let mut pending = Vec::new();
    let mut unreplayable = Vec::new();
    let mut pending_steps = Vec::new();
    for cmd in pending_for_case(conn, id)? {
        pending_steps.push(PendingStep {
            command: cmd.id,
            kind: cmd.payload.label().to_owned(),
            label: match &cmd.payload {
                CommandPayload::Action(a) => a.kind().label_zh().to_owned(),
                CommandPayload::Intake(_) => "入户走访登记".to_owned(),
            },
            actor_name: cmd.actor.name.clone(),
            device_at: cmd.device_at,
            detail: match &cmd.payload {
                CommandPayload::Action(a) => serde_json::to_value(a)?,
                CommandPayload::Intake(_) => serde_json::Value::Null,
            },
        });
        let CommandPayload::Action(action) = &cmd.payload else {
            // An intake's effect is the cached row itself.
            pending.push(cmd.id);
            continue;
        };
        // Replayed as of when it was queued, by whoever queued it.
        let at = Ctx {
            now: cmd.device_at,
            ..*ctx
        };
        match workflow::apply(&case, &cmd.actor, action, &at) {
            Ok(next) => {
                case = next;
                pending.push(cmd.id);
            }
            Err(e) => unreplayable.push(Unreplayable {
                command: cmd.id,
                code: e.code().to_owned(),
                message: e.to_string(),
            }),
        }
    }
    let allowed_actions = viewer
        .map(|a| workflow::allowed_actions(&case, a, ctx.org))
        .unwrap_or_default();
    Ok(LocalCase {
        case,
        citizen: cached.citizen,
        server_version,
        pending,
        unreplayable,
        allowed_actions,
        timeline: crate::cache::timeline_of(conn, id)?,
        pending_steps,
        duplicates: duplicates_of(conn, id)?,
    })
}

fn duplicates_of(conn: &Connection, master: CaseId) -> Result<Vec<DuplicateLink>> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM cases WHERE duplicate_of = ?1 ORDER BY received_at")?;
    let ids = stmt
        .query_map([master.to_string()], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut links = Vec::with_capacity(ids.len());
    for raw in ids {
        let id: CaseId = raw
            .parse()
            .map_err(|_| ClientError::Corrupt(format!("缓存中的诉求件编号无效：{raw}")))?;
        let Some(dup) = cases_load(conn, id)? else {
            continue;
        };
        let link = crate::cache::timeline_of(conn, id)?
            .into_iter()
            .rev()
            .find(|e| e.kind == ActionKind::LinkDuplicate.code());
        links.push(DuplicateLink {
            id,
            number: dup.case.number.clone(),
            title: dup.case.title.clone(),
            state: dup.case.state,
            linked_at: link.as_ref().map(|e| e.at),
            linked_by: link.map(|e| e.actor_name),
        });
    }
    links.sort_by_key(|l| l.linked_at);
    Ok(links)
}

impl LocalCache {
    /// What the workflow needs besides the case: `now`, the cached org tree and this
    /// cache's calendar and SLA rules.
    pub(crate) fn ctx<'a>(&'a self, org: &'a OrgTree, now: DateTime<Utc>) -> Ctx<'a> {
        Ctx {
            now,
            org,
            calendar: &self.config.calendar,
            sla: self.config.sla.at(now),
            categories: &self.config.categories,
        }
    }

    /// The case as the user should see it now, offline work included.
    pub fn local_case(&self, id: CaseId, now: chrono::DateTime<chrono::Utc>) -> Result<LocalCase> {
        let org = self.org_tree()?;
        let viewer = self.profile()?.map(|p| p.actor()).transpose()?;
        let ctx = self.ctx(&org, now);
        build(&self.conn, id, &ctx, viewer.as_ref())
    }
}
