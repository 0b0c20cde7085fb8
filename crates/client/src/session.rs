//! One signed-in user on this desktop: the encrypted cache of their scope, the API
//! client with their tokens, and the sync engine with its background loop. This is
//! what the Tauri shell holds; every read works offline, every write is an outbox
//! command first.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::config::Config;
use minsheng_domain::ids::{CaseId, CommandId, UnitId};
use minsheng_domain::org::Unit;
use minsheng_domain::workflow::{Action, NewCase};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::api::ApiClient;
use crate::cache::{
    LocalCache, LocalCasePage, LocalCaseQuery, LocalWorkListCounts, Profile, UserSummary,
};
use crate::credentials::CredentialStore;
use crate::error::{ClientError, Result};
use crate::outbox::{Command, Resolution};
use crate::sync::{lock, Backoff, SyncEngine, SyncReport, SyncStatus};
use crate::view::LocalCase;

mod releases;
mod uploads;

/// Offline use is allowed this long after the last successful online sign-in.
pub const DEFAULT_OFFLINE_VALIDITY_DAYS: i64 = 7;
/// Rounds run this often while idle, and right after each queued command. An idle round
/// is one cheap pull; 15 s is also how long a lost link can go unnoticed in the top bar.
const SYNC_INTERVAL: StdDuration = StdDuration::from_secs(15);
const LAST_ONLINE_LOGIN: &str = "last_online_login_at";
const LAST_USER_FILE: &str = "last-user.json";

#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// City server root, e.g. `http://127.0.0.1:8686`.
    pub server_url: String,
    /// Where caches live (one encrypted file per server and account).
    pub data_dir: PathBuf,
    pub offline_validity: Duration,
}

impl SessionConfig {
    pub fn new(server_url: &str, data_dir: &Path) -> Self {
        Self {
            server_url: server_url.trim().trim_end_matches('/').to_owned(),
            data_dir: data_dir.to_owned(),
            offline_validity: Duration::days(DEFAULT_OFFLINE_VALIDITY_DAYS),
        }
    }

    /// The cache file of an account: named by a hash, so neither server nor user
    /// name appears on disk.
    pub fn cache_path(&self, username: &str) -> PathBuf {
        let digest =
            Sha256::digest(crate::credentials::service_name(&self.server_url, username).as_bytes());
        self.data_dir
            .join(format!("cache-{}.db", &hex::encode(digest)[..16]))
    }
}

/// Who signed in last on this machine (no secret: for the login form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastUser {
    pub server_url: String,
    pub username: String,
}

struct Inner {
    config: SessionConfig,
    username: String,
    profile: Profile,
    cache: Arc<Mutex<LocalCache>>,
    engine: SyncEngine,
    credentials: Arc<CredentialStore>,
    kick: Notify,
    background: Mutex<Option<JoinHandle<()>>>,
    /// Wakes the upload loop (`uploads`): a file was attached, or a sync round ran.
    upload_kick: Notify,
    uploads: Mutex<Option<JoinHandle<()>>>,
    /// The server said at sign-in that the password must be changed first (admin-set,
    /// or older than the maximum age). A password change starts a new session.
    must_change_password: bool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for slot in [&mut self.background, &mut self.uploads] {
            if let Some(h) = slot
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
            {
                h.abort();
            }
        }
    }
}

#[derive(Clone)]
pub struct Session(Arc<Inner>);

impl Session {
    /// Signs in online, opens (or creates) the account's encrypted cache, stores the
    /// profile, org units and colleagues, and runs a first sync (a failure there is
    /// reported in `status()`, not as a failed login).
    pub async fn login(cfg: SessionConfig, username: &str, password: &str) -> Result<Self> {
        let username = username.trim();
        let api = Arc::new(ApiClient::new(&cfg.server_url)?);
        let tokens = api.login(username, password).await?;
        let creds = Arc::new(CredentialStore::for_account(&cfg.server_url, username)?);
        creds.save_refresh_token(&tokens.refresh_token)?;
        std::fs::create_dir_all(&cfg.data_dir).map_err(|e| ClientError::Io(e.to_string()))?;
        let mut cache = LocalCache::open_with_credentials(&cfg.cache_path(username), &creds)?;
        if cache.profile()?.is_some_and(|p| p.id != tokens.user.id) {
            // Same name, different account (re-created): its cache is not this user's.
            return Err(ClientError::Corrupt(
                "本地缓存属于同名的另一账号，请联系管理员清理".into(),
            ));
        }
        cache.set_profile(&tokens.user)?;
        // Checked on this computer when the session is reopened or unlocked.
        cache.remember_password(password)?;
        cache.set_meta(
            LAST_ONLINE_LOGIN,
            &Utc::now().timestamp_millis().to_string(),
        )?;
        let must_change = tokens.must_change_password;
        let session = Self::assemble(cfg, username, tokens.user, cache, api, creds, must_change);
        session.refresh_directory().await;
        write_last_user(&session.0.config, username);
        // A first round now; the UI shows its outcome through status().
        let _ = session.sync_now().await;
        Ok(session)
    }

    /// Continues after a restart, once the user's password checks against the one of
    /// the last online sign-in (on this computer: it works offline). Online: the
    /// keyring's refresh token gets fresh tokens. Offline: allowed while the last online
    /// sign-in is within `offline_validity`.
    pub async fn resume(cfg: SessionConfig, username: &str, password: &str) -> Result<Self> {
        let username = username.trim();
        let path = cfg.cache_path(username);
        if !path.exists() {
            return Err(ClientError::LoginRequired);
        }
        let creds = Arc::new(CredentialStore::for_account(&cfg.server_url, username)?);
        let mut cache = LocalCache::open_with_credentials(&path, &creds)?;
        cache.check_password(password)?;
        let profile = cache.profile()?.ok_or(ClientError::LoginRequired)?;
        let token = creds.refresh_token()?.ok_or(ClientError::LoginRequired)?;
        let api = Arc::new(ApiClient::new(&cfg.server_url)?);
        // Offline nothing is known; the flag comes back with the next online sign-in.
        let mut must_change = false;
        let fresh = match api.refresh(&token).await {
            Ok(t) => {
                creds.save_refresh_token(&t.refresh_token)?;
                must_change = t.must_change_password;
                Some(t.user)
            }
            Err(ClientError::Offline(_)) => None,
            Err(ClientError::ClientTooOld { message }) => {
                return Err(ClientError::ClientTooOld { message })
            }
            // Expired, revoked, account disabled: only a new sign-in helps.
            Err(_) => return Err(ClientError::LoginRequired),
        };
        let online = fresh.is_some();
        let profile = match fresh {
            // The server's view of the user wins; a new role or unit drops the old
            // scope's cases (`set_profile`), and this session's round pulls the new one.
            Some(user) if user.id == profile.id => {
                cache.set_profile(&user)?;
                user
            }
            Some(_) => return Err(ClientError::LoginRequired),
            None => profile,
        };
        if online {
            cache.set_meta(
                LAST_ONLINE_LOGIN,
                &Utc::now().timestamp_millis().to_string(),
            )?;
        } else {
            let last = cache
                .meta(LAST_ONLINE_LOGIN)?
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(DateTime::from_timestamp_millis);
            if last.is_none_or(|t| Utc::now() - t > cfg.offline_validity) {
                return Err(ClientError::LoginRequired);
            }
        }
        let session = Self::assemble(cfg, username, profile, cache, api, creds, must_change);
        if online {
            session.refresh_directory().await;
            let _ = session.sync_now().await;
        }
        Ok(session)
    }

    fn assemble(
        config: SessionConfig,
        username: &str,
        profile: Profile,
        cache: LocalCache,
        api: Arc<ApiClient>,
        credentials: Arc<CredentialStore>,
        must_change_password: bool,
    ) -> Self {
        let cache = Arc::new(Mutex::new(cache));
        let engine = SyncEngine::new(api, cache.clone()).with_credentials(credentials.clone());
        Self(Arc::new(Inner {
            config,
            username: username.to_owned(),
            profile,
            cache,
            engine,
            credentials,
            kick: Notify::new(),
            background: Mutex::new(None),
            upload_kick: Notify::new(),
            uploads: Mutex::new(None),
            must_change_password,
        }))
    }

    /// The last account used on this machine, if any.
    pub fn last_user(data_dir: &Path) -> Option<LastUser> {
        let raw = std::fs::read(data_dir.join(LAST_USER_FILE)).ok()?;
        serde_json::from_slice(&raw).ok()
    }

    /// Signs out and deletes this account's keyring entries and cache. Refuses while
    /// commands wait for the server unless `force` (the UI asks the user first).
    pub async fn sign_out(self, force: bool) -> Result<()> {
        let queued = lock(&self.0.cache).pending_count()?;
        if queued > 0 && !force {
            return Err(ClientError::PendingCommands { count: queued });
        }
        if let Some(h) = self
            .0
            .background
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            h.abort();
        }
        // Best effort: the server forgets the session; offline the tokens just expire.
        let _ = self.0.engine.api().logout().await;
        self.0.engine.settle().await;
        self.0.credentials.delete_all()?;
        let path = self.0.config.cache_path(&self.0.username);
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(ClientError::Io(e.to_string())),
            }
        }
        Ok(())
    }

    /// Unlocks the app after the idle timeout: the password of the last online sign-in,
    /// checked on this computer. After `local_password::MAX_FAILURES` wrong ones only a
    /// new online sign-in helps (`LoginRequired`).
    pub fn unlock(&self, password: &str) -> Result<()> {
        lock(&self.0.cache).check_password(password)
    }

    pub fn profile(&self) -> Profile {
        self.0.profile.clone()
    }

    /// The server asks this user to change their password before working (等保).
    pub fn must_change_password(&self) -> bool {
        self.0.must_change_password
    }

    pub fn server_url(&self) -> &str {
        &self.0.config.server_url
    }

    pub fn status(&self) -> SyncStatus {
        self.0.engine.status()
    }

    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.0.engine.subscribe()
    }

    pub async fn sync_now(&self) -> Result<SyncReport> {
        let report = self.0.engine.sync_once(Utc::now()).await;
        if report.is_ok() {
            self.0.engine.set_next_attempt(None);
        }
        report
    }

    /// Starts the background loop (idempotent): a round every 15 s and right after
    /// each queued command; while the server is unreachable, retries back off with
    /// jitter from 2 s to 5 min. The loop ends with the session.
    pub fn start_background(&self) {
        self.start_uploads();
        let mut slot = self
            .0
            .background
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_some() {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.0);
        *slot = Some(tokio::spawn(async move {
            let mut backoff = Backoff::default();
            let mut wait = StdDuration::ZERO;
            loop {
                {
                    let Some(inner) = weak.upgrade() else { return };
                    tokio::select! {
                        () = inner.kick.notified() => {}
                        () = tokio::time::sleep(wait) => {}
                    }
                }
                let Some(inner) = weak.upgrade() else { return };
                let session = Session(inner);
                match session.sync_now().await {
                    Ok(_) => {
                        // An offline intake may have reached the server: its
                        // attachments can go now.
                        session.0.upload_kick.notify_one();
                        backoff.reset();
                        wait = SYNC_INTERVAL;
                    }
                    Err(e) => {
                        wait = match e {
                            ClientError::LoginRequired | ClientError::ClientTooOld { .. } => {
                                StdDuration::from_mins(5)
                            }
                            _ => backoff.next_delay(),
                        };
                        let next = Utc::now()
                            + Duration::from_std(wait).unwrap_or_else(|_| Duration::seconds(300));
                        session.0.engine.set_next_attempt(Some(next));
                    }
                }
            }
        }));
    }

    fn changed(&self) {
        self.0.engine.refresh_counts();
        self.0.kick.notify_one();
    }

    // ---- reads: all from the local cache, so they work offline ----

    pub fn list_cases(&self, q: &LocalCaseQuery) -> Result<LocalCasePage> {
        lock(&self.0.cache).query_cases(q, Utc::now())
    }

    pub fn case(&self, id: CaseId) -> Result<LocalCase> {
        lock(&self.0.cache).local_case(id, Utc::now())
    }

    /// The holiday calendar and SLA rules the cache counts deadlines with.
    pub fn config(&self) -> Arc<Config> {
        lock(&self.0.cache).config()
    }

    pub fn worklist_counts(&self) -> Result<LocalWorkListCounts> {
        lock(&self.0.cache).worklist_counts(Utc::now())
    }

    pub fn units(&self) -> Result<Vec<Unit>> {
        Ok(lock(&self.0.cache).org_tree()?.units().cloned().collect())
    }

    pub fn unit_users(&self, unit: UnitId) -> Result<Vec<UserSummary>> {
        lock(&self.0.cache).unit_users(unit)
    }

    pub fn conflicts(&self) -> Result<Vec<Command>> {
        lock(&self.0.cache).conflicts()
    }

    pub fn closed_window_days(&self) -> Result<u32> {
        lock(&self.0.cache).closed_window_days()
    }

    // ---- form drafts: what a user typed and has not submitted, kept in the encrypted
    // cache (citizens' numbers never sit in the web view's plain storage) ----

    pub fn draft(&self, name: &str) -> Result<Option<String>> {
        lock(&self.0.cache).meta(&draft_key(name))
    }

    pub fn save_draft(&self, name: &str, json: &str) -> Result<()> {
        lock(&self.0.cache).set_meta(&draft_key(name), json)
    }

    pub fn clear_draft(&self, name: &str) -> Result<()> {
        lock(&self.0.cache).delete_meta(&draft_key(name))
    }

    // ---- writes: validated by the domain, queued durably, synced soon ----

    pub fn act(&self, id: CaseId, action: Action) -> Result<LocalCase> {
        let view = lock(&self.0.cache).queue_action(id, action, Utc::now())?;
        self.changed();
        Ok(view)
    }

    pub fn intake(&self, new: NewCase) -> Result<LocalCase> {
        let view = lock(&self.0.cache).queue_intake(new, Utc::now())?;
        self.changed();
        Ok(view)
    }

    /// The domain's objections to `action` on the case as this user sees it (nothing
    /// is queued); empty when `act` would accept it.
    pub fn check_action(
        &self,
        id: CaseId,
        action: &Action,
    ) -> Result<Vec<minsheng_domain::workflow::FieldProblem>> {
        lock(&self.0.cache).check_action(id, action, Utc::now())
    }

    pub fn resolve_conflict(&self, command: CommandId, how: Resolution) -> Result<()> {
        lock(&self.0.cache).resolve_conflict(command, how, Utc::now())?;
        self.changed();
        Ok(())
    }

    pub fn set_closed_window_days(&self, days: u32) -> Result<()> {
        if !(1..=365).contains(&days) {
            return Err(ClientError::InvalidSetting(
                "已办结诉求件的缓存天数须在 1–365 之间".into(),
            ));
        }
        lock(&self.0.cache).set_closed_window_days(days)
    }

    /// The folder printed documents (PDF) are saved to, chosen by this user.
    pub fn print_folder(&self) -> Result<Option<String>> {
        lock(&self.0.cache).meta(PRINT_FOLDER)
    }

    pub fn set_print_folder(&self, folder: &str) -> Result<()> {
        lock(&self.0.cache).set_meta(PRINT_FOLDER, folder)
    }

    // ---- online-only screens ----

    /// Searches the user's whole scope on the server (`GET /cases`), for cases this
    /// computer does not cache (closed ones older than the cache window).
    pub async fn search_server(
        &self,
        q: &crate::api::CaseListQuery,
    ) -> Result<crate::api::CasePage> {
        let api = self.0.engine.api().clone();
        self.0.engine.authed(|| api.cases(q)).await
    }

    /// Brings one case the server shows this user, with its timeline, into the cache
    /// (a case found by `search_server` or in a statistic) and returns its local view;
    /// the next purge drops it again if it is closed and older than the cache window.
    pub async fn fetch_case(&self, id: CaseId) -> Result<LocalCase> {
        let api = self.0.engine.api().clone();
        let view = self.0.engine.authed(|| api.case(id)).await?;
        let timeline = self.0.engine.authed(|| api.timeline(id)).await?;
        let mut cache = lock(&self.0.cache);
        cache.upsert_server_cases(vec![view])?;
        cache.store_timeline(&timeline)?;
        cache.local_case(id, Utc::now())
    }

    pub async fn api_get(&self, path: &str) -> Result<serde_json::Value> {
        let api = self.0.engine.api().clone();
        self.0.engine.authed(|| api.get_json(path)).await
    }

    /// Online-only binary download (Excel exports) under `/api/v1`.
    pub async fn api_get_bytes(&self, path: &str) -> Result<Vec<u8>> {
        let api = self.0.engine.api().clone();
        self.0.engine.authed(|| api.get_bytes(path)).await
    }

    pub async fn api_post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let api = self.0.engine.api().clone();
        self.0.engine.authed(|| api.post_json(path, body)).await
    }

    /// `api_post` under an `Idempotency-Key` (bulk import): sent again with the same key
    /// after a lost answer, it gets the first answer and nothing is stored twice.
    pub async fn api_post_once(
        &self,
        path: &str,
        body: &serde_json::Value,
        key: &str,
    ) -> Result<serde_json::Value> {
        let api = self.0.engine.api().clone();
        self.0
            .engine
            .authed(|| api.post_json_once(path, body, key))
            .await
    }

    /// Online-only update (e.g. notification preferences), with the same token refresh.
    pub async fn api_put(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
        let api = self.0.engine.api().clone();
        self.0.engine.authed(|| api.put_json(path, body)).await
    }

    /// Online-only partial update (e.g. an admin changing a unit), with the same token refresh.
    pub async fn api_patch(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let api = self.0.engine.api().clone();
        self.0.engine.authed(|| api.patch_json(path, body)).await
    }

    /// Online-only delete (e.g. retiring a standard reply), with the same token refresh.
    pub async fn api_delete(&self, path: &str) -> Result<serde_json::Value> {
        let api = self.0.engine.api().clone();
        self.0.engine.authed(|| api.delete_json(path)).await
    }

    /// Org units and the own unit's people, for offline dispatch forms and 指派.
    /// Best effort: without a link the cached copies stay.
    async fn refresh_directory(&self) {
        let api = self.0.engine.api().clone();
        if let Ok(units) = self.0.engine.authed(|| api.units()).await {
            let _ = lock(&self.0.cache).replace_units(&units);
        }
        let unit = self.0.profile.unit_id;
        if let Ok(users) = self.0.engine.authed(|| api.unit_users(unit)).await {
            let _ = lock(&self.0.cache).replace_unit_users(unit, &users);
        }
    }
}

fn write_last_user(cfg: &SessionConfig, username: &str) {
    let last = LastUser {
        server_url: cfg.server_url.clone(),
        username: username.to_owned(),
    };
    if let Ok(json) = serde_json::to_vec(&last) {
        let _ = std::fs::write(cfg.data_dir.join(LAST_USER_FILE), json);
    }
}

/// Settings key of [`Session::print_folder`].
const PRINT_FOLDER: &str = "print_folder";

fn draft_key(name: &str) -> String {
    format!("draft:{name}")
}
