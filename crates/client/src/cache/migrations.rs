//! Schema migrations, numbered by `PRAGMA user_version`. Append only: never edit a
//! shipped step, because caches in the field have already run it.

use rusqlite::Connection;

use crate::error::{ClientError, Result};

const V1: &str = r"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE units (id TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;

-- One row per case in scope: the server's state (its case view, citizen masked) as JSON,
-- plus the columns lists and purging need. version 0 = created offline, not yet on the
-- server. `rid` is an explicit rowid so VACUUM cannot renumber what the FTS index points at.
CREATE TABLE cases (
    rid           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    number        TEXT,
    version       INTEGER NOT NULL,
    state         TEXT NOT NULL,
    handling_unit TEXT,
    received_at   INTEGER NOT NULL,
    closed_at     INTEGER,
    title         TEXT NOT NULL,
    content       TEXT NOT NULL,
    json          TEXT NOT NULL
);
CREATE INDEX cases_by_received ON cases (received_at);
CREATE INDEX cases_by_state ON cases (state, received_at);
CREATE INDEX cases_by_closed ON cases (closed_at) WHERE closed_at IS NOT NULL;

-- Trigram tokens find any Chinese substring of three or more characters.
CREATE VIRTUAL TABLE cases_fts USING fts5 (
    title, content, content = 'cases', content_rowid = 'rid', tokenize = 'trigram'
);
CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN
    INSERT INTO cases_fts (rowid, title, content) VALUES (new.rid, new.title, new.content);
END;
CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN
    INSERT INTO cases_fts (cases_fts, rowid, title, content)
        VALUES ('delete', old.rid, old.title, old.content);
END;
CREATE TRIGGER cases_fts_update AFTER UPDATE OF title, content ON cases BEGIN
    INSERT INTO cases_fts (cases_fts, rowid, title, content)
        VALUES ('delete', old.rid, old.title, old.content);
    INSERT INTO cases_fts (rowid, title, content) VALUES (new.rid, new.title, new.content);
END;

-- The outbox sequence is a counter row bumped in the inserting transaction, so numbers
-- are gap-free and never reused, even after old commands are pruned.
CREATE TABLE outbox_seq (only INTEGER PRIMARY KEY CHECK (only = 1), next INTEGER NOT NULL);
INSERT INTO outbox_seq (only, next) VALUES (1, 1);

CREATE TABLE outbox (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    case_id       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('action', 'intake')),
    action        TEXT NOT NULL,
    base_version  INTEGER,
    payload       TEXT NOT NULL,
    actor         TEXT NOT NULL,
    device_at     INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'sent', 'applied', 'rejected', 'conflict')),
    error_code    TEXT,
    error_message TEXT,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX outbox_by_case ON outbox (case_id, seq);
CREATE INDEX outbox_by_status ON outbox (status, seq);
";

/// List columns (filters and deadlines without parsing JSON), the cached timelines,
/// the user directory of the own unit (for 指派 offline), and conflict resolutions.
/// The new case columns are filled from each row's JSON by `backfill_columns`.
const V2: &str = r"
ALTER TABLE cases ADD COLUMN category TEXT;
ALTER TABLE cases ADD COLUMN channel TEXT;
ALTER TABLE cases ADD COLUMN urgency TEXT;
ALTER TABLE cases ADD COLUMN request_type TEXT;
ALTER TABLE cases ADD COLUMN supervising_unit TEXT;
-- The running deadline (earliest of sign-in/reply that applies) and its warning instant.
ALTER TABLE cases ADD COLUMN due_at INTEGER;
ALTER TABLE cases ADD COLUMN warn_at INTEGER;
CREATE INDEX cases_by_due ON cases (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX cases_by_unit ON cases (handling_unit, received_at);

CREATE TABLE timeline (
    case_id TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    json    TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;

CREATE TABLE users (id TEXT PRIMARY KEY, unit_id TEXT NOT NULL, json TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX users_by_unit ON users (unit_id);

-- A refused command the user has dealt with (discard / reapply / forwardAsNote).
ALTER TABLE outbox ADD COLUMN resolution TEXT;
ALTER TABLE outbox ADD COLUMN resolved_at INTEGER;
";

/// A pulled case whose text did not change (most updates are workflow steps) must not
/// be re-indexed: the trigram index is the dearest part of applying a page.
const V3: &str = r"
DROP TRIGGER cases_fts_update;
CREATE TRIGGER cases_fts_update AFTER UPDATE OF title, content ON cases
WHEN old.title IS NOT new.title OR old.content IS NOT new.content BEGIN
    INSERT INTO cases_fts (cases_fts, rowid, title, content)
        VALUES ('delete', old.rid, old.title, old.content);
    INSERT INTO cases_fts (rowid, title, content) VALUES (new.rid, new.title, new.content);
END;
";

/// Whether a supervisor's decision on an extension request is pending, so the approvals
/// queue is one indexed query instead of a scan of every open case.
const V4: &str = r"
ALTER TABLE cases ADD COLUMN awaiting_extension INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET awaiting_extension = 1 WHERE json_extract(json, '$.pendingExtension') IS NOT NULL;
CREATE INDEX cases_awaiting ON cases (due_at)
    WHERE state = 'pendingReview' OR awaiting_extension = 1;
";

/// Timeline entries move to a rowid table: a pull now brings each case its one or two
/// new entries, which append at the table's end instead of splitting the full page
/// that holds the case's older entries (the old table was keyed by case). Cases whose
/// cached timeline misses entries are listed until the sync has fetched them.
/// From this schema on, `cases.json` may hold a compressed BLOB (cache/stored_view.rs):
/// later steps cannot read it with SQL JSON functions.
const V5: &str = r"
CREATE TABLE timeline_v5 (
    rid     INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    json    TEXT NOT NULL
);
INSERT INTO timeline_v5 (case_id, seq, json) SELECT case_id, seq, json FROM timeline;
DROP TABLE timeline;
ALTER TABLE timeline_v5 RENAME TO timeline;
CREATE UNIQUE INDEX timeline_by_case ON timeline (case_id, seq);
CREATE TABLE timeline_gaps (case_id TEXT PRIMARY KEY) WITHOUT ROWID;
";

/// The 民生清单 counts (state and running deadline) read this index alone instead of
/// every case row: with 50,000 cached cases they took ~275 ms, row by row.
const V6: &str = r"
CREATE INDEX cases_by_state_due ON cases (state, due_at, warn_at);
";

/// The master of a duplicate (首问负责), so a master's page lists its duplicates with one
/// indexed query (the view JSON may be compressed, see V5). Filled by `backfill_columns`.
const V7: &str = r"
ALTER TABLE cases ADD COLUMN duplicate_of TEXT;
CREATE INDEX cases_by_master ON cases (duplicate_of) WHERE duplicate_of IS NOT NULL;
";

/// Attachments: files the user attached, queued for upload apart from the outbox (a big
/// upload never holds up queued actions), their bytes kept here, in the encrypted cache,
/// until the server has them; and files and thumbnails fetched to view, kept to open
/// them again offline.
const V8: &str = r"
CREATE TABLE attachment_queue (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    queued_at    INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'uploading', 'done', 'failed')),
    sent         INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    error_code   TEXT,
    error        TEXT,
    data         BLOB
);
CREATE INDEX attachment_queue_by_case ON attachment_queue (case_id, queued_at);
CREATE TABLE attachment_files (
    id   TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('file', 'thumbnail')),
    data BLOB NOT NULL,
    PRIMARY KEY (id, kind)
);
";

const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8];

/// The last schema that added a list column: a cache older than it has its columns
/// filled from each row's view once every step has run.
const LAST_COLUMN_SCHEMA: i64 = 7;

/// The schema version this build writes; sent to the server as `X-Minsheng-Schema`.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(ClientError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        // Columns added since the cache's schema are filled from each row's view once
        // they all exist, in the last step's transaction (a crash before it redoes that
        // step).
        if found < LAST_COLUMN_SCHEMA && i + 1 == MIGRATIONS.len() {
            super::cases::backfill_columns(&tx)?;
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use minsheng_domain::case::CaseState;
    use minsheng_domain::ids::{CaseId, UnitId};
    use rusqlite::params;

    use super::*;
    use crate::cache::cases::tests::server_view;
    use crate::{DbKey, LocalCache};

    /// A cache written by the first release (schema 1: a case row with its whole view
    /// and a timeline entry) opens with every later step applied and loses nothing.
    #[test]
    fn a_schema_1_cache_upgrades_with_its_cases_and_timelines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        let key = DbKey::generate();
        let unit = UnitId::mint(Utc::now());
        let view = server_view(
            "路灯 \"不亮\"",
            "第一行\n第二行",
            unit,
            CaseState::InProgress,
            3,
        );
        let id: CaseId = serde_json::from_value(view["id"].clone()).unwrap();
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex().as_str()))
                .unwrap();
            conn.execute_batch(V1).unwrap();
            conn.execute(
                "INSERT INTO cases (id, number, version, state, handling_unit, received_at,
                                    title, content, json)
                 VALUES (?1, 'MS1', 3, 'inProgress', ?2, 0, ?3, ?4, ?5)",
                params![
                    id.to_string(),
                    unit.to_string(),
                    view["title"].as_str(),
                    view["content"].as_str(),
                    view.to_string()
                ],
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let mut cache = LocalCache::open(&path, &key).unwrap();
        assert_eq!(cache.schema_version().unwrap(), SCHEMA_VERSION);
        let rows = cache.list_cases(&[CaseState::InProgress], 10).unwrap();
        assert_eq!(rows.len(), 1, "the list columns were filled");
        assert_eq!(rows[0].channel.as_deref(), Some("12345市长热线"));
        assert!(rows[0].deadline.is_some());
        let cached = cache.cached_case(id).unwrap().unwrap();
        assert_eq!(cached.raw, view, "the view survives, text included");
        assert_eq!(cache.search("第二行", 5).unwrap().len(), 1);
        // The moved timeline table takes entries and refuses duplicates.
        let case = cached.case.clone();
        let clerk = crate::cache::cases::tests::officer(unit);
        let entry = minsheng_domain::timeline::TimelineEntry::next(
            None,
            minsheng_domain::ids::EntryId::mint(Utc::now()),
            case.id,
            Utc::now(),
            None,
            &clerk,
            "intake",
            None,
            case.state,
            serde_json::json!({}),
        );
        cache.store_timeline(std::slice::from_ref(&entry)).unwrap();
        cache.store_timeline(&[entry]).unwrap();
        assert_eq!(cache.timeline(id).unwrap().len(), 1);
    }

    /// A schema 6 cache gets the master column filled from its cached views, so a
    /// master cached before the upgrade lists its duplicates at once.
    #[test]
    fn a_schema_6_cache_learns_which_cases_are_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        let key = DbKey::generate();
        let unit = UnitId::mint(Utc::now());
        let master = server_view("夜市噪音", "夜市噪音扰民", unit, CaseState::InProgress, 2);
        let mut dup = server_view("夜市噪音又来了", "同一事项", unit, CaseState::Merged, 2);
        dup["duplicateOf"] = master["id"].clone();
        let master_id: CaseId = serde_json::from_value(master["id"].clone()).unwrap();
        let dup_id: CaseId = serde_json::from_value(dup["id"].clone()).unwrap();
        {
            let mut cache = LocalCache::open(&path, &key).unwrap();
            cache.upsert_server_cases(vec![master, dup]).unwrap();
        }
        {
            // Back to schema 6: the column and its index did not exist, nor did the
            // attachment tables of schema 8.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex().as_str()))
                .unwrap();
            conn.execute_batch(
                "DROP INDEX cases_by_master; ALTER TABLE cases DROP COLUMN duplicate_of;
                 DROP TABLE attachment_queue; DROP TABLE attachment_files;
                 PRAGMA user_version = 6;",
            )
            .unwrap();
        }
        let cache = LocalCache::open(&path, &key).unwrap();
        assert_eq!(cache.schema_version().unwrap(), SCHEMA_VERSION);
        let local = cache.local_case(master_id, Utc::now()).unwrap();
        let listed: Vec<CaseId> = local.duplicates.iter().map(|d| d.id).collect();
        assert_eq!(listed, vec![dup_id]);
    }
}
