//! The sync engine against the real city server: snapshot, offline work pushed once,
//! offline intake numbered, a conflict listed and resolved, and a reset re-snapshot
//! that keeps the outbox.

#[path = "../../server/tests/support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex};

use chrono::Utc;
use minsheng_client::api::ApiClient;
use minsheng_client::outbox::{CommandStatus, Resolution};
use minsheng_client::{DbKey, LocalCache, SyncEngine};
use minsheng_domain::case::CaseState;
use minsheng_domain::ids::CaseId;
use minsheng_domain::workflow::Action;
use serde_json::json;
use support::{TestServer, PASSWORD};

struct Station {
    cache: Arc<Mutex<LocalCache>>,
    engine: SyncEngine,
    _dir: tempfile::TempDir,
}

async fn station(s: &TestServer, user: &str) -> Station {
    let dir = tempfile::tempdir().unwrap();
    let api = Arc::new(ApiClient::new(&s.base).unwrap());
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
}

/// A case dispatched to 泉城路派出所, waiting for sign-in.
async fn dispatched_case(s: &TestServer, title: &str) -> CaseId {
    let clerk = s.login("clerk").await;
    let id = s.intake(&clerk, title).await;
    s.act_ok(&clerk, &id, s.dispatch("JN-LX-QCL", "噪音扰民", json!({})))
        .await;
    id.parse().unwrap()
}

#[tokio::test]
async fn offline_work_reaches_the_server_once_and_the_snapshot_follows() {
    let s = TestServer::start_at(Utc::now()).await;
    let id = dispatched_case(&s, "楼上深夜装修噪音").await;
    let st = station(&s, "officer").await;

    let first = st.engine.sync_once(Utc::now()).await.unwrap();
    assert!(first.pulled >= 1, "{first:?}");
    let local = st.cache().local_case(id, Utc::now()).unwrap();
    assert_eq!(local.case.state, CaseState::PendingSignIn);
    assert!(!local.timeline.is_empty(), "timeline cached with the case");

    // Offline: two steps queued, validated locally, shown at once.
    st.cache()
        .queue_action(id, Action::SignIn, Utc::now())
        .unwrap();
    let view = st
        .cache()
        .queue_action(
            id,
            Action::SubmitReply {
                text: "已上门调解，施工方承诺夜间停工。".into(),
            },
            Utc::now(),
        )
        .unwrap();
    assert_eq!(view.pending_steps.len(), 2);
    assert_eq!(
        st.engine.status().queued,
        0,
        "status counts refresh on demand"
    );
    st.engine.refresh_counts();
    assert_eq!(st.engine.status().queued, 2);

    let r = st.engine.sync_once(Utc::now()).await.unwrap();
    assert_eq!((r.pushed, r.applied), (2, 2), "{r:?}");
    let status = st.engine.status();
    assert_eq!((status.queued, status.conflicts), (0, 0));
    assert!(status.online && status.last_sync_at.is_some());

    let officer = s.login("officer").await;
    let (_, server_case) = s.get(Some(&officer), &format!("/cases/{id}")).await;
    assert_ne!(
        server_case["state"],
        json!("pendingSignIn"),
        "{server_case}"
    );
    let local = st.cache().local_case(id, Utc::now()).unwrap();
    assert!(local.pending.is_empty());
    assert_eq!(
        local.server_version,
        server_case["version"].as_u64().unwrap()
    );
    assert!(local.timeline.iter().any(|e| e.kind == "submitReply"));

    // Pushing again changes nothing: the server processed each id once.
    let again = st.engine.sync_once(Utc::now()).await.unwrap();
    assert_eq!(again.pushed, 0);
    let processed = s.sql_i64("SELECT count(*) FROM processed_commands");
    assert_eq!(processed, 2);
}

#[tokio::test]
async fn a_home_visit_recorded_offline_gets_its_case_number() {
    let s = TestServer::start_at(Utc::now()).await;
    let st = station(&s, "officer").await;
    st.engine.sync_once(Utc::now()).await.unwrap();
    let new: minsheng_domain::workflow::NewCase = serde_json::from_value(json!({
        "channel": "入户走访",
        "requestType": "求助",
        "title": "独居老人家门锁损坏",
        "content": "走访时老人反映门锁坏了，担心安全。",
        "citizenName": "李大爷",
        "citizenPhone": "13912345678"
    }))
    .unwrap();
    let local = st.cache().queue_intake(new, Utc::now()).unwrap();
    let id = local.case.id;
    assert!(local.case.number.is_none());
    let r = st.engine.sync_once(Utc::now()).await.unwrap();
    assert_eq!(r.applied, 1, "{r:?}");
    let after = st.cache().local_case(id, Utc::now()).unwrap();
    let number = after.case.number.expect("server number");
    assert!(number.starts_with("MS"), "{number}");
}

#[tokio::test]
async fn two_officers_sign_in_the_same_case_offline_one_wins_the_other_resolves() {
    let s = TestServer::start_at(Utc::now()).await;
    let id = dispatched_case(&s, "小区门口占道经营").await;
    let a = station(&s, "officer").await;
    let b = station(&s, "head").await;
    a.engine.sync_once(Utc::now()).await.unwrap();
    b.engine.sync_once(Utc::now()).await.unwrap();
    a.cache()
        .queue_action(id, Action::SignIn, Utc::now())
        .unwrap();
    b.cache()
        .queue_action(id, Action::SignIn, Utc::now())
        .unwrap();
    assert_eq!(a.engine.sync_once(Utc::now()).await.unwrap().applied, 1);
    let rb = b.engine.sync_once(Utc::now()).await.unwrap();
    assert_eq!(rb.applied, 0, "{rb:?}");
    let conflicts = b.cache().conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert!(matches!(
        conflicts[0].status,
        CommandStatus::Conflict | CommandStatus::Rejected
    ));
    assert!(conflicts[0].error_message.is_some(), "server's reason kept");
    // B already sees the case signed in by A.
    assert_ne!(
        b.cache().local_case(id, Utc::now()).unwrap().case.state,
        CaseState::PendingSignIn
    );
    b.cache()
        .resolve_conflict(conflicts[0].id, Resolution::Discard, Utc::now())
        .unwrap();
    assert!(b.cache().conflicts().unwrap().is_empty());
    b.engine.refresh_counts();
    assert_eq!(b.engine.status().conflicts, 0);
}

#[tokio::test]
async fn an_unusable_cursor_resnapshots_and_keeps_the_outbox() {
    let s = TestServer::start_at(Utc::now()).await;
    let id = dispatched_case(&s, "夜间烧烤油烟扰民").await;
    let st = station(&s, "officer").await;
    st.engine.sync_once(Utc::now()).await.unwrap();
    st.cache()
        .queue_action(id, Action::SignIn, Utc::now())
        .unwrap();
    st.cache().set_meta("pull_cursor", "not-a-cursor").unwrap();
    let r = st.engine.sync_once(Utc::now()).await.unwrap();
    assert!(r.reset, "{r:?}");
    assert_eq!(r.applied, 1, "the queued command went first: {r:?}");
    let local = st.cache().local_case(id, Utc::now()).unwrap();
    assert_eq!(local.case.state, CaseState::InProgress);
}

#[tokio::test]
async fn a_dead_server_is_offline_and_the_queue_survives() {
    let s = TestServer::start_at(Utc::now()).await;
    let id = dispatched_case(&s, "快递柜被占用").await;
    let st = station(&s, "officer").await;
    st.engine.sync_once(Utc::now()).await.unwrap();
    st.cache()
        .queue_action(id, Action::SignIn, Utc::now())
        .unwrap();
    // Same cache, an API client pointing at a port nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let offline = SyncEngine::new(Arc::new(ApiClient::new(&dead).unwrap()), st.cache.clone());
    let err = offline.sync_once(Utc::now()).await.unwrap_err();
    assert_eq!(err.code(), "OFFLINE");
    let status = offline.status();
    assert!(!status.online);
    assert_eq!(status.queued, 1);
    assert!(status.last_error.is_some());
    // Back online: the command that was marked "sent" goes through once.
    let r = st.engine.sync_once(Utc::now()).await.unwrap();
    assert_eq!(r.applied, 1, "{r:?}");
}
