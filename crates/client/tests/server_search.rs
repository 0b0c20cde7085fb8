//! 服务器检索: a case this computer does not cache is found on the server by its text
//! and, once fetched, opens from the cache with its timeline; a case outside the user's
//! scope is neither listed nor fetched. Needs the OS keyring (scripts/test.sh runs the
//! cargo tests inside a D-Bus session with one); without it the sign-in fails the test.

#[path = "../../server/tests/support/mod.rs"]
mod support;

use minsheng_client::api::CaseListQuery;
use minsheng_client::{ClientError, Session, SessionConfig};
use minsheng_domain::ids::CaseId;
use serde_json::json;
use support::{TestServer, PASSWORD};

fn text_query(text: &str) -> CaseListQuery {
    CaseListQuery {
        q: Some(text.into()),
        limit: Some(50),
        with_total: Some(true),
        ..CaseListQuery::default()
    }
}

#[tokio::test]
async fn an_uncached_case_is_found_on_the_server_and_fetched_into_the_cache() {
    let s = TestServer::start_at(chrono::Utc::now()).await;
    let dir = tempfile::tempdir().unwrap();
    let session = Session::login(SessionConfig::new(&s.base, dir.path()), "officer", PASSWORD)
        .await
        .expect("sign-in (needs the OS keyring: run under scripts/test.sh)");

    // Registered and dispatched to his station after his last sync: not cached yet.
    let clerk = s.login("clerk").await;
    let mine = s.intake(&clerk, "车库卷帘门被撬检索样本").await;
    s.act_ok(
        &clerk,
        &mine,
        s.dispatch("JN-LX-QCL", "治安管理", json!({})),
    )
    .await;
    // Same words, another district's station: outside his scope.
    let other = s.intake(&clerk, "车库卷帘门被撬检索样本（外区）").await;
    s.act_ok(
        &clerk,
        &other,
        s.dispatch("JN-SZ-DGY", "治安管理", json!({})),
    )
    .await;
    let mine: CaseId = mine.parse().unwrap();
    let other: CaseId = other.parse().unwrap();
    assert!(matches!(session.case(mine), Err(ClientError::NotCached(_))));

    let page = session
        .search_server(&text_query("卷帘门被撬检索样本"))
        .await
        .unwrap();
    let found: Vec<CaseId> = page.items.iter().map(|c| c.id).collect();
    assert_eq!(found, vec![mine], "only his station's case is listed");
    assert_eq!(page.total, Some(1));

    let local = session.fetch_case(mine).await.unwrap();
    assert_eq!(local.case.id, mine);
    let kinds: Vec<&str> = local.timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["intake", "dispatch"], "the timeline came along");
    assert_eq!(session.case(mine).unwrap().case.version, local.case.version);

    assert!(session.fetch_case(other).await.is_err());
    assert!(
        matches!(session.case(other), Err(ClientError::NotCached(_))),
        "nothing of the refused case was cached"
    );
}
