//! An officer moved to another unit: after he signs in again, the desktop cache holds
//! none of the old unit's cases and all of the new unit's, including the ones that
//! changed long before (an incremental pull would never bring those). His queued
//! command on an old-unit case stays in the outbox and comes back as a conflict.

use std::collections::HashSet;

use minsheng_client::outbox::CommandStatus;
use minsheng_domain::ids::CaseId;
use minsheng_domain::workflow::Action;
use minsheng_tests::checks::{assert_converged, assert_exactly_once};
use minsheng_tests::server::CityServer;
use minsheng_tests::station::Station;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_change_drops_the_old_scope_and_brings_the_new_units_older_cases() {
    let server = CityServer::start().await;
    let clerk = server.login("clerk").await;
    let mut old_unit: HashSet<CaseId> = HashSet::new();
    let mut new_unit: HashSet<CaseId> = HashSet::new();
    for i in 0..3 {
        old_unit.insert(
            server
                .dispatched(&clerk, "JN-SZ-DGY", &format!("大观园{i}号：占道经营"))
                .await,
        );
        new_unit.insert(
            server
                .dispatched(&clerk, "JN-LX-QCL", &format!("泉城路{i}号：夜间施工噪音"))
                .await,
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let st = Station::sign_in(dir.path(), &server.base, "officer2").await;
    st.sync_until_settled(5).await;
    assert_eq!(
        st.cached_ids().into_iter().collect::<HashSet<_>>(),
        old_unit,
        "大观园's officer caches 大观园's cases"
    );
    // Queued on an old-unit case, not pushed yet.
    let queued_on = *old_unit.iter().next().expect("a case");
    st.act(queued_on, Action::SignIn).expect("sign in");

    // The admin moves him to 泉城路派出所; that ends his sessions.
    let admin = server.login("admin").await;
    let user = st.actor().user_id;
    let resp = server
        .http
        .patch(server.url(&format!("/users/{user}")))
        .bearer_auth(&admin)
        .json(&json!({"unitId": server.unit("JN-LX-QCL")}))
        .send()
        .await
        .expect("patch user");
    assert_eq!(resp.status(), StatusCode::OK);
    let err = st.sync().await.expect_err("his session ended");
    assert_eq!(err.code(), "LOGIN_REQUIRED");
    assert_eq!(st.pending(), 1, "the queue survives");

    // He signs in again: the new unit drops the old scope at once, the outbox stays.
    st.sign_in_again().await;
    assert!(st.cached_ids().is_empty(), "{:?}", st.cached_ids());
    assert_eq!(st.pending(), 1);
    st.sync_until_settled(5).await;

    let cached: HashSet<CaseId> = st.cached_ids().into_iter().collect();
    assert_eq!(cached, new_unit, "泉城路's cases, none of 大观园's");
    let actor = st.actor();
    assert_eq!(actor.unit_id, server.unit("JN-LX-QCL"));
    let cache = st.cache();
    assert_converged(&server, &cache, &actor, "moved officer");
    let commands = assert_exactly_once(&server, &cache, "moved officer");
    assert_eq!(commands.len(), 1);
    assert_eq!(
        commands[0].status,
        CommandStatus::Conflict,
        "a command on a case he no longer sees is a conflict, not lost: {:?}",
        commands[0]
    );
}
