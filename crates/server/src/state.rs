//! Shared server state: the store, the org tree, calendar, SLA rules, settings, clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::config::Config;
use minsheng_domain::org::OrgTree;

use crate::error::ApiError;
use minsheng_store::Store;

/// The server's notion of now. Tests move a manual clock to cross holidays and deadlines.
#[derive(Clone)]
pub enum Clock {
    System,
    Manual(Arc<RwLock<DateTime<Utc>>>),
}

impl Clock {
    pub fn manual(at: DateTime<Utc>) -> Self {
        Self::Manual(Arc::new(RwLock::new(at)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Manual(t) => *t.read().unwrap_or_else(std::sync::PoisonError::into_inner),
        }
    }

    /// Moves a manual clock; no effect on the system clock.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Self::Manual(t) = self {
            *t.write().unwrap_or_else(std::sync::PoisonError::into_inner) = at;
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Password checks (failed or in progress) allowed per account within the window,
    /// from any address; then 429 without computing a hash.
    pub max_failures_per_account: u32,
    /// Failed password checks allowed per client address within the window before that
    /// address may only log in to accounts that logged in from it within
    /// `known_address_secs`. Generous: a station's desktops share one NAT address, and
    /// a user who logged in there before is never refused for others' failures.
    pub max_failures_per_address: u32,
    pub known_address_secs: i64,
    pub failure_window_secs: i64,
    /// Request body limit for ordinary endpoints and for bulk intake.
    pub body_limit: usize,
    pub bulk_body_limit: usize,
    /// Request body limit of `POST /sync/push` (up to 500 commands, some of them
    /// offline intakes with long texts). The desktop halves a batch answered 413.
    pub push_body_limit: usize,
    pub bulk_max_rows: usize,
    /// A login's absolute lifetime: its session family can be refreshed until login time
    /// plus this, then the user signs in again (default 12 h, a working day).
    pub session_absolute_secs: i64,
    /// A password older than this (等保 level 3: periodic change) still logs in, but the
    /// login answer and `/auth/me` say `mustChangePassword`.
    pub password_max_age_days: i64,
    /// How long an ordinary request may take before it answers 503 `REQUEST_TIMEOUT`.
    pub request_timeout: std::time::Duration,
    /// The same for sync push/pull and bulk intake (see `http::limits`).
    pub long_request_timeout: std::time::Duration,
    /// Requests in progress at once; beyond it the server answers 503 `OVERLOADED` at
    /// once instead of queueing.
    pub max_in_flight: usize,
    /// Lets callers off this machine read `/metrics` with `Authorization: Bearer …`
    /// (MINSHENG_METRICS_TOKEN); without it only loopback callers may.
    pub metrics_token: Option<crate::metrics::MetricsToken>,
    /// Attachment sizes: per file, per case, per upload chunk (`domain::attachment`).
    pub attachment_limits: minsheng_domain::attachment::AttachmentLimits,
    /// The city's desktop updater key (MINSHENG_UPDATER_PUBKEY[_FILE]); without it no
    /// desktop release can be published.
    pub updater_key: Option<crate::releases::UpdaterKey>,
    /// How desktops reach this server (`http://host:port`, MINSHENG_PUBLIC_URL), for the
    /// download address in an update manifest; without it the request's Host is used.
    pub public_url: Option<String>,
}

impl Settings {
    /// The limits a password check is reserved against.
    pub fn login_limits(&self) -> minsheng_store::LoginLimits {
        minsheng_store::LoginLimits {
            window_secs: self.failure_window_secs,
            per_account: self.max_failures_per_account,
            per_address: self.max_failures_per_address,
            known_secs: self.known_address_secs,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_ttl: Duration::minutes(15),
            refresh_ttl: Duration::days(30),
            max_failures_per_account: 5,
            max_failures_per_address: 100,
            known_address_secs: 30 * 24 * 3600,
            failure_window_secs: 15 * 60,
            body_limit: 256 * 1024,
            bulk_body_limit: 16 * 1024 * 1024,
            push_body_limit: 16 * 1024 * 1024,
            bulk_max_rows: 20_000,
            session_absolute_secs: 12 * 3600,
            password_max_age_days: 90,
            request_timeout: std::time::Duration::from_secs(30),
            long_request_timeout: std::time::Duration::from_mins(5),
            max_in_flight: 256,
            metrics_token: None,
            attachment_limits: minsheng_domain::attachment::AttachmentLimits::DEFAULT,
            updater_key: None,
            public_url: None,
        }
    }
}

pub struct AppState {
    pub store: Arc<dyn Store>,
    org: RwLock<Arc<OrgTree>>,
    /// Holiday calendar and SLA rules (SPEC §10: data, edited by the admin).
    config: RwLock<Arc<Config>>,
    pub settings: Settings,
    pub clock: Clock,
    /// Suggestion model (optional) and duplicate index; see `crate::intelligence`.
    pub intel: crate::intelligence::Intel,
    /// What `/metrics` reports; this state's own registry.
    pub metrics: crate::metrics::Metrics,
    /// The configuration version the cached org tree and configuration were read at:
    /// another instance's admin edit moves the database's version past it.
    loaded_version: AtomicI64,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    pub fn new(store: Arc<dyn Store>, settings: Settings, clock: Clock) -> Result<Self, ApiError> {
        // The version first: an edit while the rest is read is picked up afterwards.
        let version = store.config_version()?;
        let org = OrgTree::new(store.units()?)?;
        let config = Config::from_snapshot(&store.config_snapshot()?)?;
        let intel = crate::intelligence::Intel::default();
        intel.set_categories(config.active_categories().map(str::to_owned).collect());
        Ok(Self {
            store,
            org: RwLock::new(Arc::new(org)),
            config: RwLock::new(Arc::new(config)),
            settings,
            clock,
            intel,
            metrics: crate::metrics::Metrics::new(),
            loaded_version: AtomicI64::new(version),
        })
    }

    /// Reloads the org tree and the configuration when the database's configuration
    /// version moved (an admin edit through any instance); true when it did. Cheap
    /// otherwise: one read of the version.
    pub fn refresh_if_changed(&self) -> Result<bool, ApiError> {
        let version = self.store.config_version()?;
        if version == self.loaded_version.load(Ordering::Acquire) {
            return Ok(false);
        }
        self.reload_org()?;
        self.reload_config()?;
        self.loaded_version.store(version, Ordering::Release);
        Ok(true)
    }

    pub fn org(&self) -> Arc<OrgTree> {
        self.org
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reloads the org tree after an admin change.
    pub fn reload_org(&self) -> Result<(), ApiError> {
        let org = OrgTree::new(self.store.units()?)?;
        self.intel.set_units(&org);
        *self
            .org
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(org);
        Ok(())
    }

    /// The configuration in force (a cheap clone of a shared pointer).
    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reloads the configuration after an admin change.
    pub fn reload_config(&self) -> Result<(), ApiError> {
        let cfg = Config::from_snapshot(&self.store.config_snapshot()?)?;
        self.intel
            .set_categories(cfg.active_categories().map(str::to_owned).collect());
        *self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(cfg);
        Ok(())
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Runs blocking store work off the async runtime, inside the caller's tracing span
    /// (so what it logs carries the request id).
    pub async fn blocking<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
    {
        let me = Arc::clone(self);
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| f(&me)))
            .await
            .map_err(|e| ApiError::Internal(format!("task: {e}")))?
    }
}
