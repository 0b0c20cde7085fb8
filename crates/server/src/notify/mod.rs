//! The notify area (SPEC §6): follow-up (回访) by SMS, window-service follow-ups and
//! 温馨提示, the durable SMS outbox, inbound replies, and staff notifications.
//!
//! Everything time-driven happens in `run_once`, which takes time from `state.clock`:
//! `serve` runs it in a loop on the system clock; tests with a manual clock call it
//! themselves, so they are deterministic instead of sleeping.

pub mod aliyun;
pub mod config;
pub mod dead_letters;
pub mod devgw;
pub mod followup;
pub mod gateway;
pub mod inbound;
pub mod outbox;
pub mod service;
pub mod staff;
pub mod templates;

use std::sync::{Arc, Mutex, Weak};

use serde::Serialize;

pub use config::{AliyunConfig, GatewayConfig, NotifyConfig, Provider};
pub use gateway::{HttpGateway, SmsGateway};

use crate::error::ApiError;
use crate::metrics::Worker;
use crate::state::{AppState, Clock, SharedState};

/// The configured gateway and policy of one server state.
pub struct Notifier {
    pub config: NotifyConfig,
    pub gateway: Option<Arc<dyn SmsGateway>>,
}

impl Notifier {
    fn from_config(config: NotifyConfig) -> Result<Self, ApiError> {
        let gateway: Option<Arc<dyn SmsGateway>> = match &config.gateway {
            Some(g) => Some(match &g.provider {
                Provider::Generic => {
                    Arc::new(HttpGateway::new(g.clone()).map_err(ApiError::internal)?)
                }
                Provider::Aliyun(a) => Arc::new(
                    aliyun::AliyunGateway::new(g.url.clone(), a.clone(), g.timeout)
                        .map_err(ApiError::internal)?,
                ),
            }),
            None => None,
        };
        Ok(Self { config, gateway })
    }
}

/// Notifiers by server state. `AppState` belongs to another area, so the notify
/// configuration is attached here instead of as a field; entries die with their state.
static REGISTRY: Mutex<Vec<(Weak<AppState>, Arc<Notifier>)>> = Mutex::new(Vec::new());

fn register(state: &SharedState, n: Notifier) -> Arc<Notifier> {
    let n = Arc::new(n);
    let mut reg = REGISTRY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    reg.retain(|(w, _)| w.strong_count() > 0 && !std::ptr::eq(w.as_ptr(), Arc::as_ptr(state)));
    reg.push((Arc::downgrade(state), Arc::clone(&n)));
    n
}

/// Sets the gateway (the adapter its `provider` names) and policy for this server state.
pub fn configure(state: &SharedState, config: NotifyConfig) -> Result<Arc<Notifier>, ApiError> {
    Ok(register(state, Notifier::from_config(config)?))
}

/// Like `configure`, with another provider adapter.
pub fn configure_with_gateway(
    state: &SharedState,
    config: NotifyConfig,
    gateway: Arc<dyn SmsGateway>,
) -> Arc<Notifier> {
    register(
        state,
        Notifier {
            config,
            gateway: Some(gateway),
        },
    )
}

fn registered(state: &AppState) -> Option<Arc<Notifier>> {
    REGISTRY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|(w, _)| std::ptr::eq(w.as_ptr(), state) && w.strong_count() > 0)
        .map(|(_, n)| Arc::clone(n))
}

/// This state's notifier; from the environment when never configured.
pub fn notifier(state: &AppState) -> Arc<Notifier> {
    registered(state).unwrap_or_else(|| {
        let config = NotifyConfig::from_env();
        Arc::new(Notifier::from_config(config.clone()).unwrap_or(Notifier {
            config,
            gateway: None,
        }))
    })
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassReport {
    /// Duplicates that took their master's reply (首问负责) and so enter follow-up.
    pub duplicates_replied: usize,
    pub followups_opened: usize,
    pub phone_tasks: usize,
    pub notifications: usize,
    pub replies_reprocessed: usize,
    /// 优秀监督员 consultation rounds opened (one per period).
    pub supervisor_rounds: usize,
    pub sent: usize,
    pub failed: usize,
    pub dead: usize,
}

/// One pass of every notify worker: open follow-up rounds, turn unanswered rounds into
/// phone tasks, derive staff notifications, finish stranded replies, send due SMS.
pub async fn run_once(state: &SharedState) -> Result<PassReport, ApiError> {
    let n = {
        let s: &AppState = state;
        notifier(s)
    };
    let n2 = Arc::clone(&n);
    // Each step runs even when an earlier one failed (a broken row must not stop the
    // SMS queue); the first error is reported after all ran.
    let (mut report, first_err) = state
        .blocking(move |s| {
            // These steps run one instance at a time across the database (each is
            // idempotent, so the next instance's turn finds its work done); sending
            // below is shared safely by claims.
            let _across = s.store.worker_lock("notify", true)?;
            let mut r = PassReport::default();
            let mut err = None;
            // Before the follow-up rounds, so a duplicate's SMS goes out in this pass.
            match crate::first_response::pass(s, n2.config.batch) {
                Ok(k) => r.duplicates_replied = k,
                Err(e) => err = err.or(Some(e)),
            }
            match followup::pass(s, &n2.config) {
                Ok((opened, phone)) => {
                    r.followups_opened = opened;
                    r.phone_tasks = phone;
                }
                Err(e) => err = err.or(Some(e)),
            }
            match staff::pass(s, n2.config.batch) {
                Ok(k) => r.notifications = k,
                Err(e) => err = err.or(Some(e)),
            }
            match inbound::reprocess_pending(s) {
                Ok(k) => r.replies_reprocessed = k,
                Err(e) => err = err.or(Some(e)),
            }
            // Before sending below, so the surveys go out in this pass.
            match crate::supervisors::rounds::pass(s) {
                Ok(k) => r.supervisor_rounds = k,
                Err(e) => err = err.or(Some(e)),
            }
            Ok((r, err))
        })
        .await?;
    let sent = outbox::send_due(state, &n).await?;
    report.sent = sent.sent;
    report.failed = sent.failed;
    report.dead = sent.dead;
    match first_err {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

/// Starts this area's background workers on the current tokio runtime (called by `serve`).
/// Only on the system clock: with a manual clock time stands still unless a test moves
/// it, and that test drives `run_once` itself.
pub fn start_workers(state: &SharedState) {
    if !matches!(state.clock, Clock::System) {
        return;
    }
    if registered(state).is_none() {
        // Configured once from the environment rather than on every pass.
        let _ = configure(state, NotifyConfig::from_env())
            .map_err(|e| tracing::error!(error = %e, "notify configuration failed"));
    }
    state.metrics.worker_started(Worker::Notify);
    let weak = Arc::downgrade(state);
    tokio::spawn(async move {
        loop {
            let Some(state) = weak.upgrade() else { return };
            let interval = notifier(&state).config.interval;
            let outcome = run_once(&state).await;
            state.metrics.worker_pass(Worker::Notify, outcome.is_ok());
            match outcome {
                Ok(r) if r != PassReport::default() => tracing::info!(?r, "notify pass"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notify pass failed"),
            }
            drop(state);
            tokio::time::sleep(interval).await;
        }
    });
}
