//! The people of the user's unit (so a unit head can 指派 offline).

use minsheng_domain::ids::{UnitId, UserId};
use rusqlite::params;
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

impl LocalCache {
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
