//! What operators watch (the server's `/metrics` and readiness probe): the schema
//! version the database holds, the depth of the queues background workers drain, and
//! the connection pool. Every read here is cheap: one indexed count or one tiny row,
//! never a scan that grows with the case history.

/// Messages and notices waiting, counted in the database at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepths {
    /// SMS waiting for their next attempt (`OutboxStatus::Pending`).
    pub sms_pending: u64,
    /// SMS claimed by a worker and not finished yet (`OutboxStatus::Sending`).
    pub sms_sending: u64,
    /// Dead letters waiting for an admin (`OutboxStatus::Dead`).
    pub sms_dead: u64,
    /// Staff notifications nobody has marked read, over all users.
    pub notifications_unread: u64,
}

/// The backend's connection pool right now (no I/O to read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// What the pool's connections are for (`"readers"` on SQLite, whose one writer
    /// connection is outside the pool; `"all"` on PostgreSQL).
    pub serves: &'static str,
    /// The most connections the pool opens.
    pub max: u32,
    /// Connections open now (idle plus in use).
    pub open: u32,
    /// Open connections no one holds.
    pub idle: u32,
}

impl PoolStatus {
    /// Open connections someone holds.
    pub fn in_use(&self) -> u32 {
        self.open.saturating_sub(self.idle)
    }
}

/// Implemented by every backend; part of `Store`.
pub trait OpsStore {
    /// The newest schema version recorded in the database itself (one small query on a
    /// pooled connection, so it also proves the database answers). A server whose code
    /// knows another version (`Store::schema_version`) is not ready: another instance
    /// migrated the database past it, or it was restored from an older one.
    fn database_schema_version(&self) -> crate::StoreResult<i64>;
    /// SMS outbox and staff notification queues, counted through their indexes.
    fn queue_depths(&self) -> crate::StoreResult<QueueDepths>;
    /// The connection pool, where the backend can tell; `None` otherwise.
    fn pool_status(&self) -> Option<PoolStatus> {
        None
    }
}
