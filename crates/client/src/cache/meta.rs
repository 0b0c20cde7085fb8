//! Small state next to the cases: install id, the user's profile, sync cursor and
//! times, settings, and the org units the workflow rules need offline.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use minsheng_domain::config::{Config, ConfigSnapshot};
use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::org::{OrgTree, Unit};
use minsheng_domain::role::{Actor, Role};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{from_ms, to_ms, LocalCache};
use crate::error::{ClientError, Result};

const INSTALL_ID: &str = "install_id";
const PROFILE: &str = "profile";
const PULL_CURSOR: &str = "pull_cursor";
/// Where the last complete pull ended: the cache holds every case's timeline as of
/// that position (see `timelinesSince` of `GET /sync/pull`).
pub(crate) const TIMELINE_BASE: &str = "timeline_base";
/// The server's change-log identity this cache last synced with (`epoch` of the pull
/// and push answers); sent with every push so a restored server refuses it.
pub(crate) const SERVER_EPOCH: &str = "server_epoch";
const LAST_SYNC_AT: &str = "last_sync_at";
const CLOSED_WINDOW_DAYS: &str = "closed_window_days";
/// The server's configuration snapshot (holiday calendar, SLA rules) as last pulled.
const CONFIG: &str = "config";

/// How long closed cases stay cached unless configured otherwise.
pub const DEFAULT_CLOSED_WINDOW_DAYS: u32 = 30;

/// The signed-in user, as the server's `UserView` (login response `user`, `/auth/me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    /// Role code (`officer`, `unitHead` ...).
    pub role: String,
    #[serde(default)]
    pub role_name: String,
    pub unit_id: UnitId,
    #[serde(default)]
    pub unit_name: Option<String>,
    #[serde(default = "active")]
    pub active: bool,
}

const fn active() -> bool {
    true
}

impl Profile {
    /// The acting person for offline validation.
    pub fn actor(&self) -> Result<Actor> {
        let role = Role::from_code(&self.role)
            .ok_or_else(|| ClientError::Corrupt(format!("未知角色“{}”", self.role)))?;
        Ok(Actor {
            user_id: self.id,
            name: self.display_name.clone(),
            role,
            unit_id: self.unit_id,
        })
    }
}

impl LocalCache {
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn delete_meta(&mut self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", [key])?;
        Ok(())
    }

    pub(super) fn ensure_install_id(&self) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
            params![INSTALL_ID, Uuid::now_v7().to_string()],
        )?;
        Ok(())
    }

    /// Identifies this installation's outbox to the server (sequence numbers are per install).
    pub fn install_id(&self) -> Result<Uuid> {
        let raw = self.meta(INSTALL_ID)?.unwrap_or_default();
        Uuid::parse_str(&raw).map_err(|e| ClientError::Corrupt(format!("install_id: {e}")))
    }

    pub fn profile(&self) -> Result<Option<Profile>> {
        self.meta(PROFILE)?
            .map(|s| serde_json::from_str(&s).map_err(ClientError::from))
            .transpose()
    }

    /// Stores the signed-in user as login or `/auth/me` shows them. The cached cases
    /// are the scope of the stored profile's role and unit: when either changed (the
    /// admin moved the user), that snapshot is dropped in the same transaction and the
    /// next round pulls the new scope whole. The outbox stays (commands on cases out of
    /// the new scope come back as conflicts).
    pub fn set_profile(&mut self, p: &Profile) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let old: Option<Profile> = tx
            .query_row("SELECT value FROM meta WHERE key = ?1", [PROFILE], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .and_then(|s| serde_json::from_str(&s).ok());
        if old.is_some_and(|o| o.role != p.role || o.unit_id != p.unit_id) {
            crate::sync::drop_snapshot(&tx)?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![PROFILE, serde_json::to_string(p)?],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn actor(&self) -> Result<Actor> {
        self.profile()?.ok_or(ClientError::NoProfile)?.actor()
    }

    /// The server's opaque pull cursor; saved by the sync half in the same transaction
    /// as the page it covers.
    pub fn pull_cursor(&self) -> Result<Option<String>> {
        self.meta(PULL_CURSOR)
    }

    pub fn timeline_base(&self) -> Result<Option<String>> {
        self.meta(TIMELINE_BASE)
    }

    /// The server epoch of the last sync (None before the first, or after a reset
    /// until the server names its epoch again).
    pub fn server_epoch(&self) -> Result<Option<String>> {
        self.meta(SERVER_EPOCH)
    }

    pub fn last_sync_at(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .meta(LAST_SYNC_AT)?
            .and_then(|s| s.parse::<i64>().ok())
            .map(from_ms))
    }

    pub fn set_last_sync_at(&mut self, at: DateTime<Utc>) -> Result<()> {
        self.set_meta(LAST_SYNC_AT, &to_ms(at).to_string())
    }

    /// Days a closed case stays cached after it closed.
    pub fn closed_window_days(&self) -> Result<u32> {
        Ok(self
            .meta(CLOSED_WINDOW_DAYS)?
            .and_then(|s| s.parse().ok())
            .unwrap_or(DEFAULT_CLOSED_WINDOW_DAYS))
    }

    pub fn set_closed_window_days(&mut self, days: u32) -> Result<()> {
        self.set_meta(CLOSED_WINDOW_DAYS, &days.to_string())
    }

    /// The holiday calendar and SLA rules this cache counts deadlines with.
    pub fn config(&self) -> Arc<Config> {
        Arc::clone(&self.config)
    }

    /// The version of the server's configuration held (0: the shipped defaults), sent
    /// with every pull so the server sends the configuration only when it changed.
    pub fn config_version(&self) -> i64 {
        self.config.version
    }

    /// The configuration stored by the last pull that brought one; the shipped defaults
    /// before that (or if the stored one no longer compiles).
    pub(super) fn stored_config(&self) -> Result<Config> {
        let stored = self
            .meta(CONFIG)?
            .and_then(|s| serde_json::from_str::<ConfigSnapshot>(&s).ok())
            .and_then(|s| Config::from_snapshot(&s).ok());
        Ok(stored.unwrap_or_else(Config::builtin))
    }

    /// Keeps the server's configuration; compiled first, so a bad one never replaces a
    /// good one. Deadlines shown from now on use it.
    pub fn set_config(&mut self, snapshot: &ConfigSnapshot) -> Result<()> {
        let compiled = Config::from_snapshot(snapshot)?;
        self.set_meta(CONFIG, &serde_json::to_string(snapshot)?)?;
        self.config = Arc::new(compiled);
        Ok(())
    }

    /// Replaces the cached org units (they come whole from `GET /units`).
    pub fn replace_units(&mut self, units: &[Unit]) -> Result<()> {
        // Validate before writing so a bad list never replaces a good one.
        OrgTree::new(units.to_vec())?;
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM units", [])?;
        {
            let mut ins = tx.prepare("INSERT INTO units (id, json) VALUES (?1, ?2)")?;
            for u in units {
                ins.execute(params![u.id.to_string(), serde_json::to_string(u)?])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn org_tree(&self) -> Result<OrgTree> {
        let mut stmt = self.conn.prepare("SELECT json FROM units")?;
        let units = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .map(|s| Ok(serde_json::from_str::<Unit>(&s?)?))
            .collect::<Result<Vec<_>>>()?;
        Ok(OrgTree::new(units)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::tests::temp_cache;

    #[test]
    fn profile_cursor_and_settings_round_trip() {
        let (_dir, mut cache, _) = temp_cache();
        assert!(cache.profile().unwrap().is_none());
        assert_eq!(cache.actor().unwrap_err().code(), "NO_PROFILE");
        let p: Profile = serde_json::from_value(serde_json::json!({
            "id": Uuid::now_v7(), "username": "officer", "displayName": "王警官",
            "role": "officer", "roleName": "承办民警", "unitId": Uuid::now_v7(),
            "unitName": "千佛山派出所", "active": true
        }))
        .unwrap();
        cache.set_profile(&p).unwrap();
        assert_eq!(cache.profile().unwrap(), Some(p.clone()));
        assert_eq!(cache.actor().unwrap().role, Role::Officer);

        assert_eq!(
            cache.closed_window_days().unwrap(),
            DEFAULT_CLOSED_WINDOW_DAYS
        );
        cache.set_closed_window_days(7).unwrap();
        assert_eq!(cache.closed_window_days().unwrap(), 7);
        let now = from_ms(to_ms(Utc::now()));
        cache.set_last_sync_at(now).unwrap();
        assert_eq!(cache.last_sync_at().unwrap(), Some(now));
        assert!(cache.pull_cursor().unwrap().is_none());

        let id = cache.install_id().unwrap();
        cache.ensure_install_id().unwrap();
        assert_eq!(cache.install_id().unwrap(), id, "install id is stable");
    }
}
