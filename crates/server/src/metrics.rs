//! What `/metrics` reports (Prometheus text format 0.0.4), one registry per server state.
//!
//! Counted as things happen: HTTP requests per route template (axum's `MatchedPath`,
//! never the raw path, so ids never become label values) and status class, with their
//! latency; sync pushes (commands and bytes per push, outcome per command) and pull pages
//! (cases per page and bytes); worker passes. Read at scrape time: the outbox depths and
//! the database's answer (`Store::queue_depths`, two indexed counts), the connection
//! pool, and each worker's lag (seconds since its last successful pass).
//!
//! Every metric is named `minsheng_*`; the list is in the crate's README.

use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use minsheng_domain::sync::CommandOutcome;
use minsheng_store::ops::{PoolStatus, QueueDepths};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

/// The `Content-Type` of a scrape's answer.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The route label of a request no route matched (404s of unknown paths, and requests
/// shed before routing).
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: &'static str,
    route: String,
    status_class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutboxLabels {
    outbox: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolStateLabels {
    pool: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WorkerLabels {
    worker: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: &'static str,
}

/// A background worker whose passes are watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worker {
    /// Facts, rollups, reports and alerts (`crate::assessment`).
    Assessment,
    /// Follow-up rounds, staff notifications, the SMS outbox (`crate::notify`).
    Notify,
}

impl Worker {
    const ALL: [Self; 2] = [Self::Assessment, Self::Notify];

    pub const fn label(self) -> &'static str {
        match self {
            Self::Assessment => "assessment",
            Self::Notify => "notify",
        }
    }

    const fn index(self) -> usize {
        match self {
            Self::Assessment => 0,
            Self::Notify => 1,
        }
    }
}

/// When a worker started and when its last pass succeeded (monotonic instants).
#[derive(Debug, Clone, Copy, Default)]
struct WorkerClock {
    started: Option<Instant>,
    last_success: Option<Instant>,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// What the scrape read from the store just before encoding.
#[derive(Debug, Clone, Copy)]
pub struct ScrapeReading {
    /// `None`: the database did not answer (in time); the depths are left out and
    /// `minsheng_database_up` is 0.
    pub depths: Option<QueueDepths>,
    pub pool: Option<PoolStatus>,
}

pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<HttpLabels, Histogram, fn() -> Histogram>,
    push_commands: Histogram,
    push_bytes: Histogram,
    push_outcomes: Family<OutcomeLabels, Counter>,
    pull_changes: Histogram,
    pull_bytes: Histogram,
    outbox_depth: Family<OutboxLabels, Gauge>,
    database_up: Gauge,
    pool_connections: Family<PoolStateLabels, Gauge>,
    pool_max: Family<PoolLabels, Gauge>,
    worker_lag: Family<WorkerLabels, FloatGauge>,
    worker_failures: Family<WorkerLabels, Counter>,
    workers: Mutex<[WorkerClock; 2]>,
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
    ])
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("minsheng");
        let build_info = Family::<VersionLabels, Gauge>::default();
        build_info
            .get_or_create(&VersionLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "The server's version (always 1)", build_info);

        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status class",
            http_requests.clone(),
        );
        let http_duration: Family<HttpLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time from receiving a request to its answer, by method, route template and status class",
            Unit::Seconds,
            http_duration.clone(),
        );

        // Pushes carry at most `MAX_PUSH_COMMANDS` (500) commands.
        let push_commands = Histogram::new([0.0, 1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0]);
        registry.register(
            "sync_push_commands",
            "Commands per accepted sync push (_count: pushes, _sum: commands)",
            push_commands.clone(),
        );
        // 1 KiB … 16 MiB (the push body limit).
        let push_bytes = Histogram::new(exponential_buckets(1024.0, 4.0, 8));
        registry.register_with_unit(
            "sync_push_request",
            "Request body size of accepted sync pushes",
            Unit::Bytes,
            push_bytes.clone(),
        );
        let push_outcomes = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "sync_push_command_results",
            "Pushed commands answered, by outcome (applied, rejected, conflict)",
            push_outcomes.clone(),
        );
        // Pages hold up to 500 cases.
        let pull_changes = Histogram::new([0.0, 1.0, 10.0, 50.0, 100.0, 200.0, 500.0]);
        registry.register(
            "sync_pull_changes",
            "Cases changed or removed per sync pull page (_count: pages, _sum: cases)",
            pull_changes.clone(),
        );
        let pull_bytes = Histogram::new(exponential_buckets(1024.0, 4.0, 8));
        registry.register_with_unit(
            "sync_pull_response",
            "Response body size of sync pull pages",
            Unit::Bytes,
            pull_bytes.clone(),
        );

        let outbox_depth = Family::<OutboxLabels, Gauge>::default();
        registry.register(
            "outbox_depth",
            "Waiting work at scrape time: SMS by state (pending, sending, dead) and unread \
             staff notifications",
            outbox_depth.clone(),
        );
        let database_up = Gauge::default();
        registry.register(
            "database_up",
            "1 when the database answered this scrape's reads in time, else 0",
            database_up.clone(),
        );
        let pool_connections = Family::<PoolStateLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Open pooled database connections by state (idle, in_use)",
            pool_connections.clone(),
        );
        let pool_max = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_max_connections",
            "The most connections the pool opens",
            pool_max.clone(),
        );

        let worker_lag = Family::<WorkerLabels, FloatGauge>::default();
        registry.register_with_unit(
            "worker_lag",
            "Time since the worker's last successful pass (since its start before the first); \
             a pass another instance ran counts as done",
            Unit::Seconds,
            worker_lag.clone(),
        );
        let worker_failures = Family::<WorkerLabels, Counter>::default();
        registry.register(
            "worker_pass_failures",
            "Worker passes that ended in an error",
            worker_failures.clone(),
        );

        Self {
            registry,
            http_requests,
            http_duration,
            push_commands,
            push_bytes,
            push_outcomes,
            pull_changes,
            pull_bytes,
            outbox_depth,
            database_up,
            pool_connections,
            pool_max,
            worker_lag,
            worker_failures,
            workers: Mutex::new([WorkerClock::default(); 2]),
        }
    }

    /// One answered request. `route` is the matched route template (or `UNMATCHED_ROUTE`).
    pub fn http_answered(&self, method: &Method, route: &str, status: StatusCode, took: Duration) {
        let labels = HttpLabels {
            method: method_label(method),
            route: route.to_owned(),
            status_class: status_class(status),
        };
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// An accepted push: the size of its body and each command's outcome.
    pub fn sync_pushed(&self, body_bytes: u64, outcomes: impl Iterator<Item = CommandOutcome>) {
        let mut commands = 0_u64;
        for outcome in outcomes {
            commands += 1;
            let outcome = match outcome {
                CommandOutcome::Applied => "applied",
                CommandOutcome::Rejected => "rejected",
                CommandOutcome::Conflict => "conflict",
            };
            self.push_outcomes
                .get_or_create(&OutcomeLabels { outcome })
                .inc();
        }
        self.push_commands.observe(commands as f64);
        self.push_bytes.observe(body_bytes as f64);
    }

    /// A pull page served: cases changed or removed, and the size of the answer.
    pub fn sync_pulled(&self, changes: usize, body_bytes: usize) {
        self.pull_changes.observe(changes as f64);
        self.pull_bytes.observe(body_bytes as f64);
    }

    /// The worker's loop started: its lag counts from now until its first success.
    pub fn worker_started(&self, worker: Worker) {
        let mut clocks = self.clocks();
        clocks[worker.index()]
            .started
            .get_or_insert_with(Instant::now);
    }

    /// A pass ended: successfully (also when another instance held the pass) or not.
    pub fn worker_pass(&self, worker: Worker, succeeded: bool) {
        if succeeded {
            self.clocks()[worker.index()].last_success = Some(Instant::now());
        } else {
            self.worker_failures
                .get_or_create(&WorkerLabels {
                    worker: worker.label(),
                })
                .inc();
        }
    }

    fn clocks(&self) -> std::sync::MutexGuard<'_, [WorkerClock; 2]> {
        self.workers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The exposition text, with the scrape-time values of `reading`.
    pub fn encode(&self, reading: &ScrapeReading) -> String {
        self.set_scrape_values(reading);
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }

    fn set_scrape_values(&self, reading: &ScrapeReading) {
        match reading.depths {
            Some(d) => {
                self.database_up.set(1);
                for (outbox, state, n) in [
                    ("sms", "pending", d.sms_pending),
                    ("sms", "sending", d.sms_sending),
                    ("sms", "dead", d.sms_dead),
                    ("staff_notifications", "unread", d.notifications_unread),
                ] {
                    self.outbox_depth
                        .get_or_create(&OutboxLabels { outbox, state })
                        .set(i64::try_from(n).unwrap_or(i64::MAX));
                }
            }
            None => {
                // Unknown rather than stale: the series go until the database answers.
                self.database_up.set(0);
                self.outbox_depth.clear();
            }
        }
        if let Some(p) = reading.pool {
            for (state, n) in [("idle", p.idle), ("in_use", p.in_use())] {
                self.pool_connections
                    .get_or_create(&PoolStateLabels {
                        pool: p.serves,
                        state,
                    })
                    .set(i64::from(n));
            }
            self.pool_max
                .get_or_create(&PoolLabels { pool: p.serves })
                .set(i64::from(p.max));
        }
        let now = Instant::now();
        let clocks = *self.clocks();
        for worker in Worker::ALL {
            let clock = clocks[worker.index()];
            // Only workers this instance runs (tests with a manual clock run no notify loop).
            let Some(since) = clock.last_success.or(clock.started) else {
                continue;
            };
            self.worker_lag
                .get_or_create(&WorkerLabels {
                    worker: worker.label(),
                })
                .set(now.saturating_duration_since(since).as_secs_f64());
        }
    }
}

/// The method as a label: the standard ones by name, any other as `other` (a client
/// chooses the method, so it must not mint label values).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(s: StatusCode) -> &'static str {
    match s.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The bearer token that lets a caller off this machine read `/metrics`
/// (MINSHENG_METRICS_TOKEN). Only its SHA-256 is kept, and `Debug` shows neither.
#[derive(Clone)]
pub struct MetricsToken([u8; 32]);

impl MetricsToken {
    /// `None` for an empty or blank token (then only this machine may scrape).
    pub fn new(token: &str) -> Option<Self> {
        let token = token.trim();
        (!token.is_empty()).then(|| Self(digest(token)))
    }

    /// Whether `presented` is the token. Digests are compared, so the time taken says
    /// nothing about how much of the token a guess got right.
    pub fn matches(&self, presented: &str) -> bool {
        digest(presented.trim()) == self.0
    }
}

fn digest(s: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes()).into()
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(..)")
    }
}
