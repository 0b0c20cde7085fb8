//! 系统管理 › 短信模板, 短信死信队列, 考核权重 and 模型准确率 through the real server:
//! placeholders checked by the server (preview and save), dead letters retried or
//! discarded with a reason, the weights' audit row with before and after, the accuracy
//! per week; only the admin writes, every write audited.

mod support;

use chrono::Duration;
use minsheng_domain::ids::{CaseId, UnitId};
use minsheng_store::notify::{NewSms, OutboxStatus, SendResult};
use minsheng_store::DispatchFeedback;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

fn detail(row: &Value) -> Value {
    serde_json::from_str(row["detail"].as_str().unwrap()).unwrap()
}

async fn audit(s: &TestServer, admin: &str, action: &str) -> Vec<Value> {
    let (st, page) = s
        .get(Some(admin), &format!("/audit/search?action={action}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn template(s: &TestServer, admin: &str, code: &str) -> Value {
    let (_, list) = s.get(Some(admin), "/sms/templates").await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|token| token["code"] == code)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn templates_are_previewed_and_saved_only_with_known_placeholders() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let admin = s.login("admin").await;

    // The preview renders the draft on the sample case, and lists what may be used.
    let (st, preview) = s
        .post(
            Some(&admin),
            "/sms/templates/followup.l1/preview",
            &json!({"body": "【济南公安】{name}您好，您的诉求（编号{caseNumber}）已办结。"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{preview}");
    assert_eq!(
        preview["text"],
        "【济南公安】王女士您好，您的诉求（编号MS202611260001）已办结。"
    );
    assert_eq!(preview["segments"], 1);
    let names: Vec<&str> = preview["placeholders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["caseNumber", "name", "title"]);
    // An unknown placeholder is named in the 422; so are unpaired braces.
    let (st, err) = s
        .post(
            Some(&admin),
            "/sms/templates/followup.l1/preview",
            &json!({"body": "编号{caseNo}已办结"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "SMS_TEMPLATE_PLACEHOLDER_UNKNOWN");
    assert!(
        err["message"].as_str().unwrap().contains("{caseNo}"),
        "{err}"
    );
    let (st, err) = s
        .post(
            Some(&admin),
            "/sms/templates/service.110/preview",
            &json!({"body": "您于{date拨打110"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "SMS_TEMPLATE_BRACES");

    // Saving refuses the same way and changes nothing, writes no audit row.
    let before = template(&s, &admin, "followup.l1").await;
    let (st, err) = s
        .put(
            Some(&admin),
            "/sms/templates/followup.l1",
            &json!({"body": "编号{caseNo}已办结"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "SMS_TEMPLATE_PLACEHOLDER_UNKNOWN");
    assert_eq!(template(&s, &admin, "followup.l1").await, before);
    assert!(audit(&s, &admin, "editSmsTemplate").await.is_empty());

    // A good edit: stored, audited with the template before and after.
    let body = "【济南公安】{name}您好，编号{caseNumber}已办结，满意请回1，不满意回3。";
    let (st, token) = s
        .put(
            Some(&admin),
            "/sms/templates/followup.l1",
            &json!({"body": body, "name": "办结回访"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{token}");
    assert_eq!(token["body"], body);
    let rows = audit(&s, &admin, "editSmsTemplate").await;
    assert_eq!(rows.len(), 1);
    let diff = detail(&rows[0]);
    assert_eq!(diff["before"]["body"], before["body"], "{diff}");
    assert_eq!(diff["before"]["name"], "办结回访（一级）", "{diff}");
    assert_eq!(diff["after"]["body"], body, "{diff}");
    assert_eq!(diff["after"]["name"], "办结回访", "{diff}");
    // 温馨提示 texts name their own parameters.
    let (st, preview) = s
        .post(
            Some(&admin),
            "/sms/templates/reminder.documentReady/preview",
            &json!({"body": "{name}您好，{item}已办好，请到{place}领取，{hours}办公。"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{preview}");
    assert!(
        preview["text"].as_str().unwrap().contains("［hours］"),
        "{preview}"
    );

    // Only the admin previews or edits.
    for who in ["clerk", "followup", "leader"] {
        let token = s.login(who).await;
        let (st, _) = s
            .post(
                Some(&token),
                "/sms/templates/followup.l1/preview",
                &json!({"body": "x"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{who}");
        let (st, _) = s
            .put(
                Some(&token),
                "/sms/templates/followup.l1",
                &json!({"body": "x"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{who}");
    }
}

/// Queues an SMS and lets it die (as the worker does after its last failed attempt).
fn dead_letter(s: &TestServer, key: &str) -> String {
    support::off_runtime(|| dead_letter_now(s, key))
}

fn dead_letter_now(s: &TestServer, key: &str) -> String {
    let store = &s.state.store;
    let now = s.clock.now();
    store
        .enqueue_sms(
            &NewSms {
                event_key: key.into(),
                phone: "13912345678".into(),
                template: "followup.l1".into(),
                provider_template_id: None,
                params: json!({"caseNumber": "MS202611230001"}),
                body: "【济南公安】编号MS202611230001已办结。".into(),
            },
            now,
        )
        .unwrap();
    let claimed = store.claim_due_sms(now, 60, 10).unwrap();
    let msg = claimed.iter().find(|msg| msg.event_key == key).unwrap();
    store
        .finish_sms(
            &msg.id,
            &SendResult::Failed {
                error: "MOBILE_NUMBER_ILLEGAL".into(),
                retry_at: now,
                dead: true,
            },
            now,
        )
        .unwrap();
    msg.id.clone()
}

#[tokio::test]
async fn dead_letters_are_retried_or_discarded_with_a_reason() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let admin = s.login("admin").await;
    let (first, second) = (dead_letter(&s, "dead-a"), dead_letter(&s, "dead-b"));

    let (st, dead) = s.get(Some(&admin), "/sms/outbox?status=dead").await;
    assert_eq!(st, StatusCode::OK, "{dead}");
    assert_eq!(dead.as_array().unwrap().len(), 2);
    assert_eq!(dead[0]["phone"], "139****5678", "numbers stay masked");

    // Discard needs a reason; then the message is discarded (never sent), audited.
    let (st, err) = s
        .post(
            Some(&admin),
            &format!("/sms/outbox/{first}/discard"),
            &json!({"reason": "  "}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "DISCARD_REASON_REQUIRED");
    let (st, msg) = s
        .post(
            Some(&admin),
            &format!("/sms/outbox/{first}/discard"),
            &json!({"reason": "空号，已电话回访"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{msg}");
    assert_eq!(msg["status"], "discarded");
    assert_eq!(msg["discardReason"], "空号，已电话回访");
    assert_eq!(msg["phone"], "139****5678");
    let stored =
        support::off_runtime(|| s.state.store.outbox(Some(OutboxStatus::Discarded), 10)).unwrap();
    assert_eq!(stored.len(), 1);
    let rows = audit(&s, &admin, "discardSms").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["target"], first.as_str());
    let diff = detail(&rows[0]);
    assert_eq!(
        diff["status"],
        json!({"before": "dead", "after": "discarded"})
    );
    assert_eq!(diff["reason"], "空号，已电话回访");
    // Not a dead letter any more: neither retried nor discarded again (404, no row).
    let (st, _) = s
        .post(
            Some(&admin),
            &format!("/sms/outbox/{first}/retry"),
            &json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s
        .post(
            Some(&admin),
            &format!("/sms/outbox/{first}/discard"),
            &json!({"reason": "再次"}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(audit(&s, &admin, "discardSms").await.len(), 1);
    assert!(audit(&s, &admin, "retrySms").await.is_empty());

    // Retry: back in the queue, audited.
    let (st, retried) = s
        .post(
            Some(&admin),
            &format!("/sms/outbox/{second}/retry"),
            &json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{retried}");
    assert_eq!(retried["status"], "pending");
    let rows = audit(&s, &admin, "retrySms").await;
    assert_eq!(
        detail(&rows[0])["status"],
        json!({"before": "dead", "after": "pending"})
    );
    let (_, dead) = s.get(Some(&admin), "/sms/outbox?status=dead").await;
    assert!(dead.as_array().unwrap().is_empty(), "{dead}");
    let (st, discarded) = s.get(Some(&admin), "/sms/outbox?status=discarded").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(discarded.as_array().unwrap().len(), 1);

    // Only the admin.
    let third = dead_letter(&s, "dead-c");
    for who in ["clerk", "followup", "leader"] {
        let token = s.login(who).await;
        let (st, _) = s
            .post(
                Some(&token),
                &format!("/sms/outbox/{third}/retry"),
                &json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{who}");
        let (st, body) = s
            .post(
                Some(&token),
                &format!("/sms/outbox/{third}/discard"),
                &json!({"reason": "x"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(body["code"], "FORBIDDEN");
    }
}

#[tokio::test]
async fn weight_changes_are_audited_with_before_and_after() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let admin = s.login("admin").await;
    let (_, mut weights) = s.get(Some(&admin), "/assessment/weights").await;
    let old = weights.clone();
    weights["satisfaction"] = json!(35.0);
    weights["noReturn"] = json!(15.0);
    let (st, _) = s.put(Some(&admin), "/assessment/weights", &weights).await;
    assert_eq!(st, StatusCode::OK);
    let rows = audit(&s, &admin, "setAssessmentWeights").await;
    let diff = detail(&rows[0]);
    assert_eq!(diff["before"], old, "{diff}");
    assert_eq!(diff["after"], weights, "{diff}");
    // A refused edit: the server's Chinese message, nothing stored or audited.
    let mut bad = weights.clone();
    bad["replyOnTime"] = json!(120);
    let (st, err) = s.put(Some(&admin), "/assessment/weights", &bad).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{err}");
    assert!(err["message"].as_str().unwrap().contains("0–100"), "{err}");
    assert_eq!(audit(&s, &admin, "setAssessmentWeights").await.len(), 1);
}

#[tokio::test]
async fn accuracy_is_reported_per_beijing_week() {
    // Wednesday 2026-11-25; its week starts Monday 2026-11-23.
    let s = TestServer::start_at(bj("2026-11-25 09:00")).await;
    let unit: UnitId = s.unit("JN-LX-QCL").parse().unwrap();
    let other: UnitId = s.unit("JN-LX-JFL").parse().unwrap();
    let record = |at: &str, unit_kept: bool, category_kept: bool| {
        let token = bj(at);
        support::off_runtime(|| {
            s.state.store.record_dispatch_feedback(&DispatchFeedback {
                case_id: CaseId::mint(token),
                at: token,
                action: "dispatch".into(),
                suggested_category: Some("噪音扰民".into()),
                chosen_category: if category_kept {
                    "噪音扰民"
                } else {
                    "治安管理"
                }
                .into(),
                suggested_unit: Some(unit),
                chosen_unit: if unit_kept { unit } else { other },
                suggested_request_type: Some("投诉".into()),
                chosen_request_type: "投诉".into(),
                model_version: Some(1),
            })
        })
        .unwrap();
    };
    // This week: Monday 00:10 Beijing (still Sunday in UTC) and Wednesday.
    record("2026-11-23 00:10", true, true);
    record("2026-11-25 08:00", false, true);
    // The week before: Sunday 23:50 Beijing belongs to it, not to this week.
    record("2026-11-22 23:50", true, false);
    // Long ago: outside the 12 weeks.
    record("2026-01-05 10:00", true, true);

    let admin = s.login("admin").await;
    let (st, acc) = s.get(Some(&admin), "/intelligence/accuracy").await;
    assert_eq!(st, StatusCode::OK, "{acc}");
    let weeks = acc["weekly"].as_array().unwrap();
    assert_eq!(weeks.len(), 12);
    assert_eq!(weeks[11]["weekStart"], "2026-11-23");
    assert_eq!(weeks[10]["weekStart"], "2026-11-16");
    assert_eq!(
        weeks[0]["weekStart"],
        (bj("2026-11-23 12:00") - Duration::weeks(11))
            .format("%Y-%m-%d")
            .to_string()
    );
    let this = &weeks[11]["rates"];
    assert_eq!(this["dispatches"], 2, "{acc}");
    assert_eq!(this["unitMatched"], 1);
    assert_eq!(this["unitRate"], 0.5);
    assert_eq!(this["categoryRate"], 1.0);
    let last = &weeks[10]["rates"];
    assert_eq!(last["dispatches"], 1);
    assert_eq!(last["categoryRate"], 0.0);
    // A week without dispatches: zero counts, null rates (no made-up 0 %).
    assert_eq!(weeks[5]["rates"]["dispatches"], 0);
    assert_eq!(weeks[5]["rates"]["unitRate"], Value::Null);
    let in_weeks: u64 = weeks
        .iter()
        .map(|weights| weights["rates"]["dispatches"].as_u64().unwrap())
        .sum();
    assert_eq!(in_weeks, 3);
    assert_eq!(acc["overall"]["dispatches"], 4);
}
