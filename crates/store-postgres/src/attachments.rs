//! PostgreSQL: `AttachmentStore` (see `minsheng_store::attachments`). The bytes are
//! rows of `attachment_chunks` (BYTEA, one per uploaded chunk), so every instance on
//! the database serves every file.

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::CaseId;
use minsheng_domain::org::OrgTree;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_store::attachments::{
    AttachmentRecord, AttachmentStatus, AttachmentStore, Completed, Declared,
};
use minsheng_store::{CaseUpdate, StoreError, StoreResult};
use postgres::{GenericClient, Row};

use crate::{cases, db, from_ms, ms, DbResult, PgStore};

const COLS: &str = "id, case_id, name, content_type, size, sha256, uploader, uploader_name, \
     created_at, status, completed_at, thumbnail IS NOT NULL AS has_thumbnail";

fn bad(what: &str) -> crate::DbError {
    StoreError::Internal(format!("attachments: bad {what}")).into()
}

fn from_row(r: &Row) -> DbResult<AttachmentRecord> {
    Ok(AttachmentRecord {
        id: r.try_get("id")?,
        case_id: r
            .try_get::<_, String>("case_id")?
            .parse()
            .map_err(|_| bad("case id"))?,
        name: r.try_get("name")?,
        content_type: r.try_get("content_type")?,
        size: u64::try_from(r.try_get::<_, i64>("size")?).unwrap_or_default(),
        sha256: r.try_get("sha256")?,
        uploader: r
            .try_get::<_, String>("uploader")?
            .parse()
            .map_err(|_| bad("uploader"))?,
        uploader_name: r.try_get("uploader_name")?,
        created_at: from_ms(r.try_get("created_at")?),
        status: AttachmentStatus::from_code(r.try_get("status")?)
            .unwrap_or(AttachmentStatus::Uploading),
        completed_at: r.try_get::<_, Option<i64>>("completed_at")?.map(from_ms),
        has_thumbnail: r.try_get("has_thumbnail")?,
    })
}

fn load(c: &mut impl GenericClient, id: &str, lock: bool) -> DbResult<Option<AttachmentRecord>> {
    let sql = format!(
        "SELECT {COLS} FROM attachments WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    c.query_opt(&sql, &[&id])?
        .as_ref()
        .map(from_row)
        .transpose()
}

fn received(c: &mut impl GenericClient, id: &str) -> DbResult<u64> {
    let n: i64 = c
        .query_one(
            "SELECT CAST(coalesce(sum(octet_length(data)), 0) AS BIGINT)
               FROM attachment_chunks WHERE attachment_id = $1",
            &[&id],
        )?
        .get(0);
    Ok(u64::try_from(n).unwrap_or_default())
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl AttachmentStore for PgStore {
    fn declare_attachment(
        &self,
        rec: &AttachmentRecord,
        max_case_bytes: u64,
    ) -> StoreResult<Declared> {
        db(|| {
            self.write(|tx| {
                // The case row is the lock every declaration on it takes, on any instance.
                cases::lock_case(tx, rec.case_id)?.ok_or(StoreError::NotFound("诉求件"))?;
                if let Some(found) = load(tx, &rec.id, false)? {
                    return Ok(Declared::Existing(found));
                }
                let used: i64 = tx
                    .query_one(
                        "SELECT CAST(coalesce(sum(size), 0) AS BIGINT) FROM attachments
                          WHERE case_id = $1",
                        &[&rec.case_id.to_string()],
                    )?
                    .get(0);
                let used = u64::try_from(used).unwrap_or_default();
                if used.saturating_add(rec.size) > max_case_bytes {
                    return Ok(Declared::CaseFull { used });
                }
                tx.execute(
                    "INSERT INTO attachments(id, case_id, name, content_type, size, sha256,
                         uploader, uploader_name, created_at, status)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'uploading')",
                    &[
                        &rec.id,
                        &rec.case_id.to_string(),
                        &rec.name,
                        &rec.content_type,
                        &signed(rec.size),
                        &rec.sha256,
                        &rec.uploader.to_string(),
                        &rec.uploader_name,
                        &ms(rec.created_at),
                    ],
                )?;
                let stored = load(tx, &rec.id, false)?.ok_or(StoreError::NotFound("附件"))?;
                Ok(Declared::Created(stored))
            })
        })
    }

    fn attachment(&self, id: &str) -> StoreResult<Option<AttachmentRecord>> {
        db(|| self.read(|c| load(c, id, false)))
    }

    fn case_attachments(&self, case: CaseId) -> StoreResult<Vec<AttachmentRecord>> {
        db(|| {
            let rows = self.read(|c| {
                Ok(c.query(
                    &format!(
                        "SELECT {COLS} FROM attachments WHERE case_id = $1
                          ORDER BY created_at, id COLLATE \"C\""
                    ),
                    &[&case.to_string()],
                )?)
            })?;
            rows.iter().map(from_row).collect()
        })
    }

    fn put_attachment_chunk(&self, id: &str, offset: u64, data: &[u8]) -> StoreResult<u64> {
        db(|| {
            self.write(|tx| {
                if load(tx, id, false)?.is_none() {
                    return Err(StoreError::NotFound("附件").into());
                }
                tx.execute(
                    "INSERT INTO attachment_chunks(attachment_id, pos, data) VALUES ($1, $2, $3)
                     ON CONFLICT (attachment_id, pos) DO NOTHING",
                    &[&id, &signed(offset), &data],
                )?;
                received(tx, id)
            })
        })
    }

    fn attachment_received(&self, id: &str) -> StoreResult<u64> {
        db(|| self.read(|c| received(c, id)))
    }

    fn attachment_content(&self, id: &str) -> StoreResult<Vec<u8>> {
        db(|| {
            let rows = self.read(|c| {
                Ok(c.query(
                    "SELECT data FROM attachment_chunks WHERE attachment_id = $1 ORDER BY pos",
                    &[&id],
                )?)
            })?;
            let mut out = Vec::new();
            for r in &rows {
                out.extend_from_slice(r.try_get::<_, &[u8]>(0)?);
            }
            Ok(out)
        })
    }

    fn discard_attachment_chunks(&self, id: &str) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                tx.execute(
                    "DELETE FROM attachment_chunks WHERE attachment_id = $1",
                    &[&id],
                )?;
                Ok(())
            })
        })
    }

    fn delete_uploading_attachment(&self, id: &str) -> StoreResult<bool> {
        db(|| {
            self.write(|tx| {
                let uploading =
                    load(tx, id, true)?.is_some_and(|a| a.status == AttachmentStatus::Uploading);
                if !uploading {
                    return Ok(false);
                }
                tx.execute(
                    "DELETE FROM attachment_chunks WHERE attachment_id = $1",
                    &[&id],
                )?;
                tx.execute("DELETE FROM attachments WHERE id = $1", &[&id])?;
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
            self.write_cases(|tx| {
                // Two instances completing the same upload: the second waits here and
                // then finds it complete.
                let a = load(tx, id, true)?.ok_or(StoreError::NotFound("附件"))?;
                if a.status == AttachmentStatus::Complete {
                    return Ok(Completed::Before(a));
                }
                cases::update_case(tx, org, a.case_id, None, f)?;
                tx.execute(
                    "UPDATE attachments SET status = 'complete', completed_at = $2, thumbnail = $3
                      WHERE id = $1",
                    &[&id, &ms(at), &thumbnail],
                )?;
                let done = load(tx, id, false)?.ok_or(StoreError::NotFound("附件"))?;
                Ok(Completed::Now(done))
            })
        })
    }

    fn attachment_thumbnail(&self, id: &str) -> StoreResult<Option<Vec<u8>>> {
        db(|| {
            let row = self.read(|c| {
                Ok(c.query_opt("SELECT thumbnail FROM attachments WHERE id = $1", &[&id])?)
            })?;
            Ok(match row {
                Some(r) => r.try_get::<_, Option<Vec<u8>>>(0)?,
                None => None,
            })
        })
    }
}
