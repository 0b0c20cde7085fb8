//! SQLite side of case attachments (see `minsheng_store::attachments`).

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::CaseId;
use minsheng_domain::org::OrgTree;
use minsheng_domain::timeline::TimelineEntry;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{from_ms, ms, SqliteStore};
use crate::{cases, db, DbResult};
use minsheng_store::attachments::{
    AttachmentRecord, AttachmentStatus, AttachmentStore, Completed, Declared,
};
use minsheng_store::{CaseUpdate, StoreError, StoreResult};

pub(super) const MIGRATION: &str = r"
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    uploader TEXT NOT NULL,
    uploader_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    completed_at INTEGER,
    thumbnail BLOB
);
CREATE INDEX attachments_case ON attachments(case_id, created_at);
CREATE TABLE attachment_chunks (
    attachment_id TEXT NOT NULL REFERENCES attachments(id),
    pos INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (attachment_id, pos)
);
";

const COLS: &str = "id, case_id, name, content_type, size, sha256, uploader, uploader_name, \
     created_at, status, completed_at, thumbnail IS NOT NULL AS has_thumbnail";

fn parse<T: std::str::FromStr>(s: &str) -> rusqlite::Result<T> {
    s.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("bad id {s}").into(),
        )
    })
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<AttachmentRecord> {
    Ok(AttachmentRecord {
        id: r.get("id")?,
        case_id: parse(&r.get::<_, String>("case_id")?)?,
        name: r.get("name")?,
        content_type: r.get("content_type")?,
        size: r.get::<_, i64>("size")?.try_into().unwrap_or_default(),
        sha256: r.get("sha256")?,
        uploader: parse(&r.get::<_, String>("uploader")?)?,
        uploader_name: r.get("uploader_name")?,
        created_at: from_ms(r.get("created_at")?),
        status: AttachmentStatus::from_code(&r.get::<_, String>("status")?)
            .unwrap_or(AttachmentStatus::Uploading),
        completed_at: r.get::<_, Option<i64>>("completed_at")?.map(from_ms),
        has_thumbnail: r.get("has_thumbnail")?,
    })
}

fn load(conn: &Connection, id: &str) -> DbResult<Option<AttachmentRecord>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM attachments WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

fn received(conn: &Connection, id: &str) -> DbResult<u64> {
    let n: i64 = conn.query_row(
        "SELECT coalesce(sum(length(data)), 0) FROM attachment_chunks WHERE attachment_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    Ok(n.try_into().unwrap_or_default())
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl AttachmentStore for SqliteStore {
    fn declare_attachment(
        &self,
        rec: &AttachmentRecord,
        max_case_bytes: u64,
    ) -> StoreResult<Declared> {
        db(|| {
            self.write(|tx| {
                if let Some(found) = load(tx, &rec.id)? {
                    return Ok(Declared::Existing(found));
                }
                let used: i64 = tx.query_row(
                    "SELECT coalesce(sum(size), 0) FROM attachments WHERE case_id = ?1",
                    [rec.case_id.to_string()],
                    |r| r.get(0),
                )?;
                let used = u64::try_from(used).unwrap_or_default();
                if used.saturating_add(rec.size) > max_case_bytes {
                    return Ok(Declared::CaseFull { used });
                }
                tx.execute(
                    "INSERT INTO attachments(id, case_id, name, content_type, size, sha256,
                         uploader, uploader_name, created_at, status)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'uploading')",
                    params![
                        rec.id,
                        rec.case_id.to_string(),
                        rec.name,
                        rec.content_type,
                        signed(rec.size),
                        rec.sha256,
                        rec.uploader.to_string(),
                        rec.uploader_name,
                        ms(rec.created_at),
                    ],
                )?;
                let stored = load(tx, &rec.id)?.ok_or(StoreError::NotFound("附件"))?;
                Ok(Declared::Created(stored))
            })
        })
    }

    fn attachment(&self, id: &str) -> StoreResult<Option<AttachmentRecord>> {
        db(|| load(&*self.conn()?, id))
    }

    fn case_attachments(&self, case: CaseId) -> StoreResult<Vec<AttachmentRecord>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLS} FROM attachments WHERE case_id = ?1 ORDER BY created_at, id"
            ))?;
            let rows = stmt.query_map([case.to_string()], from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn put_attachment_chunk(&self, id: &str, offset: u64, data: &[u8]) -> StoreResult<u64> {
        db(|| {
            self.write(|tx| {
                if load(tx, id)?.is_none() {
                    return Err(StoreError::NotFound("附件").into());
                }
                tx.execute(
                    "INSERT INTO attachment_chunks(attachment_id, pos, data) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                    params![id, signed(offset), data],
                )?;
                received(tx, id)
            })
        })
    }

    fn attachment_received(&self, id: &str) -> StoreResult<u64> {
        db(|| received(&*self.conn()?, id))
    }

    fn attachment_content(&self, id: &str) -> StoreResult<Vec<u8>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached(
                "SELECT data FROM attachment_chunks WHERE attachment_id = ?1 ORDER BY pos",
            )?;
            let mut out = Vec::new();
            for chunk in stmt.query_map([id], |r| r.get::<_, Vec<u8>>(0))? {
                out.extend_from_slice(&chunk?);
            }
            Ok(out)
        })
    }

    fn discard_attachment_chunks(&self, id: &str) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                tx.execute(
                    "DELETE FROM attachment_chunks WHERE attachment_id = ?1",
                    [id],
                )?;
                Ok(())
            })
        })
    }

    fn delete_uploading_attachment(&self, id: &str) -> StoreResult<bool> {
        db(|| {
            self.write(|tx| {
                let uploading =
                    load(tx, id)?.is_some_and(|a| a.status == AttachmentStatus::Uploading);
                if !uploading {
                    return Ok(false);
                }
                tx.execute(
                    "DELETE FROM attachment_chunks WHERE attachment_id = ?1",
                    [id],
                )?;
                tx.execute("DELETE FROM attachments WHERE id = ?1", [id])?;
                Ok(true)
            })
        })
    }

    fn complete_attachment(
        &self,
        org: &OrgTree,
        id: &str,
        thumbnail: Option<&[u8]>,
        at: DateTime<Utc>,
        f: &mut dyn FnMut(&Case, &TimelineEntry) -> StoreResult<CaseUpdate>,
    ) -> StoreResult<Completed> {
        db(|| {
            self.write(|tx| {
                let a = load(tx, id)?.ok_or(StoreError::NotFound("附件"))?;
                if a.status == AttachmentStatus::Complete {
                    return Ok(Completed::Before(a));
                }
                cases::update_case(tx, org, a.case_id, None, f)?;
                tx.execute(
                    "UPDATE attachments SET status = 'complete', completed_at = ?2, thumbnail = ?3
                     WHERE id = ?1",
                    params![id, ms(at), thumbnail],
                )?;
                let done = load(tx, id)?.ok_or(StoreError::NotFound("附件"))?;
                Ok(Completed::Now(done))
            })
        })
    }

    fn attachment_thumbnail(&self, id: &str) -> StoreResult<Option<Vec<u8>>> {
        db(|| {
            Ok(self
                .conn()?
                .query_row(
                    "SELECT thumbnail FROM attachments WHERE id = ?1",
                    [id],
                    |r| r.get::<_, Option<Vec<u8>>>(0),
                )
                .optional()?
                .flatten())
        })
    }
}
