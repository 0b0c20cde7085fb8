//! PostgreSQL side of `storage::ops`: the schema version the database records, the
//! queue depths and the connection pool.

use minsheng_store::ops::{OpsStore, PoolStatus, QueueDepths};
use minsheng_store::StoreResult;

use crate::{db, PgStore, POOL_SIZE};

impl OpsStore for PgStore {
    fn database_schema_version(&self) -> StoreResult<i64> {
        db(|| {
            self.read(|c| {
                let v: Option<i64> = c
                    .query_one("SELECT MAX(version) FROM schema_migrations", &[])?
                    .try_get(0)?;
                Ok(v.unwrap_or(0))
            })
        })
    }

    fn queue_depths(&self) -> StoreResult<QueueDepths> {
        db(|| {
            self.read_snapshot(|tx| {
                // Through sms_outbox_due (status first): the sent history is never read.
                let mut depths = QueueDepths::default();
                for row in tx.query(
                    "SELECT status, COUNT(*) FROM sms_outbox
                      WHERE status IN ('pending', 'sending', 'dead') GROUP BY status",
                    &[],
                )? {
                    let status: String = row.try_get(0)?;
                    let n = u64::try_from(row.try_get::<_, i64>(1)?).unwrap_or(0);
                    match status.as_str() {
                        "pending" => depths.sms_pending = n,
                        "sending" => depths.sms_sending = n,
                        _ => depths.sms_dead = n,
                    }
                }
                let unread: i64 = tx
                    .query_one(
                        "SELECT COUNT(*) FROM staff_notifications WHERE read_at IS NULL",
                        &[],
                    )?
                    .try_get(0)?;
                depths.notifications_unread = u64::try_from(unread).unwrap_or(0);
                Ok(depths)
            })
        })
    }

    fn pool_status(&self) -> Option<PoolStatus> {
        let pool = self.pool.as_ref()?;
        let state = pool.state();
        Some(PoolStatus {
            serves: "all",
            max: POOL_SIZE,
            open: state.connections,
            idle: state.idle_connections,
        })
    }
}
