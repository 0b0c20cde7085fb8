//! Attachments on the desktop: files the user attaches to a case, online or offline.
//!
//! A file is checked by the domain's rules at once (name, size, type from its magic
//! bytes), then copied into the encrypted cache and queued in `attachment_queue`, apart
//! from the action outbox: an upload of 20 MB never holds up queued actions, and
//! actions need no order against uploads (no action refers to an attachment). The
//! uploader (`upload`) sends each file in chunks, resuming at what the server says it
//! has, and completes it once. What other people attached arrives with the sync as
//! "attach" timeline entries (metadata only); thumbnails and files are fetched when
//! shown and kept in `attachment_files`.

pub mod upload;

pub use upload::{upload_pending, UploadPass};

use chrono::{DateTime, Utc};
use minsheng_domain::attachment::{self, AttachmentLimits, AttachmentProblem, AttachmentType};
use minsheng_domain::ids::CaseId;
use minsheng_domain::timeline::TimelineEntry;
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cache::LocalCache;
use crate::error::{ClientError, Result};

/// Where an attachment is, as the case page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UploadState {
    /// Waiting for the link (排队中).
    Queued,
    /// Chunks going up (上传中).
    Uploading,
    /// On the server (已上传).
    Done,
    /// Refused by the server or a local check (失败), with the reason.
    Failed,
}

impl UploadState {
    fn code(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Uploading => "uploading",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    fn from_code(s: &str) -> Self {
        match s {
            "uploading" => Self::Uploading,
            "done" => Self::Done,
            "failed" => Self::Failed,
            _ => Self::Queued,
        }
    }
}

/// One attachment of a case: a server one (from the timeline) or one of this desktop's
/// queue (with its progress).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentItem {
    pub id: String,
    pub case_id: CaseId,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    /// Who attached it (empty for one still in this desktop's queue).
    pub uploader_name: String,
    pub at: DateTime<Utc>,
    pub state: UploadState,
    /// Bytes the server confirmed.
    pub sent: u64,
    pub error_code: Option<String>,
    pub error: Option<String>,
    /// Photos and scans have a thumbnail on the server once uploaded.
    pub has_thumbnail: bool,
}

/// The queue in numbers, for the top bar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadSummary {
    /// Waiting or going up.
    pub pending: u64,
    pub failed: u64,
    /// Of the pending ones: bytes still to send.
    pub bytes_left: u64,
}

/// A queued upload, as the uploader reads it.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub id: String,
    pub case_id: CaseId,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub attempts: u32,
}

const ITEM_COLS: &str =
    "id, case_id, name, content_type, size, sha256, queued_at, state, sent, error_code, error";

fn item(r: &Row<'_>) -> rusqlite::Result<AttachmentItem> {
    let case: String = r.get(1)?;
    Ok(AttachmentItem {
        id: r.get(0)?,
        case_id: case.parse().unwrap_or_else(|_| CaseId::mint(Utc::now())),
        name: r.get(2)?,
        content_type: r.get(3)?,
        size: r.get::<_, i64>(4)?.try_into().unwrap_or_default(),
        sha256: r.get(5)?,
        uploader_name: String::new(),
        at: crate::cache::from_ms(r.get(6)?),
        state: UploadState::from_code(&r.get::<_, String>(7)?),
        sent: r.get::<_, i64>(8)?.try_into().unwrap_or_default(),
        error_code: r.get(9)?,
        error: r.get(10)?,
        has_thumbnail: false,
    })
}

fn refused(p: &AttachmentProblem) -> ClientError {
    ClientError::Domain(p.clone().into())
}

/// The attachments the case's timeline names (complete uploads, anyone's).
fn from_timeline(entries: &[TimelineEntry]) -> Vec<AttachmentItem> {
    entries
        .iter()
        .filter(|e| e.kind == attachment::TIMELINE_KIND)
        .filter_map(|e| {
            let d = &e.detail;
            let content_type = d["contentType"].as_str()?.to_owned();
            Some(AttachmentItem {
                id: d["attachmentId"].as_str()?.to_owned(),
                case_id: e.case_id,
                name: d["name"].as_str()?.to_owned(),
                has_thumbnail: AttachmentType::from_mime(&content_type)
                    .is_some_and(AttachmentType::is_image),
                content_type,
                size: d["size"].as_u64()?,
                sha256: d["sha256"].as_str()?.to_owned(),
                uploader_name: e.actor_name.clone(),
                at: e.at,
                state: UploadState::Done,
                sent: d["size"].as_u64()?,
                error_code: None,
                error: None,
            })
        })
        .collect()
}

impl LocalCache {
    /// Checks a file by the domain's rules and queues it for upload, its bytes copied
    /// into the encrypted cache. Refused files are not queued (a clear message instead).
    pub fn queue_attachment(
        &mut self,
        case_id: CaseId,
        name: &str,
        content: &[u8],
        now: DateTime<Utc>,
    ) -> Result<AttachmentItem> {
        let limits = AttachmentLimits::DEFAULT;
        let name = attachment::display_name(name).map_err(|p| refused(&p))?;
        let kind = AttachmentType::sniff(content).ok_or_else(|| {
            refused(&AttachmentProblem::UnsupportedType(
                "无法识别的内容".to_owned(),
            ))
        })?;
        attachment::check_declared(kind.mime(), content.len() as u64, &limits)
            .map_err(|p| refused(&p))?;
        if self.cached_case(case_id)?.is_none() {
            return Err(ClientError::NotCached(case_id));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let sha256 = hex::encode(Sha256::digest(content));
        self.conn.execute(
            "INSERT INTO attachment_queue (id, case_id, name, content_type, size, sha256,
                 queued_at, state, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8)",
            params![
                id,
                case_id.to_string(),
                name,
                kind.mime(),
                i64::try_from(content.len()).unwrap_or(i64::MAX),
                sha256,
                now.timestamp_millis(),
                content
            ],
        )?;
        self.queued_attachment(&id)?
            .ok_or_else(|| ClientError::Corrupt("附件未能写入本地缓存".into()))
    }

    fn queued_attachment(&self, id: &str) -> Result<Option<AttachmentItem>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ITEM_COLS} FROM attachment_queue WHERE id = ?1"),
                [id],
                item,
            )
            .optional()?)
    }

    /// A case's attachments: the server's (from its cached timeline) and this desktop's
    /// queue, oldest first; a queued one that has reached the timeline shows once.
    pub fn case_attachments(&self, case_id: CaseId) -> Result<Vec<AttachmentItem>> {
        let mut out = from_timeline(&self.timeline(case_id)?);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ITEM_COLS} FROM attachment_queue WHERE case_id = ?1 ORDER BY queued_at, id"
        ))?;
        for q in stmt.query_map([case_id.to_string()], item)? {
            let mut q = q?;
            if out.iter().any(|a| a.id == q.id) {
                continue;
            }
            q.has_thumbnail = q.state == UploadState::Done
                && AttachmentType::from_mime(&q.content_type).is_some_and(AttachmentType::is_image);
            out.push(q);
        }
        out.sort_by_key(|a| a.at);
        Ok(out)
    }

    /// Counts of the queue for the top bar.
    pub fn upload_summary(&self) -> Result<UploadSummary> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(state IN ('queued', 'uploading')), 0),
                    coalesce(sum(state = 'failed'), 0),
                    coalesce(sum(CASE WHEN state IN ('queued', 'uploading') THEN size - sent END), 0)
               FROM attachment_queue",
            [],
            |r| {
                Ok(UploadSummary {
                    pending: r.get::<_, i64>(0)?.try_into().unwrap_or_default(),
                    failed: r.get::<_, i64>(1)?.try_into().unwrap_or_default(),
                    bytes_left: r.get::<_, i64>(2)?.try_into().unwrap_or_default(),
                })
            },
        )?)
    }

    /// Uploads to send, oldest first.
    pub(crate) fn pending_uploads(&self) -> Result<Vec<Queued>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, case_id, name, content_type, size, sha256, attempts FROM attachment_queue
              WHERE state IN ('queued', 'uploading') ORDER BY queued_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            let case: String = r.get(1)?;
            Ok((
                case,
                Queued {
                    id: r.get(0)?,
                    case_id: CaseId::mint(Utc::now()),
                    name: r.get(2)?,
                    content_type: r.get(3)?,
                    size: r.get::<_, i64>(4)?.try_into().unwrap_or_default(),
                    sha256: r.get(5)?,
                    attempts: r.get::<_, i64>(6)?.try_into().unwrap_or_default(),
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (case, mut q) = row?;
            if let Ok(id) = case.parse() {
                q.case_id = id;
                out.push(q);
            }
        }
        Ok(out)
    }

    /// The queued file's bytes.
    pub(crate) fn upload_content(&self, id: &str) -> Result<Vec<u8>> {
        self.conn
            .query_row(
                "SELECT data FROM attachment_queue WHERE id = ?1 AND data IS NOT NULL",
                [id],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()?
            .ok_or_else(|| ClientError::Corrupt("本地缓存中没有该附件的内容".into()))
    }

    /// Progress: the server has `sent` bytes.
    pub(crate) fn mark_upload_progress(&self, id: &str, sent: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE attachment_queue SET state = 'uploading', sent = ?2, error_code = NULL, error = NULL
              WHERE id = ?1 AND state IN ('queued', 'uploading')",
            params![id, i64::try_from(sent).unwrap_or(i64::MAX)],
        )?;
        Ok(())
    }

    /// One more try (a checksum refused by the server starts over).
    pub(crate) fn count_upload_attempt(&self, id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE attachment_queue SET attempts = attempts + 1 WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    /// On the server: the bytes move to the file cache (to open it offline).
    pub(crate) fn mark_upload_done(&mut self, id: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO attachment_files (id, kind, data)
             SELECT id, 'file', data FROM attachment_queue WHERE id = ?1 AND data IS NOT NULL",
            [id],
        )?;
        tx.execute(
            "UPDATE attachment_queue SET state = 'done', sent = size, data = NULL,
                    error_code = NULL, error = NULL WHERE id = ?1",
            [id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Refused: kept with the reason until the user retries or removes it.
    pub(crate) fn mark_upload_failed(&self, id: &str, code: &str, message: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE attachment_queue SET state = 'failed', error_code = ?2, error = ?3 WHERE id = ?1",
            params![id, code, message],
        )?;
        Ok(())
    }

    /// The reason shown while an upload waits (e.g. for its case to reach the server).
    pub(crate) fn note_upload_wait(&self, id: &str, message: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE attachment_queue SET error = ?2 WHERE id = ?1",
            params![id, message],
        )?;
        Ok(())
    }

    /// A failed upload goes back into the queue.
    pub fn retry_attachment(&self, id: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE attachment_queue SET state = 'queued', attempts = 0, error_code = NULL, error = NULL
              WHERE id = ?1 AND state = 'failed' AND data IS NOT NULL",
            [id],
        )? == 1)
    }

    /// Removes an upload that is not on the server (queued or failed), with its bytes.
    pub fn remove_attachment(&self, id: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM attachment_queue WHERE id = ?1 AND state IN ('queued', 'failed')",
            [id],
        )? == 1)
    }

    /// A fetched (or uploaded) file or thumbnail, if kept.
    pub fn kept_attachment(&self, id: &str, thumbnail: bool) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row(
                "SELECT data FROM attachment_files WHERE id = ?1 AND kind = ?2",
                params![id, if thumbnail { "thumbnail" } else { "file" }],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn keep_attachment(&self, id: &str, thumbnail: bool, data: &[u8]) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO attachment_files (id, kind, data) VALUES (?1, ?2, ?3)",
            params![id, if thumbnail { "thumbnail" } else { "file" }, data],
        )?;
        Ok(())
    }

    /// Whether the case exists on the server yet (not an offline intake still queued).
    pub(crate) fn case_on_server(&self, id: CaseId) -> Result<bool> {
        Ok(self.cached_case(id)?.is_some_and(|c| !c.is_local_only()))
    }
}

impl UploadState {
    /// The state's code as stored.
    pub fn as_str(self) -> &'static str {
        self.code()
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use minsheng_domain::case::CaseState;
    use minsheng_domain::ids::UnitId;

    use super::*;
    use crate::cache::cases::tests::server_view;
    use crate::cache::tests::temp_cache;

    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0];

    #[test]
    fn a_file_is_checked_then_queued_with_its_bytes_and_progress() {
        let (_dir, mut cache, _) = temp_cache();
        let unit = UnitId::mint(Utc::now());
        let v = server_view("噪音扰民", "楼上装修", unit, CaseState::InProgress, 3);
        let case: CaseId = serde_json::from_value(v["id"].clone()).unwrap();
        cache.upsert_server_cases(vec![v]).unwrap();

        // Refused at once, nothing queued: a path, a disguised file, too big, no case.
        let code = |r: Result<AttachmentItem>| r.unwrap_err().code().to_owned();
        let now = Utc::now();
        assert_eq!(
            code(cache.queue_attachment(case, "../a.jpg", JPEG, now)),
            "ATTACHMENT_BAD_NAME"
        );
        assert_eq!(
            code(cache.queue_attachment(case, "a.jpg", b"MZ\x90\x00", now)),
            "ATTACHMENT_TYPE_UNSUPPORTED"
        );
        let mut big = JPEG.to_vec();
        big.resize(20 * 1024 * 1024 + 1, 0);
        assert_eq!(
            code(cache.queue_attachment(case, "a.jpg", &big, now)),
            "ATTACHMENT_TOO_LARGE"
        );
        let other = CaseId::mint(now);
        assert_eq!(
            code(cache.queue_attachment(other, "a.jpg", JPEG, now)),
            "CASE_NOT_CACHED"
        );
        assert_eq!(cache.upload_summary().unwrap(), UploadSummary::default());

        let item = cache
            .queue_attachment(case, "走访照片.jpg", JPEG, now)
            .unwrap();
        assert_eq!(
            (item.state, item.content_type.as_str()),
            (UploadState::Queued, "image/jpeg")
        );
        assert_eq!(item.sha256, hex::encode(Sha256::digest(JPEG)));
        assert_eq!(cache.upload_content(&item.id).unwrap(), JPEG);
        cache.mark_upload_progress(&item.id, 4).unwrap();
        let listed = cache.case_attachments(case).unwrap();
        assert_eq!(
            (listed.len(), listed[0].state, listed[0].sent),
            (1, UploadState::Uploading, 4)
        );
        assert_eq!(
            cache.upload_summary().unwrap().bytes_left,
            JPEG.len() as u64 - 4
        );

        // Done: the bytes move to the kept files, the queue row stays as 已上传.
        cache.mark_upload_done(&item.id).unwrap();
        assert_eq!(
            cache.kept_attachment(&item.id, false).unwrap().as_deref(),
            Some(JPEG)
        );
        assert!(cache.upload_content(&item.id).is_err());
        assert!(
            !cache.remove_attachment(&item.id).unwrap(),
            "an uploaded file stays"
        );
        assert_eq!(cache.upload_summary().unwrap().pending, 0);

        // A refused one keeps its reason until retried or removed.
        let bad = cache.queue_attachment(case, "b.jpg", JPEG, now).unwrap();
        cache
            .mark_upload_failed(&bad.id, "ATTACHMENT_CASE_LIMIT", "附件总量超限")
            .unwrap();
        assert_eq!(cache.upload_summary().unwrap().failed, 1);
        assert!(cache.retry_attachment(&bad.id).unwrap());
        assert_eq!(cache.pending_uploads().unwrap().len(), 1);
        assert!(cache.remove_attachment(&bad.id).unwrap());
        assert!(cache.pending_uploads().unwrap().is_empty());
    }
}
