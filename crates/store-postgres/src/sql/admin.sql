-- admin tables (PostgreSQL). See migrations.rs for the type conventions.

-- The audit log's filters (its keyset pages run on the primary key). The log itself is
-- core's; these indexes are the admin console's (SQLite: migration 16).
CREATE INDEX IF NOT EXISTS audit_log_user ON audit_log(user_id, id);
CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log(action, id);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at);

-- The configuration's version: one row, bumped by every change with
-- `UPDATE … RETURNING`. The row stays locked until the change commits, so versions are
-- handed out in commit order: a client that read version N has seen every change up to
-- N (a sequence would let N+1 commit before N, and a client holding N+1 would never
-- fetch N). Starts at 0; the built-in defaults are written as version 1.
CREATE TABLE config_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last BIGINT NOT NULL
);
INSERT INTO config_counter(id, last) VALUES (1, 0);
-- What each version changed (`seq` is the version it became).
CREATE TABLE config_changes (
    seq BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE TABLE holiday_years (
    year INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE sla_versions (
    version BIGINT PRIMARY KEY,
    effective_from BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE categories (
    position BIGINT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    retired BOOLEAN NOT NULL DEFAULT FALSE,
    renamed_to TEXT
);

-- The knowledge base: standard replies and every replaced version of their text.
CREATE TABLE standard_replies (
    id TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    version BIGINT NOT NULL,
    reviewed_at BIGINT,
    updated_by TEXT,
    updated_at BIGINT NOT NULL,
    retired BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX standard_replies_category ON standard_replies(category, title);
CREATE TABLE standard_reply_versions (
    id TEXT NOT NULL REFERENCES standard_replies(id),
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (id, version)
);

-- Bulk imports by (user, Idempotency-Key): the request's hash; its answer once sent.
CREATE TABLE bulk_imports (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    answer TEXT,
    PRIMARY KEY (user_id, key)
);
-- The case each stored row of a keyed import became (written with the case).
CREATE TABLE bulk_import_rows (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    row BIGINT NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (user_id, key, row)
);
