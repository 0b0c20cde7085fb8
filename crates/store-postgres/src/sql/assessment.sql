-- assessment tables (PostgreSQL). See migrations.rs for the type conventions.

-- The change-log position the facts are up to date with (only ever moves forward).
CREATE TABLE assess_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO assess_meta(key, value) VALUES ('facts_position', 0);
CREATE TABLE assess_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- One row per case, derived from its timeline by the facts worker. Rewritten in place
-- (upsert on case_id); time-range queries use the received_at index.
CREATE TABLE assess_cases (
    case_id TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL,
    bj_day BIGINT NOT NULL,
    bj_month BIGINT NOT NULL,
    bj_hour BIGINT NOT NULL,
    category TEXT,
    channel TEXT NOT NULL,
    request_type TEXT NOT NULL,
    district TEXT,
    handling_unit TEXT,
    branch TEXT,
    police_line TEXT,
    state TEXT NOT NULL,
    closed BOOLEAN NOT NULL,
    answered_at BIGINT,
    first_satisfied BOOLEAN,
    duplicate_of TEXT,
    merged_at BIGINT,
    -- Interned scope keys (assess_scope_keys.id) of the case's scope units, space-separated.
    scope TEXT NOT NULL,
    -- The unit this duplicate is counted for (the master's handling unit when written).
    dup_unit TEXT
);
CREATE INDEX assess_cases_received ON assess_cases(received_at, case_id);
CREATE INDEX assess_cases_answered ON assess_cases(answered_at) WHERE answered_at IS NOT NULL;
CREATE INDEX assess_cases_merged ON assess_cases(merged_at) WHERE merged_at IS NOT NULL;
CREATE INDEX assess_cases_dup ON assess_cases(duplicate_of) WHERE duplicate_of IS NOT NULL;

-- One row per handling stint (dispatch to a unit until return, re-dispatch or the end).
CREATE TABLE assess_stints (
    dispatched_at BIGINT NOT NULL,
    case_id TEXT NOT NULL,
    n BIGINT NOT NULL,
    unit_id TEXT NOT NULL,
    officer_id TEXT,
    sign_in_deadline BIGINT NOT NULL,
    signed_in_at BIGINT,
    reply_deadline BIGINT NOT NULL,
    completed_at BIGINT,
    ended_at BIGINT,
    returned BOOLEAN NOT NULL,
    first_satisfied BOOLEAN,
    final_satisfied BOOLEAN,
    -- From this instant on the stint counts as its rollup rows say (NULL: always).
    settle_at BIGINT,
    PRIMARY KEY (dispatched_at, case_id, n)
);
CREATE INDEX assess_stints_case ON assess_stints(case_id);
CREATE INDEX assess_stints_unit ON assess_stints(unit_id, dispatched_at);
CREATE INDEX assess_stints_officer ON assess_stints(officer_id, dispatched_at) WHERE officer_id IS NOT NULL;
-- The clock-dependent correction of a period query reads the few stints still open.
CREATE INDEX assess_stints_settle ON assess_stints(settle_at, dispatched_at, unit_id, officer_id,
    signed_in_at, sign_in_deadline, completed_at, reply_deadline, ended_at) WHERE settle_at IS NOT NULL;

CREATE TABLE assess_scope_keys (id BIGSERIAL PRIMARY KEY, unit_id TEXT NOT NULL UNIQUE);

-- Per (Beijing day of dispatch, unit) the final stint counts and the duplicates.
CREATE TABLE assess_roll_units (
    day BIGINT NOT NULL,
    unit_id TEXT NOT NULL,
    received BIGINT NOT NULL,
    sign_in_decided BIGINT NOT NULL,
    sign_in_late BIGINT NOT NULL,
    reply_decided BIGINT NOT NULL,
    reply_late BIGINT NOT NULL,
    returned BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    rehandled BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    overdue BIGINT NOT NULL,
    duplicates BIGINT NOT NULL,
    PRIMARY KEY (day, unit_id)
);
-- The same per officer (`unit_id` holds the officer's id, as on SQLite).
CREATE TABLE assess_roll_officers (
    day BIGINT NOT NULL,
    unit_id TEXT NOT NULL,
    received BIGINT NOT NULL,
    sign_in_decided BIGINT NOT NULL,
    sign_in_late BIGINT NOT NULL,
    reply_decided BIGINT NOT NULL,
    reply_late BIGINT NOT NULL,
    returned BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    rehandled BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    overdue BIGINT NOT NULL,
    duplicates BIGINT NOT NULL,
    PRIMARY KEY (day, unit_id)
);
-- Analytics buckets per (scope key, dimension, Beijing day of receipt, value).
CREATE TABLE assess_roll_cases (
    scope BIGINT NOT NULL,
    dim BIGINT NOT NULL,
    day BIGINT NOT NULL,
    value TEXT NOT NULL,
    n BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    unsatisfied BIGINT NOT NULL,
    duplicates BIGINT NOT NULL,
    PRIMARY KEY (scope, dim, day, value)
);
-- Early-warning cells per (kind, Monday, category, area).
CREATE TABLE assess_roll_weeks (
    kind BIGINT NOT NULL,
    week BIGINT NOT NULL,
    category TEXT NOT NULL,
    area TEXT NOT NULL,
    n BIGINT NOT NULL,
    unsatisfied BIGINT NOT NULL,
    PRIMARY KEY (kind, week, category, area)
);

CREATE TABLE assess_alerts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    area_kind TEXT NOT NULL,
    area TEXT NOT NULL,
    category TEXT NOT NULL,
    week TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    data TEXT NOT NULL,
    pushed_at BIGINT,
    UNIQUE (kind, area_kind, area, category, week)
);
CREATE INDEX assess_alerts_raised ON assess_alerts(raised_at DESC);
CREATE INDEX assess_alerts_unpushed ON assess_alerts(raised_at) WHERE pushed_at IS NULL;
CREATE TABLE assess_alert_units (
    unit_id TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    PRIMARY KEY (unit_id, alert_id)
);
CREATE INDEX assess_alert_units_recent ON assess_alert_units(unit_id, raised_at DESC);

CREATE TABLE assess_reports (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    period_start TEXT NOT NULL,
    generated_at BIGINT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (kind, period_start)
);
