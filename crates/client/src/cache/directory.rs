//! Cached reference data besides cases: each case's timeline as the server recorded it
//! (so the detail screen shows the whole history offline) and the people of the
//! user's unit (so a unit head can 指派 offline).

use minsheng_domain::ids::{CaseId, UnitId, UserId};
use minsheng_domain::timeline::TimelineEntry;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use super::LocalCache;
use crate::error::Result;

/// A colleague as `GET /users` lists them (unknown fields ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: String,
    #[serde(default)]
    pub role_name: String,
    pub unit_id: UnitId,
    #[serde(default = "yes")]
    pub active: bool,
}

const fn yes() -> bool {
    true
}

/// Stores a case's server timeline; entries are immutable, so known ones are skipped.
pub(crate) fn store_timeline(conn: &Connection, entries: &[TimelineEntry]) -> Result<()> {
    for e in entries {
        store_entry_json(conn, &serde_json::to_string(e)?)?;
    }
    Ok(())
}

/// Where an entry belongs, read from its JSON without parsing the rest.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntryKey {
    case_id: CaseId,
    seq: u64,
}

/// Stores one timeline entry as received (verbatim) unless it is already cached.
pub(crate) fn store_entry_json(conn: &Connection, json: &str) -> Result<()> {
    let key: EntryKey = serde_json::from_str(json)?;
    conn.prepare_cached("INSERT OR IGNORE INTO timeline (case_id, seq, json) VALUES (?1, ?2, ?3)")?
        .execute(params![key.case_id.to_string(), key.seq as i64, json])?;
    Ok(())
}

pub(crate) fn timeline_of(conn: &Connection, id: CaseId) -> Result<Vec<TimelineEntry>> {
    let mut stmt =
        conn.prepare_cached("SELECT json FROM timeline WHERE case_id = ?1 ORDER BY seq")?;
    let rows = stmt
        .query_map([id.to_string()], |r| r.get::<_, String>(0))?
        .map(|s| Ok(serde_json::from_str(&s?)?))
        .collect::<Result<Vec<_>>>()?;
    Ok(rows)
}

impl LocalCache {
    /// The server-recorded timeline of a case, oldest first (pending offline commands
    /// are not in it; see `LocalCase::pending_steps`).
    pub fn timeline(&self, id: CaseId) -> Result<Vec<TimelineEntry>> {
        timeline_of(&self.conn, id)
    }

    pub fn store_timeline(&mut self, entries: &[TimelineEntry]) -> Result<()> {
        let tx = self.conn.transaction()?;
        store_timeline(&tx, entries)?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces the cached people of `unit`.
    pub fn replace_unit_users(&mut self, unit: UnitId, users: &[UserSummary]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM users WHERE unit_id = ?1", [unit.to_string()])?;
        {
            let mut ins =
                tx.prepare("INSERT OR REPLACE INTO users (id, unit_id, json) VALUES (?1, ?2, ?3)")?;
            for u in users {
                ins.execute(params![
                    u.id.to_string(),
                    u.unit_id.to_string(),
                    serde_json::to_string(u)?
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn unit_users(&self, unit: UnitId) -> Result<Vec<UserSummary>> {
        let mut stmt = self
            .conn
            .prepare("SELECT json FROM users WHERE unit_id = ?1")?;
        let mut users = stmt
            .query_map([unit.to_string()], |r| r.get::<_, String>(0))?
            .map(|s| Ok(serde_json::from_str::<UserSummary>(&s?)?))
            .collect::<Result<Vec<_>>>()?;
        users.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(users)
    }
}
