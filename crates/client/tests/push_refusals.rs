//! Pushes the server refuses whole, against the real server: a batch over the push
//! body limit is halved until it fits, a single command over it is refused into
//! 同步冲突 instead of blocking the queue, and a push answered 400/426 does not stop the
//! pull of the same round (the user still gets the others' changes).

#[path = "../../server/tests/support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use chrono::Utc;
use minsheng_client::api::ApiClient;
use minsheng_client::outbox::CommandStatus;
use minsheng_client::{DbKey, LocalCache, SyncEngine};
use minsheng_domain::ids::CaseId;
use minsheng_domain::workflow::Action;
use minsheng_server::state::Settings;
use serde_json::json;
use support::{bj, TestServer, PASSWORD};

const NOW: &str = "2026-03-02 09:00";

struct Station {
    cache: Arc<Mutex<LocalCache>>,
    engine: SyncEngine,
    _dir: tempfile::TempDir,
}

/// A desktop signed in as `user`, talking to `base` (the server or a gateway before it).
async fn station(base: &str, user: &str) -> Station {
    let dir = tempfile::tempdir().unwrap();
    let api = Arc::new(ApiClient::new(base).unwrap());
    let tokens = api.login(user, PASSWORD).await.unwrap();
    let mut cache = LocalCache::open(&dir.path().join("cache.db"), &DbKey::generate()).unwrap();
    cache.set_profile(&tokens.user).unwrap();
    cache.replace_units(&api.units().await.unwrap()).unwrap();
    let cache = Arc::new(Mutex::new(cache));
    let engine = SyncEngine::new(api, cache.clone());
    Station {
        cache,
        engine,
        _dir: dir,
    }
}

impl Station {
    fn cache(&self) -> std::sync::MutexGuard<'_, LocalCache> {
        self.cache.lock().unwrap()
    }

    fn note(&self, id: CaseId, text: String) {
        self.cache()
            .queue_action(id, Action::AddNote { text }, Utc::now())
            .unwrap();
    }
}

/// A case dispatched to 泉城路派出所 (the demo officer's station).
async fn dispatched_case(s: &TestServer, title: &str) -> CaseId {
    let clerk = s.login("clerk").await;
    let id = s.intake(&clerk, title).await;
    s.act_ok(&clerk, &id, s.dispatch("JN-LX-QCL", "噪音扰民", json!({})))
        .await;
    id.parse().unwrap()
}

fn timeline_len(s: &TestServer, id: CaseId) -> i64 {
    s.sql_i64(&format!(
        "SELECT count(*) FROM timeline WHERE case_id = '{id}'"
    ))
}

/// `n` characters of note text (3 bytes each in JSON).
fn text(n: usize) -> String {
    "巡".repeat(n)
}

#[tokio::test]
async fn a_push_over_the_body_limit_is_split_and_a_command_too_large_alone_is_refused() {
    let settings = Settings {
        access_ttl: chrono::Duration::days(365),
        refresh_ttl: chrono::Duration::days(400),
        session_absolute_secs: 400 * 24 * 3600,
        push_body_limit: 16 * 1024,
        ..Settings::default()
    };
    let s = TestServer::start_with(bj(NOW), settings, 0).await;
    let id = dispatched_case(&s, "小区夜间施工噪音").await;
    let st = station(&s.base, "officer").await;
    st.engine.sync_once(Utc::now()).await.unwrap();
    let before = timeline_len(&s, id);

    // 30 notes of ~1 KB: one batch is ~30 KB, twice the server's limit.
    for i in 0..30 {
        st.note(id, format!("{i}：{}", text(300)));
    }
    // One note of ~27 KB: over the limit on its own.
    st.note(id, text(9000));
    for i in 0..5 {
        st.note(id, format!("后续备注 {i}"));
    }

    let r = st.engine.sync_once(Utc::now()).await.unwrap();
    assert_eq!((r.applied, r.rejected), (35, 1), "{r:?}");
    assert_eq!(timeline_len(&s, id), before + 35, "each note applied once");
    assert_eq!(
        st.cache().pending_count().unwrap(),
        0,
        "nothing left queued"
    );
    let conflicts = st.cache().conflicts().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let big = &conflicts[0];
    assert_eq!(big.status, CommandStatus::Rejected);
    assert_eq!(big.error_code.as_deref(), Some("COMMAND_TOO_LARGE"));
    let message = big.error_message.as_deref().unwrap();
    assert!(message.contains("过大"), "{message}");
    assert!(
        matches!(&big.payload, minsheng_client::outbox::CommandPayload::Action(Action::AddNote { text }) if text.chars().count() == 9000)
    );
    st.engine.refresh_counts();
    let status = st.engine.status();
    assert_eq!((status.queued, status.conflicts), (0, 1));
    assert_eq!(status.last_error, None);
}

/// Serves the real API, except `POST /sync/push`, which it answers with `status`.
async fn refusing_gateway(s: &TestServer, status: StatusCode, code: &'static str) -> String {
    let real = minsheng_server::http::router(s.state.clone());
    let refuse = move || async move {
        (
            status,
            axum::Json(json!({"code": code, "message": "网关拒绝了本次同步"})),
        )
    };
    let app = axum::Router::new()
        .route("/api/v1/sync/push", axum::routing::post(refuse))
        .fallback_service(real)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn refused_push_still_pulls(status: StatusCode, code: &'static str) {
    let s = TestServer::start_at(bj(NOW)).await;
    let first = dispatched_case(&s, "楼道堆放杂物").await;
    let gateway = refusing_gateway(&s, status, code).await;
    let st = station(&gateway, "officer").await;
    let r = st.engine.sync_once(Utc::now()).await.unwrap();
    assert_eq!(r.pulled, 1, "{r:?}");

    // Offline work the gateway will refuse, and a colleague's new case meanwhile.
    st.cache()
        .queue_action(first, Action::SignIn, Utc::now())
        .unwrap();
    let second = dispatched_case(&s, "共享单车乱停放").await;

    let r = st
        .engine
        .sync_once(Utc::now())
        .await
        .expect("a refused push does not fail the round");
    assert_eq!((r.pushed, r.applied), (0, 0), "{r:?}");
    assert_eq!(r.pulled, 1, "the pull ran: {r:?}");
    assert!(st.cache().local_case(second, Utc::now()).is_ok());
    let status = st.engine.status();
    assert!(status.online);
    assert_eq!(status.last_error_code.as_deref(), Some(code), "{status:?}");
    assert_eq!(status.queued, 1, "the command stays queued: {status:?}");
    assert_eq!(st.cache().pending_count().unwrap(), 1);

    // The same cache through the real server: the command goes through once.
    let direct_api = ApiClient::new(&s.base).unwrap();
    direct_api.set_access_token(Some(s.login("officer").await));
    let direct = SyncEngine::new(Arc::new(direct_api), st.cache.clone());
    let r = direct.sync_once(Utc::now()).await.unwrap();
    assert_eq!((r.pushed, r.applied), (1, 1), "{r:?}");
}

#[tokio::test]
async fn a_push_answered_400_does_not_stop_the_pull() {
    refused_push_still_pulls(StatusCode::BAD_REQUEST, "BAD_REQUEST").await;
}

#[tokio::test]
async fn a_push_answered_426_does_not_stop_the_pull() {
    refused_push_still_pulls(StatusCode::UPGRADE_REQUIRED, "CLIENT_TOO_OLD").await;
}
