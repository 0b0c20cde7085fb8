//! The outbox: every offline action is first a durable command (UUIDv7 id, gap-free
//! per-install sequence number, case, base version, payload, device time, status),
//! validated by the domain before it is written, then pushed in sequence order.

use chrono::{DateTime, Utc};
use minsheng_domain::ids::{CaseId, CommandId};
use minsheng_domain::role::Actor;
use minsheng_domain::workflow::{self, Action, Ctx, NewCase};
use minsheng_domain::DomainError;
use rusqlite::{params, Connection, Row, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::cache::{from_ms, to_ms, CachedCase, LocalCache};
use crate::error::{ClientError, Result};
use crate::view::{self, LocalCase};

mod conflicts;
pub use conflicts::Resolution;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CommandStatus {
    /// Written, not yet handed to the server.
    Queued,
    /// In a push whose answer has not arrived; pushed again (same id) if in doubt.
    Sent,
    /// The server applied it (exactly once).
    Applied,
    /// The server refused it for good (e.g. no longer allowed); shown in 同步冲突.
    Rejected,
    /// The case changed on the server so the command no longer fits; shown in 同步冲突.
    Conflict,
}

impl CommandStatus {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Applied => "applied",
            Self::Rejected => "rejected",
            Self::Conflict => "conflict",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Sent,
            Self::Applied,
            Self::Rejected,
            Self::Conflict,
        ]
        .into_iter()
        .find(|x| x.code() == s)
    }

    /// Still waiting for the server: replayed on top of the server state.
    pub const fn is_pending(self) -> bool {
        matches!(self, Self::Queued | Self::Sent)
    }
}

/// What a command does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "camelCase")]
pub enum CommandPayload {
    /// A workflow action on an existing case (the domain `Action` JSON).
    Action(Action),
    /// A case recorded offline (入户走访); its id was minted on this device.
    Intake(NewCase),
}

impl CommandPayload {
    fn kind(&self) -> &'static str {
        match self {
            Self::Action(_) => "action",
            Self::Intake(_) => "intake",
        }
    }

    /// The action code for lists (`signIn`, `submitReply` ... or `intake`).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Action(a) => a.kind().code(),
            Self::Intake(_) => "intake",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Command {
    /// Gap-free per-install sequence number; the push order.
    pub seq: u64,
    pub id: CommandId,
    pub case_id: CaseId,
    /// The server version of the case the command was built on; None for an intake
    /// or for a case not yet on the server.
    pub base_version: Option<u64>,
    pub payload: CommandPayload,
    /// Who queued it (replay uses this, not whoever is signed in later).
    pub actor: Actor,
    pub device_at: DateTime<Utc>,
    pub status: CommandStatus,
    /// The server's `{code, message}` for rejected/conflict commands.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

pub(crate) const COLUMNS: &str =
    "seq, id, case_id, base_version, kind, payload, actor, device_at, \
                       status, error_code, error_message";

pub(crate) fn command(r: &Row<'_>) -> rusqlite::Result<Command> {
    let bad = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    let id: String = r.get(1)?;
    let case_id: String = r.get(2)?;
    let kind: String = r.get(4)?;
    let payload: String = r.get(5)?;
    let actor: String = r.get(6)?;
    let status: String = r.get(8)?;
    let payload = match kind.as_str() {
        "action" => serde_json::from_str(&payload).map(CommandPayload::Action),
        _ => serde_json::from_str(&payload).map(CommandPayload::Intake),
    }
    .map_err(|e| bad(5, e.to_string()))?;
    Ok(Command {
        seq: r.get::<_, i64>(0)? as u64,
        id: id.parse().map_err(|_| bad(1, id.clone()))?,
        case_id: case_id.parse().map_err(|_| bad(2, case_id.clone()))?,
        base_version: r.get::<_, Option<i64>>(3)?.map(|v| v as u64),
        payload,
        actor: serde_json::from_str(&actor).map_err(|e| bad(6, e.to_string()))?,
        device_at: from_ms(r.get(7)?),
        status: CommandStatus::from_code(&status).ok_or_else(|| bad(8, status.clone()))?,
        error_code: r.get(9)?,
        error_message: r.get(10)?,
    })
}

/// Appends a command; the sequence number comes from the counter row in the same
/// transaction, so a rolled-back insert leaves no gap and no number is used twice.
fn insert(
    conn: &Connection,
    case_id: CaseId,
    base_version: Option<u64>,
    payload: &CommandPayload,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Command> {
    let seq: i64 = conn.query_row(
        "UPDATE outbox_seq SET next = next + 1 WHERE only = 1 RETURNING next - 1",
        [],
        |r| r.get(0),
    )?;
    let id = CommandId::mint(now);
    let body = match payload {
        CommandPayload::Action(a) => serde_json::to_string(a)?,
        CommandPayload::Intake(n) => serde_json::to_string(n)?,
    };
    conn.execute(
        "INSERT INTO outbox (seq, id, case_id, kind, action, base_version, payload, actor,
                             device_at, status, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'queued', ?9)",
        params![
            seq,
            id.to_string(),
            case_id.to_string(),
            payload.kind(),
            payload.label(),
            base_version.map(|v| v as i64),
            body,
            serde_json::to_string(actor)?,
            to_ms(now),
        ],
    )?;
    Ok(Command {
        seq: seq as u64,
        id,
        case_id,
        base_version,
        payload: payload.clone(),
        actor: actor.clone(),
        device_at: now,
        status: CommandStatus::Queued,
        error_code: None,
        error_message: None,
    })
}

pub(crate) fn pending_for_case(conn: &Connection, case_id: CaseId) -> Result<Vec<Command>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM outbox
         WHERE case_id = ?1 AND status IN ('queued', 'sent') ORDER BY seq"
    ))?;
    let rows = stmt
        .query_map([case_id.to_string()], command)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

impl LocalCache {
    /// Validates `action` by the signed-in user against the local view of the case
    /// (server state + pending commands) and, if the rules allow it, queues it durably.
    /// Returns the new local view. An impossible action is refused here, typed.
    pub fn queue_action(
        &mut self,
        case_id: CaseId,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<LocalCase> {
        let actor = self.actor()?;
        let org = self.org_tree()?;
        // Field by field (not `self.ctx`): the transaction below borrows `conn` mutably.
        let ctx = Ctx {
            now,
            org: &org,
            calendar: &self.config.calendar,
            sla: self.config.sla.at(now),
            categories: &self.config.categories,
        };
        // IMMEDIATE: the view we validate against cannot change before the insert.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let view = view::build(&tx, case_id, &ctx, Some(&actor))?;
        // Validation only: the returned view replays the stored command the same way.
        workflow::apply(&view.case, &actor, &action, &ctx)?;
        let base = (view.server_version > 0).then_some(view.server_version);
        insert(
            &tx,
            case_id,
            base,
            &CommandPayload::Action(action),
            &actor,
            now,
        )?;
        tx.commit()?;
        self.local_case(case_id, now)
    }

    /// What the domain would refuse about `action` on the case as the user sees it now
    /// (pending work replayed), without queuing anything: the action form marks the
    /// field named. Empty when `queue_action` would accept it.
    pub fn check_action(
        &self,
        case_id: CaseId,
        action: &Action,
        now: DateTime<Utc>,
    ) -> Result<Vec<workflow::FieldProblem>> {
        let actor = self.actor()?;
        let org = self.org_tree()?;
        let ctx = self.ctx(&org, now);
        let view = view::build(&self.conn, case_id, &ctx, Some(&actor))?;
        Ok(workflow::check_action(&view.case, &actor, action, &ctx))
    }

    /// Records a new case offline (入户走访): validated by the domain, shown at once
    /// under a client-minted id and without a case number until the server assigns one.
    pub fn queue_intake(&mut self, mut new: NewCase, now: DateTime<Utc>) -> Result<LocalCase> {
        let actor = self.actor()?;
        let id = *new.id.get_or_insert_with(|| CaseId::mint(now));
        // The citizen asked now, not whenever the device next reaches the server.
        new.received_at.get_or_insert(now);
        let case = workflow::intake(&new, &actor, now)?;
        let local = CachedCase::local(&case)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if crate::cache::cases_load(&tx, id)?.is_some() {
            return Err(DomainError::InvalidField {
                field: "id",
                reason: "该诉求件已存在".into(),
            }
            .into());
        }
        crate::cache::cases_upsert(&tx, &local)?;
        insert(&tx, id, None, &CommandPayload::Intake(new), &actor, now)?;
        tx.commit()?;
        self.local_case(id, now)
    }

    /// Commands in sequence order, optionally only those in the given states.
    pub fn commands(&self, statuses: &[CommandStatus]) -> Result<Vec<Command>> {
        let filter = if statuses.is_empty() {
            String::new()
        } else {
            let codes: Vec<String> = statuses.iter().map(|s| format!("'{}'", s.code())).collect();
            format!("WHERE status IN ({})", codes.join(","))
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM outbox {filter} ORDER BY seq"
        ))?;
        let rows = stmt
            .query_map([], command)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// How many commands wait for the server (the UI's queue badge).
    pub fn pending_count(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE status IN ('queued', 'sent')",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Records what became of a command. `error` is the server's `(code, message)`.
    pub fn set_command_status(
        &mut self,
        id: CommandId,
        status: CommandStatus,
        error: Option<(&str, &str)>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE outbox SET status = ?2, error_code = ?3, error_message = ?4, updated_at = ?5
             WHERE id = ?1",
            params![
                id.to_string(),
                status.code(),
                error.map(|e| e.0),
                error.map(|e| e.1),
                to_ms(now),
            ],
        )?;
        if n == 0 {
            return Err(ClientError::Corrupt(format!(
                "没有编号为 {id} 的待同步操作"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
