//! SQLite backend: one file, WAL; reads from a small connection pool, writes on one
//! dedicated connection taken in arrival order (`writer`). Writes take the write lock
//! up front (`BEGIN IMMEDIATE`) so read-modify-write never deadlocks on upgrade.

mod accountability;
mod admin;
mod assessment;
mod attachments;
mod audit;
pub mod backup;
pub mod bench;
mod bulk;
mod cases;
mod config;
mod error;
mod knowledge;
mod learning;
mod login;
mod migrations;
mod notify;
mod ops;
mod org;
mod releases;
mod sessions;
mod supervisors;
mod sync;
mod worker_lock;
mod writer;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::org::{OrgTree, Unit};
use minsheng_domain::role::Role;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{OptionalExtension, Row, TransactionBehavior};

use minsheng_store::{AuditRecord, SessionRecord, StoreError, StoreResult, UserRecord, WorkerLock};

pub use error::DbError;
pub(crate) use error::{db, DbResult};
pub use migrations::latest_version;
pub(crate) use minsheng_store::{from_ms, ms, states_sql};

/// A write transaction holding the writer this long is logged (see `write`).
const SLOW_WRITE: Duration = Duration::from_millis(500);

type Pool = r2d2::Pool<SqliteConnectionManager>;
type Conn = r2d2::PooledConnection<SqliteConnectionManager>;

pub struct SqliteStore {
    /// Readers only (see `writer` for why writes never take one of these).
    pool: Pool,
    writer: writer::Writer,
    epoch: minsheng_store::SyncEpoch,
    /// The file, canonical: the key of its worker locks.
    path: std::path::PathBuf,
    /// Held shared while the store is open, so `backup::restore` (which takes it
    /// exclusively) cannot swap the file under a running server.
    _open: backup::OpenLock,
}

fn parse_id<T: std::str::FromStr>(s: &str) -> rusqlite::Result<T> {
    s.parse().map_err(|_| {
        rusqlite::Error::InvalidColumnType(0, s.to_owned(), rusqlite::types::Type::Text)
    })
}

/// Every connection, the writer's and the readers': WAL, durable commits, a large cache.
///
/// synchronous = FULL: every commit syncs the WAL before it is answered. With NORMAL a
/// power cut may roll back the last commits after their answers went out: a client
/// then holds commands as applied that the server no longer has, and the change
/// counter hands the lost positions out again, so a cursor already past them would
/// skip the new writes. The price is one fsync per write transaction; pushes commit
/// 100 commands per transaction and bulk intake one per request, so it is paid per
/// batch, not per case.
fn init_connection(c: &mut rusqlite::Connection) -> rusqlite::Result<()> {
    c.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 10000;
         PRAGMA cache_size = -65536;
         PRAGMA temp_store = MEMORY;
         PRAGMA mmap_size = 1073741824;",
    )?;
    // Room for every query the server runs, including the case updates that set only
    // the changed columns (a few dozen distinct statements).
    c.set_prepared_statement_cache_capacity(256);
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if missing) and migrates the database file.
    pub fn open(path: &Path) -> StoreResult<Self> {
        db(|| {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Internal(format!("创建数据目录失败：{e}")))?;
            }
            let open = backup::OpenLock::shared(path)?;
            // The writer first: it creates the file, sets WAL and migrates before any
            // reader opens it.
            let mut conn = rusqlite::Connection::open(path)?;
            init_connection(&mut conn)?;
            migrations::migrate(&mut conn)?;
            config::seed_defaults(&mut conn, Utc::now())?;
            audit::seal(&mut conn)?;
            // Constant while the file is open: only `restore` changes it, and it needs the
            // file closed by everyone.
            let epoch = sync::epoch(&conn)?;
            let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
            let manager = SqliteConnectionManager::file(path).with_init(init_connection);
            let pool = r2d2::Pool::builder()
                .max_size(8)
                .connection_timeout(Duration::from_secs(15))
                .build(manager)?;
            Ok(Self {
                pool,
                writer: writer::Writer::new(conn),
                epoch,
                path: canonical,
                _open: open,
            })
        })
    }

    /// A pooled connection for reads. Never taken while this thread holds the writer:
    /// a write that waits for a second connection is how writers used to stall (see
    /// `writer`); whatever a write needs to read, it reads in its own transaction.
    fn conn(&self) -> DbResult<Conn> {
        debug_assert!(
            !self.writer.held_here(),
            "a read through a pooled connection inside a write transaction; \
             read through the transaction instead"
        );
        Ok(self.pool.get()?)
    }

    /// One write transaction on the writer connection (callers queue in order). One
    /// that holds the writer for `SLOW_WRITE` or longer is logged with its call site:
    /// every other write waited behind it.
    #[track_caller]
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> DbResult<T>,
    ) -> DbResult<T> {
        let at = std::panic::Location::caller();
        let mut w = self.writer.lock()?;
        let held = Instant::now();
        let out = (|| {
            let tx = w
                .conn()
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        let held = held.elapsed();
        if held >= SLOW_WRITE {
            tracing::warn!(%at, held_ms = held.as_millis(), "slow write transaction");
        }
        out
    }

    /// Direct access for tests and benchmarks (e.g. to prove tampering is detected).
    pub fn raw_connection(&self) -> StoreResult<Conn> {
        db(|| self.conn())
    }
}

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<UserRecord> {
    let role: String = r.get("role")?;
    Ok(UserRecord {
        id: parse_id(&r.get::<_, String>("id")?)?,
        username: r.get("username")?,
        display_name: r.get("display_name")?,
        role: Role::from_code(&role).unwrap_or(Role::Officer),
        unit_id: parse_id(&r.get::<_, String>("unit_id")?)?,
        phone: r.get("phone")?,
        password_hash: r.get("password_hash")?,
        active: r.get("active")?,
        created_at: from_ms(r.get("created_at")?),
        password_changed_at: from_ms(r.get("password_changed_at")?),
        must_change_password: r.get("must_change_password")?,
    })
}

const USER_COLS: &str = "id, username, display_name, role, unit_id, phone, password_hash, \
     active, created_at, password_changed_at, must_change_password";

/// A user by id, on any connection (a push batch reads it in its own transaction).
fn user_by_id(conn: &rusqlite::Connection, id: UserId) -> DbResult<Option<UserRecord>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE id = ?1"))?
        .query_row([id.to_string()], user_from_row)
        .optional()?)
}

impl minsheng_store::Store for SqliteStore {
    fn schema_version(&self) -> i64 {
        latest_version()
    }

    fn worker_lock(&self, name: &str, wait: bool) -> StoreResult<Option<WorkerLock>> {
        Ok(worker_lock::take(&self.path, name, wait))
    }

    fn units(&self) -> StoreResult<Vec<Unit>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare("SELECT data FROM units ORDER BY level, code")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for r in rows {
                out.push(serde_json::from_str(&r?)?);
            }
            Ok(out)
        })
    }

    fn insert_units(&self, units: &[Unit]) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                units.iter().try_for_each(|u| org::upsert_unit(tx, u))?;
                // A new unit is a change of the configuration clients hold.
                config::bump(tx, "org", Utc::now()).map(|_| ())
            })
        })
    }

    fn update_unit(
        &self,
        tree: &OrgTree,
        unit: &Unit,
        rescope: &[UnitId],
        rec: &AuditRecord,
    ) -> StoreResult<usize> {
        db(|| self.write(|tx| org::update_unit(tx, tree, unit, rescope, rec)))
    }

    fn insert_user(&self, u: &UserRecord) -> StoreResult<()> {
        db(|| self.write(|tx| admin::insert_user(tx, u)))
    }

    fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        db(|| user_by_id(&*self.conn()?, id))
    }

    fn user_by_username(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        db(|| {
            let conn = self.conn()?;
            Ok(conn
                .query_row(
                    &format!("SELECT {USER_COLS} FROM users WHERE username = ?1"),
                    [username],
                    user_from_row,
                )
                .optional()?)
        })
    }

    fn list_users(&self, unit: Option<UnitId>) -> StoreResult<Vec<UserRecord>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(&format!(
            "SELECT {USER_COLS} FROM users WHERE (?1 IS NULL OR unit_id = ?1) ORDER BY username"
        ))?;
            let rows = stmt.query_map([unit.map(|u| u.to_string())], user_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn update_user(&self, u: &UserRecord) -> StoreResult<()> {
        db(|| self.write(|tx| admin::update_user(tx, u)))
    }

    fn insert_session(&self, s: &SessionRecord) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                sessions::insert(tx, s)?;
                // Housekeeping: sessions whose refresh token expired are useless.
                tx.execute(
                    "DELETE FROM sessions WHERE refresh_expires < ?1",
                    [ms(s.created_at)],
                )?;
                Ok(())
            })
        })
    }

    fn session_by_access(&self, access_hash: &str) -> StoreResult<Option<SessionRecord>> {
        db(|| {
            let conn = self.conn()?;
            Ok(conn
                .query_row(
                    "SELECT * FROM sessions WHERE access_hash = ?1",
                    [access_hash],
                    sessions::session_from_row,
                )
                .optional()?)
        })
    }

    fn session_by_refresh(&self, refresh_hash: &str) -> StoreResult<Option<SessionRecord>> {
        db(|| sessions::session_by_refresh(&*self.conn()?, refresh_hash))
    }

    fn retired_refresh(
        &self,
        refresh_hash: &str,
    ) -> StoreResult<Option<minsheng_store::RetiredRefresh>> {
        db(|| sessions::retired(&*self.conn()?, refresh_hash))
    }

    fn rotate_session(
        &self,
        refresh_hash: &str,
        next: &SessionRecord,
    ) -> StoreResult<minsheng_store::Rotation> {
        db(|| self.write(|tx| sessions::rotate(tx, refresh_hash, next)))
    }

    fn delete_session_family(&self, family: &str) -> StoreResult<usize> {
        db(|| self.write(|tx| sessions::delete_family(tx, family)))
    }

    fn delete_session(&self, id: &str) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                tx.execute("DELETE FROM sessions WHERE id = ?1", [id])?;
                Ok(())
            })
        })
    }

    fn delete_user_sessions(&self, user: UserId) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                tx.execute(
                    "DELETE FROM sessions WHERE user_id = ?1",
                    [user.to_string()],
                )?;
                Ok(())
            })
        })
    }

    fn reserve_login_attempt(
        &self,
        account: &str,
        ip: &str,
        now: DateTime<Utc>,
        limits: &minsheng_store::LoginLimits,
    ) -> StoreResult<Option<minsheng_store::LoginAttemptId>> {
        db(|| self.write(|tx| login::reserve(tx, account, ip, now, limits)))
    }

    fn login_succeeded(
        &self,
        account: &str,
        ip: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<()> {
        db(|| self.write(|tx| login::succeeded(tx, account, ip, now, forget_before)))
    }

    fn release_login_attempt(&self, id: minsheng_store::LoginAttemptId) -> StoreResult<()> {
        db(|| self.write(|tx| login::release(tx, id)))
    }

    fn insert_cases(
        &self,
        org: &minsheng_domain::org::OrgTree,
        cases: Vec<(
            minsheng_domain::case::Case,
            Vec<minsheng_domain::timeline::TimelineEntry>,
        )>,
    ) -> StoreResult<Vec<minsheng_domain::case::Case>> {
        db(|| self.write(|tx| cases::insert_cases(tx, org, cases)))
    }

    fn case(
        &self,
        id: minsheng_domain::ids::CaseId,
    ) -> StoreResult<Option<minsheng_domain::case::Case>> {
        db(|| cases::get_case(&*self.conn()?, id))
    }

    fn update_case(
        &self,
        org: &minsheng_domain::org::OrgTree,
        id: minsheng_domain::ids::CaseId,
        expected_version: Option<u64>,
        f: &mut dyn FnMut(
            &minsheng_domain::case::Case,
            &minsheng_domain::timeline::TimelineEntry,
        ) -> StoreResult<minsheng_store::CaseUpdate>,
    ) -> StoreResult<minsheng_domain::case::Case> {
        db(|| self.write(|tx| cases::update_case(tx, org, id, expected_version, f)))
    }

    fn list_cases(&self, q: &minsheng_store::CaseQuery) -> StoreResult<minsheng_store::CasePage> {
        db(|| cases::list_cases(&*self.conn()?, q))
    }

    fn count_cases(&self, q: &minsheng_store::CaseQuery) -> StoreResult<u64> {
        db(|| cases::count_cases(&*self.conn()?, q))
    }

    fn timeline(
        &self,
        id: minsheng_domain::ids::CaseId,
    ) -> StoreResult<Vec<minsheng_domain::timeline::TimelineEntry>> {
        db(|| cases::timeline(&*self.conn()?, id))
    }

    fn timelines_json(
        &self,
        ids: &[minsheng_domain::ids::CaseId],
        known_at: Option<u64>,
    ) -> StoreResult<Vec<Box<serde_json::value::RawValue>>> {
        db(|| cases::timelines_json(&*self.conn()?, ids, known_at))
    }

    fn worklist_counts(
        &self,
        scope: &minsheng_domain::scope::ListScope,
        now: DateTime<Utc>,
    ) -> StoreResult<minsheng_store::WorkListCounts> {
        db(|| cases::worklist_counts(&*self.conn()?, scope, now))
    }

    fn for_each_indexable_case(
        &self,
        recent_since: DateTime<Utc>,
        f: &mut dyn FnMut(minsheng_store::IndexedCase),
    ) -> StoreResult<u64> {
        db(|| learning::for_each_indexable_case(&*self.conn()?, recent_since, f))
    }

    fn duplicates_of_masters_in(
        &self,
        duplicate_state: minsheng_domain::case::CaseState,
        master_states: &[minsheng_domain::case::CaseState],
        limit: usize,
    ) -> StoreResult<Vec<(minsheng_domain::ids::CaseId, minsheng_domain::ids::CaseId)>> {
        db(|| {
            learning::duplicates_of_masters_in(
                &*self.conn()?,
                duplicate_state,
                master_states,
                limit,
            )
        })
    }

    fn case_ids_by_phone(
        &self,
        phone: &str,
        limit: usize,
    ) -> StoreResult<Vec<minsheng_domain::ids::CaseId>> {
        db(|| learning::case_ids_by_phone(&*self.conn()?, phone, limit))
    }

    fn for_each_history_case(
        &self,
        f: &mut dyn FnMut(minsheng_store::HistoryCase) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        db(|| learning::for_each_history_case(&*self.conn()?, f))
    }

    fn record_dispatch_feedback(&self, fb: &minsheng_store::DispatchFeedback) -> StoreResult<()> {
        db(|| self.write(|tx| learning::record_dispatch_feedback(tx, fb)))
    }

    fn dispatch_feedback_counts(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<minsheng_store::FeedbackCounts> {
        db(|| learning::dispatch_feedback_counts(&*self.conn()?, since))
    }

    fn processed_command(
        &self,
        id: minsheng_domain::ids::CommandId,
    ) -> StoreResult<Option<minsheng_store::ProcessedCommand>> {
        db(|| sync::processed_command(&*self.conn()?, id))
    }

    fn run_batch(
        &self,
        org: &minsheng_domain::org::OrgTree,
        f: &mut dyn FnMut(&mut dyn minsheng_store::CommandBatch) -> StoreResult<()>,
    ) -> StoreResult<()> {
        db(|| self.write(|tx| Ok(f(&mut sync::TxBatch { tx, org })?)))
    }

    fn ack_seq(&self, install_id: &str) -> StoreResult<Option<u64>> {
        db(|| sync::ack_seq(&*self.conn()?, install_id))
    }

    fn sync_epoch(&self) -> StoreResult<minsheng_store::SyncEpoch> {
        db(|| Ok(self.epoch))
    }

    fn change_log_head(&self) -> StoreResult<u64> {
        db(|| {
            let n: i64 =
                self.conn()?
                    .query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
                        r.get(0)
                    })?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn changes_since(
        &self,
        scope: &minsheng_domain::scope::ListScope,
        after: u64,
        limit: usize,
    ) -> StoreResult<minsheng_store::ChangePage> {
        db(|| {
            // A deferred transaction: every query of the page reads one snapshot.
            let mut conn = self.conn()?;
            let tx = conn.transaction()?;
            sync::changes_since(&tx, scope, after, limit)
        })
    }

    fn audit(&self, rec: &AuditRecord) -> StoreResult<()> {
        db(|| self.write(|tx| audit::append(tx, rec)))
    }

    fn audit_log(&self, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        db(|| {
            let conn = self.conn()?;
            audit::newest(&conn, limit)
        })
    }

    fn audit_chain(&self) -> StoreResult<Vec<minsheng_domain::audit::AuditLink>> {
        db(|| {
            let conn = self.conn()?;
            audit::chain(&conn)
        })
    }
}
