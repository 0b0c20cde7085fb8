//! 首问负责 over real HTTP with the development SMS gateway: a duplicate linked to its
//! master follows it — when the master is replied, the duplicate gets the same reply,
//! goes to the master's handling unit, and its own caller gets the follow-up SMS; exactly
//! once, however often the worker runs and even when the master's reply is pushed twice
//! from an offline desktop. Bad links are refused with a Chinese message and a stable
//! code, and leave the case as it was.

#[path = "support/sms.rs"]
mod sms;
mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sms::{attach_gateway, sent_to, tick};
use support::{bj, TestServer};

const MASTER_CALLER: &str = "13812345678";
const DUP_CALLER: &str = "13987654321";
const REPLY: &str = "已联系施工方，夜间22时后停止施工，并安排民警巡查。";

async fn intake(s: &TestServer, clerk: &str, title: &str, phone: &str) -> Value {
    let (st, v) = s
        .post(
            Some(clerk),
            "/cases",
            &json!({"channel": "12345市长热线", "requestType": "投诉", "title": title,
                    "content": format!("{title}，影响休息，请尽快处理。"), "citizenName": "李先生",
                    "citizenPhone": phone, "address": "历下区泉城路街道某小区", "district": "历下区"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "intake: {v}");
    v
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

async fn case(s: &TestServer, token: &str, id: &str) -> Value {
    let (st, v) = s.get(Some(token), &format!("/cases/{id}")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

async fn timeline_kinds(s: &TestServer, token: &str, id: &str) -> Vec<String> {
    let (st, v) = s.get(Some(token), &format!("/cases/{id}/timeline")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let entries = v.as_array().or_else(|| v["entries"].as_array()).cloned();
    entries
        .unwrap_or_default()
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_linked_duplicate_takes_the_masters_reply_and_its_caller_gets_the_sms_once() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (gw, _) = attach_gateway(&s, 8).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let head = s.login("head").await;

    let master = id(&intake(&s, &clerk, "工地夜间施工噪音扰民", MASTER_CALLER).await);
    let dup_view = intake(&s, &clerk, "工地夜间施工噪音扰民（再次反映）", DUP_CALLER).await;
    let dup = id(&dup_view);
    s.act_ok(
        &clerk,
        &dup,
        json!({"type": "linkDuplicate", "master": master}),
    )
    .await;
    assert_eq!(case(&s, &clerk, &dup).await["state"], "merged");
    s.act_ok(
        &clerk,
        &master,
        s.dispatch("JN-LX-QCL", "噪音扰民", json!({})),
    )
    .await;
    s.act_ok(&officer, &master, json!({"type": "signIn"})).await;
    s.act_ok(
        &officer,
        &master,
        json!({"type": "submitReply", "text": REPLY}),
    )
    .await;
    // While the master waits for sign-off nothing is shared yet.
    let r = tick(&s).await;
    assert_eq!(r.duplicates_replied, 0, "{r:?}");
    assert_eq!(case(&s, &clerk, &dup).await["state"], "merged");

    s.act_ok(
        &head,
        &master,
        json!({"type": "approve", "comment": "同意"}),
    )
    .await;
    let r = tick(&s).await;
    assert_eq!(r.duplicates_replied, 1, "{r:?}");
    let d = case(&s, &clerk, &dup).await;
    assert_eq!(d["state"], "completed", "{d}");
    assert_eq!(d["reply"]["text"], REPLY, "{d}");
    assert_eq!(d["handlingUnit"], s.unit("JN-LX-QCL"), "{d}");
    assert_eq!(d["category"], "噪音扰民", "{d}");
    assert_eq!(d["signOffs"].as_array().map(Vec::len), Some(1), "{d}");
    assert_eq!(d["duplicateOf"], master.as_str(), "the link stays visible");
    // The handling station now sees the duplicate it answered.
    assert_eq!(case(&s, &officer, &dup).await["id"], dup.as_str());

    // Both callers get their own follow-up SMS naming their own case number.
    tick(&s).await;
    let to_dup = sent_to(&gw, DUP_CALLER);
    assert_eq!(to_dup.len(), 1, "{to_dup:?}");
    let dup_number = dup_view["number"].as_str().expect("number");
    assert!(
        to_dup[0].content.contains(dup_number),
        "{}",
        to_dup[0].content
    );
    assert_eq!(sent_to(&gw, MASTER_CALLER).len(), 1);

    // Exactly once: more passes change nothing, the timeline holds one adoption.
    for _ in 0..3 {
        assert_eq!(tick(&s).await.duplicates_replied, 0);
    }
    assert_eq!(sent_to(&gw, DUP_CALLER).len(), 1);
    let kinds = timeline_kinds(&s, &clerk, &dup).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "adoptMasterReply").count(),
        1,
        "{kinds:?}"
    );
    assert!(kinds.iter().any(|k| k == "linkDuplicate"), "{kinds:?}");
}

#[tokio::test]
async fn a_master_replied_offline_and_pushed_twice_replies_its_duplicate_once() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (gw, _) = attach_gateway(&s, 8).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let head = s.login("head").await;
    let master = id(&intake(&s, &clerk, "小区门口夜间烧烤油烟噪音", MASTER_CALLER).await);
    let dup = id(&intake(&s, &clerk, "小区门口夜间烧烤油烟噪音", DUP_CALLER).await);
    s.act_ok(
        &clerk,
        &dup,
        json!({"type": "linkDuplicate", "master": master}),
    )
    .await;
    s.act_ok(
        &clerk,
        &master,
        s.dispatch("JN-LX-QCL", "噪音扰民", json!({})),
    )
    .await;
    s.act_ok(&officer, &master, json!({"type": "signIn"})).await;
    s.act_ok(
        &officer,
        &master,
        json!({"type": "submitReply", "text": REPLY}),
    )
    .await;
    let version = case(&s, &head, &master).await["version"]
        .as_u64()
        .expect("v");

    // The unit head signs off offline; the desktop pushes the same command twice (a lost
    // answer), then the worker runs between and after the pushes.
    let push = json!({
        "installId": "0193a1b2-0000-7000-8000-0000000000aa",
        "commands": [{
            "id": "0193a1b2-0000-7000-8000-000000000001", "seq": 1, "caseId": master,
            "baseVersion": version, "deviceAt": "2026-11-23T02:00:00Z",
            "action": {"type": "approve", "comment": "同意"}
        }]
    });
    for _ in 0..2 {
        let (st, v) = s.push(&head, &push).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["results"][0]["status"], "applied", "{v}");
        tick(&s).await;
    }
    let d = case(&s, &clerk, &dup).await;
    assert_eq!(d["state"], "completed", "{d}");
    let kinds = timeline_kinds(&s, &clerk, &dup).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "adoptMasterReply").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(sent_to(&gw, DUP_CALLER).len(), 1);
}

#[tokio::test]
async fn bad_links_are_refused_with_a_stable_code_and_change_nothing() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let first = id(&intake(&s, &clerk, "楼道堆放杂物消防隐患", MASTER_CALLER).await);
    let second = id(&intake(&s, &clerk, "楼道堆放杂物消防隐患", DUP_CALLER).await);
    let third = id(&intake(&s, &clerk, "楼道堆放杂物消防隐患", DUP_CALLER).await);
    let rejected = id(&intake(&s, &clerk, "楼道堆放杂物", DUP_CALLER).await);
    s.act_ok(
        &clerk,
        &rejected,
        json!({"type": "reject", "reason": "非公安职责"}),
    )
    .await;

    let refused = |st: StatusCode, v: &Value, code: &str| {
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], code, "{v}");
        assert!(
            v["message"]
                .as_str()
                .is_some_and(|m| m.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch))),
            "a Chinese message: {v}"
        );
    };
    // Itself.
    let (st, v) = s
        .act(
            &clerk,
            &first,
            json!({"type": "linkDuplicate", "master": first}),
        )
        .await;
    refused(st, &v, "INVALID_FIELD");
    // second → first, then third → second (merged: link to the first master instead),
    // first → second (a cycle).
    s.act_ok(
        &clerk,
        &second,
        json!({"type": "linkDuplicate", "master": first}),
    )
    .await;
    let (st, v) = s
        .act(
            &clerk,
            &third,
            json!({"type": "linkDuplicate", "master": second}),
        )
        .await;
    refused(st, &v, "INVALID_FIELD");
    let (st, v) = s
        .act(
            &clerk,
            &first,
            json!({"type": "linkDuplicate", "master": second}),
        )
        .await;
    refused(st, &v, "INVALID_FIELD");
    // A closed (rejected) master.
    let (st, v) = s
        .act(
            &clerk,
            &third,
            json!({"type": "linkDuplicate", "master": rejected}),
        )
        .await;
    refused(st, &v, "INVALID_FIELD");
    // An unknown master.
    let (st, v) = s
        .act(
            &clerk,
            &third,
            json!({"type": "linkDuplicate", "master": "0193a1b2-0000-7000-8000-0000000000ff"}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    // Nothing half-written: first and third still wait for acceptance, unlinked.
    for x in [&first, &third] {
        let v = case(&s, &clerk, x).await;
        assert_eq!(v["state"], "pendingAcceptance", "{v}");
        assert_eq!(v["duplicateOf"], Value::Null, "{v}");
    }
    // The workflow refuses the system-only step from anyone else.
    let (st, v) = s
        .act(
            &clerk,
            &second,
            json!({"type": "adoptMasterReply", "master": first, "answer": {
                "reply": {"text": "x", "by": "0193a1b2-0000-7000-8000-000000000002", "at": "2026-11-23T01:00:00Z"},
                "signOffs": [], "handlingUnit": s.unit("JN-LX-QCL"), "flags": {}}}),
        )
        .await;
    assert!(
        st == StatusCode::FORBIDDEN || st == StatusCode::CONFLICT,
        "{st}: {v}"
    );
}
