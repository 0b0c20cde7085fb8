//! The sync engine: push the outbox (in sequence order, in batches; the server applies
//! each command id once), then pull pages of changes from the saved cursor. Any step
//! may fail or the process may die anywhere: the outbox and the cursor on disk are
//! always a consistent place to resume from, and re-pushing a command is harmless.

mod apply;
mod backoff;
mod refresh;
mod reset;
mod round;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;

use crate::api::ApiClient;
use crate::cache::LocalCache;
use crate::credentials::CredentialStore;
use crate::error::{ClientError, Result};

pub use backoff::Backoff;
pub(crate) use reset::drop_snapshot;

/// Commands per push request (the server takes up to 500).
pub const PUSH_BATCH: usize = 200;
/// Cases per pulled page.
pub const PULL_PAGE: usize = 500;
/// Incomplete timelines read per query while filling them.
const GAP_BATCH: usize = 100;
/// A round stops pushing after this many batches (new work keeps arriving while
/// offline work drains; the next round continues).
const MAX_PUSH_BATCHES: usize = 100;

/// What the UI shows in the top bar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub online: bool,
    pub syncing: bool,
    /// Commands waiting for the server.
    pub queued: u64,
    /// Refused commands waiting for the user's decision (同步冲突).
    pub conflicts: u64,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// The last failure in Chinese, with its code; None after a good round.
    pub last_error: Option<String>,
    pub last_error_code: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The session needs a new login (refresh token gone); the outbox is kept.
    pub login_required: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub pushed: usize,
    pub applied: usize,
    pub rejected: usize,
    pub conflicts: usize,
    pub pulled: usize,
    pub removed: usize,
    pub pages: usize,
    /// The server asked for a fresh snapshot and we took one.
    pub reset: bool,
    /// Cases whose whole timeline was fetched because the cache missed entries.
    pub timelines_filled: usize,
    /// How long the push and the pull took (for the log and the benchmark).
    pub push_ms: u64,
    pub pull_ms: u64,
    /// Of `pull_ms`, the time spent writing pulled pages into the cache.
    pub store_ms: u64,
}

pub struct SyncEngine {
    api: Arc<ApiClient>,
    cache: Arc<Mutex<LocalCache>>,
    /// Where the refresh token lives; None = no refresh (tests, or a bare client).
    credentials: Option<Arc<CredentialStore>>,
    status: watch::Sender<SyncStatus>,
    /// One round at a time; a second caller waits and then runs its own round.
    round: tokio::sync::Mutex<()>,
    /// One token refresh at a time, shared by every caller that saw the same token.
    refresh: refresh::RefreshGate,
    /// The checkpoint the last pull started, still running perhaps.
    checkpoint: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// A push the server answered but refused as a whole: malformed (400), too large even
/// for one command (413, see `push_all`), or a client version it no longer serves
/// (426; the pull is then refused the same way and reports it). Unlike a network or
/// server failure, the pull need not wait for it.
fn refused_push(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::ClientTooOld { .. }
            | ClientError::Server {
                status: 400 | 413 | 422,
                ..
            }
    )
}

fn elapsed_ms(since: std::time::Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

pub(crate) fn lock(cache: &Mutex<LocalCache>) -> MutexGuard<'_, LocalCache> {
    // A panic while holding the lock cannot leave SQLite half-written (transactions
    // roll back), so the cache stays usable.
    cache.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SyncEngine {
    pub fn new(api: Arc<ApiClient>, cache: Arc<Mutex<LocalCache>>) -> Self {
        let (status, _) = watch::channel(SyncStatus::default());
        let engine = Self {
            api,
            cache,
            credentials: None,
            status,
            round: tokio::sync::Mutex::new(()),
            refresh: refresh::RefreshGate::default(),
            checkpoint: Mutex::new(None),
        };
        engine.refresh_counts();
        engine
    }

    /// Refreshes the access token from this keyring entry when the server says it expired.
    #[must_use]
    pub fn with_credentials(mut self, creds: Arc<CredentialStore>) -> Self {
        self.credentials = Some(creds);
        self
    }

    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    pub fn api(&self) -> &Arc<ApiClient> {
        &self.api
    }

    /// Re-reads the queue and conflict counts (after the UI queued or resolved something).
    pub fn refresh_counts(&self) {
        let counts = {
            let c = lock(&self.cache);
            (
                c.pending_count().ok(),
                c.conflict_count().ok(),
                c.last_sync_at().ok().flatten(),
            )
        };
        self.status.send_modify(|s| {
            if let Some(q) = counts.0 {
                s.queued = q;
            }
            if let Some(c) = counts.1 {
                s.conflicts = c;
            }
            s.last_sync_at = counts.2.or(s.last_sync_at);
        });
    }

    pub(crate) fn set_next_attempt(&self, at: Option<DateTime<Utc>>) {
        self.status.send_modify(|s| s.next_attempt_at = at);
    }

    /// One full round: push everything queued, then pull until the server has no more.
    /// A push the server refuses whole (400, 413 for a single command, 426) does not
    /// stop the pull: the round still brings the others' changes, is `Ok`, and the
    /// status shows the push's error (the queue stays for the next round).
    pub async fn sync_once(&self, now: DateTime<Utc>) -> Result<SyncReport> {
        let _round = self.round.lock().await;
        self.status.send_modify(|s| s.syncing = true);
        let outcome = self.run_round(now).await;
        self.refresh_counts();
        self.status.send_modify(|s| {
            s.syncing = false;
            match &outcome {
                Ok((_, refused)) => {
                    s.online = true;
                    s.last_error = refused.as_ref().map(ToString::to_string);
                    s.last_error_code = refused.as_ref().map(|e| e.code().to_owned());
                    s.login_required = false;
                }
                Err(e) => {
                    s.online = !matches!(e, ClientError::Offline(_));
                    s.last_error = Some(e.to_string());
                    s.last_error_code = Some(e.code().to_owned());
                    s.login_required = matches!(e, ClientError::LoginRequired);
                }
            }
        });
        outcome.map(|(report, _)| report)
    }

    /// The round's report, and the error of a push the server refused whole (the
    /// pull ran all the same).
    async fn run_round(&self, now: DateTime<Utc>) -> Result<(SyncReport, Option<ClientError>)> {
        let held = lock(&self.cache).config_version();
        let mut report = SyncReport::default();
        let started = std::time::Instant::now();
        let pushed = match self.push_all(now, &mut report).await {
            // Restored server: nothing of the batch was applied. Queue again what it
            // lost, then push everything in sequence order.
            Err(ClientError::SyncReset { .. }) => {
                self.reset(now, &mut report).await?;
                self.push_all(now, &mut report).await
            }
            other => other,
        };
        // The last batch's outcomes are still being stored while the pull starts.
        let (storing, refused) = match pushed {
            Ok(storing) => (storing, None),
            // Refused whole, nothing of the batch applied: the commands stay queued
            // (re-pushed next round under the same ids), and the pull still runs.
            Err(e) if refused_push(&e) => (None, Some(e)),
            Err(e) => return Err(e),
        };
        report.push_ms = elapsed_ms(started);
        let started = std::time::Instant::now();
        let pulled = match self.pull_all(now, &mut report, storing).await {
            Err(ClientError::SyncReset { .. }) => self.resnapshot(now, &mut report).await,
            other => other,
        };
        // Checkpointing resumes (after a failed pull, the pages stored so far stay and
        // the pull's own error is the one to report).
        let resumed = lock(&self.cache).end_pull_writes();
        if report.pulled + report.removed > 0 {
            // Copies what the pull wrote into the database file, off the round.
            let job = tokio::task::spawn_blocking(lock(&self.cache).checkpoint_job());
            *self
                .checkpoint
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(job);
        }
        pulled?;
        resumed?;
        self.fill_timeline_gaps(&mut report).await?;
        if lock(&self.cache).config_version() != held {
            self.refresh_directory().await;
        }
        report.pull_ms = elapsed_ms(started);
        lock(&self.cache).purge_closed(now)?;
        Ok((report, refused))
    }

    /// The city's configuration changed, and the org tree is part of it: the units and
    /// the own unit's people are read again for the offline forms. Best effort: the
    /// cached copies stay when the link fails now (the next change tries again).
    async fn refresh_directory(&self) {
        let api = self.api.clone();
        if let Ok(units) = self.authed(|| api.units()).await {
            let _ = lock(&self.cache).replace_units(&units);
        }
        let Ok(Some(profile)) = lock(&self.cache).profile() else {
            return;
        };
        if let Ok(users) = self.authed(|| api.unit_users(profile.unit_id)).await {
            let _ = lock(&self.cache).replace_unit_users(profile.unit_id, &users);
        }
    }

    /// Waits for the checkpoint a pull started (before the cache file is deleted: on
    /// Windows an open file cannot be).
    pub async fn settle(&self) {
        let job = self
            .checkpoint
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(job) = job {
            let _ = job.await;
        }
    }

    /// Fetches the whole timeline of every case the pull left incomplete (it entered
    /// the user's scope since the cursor). A failure keeps the marks for the next round.
    async fn fill_timeline_gaps(&self, report: &mut SyncReport) -> Result<()> {
        loop {
            let gaps = lock(&self.cache).timeline_gaps(GAP_BATCH)?;
            if gaps.is_empty() {
                return Ok(());
            }
            for id in gaps {
                let entries = match self.authed(|| self.api.timeline(id)).await {
                    Ok(entries) => Some(entries),
                    // Gone from the user's sight meanwhile: the next pull removes it.
                    Err(ClientError::Server {
                        status: 403 | 404, ..
                    }) => None,
                    Err(e) => return Err(e),
                };
                lock(&self.cache).fill_timeline_gap(id, entries.as_deref())?;
                report.timelines_filled += 1;
            }
        }
    }

    /// Runs `call`; if the access token expired, refreshes it once and runs it again.
    /// Callers that fail with the same token share one refresh (see `refresh`): the UI
    /// and the sync loop hitting the expiry together must not present the refresh
    /// token twice, which the server takes for theft and answers by ending the login.
    pub(crate) async fn authed<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let seen = self.refresh.generation();
        match call().await {
            Err(ClientError::AuthExpired) => {
                self.refresh
                    .refresh_since(seen, || self.exchange_refresh_token())
                    .await?;
                call().await
            }
            other => other,
        }
    }

    /// Gets a new token pair now; a refresh already under way is waited for instead.
    pub async fn refresh_token(&self) -> Result<()> {
        let seen = self.refresh.generation();
        self.refresh
            .refresh_since(seen, || self.exchange_refresh_token())
            .await
    }

    /// Trades the keyring's refresh token for a new pair and saves the new refresh token.
    async fn exchange_refresh_token(&self) -> Result<()> {
        let creds = self
            .credentials
            .as_ref()
            .ok_or(ClientError::LoginRequired)?;
        let token = creds.refresh_token()?.ok_or(ClientError::LoginRequired)?;
        match self.api.refresh(&token).await {
            Ok(t) => {
                creds.save_refresh_token(&t.refresh_token)?;
                Ok(())
            }
            Err(ClientError::AuthExpired) => Err(ClientError::LoginRequired),
            Err(ClientError::Server { status, .. }) if status == 401 || status == 400 => {
                Err(ClientError::LoginRequired)
            }
            Err(e) => Err(e),
        }
    }
}
