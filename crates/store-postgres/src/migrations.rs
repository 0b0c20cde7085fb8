//! Schema migrations. PostgreSQL starts from the SQLite backend's latest schema as one
//! baseline per area (`sql/*.sql`), in PostgreSQL's types: ids TEXT, instants BIGINT
//! milliseconds (as on SQLite, so the rollup arithmetic is the same), flags BOOLEAN,
//! documents TEXT. Several instances may start at once: the whole run holds a
//! transaction-scoped advisory lock, so one migrates and the others then find it done.
//!
//! SQL is kept to what PostgreSQL 12+ and the PG-compatible domestic databases
//! (KingbaseES in PG mode, openGauss) accept: no generated columns, no MERGE, no
//! `INSERT … ON CONFLICT` on a partial index, no identity columns (BIGSERIAL instead).

use postgres::Client;

use crate::DbResult;

/// (version, description, SQL). Versions only grow; a released step never changes.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "core: org, users, sessions, cases, timeline, change log, commands, audit",
        include_str!("sql/core.sql"),
    ),
    (
        2,
        "notify: SMS outbox and templates, follow-ups, inbound, staff notifications",
        include_str!("sql/notify.sql"),
    ),
    (
        3,
        "assessment: facts, rollups, alerts, reports, settings",
        include_str!("sql/assessment.sql"),
    ),
    (
        4,
        "admin: config, knowledge base, bulk imports",
        include_str!("sql/admin.sql"),
    ),
    (
        5,
        "operations: unread staff notifications indexed (counted at every metrics scrape)",
        include_str!("sql/ops.sql"),
    ),
    (
        6,
        "责任倒查: accountability records of substantiated complaints against the police, append-only trails",
        include_str!("sql/accountability.sql"),
    ),
    (
        7,
        "优秀监督员: the register, consultation rounds and answers; the survey SMS template",
        include_str!("sql/supervisors.sql"),
    ),
    (
        8,
        "case attachments: declared files, their chunks and thumbnails",
        include_str!("sql/attachments.sql"),
    ),
    (
        9,
        "desktop releases: signed packages the city server offers to its desktops",
        include_str!("sql/releases.sql"),
    ),
    (
        10,
        "case writers side by side: change-log positions assigned at commit",
        include_str!("sql/pending_positions.sql"),
    ),
];

/// Advisory lock key of the migration run ("minsheng" in ASCII, as a number).
const LOCK: i64 = 0x6d69_6e73_6865_6e67;

pub fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0)
}

/// Applies every step not applied yet; refuses a database newer than this program.
pub fn migrate(client: &mut Client) -> DbResult<i64> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )?;
    let applied: Vec<i64> = tx
        .query("SELECT version FROM schema_migrations", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let current = applied.iter().copied().max().unwrap_or(0);
    let latest = latest_version();
    if current > latest {
        return Err(minsheng_store::StoreError::Invalid {
            code: "DATABASE_TOO_NEW",
            message: format!("数据库版本 {current} 高于本程序支持的 {latest}，请升级服务器程序"),
        }
        .into());
    }
    for (version, description, sql) in MIGRATIONS.iter().filter(|m| !applied.contains(&m.0)) {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations(version, description) VALUES ($1, $2)",
            &[version, description],
        )?;
        tracing::info!(version, description, "migrated");
    }
    tx.commit()?;
    Ok(latest)
}
