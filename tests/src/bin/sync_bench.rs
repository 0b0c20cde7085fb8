//! Sync benchmark (SPEC §9): a station back after 7 days offline (2,000 changed cases
//! in scope, 500 queued commands) and a county bureau with 20,000 changed cases.
//!
//! The city server runs in this process over loopback; the client runs in child
//! processes of this binary so its peak memory (VmHWM) is the client's alone:
//! `prime` (first sync, then queue the offline work), then — after the server changed
//! every case in scope — `reconcile` (one `sync_once`, timed), then `bulk` (a plain
//! rusqlite bulk insert of the same case rows into a fresh SQLCipher file, timed: the
//! local limit the reconcile is compared with).
//!
//! `cargo run --release -p minsheng-tests --bin sync-bench [station|county]`
//! (`SYNC_BENCH_DATABASE=postgres://…` runs the city server on PostgreSQL, a fresh schema
//! per scenario, instead of an SQLite file.)
//! (`SYNC_BENCH_PERF=<dir>` also records `perf` profiles of the reconcile: client and server.)

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use minsheng_client::api::ApiClient;
use minsheng_client::sync::SyncEngine;
use minsheng_client::{DbKey, LocalCache};
use minsheng_domain::case::{CaseFlags, CaseState, Channel, RequestType, Urgency};
use minsheng_domain::ids::{CaseId, EntryId, UnitId};
use minsheng_domain::role::Actor;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::{self, Action, DispatchOrder, NewCase};
use minsheng_server::state::{Clock, Settings, SharedState};
use minsheng_store::CaseUpdate;
use serde_json::{json, Value};

#[derive(Clone, Copy)]
struct Scenario {
    name: &'static str,
    /// Who signs in on the desktop, and the units their cases are dispatched to.
    user: &'static str,
    units: &'static [&'static str],
    cases: usize,
    queued: usize,
    /// SPEC §9 target for the reconcile, seconds.
    target_s: f64,
}

const SCENARIOS: [Scenario; 2] = [
    Scenario {
        name: "station",
        user: "head",
        units: &["JN-LX-QCL"],
        cases: 2_000,
        queued: 500,
        target_s: 0.3,
    },
    Scenario {
        name: "county",
        user: "sup-py",
        units: &["JN-PY-YS", "JN-PY-DE", "JN-PY-KC", "JN-PY-MG"],
        cases: 20_000,
        queued: 0,
        target_s: 1.0,
    },
];

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} not set"))
}

/// Peak resident set of this process so far, in KiB.
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time (user + system) this process used so far, in ms — unlike wall time, not
/// inflated when the shared machine is busy.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    // Clock ticks are 100 per second on Linux x86-64.
    f.iter().sum::<f64>() * 10.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match args.get(1).map(String::as_str) {
        Some("child-prime") => rt.block_on(child_prime()),
        Some("child-reconcile") => rt.block_on(child_reconcile()),
        Some("child-bulk") => child_bulk(),
        Some("child-wire") => rt.block_on(child_wire()),
        which => {
            // SYNC_BENCH_CASES=<n> changes the scenario's case count (e.g. 50,000 to see
            // the local list with a large cache).
            let cases = std::env::var("SYNC_BENCH_CASES")
                .ok()
                .and_then(|v| v.parse().ok());
            let mut rows = Vec::new();
            for s in SCENARIOS {
                if which.is_none_or(|w| w == s.name) {
                    let s = Scenario {
                        cases: cases.unwrap_or(s.cases),
                        ..s
                    };
                    rows.push((s, rt.block_on(run(&s))));
                }
            }
            print_table(&rows);
        }
    }
}

// ---------------------------------------------------------------- parent: the city

struct Measured {
    reconcile: Value,
    wire: Value,
    bulk: Value,
    bulk_plain: Value,
}

async fn run(s: &Scenario) -> Measured {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = Settings {
        access_ttl: Duration::days(365),
        refresh_ttl: Duration::days(400),
        ..Settings::default()
    };
    let database = {
        let (dir, name) = (dir.path().to_owned(), s.name.to_owned());
        tokio::task::spawn_blocking(move || city_database(&dir, &name))
            .await
            .expect("join")
    };
    let state = {
        let database = database.clone();
        tokio::task::spawn_blocking(move || {
            minsheng_server::open_state_on(&database, settings, Clock::System)
        })
        .await
        .expect("join")
        .expect("server db")
    };
    let st = state.clone();
    tokio::task::spawn_blocking(move || minsheng_server::seed::seed_demo(&st, None, None, 0))
        .await
        .expect("join")
        .expect("seed");
    let base = minsheng_server::spawn_for_tests(state.clone())
        .await
        .expect("server");
    eprintln!("[{}] seeding {} cases ...", s.name, s.cases);
    let st = state.clone();
    let (n, units) = (s.cases, s.units);
    let ids = tokio::task::spawn_blocking(move || seed_cases(&st, units, n))
        .await
        .expect("join");

    let token = login(&base, s.user).await;
    let key = DbKey::generate();
    let cache = dir.path().join("desktop.cache.db");
    let child = |mode: &str| {
        let mut c = tokio::process::Command::new(std::env::current_exe().expect("exe"));
        c.arg(mode)
            .env("MS_CACHE", &cache)
            .env("MS_KEY", key.to_hex().as_str())
            .env("MS_SERVER", &base)
            .env("MS_TOKEN", &token)
            .env("MS_QUEUE", s.queued.to_string())
            .env("MS_ROWS", dir.path().join("rows.jsonl"))
            .env("MS_BULK_DB", dir.path().join("bulk.db"));
        c
    };
    let prime = run_child(child("child-prime")).await;
    eprintln!("[{}] first sync: {prime}", s.name);

    eprintln!(
        "[{}] 7 days pass: every case in scope changes on the server ...",
        s.name
    );
    let st = state.clone();
    tokio::task::spawn_blocking(move || change_all(&st, &ids))
        .await
        .expect("join");
    // The assessment worker replays every changed case; let it catch up first, so it
    // does not run (at random) inside the timed reconcile.
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        while minsheng_server::assessment::run_once(&st)
            .expect("assessment worker")
            .cases_updated
            > 0
        {}
    })
    .await
    .expect("join");

    // SYNC_BENCH_PERF=<dir>: profile the reconcile with `perf record`, the client
    // child and this process (the server) into separate files.
    let perf_dir = std::env::var_os("SYNC_BENCH_PERF").map(PathBuf::from);
    let mut reconcile_cmd = child("child-reconcile");
    let mut server_perf = None;
    if let Some(d) = &perf_dir {
        let exe = std::env::current_exe().expect("exe");
        let mut c = tokio::process::Command::new("perf");
        c.args(["record", "-F", "2000", "--call-graph=dwarf,16384", "-o"])
            .arg(d.join(format!("{}-client.data", s.name)))
            .arg("--")
            .arg(exe)
            .arg("child-reconcile")
            .envs(
                reconcile_cmd
                    .as_std()
                    .get_envs()
                    .filter_map(|(k, v)| Some((k, v?))),
            );
        reconcile_cmd = c;
        server_perf = Some(
            tokio::process::Command::new("perf")
                .args([
                    "record",
                    "-F",
                    "2000",
                    "--call-graph=dwarf,16384",
                    "-p",
                    &std::process::id().to_string(),
                    "-o",
                ])
                .arg(d.join(format!("{}-server.data", s.name)))
                .spawn()
                .expect("perf"),
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let server_cpu = cpu_ms();
    let counted_before = sync_counters(&base).await;
    let mut reconcile = run_child(reconcile_cmd).await;
    reconcile["serverCpuMs"] = json!(cpu_ms() - server_cpu);
    // The server's own count of the reconcile, scraped from /metrics as Prometheus
    // would: it must be what the client reports it sent and received.
    let counted = sync_counters(&base).await.delta(&counted_before);
    assert_eq!(
        counted.commands,
        reconcile["pushed"].as_u64().expect("pushed"),
        "/metrics push commands vs the commands the benchmark pushed"
    );
    assert_eq!(
        counted.applied,
        reconcile["applied"].as_u64().expect("applied"),
        "/metrics applied commands vs the benchmark's"
    );
    assert_eq!(
        counted.pages,
        reconcile["pages"].as_u64().expect("pages"),
        "/metrics pull pages vs the benchmark's"
    );
    assert_eq!(
        counted.pulled,
        reconcile["pulled"].as_u64().expect("pulled"),
        "/metrics pulled cases vs the benchmark's"
    );
    reconcile["metrics"] = json!({
        "pushes": counted.pushes, "commands": counted.commands, "applied": counted.applied,
        "pages": counted.pages, "pulled": counted.pulled,
    });
    if let Some(mut p) = server_perf {
        if let Some(pid) = p.id() {
            // perf writes its file on SIGINT.
            let _ = std::process::Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status();
        }
        let _ = p.wait().await;
    }
    // How long the server spent on the pushed commands: first to last start time of
    // the processed commands (each commits on its own).
    let span = {
        let database = database.clone();
        tokio::task::spawn_blocking(move || push_span_ms(&database))
            .await
            .expect("join")
    };
    reconcile["serverPushSpanMs"] = json!(span);
    eprintln!("[{}] reconcile: {reconcile}", s.name);
    let mut wire_cmd = child("child-wire");
    if let Some(c) = prime["cursor"].as_str() {
        wire_cmd.env("MS_CURSOR", c);
    }
    let wire = run_child(wire_cmd).await;
    eprintln!("[{}] the same pull without the cache: {wire}", s.name);
    let bulk = run_child(child("child-bulk")).await;
    let mut plain = child("child-bulk");
    plain.env("MS_PLAIN", "1");
    let bulk_plain = run_child(plain).await;
    eprintln!("[{}] bulk: {bulk} plain: {bulk_plain}", s.name);
    Measured {
        reconcile,
        wire,
        bulk,
        bulk_plain,
    }
}

/// The sync counters of the server's `/metrics` (the in-process server answers
/// loopback scrapes without a token).
#[derive(Debug, Clone, Copy)]
struct SyncCounters {
    pushes: u64,
    commands: u64,
    applied: u64,
    pages: u64,
    pulled: u64,
}

impl SyncCounters {
    fn delta(self, before: &Self) -> Self {
        Self {
            pushes: self.pushes - before.pushes,
            commands: self.commands - before.commands,
            applied: self.applied - before.applied,
            pages: self.pages - before.pages,
            pulled: self.pulled - before.pulled,
        }
    }
}

async fn sync_counters(base: &str) -> SyncCounters {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("scrape")
        .text()
        .await
        .expect("metrics text");
    // `name value` or `name{labels} value`, as the exposition format writes a sample.
    let value = |sample: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
            .map_or(0.0, |v| v.trim().parse::<f64>().expect("sample value")) as u64
    };
    SyncCounters {
        pushes: value("minsheng_sync_push_commands_count"),
        commands: value("minsheng_sync_push_commands_sum"),
        applied: value("minsheng_sync_push_command_results_total{outcome=\"applied\"}"),
        pages: value("minsheng_sync_pull_changes_count"),
        pulled: value("minsheng_sync_pull_changes_sum"),
    }
}

async fn run_child(mut cmd: tokio::process::Command) -> Value {
    let out = cmd.output().await.expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or("{}");
    serde_json::from_str(last).unwrap_or_else(|_| json!({ "raw": last }))
}

async fn login(base: &str, user: &str) -> String {
    let resp: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": minsheng_server::seed::DEMO_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    resp["accessToken"].as_str().expect("token").to_owned()
}

fn actor(s: &SharedState, username: &str) -> Actor {
    let u = s
        .store
        .user_by_username(username)
        .expect("user")
        .expect("demo user");
    Actor {
        user_id: u.id,
        name: u.display_name,
        role: u.role,
        unit_id: u.unit_id,
    }
}

/// A citizen's message of about a kilobyte of case JSON, like the corpus ones.
fn new_case(i: usize, received: DateTime<Utc>) -> NewCase {
    NewCase {
        id: None,
        channel: Channel::MayorHotline,
        request_type: RequestType::Complaint,
        category: None,
        title: format!("第{i}号：小区夜间施工噪音扰民，影响老人和孩子休息"),
        content: format!(
            "市民反映：第{i}号诉求。小区旁工地连续多日夜间施工至凌晨，噪音很大，\
             家中老人孩子无法休息，多次与施工方沟通无果，物业也不处理，\
             希望派出所尽快到现场查看，督促施工单位按规定时间作业，\
             并对夜间违规施工予以制止。来电人表示如问题持续将继续反映。"
        ),
        citizen_name: "王女士".into(),
        citizen_phone: Some(format!("138{:08}", i % 100_000_000)),
        citizen_id_card: None,
        address: Some("历下区泉城路街道某小区".into()),
        district: Some("历下区".into()),
        received_at: Some(received),
        urgency: Urgency::Ordinary,
        flags: CaseFlags::default(),
        leader_instruction: None,
    }
}

/// Registers and dispatches `n` cases round-robin to `units`, straight into the store
/// (the HTTP path is the server benchmark's business).
fn seed_cases(s: &SharedState, units: &[&str], n: usize) -> Vec<CaseId> {
    let org = s.org();
    let clerk = actor(s, "clerk");
    let units: Vec<UnitId> = units
        .iter()
        .map(|c| org.find_by_code(c).expect("unit").id)
        .collect();
    let now = s.now();
    let mut ids = Vec::with_capacity(n);
    let mut batch = Vec::new();
    for i in 0..n {
        let at = now - Duration::days(8) - Duration::minutes(i as i64 % 5000);
        let case = workflow::intake(&new_case(i, at), &clerk, at).expect("intake");
        let first = minsheng_server::cases::intake_entry(&case, &clerk, at, None);
        let order = DispatchOrder {
            handling_unit: units[i % units.len()],
            supervising_unit: None,
            co_units: Vec::new(),
            category: minsheng_domain::case::Category::try_from("治安管理".to_owned())
                .expect("category"),
            request_type: RequestType::Complaint,
            urgency: Urgency::Ordinary,
            flags: CaseFlags::default(),
        };
        let action = Action::Dispatch(order);
        let cfg = s.config();
        let ctx = cfg.ctx(at, &org);
        let next = workflow::apply(&case, &clerk, &action, &ctx).expect("dispatch");
        let second = TimelineEntry::next(
            Some(&first),
            EntryId::mint(at),
            case.id,
            at,
            None,
            &clerk,
            "dispatch",
            Some(case.state),
            next.state,
            serde_json::to_value(&action).expect("json"),
        );
        ids.push(next.id);
        batch.push((next, vec![first, second]));
        if batch.len() == 500 {
            s.store
                .insert_cases(&org, std::mem::take(&mut batch))
                .expect("insert");
        }
    }
    if !batch.is_empty() {
        s.store.insert_cases(&org, batch).expect("insert");
    }
    ids
}

/// The week offline: the platform urges every case in scope once.
fn change_all(s: &SharedState, ids: &[CaseId]) {
    let org = s.org();
    let clerk = actor(s, "clerk");
    let action = Action::Urge {
        message: "请抓紧办理，按期答复群众".into(),
    };
    let now = s.now();
    for id in ids {
        let mut f = |c: &minsheng_domain::case::Case, last: &TimelineEntry| {
            let cfg = s.config();
            let ctx = cfg.ctx(now, &org);
            let next = workflow::apply(c, &clerk, &action, &ctx)?;
            let entry = TimelineEntry::next(
                Some(last),
                EntryId::mint(now),
                c.id,
                now,
                None,
                &clerk,
                "urge",
                Some(c.state),
                next.state,
                serde_json::to_value(&action)?,
            );
            Ok(CaseUpdate::Write(Box::new(next), Box::new(entry)))
        };
        s.store.update_case(&org, *id, None, &mut f).expect("urge");
    }
}

// ---------------------------------------------------------------- children: the desktop

fn open_client() -> (Arc<Mutex<LocalCache>>, SyncEngine) {
    let key = DbKey::from_hex(&env("MS_KEY")).expect("key");
    let mut cache = LocalCache::open(Path::new(&env("MS_CACHE")), &key).expect("cache");
    let api = Arc::new(ApiClient::new(&env("MS_SERVER")).expect("api"));
    api.set_access_token(Some(env("MS_TOKEN")));
    if cache.profile().expect("profile").is_none() {
        let rt = tokio::runtime::Handle::current();
        let (units, me) = tokio::task::block_in_place(|| {
            rt.block_on(async { (api.units().await, api.me().await) })
        });
        cache.replace_units(&units.expect("units")).expect("units");
        cache.set_profile(&me.expect("me")).expect("profile");
    }
    let cache = Arc::new(Mutex::new(cache));
    let engine = SyncEngine::new(api, cache.clone());
    (cache, engine)
}

/// First sync (the snapshot), then the week's offline work.
async fn child_prime() {
    let (cache, engine) = open_client();
    let t = Instant::now();
    let report = engine.sync_once(Utc::now()).await.expect("first sync");
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    let queue: usize = env("MS_QUEUE").parse().expect("MS_QUEUE");
    let mut c = cache.lock().unwrap_or_else(PoisonError::into_inner);
    let rows = c
        .list_cases(&[CaseState::PendingSignIn], queue)
        .expect("list");
    let week_ago = Utc::now() - Duration::days(7);
    for (i, r) in rows.iter().enumerate() {
        let at = week_ago + Duration::minutes(i as i64);
        c.queue_action(r.id, Action::SignIn, at).expect("queue");
    }
    println!(
        "{}",
        json!({"firstSyncMs": first_ms, "pulled": report.pulled, "queued": rows.len(),
               "cursor": c.pull_cursor().expect("cursor")})
    );
}

/// One `sync_once` after the week offline: push the queue, pull every change.
async fn child_reconcile() {
    let (cache, engine) = open_client();
    let before = vm_hwm_kib();
    let cpu = cpu_ms();
    let t = Instant::now();
    let report = engine.sync_once(Utc::now()).await.expect("reconcile");
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let cpu = cpu_ms() - cpu;
    let peak = vm_hwm_kib();
    let c = cache.lock().unwrap_or_else(PoisonError::into_inner);
    let lists = list_timings(&c);
    // The rows the baseline inserts: the case JSON exactly as cached.
    let ids = c.list_cases(&[], 1_000_000).expect("list");
    let mut out = String::new();
    for r in &ids {
        let cached = c.cached_case(r.id).expect("read").expect("cached");
        out.push_str(&cached.raw.to_string());
        out.push('\n');
    }
    let avg_json = out.len() / ids.len().max(1);
    std::fs::write(env("MS_ROWS"), out).expect("rows");
    println!(
        "{}",
        json!({
            "ms": ms, "cpuMs": cpu, "pushed": report.pushed, "applied": report.applied,
            "pushMs": report.push_ms, "pullMs": report.pull_ms, "storeMs": report.store_ms,
            "timelinesFilled": report.timelines_filled,
            "pulled": report.pulled, "pages": report.pages,
            "hwmBeforeKiB": before, "hwmKiB": peak, "cached": ids.len(), "avgCaseJsonBytes": avg_json,
            "queuedAfter": c.pending_count().expect("pending"),
            "lists": lists,
        })
    );
}

/// What the list screens ask of the reconciled cache, each `LIST_RUNS` times: p50 and
/// worst, in ms.
const LIST_QUERIES: [&str; 7] = [
    "first page",
    "待签收 + 办理中",
    "overdue by deadline",
    "keyword, 4 chars (index)",
    "keyword, 2 chars (scan)",
    "page 50",
    "民生清单 counts",
];
const LIST_RUNS: usize = 15;

/// The page query behind `LIST_QUERIES[i]` (20 rows); None for the 民生清单 counts.
fn list_query(i: usize) -> Option<minsheng_client::cache::LocalCaseQuery> {
    use minsheng_client::cache::LocalCaseQuery;
    let q = match i {
        0 => LocalCaseQuery::default(),
        1 => LocalCaseQuery {
            states: vec![CaseState::PendingSignIn, CaseState::InProgress],
            ..LocalCaseQuery::default()
        },
        2 => LocalCaseQuery {
            overdue: true,
            sort: Some("deadline".into()),
            ..LocalCaseQuery::default()
        },
        3 | 4 => LocalCaseQuery {
            keyword: Some(if i == 3 { "施工噪音" } else { "噪音" }.into()),
            ..LocalCaseQuery::default()
        },
        5 => LocalCaseQuery {
            offset: 49 * 20,
            ..LocalCaseQuery::default()
        },
        _ => return None,
    };
    Some(LocalCaseQuery { limit: 20, ..q })
}

fn list_timings(c: &LocalCache) -> Value {
    let now = Utc::now();
    let mut out = serde_json::Map::new();
    for (i, name) in LIST_QUERIES.iter().enumerate() {
        let query = list_query(i);
        let mut ms: Vec<f64> = (0..LIST_RUNS)
            .map(|_| {
                let t = Instant::now();
                match &query {
                    Some(q) => {
                        let got = c.query_cases(q, now).expect("list");
                        // Nothing may be overdue yet; every other screen has rows.
                        assert!(!got.rows.is_empty() || q.overdue, "{name}: no rows");
                    }
                    None => {
                        c.worklist_counts(now).expect("counts");
                    }
                }
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        out.insert(
            (*name).to_owned(),
            json!([ms[LIST_RUNS / 2], ms[LIST_RUNS - 1]]),
        );
    }
    Value::Object(out)
}

/// The server and the wire alone: the reconcile's pull (every page since the first
/// sync's cursor) fetched and parsed by the API client, nothing written (how much of
/// the reconcile is not the cache's).
async fn child_wire() {
    let api = ApiClient::new(&env("MS_SERVER")).expect("api");
    api.set_access_token(Some(env("MS_TOKEN")));
    let install = uuid::Uuid::now_v7().to_string();
    let t = Instant::now();
    // From where the reconcile started, asking for the same timeline entries.
    let base = std::env::var("MS_CURSOR").ok();
    let (mut cursor, mut cases, mut entries, mut pages) = (base.clone(), 0, 0, 0);
    loop {
        let page = api
            .pull(
                cursor.as_deref(),
                base.as_deref(),
                minsheng_client::sync::PULL_PAGE,
                &install,
                0,
            )
            .await
            .expect("pull");
        pages += 1;
        cases += page.changes.len();
        entries += page.timelines.len();
        cursor = Some(page.next_cursor);
        if !page.has_more {
            break;
        }
    }
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{}",
        json!({"ms": ms, "cases": cases, "timelineEntries": entries, "pages": pages, "hwmKiB": vm_hwm_kib()})
    );
}

/// The local limit: the same rows upserted in one transaction into a fresh file with
/// the cache's settings (SQLCipher key unless `MS_PLAIN`, WAL, synchronous FULL).
fn child_bulk() {
    let rows: Vec<(String, i64, String, String)> = std::fs::read_to_string(env("MS_ROWS"))
        .expect("rows")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("row");
            (
                v["id"].as_str().unwrap_or_default().to_owned(),
                v["version"].as_i64().unwrap_or_default(),
                v["state"].as_str().unwrap_or_default().to_owned(),
                l.to_owned(),
            )
        })
        .collect();
    let path = PathBuf::from(env("MS_BULK_DB"));
    let _ = std::fs::remove_file(&path);
    let plain = std::env::var("MS_PLAIN").is_ok();
    let t = Instant::now();
    let mut conn = rusqlite::Connection::open(&path).expect("open");
    if !plain {
        let key = DbKey::generate();
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex().as_str()))
            .expect("key");
    }
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .expect("wal");
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         CREATE TABLE cases (id TEXT PRIMARY KEY, version INTEGER NOT NULL,
                             state TEXT NOT NULL, json TEXT NOT NULL);",
    )
    .expect("schema");
    let tx = conn.transaction().expect("tx");
    {
        let mut ins = tx
            .prepare(
                "INSERT INTO cases (id, version, state, json) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version,
                     state = excluded.state, json = excluded.json",
            )
            .expect("prepare");
        for (id, version, state, json) in &rows {
            ins.execute(rusqlite::params![id, version, state, json])
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{}",
        json!({"ms": ms, "rows": rows.len(), "hwmKiB": vm_hwm_kib(), "plain": plain})
    );
}

// ---------------------------------------------------------------- report

fn print_table(rows: &[(Scenario, Measured)]) {
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    println!();
    println!(
        "| scenario | cases pulled | commands pushed (applied) | pages | /metrics: pushes, commands (applied), pages, cases | reconcile (wall) | SPEC target | client CPU | server CPU | push / pull phase | server span on the push | same pull, no cache writes | client peak RSS (VmHWM) | bulk insert, SQLCipher | ratio | bulk insert, plain SQLite | bulk peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (s, m) in rows {
        let r = &m.reconcile;
        let ms = f(r, "ms");
        let bulk = f(&m.bulk, "ms");
        println!(
            "| {} ({} cases, {} queued) | {} | {} ({}) | {} | {}, {} ({}), {}, {} | {:.0} ms | < {:.0} ms | {:.0} ms | {:.0} ms | {:.0} / {:.0} ms | {:.0} ms | {:.0} ms | {:.1} MiB | {:.0} ms | {:.1}x | {:.0} ms | {:.1} MiB |",
            s.name,
            s.cases,
            s.queued,
            r["pulled"],
            r["pushed"],
            r["applied"],
            r["pages"],
            r["metrics"]["pushes"],
            r["metrics"]["commands"],
            r["metrics"]["applied"],
            r["metrics"]["pages"],
            r["metrics"]["pulled"],
            ms,
            s.target_s * 1000.0,
            f(r, "cpuMs"),
            f(r, "serverCpuMs"),
            f(r, "pushMs"),
            f(r, "pullMs"),
            f(r, "serverPushSpanMs"),
            f(&m.wire, "ms"),
            f(r, "hwmKiB") / 1024.0,
            bulk,
            ms / bulk,
            f(&m.bulk_plain, "ms"),
            f(&m.bulk, "hwmKiB") / 1024.0,
        );
    }
    println!(
        "\nThe list screens on the reconciled cache (ms, p50 / worst of {LIST_RUNS}; 20 rows a page):\n"
    );
    println!("| scenario | cached cases | {} |", LIST_QUERIES.join(" | "));
    println!("|---|---|{}", "---|".repeat(LIST_QUERIES.len()));
    for (s, m) in rows {
        let r = &m.reconcile;
        let cells: Vec<String> = LIST_QUERIES
            .iter()
            .map(|q| {
                let v = &r["lists"][*q];
                format!(
                    "{:.1} / {:.1}",
                    v[0].as_f64().unwrap_or(f64::NAN),
                    v[1].as_f64().unwrap_or(f64::NAN)
                )
            })
            .collect();
        println!("| {} | {} | {} |", s.name, r["cached"], cells.join(" | "));
    }
    // The machine is shared: the load says how much the figures are inflated.
    println!(
        "\nLoad average at the end: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!(
        "\nPeer (SPEC §9): PouchDB 9 pulls 2,000 ~1 KB records in 0.70 s, 20,000 in 5.1 s, pushes 500 in 0.17 s; client peak 97–142 MB."
    );
}

/// The city's database: an SQLite file in `dir`, or a fresh schema of the PostgreSQL
/// database `SYNC_BENCH_DATABASE` names.
fn city_database(dir: &std::path::Path, scenario: &str) -> minsheng_server::Database {
    match std::env::var("SYNC_BENCH_DATABASE") {
        Ok(url) if !url.is_empty() => {
            let schema = format!("sync_bench_{scenario}");
            minsheng_store_postgres::PgStore::open_in(&url, Some(&schema))
                .and_then(minsheng_store_postgres::PgStore::drop_schema)
                .expect("empty schema");
            minsheng_server::Database::Postgres {
                url,
                schema: Some(schema),
            }
        }
        _ => minsheng_server::Database::Sqlite(dir.join("city.db")),
    }
}

/// How long the server spent on the pushed commands: first to last start time of the
/// processed commands (each commits on its own).
fn push_span_ms(database: &minsheng_server::Database) -> i64 {
    const SQL: &str =
        "SELECT coalesce(max(processed_at) - min(processed_at), 0) FROM processed_commands";
    match database {
        minsheng_server::Database::Sqlite(path) => {
            rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .expect("server db")
                .query_row(SQL, [], |r| r.get(0))
                .expect("processed span")
        }
        minsheng_server::Database::Postgres { url, schema } => {
            minsheng_store_postgres::PgStore::open_in(url, schema.as_deref())
                .expect("server db")
                .raw_connection()
                .expect("connection")
                .query_one(SQL, &[])
                .expect("processed span")
                .get::<_, i64>(0)
        }
    }
}
