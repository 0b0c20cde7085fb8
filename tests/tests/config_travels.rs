//! The city's configuration travels with the pull (admin-console issue): the admin
//! changes the SLA rules and adds a year's holiday calendar online; a clerk's desktop
//! holding the old rules keeps them until its next sync, then counts deadlines offline
//! with the server's new rules. SPEC §4: a working day is one office day (09:00–17:00,
//! 480 working minutes), so 2 working days are 960 minutes on the calendar.

use minsheng_domain::case::{CaseFlags, Category, RequestType, Urgency};
use minsheng_domain::workflow::{Action, DispatchOrder};
use minsheng_tests::server::CityServer;
use minsheng_tests::station::Station;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_counts_deadlines_with_the_rules_its_last_pull_brought() {
    let server = CityServer::start().await;
    let clerk = server.login("clerk").await;
    let case = server.intake(&clerk, "小区门口占道经营，影响通行").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let st = Station::sign_in(dir.path(), &server.base, "clerk").await;
    st.sync_until_settled(5).await;
    let held = st.cache().config();
    assert_eq!(held.sla.versions().len(), 1, "SPEC §4 defaults");
    assert!(!held.calendar.has_year(2099));

    // Online, the admin makes complaints due in 2 working days and enters a calendar.
    let admin = server.login("admin").await;
    let mut rules = json!({
        "signInHours": {"普通": 8, "紧急": 4, "特急": 1},
        "replyDaysByUrgency": {"紧急": 3, "特急": 1},
        "replyDaysByType": {"咨询": 3, "求助": 5, "投诉": 5, "举报": 5, "建议": 3, "表扬": 3},
        "warnPercent": 25,
        "followUpTaskDays": 5
    });
    rules["replyDaysByType"]["投诉"] = json!(2);
    for (path, body) in [
        ("/config/sla", rules),
        (
            "/config/calendar/2099",
            json!({"year": 2099, "holidays": [{"name": "元旦", "dates": ["2099-01-01"]}]}),
        ),
    ] {
        let resp = server
            .http
            .put(server.url(path))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .expect("put");
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
    }
    // The org tree is part of it: a unit renamed by the admin.
    let qcl = server.unit("JN-LX-QCL");
    let resp = server
        .http
        .patch(server.url(&format!("/units/{qcl}")))
        .bearer_auth(&admin)
        .json(&json!({"name": "泉城路派出所（新址）"}))
        .send()
        .await
        .expect("patch unit");
    assert_eq!(resp.status(), StatusCode::OK);
    // Not synced yet: the desktop still holds the old rules.
    assert_eq!(st.cache().config().sla.versions().len(), 1);

    st.sync_until_settled(5).await;
    let cfg = st.cache().config();
    assert_eq!(
        cfg.sla.versions().len(),
        2,
        "the new edition came with the pull"
    );
    assert!(cfg.calendar.has_year(2099));
    let org = st.cache().org_tree().expect("org");
    assert_eq!(org.get(qcl).expect("unit").name, "泉城路派出所（新址）");

    // Offline from here (no sync): the clerk dispatches; the local view's deadline is
    // counted with the new edition (2 working days), not the old (5).
    let order = DispatchOrder {
        handling_unit: server.unit("JN-LX-QCL"),
        supervising_unit: None,
        co_units: vec![],
        category: Category::new("治安管理").expect("category"),
        request_type: RequestType::Complaint,
        urgency: Urgency::Ordinary,
        flags: CaseFlags::default(),
    };
    let local = st
        .act(case, Action::Dispatch(order))
        .expect("dispatch offline");
    let c = &local.case;
    let from = c.dispatched_at.expect("dispatched").max(c.received_at);
    let reply = c.deadlines.reply.expect("reply deadline");
    assert_eq!(
        cfg.calendar.working_minutes_between(from, reply),
        2 * 480,
        "2 working days of 8 hours"
    );
    // The cache keeps the configuration across a restart of the app.
    drop(local);
    st.sign_in_again().await;
    assert_eq!(st.cache().config().sla.versions().len(), 2);
}
