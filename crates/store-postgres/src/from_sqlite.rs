//! `migrate-to-postgres`: copies a city's SQLite file (a live one: the server may keep
//! running) into an empty PostgreSQL database or schema, and verifies the copy.
//!
//! * The SQLite file is opened read-only and read inside one read transaction: in WAL
//!   mode that is one consistent snapshot while the server keeps writing. Its schema
//!   version must be the one this build's SQLite backend writes; the file is never
//!   migrated here (a live file must not be migrated under its running server).
//! * The target is migrated by `PgStore` and must hold no city yet (no unit, user,
//!   case, session, change or audit record): nothing is ever overwritten.
//! * Every table both schemas have is copied, by the columns both have (read from the
//!   catalogs, see `catalog`), converted by the PostgreSQL column's type (`cell`), in
//!   PostgreSQL's binary COPY format, all in one PostgreSQL transaction (COPY, not
//!   multi-row INSERTs: on the 2,400-case demo city, 103,743 rows, the tables took
//!   0.38–0.63 s by COPY, 0.60–0.85 s by 1,000-row INSERTs and 1.5–2.1 s by INSERTs as
//!   long as the 65,535-parameter limit allows; debug build, PostgreSQL 15). Rows the
//!   PostgreSQL migrations seed (templates, configuration, counters) are replaced by
//!   the file's.
//! * Before that transaction commits, the copy is verified in it (`verify`): equal row
//!   counts per table, every case's timeline chain and the audit chain (with the
//!   backend's own readers and the domain's checks, as the server's verify routes do),
//!   the counters the PostgreSQL backend keeps in its own rows (`audit_head`,
//!   `config_counter`, `sync_counter`), and every serial sequence is moved past the
//!   copied ids. A failed check rolls everything back.
//!
//! The sync epoch is kept. The change log is copied position for position, so a
//! desktop's cursor (`epoch:position`) means the same changes on PostgreSQL and the
//! client continues where it was, with nothing re-downloaded and its outbox pushed as
//! before. A new epoch (as `restore` draws) is for a log that lost positions it had
//! handed out; a copy loses none, provided the SQLite server stops before clients
//! switch: what it writes after the snapshot is not in the copy, and the report counts
//! those changes (`changes_after_snapshot`) so that case is seen and the copy redone.

mod catalog;
mod cell;
mod verify;

use std::path::Path;
use std::time::{Duration, Instant};

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use postgres::{GenericClient, NoTls, Transaction};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::{connect_config, db, DbResult, PgStore};
use catalog::{quote, Source, TablePlan};
use minsheng_store::{StoreError, StoreResult, SyncEpoch};

/// Advisory lock key of a copy into a database ("mscopysq" in ASCII, as a number): two
/// copies into one target cannot both find it empty.
const COPY_LOCK: i64 = 0x6d73_636f_7079_7371;

/// Tables that hold a city: a target with a row in any of them is refused.
const CITY_TABLES: &[&str] = &[
    "units",
    "users",
    "sessions",
    "cases",
    "changes",
    "audit_log",
];

/// One step of a copy, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyProgress {
    /// The SQLite snapshot is open.
    Snapshot {
        schema_version: i64,
        epoch: SyncEpoch,
        last_change: u64,
    },
    /// A table was copied (`rows` rows).
    Table { table: String, rows: u64 },
    /// Verifying counts and chains (before the commit).
    Verifying,
}

/// Rows of a table on each side after the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: String,
    pub sqlite_rows: u64,
    pub postgres_rows: u64,
}

/// What a copy did and verified.
#[derive(Debug, Clone)]
pub struct CopyReport {
    /// The SQLite file's schema version (the one this build writes).
    pub sqlite_schema_version: i64,
    pub postgres_schema_version: i64,
    /// The sync epoch, the same on both sides.
    pub epoch: SyncEpoch,
    /// The change-log position of the snapshot (`sync_counter.last`).
    pub last_change: u64,
    /// Every copied table, in copy order.
    pub tables: Vec<TableCount>,
    pub only_in_sqlite: Vec<String>,
    pub only_in_postgres: Vec<String>,
    pub columns_only_in_sqlite: Vec<String>,
    pub columns_only_in_postgres: Vec<String>,
    /// Each serial sequence and the next value it hands out.
    pub sequences: Vec<(String, i64)>,
    /// Cases whose timeline chain verified (all of them), and their entries.
    pub cases_verified: u64,
    pub timeline_entries: u64,
    /// Audit records whose chain verified (all of them).
    pub audit_records: u64,
    /// Changes the SQLite server wrote after the snapshot (not in the copy).
    pub changes_after_snapshot: u64,
    pub copy_time: Duration,
    pub verify_time: Duration,
    pub duration: Duration,
}

fn invalid(code: &'static str, message: String) -> crate::DbError {
    StoreError::Invalid { code, message }.into()
}

/// Opens the SQLite file read-only (never created, never migrated).
fn open_source(path: &Path) -> DbResult<Connection> {
    if !path.is_file() {
        return Err(invalid(
            "MIGRATION_SOURCE_INVALID",
            format!(
                "SQLite 数据库文件不存在：{p}（the SQLite file {p} does not exist）",
                p = path.display()
            ),
        ));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

fn not_minsheng(path: &Path, detail: &str) -> crate::DbError {
    invalid(
        "MIGRATION_SOURCE_INVALID",
        format!(
            "{p} 不是民生警务平台的 SQLite 数据库（{detail}）；{p} is not a 民生警务平台 SQLite database",
            p = path.display()
        ),
    )
}

/// The file's schema version, refused unless it is the one this build's SQLite backend
/// writes. The first read of the snapshot.
fn source_version(src: &Connection, path: &Path) -> DbResult<i64> {
    let has: Option<i64> = src
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| not_minsheng(path, &e.to_string()))?;
    if has.is_none() {
        return Err(not_minsheng(path, "没有 schema_migrations 表"));
    }
    let version: i64 = src
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
            r.get::<_, Option<i64>>(0)
        })?
        .ok_or_else(|| not_minsheng(path, "没有迁移记录"))?;
    let expected = minsheng_store_sqlite::latest_version();
    if version < expected {
        return Err(invalid(
            "MIGRATION_SCHEMA_MISMATCH",
            format!(
                "SQLite 数据库的版本 {version} 低于本程序的 {expected}：请先用当前版本的服务器启动一次（启动时自动升级），再迁移。\
                 The SQLite database is at schema {version}, this program expects {expected}: \
                 start the current server on it once (it upgrades the file), then migrate."
            ),
        ));
    }
    if version > expected {
        return Err(invalid(
            "MIGRATION_SCHEMA_MISMATCH",
            format!(
                "SQLite 数据库的版本 {version} 高于本程序的 {expected}：请用与该数据库相同版本的程序迁移。\
                 The SQLite database is at schema {version}, newer than this program's {expected}: \
                 migrate with the program version that wrote it."
            ),
        ));
    }
    Ok(version)
}

/// Refuses a target that already holds a city (tables not created yet count as empty).
fn refuse_if_not_empty(c: &mut impl GenericClient, schema: Option<&str>) -> DbResult<()> {
    for t in CITY_TABLES {
        let exists: bool = c
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[t])?
            .get(0);
        if exists
            && c.query_one(&format!("SELECT EXISTS (SELECT 1 FROM {t})"), &[])?
                .get::<_, bool>(0)
        {
            let target = schema.unwrap_or("默认模式 / default schema");
            return Err(invalid(
                "MIGRATION_TARGET_NOT_EMPTY",
                format!(
                    "目标 PostgreSQL（{target}）已有数据（表 {t} 不为空），为防止覆盖已拒绝迁移，未写入任何内容；请迁移到空的数据库或模式。\
                     The target PostgreSQL ({target}) already holds data (table {t} is not empty): \
                     refused, nothing was written; migrate into an empty database or schema."
                ),
            ));
        }
    }
    Ok(())
}

/// Copies one table with binary COPY; returns the rows written.
fn copy_table(src: &Connection, tx: &mut Transaction<'_>, t: &TablePlan) -> DbResult<u64> {
    let pg_cols = t
        .columns
        .iter()
        .map(|(c, _)| quote(c))
        .collect::<Vec<_>>()
        .join(", ");
    let lite_cols = t
        .columns
        .iter()
        .map(|(_, s)| match s {
            Source::Column(c) => quote(c),
            Source::Rowid => "rowid".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let table = quote(&t.name);
    let types: Vec<Type> = tx
        .prepare(&format!("SELECT {pg_cols} FROM {table} LIMIT 0"))?
        .columns()
        .iter()
        .map(|c| c.type_().clone())
        .collect();
    if let Some((i, ty)) = types
        .iter()
        .enumerate()
        .find(|(_, ty)| !cell::supported(ty))
    {
        return Err(invalid(
            "MIGRATION_SCHEMA_MISMATCH",
            format!(
                "列 {}.{} 的 PostgreSQL 类型 {ty} 不受支持（unsupported column type）",
                t.name, t.columns[i].0
            ),
        ));
    }
    let mut stmt = src.prepare(&format!("SELECT {lite_cols} FROM {table}"))?;
    let mut rows = stmt.query([])?;
    let writer = tx.copy_in(&format!(
        "COPY {table} ({pg_cols}) FROM STDIN (FORMAT binary)"
    ))?;
    let mut w = BinaryCopyInWriter::new(writer, &types);
    let mut cells = Vec::with_capacity(types.len());
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        n += 1;
        cells.clear();
        for (i, ty) in types.iter().enumerate() {
            let v = cell::convert(r.get_ref(i)?, ty).map_err(|why| {
                invalid(
                    "MIGRATION_VALUE",
                    format!("表 {} 第 {n} 行的列 {}：{why}", t.name, t.columns[i].0),
                )
            })?;
            cells.push(v);
        }
        w.write_raw(cells.iter())?;
    }
    Ok(w.finish()?)
}

/// Wraps a failure of one table's copy with the table's name.
fn in_table(table: &str, e: crate::DbError) -> crate::DbError {
    match e {
        crate::DbError::Store(s) => crate::DbError::Store(s),
        other => invalid(
            "MIGRATION_COPY_FAILED",
            format!("复制表 {table} 失败（copying table {table} failed）：{other}"),
        ),
    }
}

/// Copies the SQLite file at `sqlite_path` into the PostgreSQL database at `url` (in
/// `schema`, created if missing; `None`: the connection's default schema), verifies
/// the copy and commits it; see the module documentation. `progress` hears of each
/// step. Refusals are `StoreError::Invalid` with the codes `MIGRATION_SOURCE_INVALID`,
/// `MIGRATION_SCHEMA_MISMATCH`, `MIGRATION_TARGET_NOT_EMPTY`, `MIGRATION_VALUE`,
/// `MIGRATION_COPY_FAILED` and `MIGRATION_VERIFY_FAILED`; nothing is written then.
pub fn copy_from_sqlite(
    sqlite_path: &Path,
    url: &str,
    schema: Option<&str>,
    progress: &mut dyn FnMut(CopyProgress),
) -> StoreResult<CopyReport> {
    db(|| {
        let started = Instant::now();
        let mut src = open_source(sqlite_path)?;
        let snap = src.transaction()?;
        // The first read starts the snapshot; every later read sees the same file.
        let sqlite_schema_version = source_version(&snap, sqlite_path)?;
        let (epoch, last_change) = verify::source_log(&snap)?;
        progress(CopyProgress::Snapshot {
            schema_version: sqlite_schema_version,
            epoch,
            last_change,
        });

        // Refused before migrating: a target with data is not touched at all.
        let config = connect_config(url, schema)?;
        refuse_if_not_empty(&mut config.connect(NoTls)?, schema)?;
        let store = PgStore::open_config(config, schema)?;
        let mut conn = store.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&COPY_LOCK])?;
        refuse_if_not_empty(&mut tx, schema)?;
        let plan = catalog::plan(&snap, &mut tx)?;

        // Rows the PostgreSQL migrations seeded give way to the file's (children first).
        for t in plan.tables.iter().rev() {
            tx.execute(&format!("DELETE FROM {}", quote(&t.name)), &[])?;
        }
        let mut copied = Vec::with_capacity(plan.tables.len());
        for t in &plan.tables {
            let rows = copy_table(&snap, &mut tx, t).map_err(|e| in_table(&t.name, e))?;
            copied.push((t.name.clone(), rows));
            progress(CopyProgress::Table {
                table: t.name.clone(),
                rows,
            });
        }
        verify::set_counters(&mut tx)?;
        let copy_time = started.elapsed();

        progress(CopyProgress::Verifying);
        let verifying = Instant::now();
        let tables = verify::counts(&snap, &mut tx, &copied)?;
        verify::own_rows(&mut tx)?;
        let audit_records = verify::audit_chain(&snap, &mut tx)?;
        let (cases_verified, timeline_entries) = verify::timelines(&snap, &mut tx)?;
        let sequences = verify::reset_sequences(&mut tx)?;
        let verify_time = verifying.elapsed();
        tx.commit()?;
        drop(conn);
        snap.finish()?;

        // Still running? Then what it wrote since is not in the copy.
        let (_, now_last) = verify::source_log(&src)?;
        Ok(CopyReport {
            sqlite_schema_version,
            postgres_schema_version: crate::latest_version(),
            epoch,
            last_change,
            tables,
            only_in_sqlite: plan.only_in_sqlite,
            only_in_postgres: plan
                .only_in_postgres
                .into_iter()
                .map(|t| {
                    if verify::DERIVED.contains(&t.as_str()) {
                        format!("{t} (= copied data)")
                    } else {
                        t
                    }
                })
                .collect(),
            columns_only_in_sqlite: plan.columns_only_in_sqlite,
            columns_only_in_postgres: plan.columns_only_in_postgres,
            sequences,
            cases_verified,
            timeline_entries,
            audit_records,
            changes_after_snapshot: now_last.saturating_sub(last_change),
            copy_time,
            verify_time,
            duration: started.elapsed(),
        })
    })
}
