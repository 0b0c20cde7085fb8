-- core tables (PostgreSQL). See migrations.rs for the type conventions.
-- Organisation, users, sessions and the login throttle, cases with their timeline and
-- list scope, the sync change log and pushed commands, the audit chain, dispatch
-- feedback. Ported from the SQLite schema (store-sqlite migrations 1-4, 8, 9, 11, 12, 14).
--
-- Lock order of every transaction that writes cases: see sync.rs (since migration 10,
-- sync_counter is taken last, at commit).

-- ---------------------------------------------------------------------------------
-- Organisation and staff
-- ---------------------------------------------------------------------------------
CREATE TABLE units (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    parent TEXT,
    level BIGINT NOT NULL,
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
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    -- 等保: periodic password change.
    password_changed_at BIGINT NOT NULL DEFAULT 0,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX users_unit ON users(unit_id);

-- ---------------------------------------------------------------------------------
-- Sessions (token hashes only), their families, retired refresh hashes
-- ---------------------------------------------------------------------------------
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    access_hash TEXT NOT NULL UNIQUE,
    access_expires BIGINT NOT NULL,
    refresh_hash TEXT NOT NULL UNIQUE,
    refresh_expires BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- The login this session descends from, and that login's absolute end.
    family TEXT NOT NULL DEFAULT '',
    family_expires BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_family ON sessions(family);
-- Housekeeping (sessions whose refresh token expired) without a scan.
CREATE INDEX sessions_refresh_expires ON sessions(refresh_expires);
-- A refresh token hash exchanged for a new pair. Presenting it again means the token
-- was copied: the family is ended. Kept until the family could not be refreshed anyway.
CREATE TABLE retired_refresh (
    refresh_hash TEXT PRIMARY KEY,
    family TEXT NOT NULL,
    user_id TEXT NOT NULL,
    retired_at BIGINT NOT NULL,
    family_expires BIGINT NOT NULL
);
CREATE INDEX retired_refresh_expires ON retired_refresh(family_expires);

-- One row per password check, reserved before the hash is computed. It stays as the
-- failure record unless the password was right (then the account's rows go).
CREATE TABLE login_attempts (
    id BIGSERIAL PRIMARY KEY,
    account TEXT NOT NULL,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_attempts_account ON login_attempts(account, at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);
CREATE INDEX login_attempts_at ON login_attempts(at);
-- The last successful login of an account from an address.
CREATE TABLE login_known (
    account TEXT NOT NULL,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (account, ip)
);
CREATE INDEX login_known_at ON login_known(at);

-- ---------------------------------------------------------------------------------
-- The audit log (等保): a hash chain. audit_head holds the hash of the newest record;
-- an append locks it (`FOR UPDATE`) until commit, so writers on several instances
-- form one chain and ids follow the chain. The database refuses to change a record,
-- and to delete one younger than 180 days.
-- ---------------------------------------------------------------------------------
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    hash TEXT NOT NULL
);
-- domain::timeline::GENESIS
INSERT INTO audit_head(id, hash)
    VALUES (1, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE FUNCTION audit_log_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'AUDIT_IMMUTABLE: 审计记录不可修改';
END
$$;
CREATE TRIGGER audit_log_sealed BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE PROCEDURE audit_log_sealed();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE PROCEDURE audit_log_sealed();
CREATE FUNCTION audit_log_retention() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.at > CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT) - CAST(180 AS BIGINT) * 86400000 THEN
        RAISE EXCEPTION 'AUDIT_RETENTION: 审计记录须保存至少 180 天';
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER audit_log_retention BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE PROCEDURE audit_log_retention();

-- ---------------------------------------------------------------------------------
-- Cases
-- ---------------------------------------------------------------------------------
-- The last case number of each Beijing day (`yyyymmdd`), bumped with
-- `INSERT … ON CONFLICT … DO UPDATE … RETURNING`.
CREATE TABLE case_numbers (day TEXT PRIMARY KEY, last BIGINT NOT NULL);
-- The case document (`data`, JSON without title and content) next to the columns lists
-- filter on. Title and content live in their own columns (and the trigram indexes).
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    number TEXT UNIQUE,
    version BIGINT NOT NULL,
    state TEXT NOT NULL,
    channel TEXT NOT NULL,
    request_type TEXT NOT NULL,
    category TEXT,
    urgency TEXT NOT NULL,
    sensitive BOOLEAN NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    citizen_phone TEXT,
    handling_unit TEXT,
    supervising_unit TEXT,
    received_at BIGINT NOT NULL,
    sign_in_deadline BIGINT,
    sign_in_warn BIGINT,
    reply_deadline BIGINT,
    reply_warn BIGINT,
    -- A master's merged duplicates follow its reply (首问负责).
    duplicate_of TEXT,
    follow_up_phase BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX cases_received ON cases(received_at DESC, id DESC);
CREATE INDEX cases_state ON cases(state, received_at DESC);
CREATE INDEX cases_handling ON cases(handling_unit, received_at DESC);
CREATE INDEX cases_category ON cases(category, received_at DESC);
CREATE INDEX cases_channel ON cases(channel, received_at DESC);
CREATE INDEX cases_follow_up ON cases(follow_up_phase, received_at DESC);
CREATE INDEX cases_phone ON cases(citizen_phone) WHERE citizen_phone IS NOT NULL;
CREATE INDEX cases_duplicate_of ON cases(duplicate_of) WHERE duplicate_of IS NOT NULL;

-- Text search is `ILIKE '%words%'` on title or content (SQLite: FTS5 trigram). pg_trgm's
-- GIN indexes answer it for 3+ characters. The extension is database-wide: it is
-- created in `public` when missing, and the operator class is named with the schema it
-- lives in, so stores in several schemas of one database (tests, several cities) share
-- it. Where pg_trgm is not available (some PG-compatible databases) or may not be
-- created, the indexes are left out with a warning: search still works, by a scan.
DO $$
DECLARE
    trgm_schema TEXT;
BEGIN
    SELECT n.nspname INTO trgm_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_trgm';
    IF trgm_schema IS NULL THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
            trgm_schema := 'public';
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'pg_trgm unavailable (%): case text search runs without an index', SQLERRM;
        END;
    END IF;
    IF trgm_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX cases_title_trgm ON cases USING gin (title %I.gin_trgm_ops)', trgm_schema);
        EXECUTE format('CREATE INDEX cases_content_trgm ON cases USING gin (content %I.gin_trgm_ops)', trgm_schema);
    END IF;
END
$$;

-- Which units' staff may see a case (domain scope::scope_units), rewritten on every
-- change of the case, so a scoped list is one index range per caller unit.
CREATE TABLE case_scope (
    unit_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (unit_id, case_id)
);
CREATE INDEX case_scope_recent ON case_scope(unit_id, received_at DESC, case_id DESC);
CREATE INDEX case_scope_state ON case_scope(unit_id, state, received_at DESC);
CREATE INDEX case_scope_case ON case_scope(case_id);

-- The timeline is append-only: the database itself refuses edits and deletions.
CREATE TABLE timeline (
    case_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    hash TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE FUNCTION timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline is append-only';
END
$$;
CREATE TRIGGER timeline_no_change BEFORE UPDATE OR DELETE ON timeline
    FOR EACH ROW EXECUTE PROCEDURE timeline_append_only();
CREATE TRIGGER timeline_no_truncate BEFORE TRUNCATE ON timeline
    FOR EACH STATEMENT EXECUTE PROCEDURE timeline_append_only();

-- Suggested vs chosen category, unit and request type at each dispatch.
CREATE TABLE dispatch_feedback (
    id BIGSERIAL PRIMARY KEY,
    case_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    action TEXT NOT NULL,
    suggested_category TEXT,
    chosen_category TEXT NOT NULL,
    suggested_unit TEXT,
    chosen_unit TEXT NOT NULL,
    suggested_request_type TEXT,
    chosen_request_type TEXT NOT NULL,
    matched_category BOOLEAN NOT NULL,
    matched_unit BOOLEAN NOT NULL,
    model_version BIGINT
);
CREATE INDEX dispatch_feedback_at ON dispatch_feedback(at);
CREATE INDEX dispatch_feedback_case ON dispatch_feedback(case_id);

-- ---------------------------------------------------------------------------------
-- Sync: change log, scope tombstones, processed commands
-- ---------------------------------------------------------------------------------
-- One row; bumped (`UPDATE … RETURNING`) by every case-writing transaction and locked
-- until its commit, so change positions are handed out in commit order (see
-- minsheng_store::sync; since migration 10 it is taken just before the commit). Not a sequence:
-- sequence values are not in commit order.
CREATE TABLE sync_counter (id INTEGER PRIMARY KEY CHECK (id = 1), last BIGINT NOT NULL);
INSERT INTO sync_counter(id, last) VALUES (1, 0);
-- Every case write: (position, case, version written).
CREATE TABLE changes (
    seq BIGINT PRIMARY KEY,
    case_id TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX changes_case ON changes(case_id, seq);
-- A unit lost sight of a case at position seq (tombstone for that unit's clients).
CREATE TABLE scope_removals (
    unit_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (unit_id, case_id, seq)
);
CREATE INDEX scope_removals_seq ON scope_removals(seq);
-- min_retained_seq: the lowest change position still in the log; a cursor below
-- min_retained_seq - 1 must re-snapshot (nothing is pruned yet).
-- epoch: the change log's identity, random at creation and carried by every pull
-- cursor (positive, 53 random bits).
CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO sync_meta(key, value) VALUES ('min_retained_seq', 1);
INSERT INTO sync_meta(key, value)
    VALUES ('epoch', 1 + CAST(floor(random() * 9007199254740991) AS BIGINT));
-- Each pushed command's outcome, so a batch delivered twice applies once.
CREATE TABLE processed_commands (
    id TEXT PRIMARY KEY,
    install_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    case_id TEXT,
    processed_at BIGINT NOT NULL,
    result TEXT NOT NULL
);
CREATE INDEX processed_commands_install ON processed_commands(install_id, seq);
