//! Window-service rounds (110, 户政, 出入境, 车驾管) answered on the phone by the 回访员:
//! `POST /followups/{id}/answer` records the answer once, shows it in `/followups`,
//! cancels the SMS still queued, is audited, and refuses second answers, other roles,
//! unknown ids and case rounds (those are the case's `followUpAnswer` action).

#[path = "support/sms.rs"]
mod sms;
mod support;

use chrono::Duration;
use minsheng_server::notify::devgw::{DevGateway, ReplyReq};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

const HZ_PHONE: &str = "13911112222";
const CRJ_PHONE: &str = "13933334444";

/// A server at a working-day morning with the development gateway attached and two
/// window-service events imported by the clerk (nothing sent yet).
async fn start() -> (TestServer, DevGateway) {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (gw, _) = sms::attach_gateway(&s, 8).await;
    let clerk = s.login("clerk").await;
    let csv = format!(
        "externalId,service,phone,name,unit,occurredAt\n\
         HZ-1,户政,{HZ_PHONE},张先生,泉城路派出所户籍窗口,2026-11-22 10:00\n\
         CRJ-7,出入境,{CRJ_PHONE},李女士,出入境管理局历下大厅,2026-11-22 15:00\n"
    );
    let (st, r) = s
        .post_raw(
            Some(&clerk),
            "/service-events/import?source=window",
            "text/csv",
            csv.into_bytes(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["accepted"], 2, "{r}");
    (s, gw)
}

/// Every round of the list (as `role` sees it).
async fn rounds(s: &TestServer, token: &str, query: &str) -> Vec<Value> {
    let (st, v) = s.get(Some(token), &format!("/followups{query}")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array().cloned().unwrap_or_default()
}

/// The round of a service event (`window:<external id>`).
async fn round_of(s: &TestServer, token: &str, event: &str) -> Value {
    rounds(s, token, "?limit=1000")
        .await
        .into_iter()
        .find(|r| r["serviceEventId"] == event)
        .unwrap_or_else(|| panic!("no round for {event}"))
}

fn answer(satisfaction: &str, note: Option<&str>) -> Value {
    json!({ "satisfaction": satisfaction, "note": note })
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[tokio::test]
async fn a_window_service_round_is_answered_by_phone_exactly_once() {
    let (s, gw) = start().await;
    let followup = s.login("followup").await;
    let clerk = s.login("clerk").await;
    let admin = s.login("admin").await;
    let hz = round_of(&s, &followup, "window:HZ-1").await;
    let id = hz["id"].as_str().unwrap().to_owned();
    assert_eq!(hz["status"], "awaiting", "{hz}");
    assert_eq!(hz["caseId"], Value::Null);

    // The 回访员 phones before the SMS went out and records the answer.
    let path = format!("/followups/{id}/answer");
    let (st, v) = s
        .post(
            Some(&followup),
            &path,
            &answer(
                "basicallySatisfied",
                Some("  窗口排队时间较长，希望增加人手  "),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["status"], "answered");
    assert_eq!(v["satisfaction"], "basicallySatisfied");
    assert_eq!(v["answerText"], "电话回访：窗口排队时间较长，希望增加人手");
    assert_eq!(v["phone"], "139****2222", "numbers stay masked: {v}");
    assert!(v["answeredAt"].is_string(), "{v}");

    // Shown in /followups (answered), no longer among the open ones.
    let answered = rounds(&s, &followup, "?status=answered").await;
    assert_eq!(answered.len(), 1, "{answered:?}");
    assert_eq!(answered[0]["id"], id.as_str());
    assert_eq!(answered[0]["satisfaction"], "basicallySatisfied");
    assert!(rounds(&s, &followup, "?status=awaiting")
        .await
        .iter()
        .all(|r| r["id"] != id.as_str()));
    let (_, stats) = s.get(Some(&followup), "/followups/stats").await;
    let household = stats
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == "household")
        .cloned()
        .unwrap_or_else(|| panic!("{stats}"));
    assert_eq!(
        (&household["answered"], &household["basicallySatisfied"]),
        (&json!(1), &json!(1)),
        "{household}"
    );

    // Its SMS, still queued, is not sent; the other event's is.
    let r = sms::tick(&s).await;
    assert_eq!(r.sent, 1, "{r:?}");
    assert!(sms::sent_to(&gw, HZ_PHONE).is_empty());
    assert_eq!(sms::sent_to(&gw, CRJ_PHONE).len(), 1);

    // A second answer, by anyone allowed, is refused with a stable code.
    for token in [&followup, &clerk] {
        let (st, v) = s
            .post(Some(token), &path, &answer("unsatisfied", None))
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["code"], "FOLLOWUP_ANSWERED", "{v}");
        assert!(has_cjk(v["message"].as_str().unwrap()), "{v}");
    }
    // A late SMS reply changes nothing either.
    let (_, late) = gw
        .reply(&ReplyReq {
            from: HZ_PHONE.into(),
            text: "3".into(),
            message_id: None,
            sent_at: None,
        })
        .await
        .expect("reply");
    assert_eq!(late["outcome"], "stale", "{late}");
    let hz = round_of(&s, &followup, "window:HZ-1").await;
    assert_eq!(hz["satisfaction"], "basicallySatisfied", "{hz}");

    // Audited once: who, which event, what answer.
    let (_, audit) = s.get(Some(&admin), "/audit").await;
    let rows: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "followUpPhoneAnswer")
        .collect();
    assert_eq!(rows.len(), 1, "{audit}");
    assert_eq!(rows[0]["target"], "window:HZ-1", "{audit}");
    assert!(
        rows[0]["detail"].as_str().unwrap().contains("基本满意"),
        "{audit}"
    );
}

#[tokio::test]
async fn a_phone_task_is_answered_by_the_clerk_too_and_concurrent_answers_land_once() {
    let (s, _gw) = start().await;
    let clerk = s.login("clerk").await;
    let followup = s.login("followup").await;
    sms::tick(&s).await;
    // No reply in time: both rounds become phone tasks.
    s.clock.set(s.clock.now() + Duration::days(10));
    sms::tick(&s).await;
    let tasks = rounds(&s, &followup, "?status=phoneTask").await;
    assert_eq!(tasks.len(), 2, "{tasks:?}");

    let crj = round_of(&s, &clerk, "window:CRJ-7").await;
    let (st, v) = s
        .post(
            Some(&clerk),
            &format!("/followups/{}/answer", crj["id"].as_str().unwrap()),
            &answer("satisfied", None),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["status"], &v["satisfaction"], &v["answerText"]),
        (&json!("answered"), &json!("satisfied"), &json!("电话回访"))
    );

    // Two agents saving the same round at once: one wins, the other is told.
    let hz = round_of(&s, &followup, "window:HZ-1").await;
    let path = format!("/followups/{}/answer", hz["id"].as_str().unwrap());
    let (yes, no) = (answer("satisfied", None), answer("unsatisfied", None));
    let (a, b) = tokio::join!(
        s.post(Some(&followup), &path, &yes),
        s.post(Some(&clerk), &path, &no),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    assert!(rounds(&s, &followup, "?status=phoneTask").await.is_empty());
}

#[tokio::test]
async fn other_roles_unknown_ids_bad_answers_and_case_rounds_are_refused() {
    let (s, _gw) = start().await;
    let followup = s.login("followup").await;
    let hz = round_of(&s, &followup, "window:HZ-1").await;
    let path = format!("/followups/{}/answer", hz["id"].as_str().unwrap());

    // Roles other than 回访员 and 受理员: 403, nothing recorded.
    for role in ["admin", "leader", "supervisor", "head", "officer"] {
        let token = s.login(role).await;
        let (st, v) = s
            .post(Some(&token), &path, &answer("satisfied", None))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{role}: {v}");
        assert_eq!(v["code"], "FORBIDDEN", "{role}: {v}");
    }
    let (st, _) = s.post(None, &path, &answer("satisfied", None)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // Unknown or malformed ids: 404.
    for id in ["01900000-0000-7000-8000-000000000000", "not-a-round"] {
        let (st, v) = s
            .post(
                Some(&followup),
                &format!("/followups/{id}/answer"),
                &answer("satisfied", None),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{id}: {v}");
        assert_eq!(v["code"], "NOT_FOUND", "{v}");
    }

    // Answers that are not one of the three, or notes too long: 400.
    for bad in [
        json!({"satisfaction": "great"}),
        json!({"note": "无评价"}),
        answer("satisfied", Some(&"很".repeat(501))),
    ] {
        let (st, v) = s.post(Some(&followup), &path, &bad).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
    assert_eq!(
        round_of(&s, &followup, "window:HZ-1").await["status"],
        "awaiting"
    );

    // A case's round is answered through the case (the workflow moves it on).
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let head = s.login("head").await;
    let case = s.intake(&clerk, "小区门口路灯不亮").await;
    s.act_ok(
        &clerk,
        &case,
        s.dispatch("JN-LX-QCL", "治安管理", json!({})),
    )
    .await;
    s.act_ok(&officer, &case, json!({"type": "signIn"})).await;
    s.act_ok(
        &officer,
        &case,
        json!({"type": "submitReply", "text": "已联系物业修复。"}),
    )
    .await;
    s.act_ok(&head, &case, json!({"type": "approve", "comment": null}))
        .await;
    sms::tick(&s).await;
    let of_case = rounds(&s, &followup, &format!("?caseId={case}")).await;
    assert_eq!(of_case.len(), 1, "{of_case:?}");
    let (st, v) = s
        .post(
            Some(&followup),
            &format!("/followups/{}/answer", of_case[0]["id"].as_str().unwrap()),
            &answer("satisfied", None),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "FOLLOWUP_IS_CASE", "{v}");
    assert!(has_cjk(v["message"].as_str().unwrap()), "{v}");
}
