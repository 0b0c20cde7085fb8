//! Contention benchmarks of `server-bench` (see the file header there): concurrent
//! writer clients against one loopback server, and a parallel login burst. They print
//! tables; nothing here asserts.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use minsheng_server::state::{Clock, Settings, SharedState};
use serde_json::{json, Value};
use tokio::task::JoinSet;

use super::{arg, pct, tempfile_dir};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

const PASSWORD: &str = "Demo@2026";
const CLIENT: &str = "minsheng-desktop/0.1.0";
const SCHEMA: &str = "1";

fn num(name: &str, default: usize) -> BenchResult<usize> {
    Ok(arg(name).map_or(Ok(default), |v| v.parse())?)
}

fn build() -> &'static str {
    if cfg!(debug_assertions) {
        "debug build"
    } else {
        "release build"
    }
}

/// A fresh demo server on loopback (its workers run too, as in production).
fn start(db: &Path, settings: Settings) -> BenchResult<SharedState> {
    let _ = std::fs::remove_file(db);
    let state = minsheng_server::open_state(db, settings, Clock::System)?;
    minsheng_server::seed::seed_demo(&state, None, None, 0)?;
    Ok(state)
}

/// One request's outcome: the status (None: no answer) and its round trip.
#[derive(Debug, Clone, Copy)]
struct Sample {
    kind: &'static str,
    status: Option<u16>,
    ms: f64,
}

async fn timed(kind: &'static str, rb: reqwest::RequestBuilder) -> (Sample, Option<Value>) {
    let t = Instant::now();
    let (status, body) = match rb.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body = resp.json::<Value>().await.ok();
            (Some(status), body)
        }
        Err(_) => (None, None),
    };
    let ms = t.elapsed().as_secs_f64() * 1e3;
    (Sample { kind, status, ms }, body)
}

async fn login(http: &reqwest::Client, base: &str, user: &str) -> BenchResult<String> {
    let body: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(body["accessToken"].as_str().ok_or("no token")?.to_owned())
}

/// A new case dispatched to 泉城路派出所; returns its id.
async fn dispatched(
    http: &reqwest::Client,
    base: &str,
    clerk: &str,
    unit: &str,
    i: usize,
) -> BenchResult<String> {
    let case: Value = http
        .post(format!("{base}/api/v1/cases"))
        .bearer_auth(clerk)
        .json(&intake_body(&format!("并发写入压测诉求 {i}")))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = case["id"].as_str().ok_or("no id")?.to_owned();
    http.post(format!("{base}/api/v1/cases/{id}/actions"))
        .bearer_auth(clerk)
        .json(
            &json!({"action": {"type": "dispatch", "handlingUnit": unit, "category": "治安管理",
            "requestType": "投诉", "urgency": "普通", "flags": {}}}),
        )
        .send()
        .await?
        .error_for_status()?;
    Ok(id)
}

fn intake_body(title: &str) -> Value {
    json!({
        "channel": "12345市长热线",
        "requestType": "投诉",
        "title": title,
        "content": format!("{title}：小区门口车辆乱停乱放，影响通行，希望派出所尽快处理。"),
        "citizenName": "王女士",
        "citizenPhone": "13812345678",
        "address": "历下区泉城路街道某小区",
        "district": "历下区"
    })
}

/// What one writer client does, as the desktop would: offline work pushed in batches
/// (`addNote`, and `assign` for the unit head), single online actions, and for the
/// clerk new cases.
struct Writer {
    user: &'static str,
    token: String,
    case: String,
    install: String,
    officer: String,
    unit: String,
}

impl Writer {
    async fn run(
        self,
        http: reqwest::Client,
        base: String,
        until: Instant,
        batch: usize,
        think: StdDuration,
    ) -> Vec<Sample> {
        let mut samples = Vec::new();
        let mut seq = 0u64;
        let mut step = 0usize;
        while Instant::now() < until {
            let (sample, _) = match step % 3 {
                0 => {
                    let commands: Vec<Value> = (0..batch)
                        .map(|i| {
                            seq += 1;
                            let action = if self.user == "head" && i % 2 == 1 {
                                json!({"type": "assign", "officer": {"id": self.officer, "unit": self.unit, "role": "officer"}})
                            } else {
                                json!({"type": "addNote", "text": format!("离线备注 {seq}：已电话联系当事人，约定上门时间。")})
                            };
                            json!({
                                "id": minsheng_domain::ids::CommandId::mint(chrono::Utc::now()).to_string(),
                                "seq": seq, "caseId": self.case, "action": action,
                                "deviceAt": chrono::Utc::now()
                            })
                        })
                        .collect();
                    let rb = http
                        .post(format!("{base}/api/v1/sync/push"))
                        .bearer_auth(&self.token)
                        .header("X-Minsheng-Client", CLIENT)
                        .header("X-Minsheng-Schema", SCHEMA)
                        .json(&json!({"installId": self.install, "commands": commands}));
                    timed("push", rb).await
                }
                1 if self.user == "clerk" => {
                    let rb = http
                        .post(format!("{base}/api/v1/cases"))
                        .bearer_auth(&self.token)
                        .json(&intake_body(&format!("压测新登记 {step}")));
                    timed("intake", rb).await
                }
                _ => {
                    let rb = http
                        .post(format!("{base}/api/v1/cases/{}/actions", self.case))
                        .bearer_auth(&self.token)
                        .json(&json!({"action": {"type": "addNote", "text": format!("在线备注 {step}")}}));
                    timed("action", rb).await
                }
            };
            samples.push(sample);
            step += 1;
            if !think.is_zero() {
                tokio::time::sleep(think).await;
            }
        }
        samples
    }
}

/// A reader like a desktop's: the newest page of its list, and pulls that follow
/// their cursor (asking only for the timeline entries since the last complete pull).
async fn reader(http: reqwest::Client, base: String, token: String, until: Instant) -> Vec<Sample> {
    let mut samples = Vec::new();
    let mut cursor: Option<String> = None;
    let mut since: Option<String> = None;
    let mut i = 0usize;
    while Instant::now() < until {
        if i.is_multiple_of(2) {
            let rb = http
                .get(format!("{base}/api/v1/cases?limit=50"))
                .bearer_auth(&token);
            samples.push(timed("read", rb).await.0);
        } else {
            let mut query = vec![("limit", "200".to_owned())];
            query.extend(cursor.clone().map(|c| ("cursor", c)));
            query.extend(since.clone().map(|c| ("timelinesSince", c)));
            let rb = http
                .get(format!("{base}/api/v1/sync/pull"))
                .query(&query)
                .bearer_auth(&token)
                .header("X-Minsheng-Client", CLIENT)
                .header("X-Minsheng-Schema", SCHEMA);
            let (sample, body) = timed("read", rb).await;
            samples.push(sample);
            if let Some(next) = body.as_ref().and_then(|b| b["nextCursor"].as_str()) {
                cursor = Some(next.to_owned());
                if body.as_ref().is_some_and(|b| b["hasMore"] == false) {
                    since = cursor.clone();
                }
            }
        }
        i += 1;
    }
    samples
}

fn row(name: &str, samples: &[Sample]) {
    if samples.is_empty() {
        println!("| {name} | 0 | | | | | | |");
        return;
    }
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for s in samples {
        match s.status {
            Some(200..=299) => {}
            Some(code) => *errors.entry(code.to_string()).or_default() += 1,
            None => *errors.entry("no answer".into()).or_default() += 1,
        }
    }
    let errors = if errors.is_empty() {
        "none".to_owned()
    } else {
        errors
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ms: Vec<f64> = samples.iter().map(|s| s.ms).collect();
    let over = ms.iter().filter(|m| **m > 1000.0).count();
    println!(
        "| {name} | {} | {errors} | {:.1} | {:.1} | {:.1} | {:.1} | {over} |",
        samples.len(),
        pct(ms.clone(), 0.5),
        pct(ms.clone(), 0.95),
        pct(ms.clone(), 0.99),
        pct(ms, 1.0),
    );
}

/// `server-bench writers`: N writer clients (default 10) and R readers (default 4) for
/// S seconds (default 60) against one loopback server.
pub fn writers() -> BenchResult<()> {
    let clients = num("--clients", 10)?;
    let readers = num("--readers", 4)?;
    let secs = num("--secs", 60)?;
    let batch = num("--batch", 20)?;
    let think = StdDuration::from_millis(num("--think-ms", 0)? as u64);
    // The server's warnings (e.g. a slow write transaction, with its call site) on stderr.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let dir = tempfile_dir();
    let db = dir.join("writers.db");
    let settings = Settings {
        access_ttl: Duration::hours(2),
        ..Settings::default()
    };
    let state = start(&db, settings)?;
    let unit = state
        .org()
        .find_by_code("JN-LX-QCL")
        .ok_or("unit JN-LX-QCL")?
        .id
        .to_string();
    let officer = state
        .store
        .user_by_username("officer")?
        .ok_or("user officer")?
        .id
        .to_string();
    let rt = tokio::runtime::Runtime::new()?;
    let samples = rt.block_on(async {
        let base = minsheng_server::spawn_for_tests(state.clone()).await?;
        let http = reqwest::Client::builder()
            .timeout(StdDuration::from_mins(1))
            .build()?;
        let clerk = login(&http, &base, "clerk").await?;
        let users = ["head", "officer", "clerk"];
        let mut writers = Vec::new();
        for i in 0..clients {
            let user = users[i % users.len()];
            writers.push(Writer {
                user,
                token: login(&http, &base, user).await?,
                case: dispatched(&http, &base, &clerk, &unit, i).await?,
                install: uuid::Uuid::new_v4().to_string(),
                officer: officer.clone(),
                unit: unit.clone(),
            });
        }
        let reader_token = login(&http, &base, "supervisor").await?;
        let until = Instant::now() + StdDuration::from_secs(secs as u64);
        let mut set = JoinSet::new();
        for w in writers {
            set.spawn(w.run(http.clone(), base.clone(), until, batch, think));
        }
        for _ in 0..readers {
            set.spawn(reader(
                http.clone(),
                base.clone(),
                reader_token.clone(),
                until,
            ));
        }
        let mut all = Vec::new();
        while let Some(r) = set.join_next().await {
            all.extend(r?);
        }
        Ok::<_, Box<dyn std::error::Error>>(all)
    })?;
    let of = |kind: &str| -> Vec<Sample> {
        samples.iter().filter(|s| s.kind == kind).copied().collect()
    };
    let writes: Vec<Sample> = samples
        .iter()
        .filter(|s| s.kind != "read")
        .copied()
        .collect();
    let processed = minsheng_store_sqlite::bench::count_rows(&db, "processed_commands", None)?;
    println!(
        "\nserver-bench writers: {clients} writer clients + {readers} readers, {secs} s, closed loop \
         (think {} ms), loopback, {}",
        think.as_millis(),
        build()
    );
    println!("push = {batch} commands in one POST /sync/push; action = POST /cases/{{id}}/actions; intake = POST /cases; \
         reads = GET /cases (newest 50) and GET /sync/pull following its cursor");
    println!(
        "\n| requests | count | errors by status | p50 ms | p95 ms | p99 ms | max ms | > 1 s |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    row("push", &of("push"));
    row("action", &of("action"));
    row("intake", &of("intake"));
    row("all writes", &writes);
    row("reads (list, pull)", &of("read"));
    let answered = of("push").iter().filter(|s| s.status == Some(200)).count() * batch;
    println!(
        "\ncommands in answered pushes: {answered}; rows in processed_commands (one per command id): {processed}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `server-bench login-burst`: B wrong passwords (default 50) for one account at once,
/// while colleagues log in from the same address.
pub fn login_burst() -> BenchResult<()> {
    let burst = num("--burst", 50)?;
    let dir = tempfile_dir();
    let db = dir.join("login.db");
    let state = start(&db, Settings::default())?;
    let limit = state.settings.max_failures_per_account;
    let rt = tokio::runtime::Runtime::new()?;
    let target = "officer";
    // Two colleagues logged in from this address before, three never did.
    let known = ["clerk", "head"];
    let colleagues = ["clerk", "head", "officer2", "followup", "supervisor"];
    let (burst_samples, colleague_samples, right_after, secs) = rt.block_on(async {
        let base = minsheng_server::spawn_for_tests(state.clone()).await?;
        let http = reqwest::Client::new();
        for u in known {
            login(&http, &base, u).await?;
        }
        let url = format!("{base}/api/v1/auth/login");
        let started = Instant::now();
        let mut wrong = JoinSet::new();
        for i in 0..burst {
            let rb = http
                .post(&url)
                .json(&json!({"username": target, "password": format!("Wrong@{i}")}));
            wrong.spawn(timed("wrong", rb));
        }
        let mut right = JoinSet::new();
        for u in colleagues {
            let rb = http
                .post(&url)
                .json(&json!({"username": u, "password": PASSWORD}));
            right.spawn(async move { (u, timed("colleague", rb).await.0) });
        }
        let mut burst_samples = Vec::new();
        while let Some(r) = wrong.join_next().await {
            burst_samples.push(r?.0);
        }
        let mut colleague_samples = Vec::new();
        while let Some(r) = right.join_next().await {
            colleague_samples.push(r?);
        }
        let secs = started.elapsed().as_secs_f64();
        // The right password of the throttled account, after the burst.
        let rb = http
            .post(&url)
            .json(&json!({"username": target, "password": PASSWORD}));
        let right_after = timed("right", rb).await.0;
        Ok::<_, Box<dyn std::error::Error>>((burst_samples, colleague_samples, right_after, secs))
    })?;
    let recorded =
        minsheng_store_sqlite::bench::count_rows(&db, "login_attempts", Some(("account", target)))?;
    let count = |code: u16| {
        burst_samples
            .iter()
            .filter(|s| s.status == Some(code))
            .count()
    };
    let other = burst_samples
        .iter()
        .filter(|s| !matches!(s.status, Some(401 | 429)))
        .count();
    let ms: Vec<f64> = burst_samples.iter().map(|s| s.ms).collect();
    println!("\nserver-bench login-burst: {burst} parallel wrong passwords for `{target}`, loopback (every request from 127.0.0.1), {}", build());
    println!("\n| account limit | requests | 401 (password checked) | 429 (refused unchecked) | other | checks recorded by the throttle | burst p50 ms | burst max ms | burst wall s |");
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {limit} | {burst} | {} | {} | {other} | {recorded} | {:.0} | {:.0} | {secs:.2} |",
        count(401),
        count(429),
        pct(ms.clone(), 0.5),
        pct(ms, 1.0)
    );
    println!("\n| colleague at the same address (during the burst) | logged in here before | status | ms |");
    println!("|---|---|---|---|");
    let mut colleague_samples = colleague_samples;
    colleague_samples.sort_by_key(|(u, _)| *u);
    for (u, s) in &colleague_samples {
        println!(
            "| {u} | {} | {} | {:.0} |",
            if known.contains(u) { "yes" } else { "no" },
            s.status
                .map_or_else(|| "no answer".to_owned(), |c| c.to_string()),
            s.ms
        );
    }
    println!(
        "\n`{target}` with the right password after the burst: {} (throttled until the window passes)",
        right_after.status.map_or_else(|| "no answer".to_owned(), |c| c.to_string())
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
