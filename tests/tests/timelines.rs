//! A pull carries only the timeline entries appended since the desktop's last complete
//! pull. A case that enters the user's scope arrives without its earlier history; the
//! sync notices the gap and fetches the whole timeline, so the detail screen shows
//! every step offline.

use minsheng_tests::checks::assert_converged;
use minsheng_tests::server::CityServer;
use minsheng_tests::station::Station;

#[tokio::test]
async fn a_case_entering_the_scope_gets_its_whole_history_and_others_only_new_steps() {
    let server = CityServer::start().await;
    let clerk = server.login("clerk").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let moved = server
        .dispatched(&clerk, "JN-LX-QCL", "小区门口占道经营")
        .await;
    let stayed = server
        .dispatched(&clerk, "JN-SZ-DGY", "夜间施工噪音扰民")
        .await;
    let head = Station::sign_in(dir.path(), &server.base, "sz-dgy-head").await;
    let first = head.sync_until_settled(3).await;
    assert!(first.pulled > 0);
    assert!(
        !head.cached_ids().contains(&moved),
        "another station's case"
    );
    let before = head.cache().timeline(stayed).expect("timeline").len();
    assert!(before >= 2, "intake and dispatch are cached: {before}");

    // The platform sends the first case to 大观园派出所 and urges the second.
    server
        .act_ok(&clerk, moved, server.redispatch_to("JN-SZ-DGY"))
        .await;
    server
        .act_ok(
            &clerk,
            stayed,
            serde_json::json!({"type": "urge", "message": "请尽快处理"}),
        )
        .await;
    let history = server.timeline(moved).len();
    assert!(history >= 3, "intake, dispatch, re-dispatch: {history}");

    let report = head.sync_until_settled(3).await;
    assert_eq!(
        report.timelines_filled, 1,
        "only the case that entered the scope needed its history: {report:?}"
    );
    assert_eq!(
        head.cache().timeline(moved).expect("timeline").len(),
        history
    );
    assert_eq!(
        head.cache().timeline(stayed).expect("timeline").len(),
        before + 1
    );
    let actor = head.actor();
    assert_converged(&server, &head.cache(), &actor, "sz-dgy-head");
    assert_eq!(
        head.cache().timeline_gaps(10).expect("gaps"),
        vec![],
        "no case is left incomplete"
    );
}
