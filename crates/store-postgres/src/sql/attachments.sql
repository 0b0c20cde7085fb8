-- Case attachments: the declared file (status uploading, then complete) and its bytes
-- in chunks, so every instance on this database serves every file.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploader TEXT NOT NULL,
    uploader_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    completed_at BIGINT,
    thumbnail BYTEA
);
CREATE INDEX attachments_case ON attachments(case_id, created_at);
CREATE TABLE attachment_chunks (
    attachment_id TEXT NOT NULL REFERENCES attachments(id),
    pos BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (attachment_id, pos)
);
