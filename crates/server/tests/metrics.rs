//! Operations (issue 17): `/metrics` in the Prometheus text format, who may read it,
//! readiness, request ids and JSON log lines. A real server on 127.0.0.1:0 over either
//! backend; every expected figure is what the test itself sent, queued or broke.

#[path = "support/exposition.rs"]
mod exposition;
mod support;

use std::net::SocketAddr;
use std::process::Command;

use axum::extract::ConnectInfo;
use chrono::Utc;
use exposition::{count, has, parse, Sample};
use minsheng_domain::ids::{CommandId, UserId};
use minsheng_server::metrics::MetricsToken;
use minsheng_server::state::Settings;
use minsheng_store::notify::{NewSms, StaffNotification};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, off_runtime, TestServer, SYNC_CLIENT, SYNC_SCHEMA};
use tower::ServiceExt;

async fn scrape(s: &TestServer) -> (String, Vec<Sample>) {
    let resp = s
        .client
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .expect("scrape");
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let text = resp.text().await.expect("text");
    let samples = parse(&text);
    (text, samples)
}

// ---------------------------------------------------------------- counters

fn note_command(seq: u64, case: &str) -> Value {
    json!({
        "id": CommandId::mint(Utc::now()).to_string(), "seq": seq, "caseId": case,
        "baseVersion": 1, "action": {"type": "addNote", "text": format!("第{seq}条备注")},
        "deviceAt": "2026-11-23T01:30:00Z"
    })
}

#[tokio::test]
async fn counters_equal_what_the_test_sent() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let mut cases = Vec::new();
    for title in [
        "夜间施工噪音",
        "小区停车纠纷",
        "楼道堆放杂物",
        "广场舞音响扰民",
    ] {
        let id = s.intake(&clerk, title).await;
        s.act_ok(&clerk, &id, s.dispatch("JN-LX-QCL", "治安管理", json!({})))
            .await;
        cases.push(id);
    }
    let (_, before) = scrape(&s).await;

    // 3 reads of a case and 2 of an unknown one: one route template, two classes.
    for _ in 0..3 {
        let (st, _) = s.get(Some(&officer), &format!("/cases/{}", cases[0])).await;
        assert_eq!(st, StatusCode::OK);
    }
    let unknown = CommandId::mint(Utc::now()).to_string();
    for _ in 0..2 {
        let (st, _) = s.get(Some(&officer), &format!("/cases/{unknown}")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
    }
    // 3 pushes of 5 commands each, their bodies' sizes counted here.
    let install = CommandId::mint(Utc::now()).to_string();
    let mut pushed_bytes = 0;
    for push in 0..3_u64 {
        let commands: Vec<Value> = (1..=5)
            .map(|i| note_command(push * 5 + i, &cases[0]))
            .collect();
        let body =
            serde_json::to_vec(&json!({"installId": install, "commands": commands})).expect("json");
        pushed_bytes += body.len();
        let resp = s
            .client
            .post(s.url("/sync/push"))
            .bearer_auth(&officer)
            .header("X-Minsheng-Client", SYNC_CLIENT)
            .header("X-Minsheng-Schema", SYNC_SCHEMA)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("push");
        assert_eq!(resp.status(), StatusCode::OK);
    }
    // The officer's four cases, pulled two per page.
    let (mut cursor, mut pages, mut pulled, mut pulled_bytes) = (String::new(), 0, 0, 0);
    loop {
        let resp = s
            .client
            .get(s.url(&format!("/sync/pull?cursor={cursor}&limit=2")))
            .bearer_auth(&officer)
            .header("X-Minsheng-Client", SYNC_CLIENT)
            .header("X-Minsheng-Schema", SYNC_SCHEMA)
            .send()
            .await
            .expect("pull");
        assert_eq!(resp.status(), StatusCode::OK);
        let bytes = resp.bytes().await.expect("body");
        pulled_bytes += bytes.len();
        let page: Value = serde_json::from_slice(&bytes).expect("page");
        pages += 1;
        pulled += page["changes"].as_array().expect("changes").len();
        cursor = page["nextCursor"].as_str().expect("cursor").to_owned();
        if page["hasMore"] != json!(true) {
            break;
        }
    }
    assert_eq!(pulled, cases.len());

    let (text, after) = scrape(&s).await;
    let delta =
        |name: &str, want: &[(&str, &str)]| count(&after, name, want) - count(&before, name, want);
    let case_route = [("method", "GET"), ("route", "/api/v1/cases/{id}")];
    let with_class = |class| [case_route[0], case_route[1], ("status_class", class)];
    assert_eq!(delta("minsheng_http_requests_total", &with_class("2xx")), 3);
    assert_eq!(delta("minsheng_http_requests_total", &with_class("4xx")), 2);
    assert_eq!(
        delta(
            "minsheng_http_request_duration_seconds_count",
            &with_class("2xx")
        ),
        3
    );
    let push_route = [
        ("method", "POST"),
        ("route", "/api/v1/sync/push"),
        ("status_class", "2xx"),
    ];
    assert_eq!(delta("minsheng_http_requests_total", &push_route), 3);
    assert_eq!(delta("minsheng_sync_push_commands_count", &[]), 3);
    assert_eq!(delta("minsheng_sync_push_commands_sum", &[]), 15);
    assert_eq!(
        delta(
            "minsheng_sync_push_command_results_total",
            &[("outcome", "applied")]
        ),
        15
    );
    assert_eq!(
        delta("minsheng_sync_push_request_bytes_sum", &[]),
        i64::try_from(pushed_bytes).expect("size")
    );
    assert_eq!(delta("minsheng_sync_pull_changes_count", &[]), pages);
    assert_eq!(
        delta("minsheng_sync_pull_changes_sum", &[]),
        i64::try_from(cases.len()).expect("count")
    );
    assert_eq!(
        delta("minsheng_sync_pull_response_bytes_sum", &[]),
        i64::try_from(pulled_bytes).expect("size")
    );
    // Route labels are templates: no id the test used is a label value anywhere.
    for id in cases.iter().chain([&unknown]) {
        assert!(
            after
                .iter()
                .all(|smp| smp.labels.values().all(|v| !v.contains(id.as_str()))),
            "{id} became a label value"
        );
        assert!(!text.contains(id.as_str()));
    }
    // A path no route serves counts as `unmatched`, not under its own path.
    let resp = s
        .client
        .get(format!("{}/api/v1/no-such-thing/{unknown}", s.base))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let (text, last) = scrape(&s).await;
    assert_eq!(
        count(
            &last,
            "minsheng_http_requests_total",
            &[("route", "unmatched"), ("status_class", "4xx")]
        ) - count(
            &after,
            "minsheng_http_requests_total",
            &[("route", "unmatched"), ("status_class", "4xx")]
        ),
        1
    );
    assert!(!text.contains("no-such-thing"));
}

#[tokio::test]
async fn scrape_time_gauges_read_the_queues_the_test_filled() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (_, before) = scrape(&s).await;
    assert_eq!(count(&before, "minsheng_database_up", &[]), 1);
    let depth = |samples: &[Sample], outbox, state| {
        count(
            samples,
            "minsheng_outbox_depth",
            &[("outbox", outbox), ("state", state)],
        )
    };
    let state = s.state.clone();
    let now = bj("2026-11-23 09:00");
    off_runtime(move || {
        for i in 0..2 {
            let sms = NewSms {
                event_key: format!("metrics-test:{i}"),
                phone: "13800000001".into(),
                template: "staff.notice".into(),
                provider_template_id: None,
                params: json!({"title": "测试", "body": "测试"}),
                body: "【民生警务】测试".into(),
            };
            assert!(state.store.enqueue_sms(&sms, now).expect("enqueue"));
        }
        let user = UserId::mint(now);
        let notes: Vec<_> = (0..3)
            .map(|i| {
                let n = StaffNotification {
                    id: format!("metrics-note-{i}"),
                    event_key: format!("metrics-note:{i}"),
                    user_id: user,
                    kind: "dispatch".into(),
                    case_id: None,
                    title: "新派单".into(),
                    body: "测试".into(),
                    created_at: now,
                    read_at: None,
                };
                (n, None)
            })
            .collect();
        assert_eq!(
            state
                .store
                .insert_notifications(&notes, None, now)
                .expect("notify")
                .len(),
            3
        );
    });
    let (_, after) = scrape(&s).await;
    assert_eq!(
        depth(&after, "sms", "pending") - depth(&before, "sms", "pending"),
        2
    );
    assert_eq!(
        depth(&after, "staff_notifications", "unread")
            - depth(&before, "staff_notifications", "unread"),
        3
    );
    // The pool reports its size, and what is open fits in it.
    let pool = after
        .iter()
        .find(|x| x.name == "minsheng_db_pool_max_connections")
        .expect("pool size");
    let name = pool.labels["pool"].as_str();
    let size = count(
        &after,
        "minsheng_db_pool_max_connections",
        &[("pool", name)],
    );
    let open = count(&after, "minsheng_db_pool_connections", &[("pool", name)]);
    assert!(size >= 1 && open <= size, "{open} of {size}");
    // Only the workers this server runs: the assessment loop (the notify loop runs on
    // the system clock only, and this server's clock is manual).
    assert!(has(
        &after,
        "minsheng_worker_lag_seconds",
        &[("worker", "assessment")]
    ));
    assert!(!has(
        &after,
        "minsheng_worker_lag_seconds",
        &[("worker", "notify")]
    ));
}

// ---------------------------------------------------------------- who may scrape

/// `GET /metrics` through the router as if from `peer`, with extra headers.
async fn scrape_as(s: &TestServer, peer: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = axum::http::Request::get("/metrics");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(axum::body::Body::empty()).expect("request");
    let peer: SocketAddr = peer.parse().expect("peer");
    req.extensions_mut().insert(ConnectInfo(peer));
    let resp = minsheng_server::http::router(s.state.clone())
        .oneshot(req)
        .await
        .expect("answer");
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn metrics_need_a_loopback_caller_or_the_token() {
    let settings = Settings {
        metrics_token: MetricsToken::new("scrape-secret-7f3a"),
        ..Settings::default()
    };
    let s = TestServer::start_with(bj("2026-11-23 09:00"), settings, 0).await;
    let forbidden = |(st, body): (StatusCode, Value)| {
        assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["code"], "METRICS_FORBIDDEN");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_ascii()));
    };
    forbidden(scrape_as(&s, "10.20.30.40:50000", &[]).await);
    forbidden(
        scrape_as(
            &s,
            "10.20.30.40:50000",
            &[("authorization", "Bearer wrong-token")],
        )
        .await,
    );
    // A proxy on this machine relays outside callers from a loopback address.
    forbidden(scrape_as(&s, "127.0.0.1:50000", &[("x-forwarded-for", "10.20.30.40")]).await);
    forbidden(scrape_as(&s, "127.0.0.1:50000", &[("forwarded", "for=10.20.30.40")]).await);
    assert_eq!(
        scrape_as(
            &s,
            "10.20.30.40:50000",
            &[("authorization", "Bearer scrape-secret-7f3a")]
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        scrape_as(&s, "127.0.0.1:50000", &[]).await.0,
        StatusCode::OK
    );
    assert_eq!(scrape_as(&s, "[::1]:50000", &[]).await.0, StatusCode::OK);
    // And over a real socket from 127.0.0.1.
    scrape(&s).await;
}

#[tokio::test]
async fn without_a_token_only_loopback_may_scrape() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (st, body) = scrape_as(
        &s,
        "192.0.2.7:40000",
        &[("authorization", "Bearer anything")],
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "METRICS_FORBIDDEN");
    assert_eq!(
        scrape_as(&s, "127.0.0.1:40000", &[]).await.0,
        StatusCode::OK
    );
}

// ---------------------------------------------------------------- readiness

#[tokio::test]
async fn ready_until_a_configured_model_fails_to_load_or_the_schema_moves() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (st, body) = s.get(None, "/health/ready").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
    let names: Vec<&str> = body["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["database", "migrations", "model"]);

    // A model directory configured at start that holds no model.
    let missing = tempfile::tempdir().expect("dir");
    let state = s.state.clone();
    let dir = missing.path().join("no-model-here");
    tokio::task::spawn_blocking(move || minsheng_server::intelligence::start(&state, Some(&dir)))
        .await
        .expect("join")
        .expect("the server starts without it");
    let (st, body) = s.get(None, "/health/ready").await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "NOT_READY");
    let message = body["message"].as_str().expect("message");
    assert!(message.contains("model"), "{message}");
    assert!(
        !message.contains("database") && !message.contains("migrations"),
        "{message}"
    );
    // Liveness is another question: the process still answers.
    assert_eq!(s.get(None, "/health").await.0, StatusCode::OK);

    // Another instance migrated the database to a version this program does not know.
    s.raw_sql()
        .exec(
            "INSERT INTO schema_migrations(version, description, applied_at)
             VALUES (10000, 'from a newer server', '2026-11-23 09:00:00')",
        )
        .expect("insert");
    let (st, body) = s.get(None, "/health/ready").await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let message = body["message"].as_str().expect("message");
    assert!(
        message.contains("migrations") && message.contains("10000"),
        "{message}"
    );
    assert!(message.contains("model"), "{message}");
}

#[tokio::test]
async fn not_ready_when_the_database_cannot_answer() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    assert_eq!(s.get(None, "/health/ready").await.0, StatusCode::OK);
    s.raw_sql()
        .exec("DROP TABLE schema_migrations")
        .expect("drop");
    let (st, body) = s.get(None, "/health/ready").await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let message = body["message"].as_str().expect("message");
    assert!(message.contains("database"), "{message}");
    // The driver's text stays in the server's log.
    assert!(!message.contains("schema_migrations"), "{message}");
}

// ---------------------------------------------------------------- request ids and logs

async fn request_id_of(s: &TestServer, path: &str, sent: Option<&str>) -> String {
    let mut rb = s.client.get(s.url(path));
    if let Some(id) = sent {
        rb = rb.header("X-Request-Id", id);
    }
    let resp = rb.send().await.expect("send");
    resp.headers()
        .get("x-request-id")
        .expect("an x-request-id on every answer")
        .to_str()
        .expect("ascii")
        .to_owned()
}

fn is_uuid_v7(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.get_version_num() == 7)
}

#[tokio::test]
async fn request_ids_are_echoed_when_sane_and_minted_otherwise() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let desk = "desk-0190f5d2_7000-abc";
    assert_eq!(request_id_of(&s, "/health", Some(desk)).await, desk);
    // Also on an error answer.
    assert_eq!(request_id_of(&s, "/auth/me", Some(desk)).await, desk);
    let longest = "a".repeat(64);
    assert_eq!(request_id_of(&s, "/health", Some(&longest)).await, longest);
    let minted = request_id_of(&s, "/health", None).await;
    assert!(is_uuid_v7(&minted), "{minted}");
    assert_ne!(request_id_of(&s, "/health", None).await, minted);
    for insane in ["has space", "semi;colon", "dot.ted", &"a".repeat(65)] {
        let got = request_id_of(&s, "/health", Some(insane)).await;
        assert!(is_uuid_v7(&got), "{insane:?} → {got}");
    }
}

/// The server binary, stderr into `log`, none of the variables it reads from outside.
fn server_command(log: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_minsheng-server"));
    cmd.env_remove("MINSHENG_DATABASE_URL")
        .env_remove("MINSHENG_LOG_FORMAT")
        .env_remove("RUST_LOG")
        .stderr(std::fs::File::create(log).expect("log file"));
    cmd
}

/// Every line of `log` as JSON (panics on a line that is not).
fn json_lines(log: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(log).expect("log");
    assert!(!text.is_empty(), "nothing logged");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// `serve` with MINSHENG_LOG_FORMAT=json and the default filter: every line on stderr is
/// a JSON object, and a refused request leaves one line under its request id.
#[tokio::test]
async fn json_log_lines_carry_the_request_id() {
    let dir = tempfile::tempdir().expect("dir");
    let db = support::test_database(dir.path());
    let log = dir.path().join("serve.log");
    let (mut child, base) = support::spawn_serve(
        server_command(&log)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(db.cli_args())
            .env("MINSHENG_LOG_FORMAT", "json"),
    );
    let client = reqwest::Client::new();
    let get = |path: &str, id: &str| {
        client
            .get(format!("{base}/api/v1{path}"))
            .header("X-Request-Id", id)
            .send()
    };
    let refused = "json-log-refused-1";
    let answered = "json-log-answered-2";
    let resp = get("/auth/me", refused).await.expect("send");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["x-request-id"], refused);
    let resp = get("/health", answered).await.expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    // The answer's line is written before the answer goes out.
    child.kill().expect("stop the server");
    child.wait().expect("wait");

    let lines = json_lines(&log);
    let of = |id: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|l| l["span"]["request_id"] == id)
            .collect()
    };
    let refused_lines = of(refused);
    assert_eq!(refused_lines.len(), 1, "{lines:#?}");
    let line = refused_lines[0];
    assert_eq!(line["status"], 401);
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["span"]["path"], "/api/v1/auth/me");
    assert!(line["timestamp"].is_string() && line["message"].is_string());
    // A success is logged at DEBUG: not under the default filter.
    assert!(of(answered).is_empty(), "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "民生警务平台 city server listening"),
        "{lines:#?}"
    );
}

/// `--log-format json` on another command; an unknown MINSHENG_LOG_FORMAT is refused.
#[tokio::test]
async fn the_log_format_flag_and_its_variable() {
    let dir = tempfile::tempdir().expect("dir");
    let db = support::test_database(dir.path());
    let log = dir.path().join("seed.log");
    let out = server_command(&log)
        .args(["seed-demo", "--cases", "0", "--log-format", "json"])
        .args(db.cli_args())
        .output()
        .expect("seed-demo");
    assert!(out.status.success());
    assert!(json_lines(&log).iter().all(|l| l["level"].is_string()));

    let out = server_command(&log)
        .args(["seed-demo", "--cases", "0"])
        .args(db.cli_args())
        .env("MINSHENG_LOG_FORMAT", "xml")
        .output()
        .expect("seed-demo");
    assert!(!out.status.success());
    let err = std::fs::read_to_string(&log).expect("log");
    assert!(err.contains("MINSHENG_LOG_FORMAT=xml"), "{err}");
}
