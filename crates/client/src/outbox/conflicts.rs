//! 同步冲突: commands the server refused (`rejected`) or found no longer fitting the
//! case (`conflict`). Each stays listed, with the server's reason, until the user
//! chooses what becomes of the work: drop it, take the action again on the case as it
//! now is, or keep what was written as a note on the case.

use chrono::{DateTime, Utc};
use minsheng_domain::ids::CommandId;
use minsheng_domain::workflow::Action;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{command, CommandPayload, COLUMNS};
use crate::cache::{to_ms, LocalCache};
use crate::error::{ClientError, Result};
use crate::outbox::Command;
use crate::view::LocalCase;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Resolution {
    /// Drop the work.
    Discard,
    /// Queue the same action again, validated against the case as it is now.
    Reapply,
    /// Record what the user wrote as a 备注 on the case, so nothing typed is lost.
    ForwardAsNote,
}

impl Resolution {
    const fn code(self) -> &'static str {
        match self {
            Self::Discard => "discard",
            Self::Reapply => "reapply",
            Self::ForwardAsNote => "forwardAsNote",
        }
    }
}

/// The words of an action worth keeping: every text field, in order.
fn written_text(action: &Action) -> String {
    fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) if !s.trim().is_empty() => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            serde_json::Value::Object(o) => o
                .iter()
                .filter(|(k, _)| k.as_str() != "type")
                .for_each(|(_, x)| collect(x, out)),
            _ => {}
        }
    }
    let mut parts = Vec::new();
    if let Ok(v) = serde_json::to_value(action) {
        collect(&v, &mut parts);
    }
    parts.join("；")
}

impl LocalCache {
    /// Refused commands the user has not dealt with yet, oldest first.
    pub fn conflicts(&self) -> Result<Vec<Command>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM outbox
             WHERE status IN ('rejected', 'conflict') AND resolved_at IS NULL ORDER BY seq"
        ))?;
        let rows = stmt
            .query_map([], command)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn conflict_count(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM outbox
             WHERE status IN ('rejected', 'conflict') AND resolved_at IS NULL",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Settles one refused command. `Reapply` and `ForwardAsNote` queue a new command
    /// (validated like any other; a refusal leaves the conflict listed) and return the
    /// case's new local view.
    pub fn resolve_conflict(
        &mut self,
        id: CommandId,
        how: Resolution,
        now: DateTime<Utc>,
    ) -> Result<Option<LocalCase>> {
        let cmd = self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM outbox WHERE id = ?1
                     AND status IN ('rejected', 'conflict') AND resolved_at IS NULL"
                ),
                [id.to_string()],
                command,
            )
            .optional()?
            .ok_or(ClientError::NoSuchConflict(id))?;
        let view = match (how, &cmd.payload) {
            (Resolution::Discard, _) => None,
            (Resolution::Reapply, CommandPayload::Action(a)) => {
                Some(self.queue_action(cmd.case_id, a.clone(), now)?)
            }
            (Resolution::ForwardAsNote, CommandPayload::Action(a)) => {
                let text = format!(
                    "【离线操作未生效，转为备注】{}：{}（未生效原因：{}）",
                    a.kind().label_zh(),
                    written_text(a),
                    cmd.error_message.as_deref().unwrap_or("服务器拒绝")
                );
                Some(self.queue_action(cmd.case_id, Action::AddNote { text }, now)?)
            }
            (_, CommandPayload::Intake(_)) => return Err(ClientError::ResolutionNotPossible),
        };
        self.conn.execute(
            "UPDATE outbox SET resolution = ?2, resolved_at = ?3, updated_at = ?3 WHERE id = ?1",
            params![id.to_string(), how.code(), to_ms(now)],
        )?;
        Ok(view)
    }
}
