//! Benchmark (not a test): seeds N cases (default 100,000) with full timelines
//! (dispatch, sign-in, reply, approval, follow-up; some returns, re-handling and
//! duplicates) over the year before a fixed "now", builds the assessment facts (and
//! their per-day rollups) from the change log, and prints p50/p95 of the score boards
//! and analytics charts for every level and scope over a week, a month and a year,
//! plus the dashboard endpoints over HTTP, with the load average before and after.
//!
//! `cargo run --release -p minsheng-server --bin analytics-bench -- --cases 1000000 --db /tmp/ms-analytics-1m.db`
//! (`--reuse` keeps an existing file and skips seeding; `--facts-only` writes the facts
//! and `case_scope` rows without storing cases and timelines, ~1 KB instead of ~11 KB
//! a case, so 1,000,000 cases fit on a small disk.) `--database postgres://…
//! [--pg-schema NAME]` runs the same on PostgreSQL (the schema is emptied first unless
//! `--reuse`).

use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::case::{
    Case, CaseFlags, Category, Channel, RequestType, Satisfaction, Urgency,
};
use minsheng_domain::ids::{EntryId, UnitId, UserId};
use minsheng_domain::org::Unit;
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::scope::list_scope;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::{self, Action, DispatchOrder, FollowUpChannel, NewCase};
use minsheng_server::assessment::analytics::{self, AnalyticsParams};
use minsheng_server::assessment::board::{self, BoardRequest, Level, Source};
use minsheng_server::assessment::period::{Period, PeriodKind};
use minsheng_server::assessment::replay::replay;
use minsheng_server::state::{AppState, Clock, Settings};
use minsheng_server::Database;
use minsheng_store_postgres::PgStore;
use minsheng_store_sqlite::SqliteStore;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type Bench<'a> = Box<dyn Fn() -> Result<(), Box<dyn std::error::Error>> + 'a>;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

const DISTRICTS: &[&str] = &[
    "历下区",
    "市中区",
    "槐荫区",
    "天桥区",
    "历城区",
    "长清区",
    "章丘区",
    "济阳区",
    "莱芜区",
    "钢城区",
    "平阴县",
    "商河县",
];

struct Seeder<'a> {
    state: &'a AppState,
    org: std::sync::Arc<minsheng_domain::org::OrgTree>,
    clerk: Actor,
    followup: Actor,
    stations: Vec<Unit>,
}

impl Seeder<'_> {
    fn staff(unit: UnitId, role: Role) -> Actor {
        // One synthetic officer and head per station; the domain checks unit and role only.
        let mut b = *unit.as_uuid().as_bytes();
        b[0] ^= if role == Role::Officer { 0x11 } else { 0x22 };
        Actor {
            user_id: UserId::from_uuid(uuid::Uuid::from_bytes(b)),
            name: role.to_string(),
            role,
            unit_id: unit,
        }
    }

    fn step(
        &self,
        c: &mut Case,
        entries: &mut Vec<TimelineEntry>,
        actor: &Actor,
        action: &Action,
        at: DateTime<Utc>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let next = workflow::apply(c, actor, action, &self.state.config().ctx(at, &self.org))?;
        let e = TimelineEntry::next(
            entries.last(),
            EntryId::mint(at),
            c.id,
            at,
            None,
            actor,
            action.kind().code(),
            Some(c.state),
            next.state,
            serde_json::to_value(action)?,
        );
        entries.push(e);
        *c = next;
        Ok(())
    }

    fn dispatch(
        unit: &Unit,
        rng: &mut StdRng,
        rt: RequestType,
    ) -> Result<Action, Box<dyn std::error::Error>> {
        let cat = Category::DEFAULTS[rng.random_range(0..Category::DEFAULTS.len())];
        Ok(Action::Dispatch(DispatchOrder {
            handling_unit: unit.id,
            supervising_unit: None,
            co_units: vec![],
            category: Category::new(cat)?,
            request_type: rt,
            urgency: Urgency::Ordinary,
            flags: CaseFlags::default(),
        }))
    }

    /// One case received at `received`, driven as far as `now` allows.
    fn case(
        &self,
        rng: &mut StdRng,
        received: DateTime<Utc>,
        now: DateTime<Utc>,
        master: Option<minsheng_domain::ids::CaseId>,
    ) -> Result<(Case, Vec<TimelineEntry>), Box<dyn std::error::Error>> {
        let channel = Channel::ALL[rng.random_range(0..Channel::ALL.len())];
        let new = NewCase {
            id: None,
            channel,
            request_type: RequestType::ALL[rng.random_range(0..5)],
            category: None,
            title: "诉求".into(),
            content: "群众反映问题，请处理。".into(),
            citizen_name: "张三".into(),
            citizen_phone: Some(format!("139{:08}", rng.random_range(0..100_000_000u32))),
            citizen_id_card: None,
            address: None,
            district: Some(DISTRICTS[rng.random_range(0..DISTRICTS.len())].into()),
            received_at: Some(received),
            urgency: Urgency::Ordinary,
            flags: CaseFlags::default(),
            // 领导批示 cases carry the leader and the instruction (the intake rule).
            leader_instruction: (channel == Channel::LeaderInstruction).then(|| {
                minsheng_domain::case::LeaderInstruction {
                    leader: "王市长".into(),
                    instruction: "请尽快核查处理并反馈。".into(),
                }
            }),
        };
        let mut c = workflow::intake(&new, &self.clerk, received)?;
        let mut entries = vec![minsheng_server::cases::intake_entry(
            &c,
            &self.clerk,
            received,
            None,
        )];
        let mut at = received + Duration::minutes(rng.random_range(5..90));
        if let (Some(m), true) = (master, rng.random_bool(0.02)) {
            self.step(
                &mut c,
                &mut entries,
                &self.clerk,
                &Action::LinkDuplicate { master: m },
                at,
            )?;
            return Ok((c, entries));
        }
        if rng.random_bool(0.04) || at > now {
            return Ok((c, entries));
        }
        let mut unit = &self.stations[rng.random_range(0..self.stations.len())];
        let rt = c.request_type;
        self.step(
            &mut c,
            &mut entries,
            &self.clerk,
            &Self::dispatch(unit, rng, rt)?,
            at,
        )?;
        if rng.random_bool(0.03) {
            at += Duration::minutes(rng.random_range(10..300));
            if at > now {
                return Ok((c, entries));
            }
            let officer = Self::staff(unit.id, Role::Officer);
            self.step(
                &mut c,
                &mut entries,
                &officer,
                &Action::Return {
                    reason: "非本单位管辖".into(),
                },
                at,
            )?;
            at += Duration::minutes(30);
            unit = &self.stations[rng.random_range(0..self.stations.len())];
            self.step(
                &mut c,
                &mut entries,
                &self.clerk,
                &Self::dispatch(unit, rng, rt)?,
                at,
            )?;
        }
        let officer = Self::staff(unit.id, Role::Officer);
        let head = Self::staff(unit.id, Role::UnitHead);
        // Sign-in: usually within the 8 working hours, sometimes a day or two later.
        at += Duration::minutes(if rng.random_bool(0.9) {
            rng.random_range(10..240)
        } else {
            rng.random_range(600..3000)
        });
        if at > now || rng.random_bool(0.02) {
            return Ok((c, entries));
        }
        self.step(&mut c, &mut entries, &officer, &Action::SignIn, at)?;
        at += Duration::hours(if rng.random_bool(0.9) {
            rng.random_range(2..96)
        } else {
            rng.random_range(120..300)
        });
        if at > now {
            return Ok((c, entries));
        }
        self.step(
            &mut c,
            &mut entries,
            &officer,
            &Action::SubmitReply {
                text: "已处理。".into(),
            },
            at,
        )?;
        at += Duration::minutes(rng.random_range(10..120));
        if at > now {
            return Ok((c, entries));
        }
        self.step(
            &mut c,
            &mut entries,
            &head,
            &Action::Approve {
                comment: None,
                verdict: None,
            },
            at,
        )?;
        let answer = |s: Satisfaction| Action::FollowUpAnswer {
            satisfaction: s,
            channel: FollowUpChannel::Sms,
            note: None,
        };
        at += Duration::hours(rng.random_range(1..48));
        if at > now {
            return Ok((c, entries));
        }
        if rng.random_bool(0.93) {
            self.step(
                &mut c,
                &mut entries,
                &self.followup,
                &answer(Satisfaction::Satisfied),
                at,
            )?;
        } else {
            self.step(
                &mut c,
                &mut entries,
                &self.followup,
                &answer(Satisfaction::Unsatisfied),
                at,
            )?;
            at += Duration::days(2);
            if at > now {
                return Ok((c, entries));
            }
            self.step(
                &mut c,
                &mut entries,
                &head,
                &Action::RecordRehandle {
                    result: "上门说明".into(),
                },
                at,
            )?;
            at += Duration::hours(6);
            if at <= now {
                self.step(
                    &mut c,
                    &mut entries,
                    &self.followup,
                    &answer(Satisfaction::BasicallySatisfied),
                    at,
                )?;
            }
        }
        Ok((c, entries))
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

/// Where seeded cases go: the full store (cases, timelines, change log; the facts worker
/// then replays them), or, with `--facts-only`, straight to the facts tables through the
/// same `replay` plus `case_scope` rows — for sizes whose timelines would not fit on disk.
enum Sink {
    Store,
    FactsOnly(ScopeRows),
}

/// The backend's own bench helper that writes `case_scope` rows.
enum ScopeRows {
    Sqlite(Box<SqliteStore>),
    Postgres(Box<PgStore>),
}

fn write_batch(
    state: &AppState,
    sink: &Sink,
    batch: Vec<(Case, Vec<TimelineEntry>)>,
) -> Result<(), Box<dyn std::error::Error>> {
    let org = state.org();
    match sink {
        Sink::Store => {
            state.store.insert_cases(&org, batch)?;
        }
        Sink::FactsOnly(raw) => {
            let facts: Vec<_> = batch
                .iter()
                .map(|(c, t)| replay(c, t, &org, &state.config()))
                .collect();
            state.store.write_facts(&facts, 0)?;
            let cases: Vec<Case> = batch.into_iter().map(|(c, _)| c).collect();
            match raw {
                ScopeRows::Sqlite(db) => db.insert_scope_rows(&org, &cases)?,
                ScopeRows::Postgres(db) => db.insert_scope_rows(&org, &cases)?,
            }
        }
    }
    Ok(())
}

fn seed(
    state: &AppState,
    sink: &Sink,
    n: usize,
    now: DateTime<Utc>,
) -> Result<f64, Box<dyn std::error::Error>> {
    let org = state.org();
    let seeder = Seeder {
        state,
        org: org.clone(),
        clerk: actor(state, "clerk")?,
        followup: actor(state, "followup")?,
        stations: org.units().filter(|u| u.can_handle()).cloned().collect(),
    };
    let mut rng = StdRng::seed_from_u64(11);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(2000);
    let mut last = None;
    // Received times ascend over the year so duplicates can point at earlier cases.
    for i in 0..n {
        let offset = Duration::minutes(365 * 24 * 60 * (n - i) as i64 / n as i64);
        let received = now - offset;
        let (c, e) = seeder.case(&mut rng, received, now, last)?;
        last = Some(c.id);
        batch.push((c, e));
        if batch.len() == 2000 || i + 1 == n {
            write_batch(state, sink, std::mem::take(&mut batch))?;
            if (i + 1) % 100_000 == 0 {
                eprintln!(
                    "seeded {} cases in {:.0}s",
                    i + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = arg("--cases").map_or(Ok(100_000), |v| v.parse())?;
    let db = arg("--db").map_or_else(
        || PathBuf::from(format!("/tmp/ms-analytics-{n}.db")),
        PathBuf::from,
    );
    let pg = arg("--database").map(|url| {
        let schema = arg("--pg-schema").unwrap_or_else(|| format!("analytics_{n}"));
        (url, schema)
    });
    let reuse = std::env::args().any(|a| a == "--reuse") && (pg.is_some() || db.exists());
    let facts_only = std::env::args().any(|a| a == "--facts-only");
    let runs: usize = arg("--runs").map_or(Ok(30), |v| v.parse())?;
    if !reuse {
        match &pg {
            Some((url, schema)) => PgStore::open_in(url, Some(schema))?.drop_schema()?,
            None => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
                }
            }
        }
    }
    let database = match &pg {
        Some((url, schema)) => Database::Postgres {
            url: url.clone(),
            schema: Some(schema.clone()),
        },
        None => Database::Sqlite(db.clone()),
    };
    // A fixed "now" inside the built-in holiday calendars (2025–2026).
    let now: DateTime<Utc> = "2026-11-26T04:00:00Z".parse()?;
    let state = minsheng_server::open_state_on(&database, Settings::default(), Clock::manual(now))?;
    minsheng_server::seed::seed_demo(&state, None, None, 0)?;
    if reuse {
        eprintln!("reusing {}", db.display());
    } else {
        let sink = match (&pg, facts_only) {
            (_, false) => Sink::Store,
            (None, true) => Sink::FactsOnly(ScopeRows::Sqlite(Box::new(SqliteStore::open(&db)?))),
            (Some((url, schema)), true) => Sink::FactsOnly(ScopeRows::Postgres(Box::new(
                PgStore::open_in(url, Some(schema))?,
            ))),
        };
        let secs = seed(&state, &sink, n, now)?;
        let how = if facts_only {
            "replayed straight into the facts tables (--facts-only: cases and timelines not stored)"
        } else {
            "stored with timelines"
        };
        println!(
            "seeded {n} cases, {how}, in {secs:.1}s ({:.0} cases/s)",
            n as f64 / secs
        );
    }
    let t = Instant::now();
    let (updated, pos) = minsheng_server::assessment::update_facts(&state)?;
    println!(
        "facts worker: {updated} cases replayed from the change log (position {pos}) in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let pg_store = match &pg {
        Some((url, schema)) => Some(PgStore::open_in(url, Some(schema))?),
        None => None,
    };
    let db_mb = match &pg_store {
        Some(p) => p.size_bytes()? as f64 / 1e6,
        None => {
            std::fs::metadata(&db).map_or(0.0, |m| m.len() as f64 / 1e6)
                + std::fs::metadata(format!("{}-wal", db.display()))
                    .map_or(0.0, |m| m.len() as f64 / 1e6)
        }
    };
    let t = Instant::now();
    let alerts = minsheng_server::assessment::alerts::evaluate(&state, now)?;
    let alert_ms = t.elapsed().as_secs_f64() * 1e3;

    let leader = actor(&state, "leader")?;
    let supervisor = actor(&state, "supervisor")?;
    let officer = actor(&state, "officer")?;
    let today = minsheng_server::assessment::period::bj_date(now);
    let scores = |kind, level, who: &Actor| -> Result<(), Box<dyn std::error::Error>> {
        let req = BoardRequest {
            period: Period::containing(kind, today),
            level,
            source: Source::Facts,
        };
        board::board(&state, Some(who), &req, now)?;
        Ok(())
    };
    let chart = |by: &str, period: &str, who: &Actor| -> Result<(), Box<dyn std::error::Error>> {
        let p = AnalyticsParams {
            by: Some(by.into()),
            period: Some(period.into()),
            ..AnalyticsParams::default()
        };
        let q = analytics::query(&p, who, now)?;
        analytics::run(&state, &q)?;
        Ok(())
    };
    let mut benches: Vec<(String, Bench<'_>)> = Vec::new();
    let kinds = [
        ("week", PeriodKind::Week),
        ("month", PeriodKind::Month),
        ("year", PeriodKind::Year),
    ];
    let who = [
        ("leader", &leader),
        ("supervisor", &supervisor),
        ("station", &officer),
    ];
    for (level_name, level) in [
        ("stations", Level::Station),
        ("branches", Level::Branch),
        ("officers", Level::Officer),
    ] {
        for (kind_name, kind) in kinds {
            for (who_name, a) in who {
                // Branch rows are not a station's business; the board itself is the same.
                if level != Level::Station && who_name == "station" {
                    continue;
                }
                benches.push((
                    format!("scores: {level_name}, {kind_name} ({who_name})"),
                    Box::new(move || scores(kind, level, a)),
                ));
            }
        }
    }
    for by in [
        "category",
        "policeLine",
        "district",
        "unit",
        "branch",
        "channel",
        "requestType",
        "hour",
        "state",
        "trend",
    ] {
        for (kind_name, _) in kinds {
            for (who_name, a) in who {
                let dim = match (by, kind_name) {
                    ("trend", "year") => "month",
                    ("trend", _) => "day",
                    (d, _) => d,
                };
                let label = if by == "trend" {
                    format!("{dim} trend")
                } else {
                    by.to_owned()
                };
                benches.push((
                    format!("analytics: {label}, {kind_name} ({who_name})"),
                    Box::new(move || chart(dim, kind_name, a)),
                ));
            }
        }
    }
    benches.push((
        "worklist counts (supervisor)".into(),
        Box::new(|| {
            state.store.worklist_counts(&list_scope(&supervisor), now)?;
            Ok(())
        }),
    ));
    if facts_only {
        // No cases table content in this mode: the 民生清单 counts would measure nothing.
        benches.retain(|(name, _)| !name.starts_with("worklist"));
        println!("(--facts-only: HTTP /dashboard below includes 民生清单 counts over an empty cases table)");
    }
    println!("\nanalytics-bench: {n} cases on {database}, {db_mb:.0} MB (SQLite: with WAL), {runs} runs per query, release build expected");
    println!("load average before the queries: {}", loadavg());
    rollup_sizes(&db, pg_store.as_ref())?;
    println!(
        "early-warning evaluation (2 weeks × 8-week baselines): {alert_ms:.0} ms, {} alerts",
        alerts.len()
    );
    println!("\n| query | p50 ms | p95 ms |");
    println!("|---|---|---|");
    for (name, f) in &benches {
        f()?; // warm the page cache once
        let mut v = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            f()?;
            v.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "| {name} | {:.1} | {:.1} |",
            pct(v.clone(), 0.5),
            pct(v, 0.95)
        );
    }
    reference(&state, &leader, now, today)?;
    // Scheduled reports are built once here, so the server's worker finds nothing to do.
    let t = Instant::now();
    let run = minsheng_server::assessment::run_once(&state)?;
    println!(
        "\nworker pass (facts + scheduled week/month reports: {}): {:.0} ms",
        run.reports,
        t.elapsed().as_secs_f64() * 1e3
    );
    println!("\n| HTTP query | p50 ms | p95 ms |");
    println!("|---|---|---|");
    http_bench(&state, runs)?;
    println!("\nload average after: {}", loadavg());
    Ok(())
}

/// The same store queries on the rollups and on the per-case facts (a few runs: the
/// facts path over a year takes seconds), and a filtered chart, which rollups do not
/// answer (it reads the facts).
fn reference(
    state: &AppState,
    leader: &Actor,
    now: DateTime<Utc>,
    today: chrono::NaiveDate,
) -> Result<(), Box<dyn std::error::Error>> {
    use minsheng_store::assessment::{StintGroup, Via};
    println!(
        "\n| store query, rollups vs per-case facts (5 runs) | rollups p50 ms | facts p50 ms |"
    );
    println!("|---|---|---|");
    let time = |f: &dyn Fn() -> Result<(), Box<dyn std::error::Error>>| {
        let mut v = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            f()?;
            v.push(t.elapsed().as_secs_f64() * 1e3);
        }
        Ok::<_, Box<dyn std::error::Error>>(pct(v, 0.5))
    };
    for kind in [PeriodKind::Month, PeriodKind::Year] {
        let p = Period::containing(kind, today);
        let run = |via| {
            move || -> Result<(), Box<dyn std::error::Error>> {
                state
                    .store
                    .period_counts(p.from(), p.to(), now, StintGroup::Unit, via)?;
                Ok(())
            }
        };
        println!(
            "| stint counts by unit, {} | {:.1} | {:.1} |",
            kind.code(),
            time(&run(Via::Rollups))?,
            time(&run(Via::Facts))?
        );
    }
    for (by, period, category) in [
        ("district", "year", None),
        ("unit", "month", None),
        ("unit", "month", Some("噪音扰民")),
    ] {
        let q = analytics::query(
            &AnalyticsParams {
                by: Some(by.into()),
                period: Some(period.into()),
                category: category.map(str::to_owned),
                ..AnalyticsParams::default()
            },
            leader,
            now,
        )?;
        let run = |via| {
            let q = &q;
            move || -> Result<(), Box<dyn std::error::Error>> {
                state.store.analytics(q, via)?;
                Ok(())
            }
        };
        let filter = category.map_or_else(String::new, |c| {
            format!(", category={c} (facts either way)")
        });
        println!(
            "| analytics by {by}, {period}{filter} | {:.1} | {:.1} |",
            time(&run(Via::Rollups))?,
            time(&run(Via::Facts))?
        );
    }
    Ok(())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "?".into(),
        |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// Row counts of the rollup tables (what a period query sums instead of case rows).
fn rollup_sizes(
    db: &std::path::Path,
    pg: Option<&PgStore>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut parts = Vec::new();
    for t in [
        "assess_cases",
        "assess_stints",
        "assess_roll_units",
        "assess_roll_officers",
        "assess_roll_cases",
        "assess_roll_weeks",
    ] {
        let n = match pg {
            Some(p) => p.count_rows(t)?,
            None => minsheng_store_sqlite::bench::count_rows(db, t, None)?,
        };
        parts.push(format!("{t} {n}"));
    }
    println!("rows: {}", parts.join(", "));
    Ok(())
}

/// The dashboard endpoints over loopback HTTP, as the desktop calls them.
fn http_bench(
    state: &std::sync::Arc<AppState>,
    runs: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let base = minsheng_server::spawn_for_tests(state.clone()).await?;
        let client = reqwest::Client::new();
        for user in ["leader", "supervisor"] {
            let login: serde_json::Value = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&serde_json::json!({"username": user, "password": "Demo@2026"}))
                .send()
                .await?
                .json()
                .await?;
            let token = login["accessToken"].as_str().unwrap_or_default().to_owned();
            for path in [
                "/dashboard",
                "/assessment/scores?period=month",
                "/analytics?by=category&period=month",
            ] {
                let mut v = Vec::new();
                for _ in 0..=runs {
                    let t = Instant::now();
                    let r = client
                        .get(format!("{base}/api/v1{path}"))
                        .bearer_auth(&token)
                        .send()
                        .await?;
                    let ok = r.status().is_success();
                    let _ = r.bytes().await?;
                    if !ok {
                        return Err(format!("GET {path} failed").into());
                    }
                    v.push(t.elapsed().as_secs_f64() * 1e3);
                }
                v.remove(0);
                println!(
                    "| HTTP GET {path} ({user}) | {:.1} | {:.1} |",
                    pct(v.clone(), 0.5),
                    pct(v, 0.95)
                );
            }
        }
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}
