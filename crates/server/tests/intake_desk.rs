//! The intake desk over real HTTP: live assistance while a request is typed
//! (`POST /intake/assist`), its scope (no case of another unit leaks through candidates
//! or caller history — SPEC §2), the 领导批示 fields and text cleaning at intake.

#[path = "support/model.rs"]
mod model;
mod support;

use model::server_with_model;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::TestServer;

const PHONE: &str = "13812345678";
const NOISE_TITLE: &str = "A1区小区楼下广场舞噪音扰民到深夜";
const NOISE: &str =
    "我住在A市A1区，小区楼下广场舞噪音扰民到深夜，已经持续很久了，希望有关部门尽快处理。";

fn noise_case(channel: &str, phone: &str) -> Value {
    json!({
        "channel": channel,
        "requestType": "投诉",
        "title": NOISE_TITLE,
        "content": NOISE,
        "citizenName": "王女士",
        "citizenPhone": phone,
        "address": "历下区泉城路街道某小区",
        "district": "历下区"
    })
}

/// A noise complaint from `PHONE`, dispatched to 泉城路派出所; returns (id, number).
async fn dispatched_noise_case(ts: &TestServer, clerk: &str) -> (String, String) {
    let (st, v) = ts
        .post(Some(clerk), "/cases", &noise_case("12345市长热线", PHONE))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().expect("id").to_owned();
    ts.act_ok(clerk, &id, ts.dispatch("JN-LX-QCL", "噪音扰民", json!({})))
        .await;
    (id, v["number"].as_str().expect("number").to_owned())
}

fn draft(phone: &str) -> Value {
    json!({
        "title": NOISE_TITLE,
        "content": "我住在A市A1区，小区楼下广场舞噪音扰民到深夜，已经持续很久了，请尽快处理！",
        "citizenPhone": phone,
        "address": "历下区泉城路街道某小区"
    })
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|x| x["caseId"].as_str().expect("caseId"))
        .collect()
}

async fn case_count(ts: &TestServer, token: &str) -> u64 {
    let (st, v) = ts.get(Some(token), "/cases?limit=1&withTotal=true").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("total in {v}"))
}

#[tokio::test]
async fn assist_suggests_units_with_reasons_finds_the_duplicate_and_the_callers_history() {
    let (ts, _model) = server_with_model().await;
    let clerk = ts.login("clerk").await;
    let (first, number) = dispatched_noise_case(&ts, &clerk).await;
    let before = case_count(&ts, &clerk).await;

    let (st, a) = ts
        .post(Some(&clerk), "/intake/assist", &draft(" 138-1234-5678 "))
        .await;
    assert_eq!(st, StatusCode::OK, "{a}");
    let s = &a["suggestion"];
    assert_eq!(s["policeRelated"][0], true, "{s}");
    assert_eq!(s["category"][0]["label"], "噪音扰民", "{s}");
    let units = s["handlingUnits"].as_array().expect("units");
    assert!((1..=3).contains(&units.len()), "{s}");
    // 泉城路街道 in the address lies in 泉城路派出所's jurisdiction (demo org).
    assert_eq!(units[0]["unitId"], ts.unit("JN-LX-QCL"), "{s}");
    assert!(
        units[0]["reasons"].as_array().is_some_and(|r| r
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("泉城路")))),
        "the jurisdiction match is given as a reason: {s}"
    );
    assert_eq!(s["supervisingUnit"], ts.unit("JN-LX"), "{s}");
    assert!(a["supervisingUnitName"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));

    let dups = a["duplicates"].as_array().expect("duplicates");
    assert_eq!(ids(&a["duplicates"]), [first.as_str()], "{a}");
    assert_eq!(dups[0]["number"], number.as_str());
    assert_eq!(dups[0]["samePhone"], true);
    assert_eq!(dups[0]["sameMatter"], true);

    assert_eq!(a["phoneMasked"], "138****5678");
    assert_eq!(ids(&a["callerHistory"]), [first.as_str()], "{a}");
    assert_eq!(a["callerHistory"][0]["handlingUnitName"], "泉城路派出所");
    assert_eq!(a["callerHistory"][0]["stateName"], "待签收");

    // Nothing was stored, and the case being dispatched is left out of its own lists.
    assert_eq!(case_count(&ts, &clerk).await, before);
    let mut own = draft(PHONE);
    own["excludeCaseId"] = json!(first);
    let (_, a) = ts.post(Some(&clerk), "/intake/assist", &own).await;
    assert_eq!(a["duplicates"], json!([]), "{a}");
    assert_eq!(a["callerHistory"], json!([]), "{a}");
}

#[tokio::test]
async fn another_station_never_sees_the_case_through_intake_assist_or_caller_history() {
    let (ts, _model) = server_with_model().await;
    let clerk = ts.login("clerk").await;
    let (first, _) = dispatched_noise_case(&ts, &clerk).await;

    // officer2 belongs to 大观园派出所 (市中分局): the case is not theirs (404 on read) ...
    let officer2 = ts.login("officer2").await;
    let (st, _) = ts.get(Some(&officer2), &format!("/cases/{first}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // ... so neither the assistance ...
    let (st, a) = ts
        .post(Some(&officer2), "/intake/assist", &draft(PHONE))
        .await;
    assert_eq!(st, StatusCode::OK, "{a}");
    assert_eq!(a["duplicates"], json!([]), "{a}");
    assert_eq!(a["callerHistory"], json!([]), "{a}");
    // ... nor a 入户走访 registered with the same phone and words shows it.
    let (st, v) = ts
        .post(Some(&officer2), "/cases", &noise_case("入户走访", PHONE))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["duplicates"], json!([]), "{v}");
    assert!(!v.to_string().contains(&first), "{v}");

    // The handling station's own officer does see it, by text and by caller.
    let officer = ts.login("officer").await;
    let (st, a) = ts
        .post(Some(&officer), "/intake/assist", &draft(PHONE))
        .await;
    assert_eq!(st, StatusCode::OK, "{a}");
    assert!(ids(&a["duplicates"]).contains(&first.as_str()), "{a}");
    assert!(ids(&a["callerHistory"]).contains(&first.as_str()), "{a}");
}

#[tokio::test]
async fn assist_refuses_roles_that_take_no_requests_and_bad_input() {
    let ts = TestServer::start_at(support::bj("2026-11-23 09:00")).await;
    for role in ["followup", "supervisor"] {
        let t = ts.login(role).await;
        let (st, v) = ts.post(Some(&t), "/intake/assist", &draft(PHONE)).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{role}: {v}");
        assert_eq!(v["code"], "FORBIDDEN", "{v}");
    }
    let clerk = ts.login("clerk").await;
    let (st, v) = ts.post(None, "/intake/assist", &draft(PHONE)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    let long = json!({ "title": "噪音", "content": "吵".repeat(20_500) });
    let (st, v) = ts.post(Some(&clerk), "/intake/assist", &long).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["message"].as_str().is_some_and(|m| m.contains("过长")),
        "{v}"
    );
    let (st, v) = ts
        .post(
            Some(&clerk),
            "/intake/assist",
            &json!({ "title": "x", "secret": 1 }),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    // Without a model: no suggestion, but an empty draft is a valid (empty) answer.
    let (st, v) = ts.post(Some(&clerk), "/intake/assist", &json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["suggestion"], Value::Null);
    assert_eq!(v["duplicates"], json!([]));
    // An incomplete phone number is ignored, not an error (the clerk is still typing).
    let (st, v) = ts
        .post(
            Some(&clerk),
            "/intake/assist",
            &json!({ "citizenPhone": "1381" }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["phoneMasked"], Value::Null);
}

#[tokio::test]
async fn leader_instruction_is_required_for_its_channel_and_kept_on_the_case() {
    let ts = TestServer::start_at(support::bj("2026-11-23 09:00")).await;
    let clerk = ts.login("clerk").await;
    let bare = noise_case("领导批示", PHONE);
    let (st, v) = ts.post(Some(&clerk), "/cases", &bare).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "INVALID_FIELD", "{v}");
    assert!(
        v["message"].as_str().is_some_and(|m| m.contains("批示")),
        "{v}"
    );

    let mut with = bare.clone();
    with["leaderInstruction"] =
        json!({ "leader": "王副市长", "instruction": "请市公安局核实处理，及时回复群众。" });
    let (st, v) = ts.post(Some(&clerk), "/cases", &with).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().expect("id");
    let (_, got) = ts.get(Some(&clerk), &format!("/cases/{id}")).await;
    assert_eq!(got["leaderInstruction"]["leader"], "王副市长", "{got}");

    let mut elsewhere = with;
    elsewhere["channel"] = json!("12345市长热线");
    let (st, v) = ts.post(Some(&clerk), "/cases", &elsewhere).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

#[tokio::test]
async fn spreadsheet_carriage_returns_are_cleaned_at_intake() {
    let ts = TestServer::start_at(support::bj("2026-11-23 09:00")).await;
    let clerk = ts.login("clerk").await;
    let mut body = noise_case("12345市长热线", PHONE);
    body["content"] = json!("楼下烧烤店_x000D_\n每晚噪音_x000D_很大");
    let (st, v) = ts.post(Some(&clerk), "/cases", &body).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().expect("id");
    let (_, got) = ts.get(Some(&clerk), &format!("/cases/{id}")).await;
    assert_eq!(got["content"], "楼下烧烤店\n每晚噪音\n很大", "{got}");
}

#[tokio::test]
async fn a_line_department_joins_as_co_unit_and_its_supervisor_gives_the_opinion() {
    let ts = TestServer::start_at(support::bj("2026-11-23 09:00")).await;
    let clerk = ts.login("clerk").await;
    let id = ts.intake(&clerk, "路口违停严重影响通行").await;
    let mut order = ts.dispatch("JN-LX-QCL", "交通管理", json!({}));
    order["coUnits"] = json!([ts.unit("JN-JJ")]);
    ts.act_ok(&clerk, &id, order).await;
    // The city bureau is no co-unit: a clear refusal with a stable code.
    let other = ts.intake(&clerk, "路口违停").await;
    let mut bad = ts.dispatch("JN-LX-QCL", "交通管理", json!({}));
    bad["coUnits"] = json!([ts.unit("JN-PTB")]);
    let (st, v) = ts.act(&clerk, &other, bad).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "UNKNOWN_UNIT", "{v}");

    let officer = ts.login("officer").await;
    ts.act_ok(&officer, &id, json!({"type": "signIn"})).await;
    let reply = json!({"type": "submitReply", "text": "已清理违停车辆。"});
    let (st, v) = ts.act(&officer, &id, reply.clone()).await;
    assert_eq!(
        st,
        StatusCode::CONFLICT,
        "the co-unit has not answered: {v}"
    );
    assert_eq!(v["code"], "CO_OPINIONS_MISSING", "{v}");
    // 交警支队's 督办员 sees the case and answers for his department.
    let traffic = ts.login("sup-jj").await;
    let v = ts
        .act_ok(
            &traffic,
            &id,
            json!({"type": "coUnitOpinion", "text": "已安排交警加强该路口巡查。"}),
        )
        .await;
    assert_eq!(
        v["coUnits"][0]["opinion"]["text"], "已安排交警加强该路口巡查。",
        "{v}"
    );
    let v = ts.act_ok(&officer, &id, reply).await;
    assert_eq!(v["state"], "pendingReview", "{v}");
}
