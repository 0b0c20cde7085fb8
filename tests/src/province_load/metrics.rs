//! Every request's outcome, kept whole, and the per-endpoint figures made from them.
//!
//! Percentiles are exact: each sample is kept (16 bytes; the request cap bounds the
//! vector, 1,000,000 requests = 16 MB) and sorted once at the end, nearest-rank. An
//! HDR histogram would bound memory independently of the count but rounds to its
//! significant digits and adds a dependency; with the count capped, exact is cheaper.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

/// What a request was, as the table groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Endpoint {
    /// `POST /auth/login`, once per shared account.
    Login,
    /// `GET /sync/pull` pages of a desktop's first, full pull (no cursor yet).
    SnapshotPage,
    /// `GET /sync/pull` from a cursor, every pull interval.
    Pull,
    /// `POST /sync/push`, one burst of queued commands.
    Push,
    /// `POST /cases` by a clerk.
    Intake,
    /// `POST /cases/{id}/actions` dispatching the new case to a station.
    Dispatch,
}

impl Endpoint {
    pub const ALL: [Self; 6] = [
        Self::Login,
        Self::SnapshotPage,
        Self::Pull,
        Self::Push,
        Self::Intake,
        Self::Dispatch,
    ];

    pub const fn label(self) -> &'static str {
        match self {
            Self::Login => "login (POST /auth/login, one per account)",
            Self::SnapshotPage => "snapshot page (GET /sync/pull, no cursor)",
            Self::Pull => "pull (GET /sync/pull from cursor)",
            Self::Push => "push (POST /sync/push, one burst)",
            Self::Intake => "intake (POST /cases)",
            Self::Dispatch => "dispatch (POST /cases/{id}/actions)",
        }
    }
}

/// One request: when it started (ms after the load began), how long it took, the HTTP
/// status (0: no answer) and the body size.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub endpoint: Endpoint,
    pub instance: u8,
    pub status: u16,
    pub started_ms: u32,
    pub micros: u32,
    pub bytes: u32,
}

impl Sample {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Collects samples from every task, and enforces the request cap.
pub struct Recorder {
    pub started: Instant,
    samples: Mutex<Vec<Sample>>,
    issued: AtomicU64,
    max_requests: u64,
    /// Requests sent and not yet answered.
    pub in_flight: AtomicU64,
}

impl Recorder {
    pub fn new(started: Instant, max_requests: u64) -> Self {
        Self {
            started,
            samples: Mutex::new(Vec::with_capacity(200_000)),
            issued: AtomicU64::new(0),
            max_requests,
            in_flight: AtomicU64::new(0),
        }
    }

    /// Takes one request from the budget; false once the cap is reached.
    pub fn reserve(&self) -> bool {
        self.issued.fetch_add(1, Ordering::Relaxed) < self.max_requests
    }

    pub fn cap_reached(&self) -> bool {
        self.issued.load(Ordering::Relaxed) >= self.max_requests
    }

    pub fn ms_since_start(&self, at: Instant) -> u32 {
        at.saturating_duration_since(self.started).as_millis() as u32
    }

    pub fn record(&self, s: Sample) {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(s);
    }

    pub fn take(&self) -> Vec<Sample> {
        std::mem::take(&mut *self.samples.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// One row of the table.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSummary {
    pub endpoint: String,
    pub requests: usize,
    pub errors: usize,
    /// Errors by HTTP status ("0" = no answer: connect error or timeout).
    pub errors_by_status: std::collections::BTreeMap<String, usize>,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Requests per second over the window they were issued in.
    pub per_second: f64,
    pub mib_received: f64,
}

/// Nearest-rank percentile of sorted values: the smallest value with at least `p` of
/// the samples at or below it.
pub fn nearest_rank(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// Figures of `samples` (all of one kind) issued over `window`.
pub fn summarize<'a>(
    name: &str,
    samples: impl Iterator<Item = &'a Sample>,
    window: Duration,
) -> EndpointSummary {
    let mut micros = Vec::new();
    let mut errors_by_status = std::collections::BTreeMap::new();
    let mut bytes = 0u64;
    for s in samples {
        micros.push(s.micros);
        bytes += u64::from(s.bytes);
        if !s.ok() {
            *errors_by_status.entry(s.status.to_string()).or_insert(0) += 1;
        }
    }
    micros.sort_unstable();
    let ms = |us: u32| f64::from(us) / 1000.0;
    EndpointSummary {
        endpoint: name.to_owned(),
        requests: micros.len(),
        errors: errors_by_status.values().sum(),
        errors_by_status,
        p50_ms: ms(nearest_rank(&micros, 0.50)),
        p95_ms: ms(nearest_rank(&micros, 0.95)),
        p99_ms: ms(nearest_rank(&micros, 0.99)),
        max_ms: ms(micros.last().copied().unwrap_or(0)),
        per_second: micros.len() as f64 / window.as_secs_f64().max(1e-9),
        mib_received: bytes as f64 / (1024.0 * 1024.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(nearest_rank(&v, 0.5), 50);
        assert_eq!(nearest_rank(&v, 0.95), 95);
        assert_eq!(nearest_rank(&v, 0.99), 99);
        assert_eq!(nearest_rank(&v, 1.0), 100);
        assert_eq!(nearest_rank(&[7], 0.99), 7);
        assert_eq!(nearest_rank(&[], 0.5), 0);
    }

    #[test]
    fn errors_are_counted_by_status() {
        let mk = |status, micros| Sample {
            endpoint: Endpoint::Pull,
            instance: 0,
            status,
            started_ms: 0,
            micros,
            bytes: 1024 * 1024,
        };
        let s = [mk(200, 1000), mk(503, 5000), mk(0, 9000), mk(204, 2000)];
        let sum = summarize("pull", s.iter(), Duration::from_secs(2));
        assert_eq!(sum.requests, 4);
        assert_eq!(sum.errors, 2);
        assert_eq!(sum.errors_by_status["503"], 1);
        assert_eq!(sum.errors_by_status["0"], 1);
        assert!((sum.per_second - 2.0).abs() < 1e-9);
        assert!((sum.max_ms - 9.0).abs() < 1e-9);
        assert!((sum.mib_received - 4.0).abs() < 1e-9);
    }
}
