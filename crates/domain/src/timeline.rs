//! The case timeline: append-only, hash-chained per case so any edit or deletion of
//! an earlier entry is detectable ("每一个环节、时间节点都一目了然").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::case::CaseState;
use crate::ids::{CaseId, EntryId, UnitId, UserId};
use crate::role::{Actor, Role};

/// The hash a case's first entry chains from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub id: EntryId,
    pub case_id: CaseId,
    /// 1-based position in the case's chain.
    pub seq: u64,
    /// Server time of recording.
    pub at: DateTime<Utc>,
    /// Device time when the action was taken offline.
    pub device_at: Option<DateTime<Utc>>,
    pub actor_id: UserId,
    pub actor_name: String,
    pub actor_role: Role,
    pub actor_unit: UnitId,
    /// Action code (`signIn`, `intake`, ...).
    pub kind: String,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    /// The action's payload as recorded.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub detail: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The fields covered by the hash, in a fixed order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Hashed<'a> {
    id: &'a EntryId,
    case_id: &'a CaseId,
    seq: u64,
    at: &'a DateTime<Utc>,
    device_at: &'a Option<DateTime<Utc>>,
    actor_id: &'a UserId,
    actor_name: &'a str,
    actor_role: Role,
    actor_unit: &'a UnitId,
    kind: &'a str,
    from_state: Option<CaseState>,
    to_state: CaseState,
    detail: &'a serde_json::Value,
    prev_hash: &'a str,
}

impl TimelineEntry {
    /// Builds the next entry after `prev` (None for the first) and seals it.
    #[allow(clippy::too_many_arguments)]
    pub fn next(
        prev: Option<&Self>,
        id: EntryId,
        case_id: CaseId,
        at: DateTime<Utc>,
        device_at: Option<DateTime<Utc>>,
        actor: &Actor,
        kind: &str,
        from_state: Option<CaseState>,
        to_state: CaseState,
        detail: serde_json::Value,
    ) -> Self {
        let mut e = Self {
            id,
            case_id,
            seq: prev.map_or(1, |p| p.seq + 1),
            at,
            device_at,
            actor_id: actor.user_id,
            actor_name: actor.name.clone(),
            actor_role: actor.role,
            actor_unit: actor.unit_id,
            kind: kind.to_owned(),
            from_state,
            to_state,
            detail,
            prev_hash: prev.map_or_else(|| GENESIS.to_owned(), |p| p.hash.clone()),
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    pub fn compute_hash(&self) -> String {
        let h = Hashed {
            id: &self.id,
            case_id: &self.case_id,
            seq: self.seq,
            at: &self.at,
            device_at: &self.device_at,
            actor_id: &self.actor_id,
            actor_name: &self.actor_name,
            actor_role: self.actor_role,
            actor_unit: &self.actor_unit,
            kind: &self.kind,
            from_state: self.from_state,
            to_state: self.to_state,
            detail: &self.detail,
            prev_hash: &self.prev_hash,
        };
        // serde_json maps are sorted (no preserve_order), so this is canonical.
        let bytes = serde_json::to_vec(&h).unwrap_or_default();
        hex::encode(Sha256::digest(bytes))
    }
}

/// Result of checking a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainReport {
    pub valid: bool,
    pub entries: u64,
    /// The first entry that does not verify, with why.
    pub broken_at: Option<u64>,
    pub problem: Option<String>,
    pub head_hash: Option<String>,
}

/// Verifies order, links and hashes of a case's entries (given in seq order).
pub fn verify_chain(entries: &[TimelineEntry]) -> ChainReport {
    let mut prev_hash = GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        let expected_seq = i as u64 + 1;
        let problem = if e.seq != expected_seq {
            Some(format!("序号应为 {expected_seq}，实为 {}", e.seq))
        } else if e.prev_hash != prev_hash {
            Some("与前一条记录的链接不一致（记录被删除或插入）".to_owned())
        } else if e.compute_hash() != e.hash {
            Some("记录内容与哈希不符（记录被篡改）".to_owned())
        } else if entries.first().is_some_and(|f| f.case_id != e.case_id) {
            Some("记录属于其他诉求件".to_owned())
        } else {
            None
        };
        if let Some(p) = problem {
            return ChainReport {
                valid: false,
                entries: entries.len() as u64,
                broken_at: Some(expected_seq),
                problem: Some(p),
                head_hash: None,
            };
        }
        prev_hash.clone_from(&e.hash);
    }
    ChainReport {
        valid: true,
        entries: entries.len() as u64,
        broken_at: None,
        problem: None,
        head_hash: entries.last().map(|e| e.hash.clone()),
    }
}
