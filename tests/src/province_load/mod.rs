//! `province-load` (issue 15, "Under load"): many simulated desktops and the clerks'
//! intakes against server instances on one database, on this machine. A benchmark: it
//! measures and prints; it asserts nothing about time. See `tests/src/bin/province_load.rs`
//! and `scripts/province-load.sh`.
//!
//! * `args`: flags, loopback-only addresses.
//! * `accounts`: the accounts (admin API), shared logins, the desktops' plan.
//! * `desktop`: one desktop (snapshot, pulls, a push burst) and the push checks.
//! * `intake`: clerks' intakes and dispatches; the end-of-run intake check.
//! * `instances`, `metrics`: timed requests per endpoint, exact percentiles.
//! * `procstat`, `usage`: CPU and memory from `/proc`.
//! * `report`: the table and its JSON.

pub mod accounts;
pub mod args;
pub mod desktop;
pub mod instances;
pub mod intake;
pub mod metrics;
pub mod procstat;
pub mod report;
pub mod usage;

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use accounts::DesktopKind;
use args::LoadArgs;
use desktop::{LoadContext, PushTally};
use instances::{ErrorLog, Instance};
use intake::{Checker, IntakeLog};
use metrics::{summarize, Endpoint, Recorder, Sample};
use report::{ErrorRow, InstanceRow, PushCheck, Report, RunInfo, TARGET_P95_MS};
use usage::UsageSampler;

/// The account of the end-of-run intake check (it sees every case).
const CHECKER: &str = "clerk";

/// Runs the whole benchmark; `Err` is a setup failure.
pub async fn run(args: LoadArgs) -> Result<Report, String> {
    let instances = args
        .servers
        .iter()
        .enumerate()
        .map(|(i, s)| Instance::new(i as u8, s))
        .collect::<Result<Vec<_>, _>>()?;
    eprintln!(
        "[load] reading accounts and units through {}",
        args.servers[0]
    );
    let dir = accounts::read_directory(&instances[0], &args.password).await?;
    let plan = accounts::plan(&args, &dir, instances.len())?;
    let mut used: Vec<&str> = plan.iter().map(|p| p.account.username.as_str()).collect();
    used.sort_unstable();
    used.dedup();
    let accounts_used = used.len();
    let count = |k: DesktopKind| plan.iter().filter(|p| p.account.kind == k).count();
    let (station, supervisor, city) = (
        count(DesktopKind::Station),
        count(DesktopKind::Supervisor),
        count(DesktopKind::City),
    );
    let pushing = plan.iter().filter(|p| p.push_after.is_some()).count();
    let cold = plan.iter().filter(|p| p.snapshot).count();
    eprintln!(
        "[load] {} desktops ({station} station, {supervisor} supervisor, {city} city) on {accounts_used} accounts; {cold} start with a snapshot; {pushing} push",
        plan.len()
    );
    eprintln!("[load] checker `{CHECKER}` syncs the whole city before the load");
    let (checker, warm) = Checker::prime(&instances[0], CHECKER, &args.password, &dir).await?;
    eprintln!(
        "[load] checker holds {} cases; load starts",
        checker.snapshot_cases
    );

    let load_before = procstat::load_average();
    let started = Instant::now() + Duration::from_millis(200);
    let ctx = Arc::new(LoadContext {
        rec: Recorder::new(started, args.max_requests),
        errors: ErrorLog::default(),
        instances,
        password: args.password.clone(),
        logins: tokio::sync::Semaphore::new(args.login_concurrency),
        pull_interval: args.pull_interval,
        end: started + args.duration,
        seed: args.seed,
        pushes: PushTally::default(),
        last_snapshot_ms: AtomicU32::new(0),
        snapshots_done: AtomicU64::new(0),
        desktops_without_session: AtomicU64::new(0),
        desktops_running: AtomicU64::new(0),
        warm,
    });
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(sample_usage(
        ctx.clone(),
        stop.clone(),
        UsageSampler::new(args.server_pids.clone(), args.pg_pid),
    ));
    let mut desktops = tokio::task::JoinSet::new();
    for p in plan {
        desktops.spawn(desktop::run(p, ctx.clone()));
    }
    let log = Arc::new(IntakeLog::default());
    let intakes = intake::run(ctx.clone(), &dir, args.intake_rate, log.clone());
    let ((), ()) = tokio::join!(intakes, async {
        while let Some(r) = desktops.join_next().await {
            if let Err(e) = r {
                eprintln!("[load] a desktop task failed: {e}");
            }
        }
    });
    stop.store(true, Ordering::Relaxed);
    let sampler = sampler.await.map_err(|e| e.to_string())?;
    let usage = sampler.usage();
    let load_after = procstat::load_average();
    eprintln!(
        "[load] load done in {:.1} s; checking intakes",
        usage.window_seconds
    );

    let check_instance = ctx.instances.last().ok_or("no instance")?;
    let intakes = checker.verify(check_instance, &log.created()).await?;

    let samples = ctx.rec.take();
    let window = args.duration;
    let last_snapshot_ms = ctx.last_snapshot_ms.load(Ordering::Relaxed);
    let mut endpoints = Vec::new();
    for e in Endpoint::ALL {
        endpoints.push(summarize(
            e.label(),
            samples.iter().filter(|s| s.endpoint == e),
            window,
        ));
        if e == Endpoint::Pull {
            // Every desktop started and no snapshot left: the steady state.
            let steady_ms = last_snapshot_ms.max(args.ramp.min(window).as_millis() as u32);
            let after = window.saturating_sub(Duration::from_millis(u64::from(steady_ms)));
            endpoints.push(summarize(
                "pull, after the ramp and the last snapshot (steady state)",
                samples
                    .iter()
                    .filter(|s| s.endpoint == e && s.started_ms >= steady_ms),
                after,
            ));
        }
    }
    endpoints.push(summarize("all requests", samples.iter(), window));
    let instances: Vec<InstanceRow> = ctx
        .instances
        .iter()
        .map(|inst| {
            let mine: Vec<&Sample> = samples
                .iter()
                .filter(|s| s.instance == inst.index)
                .collect();
            let sum = summarize("", mine.into_iter(), window);
            let i = usize::from(inst.index);
            InstanceRow {
                url: inst.base.trim_end_matches("/api/v1").to_owned(),
                pid: args.server_pids.get(i).copied(),
                requests: sum.requests,
                errors: sum.errors,
                p95_ms: sum.p95_ms,
                cpu: usage.servers.get(i).cloned().flatten(),
                peak_rss_mib: usage.server_peak_rss_mib.get(i).copied().flatten(),
                rss_at_end_mib: usage.server_rss_at_end_mib.get(i).copied().flatten(),
            }
        })
        .collect();
    let errors = ctx
        .errors
        .counts()
        .into_iter()
        .map(|((endpoint, status_and_code), count)| ErrorRow {
            endpoint: format!("{endpoint:?}"),
            status_and_code,
            count,
        })
        .collect();
    let t = &ctx.pushes;
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let pushes = PushCheck {
        bursts_answered: get(&t.bursts_answered),
        commands_sent: get(&t.commands_sent),
        commands_in_answered_bursts: get(&t.commands_answered),
        acked_exactly_once: get(&t.acked_once),
        missing: get(&t.missing),
        acked_twice_or_more: get(&t.duplicated),
        unexpected_ids: get(&t.unexpected),
        ack_seq_below_last_sent: get(&t.ack_seq_short),
        applied: get(&t.applied),
        rejected: get(&t.rejected),
        conflict: get(&t.conflict),
    };
    let target_missed_by = endpoints
        .iter()
        .filter(|e| e.requests > 0 && (e.p95_ms >= TARGET_P95_MS || e.errors > 0))
        .map(|e| {
            format!(
                "{} (p95 {:.1} ms, {} errors)",
                e.endpoint, e.p95_ms, e.errors
            )
        })
        .collect();
    let correctness_passed = pushes.passed() && intakes.passed();
    Ok(Report {
        run: RunInfo {
            servers: args.servers.clone(),
            desktops: args.desktops,
            station_desktops: station,
            supervisor_desktops: supervisor,
            city_desktops: city,
            accounts_used,
            pushing_desktops: pushing,
            snapshot_desktops: cold,
            duration_seconds: args.duration.as_secs_f64(),
            ramp_seconds: args.ramp.as_secs_f64(),
            pull_interval_seconds: args.pull_interval.as_secs_f64(),
            intake_rate_per_second: args.intake_rate,
            max_requests: args.max_requests,
            requests_issued: samples.len(),
            cap_reached: ctx.rec.cap_reached(),
            seed: args.seed,
            checker_snapshot_cases: checker.snapshot_cases,
            load_average_before: load_before,
            load_average_after: load_after,
            notes: args.notes.clone(),
        },
        endpoints,
        instances,
        usage,
        errors,
        snapshots_completed: get(&ctx.snapshots_done),
        desktops_without_session: get(&ctx.desktops_without_session),
        last_snapshot_seconds: f64::from(last_snapshot_ms) / 1000.0,
        pushes,
        intakes: Some(intakes),
        target_missed_by,
        correctness_passed,
    })
}

/// Reads CPU counters once a second from the start of the load until `stop`, and says
/// how far the run is every ten seconds.
async fn sample_usage(
    ctx: Arc<LoadContext>,
    stop: Arc<AtomicBool>,
    mut sampler: UsageSampler,
) -> UsageSampler {
    tokio::time::sleep_until(ctx.rec.started.into()).await;
    let mut every = tokio::time::interval(Duration::from_secs(1));
    let mut n = 0u64;
    loop {
        every.tick().await;
        sampler.read();
        if stop.load(Ordering::Relaxed) {
            return sampler;
        }
        n += 1;
        if n.is_multiple_of(10) {
            let errors: usize = ctx.errors.counts().values().sum();
            eprintln!(
                "[load] {n:>4} s: {} snapshots done, {} desktops running, {} requests in flight, {errors} errors, load average {}",
                ctx.snapshots_done.load(Ordering::Relaxed),
                ctx.desktops_running.load(Ordering::Relaxed),
                ctx.rec.in_flight.load(Ordering::Relaxed),
                procstat::load_average()
            );
        }
    }
}
