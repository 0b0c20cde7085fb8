//! The uploader: sends queued attachments, oldest first, chunk by chunk. Every step
//! is repeatable: the declaration is keyed by the attachment's own id, a chunk by its
//! offset, and completion answers the same attachment again, so a process killed
//! anywhere resumes at the offset the server reports and the file arrives once.
//! The cache lock is never held across a request.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::Queued;
use crate::cache::LocalCache;
use crate::error::{ClientError, Result};
use crate::sync::{lock, SyncEngine};

/// Largest chunk this desktop sends (the server may ask for smaller ones).
pub const CHUNK_BYTES: u64 = 256 * 1024;
/// Completions refused for a wrong checksum before the upload is given up (the bytes
/// in the cache are then not what was queued).
const MAX_ATTEMPTS: u32 = 3;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadPass {
    pub completed: usize,
    pub failed: usize,
    /// Waiting for their case to reach the server.
    pub waiting: usize,
}

/// A failure worth retrying later (no link, server busy or failing, login to renew):
/// the pass stops and the queue stays as it is.
fn transient(e: &ClientError) -> bool {
    match e {
        ClientError::Server { status, code, .. } => {
            *status >= 500
                || *status == 429
                || matches!(code.as_str(), "OVERLOADED" | "REQUEST_TIMEOUT")
        }
        ClientError::Domain(_)
        | ClientError::NotCached(_)
        | ClientError::Protocol(_)
        | ClientError::Corrupt(_) => false,
        _ => true,
    }
}

fn received(v: &Value) -> Result<u64> {
    v["received"]
        .as_u64()
        .ok_or_else(|| ClientError::Protocol("上传状态缺少 received".into()))
}

/// Sends every queued upload it can. `progress` hears (attachment id, bytes the server
/// has) after each chunk. A transient failure ends the pass with the error.
pub async fn upload_pending(
    engine: &SyncEngine,
    cache: &Arc<Mutex<LocalCache>>,
    progress: &mut (dyn FnMut(&str, u64) + Send),
) -> Result<UploadPass> {
    let mut pass = UploadPass::default();
    let queue = lock(cache).pending_uploads()?;
    for q in queue {
        if !lock(cache).case_on_server(q.case_id)? {
            lock(cache).note_upload_wait(&q.id, "等待诉求件同步到市局后上传")?;
            pass.waiting += 1;
            continue;
        }
        match upload_one(engine, cache, &q, progress).await {
            Ok(()) => {
                lock(cache).mark_upload_done(&q.id)?;
                pass.completed += 1;
            }
            Err(e) if transient(&e) => return Err(e),
            Err(e)
                if e.code() == "ATTACHMENT_CHECKSUM_MISMATCH" && q.attempts + 1 < MAX_ATTEMPTS =>
            {
                // The server dropped the bytes; the next pass sends them again.
                lock(cache).count_upload_attempt(&q.id)?;
                lock(cache).mark_upload_progress(&q.id, 0)?;
            }
            Err(e) => {
                lock(cache).mark_upload_failed(&q.id, e.code(), &e.to_string())?;
                pass.failed += 1;
            }
        }
    }
    Ok(pass)
}

async fn upload_one(
    engine: &SyncEngine,
    cache: &Arc<Mutex<LocalCache>>,
    q: &Queued,
    progress: &mut (dyn FnMut(&str, u64) + Send),
) -> Result<()> {
    let api = engine.api().clone();
    let base = format!("/cases/{}/attachments", q.case_id);
    let declaration = json!({
        "id": q.id, "name": q.name, "size": q.size,
        "contentType": q.content_type, "sha256": q.sha256,
    });
    let state = engine.authed(|| api.post_json(&base, &declaration)).await?;
    if state["attachment"]["status"] == "complete" {
        return Ok(());
    }
    let chunk = state["chunkBytes"]
        .as_u64()
        .filter(|c| *c > 0)
        .map_or(CHUNK_BYTES, |c| c.min(CHUNK_BYTES));
    let mut at = received(&state)?;
    lock(cache).mark_upload_progress(&q.id, at)?;
    progress(&q.id, at);
    let content = lock(cache).upload_content(&q.id)?;
    if content.len() as u64 != q.size {
        return Err(ClientError::Corrupt(
            "本地缓存中的附件大小与登记不符".into(),
        ));
    }
    while at < q.size {
        let start = usize::try_from(at).unwrap_or(usize::MAX);
        let end = usize::try_from(at.saturating_add(chunk).min(q.size)).unwrap_or(usize::MAX);
        let path = format!("{base}/{}/chunks/{at}", q.id);
        let piece = &content[start..end];
        let answer = engine.authed(|| api.put_bytes(&path, piece)).await;
        at = match answer {
            Ok(v) => received(&v)?,
            // Out of step with the server (another process of this desktop, or a lost
            // answer): ask where it is and continue there.
            Err(e) if e.code() == "ATTACHMENT_BAD_OFFSET" => {
                let path = format!("{base}/{}/upload", q.id);
                received(&engine.authed(|| api.get_json(&path)).await?)?
            }
            Err(e) => return Err(e),
        };
        lock(cache).mark_upload_progress(&q.id, at)?;
        progress(&q.id, at);
    }
    let path = format!("{base}/{}/complete", q.id);
    let empty = json!({});
    engine.authed(|| api.post_json(&path, &empty)).await?;
    Ok(())
}
