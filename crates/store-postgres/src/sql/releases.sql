-- Desktop releases: signed packages the city server offers to its desktops, the bytes
-- in chunks so every instance on this database serves them.
CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    target TEXT NOT NULL,
    bundle TEXT NOT NULL,
    notes TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    published_by TEXT NOT NULL,
    published_by_name TEXT NOT NULL,
    withdrawn_at BIGINT
);
CREATE INDEX releases_target ON releases(target, bundle, published_at);
CREATE TABLE release_chunks (
    release_id TEXT NOT NULL REFERENCES releases(id),
    pos BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (release_id, pos)
);
