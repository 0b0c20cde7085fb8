//! Wire types of `POST /sync/push`, shared by the server (which reads requests and
//! writes answers) and the desktop client (the other way round), so the two cannot
//! drift apart.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{CaseId, CommandId};

/// Commands per push; the client sends larger outboxes in several batches.
pub const MAX_PUSH_COMMANDS: usize = 500;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    /// The desktop installation (its commands' sequence numbers are per install).
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub install_id: Uuid,
    /// The server's `epoch` this client last synced with (from a pull or push answer).
    /// When the server's differs (it was restored from a backup), nothing is applied
    /// and the answer is 409 `SYNC_RESET`: the client first re-queues the commands the
    /// server lost. Absent: no check (a client that never synced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    pub commands: Vec<PushCommand>,
}

/// One queued command: an action on a case, or an offline intake (`intake`, a
/// `NewCase` whose `id` the client minted). The payloads travel as JSON values and are
/// parsed one command at a time, so an unreadable one is refused alone instead of
/// failing the batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushCommand {
    /// UUIDv7 minted by the client; the server applies each id once.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: CommandId,
    /// Per-install sequence number (push order).
    pub seq: u64,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub case_id: Option<CaseId>,
    /// The case version the command was built on.
    #[serde(default)]
    pub base_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::workflow::Action>))]
    pub action: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::workflow::NewCase>))]
    pub intake: Option<serde_json::Value>,
    #[serde(default)]
    pub device_at: Option<DateTime<Utc>>,
}

/// What became of a pushed command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CommandOutcome {
    Applied,
    /// Refused for good by the rules (shown in 同步冲突 with the reason).
    Rejected,
    /// The case moved on (out of scope, or changed so the command no longer fits).
    Conflict,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommandResult {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CommandId,
    pub status: CommandOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The case as the caller sees it now (the server's case view), when they may see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub case: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub results: Vec<CommandResult>,
    /// Highest command sequence the server has processed for this install (0: none).
    /// After a restore it can be below commands the client holds as applied: those
    /// were lost and are sent again (same ids, so a re-send is harmless).
    pub ack_seq: u64,
    /// The identity of the server's change log; new after every restore from backup.
    #[serde(default)]
    pub epoch: String,
}
