//! A real city server on 127.0.0.1:0 over a real SQLite file, seeded with the demo org
//! and users (no demo cases), plus the online actors' HTTP calls and read-only looks
//! into the server's own tables for the exactly-once checks.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::{CaseId, UnitId};
use minsheng_server::state::{Clock, Settings, SharedState};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const PASSWORD: &str = minsheng_server::seed::DEMO_PASSWORD;

pub struct CityServer {
    pub base: String,
    pub state: SharedState,
    pub db: PathBuf,
    pub http: reqwest::Client,
    dir: tempfile::TempDir,
    /// Set when the server runs on a runtime of its own (`start_stoppable`).
    own: Option<OwnRuntime>,
}

/// A server on a runtime (and thread) of its own: dropping that runtime ends every
/// task `serve` started (request handlers and workers alike), which is what lets the
/// database file close while the test goes on.
struct OwnRuntime {
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
    addr: SocketAddr,
}

/// A stopped server's database, waiting to be served again (after a restore, say).
pub struct StoppedServer {
    pub db: PathBuf,
    dir: tempfile::TempDir,
    addr: SocketAddr,
}

/// One row of the server's `processed_commands`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    pub id: String,
    pub install_id: String,
    pub user_id: String,
    pub seq: u64,
    pub case_id: Option<String>,
    pub result: Value,
}

impl Processed {
    pub fn status(&self) -> &str {
        self.result["status"].as_str().unwrap_or_default()
    }
}

fn test_settings() -> Settings {
    Settings {
        access_ttl: chrono::Duration::days(365),
        refresh_ttl: chrono::Duration::days(400),
        ..Settings::default()
    }
}

/// Serves `state` at `addr` on a runtime of its own; returns once it listens.
async fn serve_on_own_runtime(state: SharedState, addr: SocketAddr) -> OwnRuntime {
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .expect("bind server address");
            let _ = ready_tx.send(listener.local_addr().expect("address"));
            minsheng_server::serve(listener, state, async {
                let _ = stop_rx.await;
            })
            .await
            .expect("serve");
        });
        // Ends the workers, and with them their references to the state.
        drop(rt);
    });
    let addr = ready_rx.await.expect("server listening");
    OwnRuntime { stop, thread, addr }
}

impl CityServer {
    /// Server time is the wall clock: clients stamp their commands with `Utc::now()`.
    /// Tokens live long so a slow CI run never meets a refresh.
    pub async fn start() -> Self {
        Self::start_with_clock(Clock::System).await
    }

    pub async fn start_with_clock(clock: Clock) -> Self {
        let (dir, db, state) = Self::seeded(clock).await;
        let base = minsheng_server::spawn_for_tests(state.clone())
            .await
            .expect("spawn server");
        Self {
            base,
            state,
            db,
            http: reqwest::Client::new(),
            dir,
            own: None,
        }
    }

    /// Like `start`, but `stop` really stops it: the database is closed afterwards
    /// (so it can be restored from a backup) and `StoppedServer::restart` serves it
    /// again at the same address.
    pub async fn start_stoppable() -> Self {
        let (dir, db, state) = Self::seeded(Clock::System).await;
        let own = serve_on_own_runtime(state.clone(), "127.0.0.1:0".parse().expect("addr")).await;
        Self {
            base: format!("http://{}", own.addr),
            state,
            db,
            http: reqwest::Client::new(),
            dir,
            own: Some(own),
        }
    }

    async fn seeded(clock: Clock) -> (tempfile::TempDir, PathBuf, SharedState) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("city.db");
        let state =
            minsheng_server::open_state(&db, test_settings(), clock).expect("open server db");
        let st = state.clone();
        tokio::task::spawn_blocking(move || minsheng_server::seed::seed_demo(&st, None, None, 0))
            .await
            .expect("join")
            .expect("seed demo org and users");
        (dir, db, state)
    }

    /// Stops a `start_stoppable` server: requests in flight finish, every task of the
    /// server ends and the database file is closed.
    pub async fn stop(self) -> StoppedServer {
        let Self {
            state,
            db,
            dir,
            own,
            ..
        } = self;
        let own = own.expect("a server started with start_stoppable");
        let _ = own.stop.send(());
        tokio::task::spawn_blocking(move || own.thread.join())
            .await
            .expect("join")
            .expect("server thread");
        drop(state);
        StoppedServer {
            db,
            dir,
            addr: own.addr,
        }
    }

    /// `SELECT last FROM sync_counter`: the change log's end.
    pub fn change_counter(&self) -> u64 {
        self.read_only()
            .query_row("SELECT last FROM sync_counter WHERE id = 1", [], |r| {
                r.get::<_, i64>(0)
            })
            .expect("sync_counter") as u64
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.state.now()
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

    async fn send(rb: reqwest::RequestBuilder, token: Option<&str>) -> (StatusCode, Value) {
        let rb = match token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        };
        let resp = rb.send().await.expect("request to the server");
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
        Self::send(self.http.get(self.url(path)), token).await
    }

    pub async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> (StatusCode, Value) {
        Self::send(self.http.post(self.url(path)).json(body), token).await
    }

    pub async fn act(&self, token: &str, case: CaseId, action: Value) -> (StatusCode, Value) {
        self.post(
            Some(token),
            &format!("/cases/{case}/actions"),
            &json!({ "action": action }),
        )
        .await
    }

    /// An online action that must succeed; returns the new case view.
    pub async fn act_ok(&self, token: &str, case: CaseId, action: Value) -> Value {
        let (st, body) = self.act(token, case, action.clone()).await;
        assert_eq!(st, StatusCode::OK, "action {action} on {case}: {body}");
        body
    }

    pub fn unit(&self, code: &str) -> UnitId {
        self.state
            .org()
            .find_by_code(code)
            .unwrap_or_else(|| panic!("unit {code}"))
            .id
    }

    /// A hotline case registered by a clerk; returns its id.
    pub async fn intake(&self, clerk: &str, title: &str) -> CaseId {
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
        serde_json::from_value(body["id"].clone()).expect("case id")
    }

    pub fn dispatch_to(&self, unit_code: &str) -> Value {
        json!({
            "type": "dispatch",
            "handlingUnit": self.unit(unit_code),
            "category": "治安管理",
            "requestType": "投诉",
            "urgency": "普通",
            "flags": {}
        })
    }

    pub fn redispatch_to(&self, unit_code: &str) -> Value {
        json!({
            "type": "redispatch",
            "reason": "属其他派出所辖区",
            "order": {"handlingUnit": self.unit(unit_code), "category": "治安管理", "requestType": "投诉"}
        })
    }

    /// A case registered and dispatched to `unit_code` by the clerk.
    pub async fn dispatched(&self, clerk: &str, unit_code: &str, title: &str) -> CaseId {
        let id = self.intake(clerk, title).await;
        self.act_ok(clerk, id, self.dispatch_to(unit_code)).await;
        id
    }

    /// The case as stored (the domain type, citizen unmasked).
    pub fn case(&self, id: CaseId) -> Case {
        self.state
            .store
            .case(id)
            .expect("store read")
            .unwrap_or_else(|| panic!("case {id} not on the server"))
    }

    pub fn timeline(&self, id: CaseId) -> Vec<minsheng_domain::timeline::TimelineEntry> {
        self.state.store.timeline(id).expect("timeline")
    }

    /// `GET /cases/{id}/timeline/verify` as `token` (a clerk sees every case).
    pub async fn verify_timeline(&self, token: &str, id: CaseId) -> Value {
        let (st, body) = self
            .get(Some(token), &format!("/cases/{id}/timeline/verify"))
            .await;
        assert_eq!(st, StatusCode::OK, "verify {id}: {body}");
        body
    }

    /// Every id of a case on the server.
    pub fn all_case_ids(&self) -> Vec<CaseId> {
        let conn = self.read_only();
        let mut stmt = conn.prepare("SELECT id FROM cases").expect("cases");
        stmt.query_map([], |r| r.get::<_, String>(0))
            .expect("query")
            .map(|s| s.expect("row").parse().expect("case id"))
            .collect()
    }

    /// The server's processed-command log, read from its SQLite file.
    pub fn processed(&self) -> Vec<Processed> {
        let conn = self.read_only();
        let mut stmt = conn
            .prepare(
                "SELECT id, install_id, user_id, seq, case_id, result
                 FROM processed_commands ORDER BY install_id, seq",
            )
            .expect("processed_commands");
        stmt.query_map([], |r| {
            let result: String = r.get(5)?;
            Ok(Processed {
                id: r.get(0)?,
                install_id: r.get(1)?,
                user_id: r.get(2)?,
                seq: r.get::<_, i64>(3)? as u64,
                case_id: r.get(4)?,
                result: serde_json::from_str(&result).unwrap_or(Value::Null),
            })
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
    }

    /// How many commands of `install` the server has processed (committed).
    pub fn processed_count(&self, install: &str) -> usize {
        self.read_only()
            .query_row(
                "SELECT COUNT(*) FROM processed_commands WHERE install_id = ?1",
                [install],
                |r| r.get::<_, i64>(0),
            )
            .expect("processed_commands") as usize
    }

    pub fn read_only(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(
            &self.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .expect("open server db read-only")
    }
}

impl StoppedServer {
    /// Serves the database again at the address it had (clients keep their URL).
    pub async fn restart(self) -> CityServer {
        let Self { db, dir, addr } = self;
        let state = minsheng_server::open_state(&db, test_settings(), Clock::System)
            .expect("reopen server db");
        let own = serve_on_own_runtime(state.clone(), addr).await;
        CityServer {
            base: format!("http://{}", own.addr),
            state,
            db,
            http: reqwest::Client::new(),
            dir,
            own: Some(own),
        }
    }
}
