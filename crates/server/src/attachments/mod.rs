//! The attachment service: declare a file on a case, receive it in chunks (resumable,
//! each chunk idempotent), verify it at completion (size, SHA-256, magic bytes), make
//! its thumbnail, and put it on the case's timeline once. Every route checks the case
//! like the case view does (`cases::visible_case`: out of scope = unknown), and who may
//! attach is the domain's rule (`attachment::may_attach`).

mod thumbnail;

use chrono::{DateTime, Utc};
use minsheng_domain::attachment::{
    self, AttachmentLimits, AttachmentProblem, AttachmentType, TIMELINE_KIND,
};
use minsheng_domain::case::Case;
use minsheng_domain::ids::{CaseId, EntryId};
use minsheng_domain::role::Actor;
use minsheng_domain::scope::can_see;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::DomainError;
use minsheng_store::attachments::{AttachmentRecord, AttachmentStatus, Completed, Declared};
use minsheng_store::CaseUpdate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cases::visible_case;
use crate::error::ApiError;
use crate::state::AppState;

/// What the client declares before sending the bytes.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAttachment {
    /// Minted by the client (a UUID, v7 preferred): the same id declares the same upload.
    pub id: uuid::Uuid,
    /// Display name (no path).
    pub name: String,
    pub size: u64,
    /// `image/jpeg`, `image/png` or `application/pdf`; must match the content.
    pub content_type: String,
    /// SHA-256 of the whole file, hex.
    pub sha256: String,
}

/// An attachment as shown to a user (metadata only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentView {
    pub id: String,
    pub case_id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub uploader_id: String,
    pub uploader_name: String,
    pub created_at: DateTime<Utc>,
    /// `uploading` or `complete`.
    pub status: String,
    pub completed_at: Option<DateTime<Utc>>,
    pub has_thumbnail: bool,
}

impl From<&AttachmentRecord> for AttachmentView {
    fn from(a: &AttachmentRecord) -> Self {
        Self {
            id: a.id.clone(),
            case_id: a.case_id.to_string(),
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            uploader_id: a.uploader.to_string(),
            uploader_name: a.uploader_name.clone(),
            created_at: a.created_at,
            status: a.status.code().to_owned(),
            completed_at: a.completed_at,
            has_thumbnail: a.has_thumbnail,
        }
    }
}

/// How far an upload is: the client resumes at `received`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadState {
    pub attachment: AttachmentView,
    pub received: u64,
    /// The chunk size the server takes at most.
    pub chunk_bytes: u64,
}

fn problem(p: AttachmentProblem) -> ApiError {
    ApiError::Domain(DomainError::Attachment(p))
}

fn limits(s: &AppState) -> AttachmentLimits {
    s.settings.attachment_limits
}

/// A case the actor may attach to (visible, and the domain's rule).
fn attachable_case(s: &AppState, actor: &Actor, case: CaseId) -> Result<Case, ApiError> {
    let c = visible_case(s, actor, case)?;
    attachment::may_attach(actor, &c, &s.org()).map_err(problem)?;
    Ok(c)
}

/// An attachment of a visible case; another case's id or an unknown one is unknown.
fn visible_attachment(
    s: &AppState,
    actor: &Actor,
    case: CaseId,
    id: &str,
) -> Result<AttachmentRecord, ApiError> {
    visible_case(s, actor, case)?;
    s.store
        .attachment(id)?
        .filter(|a| a.case_id == case)
        .ok_or(ApiError::NotFound("附件"))
}

/// An upload the actor is sending: their own, on a case they may attach to.
fn own_upload(
    s: &AppState,
    actor: &Actor,
    case: CaseId,
    id: &str,
) -> Result<AttachmentRecord, ApiError> {
    attachable_case(s, actor, case)?;
    s.store
        .attachment(id)?
        .filter(|a| a.case_id == case && a.uploader == actor.user_id)
        .ok_or(ApiError::NotFound("附件"))
}

/// The complete attachments of a visible case, oldest first.
pub fn list(s: &AppState, actor: &Actor, case: CaseId) -> Result<Vec<AttachmentView>, ApiError> {
    let c = visible_case(s, actor, case)?;
    Ok(s.store
        .case_attachments(c.id)?
        .iter()
        .filter(|a| a.status == AttachmentStatus::Complete)
        .map(AttachmentView::from)
        .collect())
}

/// Declares an upload; the same id again answers the same upload (`created` false).
pub fn declare(
    s: &AppState,
    actor: &Actor,
    case: CaseId,
    new: &NewAttachment,
) -> Result<(UploadState, bool), ApiError> {
    let c = attachable_case(s, actor, case)?;
    let l = limits(s);
    let name = attachment::display_name(&new.name).map_err(problem)?;
    let sha256 = attachment::checksum(&new.sha256).map_err(problem)?;
    let kind = attachment::check_declared(&new.content_type, new.size, &l).map_err(problem)?;
    let rec = AttachmentRecord {
        id: new.id.to_string(),
        case_id: c.id,
        name,
        content_type: kind.mime().to_owned(),
        size: new.size,
        sha256,
        uploader: actor.user_id,
        uploader_name: actor.name.clone(),
        created_at: s.now(),
        status: AttachmentStatus::Uploading,
        completed_at: None,
        has_thumbnail: false,
    };
    let (stored, created) = match s.store.declare_attachment(&rec, l.max_case_bytes)? {
        Declared::Created(a) => (a, true),
        Declared::Existing(a) => {
            let same = a.case_id == rec.case_id
                && a.uploader == rec.uploader
                && a.name == rec.name
                && a.size == rec.size
                && a.content_type == rec.content_type
                && a.sha256 == rec.sha256;
            if !same {
                return Err(problem(AttachmentProblem::IdConflict));
            }
            (a, false)
        }
        Declared::CaseFull { used } => {
            return Err(problem(AttachmentProblem::CaseFull {
                used,
                limit: l.max_case_bytes,
            }))
        }
    };
    Ok((state_of(s, stored)?, created))
}

fn state_of(s: &AppState, a: AttachmentRecord) -> Result<UploadState, ApiError> {
    let received = if a.status == AttachmentStatus::Complete {
        a.size
    } else {
        s.store.attachment_received(&a.id)?
    };
    Ok(UploadState {
        attachment: AttachmentView::from(&a),
        received,
        chunk_bytes: limits(s).chunk_bytes,
    })
}

/// How many bytes the server has of an upload (a restarted client resumes there).
pub fn upload_state(
    s: &AppState,
    actor: &Actor,
    case: CaseId,
    id: &str,
) -> Result<UploadState, ApiError> {
    let a = own_upload(s, actor, case, id)?;
    state_of(s, a)
}

/// The type the content's magic bytes say, or a refusal naming what it looks like.
fn detect(content: &[u8], declared: &str) -> Result<AttachmentType, AttachmentProblem> {
    let found = infer::get(content);
    let detected = found.and_then(|t| AttachmentType::from_mime(t.mime_type()));
    match detected {
        Some(t) if t.mime() == declared => Ok(t),
        _ => Err(AttachmentProblem::TypeMismatch {
            declared: declared.to_owned(),
            detected: found.map_or_else(
                || "无法识别的内容".to_owned(),
                |t| format!("“{}”", t.mime_type()),
            ),
        }),
    }
}

/// Stores one chunk. A chunk at an offset already received is a repeat and changes
/// nothing; a gap is refused with where to resume. The first chunk's magic bytes must
/// match the declared type, or the upload is dropped (nothing kept).
pub fn put_chunk(
    s: &AppState,
    actor: &Actor,
    case: CaseId,
    id: &str,
    offset: u64,
    data: &[u8],
) -> Result<UploadState, ApiError> {
    let a = own_upload(s, actor, case, id)?;
    let l = limits(s);
    if a.status == AttachmentStatus::Complete {
        return state_of(s, a);
    }
    if data.len() as u64 > l.chunk_bytes {
        return Err(problem(AttachmentProblem::ChunkTooLarge(l.chunk_bytes)));
    }
    let received = s.store.attachment_received(id)?;
    if offset < received {
        return state_of(s, a);
    }
    let end = offset.saturating_add(data.len() as u64);
    if offset > received || data.is_empty() || end > a.size {
        return Err(problem(AttachmentProblem::BadOffset { offset, received }));
    }
    if offset == 0 {
        if let Err(p) = detect(data, &a.content_type) {
            s.store.delete_uploading_attachment(id)?;
            return Err(problem(p));
        }
    }
    let received = s.store.put_attachment_chunk(id, offset, data)?;
    Ok(UploadState {
        attachment: AttachmentView::from(&a),
        received,
        chunk_bytes: l.chunk_bytes,
    })
}

/// Verifies a fully received upload and completes it once: it joins the case's list
/// and timeline ("上传附件"). Completing again answers the same attachment.
pub fn complete(
    s: &AppState,
    actor: &Actor,
    case: CaseId,
    id: &str,
) -> Result<AttachmentView, ApiError> {
    s.refresh_if_changed()?;
    let a = own_upload(s, actor, case, id)?;
    if a.status == AttachmentStatus::Complete {
        return Ok(AttachmentView::from(&a));
    }
    let content = s.store.attachment_content(id)?;
    if content.len() as u64 != a.size {
        return Err(problem(AttachmentProblem::Incomplete {
            received: content.len() as u64,
            size: a.size,
        }));
    }
    if hex::encode(Sha256::digest(&content)) != a.sha256 {
        s.store.discard_attachment_chunks(id)?;
        return Err(problem(AttachmentProblem::ChecksumMismatch));
    }
    let refuse = |p: AttachmentProblem| -> Result<AttachmentView, ApiError> {
        s.store.delete_uploading_attachment(id)?;
        Err(problem(p))
    };
    let kind = match detect(&content, &a.content_type) {
        Ok(k) => k,
        Err(p) => return refuse(p),
    };
    let thumb = if kind.is_image() {
        match thumbnail::make(&content, kind) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::info!(attachment = id, error = %e, "image refused: cannot decode");
                return refuse(AttachmentProblem::TypeMismatch {
                    declared: a.content_type.clone(),
                    detected: "无法解码的图片".to_owned(),
                });
            }
        }
    } else {
        None
    };
    let org = s.org();
    let now = s.now();
    let detail = serde_json::json!({
        "attachmentId": a.id,
        "name": a.name,
        "size": a.size,
        "contentType": a.content_type,
        "sha256": a.sha256,
    });
    let mut f = |c: &Case, last: &TimelineEntry| {
        // The case on the lock: still visible and still attachable by this actor.
        if !can_see(actor, c, &org) {
            return Err(ApiError::NotFound("诉求件").into());
        }
        attachment::may_attach(actor, c, &org).map_err(problem)?;
        let entry = TimelineEntry::next(
            Some(last),
            EntryId::mint(now),
            c.id,
            now,
            None,
            actor,
            TIMELINE_KIND,
            Some(c.state),
            c.state,
            detail.clone(),
        );
        Ok(CaseUpdate::Write(Box::new(c.clone()), Box::new(entry)))
    };
    let done = match s
        .store
        .complete_attachment(&org, id, thumb.as_deref(), now, &mut f)?
    {
        Completed::Now(a) | Completed::Before(a) => a,
    };
    Ok(AttachmentView::from(&done))
}

/// The file's bytes, for anyone who may see the case.
pub fn content(
    s: &AppState,
    actor: &Actor,
    case: CaseId,
    id: &str,
) -> Result<(AttachmentView, Vec<u8>), ApiError> {
    let a = visible_attachment(s, actor, case, id)?;
    if a.status != AttachmentStatus::Complete {
        return Err(ApiError::NotFound("附件"));
    }
    let bytes = s.store.attachment_content(id)?;
    Ok((AttachmentView::from(&a), bytes))
}

/// The JPEG thumbnail of a photo or scan (none for a PDF).
pub fn thumbnail(s: &AppState, actor: &Actor, case: CaseId, id: &str) -> Result<Vec<u8>, ApiError> {
    let a = visible_attachment(s, actor, case, id)?;
    if a.status != AttachmentStatus::Complete {
        return Err(ApiError::NotFound("附件"));
    }
    s.store
        .attachment_thumbnail(id)?
        .ok_or(ApiError::NotFound("缩略图"))
}
