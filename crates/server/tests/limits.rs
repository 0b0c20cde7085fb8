//! Load shedding and deadlines over real HTTP. A request is held open by sending its
//! head with `Expect: 100-continue` and withholding the body: the server's `100 Continue`
//! says its handler is reading the body, so the request holds its in-flight slot and its
//! deadline is running. No sleeps: the test waits for what the server sends.

mod support;

use std::fmt::Write as _;
use std::time::Duration;

use minsheng_server::state::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer, SYNC_CLIENT, SYNC_SCHEMA};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const NOW: &str = "2026-03-02 09:00";
/// Far beyond any deadline under test: how long to wait for an answer before failing.
const GUARD: Duration = Duration::from_mins(2);

/// A request whose head is sent and whose body the server is waiting for.
struct Held {
    sock: TcpStream,
}

impl Held {
    async fn open(
        ts: &TestServer,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body_len: usize,
    ) -> Self {
        let addr = ts.base.trim_start_matches("http://").to_owned();
        let mut sock = TcpStream::connect(&addr).await.expect("connect");
        let mut head = format!(
            "{method} /api/v1{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {body_len}\r\nExpect: 100-continue\r\nConnection: close\r\n"
        );
        for (k, v) in headers {
            let _ = write!(head, "{k}: {v}\r\n");
        }
        head.push_str("\r\n");
        sock.write_all(head.as_bytes()).await.expect("send head");
        // Byte by byte up to the blank line: nothing of the final answer is consumed.
        let mut got = Vec::new();
        while !got.ends_with(b"\r\n\r\n") {
            let b = sock
                .read_u8()
                .await
                .expect("server answered before asking for the body");
            got.push(b);
        }
        let got = String::from_utf8_lossy(&got).into_owned();
        assert!(
            got.starts_with("HTTP/1.1 100"),
            "expected 100 Continue, got {got}"
        );
        Self { sock }
    }

    /// Sends the body (`None`: sends nothing) and reads the final answer.
    async fn answer(mut self, body: Option<&[u8]>) -> (u16, Value) {
        if let Some(b) = body {
            self.sock.write_all(b).await.expect("send body");
        }
        let mut raw = Vec::new();
        // A guard only, so a server that never answers fails the test instead of hanging it.
        tokio::time::timeout(GUARD, self.sock.read_to_end(&mut raw))
            .await
            .expect("no answer at all")
            .expect("read answer");
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").expect("http answer");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        let body = serde_json::from_str(body).unwrap_or(Value::String(body.to_owned()));
        (status, body)
    }
}

#[tokio::test]
async fn beyond_the_in_flight_limit_requests_are_refused_at_once() {
    let settings = Settings {
        max_in_flight: 1,
        ..Settings::default()
    };
    let ts = TestServer::start_with(bj(NOW), settings, 0).await;
    let login =
        serde_json::to_vec(&json!({"username": "clerk", "password": support::PASSWORD})).unwrap();
    let held = Held::open(&ts, "POST", "/auth/login", &[], login.len()).await;

    // The one slot is taken: the next request is shed, not queued.
    let (st, body) = ts.get(None, "/health").await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        body,
        json!({"code": "OVERLOADED", "message": "服务器繁忙，请稍后重试"})
    );

    // The held login completes normally, and the slot is free again.
    let (status, body) = held.answer(Some(&login)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["accessToken"].is_string(), "{body}");
    let (st, body) = ts.get(None, "/health").await;
    assert_eq!(st, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_request_past_its_deadline_answers_503_but_sync_has_longer() {
    let settings = Settings {
        request_timeout: Duration::from_millis(300),
        long_request_timeout: Duration::from_hours(1),
        ..Settings::default()
    };
    let ts = TestServer::start_with(bj(NOW), settings, 0).await;
    // A token without an HTTP login (a login here would have only 300 ms to hash).
    let st = ts.state.clone();
    let token = tokio::task::spawn_blocking(move || {
        let user = st.store.user_by_username("officer").unwrap().unwrap();
        let t = minsheng_server::auth::issue_login_tokens(&st, &user, st.now());
        st.store.insert_session(&t.session).unwrap();
        t.access
    })
    .await
    .unwrap();

    // A sync push is held open first ...
    let push = serde_json::to_vec(&json!({"installId": uuid_v7(), "commands": []})).unwrap();
    let bearer = format!("Bearer {token}");
    let held_push = Held::open(
        &ts,
        "POST",
        "/sync/push",
        &[
            ("Authorization", &bearer),
            ("X-Minsheng-Client", SYNC_CLIENT),
            ("X-Minsheng-Schema", SYNC_SCHEMA),
        ],
        push.len(),
    )
    .await;

    // ... then an ordinary request, which never gets its body: it is cut at its deadline.
    let held_login = Held::open(&ts, "POST", "/auth/login", &[], 100).await;
    let (status, body) = held_login.answer(None).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body,
        json!({"code": "REQUEST_TIMEOUT", "message": "服务器处理超时，请稍后重试"})
    );

    // The push has been open longer than that, yet it is served once its body arrives.
    let (status, body) = held_push.answer(Some(&push)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["results"].as_array().is_some_and(Vec::is_empty),
        "{body}"
    );
}

fn uuid_v7() -> String {
    minsheng_domain::ids::CommandId::mint(chrono::Utc::now()).to_string()
}
