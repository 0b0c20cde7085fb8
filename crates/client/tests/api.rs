//! The typed HTTP client against the real city server (over loopback, real SQLite,
//! demo org), plus a raw socket that records headers and fakes odd answers.

use chrono::Utc;
use minsheng_client::api::{ActionRequest, ApiClient, CaseListQuery, CLIENT_HEADER, SCHEMA_HEADER};
use minsheng_client::cache::CachedCase;
use minsheng_client::outbox::CommandStatus;
use minsheng_client::{ClientError, DbKey, LocalCache};
use minsheng_domain::case::{CaseFlags, CaseState, Category, RequestType, Urgency};
use minsheng_domain::ids::CaseId;
use minsheng_domain::workflow::{Action, DispatchOrder, NewCase};
use minsheng_server::state::{Clock, Settings};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PASSWORD: &str = "Demo@2026";

async fn start_server() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let state = minsheng_server::open_state(
        &dir.path().join("server.db"),
        Settings::default(),
        Clock::manual(Utc::now()),
    )
    .unwrap();
    let st = state.clone();
    tokio::task::spawn_blocking(move || minsheng_server::seed::seed_demo(&st, None, None, 0))
        .await
        .unwrap()
        .unwrap();
    let base = minsheng_server::spawn_for_tests(state).await.unwrap();
    (base, dir)
}

/// Answers one HTTP request with `status` and `body`; returns the request head it got.
async fn one_shot(status: &str, body: &str) -> (String, tokio::task::JoinHandle<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let handle = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = sock.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        sock.write_all(reply.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&head).to_lowercase()
    });
    (base, handle)
}

#[tokio::test]
async fn every_request_carries_client_and_schema_versions() {
    let (base, head) = one_shot("200 OK", "[]").await;
    let api = ApiClient::new(&base).unwrap();
    api.set_access_token(Some("tok".into()));
    assert!(api.units().await.unwrap().is_empty());
    let head = head.await.unwrap();
    assert!(head.starts_with("get /api/v1/units "), "{head}");
    assert!(
        head.contains(&format!(
            "{}: minsheng-desktop/",
            CLIENT_HEADER.to_lowercase()
        )),
        "{head}"
    );
    assert!(
        head.contains(&format!(
            "{}: {}",
            SCHEMA_HEADER.to_lowercase(),
            minsheng_client::cache::migrations::SCHEMA_VERSION
        )),
        "{head}"
    );
    assert!(head.contains("authorization: bearer tok"), "{head}");
    // Its own request id, a UUID v7, for the server's log and the desktop's.
    let id = head
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .unwrap_or_else(|| panic!("no x-request-id: {head}"));
    let id = uuid::Uuid::parse_str(id.trim()).expect("a UUID");
    assert_eq!(id.get_version_num(), 7, "{id}");
}

#[tokio::test]
async fn failures_are_typed() {
    let (base, _h) = one_shot("502 Bad Gateway", "<html>proxy</html>").await;
    let err = ApiClient::new(&base).unwrap().me().await.unwrap_err();
    assert!(
        matches!(err, ClientError::Server { status: 502, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "HTTP_502");

    let (base, _h) = one_shot(
        "401 Unauthorized",
        r#"{"code":"TOKEN_EXPIRED","message":"登录已过期"}"#,
    )
    .await;
    let err = ApiClient::new(&base).unwrap().me().await.unwrap_err();
    assert!(matches!(err, ClientError::AuthExpired), "{err:?}");

    let (base, _h) = one_shot("200 OK", "not json").await;
    let err = ApiClient::new(&base).unwrap().me().await.unwrap_err();
    assert_eq!(err.code(), "PROTOCOL");

    // Nothing listens on this port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = ApiClient::new(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .me()
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Offline(_)), "{err:?}");
    assert!(err.to_string().contains("离线"));
}

#[tokio::test]
async fn login_refresh_and_server_errors_against_the_real_server() {
    let (base, _dir) = start_server().await;
    let api = ApiClient::new(&base).unwrap();
    let err = api.login("officer", "wrong").await.unwrap_err();
    assert_eq!(err.code(), "BAD_CREDENTIALS");
    assert!(matches!(err, ClientError::Server { status: 401, .. }));

    let err = api.me().await.unwrap_err();
    assert!(
        matches!(err, ClientError::AuthExpired),
        "no token yet: {err:?}"
    );

    let t = api.login("officer", PASSWORD).await.unwrap();
    assert_eq!(t.user.role, "officer");
    assert_eq!(api.me().await.unwrap(), t.user);
    let t2 = api.refresh(&t.refresh_token).await.unwrap();
    assert_ne!(t2.refresh_token, t.refresh_token);
    let err = api.refresh(&t.refresh_token).await.unwrap_err();
    // A rotated token presented again ends the login: the server takes it for a copy.
    assert_eq!(err.code(), "REFRESH_REUSED", "rotated token: {err:?}");
    assert!(
        matches!(err, ClientError::Server { status: 401, .. }),
        "{err:?}"
    );
    // ... and with it the pair it was exchanged for: sign in again.
    assert!(matches!(api.me().await, Err(ClientError::AuthExpired)));
    api.login("officer", PASSWORD).await.unwrap();

    let err = api.case(CaseId::mint(Utc::now())).await.unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND");
}

/// The online-only passthroughs the desktop's 通知偏好 uses: read, change, read back.
#[tokio::test]
async fn notification_preferences_round_trip_through_put() {
    let (base, _dir) = start_server().await;
    let api = ApiClient::new(&base).unwrap();
    api.login("officer", PASSWORD).await.unwrap();
    let mut prefs = api.get_json("/notifications/preferences").await.unwrap();
    prefs["sms"] = serde_json::json!(!prefs["sms"].as_bool().unwrap_or(false));
    let saved = api
        .put_json("/notifications/preferences", &prefs)
        .await
        .unwrap();
    assert_eq!(saved["sms"], prefs["sms"]);
    let again = api.get_json("/notifications/preferences").await.unwrap();
    assert_eq!(again["sms"], prefs["sms"]);
    let err = api
        .put_json(
            "/notifications/preferences",
            &serde_json::json!({"sms": "yes"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "BAD_REQUEST");
}

/// The local half end to end: cache the officer's scope from the server, act offline
/// through the outbox, then deliver the command with the online action endpoint.
#[tokio::test]
async fn server_cases_cache_and_offline_action_round_trip() {
    let (base, _dir) = start_server().await;
    let clerk = ApiClient::new(&base).unwrap();
    clerk.login("clerk", PASSWORD).await.unwrap();
    let units = clerk.units().await.unwrap();
    let station = units
        .iter()
        .find(|u| u.code == "JN-LX-QCL")
        .expect("demo station");
    let new: NewCase = serde_json::from_value(json!({
        "channel": "12345市长热线", "title": "小区夜间施工噪音扰民",
        "content": "每晚十点后仍在施工，影响休息", "citizenName": "张三",
        "citizenPhone": "13812345678"}))
    .unwrap();
    let created = clerk.create_case(&new).await.unwrap();
    assert!(created["number"]
        .as_str()
        .is_some_and(|n| n.starts_with("MS")));
    let id: CaseId = serde_json::from_value(created["id"].clone()).unwrap();
    let order = DispatchOrder {
        handling_unit: station.id,
        supervising_unit: None,
        co_units: vec![],
        category: Category::new("噪音扰民").unwrap(),
        request_type: RequestType::Complaint,
        urgency: Urgency::default(),
        flags: CaseFlags::default(),
    };
    let req = ActionRequest {
        action: Action::Dispatch(order),
        expected_version: None,
        device_at: None,
    };
    clerk.act(id, &req).await.unwrap();

    // The officer caches their scope.
    let officer = ApiClient::new(&base).unwrap();
    let t = officer.login("officer", PASSWORD).await.unwrap();
    let page = officer
        .cases(&CaseListQuery {
            limit: Some(50),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(page
        .items
        .iter()
        .any(|s| s.id == id && s.state == CaseState::PendingSignIn));
    let view = officer.case(id).await.unwrap();
    let cached = CachedCase::from_view(view.clone()).unwrap();
    assert_eq!(cached.citizen.phone.as_deref(), Some("138****5678"));

    let dir = tempfile::tempdir().unwrap();
    let mut cache = LocalCache::open(&dir.path().join("cache.db"), &DbKey::generate()).unwrap();
    cache.set_profile(&t.user).unwrap();
    cache
        .replace_units(&officer.units().await.unwrap())
        .unwrap();
    cache.upsert_server_cases(vec![view]).unwrap();
    assert_eq!(cache.search("施工噪音", 5).unwrap()[0].id, id);

    // Offline: sign in locally; the domain accepts it, the view moves on.
    let local = cache.queue_action(id, Action::SignIn, Utc::now()).unwrap();
    assert_eq!(local.case.state, CaseState::InProgress);
    let cmd = cache.commands(&[CommandStatus::Queued]).unwrap().remove(0);

    // Back online: deliver it (the sync half will use /sync/push with the command id).
    let minsheng_client::outbox::CommandPayload::Action(action) = cmd.payload else {
        panic!()
    };
    let req = ActionRequest {
        action,
        expected_version: cmd.base_version,
        device_at: Some(cmd.device_at),
    };
    let after = officer.act(id, &req).await.unwrap();
    cache.upsert_server_cases(vec![after]).unwrap();
    cache
        .set_command_status(cmd.id, CommandStatus::Applied, None, Utc::now())
        .unwrap();
    let synced = cache.local_case(id, Utc::now()).unwrap();
    assert_eq!(synced.case.state, CaseState::InProgress);
    assert_eq!(synced.server_version, cmd.base_version.unwrap() + 1);
    assert!(synced.pending.is_empty());

    // The same command again with its old base version is a typed conflict.
    let err = officer.act(id, &req).await.unwrap_err();
    assert_eq!(err.code(), "VERSION_CONFLICT");
    assert!(matches!(err, ClientError::Server { status: 409, .. }));
}
