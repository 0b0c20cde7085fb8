//! Two server instances on one database (two states, two listeners; on PostgreSQL when
//! the suite runs there): an intake through one is a duplicate candidate on the other
//! at once, and an admin's edit through one (a new category, a new unit) is in force on
//! the other for the next write.

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

/// The second instance's base URL, over the same database as `s`.
async fn second(s: &TestServer) -> String {
    let other = s.open_another(minsheng_server::state::Settings {
        access_ttl: chrono::Duration::days(365),
        refresh_ttl: chrono::Duration::days(400),
        session_absolute_secs: 400 * 24 * 3600,
        ..minsheng_server::state::Settings::default()
    });
    let st = other.clone();
    tokio::task::spawn_blocking(move || {
        minsheng_server::intelligence::rebuild_index(&st, st.now())
    })
    .await
    .expect("join")
    .expect("index");
    minsheng_server::spawn_for_tests(other)
        .await
        .expect("spawn")
}

async fn post(base: &str, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1{path}"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request");
    let st = resp.status();
    (st, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_intake_through_one_instance_is_a_duplicate_candidate_on_the_other() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let b = second(&s).await;
    let clerk = s.login("clerk").await;
    // Through the first instance...
    let id = s.intake(&clerk, "幸福小区南门夜间烧烤摊油烟噪音扰民").await;
    // ...the clerk typing the same matter at the second sees it.
    let (st, assist) = post(
        &b,
        &clerk,
        "/intake/assist",
        &json!({"title": "幸福小区南门夜间烧烤摊油烟噪音扰民",
                "content": "幸福小区南门夜间烧烤摊油烟噪音扰民，希望派出所尽快处理。"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{assist}");
    let found: Vec<&str> = assist["duplicates"]
        .as_array()
        .expect("duplicates")
        .iter()
        .filter_map(|d| d["caseId"].as_str())
        .collect();
    assert!(found.contains(&id.as_str()), "{assist}");
    // And a case registered there names the first one among its candidates.
    let (st, created) = post(
        &b,
        &clerk,
        "/cases",
        &json!({"channel": "12345市长热线", "requestType": "投诉",
                "title": "幸福小区南门夜间烧烤摊油烟噪音扰民",
                "content": "幸福小区南门夜间烧烤摊油烟噪音扰民，希望派出所尽快处理。",
                "citizenName": "李先生", "citizenPhone": "13912345678",
                "address": "历下区泉城路街道幸福小区", "district": "历下区"}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let dups: Vec<&str> = created["duplicates"]
        .as_array()
        .expect("duplicates")
        .iter()
        .filter_map(|d| d["caseId"].as_str())
        .collect();
    assert!(dups.contains(&id.as_str()), "{created}");
}

#[tokio::test]
async fn an_admin_edit_through_one_instance_is_in_force_on_the_other() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let b = second(&s).await;
    let admin = s.login("admin").await;
    let clerk = s.login("clerk").await;
    let id = s.intake(&clerk, "小区电动车充电占用消防通道").await;
    let dispatch = |unit: &str, category: &str| {
        json!({"action": {"type": "dispatch", "handlingUnit": unit, "category": category,
               "requestType": "投诉", "urgency": "普通", "flags": {}}})
    };
    // The admin adds a station and a category through the first instance...
    let (st, unit) = s
        .post(
            Some(&admin),
            "/units",
            &json!({"code": "JN-LX-NEW", "name": "新建派出所", "level": 3,
                    "parent": s.unit("JN-LX"), "kind": "派出所", "policeLine": "治安"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{unit}");
    let (st, body) = s
        .post(
            Some(&admin),
            "/config/categories",
            &json!({"op": "add", "name": "电动车消防安全"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    // ...and the clerk at the second dispatches there with it at once.
    let new_unit = unit["id"].as_str().expect("unit id");
    let (st, done) = post(
        &b,
        &clerk,
        &format!("/cases/{id}/actions"),
        &dispatch(new_unit, "电动车消防安全"),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{done}");
    assert_eq!(done["category"], "电动车消防安全", "{done}");
    assert_eq!(done["handlingUnit"], new_unit, "{done}");
}
