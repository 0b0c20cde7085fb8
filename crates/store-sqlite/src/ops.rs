//! SQLite side of `storage::ops`: the schema version the file records, the queue depths
//! and the reader pool.

use minsheng_store::ops::{OpsStore, PoolStatus, QueueDepths};
use minsheng_store::StoreResult;

use crate::{db, SqliteStore};

/// Migration 17: the unread staff notifications in an index of their own, so counting
/// them (every `/metrics` scrape, every desktop's badge) reads only the unread rows, not
/// the whole history of notices.
pub(super) const MIGRATION: &str = "
CREATE INDEX staff_notifications_unread ON staff_notifications(user_id) WHERE read_at IS NULL;
";

impl OpsStore for SqliteStore {
    fn database_schema_version(&self) -> StoreResult<i64> {
        db(|| {
            let conn = self.conn()?;
            let v: Option<i64> =
                conn.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                    r.get(0)
                })?;
            Ok(v.unwrap_or(0))
        })
    }

    fn queue_depths(&self) -> StoreResult<QueueDepths> {
        db(|| {
            let conn = self.conn()?;
            // Through sms_outbox_due (status first): the sent history is never read.
            let mut depths = QueueDepths::default();
            let mut st = conn.prepare_cached(
                "SELECT status, COUNT(*) FROM sms_outbox
                  WHERE status IN ('pending', 'sending', 'dead') GROUP BY status",
            )?;
            let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (status, n) = row?;
                let n = n.unsigned_abs();
                match status.as_str() {
                    "pending" => depths.sms_pending = n,
                    "sending" => depths.sms_sending = n,
                    _ => depths.sms_dead = n,
                }
            }
            let unread: i64 = conn
                .prepare_cached("SELECT COUNT(*) FROM staff_notifications WHERE read_at IS NULL")?
                .query_row([], |r| r.get(0))?;
            depths.notifications_unread = unread.unsigned_abs();
            Ok(depths)
        })
    }

    fn pool_status(&self) -> Option<PoolStatus> {
        let state = self.pool.state();
        Some(PoolStatus {
            serves: "readers",
            max: self.pool.max_size(),
            open: state.connections,
            idle: state.idle_connections,
        })
    }
}
