//! One desktop installation in a test: the real encrypted cache (a random key, never
//! the OS keyring), the real API client pointed at a proxy or the server, and the
//! real sync engine.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::Utc;
use minsheng_client::api::ApiClient;
use minsheng_client::outbox::CommandStatus;
use minsheng_client::sync::{SyncEngine, SyncReport};
use minsheng_client::view::LocalCase;
use minsheng_client::{ClientError, DbKey, LocalCache};
use minsheng_domain::ids::CaseId;
use minsheng_domain::role::Actor;
use minsheng_domain::workflow::Action;

use crate::server::PASSWORD;

pub struct Station {
    pub username: String,
    pub path: PathBuf,
    pub key: DbKey,
    pub api: Arc<ApiClient>,
    pub cache: Arc<Mutex<LocalCache>>,
    pub engine: SyncEngine,
}

impl Station {
    /// Signs `username` in through `base_url` (which must pass traffic now) and stores
    /// the profile and the org units, like the desktop's first online login.
    pub async fn sign_in(dir: &Path, base_url: &str, username: &str) -> Self {
        let path = dir.join(format!("{username}.cache.db"));
        let key = DbKey::generate();
        let mut cache = LocalCache::open(&path, &key).expect("open cache");
        let api = Arc::new(ApiClient::new(base_url).expect("api client"));
        let token = api.login(username, PASSWORD).await.expect("login");
        cache.set_profile(&token.user).expect("profile");
        cache
            .replace_units(&api.units().await.expect("units"))
            .expect("units");
        let cache = Arc::new(Mutex::new(cache));
        let engine = SyncEngine::new(api.clone(), cache.clone());
        Self {
            username: username.to_owned(),
            path,
            key,
            api,
            cache,
            engine,
        }
    }

    /// Signs in again on the same cache, like the desktop's login after its session
    /// ended: the profile the server returns replaces the stored one (a new role or
    /// unit drops the old scope's cases; the outbox stays).
    pub async fn sign_in_again(&self) {
        let token = self
            .api
            .login(&self.username, PASSWORD)
            .await
            .expect("login");
        self.cache().set_profile(&token.user).expect("profile");
    }

    pub fn cache(&self) -> MutexGuard<'_, LocalCache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn actor(&self) -> Actor {
        self.cache()
            .profile()
            .expect("profile")
            .expect("signed in")
            .actor()
            .expect("actor")
    }

    pub async fn sync(&self) -> Result<SyncReport, ClientError> {
        self.engine.sync_once(Utc::now()).await
    }

    /// Syncs until a round succeeds with nothing left queued; panics after `rounds`
    /// rounds or a minute, whichever comes first. A failed round is retried at once:
    /// each round is itself an exchange with the server (bounded by the client's
    /// timeouts), so there is nothing to wait for in between.
    pub async fn sync_until_settled(&self, rounds: usize) -> SyncReport {
        let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
        let mut last = None;
        for _ in 0..rounds {
            if tokio::time::Instant::now() >= deadline {
                break;
            }
            match self.sync().await {
                Ok(r) if self.pending() == 0 => return r,
                Ok(r) => last = Some(format!("ok but still queued: {r:?}")),
                Err(e) => last = Some(format!("{}: {e}", e.code())),
            }
            tokio::task::yield_now().await;
        }
        panic!(
            "{}: not settled after {rounds} rounds ({} queued); last: {last:?}",
            self.username,
            self.pending()
        );
    }

    pub fn pending(&self) -> u64 {
        self.cache().pending_count().expect("pending count")
    }

    /// Queues an action offline, validated by the domain against the local view.
    pub fn act(&self, id: CaseId, action: Action) -> Result<LocalCase, ClientError> {
        self.cache().queue_action(id, action, Utc::now())
    }

    pub fn local(&self, id: CaseId) -> Result<LocalCase, ClientError> {
        self.cache().local_case(id, Utc::now())
    }

    pub fn cached_ids(&self) -> Vec<CaseId> {
        self.cache()
            .list_cases(&[], 100_000)
            .expect("list")
            .into_iter()
            .map(|r| r.id)
            .collect()
    }

    pub fn commands_in(&self, statuses: &[CommandStatus]) -> usize {
        self.cache().commands(statuses).expect("commands").len()
    }
}
