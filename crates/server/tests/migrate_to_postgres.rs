//! `migrate-to-postgres`: a live SQLite city (demo cases, a completed case with its
//! follow-up SMS, cases in progress, sessions, facts and rollups) is copied into a fresh
//! PostgreSQL schema while its server keeps running, and a server on the copy gives
//! the same answers as the SQLite server, route by route, with the same tokens; the
//! counters continue (the next case number, the change log, the audit chain, the
//! configuration version). The expected values are the SQLite server's own answers.
//!
//! Needs `MINSHENG_TEST_DATABASE_URL` (run under `bash scripts/pg.sh run cargo test …`);
//! without it the tests fail, unless MINSHENG_ALLOW_NO_POSTGRES=1 says to skip them.

mod support;

use std::path::Path;
use std::sync::Arc;

use minsheng_server::migrate::migrate_to_postgres_in;
use minsheng_server::state::{AppState, Settings, SharedState};
use minsheng_server::ApiError;
use minsheng_store_postgres::{CopyReport, PgStore};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, off_runtime, TestServer, SYNC_CLIENT, SYNC_SCHEMA};

fn database_url() -> Option<String> {
    let Ok(url) = std::env::var("MINSHENG_TEST_DATABASE_URL") else {
        assert!(
            std::env::var("MINSHENG_ALLOW_NO_POSTGRES").as_deref() == Ok("1"),
            "MINSHENG_TEST_DATABASE_URL is not set: run under `bash scripts/pg.sh run cargo test …` \
             (or set MINSHENG_ALLOW_NO_POSTGRES=1 to skip the PostgreSQL tests explicitly)"
        );
        eprintln!("SKIPPED (MINSHENG_ALLOW_NO_POSTGRES=1): no PostgreSQL");
        return None;
    };
    Some(url)
}

/// A schema of its own, dropped when the test ends (also when it fails).
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            name: format!("mig_{}", uuid::Uuid::now_v7().simple()),
        }
    }

    /// Runs `f` on a store of this schema (opened and closed off the runtime).
    fn with<T: Send>(&self, f: impl FnOnce(&PgStore) -> T + Send) -> T {
        off_runtime(|| {
            let store = PgStore::open_in(&self.url, Some(&self.name)).expect("open the copy");
            f(&store)
        })
    }

    /// Rows of each table in the schema.
    fn counts<'a>(&self, tables: impl IntoIterator<Item = &'a str>) -> Vec<(String, i64)> {
        let tables: Vec<&str> = tables.into_iter().collect();
        self.with(|store| {
            let mut c = store.raw_connection().expect("connection");
            tables
                .iter()
                .map(|t| {
                    let n = c
                        .query_one(&format!("SELECT COUNT(*) FROM {t}"), &[])
                        .expect("count")
                        .get(0);
                    ((*t).to_owned(), n)
                })
                .collect()
        })
    }

    fn count(&self, table: &str) -> i64 {
        self.counts([table])[0].1
    }

    /// Whether schema `name` exists in the database (asked through this schema's store).
    fn has_schema(&self, name: &str) -> bool {
        self.with(|store| {
            let mut c = store.raw_connection().expect("connection");
            c.query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
                &[&name],
            )
            .expect("schema exists")
            .get(0)
        })
    }

    /// A server state on this schema.
    fn state(&self, ts: &TestServer) -> SharedState {
        off_runtime(|| {
            let store = PgStore::open_in(&self.url, Some(&self.name)).expect("open the copy");
            Arc::new(AppState::new(Arc::new(store), settings(), ts.clock.clone()).expect("state"))
        })
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        off_runtime(|| {
            if let Ok(store) = PgStore::open_in(&self.url, Some(&self.name)) {
                let _ = store.drop_schema();
            }
        });
    }
}

fn settings() -> Settings {
    Settings {
        access_ttl: chrono::Duration::days(365),
        refresh_ttl: chrono::Duration::days(400),
        session_absolute_secs: 400 * 24 * 3600,
        ..Settings::default()
    }
}

/// Copies the server's file into `schema` (blocking work off the runtime); returns the
/// report and what was printed.
async fn migrate(db: &Path, schema: &Schema) -> (Result<CopyReport, ApiError>, String) {
    let (db, url, name) = (db.to_owned(), schema.url.clone(), schema.name.clone());
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        let r = migrate_to_postgres_in(&db, &url, Some(&name), &mut out);
        (r, String::from_utf8(out).expect("utf-8"))
    })
    .await
    .expect("join")
}

/// One server's HTTP API (the SQLite one or the PostgreSQL one), asked alike.
struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn send(&self, rb: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = rb.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, token: &str, path: &str) -> Value {
        let url = format!("{}/api/v1{path}", self.base);
        let (st, body) = self.send(self.client.get(url).bearer_auth(token)).await;
        assert_eq!(st, StatusCode::OK, "GET {path} on {}: {body}", self.base);
        body
    }

    async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> (StatusCode, Value) {
        let rb = self
            .client
            .post(format!("{}/api/v1{path}", self.base))
            .json(body);
        self.send(match token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        })
        .await
    }

    async fn pull(&self, token: &str, cursor: &str) -> Value {
        let url = format!("{}/api/v1/sync/pull?cursor={cursor}&limit=40", self.base);
        let rb = self
            .client
            .get(url)
            .bearer_auth(token)
            .header("X-Minsheng-Client", SYNC_CLIENT)
            .header("X-Minsheng-Schema", SYNC_SCHEMA);
        let (st, body) = self.send(rb).await;
        assert_eq!(st, StatusCode::OK, "pull on {}: {body}", self.base);
        body
    }

    /// Every page from `cursor`; returns the pages and the final cursor.
    async fn pull_all(&self, token: &str, cursor: &str) -> (Vec<Value>, String) {
        let mut cursor = cursor.to_owned();
        let mut pages = Vec::new();
        loop {
            let page = self.pull(token, &cursor).await;
            page["nextCursor"]
                .as_str()
                .expect("cursor")
                .clone_into(&mut cursor);
            let more = page["hasMore"] == json!(true);
            pages.push(page);
            if !more {
                return (pages, cursor);
            }
        }
    }
}

/// The change-log position of a cursor (`epoch:position`).
fn position(cursor: &str) -> u64 {
    cursor
        .rsplit_once(':')
        .map_or(0, |(_, p)| p.parse().expect("position"))
}

/// The accounts the comparisons use (logged in on SQLite before the copy).
const USERS: &str = "clerk officer head leader supervisor admin followup";

/// Tables whose counts are checked against the SQLite file directly (all with rows).
const COUNTED: &str = "cases timeline changes users sessions sms_outbox followups audit_log \
                       assess_cases assess_roll_units case_numbers";

fn intake_body(title: &str) -> Value {
    json!({"channel": "12345市长热线", "requestType": "投诉", "title": title,
           "content": format!("{title}，希望尽快处理。"), "citizenName": "李先生",
           "citizenPhone": "13900001111", "address": "历下区泉城路街道", "district": "历下区"})
}

/// Rows per table of the SQLite file, read on its own connection.
fn sqlite_count(db: &Path, table: &str) -> u64 {
    let c = rusqlite::Connection::open(db).expect("open");
    c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
        r.get::<_, i64>(0)
    })
    .expect("count") as u64
}

#[tokio::test]
async fn a_live_city_moves_to_postgres_and_answers_alike() {
    let Some(url) = database_url() else { return };
    let ts = TestServer::start_sqlite_with(bj("2026-11-23 09:00"), settings(), 300).await;
    let mut tokens = std::collections::HashMap::new();
    for u in USERS.split(' ') {
        tokens.insert(u, ts.login(u).await);
    }
    let tok = |u: &str| tokens[u].clone();
    // Work through the API: a completed case (its follow-up SMS), one replied and
    // waiting for approval, one just registered.
    let completed = ts
        .completed_case("楼下烧烤店深夜噪音扰民", "13812345678")
        .await;
    let replied = ts.intake(&tok("clerk"), "小区门口夜间飙车扰民").await;
    ts.act_ok(
        &tok("clerk"),
        &replied,
        ts.dispatch("JN-LX-QCL", "交通管理", json!({})),
    )
    .await;
    ts.act_ok(&tok("officer"), &replied, json!({"type": "signIn"}))
        .await;
    ts.act_ok(
        &tok("officer"),
        &replied,
        json!({"type": "submitReply", "text": "已联系交警部门加强夜间巡查。"}),
    )
    .await;
    ts.clock.set(bj("2026-11-24 10:00"));
    // The day's first number: the copy must continue the day's counter.
    let fresh = ts.intake(&tok("clerk"), "商铺门前车辆乱停").await;
    minsheng_server::notify::run_once(&ts.state)
        .await
        .expect("notify pass");
    let st = ts.state.clone();
    tokio::task::spawn_blocking(move || minsheng_server::assessment::run_once(&st))
        .await
        .expect("join")
        .expect("assessment pass");

    // The copy, while the SQLite server keeps serving.
    let schema = Schema::new(&url);
    let (report, printed) = migrate(ts.sqlite_path(), &schema).await;
    let report = report.unwrap_or_else(|e| panic!("migration failed: {e:?}\n{printed}"));
    eprintln!("{printed}");
    assert!(
        printed.contains("迁移完成 / migration complete"),
        "{printed}"
    );
    // Counts against the SQLite file itself.
    for table in COUNTED.split(' ') {
        let t = report
            .tables
            .iter()
            .find(|t| t.table == table)
            .unwrap_or_else(|| panic!("{table} copied"));
        let n = sqlite_count(ts.sqlite_path(), table);
        assert_eq!((t.sqlite_rows, t.postgres_rows), (n, n), "{table}");
        assert!(n > 0, "{table} has rows to copy");
        assert_eq!(schema.count(table), n as i64, "{table} on PostgreSQL");
    }
    assert_eq!(
        report.cases_verified,
        sqlite_count(ts.sqlite_path(), "cases")
    );
    assert_eq!(
        report.timeline_entries,
        sqlite_count(ts.sqlite_path(), "timeline")
    );
    assert_eq!(
        report.audit_records,
        sqlite_count(ts.sqlite_path(), "audit_log")
    );
    assert_eq!(report.changes_after_snapshot, 0);
    assert!(
        report.only_in_sqlite.is_empty(),
        "{:?}",
        report.only_in_sqlite
    );

    // A server on the copy, on the same clock.
    let pg = Api {
        base: minsheng_server::spawn_for_tests(schema.state(&ts))
            .await
            .expect("spawn"),
        client: reqwest::Client::new(),
    };
    let lite = Api {
        base: ts.base.clone(),
        client: reqwest::Client::new(),
    };

    // Same answers, with the sessions of the SQLite server.
    for u in ["clerk", "officer", "head", "leader", "supervisor"] {
        for path in [
            "/cases?limit=50",
            "/cases?limit=20&state=pendingReview,inProgress",
            "/cases?q=噪音扰民&withTotal=true",
            "/cases?overdue=true&limit=30",
            "/worklists",
        ] {
            let want = lite.get(&tok(u), path).await;
            assert_eq!(pg.get(&tok(u), path).await, want, "{u} {path}");
        }
    }
    let demo = lite.get(&tok("leader"), "/cases?limit=1").await["items"][0]["id"]
        .as_str()
        .expect("a demo case")
        .to_owned();
    for id in [&completed, &replied, &fresh, &demo] {
        for path in [
            format!("/cases/{id}"),
            format!("/cases/{id}/timeline"),
            format!("/cases/{id}/timeline/verify"),
        ] {
            let want = lite.get(&tok("leader"), &path).await;
            assert_eq!(pg.get(&tok("leader"), &path).await, want, "{path}");
        }
        let verified = pg
            .get(&tok("leader"), &format!("/cases/{id}/timeline/verify"))
            .await;
        assert_eq!(verified["valid"], true, "{verified}");
    }
    for (u, path) in [
        ("leader", "/assessment/scores?period=month&date=2026-11-01"),
        (
            "leader",
            "/assessment/scores?period=week&date=2026-11-23&level=officer",
        ),
        (
            "leader",
            "/analytics?by=category&period=month&date=2026-11-01",
        ),
        (
            "leader",
            "/analytics?by=channel&period=week&date=2026-11-23",
        ),
        ("leader", "/dashboard"),
        ("admin", "/sms/outbox"),
        ("admin", "/audit?limit=50"),
        ("followup", "/followups"),
        ("admin", "/config"),
        ("admin", "/users"),
    ] {
        let want = lite.get(&tok(u), path).await;
        assert_eq!(pg.get(&tok(u), path).await, want, "{u} {path}");
    }
    let analytics = lite
        .get(
            &tok("leader"),
            "/analytics?by=category&period=month&date=2026-11-01",
        )
        .await;
    assert!(
        analytics["total"].as_u64() > Some(0),
        "figures to compare: {analytics}"
    );
    let audit = lite.get(&tok("admin"), "/audit/verify").await;
    assert_eq!(audit["valid"], true, "{audit}");
    assert_eq!(pg.get(&tok("admin"), "/audit/verify").await, audit);

    // The change log, page by page, for an officer and for the leader: the same pages
    // (positions, cases, timelines, cursors with the same epoch).
    let mut last_cursor = String::new();
    for u in ["officer", "leader"] {
        let (want, cursor) = lite.pull_all(&tok(u), "").await;
        let (got, pg_cursor) = pg.pull_all(&tok(u), "").await;
        assert_eq!(got, want, "{u} pull from 0");
        assert_eq!(pg_cursor, cursor);
        // A client part-way through continues on PostgreSQL from its cursor.
        let middle = want[want.len() / 2]["nextCursor"].as_str().expect("cursor");
        assert_eq!(
            pg.pull_all(&tok(u), middle).await,
            lite.pull_all(&tok(u), middle).await,
            "{u} continues from {middle}"
        );
        last_cursor = cursor;
    }
    assert_eq!(position(&last_cursor), report.last_change);

    // The counters continue: the same writes on both servers give the same case
    // number, the next change position, the same audit chain head and config version.
    let mut numbers = Vec::new();
    for api in [&lite, &pg] {
        let (st, case) = api
            .post(
                Some(&tok("clerk")),
                "/cases",
                &intake_body("夜间施工噪音扰民"),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{case}");
        let (pages, cursor) = api.pull_all(&tok("leader"), &last_cursor).await;
        assert_eq!(
            position(&cursor),
            report.last_change + 1,
            "the next position"
        );
        let ids: Vec<&Value> = pages
            .iter()
            .flat_map(|p| p["changes"].as_array().unwrap())
            .map(|c| &c["id"])
            .collect();
        assert_eq!(ids, vec![&case["id"]], "the new case at the next position");
        let (st, login) = api
            .post(
                None,
                "/auth/login",
                &json!({"username": "officer2", "password": support::PASSWORD}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{login}");
        let (st, changed) = api
            .post(
                Some(&tok("admin")),
                "/config/categories",
                &json!({"op": "add", "name": "校园安全"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{changed}");
        numbers.push(case["number"].clone());
    }
    let fresh_number = lite.get(&tok("clerk"), &format!("/cases/{fresh}")).await["number"].clone();
    assert_eq!(fresh_number, "MS202611240001");
    assert_eq!(numbers[0], "MS202611240002", "SQLite's next number");
    assert_eq!(
        numbers[1], numbers[0],
        "PostgreSQL hands out the next case number"
    );
    let audit = lite.get(&tok("admin"), "/audit/verify").await;
    assert_eq!(audit["valid"], true, "{audit}");
    assert_eq!(
        pg.get(&tok("admin"), "/audit/verify").await,
        audit,
        "the audit chain continues from the copied head"
    );
    let config = lite.get(&tok("admin"), "/config").await;
    assert_eq!(
        pg.get(&tok("admin"), "/config").await["version"],
        config["version"]
    );
}

#[tokio::test]
async fn a_target_with_data_or_a_file_of_another_version_is_refused() {
    let Some(url) = database_url() else { return };
    let ts = TestServer::start_sqlite_with(bj("2026-11-23 09:00"), settings(), 0).await;
    let clerk = ts.login("clerk").await;
    ts.intake(&clerk, "小区门口夜间飙车扰民").await;
    let schema = Schema::new(&url);
    let (first, printed) = migrate(ts.sqlite_path(), &schema).await;
    let first = first.unwrap_or_else(|e| panic!("first copy: {e:?}\n{printed}"));
    let before = schema.counts(first.tables.iter().map(|t| t.table.as_str()));
    assert_eq!(
        before,
        first
            .tables
            .iter()
            .map(|t| (t.table.clone(), t.sqlite_rows as i64))
            .collect::<Vec<_>>()
    );

    // The file moves on; a second copy into the same schema is refused, and the
    // schema keeps exactly what the first copy wrote.
    ts.intake(&clerk, "商铺门前车辆乱停").await;
    let (again, printed) = migrate(ts.sqlite_path(), &schema).await;
    match again {
        Err(ApiError::Invalid { code, .. }) => {
            assert_eq!(code, "MIGRATION_TARGET_NOT_EMPTY", "{printed}");
        }
        other => panic!("a second copy must be refused: {other:?}\n{printed}"),
    }
    assert!(printed.contains("MIGRATION_TARGET_NOT_EMPTY"), "{printed}");
    let after = schema.counts(first.tables.iter().map(|t| t.table.as_str()));
    assert_eq!(after, before);
    assert_eq!(schema.count("cases"), 1);

    // A file of another schema version: refused before PostgreSQL is touched.
    let dir = tempfile::tempdir().expect("tempdir");
    let newer = dir.path().join("newer.db");
    let c = rusqlite::Connection::open(ts.sqlite_path()).expect("open");
    c.execute("VACUUM INTO ?1", [newer.to_str().expect("path")])
        .expect("copy the file");
    rusqlite::Connection::open(&newer)
        .expect("open")
        .execute(
            "INSERT INTO schema_migrations(version, description, applied_at)
             VALUES (999, 'from a newer program', datetime('now'))",
            [],
        )
        .expect("newer version");
    let untouched = Schema::new(&url);
    let (refused, printed) = migrate(&newer, &untouched).await;
    match refused {
        Err(ApiError::Invalid { code, .. }) => {
            assert_eq!(code, "MIGRATION_SCHEMA_MISMATCH", "{printed}");
        }
        other => panic!("another version must be refused: {other:?}\n{printed}"),
    }
    assert!(
        !schema.has_schema(&untouched.name),
        "nothing was created on PostgreSQL"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_keeps_writing_is_copied_as_one_snapshot() {
    let Some(url) = database_url() else { return };
    let ts = TestServer::start_sqlite_with(bj("2026-11-23 09:00"), settings(), 300).await;
    let clerk = ts.login("clerk").await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let api = Api {
            base: ts.base.clone(),
            client: reqwest::Client::new(),
        };
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let (st, body) = api
                    .post(
                        Some(&clerk),
                        "/cases",
                        &intake_body(&format!("第{n}件噪音投诉")),
                    )
                    .await;
                assert_eq!(st, StatusCode::CREATED, "{body}");
                n += 1;
            }
            n
        })
    };
    let schema = Schema::new(&url);
    let (report, printed) = migrate(ts.sqlite_path(), &schema).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let written = writer.await.expect("writer");
    let report = report.unwrap_or_else(|e| panic!("migration failed: {e:?}\n{printed}"));
    assert!(written > 0, "the server wrote during the copy");
    eprintln!(
        "written {written}, snapshot at {}, after it {}",
        report.last_change, report.changes_after_snapshot
    );

    // The copy is the file as it was at one position of its change log: every change up
    // to it, and the cases those changes wrote, nothing after it.
    let c = rusqlite::Connection::open(ts.sqlite_path()).expect("open");
    let (changes, cases, last): (i64, i64, i64) = c
        .query_row(
            "SELECT (SELECT COUNT(*) FROM changes WHERE seq <= ?1),
                    (SELECT COUNT(DISTINCT case_id) FROM changes WHERE seq <= ?1),
                    (SELECT last FROM sync_counter)",
            [report.last_change as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("snapshot figures");
    assert_eq!(
        schema.counts(["changes", "cases"]),
        vec![("changes".to_owned(), changes), ("cases".to_owned(), cases)]
    );
    assert_eq!(
        changes, report.last_change as i64,
        "no gap in the copied log"
    );
    assert!(report.last_change + report.changes_after_snapshot <= last as u64);
    assert_eq!(
        printed.contains("after the snapshot"),
        report.changes_after_snapshot > 0,
        "{printed}"
    );
}
