-- 责任倒查: accountability records of substantiated complaints against the police (one
-- per case at most: the case's write transaction opens it), and their hash-chained
-- trails, which the database itself keeps append-only.
CREATE TABLE accountability (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL UNIQUE,
    unit_id TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    decided_at BIGINT,
    version BIGINT NOT NULL,
    search TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX accountability_opened ON accountability(opened_at DESC, id DESC);
CREATE INDEX accountability_decided ON accountability(state, decided_at);
CREATE TABLE accountability_trail (
    record_id TEXT NOT NULL REFERENCES accountability(id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    hash TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (record_id, seq)
);
CREATE FUNCTION accountability_trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'accountability trail is append-only';
END
$$;
CREATE TRIGGER accountability_trail_no_change BEFORE UPDATE OR DELETE ON accountability_trail
    FOR EACH ROW EXECUTE PROCEDURE accountability_trail_append_only();
CREATE TRIGGER accountability_trail_no_truncate BEFORE TRUNCATE ON accountability_trail
    FOR EACH STATEMENT EXECUTE PROCEDURE accountability_trail_append_only();
