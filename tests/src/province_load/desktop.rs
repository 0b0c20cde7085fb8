//! One simulated desktop: at its start time a full pull (the snapshot, page by page,
//! like the desktop's first sync), then a pull from its cursor every interval, and —
//! for a tenth of them — one burst of queued offline commands pushed at a random time.
//! It keeps only what the protocol needs (cursor, config version, epoch, command
//! sequence) and a small sample of the cases it saw to aim its commands at.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use minsheng_domain::case::CaseState;
use minsheng_domain::ids::{CaseId, CommandId, UnitId};
use minsheng_domain::role::Role;
use minsheng_domain::sync::{CommandOutcome, PushCommand, PushRequest};
use minsheng_domain::workflow::Action;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

use super::accounts::{DesktopKind, DesktopPlan};
use super::instances::{send, ErrorLog, Instance, Outcome};
use super::metrics::{Endpoint, Recorder};

/// Cases per pull page, as the desktop asks (`minsheng_client::sync::PULL_PAGE`).
pub const PULL_PAGE: usize = minsheng_client::sync::PULL_PAGE;
/// Cases a desktop remembers to aim its queued commands at.
const KNOWN_CASES: usize = 32;

/// What every desktop task shares.
pub struct LoadContext {
    pub rec: Recorder,
    pub errors: ErrorLog,
    pub instances: Vec<Instance>,
    pub password: String,
    /// Logins in progress at once (see `--login-concurrency`).
    pub logins: tokio::sync::Semaphore,
    pub pull_interval: Duration,
    /// No request starts after this.
    pub end: Instant,
    pub seed: u64,
    pub pushes: PushTally,
    /// When the last desktop finished its snapshot (ms after the start): the pulls
    /// after it are the steady state.
    pub last_snapshot_ms: AtomicU32,
    pub snapshots_done: AtomicU64,
    pub desktops_without_session: AtomicU64,
    /// Desktop tasks not yet finished.
    pub desktops_running: AtomicU64,
    pub warm: WarmStart,
}

impl LoadContext {
    fn running(&self) -> bool {
        Instant::now() < self.end && !self.rec.cap_reached()
    }

    /// Sleeps until `at`, or until the load window ends if that comes first.
    async fn sleep_until(&self, at: Instant) {
        tokio::time::sleep_until(at.min(self.end).into()).await;
    }
}

/// Push answers checked against what was sent: every command acknowledged exactly once.
#[derive(Default)]
pub struct PushTally {
    pub bursts_answered: AtomicU64,
    pub commands_sent: AtomicU64,
    /// Commands in the bursts that were answered 200.
    pub commands_answered: AtomicU64,
    pub acked_once: AtomicU64,
    pub missing: AtomicU64,
    pub duplicated: AtomicU64,
    pub unexpected: AtomicU64,
    /// Answers whose `ackSeq` is below the highest sequence number sent.
    pub ack_seq_short: AtomicU64,
    pub applied: AtomicU64,
    pub rejected: AtomicU64,
    pub conflict: AtomicU64,
}

/// The columns of a pulled case view the desktop needs here (the rest is skipped).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseHead {
    pub id: CaseId,
    pub version: u64,
    pub state: CaseState,
    #[serde(default)]
    pub handling_unit: Option<UnitId>,
}

/// Where a desktop that synced before the load stands: the cursor of a complete pull
/// taken just before it, and some of the cases it holds (to aim its commands at).
#[derive(Default)]
pub struct WarmStart {
    pub cursor: String,
    /// The newest cases by handling unit, and by that unit's parent (a supervisor's).
    pub by_unit: HashMap<UnitId, Vec<CaseHead>>,
    /// The newest cases of the city.
    pub newest: Vec<CaseHead>,
}

/// Cases kept per unit for the warm desktops.
pub const WARM_CASES_PER_UNIT: usize = 256;

impl WarmStart {
    /// From a complete pull of the whole city (oldest change first).
    pub fn new(cursor: String, cases: Vec<CaseHead>, parents: &HashMap<UnitId, UnitId>) -> Self {
        let mut by_unit: HashMap<UnitId, Vec<CaseHead>> = HashMap::new();
        let keep = |v: &mut Vec<CaseHead>| {
            if v.len() > 2 * WARM_CASES_PER_UNIT {
                v.drain(..v.len() - WARM_CASES_PER_UNIT);
            }
        };
        for c in &cases {
            let Some(unit) = c.handling_unit else {
                continue;
            };
            for u in std::iter::once(unit).chain(parents.get(&unit).copied()) {
                let v = by_unit.entry(u).or_default();
                v.push(c.clone());
                keep(v);
            }
        }
        for v in by_unit.values_mut() {
            let excess = v.len().saturating_sub(WARM_CASES_PER_UNIT);
            v.drain(..excess);
        }
        let newest = cases[cases.len().saturating_sub(WARM_CASES_PER_UNIT)..].to_vec();
        Self {
            cursor,
            by_unit,
            newest,
        }
    }

    fn cases_for(&self, kind: DesktopKind, unit: UnitId) -> &[CaseHead] {
        match kind {
            DesktopKind::City => &self.newest,
            _ => self.by_unit.get(&unit).map_or(&[], Vec::as_slice),
        }
    }
}

#[derive(Deserialize)]
pub struct ConfigHead {
    pub version: i64,
}

/// A pull page as far as this generator reads it (timelines are skipped unparsed).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageHead {
    pub changes: Vec<CaseHead>,
    pub next_cursor: String,
    pub has_more: bool,
    #[serde(default)]
    pub epoch: Option<String>,
    #[serde(default)]
    pub config: Option<ConfigHead>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PushAnswer {
    results: Vec<Ack>,
    ack_seq: u64,
}

#[derive(Deserialize)]
struct Ack {
    id: CommandId,
    status: CommandOutcome,
}

struct Desktop {
    plan: DesktopPlan,
    token: String,
    install: uuid::Uuid,
    seq: u64,
    cursor: Option<String>,
    /// Where the last complete pull ended (`timelinesSince`).
    complete_at: Option<String>,
    config_version: i64,
    epoch: Option<String>,
    known: Vec<CaseHead>,
    seen: u64,
    rng: StdRng,
}

/// Runs one desktop until the load window ends.
pub async fn run(plan: DesktopPlan, ctx: Arc<LoadContext>) {
    ctx.desktops_running.fetch_add(1, Ordering::Relaxed);
    run_desktop(plan, &ctx).await;
    ctx.desktops_running.fetch_sub(1, Ordering::Relaxed);
}

async fn run_desktop(plan: DesktopPlan, ctx: &LoadContext) {
    let start = ctx.rec.started + plan.start_after;
    ctx.sleep_until(start).await;
    if !ctx.running() {
        return;
    }
    // Signs in (the account's shared login); after a failure, again at the next tick.
    let mut tick = start;
    let instance = &ctx.instances[plan.instance];
    let token = loop {
        if let Some(t) = plan.account.token(ctx, instance).await {
            break t;
        }
        tick = next_tick(tick, ctx.pull_interval);
        ctx.sleep_until(tick).await;
        if !ctx.running() {
            ctx.desktops_without_session.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    let mut d = Desktop {
        rng: StdRng::seed_from_u64(ctx.seed ^ (plan.index as u64).wrapping_mul(0x9E37_79B9)),
        plan,
        token,
        install: uuid::Uuid::now_v7(),
        seq: 0,
        cursor: None,
        complete_at: None,
        config_version: 0,
        epoch: None,
        known: Vec::with_capacity(KNOWN_CASES),
        seen: 0,
    };
    if !d.plan.snapshot {
        // Synced before the load: its cursor and some of its cases.
        d.cursor = Some(ctx.warm.cursor.clone());
        d.complete_at.clone_from(&d.cursor);
        let held = ctx.warm.cases_for(d.plan.account.kind, d.plan.account.unit);
        for _ in 0..KNOWN_CASES.min(held.len()) {
            let c = held[d.rng.random_range(0..held.len())].clone();
            d.remember(c);
        }
    }
    // The snapshot; a failed page is asked again at the next tick, from its cursor.
    while ctx.running() && d.complete_at.is_none() {
        if d.pull_all(ctx, Endpoint::SnapshotPage).await {
            let now = ctx.rec.ms_since_start(Instant::now());
            ctx.last_snapshot_ms.fetch_max(now, Ordering::Relaxed);
            ctx.snapshots_done.fetch_add(1, Ordering::Relaxed);
        } else {
            tick = next_tick(tick, ctx.pull_interval);
            ctx.sleep_until(tick).await;
        }
    }
    let mut push_at = d.plan.push_after.map(|p| ctx.rec.started + p);
    // A warm desktop pulls at once; after a snapshot, the next pull is a tick later.
    let mut pull_at = if d.plan.snapshot {
        next_tick(tick, ctx.pull_interval)
    } else {
        tick
    };
    loop {
        let wake = push_at.map_or(pull_at, |p| p.min(pull_at));
        ctx.sleep_until(wake).await;
        if !ctx.running() {
            return;
        }
        if push_at.is_some_and(|p| p <= Instant::now()) {
            push_at = None;
            d.push_burst(ctx).await;
            continue;
        }
        d.pull_all(ctx, Endpoint::Pull).await;
        pull_at = next_tick(pull_at, ctx.pull_interval);
    }
}

/// The next multiple of `interval` after `from` that lies in the future (ticks missed
/// while a request was slow are skipped, as the desktop's timer does).
fn next_tick(from: Instant, interval: Duration) -> Instant {
    let mut t = from + interval;
    let now = Instant::now();
    while t <= now {
        t += interval;
    }
    t
}

impl Desktop {
    /// Pulls page by page until `hasMore` is false; false when a page failed (the
    /// cursor stays at the last page applied, as the desktop's does).
    async fn pull_all(&mut self, ctx: &LoadContext, endpoint: Endpoint) -> bool {
        let instance = &ctx.instances[self.plan.instance];
        loop {
            if !ctx.running() {
                return false;
            }
            let mut query = vec![
                ("limit", PULL_PAGE.to_string()),
                ("installId", self.install.to_string()),
                ("configVersion", self.config_version.to_string()),
            ];
            query.extend(self.cursor.clone().map(|c| ("cursor", c)));
            query.extend(self.complete_at.clone().map(|c| ("timelinesSince", c)));
            let rb = instance
                .http
                .get(instance.url("/sync/pull"))
                .query(&query)
                .bearer_auth(&self.token);
            let page: PageHead = match send(&ctx.rec, &ctx.errors, instance, endpoint, rb).await {
                Outcome::Ok(p) => p,
                Outcome::Failed | Outcome::NotSent => return false,
            };
            if let Some(c) = &page.config {
                self.config_version = c.version;
            }
            if page.epoch.is_some() {
                self.epoch = page.epoch;
            }
            for c in page.changes {
                self.remember(c);
            }
            self.cursor = Some(page.next_cursor);
            if !page.has_more {
                self.complete_at.clone_from(&self.cursor);
                return true;
            }
        }
    }

    /// Keeps a uniform sample of the cases seen (reservoir), the newest version of each.
    fn remember(&mut self, c: CaseHead) {
        if let Some(k) = self.known.iter_mut().find(|k| k.id == c.id) {
            *k = c;
            return;
        }
        self.seen += 1;
        if self.known.len() < KNOWN_CASES {
            self.known.push(c);
        } else {
            let j = self.rng.random_range(0..self.seen);
            if let Some(slot) = self.known.get_mut(j as usize) {
                *slot = c;
            }
        }
    }

    /// What an offline station queues on a case it holds: sign-ins, replies, notes.
    fn queued_action(&mut self, case: &CaseHead) -> Action {
        let handler = matches!(self.plan.account.role, Role::Officer | Role::UnitHead);
        match case.state {
            CaseState::PendingSignIn if handler => Action::SignIn,
            CaseState::InProgress if handler && self.rng.random_bool(0.3) => Action::SubmitReply {
                text: "经核查，已到现场了解情况并协调相关单位处理，已向群众说明处理结果，群众表示理解。"
                    .into(),
            },
            _ => Action::AddNote {
                text: format!(
                    "离线备注（第{}条）：已电话联系当事人，约定上门核实情况。",
                    self.seq + 1
                ),
            },
        }
    }

    async fn push_burst(&mut self, ctx: &LoadContext) {
        if self.known.is_empty() {
            return;
        }
        let now = Utc::now();
        let mut commands = Vec::with_capacity(self.plan.burst);
        for _ in 0..self.plan.burst {
            let case = self.known[self.rng.random_range(0..self.known.len())].clone();
            let action = self.queued_action(&case);
            self.seq += 1;
            commands.push(PushCommand {
                id: CommandId::mint(now),
                seq: self.seq,
                case_id: Some(case.id),
                base_version: Some(case.version),
                action: serde_json::to_value(&action).ok(),
                intake: None,
                device_at: Some(now - chrono::Duration::minutes(self.rng.random_range(1..240))),
            });
        }
        let sent: Vec<CommandId> = commands.iter().map(|c| c.id).collect();
        let req = PushRequest {
            install_id: self.install,
            epoch: self.epoch.clone(),
            commands,
        };
        let instance = &ctx.instances[self.plan.instance];
        let rb = instance
            .http
            .post(instance.url("/sync/push"))
            .bearer_auth(&self.token)
            .json(&req);
        let t = &ctx.pushes;
        t.commands_sent
            .fetch_add(sent.len() as u64, Ordering::Relaxed);
        let Outcome::Ok(answer) =
            send::<PushAnswer>(&ctx.rec, &ctx.errors, instance, Endpoint::Push, rb).await
        else {
            return;
        };
        t.bursts_answered.fetch_add(1, Ordering::Relaxed);
        t.commands_answered
            .fetch_add(sent.len() as u64, Ordering::Relaxed);
        let mut seen = std::collections::HashMap::with_capacity(sent.len());
        for a in &answer.results {
            *seen.entry(a.id).or_insert(0u32) += 1;
            let outcome = match a.status {
                CommandOutcome::Applied => &t.applied,
                CommandOutcome::Rejected => &t.rejected,
                CommandOutcome::Conflict => &t.conflict,
            };
            outcome.fetch_add(1, Ordering::Relaxed);
        }
        for id in &sent {
            let counter = match seen.remove(id) {
                Some(1) => &t.acked_once,
                Some(_) => &t.duplicated,
                None => &t.missing,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        t.unexpected.fetch_add(seen.len() as u64, Ordering::Relaxed);
        if answer.ack_seq < self.seq {
            t.ack_seq_short.fetch_add(1, Ordering::Relaxed);
        }
    }
}
