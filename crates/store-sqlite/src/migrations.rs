//! Schema migrations, applied in order inside one transaction each and recorded in
//! `schema_migrations` so a file is migrated exactly once, whatever its age.

use crate::DbResult;
use rusqlite::Connection;

use minsheng_store::StoreError;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "organisation, users, sessions, audit",
        r"
CREATE TABLE units (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    parent TEXT,
    level INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units(id),
    phone TEXT,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
CREATE INDEX users_unit ON users(unit_id);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    access_hash TEXT NOT NULL UNIQUE,
    access_expires INTEGER NOT NULL,
    refresh_hash TEXT NOT NULL UNIQUE,
    refresh_expires INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE login_failures (key TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX login_failures_key ON login_failures(key, at);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
",
    ),
    (
        2,
        "cases, timeline, full-text index",
        r"
CREATE TABLE case_numbers (day TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    number TEXT UNIQUE,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    channel TEXT NOT NULL,
    request_type TEXT NOT NULL,
    category TEXT,
    urgency TEXT NOT NULL,
    sensitive INTEGER NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    citizen_phone TEXT,
    handling_unit TEXT,
    supervising_unit TEXT,
    received_at INTEGER NOT NULL,
    sign_in_deadline INTEGER,
    sign_in_warn INTEGER,
    reply_deadline INTEGER,
    reply_warn INTEGER,
    follow_up_phase INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX cases_received ON cases(received_at DESC, id DESC);
CREATE INDEX cases_state ON cases(state, received_at DESC);
CREATE INDEX cases_handling ON cases(handling_unit, received_at DESC);
CREATE INDEX cases_category ON cases(category, received_at DESC);
CREATE INDEX cases_channel ON cases(channel, received_at DESC);
CREATE INDEX cases_follow_up ON cases(follow_up_phase, received_at DESC);
CREATE INDEX cases_phone ON cases(citizen_phone) WHERE citizen_phone IS NOT NULL;

-- Which units' staff may see a case (domain scope::scope_units), rewritten on every
-- change of the case, so a scoped list is one index range per caller unit.
CREATE TABLE case_scope (
    unit_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (unit_id, case_id)
) WITHOUT ROWID;
CREATE INDEX case_scope_recent ON case_scope(unit_id, received_at DESC, case_id DESC);
CREATE INDEX case_scope_state ON case_scope(unit_id, state, received_at DESC);
CREATE INDEX case_scope_case ON case_scope(case_id);

-- Trigram tokens find Chinese substrings of 3+ characters without a segmenter. Full
-- detail (positions) answers phrase queries from the index alone; detail=none was
-- measured 100x slower for common words because every candidate is re-read.
CREATE VIRTUAL TABLE cases_fts USING fts5(
    title, content, content='cases', content_rowid='rowid', tokenize='trigram'
);
CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN
    INSERT INTO cases_fts(rowid, title, content) VALUES (new.rowid, new.title, new.content);
END;
CREATE TRIGGER cases_fts_update AFTER UPDATE OF title, content ON cases BEGIN
    INSERT INTO cases_fts(cases_fts, rowid, title, content) VALUES ('delete', old.rowid, old.title, old.content);
    INSERT INTO cases_fts(rowid, title, content) VALUES (new.rowid, new.title, new.content);
END;
CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN
    INSERT INTO cases_fts(cases_fts, rowid, title, content) VALUES ('delete', old.rowid, old.title, old.content);
END;

-- The timeline is append-only: the database itself refuses edits and deletions.
CREATE TABLE timeline (
    case_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    hash TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER timeline_no_update BEFORE UPDATE ON timeline
BEGIN SELECT RAISE(ABORT, 'timeline is append-only'); END;
CREATE TRIGGER timeline_no_delete BEFORE DELETE ON timeline
BEGIN SELECT RAISE(ABORT, 'timeline is append-only'); END;
",
    ),
    (
        3,
        "dispatch feedback: suggested vs chosen category, unit, request type",
        r"
CREATE TABLE dispatch_feedback (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    action TEXT NOT NULL,
    suggested_category TEXT,
    chosen_category TEXT NOT NULL,
    suggested_unit TEXT,
    chosen_unit TEXT NOT NULL,
    suggested_request_type TEXT,
    chosen_request_type TEXT NOT NULL,
    matched_category INTEGER NOT NULL,
    matched_unit INTEGER NOT NULL,
    model_version INTEGER
);
CREATE INDEX dispatch_feedback_at ON dispatch_feedback(at);
CREATE INDEX dispatch_feedback_case ON dispatch_feedback(case_id);
",
    ),
    (
        4,
        "sync: change log, scope tombstones, processed commands",
        r"
-- One row; bumped inside every case-writing transaction, so change positions are
-- handed out in commit order (see storage::sync).
CREATE TABLE sync_counter (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
-- Every case write: (position, case, version written).
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX changes_case ON changes(case_id, seq);
-- A unit lost sight of a case at position seq (tombstone for that unit's clients).
CREATE TABLE scope_removals (
    unit_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (unit_id, case_id, seq)
) WITHOUT ROWID;
CREATE INDEX scope_removals_seq ON scope_removals(seq);
-- min_retained_seq: the lowest change position still in the log; a cursor below
-- min_retained_seq - 1 must re-snapshot (nothing is pruned yet).
CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO sync_meta(key, value) VALUES ('min_retained_seq', 1);
-- Each pushed command's outcome, so a batch delivered twice applies once.
CREATE TABLE processed_commands (
    id TEXT PRIMARY KEY,
    install_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    case_id TEXT,
    processed_at INTEGER NOT NULL,
    result TEXT NOT NULL
);
CREATE INDEX processed_commands_install ON processed_commands(install_id, seq);
-- Cases written before this migration enter the log once, in insertion order.
INSERT INTO changes(seq, case_id, version)
    SELECT ROW_NUMBER() OVER (ORDER BY rowid), id, version FROM cases;
INSERT INTO sync_counter(id, last) VALUES (1, (SELECT COUNT(*) FROM cases));
-- Every case write rewrites all columns; re-index the text only when it changed
-- (workflow actions never change it), so an update costs no full-text work.
DROP TRIGGER cases_fts_update;
CREATE TRIGGER cases_fts_update AFTER UPDATE OF title, content ON cases
WHEN old.title IS NOT new.title OR old.content IS NOT new.content BEGIN
    INSERT INTO cases_fts(cases_fts, rowid, title, content) VALUES ('delete', old.rowid, old.title, old.content);
    INSERT INTO cases_fts(rowid, title, content) VALUES (new.rowid, new.title, new.content);
END;
",
    ),
    (
        5,
        "follow-up SMS and notifications",
        super::notify::MIGRATION,
    ),
    (6, "assessment and analytics", super::assessment::MIGRATION),
    (
        7,
        "assessment rollups, alert pushes",
        super::assessment::ROLLUPS_MIGRATION,
    ),
    (
        8,
        "login throttling: reserved attempts per account and address, known addresses",
        super::login::MIGRATION,
    ),
    (
        9,
        "duplicate_of column: a master's duplicates follow its reply (首问负责)",
        "ALTER TABLE cases ADD COLUMN duplicate_of TEXT;
         UPDATE cases SET duplicate_of = json_extract(data, '$.duplicateOf')
          WHERE json_extract(data, '$.duplicateOf') IS NOT NULL;
         CREATE INDEX cases_duplicate_of ON cases(duplicate_of) WHERE duplicate_of IS NOT NULL;",
    ),
    (
        10,
        "knowledge base: standard replies (规范答复口径) and their replaced versions",
        super::knowledge::MIGRATION,
    ),
    (
        11,
        "session families, retired refresh tokens (reuse ends the login); password age",
        super::sessions::MIGRATION,
    ),
    (
        12,
        "sync epoch: the change log's identity, carried by every pull cursor",
        // Random (SQLite seeds `random()` from the OS) and positive; `restore` draws a
        // new one, so cursors of the file before the restore are refused.
        "INSERT OR IGNORE INTO sync_meta(key, value)
             VALUES ('epoch', random() & 9223372036854775807);",
    ),
    (
        13,
        "keyed bulk imports: a retried import answers its first result",
        super::bulk::MIGRATION,
    ),
    (
        14,
        "audit log hash chain; sealed records cannot change, none deleted before 180 days",
        super::audit::MIGRATION,
    ),
    (
        15,
        "configuration as data: holiday calendar per year, SLA rule editions",
        super::config::MIGRATION,
    ),
    (
        16,
        "admin console: discarded SMS dead letters keep their reason; audit log filter indexes",
        super::admin::MIGRATION,
    ),
    (
        17,
        "operations: unread staff notifications indexed (counted at every metrics scrape)",
        super::ops::MIGRATION,
    ),
    (
        18,
        "责任倒查: accountability records of substantiated complaints against the police, append-only trails",
        super::accountability::MIGRATION,
    ),
    (
        19,
        "优秀监督员: the register, consultation rounds and answers; the survey SMS template",
        super::supervisors::MIGRATION,
    ),
    (
        20,
        "case attachments: declared files, their chunks and thumbnails",
        super::attachments::MIGRATION,
    ),
    (
        21,
        "desktop releases: signed packages the city server offers to its desktops",
        super::releases::MIGRATION,
    ),
];

/// Applies every migration the file has not seen yet; returns the schema version.
pub fn migrate(conn: &mut Connection) -> DbResult<i64> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )?;
    let applied: std::collections::HashSet<i64> = conn
        .prepare("SELECT version FROM schema_migrations")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let current = applied.iter().copied().max().unwrap_or(0);
    let latest = latest_version();
    if current > latest {
        return Err(StoreError::Invalid {
            code: "DATABASE_TOO_NEW",
            message: format!("数据库版本 {current} 高于本程序支持的 {latest}，请升级服务器程序"),
        }
        .into());
    }
    // Every step not recorded yet, in order (also one numbered below a step that
    // landed first: versions are handed out per change, not in merge order).
    for (version, description, sql) in MIGRATIONS.iter().filter(|m| !applied.contains(&m.0)) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations(version, description, applied_at) VALUES (?1, ?2, datetime('now'))",
            rusqlite::params![version, description],
        )?;
        tx.commit()?;
        tracing::info!(version, description, "migrated");
    }
    Ok(latest)
}

pub fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0)
}
