//! The desktop client process killed with SIGKILL at random points of a sync, 50+
//! times, restarted each time: no command lost or applied twice, cache not corrupted.
//!
//! Two kinds of kill: at a random instant within a typical run (the instant adapts to
//! how long runs take on this machine), and aimed at the dangerous window — the moment
//! the server has committed a command from this install, while its answer is held back
//! by the proxy. After every kill the cache is compared with the server's log: a command
//! the server processed that the killed client still holds as unacknowledged proves the
//! kill landed between the server's commit and the client's acknowledgement. The test
//! requires such kills to have happened, instead of hoping they did.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use minsheng_client::outbox::CommandStatus;
use minsheng_client::{DbKey, LocalCache};
use minsheng_tests::checks::{
    assert_cache_file_intact, assert_cases_sound, assert_converged, assert_exactly_once,
};
use minsheng_tests::proxy::{Fault, FaultProxy, Plan};
use minsheng_tests::server::CityServer;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

const KILLS: usize = 55;

struct ClientRun<'a> {
    cache: &'a Path,
    key: &'a DbKey,
    server: &'a str,
    token: &'a str,
}

impl ClientRun<'_> {
    fn spawn(&self, queue: usize) -> Child {
        Command::new(env!("CARGO_BIN_EXE_sync-client"))
            .env("MS_CACHE", self.cache)
            .env("MS_KEY", self.key.to_hex().as_str())
            .env("MS_SERVER", self.server)
            .env("MS_TOKEN", self.token)
            .env("MS_QUEUE", queue.to_string())
            .env("MS_ROUNDS", "30")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sync-client")
    }
}

/// Waits for the child to finish; returns its stdout (and stderr when it failed).
async fn finish(mut child: Child) -> (bool, String, String) {
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait().expect("wait");
        let mut out = String::new();
        let mut err = String::new();
        child.stdout.take().map(|mut s| s.read_to_string(&mut out));
        child.stderr.take().map(|mut s| s.read_to_string(&mut err));
        (status.success(), out, err)
    });
    status.await.expect("join")
}

fn queued_ids(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("QUEUED "))
        .map(str::to_owned)
        .collect()
}

/// Commands the server has processed that the (dead) client still holds as queued or
/// sent: the server committed them, the client never stored the answer.
fn unacknowledged_but_processed(
    server: &CityServer,
    cache_path: &Path,
    key: &DbKey,
) -> HashSet<String> {
    let cache = LocalCache::open(cache_path, key).expect("reopen cache after a kill");
    let install = cache.install_id().expect("install id").to_string();
    let processed: HashSet<String> = server
        .processed()
        .into_iter()
        .filter(|p| p.install_id == install)
        .map(|p| p.id)
        .collect();
    cache
        .commands(&[CommandStatus::Queued, CommandStatus::Sent])
        .expect("outbox")
        .iter()
        .map(|c| c.id.to_string())
        .filter(|id| processed.contains(id))
        .collect()
}

/// The ordinary weather of the loop: small delays and duplicate deliveries.
fn flaky() -> Plan {
    Plan::random(0.5, &[Fault::Delay, Fault::Duplicate]).max_delay(Duration::from_millis(40))
}

/// For the aimed kills: every push answer is held back a while after the server
/// committed, which holds the window open long enough to kill inside it.
fn held_push_answers() -> Plan {
    Plan::always(Fault::Delay)
        .on_path("/sync/push")
        .max_delay(Duration::from_millis(400))
}

/// Runs allowed in all; far more than needed, so a slow machine only takes longer.
const MAX_RUNS: usize = KILLS * 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_killed_mid_sync_over_and_over_loses_nothing_and_applies_nothing_twice() {
    let seed = std::env::var("SYNC_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp_millis() as u64);
    eprintln!("SYNC_TEST_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let server = CityServer::start().await;
    let clerk = server.login("clerk").await;
    let mut cases = Vec::new();
    for i in 0..8 {
        cases.push(
            server
                .dispatched(&clerk, "JN-LX-QCL", &format!("第{i}号：电动车楼道充电隐患"))
                .await,
        );
    }
    // Small delays and duplicate deliveries widen the windows a kill can land in.
    let proxy = FaultProxy::start(&server.base, seed).await.expect("proxy");
    proxy.set(flaky());
    let dir = tempfile::tempdir().expect("tempdir");
    let cache_path = dir.path().join("killed.cache.db");
    let key = DbKey::generate();
    let token = server.login("officer").await;
    let url = proxy.url();
    let run = ClientRun {
        cache: &cache_path,
        key: &key,
        server: &url,
        token: &token,
    };

    // A clean first run: signs in, pulls the scope, queues and pushes a few commands.
    let started = Instant::now();
    let (ok, out, err) = finish(run.spawn(3)).await;
    assert!(ok, "first run failed:\n{out}\n{err}");
    let typical = started.elapsed();
    let mut promised: HashSet<String> = queued_ids(&out).into_iter().collect();
    assert_eq!(promised.len(), 3, "{out}");
    let install = LocalCache::open(&cache_path, &key)
        .expect("open cache")
        .install_id()
        .expect("install id")
        .to_string();

    // Random kills at an instant within a typical run (learned from the runs that
    // finished), and every third run a kill aimed at the commit → acknowledgement
    // window, until 50+ runs died mid-way and some kills provably hit that window.
    let mut typical_ms = typical.as_millis().max(20) as u64;
    let (mut kills, mut finished, mut aimed) = (0, 0, 0);
    // Kills that landed in the window: during the killed run the server committed
    // commands whose answer the client never stored (commands left over from an earlier
    // kill do not count again). And how many such commands in all.
    let (mut window_kills, mut window_commands) = (0, 0);
    let mut unacked = unacknowledged_but_processed(&server, &cache_path, &key);
    assert!(unacked.is_empty(), "the clean run acknowledged everything");
    let mut i = 0;
    while kills < KILLS || window_kills == 0 {
        assert!(
            i < MAX_RUNS,
            "after {i} runs: {kills} kills, {window_kills} of them between the server's \
             commit and the client's acknowledgement ({aimed} aimed at it)"
        );
        if i % 5 == 0 {
            // The city moves on meanwhile, so pulls carry changes too.
            let id = cases[rng.random_range(0..cases.len())];
            let _ = server
                .act(&clerk, id, json!({"type": "urge", "message": "请尽快办理"}))
                .await;
        }
        let aim = i % 3 == 2;
        i += 1;
        let started = Instant::now();
        let mut child;
        if aim {
            // Something new to push, whose answer the proxy holds back; SIGKILL as soon
            // as the server has committed a command it had not processed before.
            proxy.set(held_push_answers());
            let before = server.processed_count(&install);
            child = run.spawn(rng.random_range(1..4));
            let deadline = Instant::now() + Duration::from_secs(30);
            while child.try_wait().expect("try_wait").is_none()
                && server.processed_count(&install) == before
                && Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        } else {
            proxy.set(flaky());
            child = run.spawn(rng.random_range(0..4));
            let wait = rng.random_range(typical_ms / 5..typical_ms.max(2));
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
        let killed = child.try_wait().expect("try_wait").is_none();
        if killed {
            child.kill().expect("SIGKILL");
        }
        let (ok, out, err) = finish(child).await;
        if killed {
            kills += 1;
            aimed += usize::from(aim);
            let now = unacknowledged_but_processed(&server, &cache_path, &key);
            let new = now.difference(&unacked).count();
            if new > 0 {
                window_kills += 1;
                window_commands += new;
            }
            unacked = now;
        } else {
            assert!(ok, "run {i} exited with an error:\n{out}\n{err}");
            finished += 1;
            // A finished run acknowledged everything it pushed.
            unacked = unacknowledged_but_processed(&server, &cache_path, &key);
            if !aim {
                // It ended before the kill: aim the next random kills earlier.
                typical_ms = u64::midpoint(typical_ms, started.elapsed().as_millis() as u64);
            }
        }
        promised.extend(queued_ids(&out));
        // The file must open with its key after every kill, and check clean.
        assert_cache_file_intact(&cache_path, &key);
    }
    proxy.set(flaky());
    eprintln!(
        "{i} runs: {kills} killed ({aimed} aimed), {finished} finished; {window_kills} kills \
         left {window_commands} commands committed by the server but unacknowledged by the \
         client; random kills within {typical_ms} ms"
    );
    assert!(window_kills > 0 && window_commands > 0);

    // A last run that is left to finish.
    let (ok, out, err) = finish(run.spawn(0)).await;
    assert!(ok, "final run failed:\n{out}\n{err}");
    assert!(out.contains("SETTLED"), "{out}");

    let cache = LocalCache::open(&cache_path, &key).expect("reopen cache");
    let outbox: HashSet<String> = cache
        .commands(&[])
        .expect("outbox")
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    let lost: Vec<&String> = promised.difference(&outbox).collect();
    assert!(lost.is_empty(), "queued (and printed) but gone: {lost:?}");
    let commands = assert_exactly_once(&server, &cache, "killed client");
    assert!(
        commands.iter().all(|c| c.status == CommandStatus::Applied),
        "{:?}",
        commands
            .iter()
            .filter(|c| c.status != CommandStatus::Applied)
            .collect::<Vec<_>>()
    );
    assert!(commands.len() >= promised.len());
    let actor = cache
        .profile()
        .expect("profile")
        .expect("signed in")
        .actor()
        .expect("actor");
    assert_converged(&server, &cache, &actor, "killed client");
    drop(cache);
    assert_cases_sound(&server, &clerk).await;
}
