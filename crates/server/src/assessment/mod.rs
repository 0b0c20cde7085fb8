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

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::error::ApiError;
use crate::state::{AppState, SharedState};

/// Change-log rows read per facts transaction.
const BATCH: usize = 2000;
/// How often the background worker looks for work.
const INTERVAL: Duration = Duration::from_secs(5);

/// Serialises runs (background worker and tests calling `run_once`).
static RUN: Mutex<()> = Mutex::new(());

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

/// Brings the facts up to date with the change log; returns cases updated.
pub fn update_facts(s: &AppState) -> Result<(u64, u64), ApiError> {
    let org = s.org();
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
            .map(|(c, t)| replay::replay(c, t, &org, &s.calendar, &s.sla))
            .collect();
        s.store.write_facts(&facts, next)?;
        n += facts.len() as u64;
        pos = next;
    }
}

/// One pass of the worker at `state.clock.now()`: facts (and their rollups), scheduled
/// reports, alerts and their push to the units' staff.
pub fn run_once(s: &AppState) -> Result<RunSummary, ApiError> {
    let _guard = RUN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let now = s.now();
    let (cases_updated, position) = update_facts(s)?;
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

/// Starts this area's background workers on the current tokio runtime (called by `serve`).
pub fn start_workers(state: &SharedState) {
    let state = Arc::clone(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let s = Arc::clone(&state);
            match tokio::task::spawn_blocking(move || run_once(&s)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "assessment worker"),
                Err(e) => tracing::warn!(error = %e, "assessment worker panicked"),
            }
        }
    });
}
