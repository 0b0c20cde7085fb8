//! The assessment area (SPEC §7, 一网考): facts derived from case timelines, scores
//! and rankings (红黑榜), analytics, early warning, weekly/monthly reports.
//!
//! The facts worker follows the sync change log (`changes`) from a stored position:
//! each changed case's timeline is replayed (`replay`) into one analytics row and its
//! handling stints, written together with the per-day rollups they change and the new
//! position in one transaction, so the case write path is untouched, a crash never
//! skips a change, and dashboards (which sum rollup rows) never disagree with the facts.

pub mod alerts;
pub mod analytics;
pub mod board;
pub mod explain;
pub mod home;
pub mod period;
pub mod replay;
pub mod reports;
pub mod score;
pub mod xlsx;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

use crate::error::ApiError;
use crate::metrics::Worker;
use crate::state::{AppState, SharedState};

/// Change-log rows read per facts transaction.
const BATCH: usize = 2000;
/// How often the background worker looks for work.
const INTERVAL: Duration = Duration::from_secs(5);

/// The worker's lock: one facts update at a time in this process (the background
/// worker, a report generated on demand, tests calling `run_once`). Two overlapping
/// updates would each replay a changed case, and the one that read it first could
/// write last: that case's facts would stay behind its timeline while the stored
/// position says they are current.
pub static WORKER: WorkerLock = WorkerLock::new();

/// A mutex that also counts the threads waiting for it.
pub struct WorkerLock {
    mutex: Mutex<()>,
    waiting: AtomicUsize,
}

impl WorkerLock {
    const fn new() -> Self {
        Self {
            mutex: Mutex::new(()),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Blocks until no one else holds it.
    pub fn lock(&self) -> MutexGuard<'_, ()> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let guard = self
            .mutex
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        guard
    }

    /// Threads waiting for the lock right now (diagnostics; tests use it to know that
    /// a request is queued behind the worker).
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

/// What one run did.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub cases_updated: u64,
    pub position: u64,
    pub reports: usize,
    pub alerts: usize,
    /// Staff notifications created for alerts.
    pub alert_notifications: usize,
}

/// Brings the facts up to date with the change log under the worker's lock (waiting
/// for a pass in progress); returns cases updated and the new position.
pub fn update_facts(s: &AppState) -> Result<(u64, u64), ApiError> {
    let _pass = WORKER.lock();
    catch_up(s)
}

/// `update_facts` for a caller that holds `WORKER`.
fn catch_up(s: &AppState) -> Result<(u64, u64), ApiError> {
    let org = s.org();
    let cfg = s.config();
    let mut pos = s.store.facts_position()?;
    let mut n = 0;
    loop {
        let (ids, next) = s.store.changed_cases(pos, BATCH)?;
        if next == pos {
            return Ok((n, pos));
        }
        let facts: Vec<_> = s
            .store
            .cases_with_timelines(&ids)?
            .iter()
            .map(|(c, t)| replay::replay(c, t, &org, &cfg))
            .collect();
        s.store.write_facts(&facts, next)?;
        n += facts.len() as u64;
        pos = next;
    }
}

/// One pass of the worker at `state.clock.now()`: facts (and their rollups), scheduled
/// reports, alerts and their push to the units' staff.
pub fn run_once(s: &AppState) -> Result<RunSummary, ApiError> {
    let _guard = WORKER.lock();
    // One pass at a time across every instance on the database; a second instance's
    // pass then finds the facts current and the reports made.
    let _across = s.store.worker_lock(WORKER_LOCK, true)?;
    pass(s)
}

/// The periodic pass: skipped when another instance is running one.
fn run_if_free(s: &AppState) -> Result<Option<RunSummary>, ApiError> {
    let _guard = WORKER.lock();
    let Some(_across) = s.store.worker_lock(WORKER_LOCK, false)? else {
        return Ok(None);
    };
    pass(s).map(Some)
}

/// The database-wide lock of assessment passes (`Store::worker_lock`).
const WORKER_LOCK: &str = "assessment";

fn pass(s: &AppState) -> Result<RunSummary, ApiError> {
    let now = s.now();
    let (cases_updated, position) = catch_up(s)?;
    let reports = reports::run_schedule(s, now)?.len();
    // Weekly counts only move when facts do.
    let alerts = if cases_updated > 0 {
        alerts::evaluate(s, now)?.len()
    } else {
        0
    };
    let alert_notifications = alerts::push_pending(s)?;
    Ok(RunSummary {
        cases_updated,
        position,
        reports,
        alerts,
        alert_notifications,
    })
}

/// A report made on request, replacing the period's report: the facts are brought up
/// to date and the report built under the worker's lock, as the worker's own scheduled
/// reports are, so the two never update the facts at once.
pub fn report_now(
    s: &AppState,
    period: period::Period,
    by: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<minsheng_store::assessment::ReportRecord, ApiError> {
    let _pass = WORKER.lock();
    let _across = s.store.worker_lock(WORKER_LOCK, true)?;
    catch_up(s)?;
    reports::generate(s, period, by, now, true)?
        .ok_or_else(|| ApiError::Internal("report not stored".into()))
}

/// Starts this area's background workers on the current tokio runtime (called by `serve`).
///
/// A pass skipped because another instance holds the database-wide lock counts as done
/// for `minsheng_worker_lag_seconds`: the work is that instance's, whose own lag grows
/// if it stalls.
pub fn start_workers(state: &SharedState) {
    let state = Arc::clone(state);
    state.metrics.worker_started(Worker::Assessment);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let s = Arc::clone(&state);
            let outcome = tokio::task::spawn_blocking(move || run_if_free(&s)).await;
            state
                .metrics
                .worker_pass(Worker::Assessment, matches!(outcome, Ok(Ok(_))));
            match outcome {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "assessment worker"),
                Err(e) => tracing::warn!(error = %e, "assessment worker panicked"),
            }
        }
    });
}
