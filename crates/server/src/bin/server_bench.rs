//! Benchmark (not a test): seeds N cases (default 1,000,000) into a database and prints
//! the intake rate and p50/p95 of case-list queries with filters, through the store and
//! over HTTP on loopback.
//!
//! `cargo run --release -p minsheng-server --bin server-bench -- [--cases N] [--db PATH]`
//! on SQLite; `--database postgres://… [--pg-schema NAME]` on PostgreSQL (the schema is
//! emptied first); both `--db`/none and `--database` run both, one after the other, and
//! end with a side-by-side table.
//!
//! Contention (`server_bench/contention.rs`), each on a fresh demo server on loopback:
//!
//! * `server-bench writers [--clients 10] [--readers 4] [--secs 60] [--batch 20] [--think-ms 0]`:
//!   writer clients in a closed loop (a push of `--batch` offline commands, an online
//!   action, for the clerk a new case) while readers list and pull; prints count,
//!   errors by status and p50/p95/p99/max latency per kind of write.
//! * `server-bench login-burst [--burst 50]`: that many wrong passwords for one account
//!   at once while colleagues log in from the same address; prints how many password
//!   checks ran (401s, and the throttle's own rows) against the account limit, and
//!   whether each colleague logged in.
//!
//! `cargo run --release -p minsheng-server --bin server-bench -- writers` (a debug build
//! runs them too, slower; the table says which build ran).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use minsheng_domain::case::{Category, Channel, RequestType, Urgency};
use minsheng_domain::ids::EntryId;
use minsheng_domain::org::Unit;
use minsheng_domain::role::Actor;
use minsheng_domain::scope::list_scope;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::{self, Action, DispatchOrder, NewCase};
use minsheng_server::state::{AppState, Clock, Settings};
use minsheng_server::Database;
use minsheng_store::CaseQuery;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[path = "server_bench/contention.rs"]
mod contention;

type QueryMaker<'a> = Box<dyn Fn(&mut StdRng) -> CaseQuery + 'a>;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn texts() -> Vec<(String, String)> {
    let path = std::env::var("MINSHENG_CORPUS")
        .unwrap_or_else(|_| "../shared/data/corpus_messages.csv".into());
    let mut out = Vec::new();
    if let Ok(mut r) = csv::Reader::from_path(&path) {
        for rec in r.records().flatten() {
            if let (Some(t), Some(d)) = (rec.get(4), rec.get(5)) {
                out.push((
                    t.chars().take(200).collect(),
                    d.chars().take(2000).collect(),
                ));
            }
        }
    }
    if out.is_empty() {
        out.push((
            "小区夜间噪音扰民".into(),
            "每天晚上广场舞音响声音很大，影响休息，希望派出所协调处理。".into(),
        ));
        out.push((
            "电动车被盗".into(),
            "本人电动车停在楼下被盗，已报警，希望尽快查找。".into(),
        ));
    }
    eprintln!("texts: {} from {path}", out.len());
    out
}

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match std::env::args().nth(1).as_deref() {
        Some("writers") => return contention::writers(),
        Some("login-burst") => return contention::login_burst(),
        _ => {}
    }
    let n: usize = arg("--cases").map_or(Ok(1_000_000), |v| v.parse())?;
    let dir = tempfile_dir();
    let mut runs = Vec::new();
    let url = arg("--database").or_else(|| std::env::var("MINSHENG_DATABASE_URL").ok());
    let sqlite = arg("--db").map(PathBuf::from);
    if sqlite.is_some() || url.is_none() {
        let db = sqlite.clone().unwrap_or_else(|| dir.join("bench.db"));
        let _ = std::fs::remove_file(&db);
        runs.push(run(&Database::Sqlite(db), n)?);
    }
    if let Some(url) = url {
        let schema = arg("--pg-schema").unwrap_or_else(|| "server_bench".into());
        let fresh = minsheng_store_postgres::PgStore::open_in(&url, Some(&schema))?;
        fresh.drop_schema()?;
        runs.push(run(
            &Database::Postgres {
                url,
                schema: Some(schema),
            },
            n,
        )?);
    }
    if runs.len() == 2 {
        side_by_side(&runs[0], &runs[1]);
    }
    if sqlite.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// One backend's figures, for the side-by-side table.
struct Run {
    backend: String,
    intake_per_sec: f64,
    /// (query, page 1 p50, page 1 p95, page 3 p95) in ms.
    queries: Vec<(String, f64, f64, f64)>,
    worklist_ms: f64,
    http_intake_per_sec: f64,
    http_list_p95: f64,
}

fn side_by_side(a: &Run, b: &Run) {
    println!("\n## side by side\n");
    println!("| measure | {} | {} |\n|---|---|---|", a.backend, b.backend);
    println!(
        "| intake cases/s (whole seed) | {:.0} | {:.0} |",
        a.intake_per_sec, b.intake_per_sec
    );
    for (x, y) in a.queries.iter().zip(&b.queries) {
        println!(
            "| {} page 1 p95 ms (page 3 p95) | {:.2} ({:.2}) | {:.2} ({:.2}) |",
            x.0, x.2, x.3, y.2, y.3
        );
    }
    println!(
        "| worklist counts ms | {:.1} | {:.1} |",
        a.worklist_ms, b.worklist_ms
    );
    println!(
        "| HTTP POST /cases, 8 clients, cases/s | {:.0} | {:.0} |",
        a.http_intake_per_sec, b.http_intake_per_sec
    );
    println!(
        "| HTTP GET /cases p95 ms | {:.2} | {:.2} |",
        a.http_list_p95, b.http_list_p95
    );
}

fn run(database: &Database, n: usize) -> Result<Run, Box<dyn std::error::Error>> {
    let now = Utc::now();
    let state = minsheng_server::open_state_on(database, Settings::default(), Clock::System)?;
    minsheng_server::seed::seed_demo(&state, None, None, 0)?;
    let org = state.org();
    let stations: Vec<Unit> = org.units().filter(|u| u.can_handle()).cloned().collect();
    let clerk = actor(&state, "clerk")?;
    let texts = texts();
    let mut rng = StdRng::seed_from_u64(7);

    // Intake through the same path as bulk import: domain intake + dispatch, store in batches.
    let started = Instant::now();
    let mut batch = Vec::with_capacity(1000);
    let mut done = 0usize;
    while done < n {
        let (title, content) = &texts[done % texts.len()];
        let received = now - Duration::minutes(rng.random_range(1..(365 * 24 * 60)));
        let channel = Channel::ALL[rng.random_range(0..Channel::ALL.len())];
        let new = NewCase {
            id: None,
            channel,
            request_type: RequestType::ALL[rng.random_range(0..5)],
            category: None,
            title: title.clone(),
            content: content.clone(),
            citizen_name: "张三".into(),
            citizen_phone: Some(format!("139{:08}", rng.random_range(0..100_000_000u32))),
            citizen_id_card: None,
            address: None,
            district: None,
            received_at: Some(received),
            urgency: Urgency::Ordinary,
            flags: minsheng_domain::case::CaseFlags::default(),
            // 领导批示 cases carry the leader and the instruction (the intake rule).
            leader_instruction: (channel == Channel::LeaderInstruction).then(|| {
                minsheng_domain::case::LeaderInstruction {
                    leader: "王市长".into(),
                    instruction: "请尽快核查处理并反馈。".into(),
                }
            }),
        };
        let mut c = workflow::intake(&new, &clerk, received)?;
        let mut entries = vec![minsheng_server::cases::intake_entry(
            &c, &clerk, received, None,
        )];
        if rng.random_bool(0.95) {
            let unit = &stations[rng.random_range(0..stations.len())];
            let cat = Category::DEFAULTS[rng.random_range(0..Category::DEFAULTS.len())];
            let order = DispatchOrder {
                handling_unit: unit.id,
                supervising_unit: None,
                co_units: vec![],
                category: Category::new(cat)?,
                request_type: c.request_type,
                urgency: Urgency::Ordinary,
                flags: c.flags,
            };
            let at = received + Duration::minutes(30);
            let action = Action::Dispatch(order);
            let next = workflow::apply(&c, &clerk, &action, &state.config().ctx(at, &org))?;
            entries.push(TimelineEntry::next(
                entries.last(),
                EntryId::mint(at),
                c.id,
                at,
                None,
                &clerk,
                "dispatch",
                Some(c.state),
                next.state,
                serde_json::to_value(&action)?,
            ));
            c = next;
            // A realistic city: ~160 new cases a day, nearly all older ones finished.
            let age = now - received;
            if age > Duration::days(20) || (age > Duration::days(5) && rng.random_bool(0.8)) {
                finish(&mut c, at + Duration::days(3));
            }
        }
        batch.push((c, entries));
        done += 1;
        if batch.len() == 1000 || done == n {
            state.store.insert_cases(&org, std::mem::take(&mut batch))?;
            if done.is_multiple_of(100_000) {
                eprintln!(
                    "seeded {done} cases in {:.1}s",
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    let seed_secs = started.elapsed().as_secs_f64();

    // Query scenarios, through the store (what a handler runs) with cursors from real pages.
    let officer = actor(&state, "officer")?;
    let supervisor = actor(&state, "supervisor")?;
    let leader = actor(&state, "leader")?;
    let scenarios: Vec<(&str, QueryMaker<'_>)> = vec![
        (
            "officer: own station, newest 50",
            Box::new(|_| q(&state, &officer)),
        ),
        (
            "officer: state=pendingSignIn",
            Box::new(|_| CaseQuery {
                states: vec![minsheng_domain::case::CaseState::PendingSignIn],
                ..q(&state, &officer)
            }),
        ),
        (
            "officer: overdue",
            Box::new(|_| CaseQuery {
                overdue: Some(true),
                ..q(&state, &officer)
            }),
        ),
        (
            "supervisor: branch, newest 50",
            Box::new(|_| q(&state, &supervisor)),
        ),
        (
            "supervisor: branch, category",
            Box::new(|_| CaseQuery {
                category: Some("噪音扰民".into()),
                ..q(&state, &supervisor)
            }),
        ),
        (
            "supervisor: 30-day range",
            Box::new(|r| {
                let from = Utc::now() - Duration::days(r.random_range(30..300));
                CaseQuery {
                    received_from: Some(from),
                    received_to: Some(from + Duration::days(30)),
                    ..q(&state, &supervisor)
                }
            }),
        ),
        (
            "supervisor: branch, overdue",
            Box::new(|_| CaseQuery {
                overdue: Some(true),
                ..q(&state, &supervisor)
            }),
        ),
        (
            "leader: category + 30-day range",
            Box::new(|r| {
                let from = Utc::now() - Duration::days(r.random_range(30..300));
                CaseQuery {
                    category: Some("交通管理".into()),
                    received_from: Some(from),
                    received_to: Some(from + Duration::days(30)),
                    ..q(&state, &leader)
                }
            }),
        ),
        (
            "leader: channel filter",
            Box::new(|_| CaseQuery {
                channel: Some(Channel::MayorHotline),
                ..q(&state, &leader)
            }),
        ),
        (
            "leader: text search (3+ chars)",
            Box::new(|r| {
                let words = ["噪音扰民", "停车位", "派出所", "户口迁移", "电动车"];
                CaseQuery {
                    text: Some(words[r.random_range(0..words.len())].into()),
                    ..q(&state, &leader)
                }
            }),
        ),
        (
            "supervisor: text search in scope",
            Box::new(|_| CaseQuery {
                text: Some("小区".into()),
                ..q(&state, &supervisor)
            }),
        ),
    ];
    println!("\nserver-bench: {n} cases on {database}");
    println!(
        "intake (domain intake + dispatch + batched insert): {:.0} cases/s ({seed_secs:.1}s)",
        n as f64 / seed_secs
    );
    println!("\n| query | page 1 p50 ms | page 1 p95 ms | page 3 p95 ms |");
    println!("|---|---|---|---|");
    let mut queries = Vec::new();
    for (name, make) in &scenarios {
        let mut first = Vec::new();
        let mut third = Vec::new();
        for _ in 0..60 {
            let mut query = make(&mut rng);
            let t = Instant::now();
            let page = state.store.list_cases(&query)?;
            first.push(t.elapsed().as_secs_f64() * 1e3);
            query.after = page.next;
            if query.after.is_some() {
                let p2 = state.store.list_cases(&query)?;
                query.after = p2.next;
                let t = Instant::now();
                let _ = state.store.list_cases(&query)?;
                third.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        let third95 = if third.is_empty() {
            f64::NAN
        } else {
            pct(third, 0.95)
        };
        let (p50, p95) = (pct(first.clone(), 0.5), pct(first, 0.95));
        println!("| {name} | {p50:.2} | {p95:.2} | {third95:.2} |");
        queries.push(((*name).to_owned(), p50, p95, third95));
    }
    let t = Instant::now();
    let counts = state
        .store
        .worklist_counts(&list_scope(&supervisor), Utc::now())?;
    let worklist_ms = t.elapsed().as_secs_f64() * 1e3;
    println!("\nworklist counts (supervisor branch): {worklist_ms:.1} ms {counts:?}");

    let (http_intake_per_sec, http_list_p95) = http_bench(&state, &clerk)?;
    Ok(Run {
        backend: match database {
            Database::Sqlite(_) => "SQLite".into(),
            Database::Postgres { .. } => "PostgreSQL".into(),
        },
        intake_per_sec: n as f64 / seed_secs,
        queries,
        worklist_ms,
        http_intake_per_sec,
        http_list_p95,
    })
}

/// Marks a case archived after a satisfied follow-up (fixture shortcut: the full
/// transition chain is exercised by the tests, not needed for query timing).
fn finish(c: &mut minsheng_domain::case::Case, at: chrono::DateTime<Utc>) {
    use minsheng_domain::case::{CaseState, FollowUpLevel, Reply, Satisfaction};
    c.state = CaseState::Archived;
    c.signed_in_at = Some(at - Duration::days(2));
    c.reply = Some(Reply {
        text: "已处理并答复。".into(),
        by: c.created_by,
        at,
    });
    c.completed_at = Some(at);
    c.closed_at = Some(at + Duration::days(1));
    c.follow_up.level = Some(FollowUpLevel::L1);
    c.follow_up.satisfaction = Some(Satisfaction::Satisfied);
}

fn q(_state: &AppState, a: &Actor) -> CaseQuery {
    CaseQuery {
        scope: Some(list_scope(a)),
        limit: 50,
        now: Utc::now(),
        ..CaseQuery::default()
    }
}

fn actor(state: &AppState, name: &str) -> Result<Actor, Box<dyn std::error::Error>> {
    let u = state.store.user_by_username(name)?.ok_or("user")?;
    Ok(Actor {
        user_id: u.id,
        name: u.display_name,
        role: u.role,
        unit_id: u.unit_id,
    })
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("minsheng-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}

/// Single-case HTTP intake and list over loopback with 8 concurrent clients; returns the
/// intake rate and the list's p95 in ms.
fn http_bench(
    state: &Arc<AppState>,
    _clerk: &Actor,
) -> Result<(f64, f64), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let base = minsheng_server::spawn_for_tests(state.clone()).await?;
        let client = reqwest::Client::new();
        let login: serde_json::Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": "clerk", "password": "Demo@2026"}))
            .send().await?.json().await?;
        let token = login["accessToken"].as_str().unwrap_or_default().to_owned();
        let total = 2000usize;
        let t = Instant::now();
        let mut handles = Vec::new();
        for w in 0..8 {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            handles.push(tokio::spawn(async move {
                for i in 0..total / 8 {
                    let body = serde_json::json!({"channel": "民生警务热线", "title": format!("压测诉求 {w}-{i}"), "content": "小区门口车辆乱停乱放，影响通行，请交警处理。"});
                    let r = client.post(format!("{base}/api/v1/cases")).bearer_auth(&token).json(&body).send().await;
                    assert!(r.is_ok_and(|r| r.status() == 201));
                }
            }));
        }
        for h in handles {
            h.await?;
        }
        let secs = t.elapsed().as_secs_f64();
        let rate = total as f64 / secs;
        println!("HTTP POST /cases, 8 concurrent clients: {rate:.0} cases/s ({total} in {secs:.2}s)");
        let mut lat = Vec::new();
        for _ in 0..100 {
            let t = Instant::now();
            let r = client.get(format!("{base}/api/v1/cases?limit=50&state=pendingSignIn")).bearer_auth(&token).send().await?;
            let _ = r.bytes().await?;
            lat.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let p95 = pct(lat.clone(), 0.95);
        println!("HTTP GET /cases?state=pendingSignIn&limit=50 (clerk, all cases): p50 {:.2} ms, p95 {p95:.2} ms", pct(lat, 0.5));
        tokio::time::sleep(StdDuration::from_millis(10)).await;
        Ok::<_, Box<dyn std::error::Error>>((rate, p95))
    })
}
