//! The session's attachments: attach (queued in the encrypted cache, sent by the
//! upload loop), list with progress, fetch thumbnails and files on demand (kept for
//! offline viewing), retry or remove a refused upload.

use std::sync::Weak;
use std::time::Duration as StdDuration;

use chrono::Utc;
use minsheng_domain::attachment;
use minsheng_domain::ids::CaseId;

use super::{Inner, Session};
use crate::attachments::{upload_pending, AttachmentItem, UploadSummary};
use crate::error::{ClientError, Result};
use crate::sync::{lock, Backoff};

/// The upload loop looks at the queue this often while idle (and at once when a file
/// is attached or a sync round pushed an offline intake).
const UPLOAD_INTERVAL: StdDuration = StdDuration::from_secs(15);

impl Session {
    /// Queues a file for upload to the case (checked by the domain's rules first).
    pub fn attach(&self, case_id: CaseId, name: &str, content: &[u8]) -> Result<AttachmentItem> {
        let item = {
            let mut cache = lock(&self.0.cache);
            let case = cache
                .cached_case(case_id)?
                .ok_or(ClientError::NotCached(case_id))?;
            let actor = cache.actor()?;
            attachment::may_attach(&actor, &case.case, &cache.org_tree()?)
                .map_err(|p| ClientError::Domain(p.into()))?;
            cache.queue_attachment(case_id, name, content, Utc::now())?
        };
        self.0.upload_kick.notify_one();
        Ok(item)
    }

    /// Whether this user may attach files to the case (the domain's rule).
    pub fn may_attach(&self, case_id: CaseId) -> Result<bool> {
        let cache = lock(&self.0.cache);
        let Some(case) = cache.cached_case(case_id)? else {
            return Ok(false);
        };
        Ok(attachment::may_attach(&cache.actor()?, &case.case, &cache.org_tree()?).is_ok())
    }

    pub fn attachments(&self, case_id: CaseId) -> Result<Vec<AttachmentItem>> {
        lock(&self.0.cache).case_attachments(case_id)
    }

    pub fn upload_summary(&self) -> Result<UploadSummary> {
        lock(&self.0.cache).upload_summary()
    }

    pub fn retry_attachment(&self, id: &str) -> Result<bool> {
        let done = lock(&self.0.cache).retry_attachment(id)?;
        self.0.upload_kick.notify_one();
        Ok(done)
    }

    pub fn remove_attachment(&self, id: &str) -> Result<bool> {
        lock(&self.0.cache).remove_attachment(id)
    }

    /// A thumbnail (JPEG) or the file: kept on this desktop, else fetched and kept.
    pub async fn attachment_bytes(
        &self,
        case_id: CaseId,
        id: &str,
        thumbnail: bool,
    ) -> Result<Vec<u8>> {
        let id = id
            .parse::<uuid::Uuid>()
            .map_err(|_| ClientError::Protocol("附件编号无效".into()))?
            .to_string();
        if let Some(kept) = lock(&self.0.cache).kept_attachment(&id, thumbnail)? {
            return Ok(kept);
        }
        let path = format!(
            "/cases/{case_id}/attachments/{id}{}",
            if thumbnail { "/thumbnail" } else { "" }
        );
        let api = self.0.engine.api().clone();
        let bytes = self.0.engine.authed(|| api.get_bytes(&path)).await?;
        lock(&self.0.cache).keep_attachment(&id, thumbnail, &bytes)?;
        Ok(bytes)
    }

    /// Runs one upload pass now (the loop also does, on its own).
    pub async fn upload_now(&self) -> Result<crate::attachments::UploadPass> {
        upload_pending(&self.0.engine, &self.0.cache, &mut |_, _| {}).await
    }

    /// Starts the upload loop (idempotent), apart from the sync loop so an upload never
    /// holds up queued actions; it backs off like the sync loop while offline.
    pub(super) fn start_uploads(&self) {
        let mut slot = self
            .0
            .uploads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_some() {
            return;
        }
        let weak: Weak<Inner> = std::sync::Arc::downgrade(&self.0);
        *slot = Some(tokio::spawn(async move {
            let mut backoff = Backoff::default();
            let mut wait = StdDuration::ZERO;
            loop {
                {
                    let Some(inner) = weak.upgrade() else { return };
                    tokio::select! {
                        () = inner.upload_kick.notified() => {}
                        () = tokio::time::sleep(wait) => {}
                    }
                }
                let Some(inner) = weak.upgrade() else { return };
                let session = Session(inner);
                wait = match session.upload_now().await {
                    Ok(pass) => {
                        backoff.reset();
                        if pass.waiting > 0 {
                            StdDuration::from_secs(5)
                        } else {
                            UPLOAD_INTERVAL
                        }
                    }
                    Err(_) => backoff.next_delay(),
                };
            }
        }));
    }
}
