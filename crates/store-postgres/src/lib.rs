//! PostgreSQL backend of the storage contract, for a city (or a province) that runs
//! several stateless server instances on one database.
//!
//! Connections come from an r2d2 pool; every contract method is one transaction
//! (`write`) or one read on a pooled connection (`read`). Unlike SQLite, writers run
//! concurrently, so what the SQLite backend gets from its single writer is explicit
//! here: a case update locks its row (`SELECT … FOR UPDATE`), change-log positions
//! come from the one `sync_counter` row, taken just before commit and held through it
//! (so positions are handed out in commit order; see `sync`), and throttles and
//! counters lock what they count (`pg_advisory_xact_lock`).
//!
//! Every contract method is ported and the conformance suite passes on it; the server
//! does not select this backend yet (`--database postgres://…` comes with running the
//! whole server suite on it).

mod accountability;
mod admin;
mod assessment;
mod attachments;
mod audit;
pub mod bench;
mod bulk;
mod cases;
mod config;
mod error;
mod from_sqlite;
mod knowledge;
mod learning;
mod login;
mod migrations;
mod notify;
mod ops;
mod org;
mod releases;
mod sessions;
mod store;
mod supervisors;
mod sync;
#[cfg(test)]
mod two_instances;
mod users;
mod worker_lock;
mod writer_slots;

use chrono::Utc;
use postgres::{Client, NoTls, Transaction};
use r2d2_postgres::PostgresConnectionManager;
use writer_slots::WriterSlots;

use minsheng_store::{StoreError, StoreResult, SyncEpoch};

pub use error::DbError;
pub(crate) use error::{db, DbResult};
pub use from_sqlite::{copy_from_sqlite, CopyProgress, CopyReport, TableCount};
pub use migrations::latest_version;
pub(crate) use minsheng_store::{from_ms, ms, states_sql};

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
pub(crate) type Conn = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// Connections per server instance (several instances share the database's limit).
const POOL_SIZE: u32 = 16;
/// Case writers of one instance holding a connection at once (the rest of the pool
/// serves reads).
const CASE_WRITERS: usize = 4;

pub struct PgStore {
    /// `None` only while being dropped.
    pool: Option<Pool>,
    schema: Option<String>,
    /// At most `CASE_WRITERS` of this instance's case writers hold a pooled connection;
    /// the others queue here, so writers waiting for each other's case rows never take
    /// every connection from the pulls, which need no lock at all.
    case_writers: WriterSlots,
}

/// The blocking client runs a small runtime of its own per connection, and a runtime
/// must not be dropped on a thread that drives async tasks (the server's last
/// reference to its state may go on a tokio worker, at shutdown or in tests): the pool
/// and its connections are dropped on a thread of their own.
impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let dropped = std::thread::Builder::new()
                .name("pg-pool-drop".into())
                .spawn(move || drop(pool));
            if let Ok(handle) = dropped {
                let _ = handle.join();
            }
        }
    }
}

/// Parses an id stored as text; a malformed one is stored data we cannot read back.
pub(crate) fn parse_id<T: std::str::FromStr>(s: &str) -> DbResult<T> {
    s.parse()
        .map_err(|_| StoreError::Internal(format!("malformed id in the database: {s}")).into())
}

/// A schema name made only of `[a-z0-9_]` (it goes into SQL unquoted).
fn valid_schema(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 60
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// The connection settings of `url`, with `search_path` set to `schema` (created if
/// missing).
fn connect_config(url: &str, schema: Option<&str>) -> DbResult<postgres::Config> {
    let mut config: postgres::Config =
        url.parse()
            .map_err(|e: postgres::Error| StoreError::Invalid {
                code: "DATABASE_URL",
                message: format!("数据库地址格式错误：{e}"),
            })?;
    if let Some(s) = schema {
        if !valid_schema(s) {
            return Err(StoreError::Invalid {
                code: "DATABASE_SCHEMA",
                message: format!("数据库模式名“{s}”只能包含小写字母、数字和下划线"),
            }
            .into());
        }
        let mut admin = config.connect(NoTls)?;
        admin.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {s}"))?;
        config.options(&format!("-c search_path={s}"));
    }
    Ok(config)
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), migrates, and opens the pool.
    pub fn open(url: &str) -> StoreResult<Self> {
        Self::open_in(url, None)
    }

    /// Like `open`, with every table in `schema` (created if missing): one database can
    /// hold several independent cities, which is how tests share one cluster.
    pub fn open_in(url: &str, schema: Option<&str>) -> StoreResult<Self> {
        db(|| Self::open_config(connect_config(url, schema)?, schema))
    }

    /// Migrates the database `config` connects to and opens the pool.
    fn open_config(config: postgres::Config, schema: Option<&str>) -> DbResult<Self> {
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .build(manager)?;
        migrations::migrate(&mut *pool.get()?)?;
        config::seed_defaults(&mut *pool.get()?, Utc::now())?;
        warn_without_chinese_trigrams(&mut *pool.get()?)?;
        Ok(Self {
            pool: Some(pool),
            schema: schema.map(str::to_owned),
            case_writers: WriterSlots::new(CASE_WRITERS),
        })
    }

    /// The schema this store lives in (`None`: the connection's default).
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Drops the store's schema with everything in it (tests clean up with this).
    pub fn drop_schema(self) -> StoreResult<()> {
        db(|| {
            if let Some(s) = &self.schema {
                self.conn()?
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {s} CASCADE"))?;
            }
            Ok(())
        })
    }

    pub(crate) fn conn(&self) -> DbResult<Conn> {
        Ok(self.pool.as_ref().expect("open until dropped").get()?)
    }

    /// One read on a pooled connection (each statement sees committed data; use
    /// `read_snapshot` when several statements must agree).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&mut Client) -> DbResult<T>) -> DbResult<T> {
        f(&mut *self.conn()?)
    }

    /// Several reads from one snapshot (REPEATABLE READ, read only).
    pub(crate) fn read_snapshot<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> DbResult<T>,
    ) -> DbResult<T> {
        let mut c = self.conn()?;
        let mut tx = c
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// One write transaction (READ COMMITTED); rolled back when `f` fails. The changes
    /// it logged get their positions just before the commit.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> DbResult<T>,
    ) -> DbResult<T> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let out = f(&mut tx)?;
        sync::assign_positions(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// A write transaction that writes cases: it waits for a case-writer slot before
    /// it takes a pooled connection.
    pub(crate) fn write_cases<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> DbResult<T>,
    ) -> DbResult<T> {
        let _slot = self.case_writers.take();
        self.write(f)
    }

    /// After a restore from a dump (or a promoted replica that lags the old primary): a
    /// new sync epoch, different from the current one, and every session ended, so
    /// desktops re-download their data and re-send the commands the database lacks
    /// (the same as the SQLite backend's restore). Run with the servers stopped.
    pub fn begin_new_sync_epoch(&self) -> StoreResult<SyncEpoch> {
        db(|| {
            self.write(|tx| {
                let old = sync::epoch(tx)?;
                let new: i64 = tx
                    .query_one(
                        "SELECT 1 + CAST(floor(random() * 9007199254740991) AS BIGINT)",
                        &[],
                    )?
                    .get(0);
                // A collision with the old epoch (1 in 9e15) would hide the restore.
                let new = if new as u64 == old.0 { new + 1 } else { new };
                tx.execute(
                    "UPDATE sync_meta SET value = $1 WHERE key = 'epoch'",
                    &[&new],
                )?;
                tx.execute("DELETE FROM sessions", &[])?;
                Ok(SyncEpoch(new as u64))
            })
        })
    }

    /// Direct access for tests and benchmarks.
    pub fn raw_connection(&self) -> StoreResult<Conn> {
        db(|| self.conn())
    }
}

/// pg_trgm takes its word characters from the database's `LC_CTYPE`: under C or POSIX
/// no Chinese character is one, so the trigram indexes hold nothing of a Chinese text
/// and case search scans every row. Said once at start-up (the database's locale is
/// fixed when it is created: `initdb --locale=C.UTF-8` or zh_CN.UTF-8).
fn warn_without_chinese_trigrams(c: &mut Client) -> DbResult<()> {
    let ctype: String = c
        .query_one("SELECT current_setting('lc_ctype')", &[])?
        .try_get(0)?;
    if matches!(ctype.as_str(), "C" | "POSIX") {
        tracing::warn!(
            lc_ctype = %ctype,
            "the database's LC_CTYPE is {ctype}: pg_trgm cannot index Chinese text and case \
             search scans every case; create the database with a UTF-8 locale (C.UTF-8)"
        );
    }
    Ok(())
}
