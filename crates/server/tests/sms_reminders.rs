//! 温馨提示 (`POST /sms/reminders`) hardening: who may send and to whom (the number of a
//! case in scope or of a window-service event, never a typed one), parameter limits,
//! rate limits counted in the outbox, and an audit record with the masked number.

#[path = "support/sms.rs"]
mod sms;
mod support;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

const CITIZEN: &str = "13812345678";

fn req(case: &str, key: &str) -> Value {
    json!({"template": "reminder.documentReady", "caseId": case,
           "params": {"name": "王女士", "item": "居民身份证", "place": "泉城路派出所户籍窗口"},
           "key": key})
}

fn assert_error(what: &str, got: (StatusCode, Value), want: StatusCode, code: &str) {
    let (st, body) = got;
    assert_eq!(st, want, "{what}: {body}");
    assert_eq!(body["code"], code, "{what}: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{what}: Chinese message expected: {body}"
    );
}

/// A case registered by the clerk from `phone` and dispatched to 泉城路派出所.
async fn dispatched_case(s: &TestServer, clerk: &str, title: &str, phone: &str) -> String {
    let (st, body) = s
        .post(
            Some(clerk),
            "/cases",
            &json!({"channel": "12345市长热线", "requestType": "投诉", "title": title,
                    "content": format!("{title}，希望尽快处理。"), "citizenName": "王女士",
                    "citizenPhone": phone, "address": "历下区泉城路街道某小区", "district": "历下区"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "intake: {body}");
    let id = body["id"].as_str().expect("id").to_owned();
    s.act_ok(clerk, &id, s.dispatch("JN-LX-QCL", "治安管理", json!({})))
        .await;
    id
}

#[tokio::test]
async fn only_roles_that_need_it_reach_the_registered_number_of_a_visible_case() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (gw, _) = sms::attach_gateway(&s, 3).await;
    let clerk = s.login("clerk").await;
    let case = dispatched_case(&s, &clerk, "证件办理进度咨询", CITIZEN).await;
    let path = "/sms/reminders";

    // A typed number is refused, whoever types it (the old endpoint queued it).
    let mut free = req(&case, "F-1");
    free.as_object_mut().unwrap().remove("caseId");
    free["phone"] = json!("13900009999");
    assert_error(
        "free number",
        s.post(Some(&clerk), path, &free).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "REMINDER_FREE_NUMBER",
    );
    let mut both = req(&case, "F-2");
    both["phone"] = json!("13900009999");
    assert_error(
        "case and a typed number",
        s.post(Some(&clerk), path, &both).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "REMINDER_FREE_NUMBER",
    );
    let mut none = req(&case, "F-3");
    none.as_object_mut().unwrap().remove("caseId");
    assert_error(
        "no target",
        s.post(Some(&clerk), path, &none).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "REMINDER_TARGET_REQUIRED",
    );

    // Roles without a need: refused even for a case they could see.
    for user in ["admin", "leader", "supervisor"] {
        let t = s.login(user).await;
        assert_error(
            user,
            s.post(Some(&t), path, &req(&case, "R-1")).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
    }
    // An officer of another unit: the case is out of scope, so it does not exist.
    let other = s.login("officer2").await;
    assert_error(
        "officer2",
        s.post(Some(&other), path, &req(&case, "R-1")).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    // An officer may not address window-service rounds (clerk and 回访员 only).
    let officer = s.login("officer").await;
    let by_round = json!({"template": "reminder.documentReady", "followupId": "x",
                          "params": {"name": "王", "item": "证", "place": "窗口"}, "key": "W-1"});
    assert_error(
        "officer by round",
        s.post(Some(&officer), path, &by_round).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );

    // The handling officer reaches the case's registered number.
    let (st, v) = s.post(Some(&officer), path, &req(&case, "R-1")).await;
    assert_eq!(
        (st, v["queued"].as_bool()),
        (StatusCode::CREATED, Some(true)),
        "{v}"
    );
    sms::tick(&s).await;
    let got = sms::sent_to(&gw, CITIZEN);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].content.contains("居民身份证已制作完成"),
        "{}",
        got[0].content
    );
    assert!(sms::sent_to(&gw, "13900009999").is_empty());

    // A case without a mobile number cannot get an SMS.
    let landline = dispatched_case(&s, &clerk, "门前路灯不亮", "053186081234").await;
    assert_error(
        "landline",
        s.post(Some(&clerk), path, &req(&landline, "L-1")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "REMINDER_NO_MOBILE",
    );
}

#[tokio::test]
async fn window_service_rounds_are_addressed_by_their_round() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (gw, _) = sms::attach_gateway(&s, 3).await;
    let clerk = s.login("clerk").await;
    let csv = "externalId,service,phone,name,unit,occurredAt\n\
               HZ-1,户政,13911112222,张先生,泉城路派出所户籍窗口,2026-11-22 10:00\n";
    let (st, r) = s
        .post_raw(
            Some(&clerk),
            "/service-events/import?source=window",
            "text/csv",
            csv.into(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let followup = s.login("followup").await;
    let (_, rounds) = s.get(Some(&followup), "/followups?limit=100").await;
    let round = rounds.as_array().unwrap()[0]["id"].clone();
    let body = json!({"template": "reminder.documentReady", "followupId": round,
                      "params": {"name": "张先生", "item": "户口簿", "place": "户籍窗口"}, "key": "HK-1"});
    let (st, v) = s.post(Some(&followup), "/sms/reminders", &body).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let mut unknown = body.clone();
    unknown["followupId"] = json!("no-such-round");
    assert_error(
        "unknown round",
        s.post(Some(&followup), "/sms/reminders", &unknown).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    sms::tick(&s).await;
    assert!(sms::sent_to(&gw, "13911112222")
        .iter()
        .any(|m| m.content.contains("户口簿已制作完成")));
}

#[tokio::test]
async fn parameters_are_the_templates_own_and_short() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    sms::attach_gateway(&s, 3).await;
    let clerk = s.login("clerk").await;
    let case = dispatched_case(&s, &clerk, "证件办理进度咨询", CITIZEN).await;
    let post = |body: Value| {
        let (s, clerk) = (&s, &clerk);
        async move { s.post(Some(clerk), "/sms/reminders", &body).await }
    };

    let mut unknown = req(&case, "P-1");
    unknown["params"]["url"] = json!("http://example.invalid/phish");
    assert_error(
        "unknown name",
        post(unknown).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "REMINDER_PARAM_UNKNOWN",
    );
    let mut long = req(&case, "P-2");
    long["params"]["place"] = json!("长".repeat(101));
    assert_error(
        "101 characters",
        post(long).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "REMINDER_PARAM_TOO_LONG",
    );
    let mut nested = req(&case, "P-3");
    nested["params"]["item"] = json!({"a": 1});
    assert_error(
        "object value",
        post(nested).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "REMINDER_PARAMS_INVALID",
    );
    let mut missing = req(&case, "P-4");
    missing["params"].as_object_mut().unwrap().remove("place");
    assert_error(
        "missing",
        post(missing).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "REMINDER_PARAM_MISSING",
    );
    // Each at the limit, but together over 300 characters.
    let mut total = req(&case, "P-5");
    for k in ["name", "item", "place"] {
        total["params"][k] = json!("字".repeat(100));
    }
    assert_error(
        "rendered length",
        post(total).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "REMINDER_TOO_LONG",
    );
    // One value at the limit is fine.
    let mut edge = req(&case, "P-6");
    edge["params"]["place"] = json!("窗".repeat(100));
    let (st, v) = post(edge).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    // Nothing refused reached the outbox.
    let n = s.sql_i64("SELECT COUNT(*) FROM sms_outbox WHERE template = 'reminder.documentReady'");
    assert_eq!(n, 1);
}

#[tokio::test]
async fn at_most_three_a_day_per_number_whoever_sends() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    sms::attach_gateway(&s, 3).await;
    let clerk = s.login("clerk").await;
    let case = dispatched_case(&s, &clerk, "证件办理进度咨询", CITIZEN).await;
    for i in 0..3 {
        let (st, v) = s
            .post(
                Some(&clerk),
                "/sms/reminders",
                &req(&case, &format!("D-{i}")),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{i}: {v}");
    }
    // A resubmission is still harmless (not a new message, not refused).
    let (st, v) = s
        .post(Some(&clerk), "/sms/reminders", &req(&case, "D-0"))
        .await;
    assert_eq!(
        (st, v["queued"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{v}"
    );
    let officer = s.login("officer").await;
    assert_error(
        "4th to the number, other sender",
        s.post(Some(&officer), "/sms/reminders", &req(&case, "D-3"))
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "REMINDER_RECIPIENT_LIMIT",
    );
    s.clock
        .set(s.clock.now() + Duration::hours(24) + Duration::minutes(1));
    let officer = s.login("officer").await;
    let (st, v) = s
        .post(Some(&officer), "/sms/reminders", &req(&case, "D-3"))
        .await;
    assert_eq!(st, StatusCode::CREATED, "a day later: {v}");
}

#[tokio::test]
async fn at_most_twenty_an_hour_per_sender() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    sms::attach_gateway(&s, 3).await;
    let clerk = s.login("clerk").await;
    let mut cases = Vec::new();
    for i in 0..8 {
        cases.push(
            dispatched_case(
                &s,
                &clerk,
                &format!("证件咨询{i}"),
                &format!("1390000{i:04}"),
            )
            .await,
        );
    }
    // 7 numbers × 3 = 21 attempts: the 21st is over the sender's hourly limit.
    let mut sent = 0;
    for (i, case) in cases.iter().take(7).enumerate() {
        for k in 0..3 {
            let got = s
                .post(
                    Some(&clerk),
                    "/sms/reminders",
                    &req(case, &format!("H-{i}-{k}")),
                )
                .await;
            if sent < 20 {
                assert_eq!(got.0, StatusCode::CREATED, "{sent}: {}", got.1);
                sent += 1;
            } else {
                assert_error(
                    "21st in the hour",
                    got,
                    StatusCode::TOO_MANY_REQUESTS,
                    "REMINDER_SENDER_LIMIT",
                );
            }
        }
    }
    // Another sender is not affected; the clerk again after the hour.
    let officer = s.login("officer").await;
    let (st, v) = s
        .post(Some(&officer), "/sms/reminders", &req(&cases[7], "H-other"))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    s.clock.set(s.clock.now() + Duration::minutes(61));
    let clerk = s.login("clerk").await;
    let (st, v) = s
        .post(Some(&clerk), "/sms/reminders", &req(&cases[7], "H-later"))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn each_reminder_is_audited_with_the_masked_number_only() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    sms::attach_gateway(&s, 3).await;
    let clerk = s.login("clerk").await;
    let case = dispatched_case(&s, &clerk, "证件办理进度咨询", CITIZEN).await;
    let officer = s.login("officer").await;
    let (st, v) = s
        .post(Some(&officer), "/sms/reminders", &req(&case, "A-1"))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let mut conn = s.raw_sql();
    let rows: Vec<(String, String, String)> = conn
        .rows("SELECT user_id, target, detail FROM audit_log WHERE action = 'smsReminder'")
        .into_iter()
        .map(|r| {
            let [user, target, detail] = <[Option<String>; 3]>::try_from(r).expect("3 columns");
            (user.unwrap(), target.unwrap(), detail.unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (user, target, detail) = &rows[0];
    let me = conn.rows("SELECT id FROM users WHERE username = 'officer'")[0][0]
        .clone()
        .unwrap();
    assert_eq!(user, &me);
    assert_eq!(target, &format!("case:{case}"));
    assert!(detail.contains("138****5678"), "{detail}");
    assert!(!detail.contains(CITIZEN), "{detail}");
}
