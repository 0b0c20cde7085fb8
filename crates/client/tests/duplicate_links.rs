//! 首问负责 in the desktop cache: a master's local view lists the duplicates linked to
//! it, each at the time the server recorded the link, and only those the user may see.

#[path = "../../server/tests/support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use minsheng_client::api::ApiClient;
use minsheng_client::{DbKey, LocalCache, SyncEngine};
use minsheng_domain::case::CaseState;
use minsheng_domain::ids::CaseId;
use reqwest::StatusCode;
use serde_json::json;
use support::{TestServer, PASSWORD};

async fn synced_cache(s: &TestServer, user: &str) -> (LocalCache, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let api = Arc::new(ApiClient::new(&s.base).unwrap());
    let tokens = api.login(user, PASSWORD).await.unwrap();
    let mut cache = LocalCache::open(&dir.path().join("cache.db"), &DbKey::generate()).unwrap();
    cache.set_profile(&tokens.user).unwrap();
    cache.replace_units(&api.units().await.unwrap()).unwrap();
    let cache = Arc::new(Mutex::new(cache));
    SyncEngine::new(api, cache.clone())
        .sync_once(Utc::now())
        .await
        .unwrap();
    let cache = Arc::try_unwrap(cache).ok().unwrap().into_inner().unwrap();
    (cache, dir)
}

/// The server's time of the duplicate's 关联重复件 step, read from its timeline.
async fn link_time(s: &TestServer, token: &str, dup: &str) -> DateTime<Utc> {
    let (st, entries) = s.get(Some(token), &format!("/cases/{dup}/timeline")).await;
    assert_eq!(st, StatusCode::OK, "{entries}");
    let at = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "linkDuplicate")
        .expect("the duplicate's timeline records the link")["at"]
        .as_str()
        .unwrap()
        .to_owned();
    at.parse().unwrap()
}

#[tokio::test]
async fn a_master_lists_its_duplicates_at_their_link_times() {
    let s = TestServer::start_at(Utc::now()).await;
    let clerk = s.login("clerk").await;
    let master = s.intake(&clerk, "小区门口夜市占道噪音").await;
    s.act_ok(
        &clerk,
        &master,
        s.dispatch("JN-LX-QCL", "治安管理", json!({})),
    )
    .await;
    let first = s.intake(&clerk, "小区门口夜市噪音又来了").await;
    let second = s.intake(&clerk, "夜市噪音第三次反映").await;
    let unrelated = s.intake(&clerk, "身份证补办咨询").await;
    for dup in [&second, &first] {
        s.act_ok(
            &clerk,
            dup,
            json!({"type": "linkDuplicate", "master": master}),
        )
        .await;
    }

    let (cache, _dir) = synced_cache(&s, "clerk").await;
    let local = cache
        .local_case(master.parse().unwrap(), Utc::now())
        .unwrap();
    let got: Vec<(String, Option<DateTime<Utc>>, CaseState)> = local
        .duplicates
        .iter()
        .map(|d| (d.id.to_string(), d.linked_at, d.state))
        .collect();
    // Linked second first, so the list (oldest link first) starts with `second`.
    assert_eq!(
        got,
        vec![
            (
                second.clone(),
                Some(link_time(&s, &clerk, &second).await),
                CaseState::Merged
            ),
            (
                first.clone(),
                Some(link_time(&s, &clerk, &first).await),
                CaseState::Merged
            ),
        ]
    );
    assert!(local.duplicates.iter().all(|d| d.linked_by.is_some()));
    let unrelated: CaseId = unrelated.parse().unwrap();
    assert!(cache
        .local_case(unrelated, Utc::now())
        .unwrap()
        .duplicates
        .is_empty());
    // A duplicate lists no duplicates of its own.
    assert!(cache
        .local_case(first.parse().unwrap(), Utc::now())
        .unwrap()
        .duplicates
        .is_empty());
}

#[tokio::test]
async fn an_officer_never_sees_a_duplicate_outside_his_scope() {
    let s = TestServer::start_at(Utc::now()).await;
    let clerk = s.login("clerk").await;
    let master = s.intake(&clerk, "小区门口夜市占道噪音").await;
    s.act_ok(
        &clerk,
        &master,
        s.dispatch("JN-LX-QCL", "治安管理", json!({})),
    )
    .await;
    // A merged duplicate is never dispatched, so it stays in the platform office's scope.
    let dup = s.intake(&clerk, "小区门口夜市噪音又来了").await;
    s.act_ok(
        &clerk,
        &dup,
        json!({"type": "linkDuplicate", "master": master}),
    )
    .await;
    let officer = s.login("officer").await;
    let (st, _) = s.get(Some(&officer), &format!("/cases/{dup}")).await;
    assert_eq!(
        st,
        StatusCode::NOT_FOUND,
        "the duplicate is out of his scope"
    );

    let (cache, _dir) = synced_cache(&s, "officer").await;
    let local = cache
        .local_case(master.parse().unwrap(), Utc::now())
        .unwrap();
    assert!(local.duplicates.is_empty(), "{:?}", local.duplicates);
}
