//! The two halves of a round, pipelined: while the cache stores one answer, the next
//! request is already on the wire. The server still sees the protocol's order (every
//! push batch in sequence, then the pull pages from the cursor), and the cache still
//! applies every answer in order, each in its own transaction.

use chrono::{DateTime, Utc};
use minsheng_domain::ids::CommandId;
use tokio::task::JoinHandle;

use super::{lock, SyncEngine, SyncReport, MAX_PUSH_BATCHES, PULL_PAGE, PUSH_BATCH};
use crate::api::{CommandOutcome, CommandResult, PullPage, PushRequest};
use crate::error::{ClientError, Result};

/// Storing an answer in the cache, on a blocking thread.
pub(super) type Storing = JoinHandle<Result<()>>;

/// A spawned request that is cancelled when the round gives up before awaiting it.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A page from another epoch than the one this cache synced with: the server was
/// restored (a cursor carries its epoch, so only a pull without one gets this far, e.g.
/// the first after a role change). Treated like the server's own `SYNC_RESET`, so the
/// commands the restore lost are queued again.
fn same_epoch(known: Option<&str>, page: &PullPage) -> Result<()> {
    match (known, page.epoch.as_deref()) {
        (Some(k), Some(e)) if !e.is_empty() && k != e => Err(ClientError::SyncReset {
            message: "市局服务器已从备份恢复，需要重新下载数据；未同步的操作已保留在本机".into(),
        }),
        _ => Ok(()),
    }
}

/// Who pulls, and the position up to which the cache holds every timeline.
struct Position<'a> {
    install: &'a str,
    base: Option<&'a str>,
    /// The configuration version the cache holds when the pull starts.
    config: i64,
}

/// The server refused the request body as too large (413: over its body limit, or
/// more commands than it takes at once); nothing of it was applied.
fn too_large(e: &ClientError) -> bool {
    matches!(e, ClientError::Server { status: 413, .. })
}

/// The outcome of a command that alone is over the server's body limit: refused, so
/// it goes to 同步冲突 (the user discards it or does the work again in a shorter form)
/// instead of blocking every command queued after it.
fn refused_as_too_large(id: CommandId) -> CommandResult {
    CommandResult {
        id,
        status: CommandOutcome::Rejected,
        code: Some("COMMAND_TOO_LARGE".into()),
        message: Some(
            "该操作内容过大，超出市局服务器单次同步的上限，无法同步；请放弃此操作，或精简内容后重新办理"
                .into(),
        ),
        case: None,
    }
}

pub(super) async fn finish(storing: Storing) -> Result<()> {
    storing
        .await
        .map_err(|e| ClientError::Protocol(format!("写入缓存的任务中断：{e}")))?
}

impl SyncEngine {
    /// Pushes the whole queue, oldest first, `PUSH_BATCH` commands per request. The
    /// commands are marked `sent` up front (re-pushing one is harmless: the server
    /// answers a known id from its log). A batch whose body is over the server's limit
    /// (413: the server applied none of it) is halved and sent again, and the rest of
    /// the round keeps the smaller size; a single command over the limit can never be
    /// sent, so it is refused here like the server refuses a command (同步冲突) and the
    /// queue behind it moves on. Returns the storing of the last batch's outcomes,
    /// still running.
    pub(super) async fn push_all(
        &self,
        now: DateTime<Utc>,
        report: &mut SyncReport,
    ) -> Result<Option<Storing>> {
        let (install, epoch, queue) = {
            let mut cache = lock(&self.cache);
            (
                cache.install_id()?,
                cache.server_epoch()?,
                cache.next_push_batch(PUSH_BATCH * MAX_PUSH_BATCHES)?,
            )
        };
        let mut storing: Option<Storing> = None;
        let mut rest = queue.as_slice();
        let mut size = PUSH_BATCH;
        while !rest.is_empty() {
            let n = size.min(rest.len());
            // With the epoch, a restored server refuses the batch (`SYNC_RESET`) before
            // applying any of it: the commands it lost must be queued again first.
            let req = PushRequest {
                install_id: install,
                epoch: epoch.clone(),
                commands: rest[..n].to_vec(),
            };
            let sent = self.authed(|| self.api.push(&req)).await;
            // The previous batch's outcomes are stored whatever happens to this one.
            if let Some(s) = storing.take() {
                finish(s).await?;
            }
            let results = match sent {
                Err(e) if too_large(&e) && n > 1 => {
                    size = n / 2;
                    continue;
                }
                Err(e) if too_large(&e) => {
                    report.rejected += 1;
                    vec![refused_as_too_large(req.commands[0].id)]
                }
                Err(e) => return Err(e),
                Ok(resp) => {
                    if resp.results.len() != req.commands.len() {
                        return Err(ClientError::Protocol(format!(
                            "推送了 {} 项操作，服务器只回复了 {} 项",
                            req.commands.len(),
                            resp.results.len()
                        )));
                    }
                    report.pushed += resp.results.len();
                    for r in &resp.results {
                        match r.status {
                            CommandOutcome::Applied => report.applied += 1,
                            CommandOutcome::Rejected => report.rejected += 1,
                            CommandOutcome::Conflict => report.conflicts += 1,
                        }
                    }
                    resp.results
                }
            };
            rest = &rest[n..];
            let cache = self.cache.clone();
            storing = Some(tokio::task::spawn_blocking(move || {
                lock(&cache).apply_push_results(&results, now)
            }));
        }
        Ok(storing)
    }

    /// Pulls page after page from the saved cursor. The next page is fetched (and
    /// decoded) while the current one is written, so the server's work and ours
    /// overlap; `pushed` (the last push outcomes being stored) is awaited before the
    /// first page is written.
    pub(super) async fn pull_all(
        &self,
        now: DateTime<Utc>,
        report: &mut SyncReport,
        pushed: Option<Storing>,
    ) -> Result<()> {
        let (install, cursor, base, epoch, config) = {
            let cache = lock(&self.cache);
            (
                cache.install_id()?.to_string(),
                cache.pull_cursor()?,
                cache.timeline_base()?,
                cache.server_epoch()?,
                cache.config_version(),
            )
        };
        // Every page of this pull asks for the entries since the same base: a case a
        // later page brings was skipped by the earlier ones, so the cache knows it only
        // as of the base.
        let at = Position {
            install: &install,
            base: base.as_deref(),
            config,
        };
        let first = self.fetch(cursor.clone(), &at);
        if let Some(s) = pushed {
            finish(s).await?;
        }
        let mut page = self.fetched(first, cursor, &at).await?;
        loop {
            same_epoch(epoch.as_deref(), &page)?;
            let next = page.has_more.then(|| {
                (
                    self.fetch(Some(page.next_cursor.clone()), &at),
                    page.next_cursor.clone(),
                )
            });
            let (pulled, removed) = (page.changes.len(), page.removed.len());
            let cache = self.cache.clone();
            let writing = std::time::Instant::now();
            // Off the async thread: the next page's request goes on meanwhile.
            finish(tokio::task::spawn_blocking(move || {
                lock(&cache).apply_pull_page(&page, now)
            }))
            .await?;
            report.store_ms += super::elapsed_ms(writing);
            report.pages += 1;
            report.pulled += pulled;
            report.removed += removed;
            let Some((next, cursor)) = next else {
                return Ok(());
            };
            page = self.fetched(next, Some(cursor), &at).await?;
        }
    }

    /// Starts fetching the page after `cursor` (no token refresh here: see `fetched`).
    fn fetch(&self, cursor: Option<String>, at: &Position<'_>) -> AbortOnDrop<Result<PullPage>> {
        let api = self.api.clone();
        let (install, base) = (at.install.to_owned(), at.base.map(str::to_owned));
        let config = at.config;
        AbortOnDrop(tokio::spawn(async move {
            api.pull(
                cursor.as_deref(),
                base.as_deref(),
                PULL_PAGE,
                &install,
                config,
            )
            .await
        }))
    }

    /// The page a `fetch` got; an expired token is refreshed and the page asked again.
    async fn fetched(
        &self,
        mut fetch: AbortOnDrop<Result<PullPage>>,
        cursor: Option<String>,
        at: &Position<'_>,
    ) -> Result<PullPage> {
        match (&mut fetch.0).await {
            Ok(Err(ClientError::AuthExpired)) => {
                self.authed(|| {
                    self.api
                        .pull(cursor.as_deref(), at.base, PULL_PAGE, at.install, at.config)
                })
                .await
            }
            Ok(page) => page,
            Err(e) => Err(ClientError::Protocol(format!("拉取任务中断：{e}"))),
        }
    }
}
