//! A real server on 127.0.0.1:0 over a real database, seeded with the demo org and
//! users, with a manual clock the test moves; plus small HTTP helpers.
//!
//! The database is a temp SQLite file, or, when MINSHENG_TEST_BACKEND=postgres, a fresh
//! schema in the PostgreSQL cluster MINSHENG_TEST_DATABASE_URL names (scripts/test.sh
//! runs the whole suite both ways, scripts/pg.sh starts the throwaway cluster).
#![allow(dead_code)]

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use minsheng_server::state::{Clock, Settings, SharedState};
use minsheng_server::Database;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const PASSWORD: &str = "Demo@2026";

pub struct TestServer {
    pub base: String,
    pub state: SharedState,
    pub clock: Clock,
    pub client: reqwest::Client,
    /// The database this server runs on (a second "instance" opens the same one).
    pub database: Database,
    _dir: tempfile::TempDir,
}

/// The database of a new test server: a file in `dir`, or a fresh PostgreSQL schema.
pub fn test_database(dir: &std::path::Path) -> Database {
    match std::env::var("MINSHENG_TEST_BACKEND").as_deref() {
        Ok("postgres") => {
            let url = std::env::var("MINSHENG_TEST_DATABASE_URL").expect(
                "MINSHENG_TEST_BACKEND=postgres needs MINSHENG_TEST_DATABASE_URL \
                 (run under `bash scripts/pg.sh run …`)",
            );
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            Database::Postgres {
                url,
                schema: Some(schema),
            }
        }
        Ok("sqlite") | Err(_) => Database::Sqlite(dir.join("test.db")),
        Ok(other) => panic!("MINSHENG_TEST_BACKEND={other}: expected sqlite or postgres"),
    }
}

/// Beijing local time `YYYY-MM-DD HH:MM` as UTC.
pub fn bj(s: &str) -> DateTime<Utc> {
    let n = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time");
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .from_local_datetime(&n)
        .unwrap()
        .with_timezone(&Utc)
}

impl TestServer {
    /// Tokens (and logins) live a year here because tests move the clock across holidays.
    pub async fn start_at(now: DateTime<Utc>) -> Self {
        let settings = Settings {
            access_ttl: chrono::Duration::days(365),
            refresh_ttl: chrono::Duration::days(400),
            session_absolute_secs: 400 * 24 * 3600,
            ..Settings::default()
        };
        Self::start_with(now, settings, 0).await
    }

    pub async fn start_with(now: DateTime<Utc>, settings: Settings, demo_cases: usize) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = test_database(dir.path());
        Self::start_in(dir, database, now, settings, demo_cases).await
    }

    /// On an SQLite file whatever the suite's backend (tests of the file itself).
    pub async fn start_sqlite_with(
        now: DateTime<Utc>,
        settings: Settings,
        demo_cases: usize,
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = Database::Sqlite(dir.path().join("test.db"));
        Self::start_in(dir, database, now, settings, demo_cases).await
    }

    /// The SQLite file (panics on PostgreSQL).
    pub fn sqlite_path(&self) -> &std::path::Path {
        match &self.database {
            Database::Sqlite(p) => p,
            Database::Postgres { .. } => panic!("not an SQLite server"),
        }
    }

    async fn start_in(
        dir: tempfile::TempDir,
        database: Database,
        now: DateTime<Utc>,
        settings: Settings,
        demo_cases: usize,
    ) -> Self {
        let clock = Clock::manual(now);
        let state = {
            let (database, clock) = (database.clone(), clock.clone());
            off_runtime(move || minsheng_server::open_state_on(&database, settings, clock))
                .expect("open")
        };
        let st = state.clone();
        tokio::task::spawn_blocking(move || {
            minsheng_server::seed::seed_demo(&st, None, None, demo_cases)
        })
        .await
        .expect("join")
        .expect("seed");
        let base = minsheng_server::spawn_for_tests(state.clone())
            .await
            .expect("spawn");
        Self {
            base,
            state,
            clock,
            client: reqwest::Client::new(),
            database,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub async fn login(&self, user: &str) -> String {
        let (st, body) = self
            .post(
                None,
                "/auth/login",
                &json!({"username": user, "password": PASSWORD}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "login {user}: {body}");
        body["accessToken"].as_str().expect("token").to_owned()
    }

    async fn send(&self, rb: reqwest::RequestBuilder, token: Option<&str>) -> (StatusCode, Value) {
        let rb = match token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        };
        let resp = rb.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, v)
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> (StatusCode, Value) {
        self.send(self.client.get(self.url(path)), token).await
    }

    pub async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.client.post(self.url(path)).json(body), token)
            .await
    }

    pub async fn patch(
        &self,
        token: Option<&str>,
        path: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        self.send(self.client.patch(self.url(path)).json(body), token)
            .await
    }

    pub async fn put(&self, token: Option<&str>, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.client.put(self.url(path)).json(body), token)
            .await
    }

    pub async fn post_raw(
        &self,
        token: Option<&str>,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let rb = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body);
        self.send(rb, token).await
    }

    /// Takes a workflow action; returns status and body.
    pub async fn act(&self, token: &str, case: &str, action: Value) -> (StatusCode, Value) {
        self.post(
            Some(token),
            &format!("/cases/{case}/actions"),
            &json!({ "action": action }),
        )
        .await
    }

    /// Takes an action that must succeed; returns the new case view.
    pub async fn act_ok(&self, token: &str, case: &str, action: Value) -> Value {
        let (st, body) = self.act(token, case, action.clone()).await;
        assert_eq!(st, StatusCode::OK, "action {action} failed: {body}");
        body
    }

    /// Unit id by code.
    pub fn unit(&self, code: &str) -> String {
        self.state
            .org()
            .find_by_code(code)
            .unwrap_or_else(|| panic!("unit {code}"))
            .id
            .to_string()
    }

    /// A new case registered by the clerk; returns its id.
    pub async fn intake(&self, clerk: &str, title: &str) -> String {
        let (st, body) = self
            .post(
                Some(clerk),
                "/cases",
                &json!({
                    "channel": "12345市长热线",
                    "requestType": "投诉",
                    "title": title,
                    "content": format!("{title}，希望派出所尽快处理。"),
                    "citizenName": "王女士",
                    "citizenPhone": "13812345678",
                    "address": "历下区泉城路街道某小区",
                    "district": "历下区"
                }),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "intake: {body}");
        body["id"].as_str().expect("id").to_owned()
    }

    /// Intake from `phone` → dispatch to 泉城路派出所 → sign in → reply → approve: 已办结.
    pub async fn completed_case(&self, title: &str, phone: &str) -> String {
        let clerk = self.login("clerk").await;
        let officer = self.login("officer").await;
        let head = self.login("head").await;
        let (st, body) = self
            .post(
                Some(&clerk),
                "/cases",
                &json!({"channel": "12345市长热线", "requestType": "投诉", "title": title,
                        "content": format!("{title}，希望派出所尽快处理。"), "citizenName": "王女士",
                        "citizenPhone": phone, "address": "历下区泉城路街道某小区", "district": "历下区"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "intake: {body}");
        let id = body["id"].as_str().expect("id").to_owned();
        self.act_ok(
            &clerk,
            &id,
            self.dispatch("JN-LX-QCL", "治安管理", json!({})),
        )
        .await;
        self.act_ok(&officer, &id, json!({"type": "signIn"})).await;
        self.act_ok(
            &officer,
            &id,
            json!({"type": "submitReply", "text": "已加强巡逻并约谈相关人员。"}),
        )
        .await;
        let v = self
            .act_ok(&head, &id, json!({"type": "approve", "comment": "同意"}))
            .await;
        assert_eq!(v["state"], "completed");
        id
    }

    /// Dispatch payload to a unit code.
    pub fn dispatch(&self, unit_code: &str, category: &str, flags: Value) -> Value {
        json!({
            "type": "dispatch",
            "handlingUnit": self.unit(unit_code),
            "category": category,
            "requestType": "投诉",
            "urgency": "普通",
            "flags": flags
        })
    }
}

impl TestServer {
    pub fn is_postgres(&self) -> bool {
        matches!(self.database, Database::Postgres { .. })
    }

    /// A second server state on the same database: another instance (or a restart).
    pub fn open_another(&self, settings: Settings) -> SharedState {
        let (database, clock) = (self.database.clone(), self.clock.clone());
        off_runtime(move || minsheng_server::open_state_on(&database, settings, clock))
            .expect("open another")
    }

    /// A raw connection to the server's database, past the server (for tamper tests).
    pub fn raw_sql(&self) -> RawSql {
        match &self.database {
            Database::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).expect("open db");
                c.busy_timeout(std::time::Duration::from_secs(10))
                    .expect("busy timeout");
                RawSql::Sqlite(c)
            }
            Database::Postgres { url, schema } => off_runtime(|| {
                let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
                if let Some(s) = schema {
                    c.batch_execute(&format!("SET search_path = {s}"))
                        .expect("search_path");
                }
                RawSql::Postgres(Some(Box::new(c)))
            }),
        }
    }

    /// `SELECT COUNT(*) …` (or any single integer) read past the server.
    pub fn sql_i64(&self, sql: &str) -> i64 {
        self.raw_sql().i64(sql)
    }
}

/// Runs blocking database work on a thread of its own: PostgreSQL's blocking client
/// runs its own runtime and must not be called from a tokio worker (the server calls the
/// store through `spawn_blocking` for the same reason).
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|sc| sc.spawn(f).join().expect("database thread"))
}

/// A connection to either backend; statements are written in the SQL both accept, and
/// parameters go in as literals (tests only, with values they made themselves).
pub enum RawSql {
    Sqlite(rusqlite::Connection),
    Postgres(Option<Box<postgres::Client>>),
}

impl Drop for RawSql {
    /// The client's runtime must not be dropped on a tokio worker either.
    fn drop(&mut self) {
        if let Self::Postgres(c) = self {
            let c = c.take();
            off_runtime(move || drop(c));
        }
    }
}

impl RawSql {
    pub fn i64(&mut self, sql: &str) -> i64 {
        match self {
            Self::Postgres(None) => unreachable!("taken on drop"),
            Self::Sqlite(c) => c.query_row(sql, [], |r| r.get(0)).expect(sql),
            Self::Postgres(Some(c)) => {
                off_runtime(|| c.query_one(sql, &[]).expect(sql).get::<_, i64>(0))
            }
        }
    }

    /// Text columns of every row.
    pub fn rows(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        match self {
            Self::Postgres(None) => unreachable!("taken on drop"),
            Self::Sqlite(c) => {
                let mut st = c.prepare(sql).expect(sql);
                let n = st.column_count();
                st.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
                    .expect(sql)
                    .collect::<Result<_, _>>()
                    .expect(sql)
            }
            Self::Postgres(Some(c)) => off_runtime(|| {
                c.query(sql, &[])
                    .expect(sql)
                    .iter()
                    .map(|r| (0..r.len()).map(|i| r.get(i)).collect())
                    .collect()
            }),
        }
    }

    /// Runs statements; the error's text (the backend's own message) when refused.
    pub fn exec(&mut self, sql: &str) -> Result<(), String> {
        match self {
            Self::Postgres(None) => unreachable!("taken on drop"),
            Self::Sqlite(c) => c.execute_batch(sql).map_err(|e| e.to_string()),
            Self::Postgres(Some(c)) => off_runtime(|| {
                c.batch_execute(sql).map_err(|e| {
                    e.as_db_error()
                        .map_or_else(|| e.to_string(), |d| d.message().to_owned())
                })
            }),
        }
    }
}

/// What the desktop client sends on every request.
pub const SYNC_CLIENT: &str = "minsheng-desktop/0.1.0";
pub const SYNC_SCHEMA: &str = "1";

impl TestServer {
    /// POST with the desktop's version headers (`client`, `schema`).
    pub async fn post_as_client(
        &self,
        token: Option<&str>,
        path: &str,
        body: &Value,
        client: &str,
        schema: &str,
    ) -> (StatusCode, Value) {
        let rb = self
            .client
            .post(self.url(path))
            .header("X-Minsheng-Client", client)
            .header("X-Minsheng-Schema", schema)
            .json(body);
        self.send(rb, token).await
    }

    /// GET with the desktop's version headers.
    pub async fn get_as_client(
        &self,
        token: Option<&str>,
        path: &str,
        client: &str,
        schema: &str,
    ) -> (StatusCode, Value) {
        let rb = self
            .client
            .get(self.url(path))
            .header("X-Minsheng-Client", client)
            .header("X-Minsheng-Schema", schema);
        self.send(rb, token).await
    }

    /// `POST /sync/push` as the current desktop client.
    pub async fn push(&self, token: &str, body: &Value) -> (StatusCode, Value) {
        self.post_as_client(Some(token), "/sync/push", body, SYNC_CLIENT, SYNC_SCHEMA)
            .await
    }

    /// `GET /sync/pull` as the current desktop client.
    pub async fn pull(&self, token: &str, cursor: &str, limit: usize) -> (StatusCode, Value) {
        let path = format!("/sync/pull?cursor={cursor}&limit={limit}");
        self.get_as_client(Some(token), &path, SYNC_CLIENT, SYNC_SCHEMA)
            .await
    }
}

impl TestServer {
    /// Like `start_at`, but serving the API without the background workers `serve`
    /// starts (the assessment worker runs on the system clock even under a manual
    /// one): for tests that play a worker themselves.
    pub async fn start_without_workers(now: DateTime<Utc>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = test_database(dir.path());
        let clock = Clock::manual(now);
        let settings = Settings {
            access_ttl: chrono::Duration::days(365),
            refresh_ttl: chrono::Duration::days(400),
            session_absolute_secs: 400 * 24 * 3600,
            ..Settings::default()
        };
        let state = {
            let (database, clock) = (database.clone(), clock.clone());
            off_runtime(move || minsheng_server::open_state_on(&database, settings, clock))
                .expect("open")
        };
        let st = state.clone();
        tokio::task::spawn_blocking(move || minsheng_server::seed::seed_demo(&st, None, None, 0))
            .await
            .expect("join")
            .expect("seed");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let app = minsheng_server::http::router(state.clone())
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            base,
            state,
            clock,
            client: reqwest::Client::new(),
            database,
            _dir: dir,
        }
    }
}

/// Spawns a prepared `minsheng-server serve --listen 127.0.0.1:0 …` command with its
/// stdout piped here; returns the process and the base URL it prints first
/// (`listening on http://ADDR`).
pub fn spawn_serve(cmd: &mut std::process::Command) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    (child, base)
}
