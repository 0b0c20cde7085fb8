//! Follow-up (回访) and notifications over real HTTP: a real server and SQLite file, the
//! development SMS gateway on its own port, citizen replies posted (signed) by the
//! gateway to the server's webhook. Workers are driven by `notify::run_once` on the
//! manual clock, so nothing sleeps.

#[path = "support/sms.rs"]
mod sms;
mod support;

use chrono::{DateTime, Duration, Utc};
use minsheng_server::notify::devgw::{DevGateway, DevMessage, ReplyReq};
use minsheng_server::notify::gateway::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use minsheng_server::notify::{self, GatewayConfig, NotifyConfig, PassReport, SmsGateway};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sms::{config, SECRET};
use support::{bj, TestServer};

const CITIZEN: &str = "13812345678";

struct Env {
    s: TestServer,
    gw: DevGateway,
    gw_base: String,
}

async fn env_with(now: DateTime<Utc>, max_attempts: u32) -> Env {
    let s = TestServer::start_at(now).await;
    let (gw, gw_base) = sms::attach_gateway(&s, max_attempts).await;
    Env { s, gw, gw_base }
}

async fn env() -> Env {
    env_with(bj("2026-11-23 09:00"), 8).await
}

impl Env {
    async fn tick(&self) -> PassReport {
        notify::run_once(&self.s.state).await.expect("notify pass")
    }

    fn advance(&self, d: Duration) {
        self.s.clock.set(self.s.clock.now() + d);
    }

    /// A citizen reply through the gateway; returns the webhook's status and answer.
    async fn reply(
        &self,
        from: &str,
        text: &str,
        id: Option<&str>,
        at: Option<DateTime<Utc>>,
    ) -> (u16, Value) {
        self.gw
            .reply(&ReplyReq {
                from: from.into(),
                text: text.into(),
                message_id: id.map(str::to_owned),
                sent_at: at,
            })
            .await
            .expect("reply")
    }

    /// Messages to `phone`, in arrival order.
    fn to(&self, phone: &str) -> Vec<DevMessage> {
        self.gw
            .messages()
            .into_iter()
            .filter(|m| m.to == phone)
            .collect()
    }

    async fn case(&self, token: &str, id: &str) -> Value {
        let (st, v) = self.s.get(Some(token), &format!("/cases/{id}")).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        v
    }

    /// Intake → dispatch to 泉城路派出所 → sign in → reply → approve: 已办结.
    async fn completed_case(&self, title: &str) -> String {
        self.completed_case_of(title, CITIZEN).await
    }

    async fn completed_case_of(&self, title: &str, phone: &str) -> String {
        self.s.completed_case(title, phone).await
    }

    async fn notifications(&self, token: &str) -> Vec<Value> {
        let (st, v) = self.s.get(Some(token), "/notifications?limit=200").await;
        assert_eq!(st, StatusCode::OK, "{v}");
        v["items"].as_array().cloned().unwrap_or_default()
    }

    async fn raw_webhook(&self, headers: &[(&str, String)], body: &str) -> (StatusCode, Value) {
        let mut rb = self
            .s
            .client
            .post(self.s.url("/sms/inbound"))
            .header("content-type", "application/json")
            .body(body.to_owned());
        for (k, v) in headers {
            rb = rb.header(*k, v);
        }
        let resp = rb.send().await.expect("send");
        let st = resp.status();
        (st, resp.json().await.unwrap_or(Value::Null))
    }
}

fn kinds(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|n| n["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn assert_each_sent_once(gw: &DevGateway) {
    for m in gw.messages() {
        assert_eq!(m.deliveries, 1, "sent twice: {m:?}");
    }
}

#[tokio::test]
async fn three_level_escalation_is_driven_by_citizen_replies() {
    let e = env().await;
    let s = &e.s;
    let admin = s.login("admin").await;
    let head = s.login("head").await;
    let supervisor = s.login("supervisor").await;
    let leader = s.login("leader").await;
    let inspector = s.login("sup-dc").await;
    let id = e.completed_case("小区门口夜间聚集酗酒滋事").await;
    let number = e.case(&admin, &id).await["number"]
        .as_str()
        .unwrap()
        .to_owned();

    // 已办结 → the level-1 SMS, once however often the worker runs.
    let r = e.tick().await;
    assert_eq!((r.followups_opened, r.sent), (1, 1), "{r:?}");
    e.tick().await;
    let sms = e.to(CITIZEN);
    assert_eq!(sms.len(), 1);
    assert!(sms[0].content.contains(&number), "{}", sms[0].content);
    assert!(sms[0].content.contains("1满意"));

    // 3 = 不满意 → 回访二级; the unit head and the supervising unit get the task.
    let (st, v) = e.reply(CITIZEN, "3", None, None).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["outcome"], "applied", "{v}");
    assert_eq!(e.case(&admin, &id).await["state"], "followUpL2");
    e.tick().await;
    assert!(kinds(&e.notifications(&head).await).contains(&"followUpTask".to_owned()));
    assert!(kinds(&e.notifications(&supervisor).await).contains(&"followUpTask".to_owned()));
    // No SMS until the re-handling is recorded.
    assert_eq!(e.to(CITIZEN).len(), 1);
    s.act_ok(
        &head,
        &id,
        json!({"type": "recordRehandle", "result": "所长带队上门，当面说明处理结果"}),
    )
    .await;
    e.tick().await;
    let sms = e.to(CITIZEN);
    assert_eq!(sms.len(), 2);
    assert!(sms[1].content.contains("重新办理"), "{}", sms[1].content);

    // Free text is not an answer: it goes to the 回访员 and the case waits.
    let followup = s.login("followup").await;
    let (_, v) = e.reply(CITIZEN, "什么时候能彻底解决？", None, None).await;
    assert_eq!(v["outcome"], "needsReview", "{v}");
    assert_eq!(e.case(&admin, &id).await["state"], "followUpL2");
    assert!(kinds(&e.notifications(&followup).await).contains(&"freeTextReply".to_owned()));

    // 不满意 again → 回访三级: the leader and 纪委/督察/法制 are told.
    let (_, v) = e.reply(CITIZEN, "还是不满意", None, None).await;
    assert_eq!(v["outcome"], "applied", "{v}");
    assert_eq!(e.case(&admin, &id).await["state"], "followUpL3");
    e.tick().await;
    assert!(kinds(&e.notifications(&leader).await).contains(&"followUpTask".to_owned()));
    assert!(kinds(&e.notifications(&inspector).await).contains(&"followUpTask".to_owned()));
    s.act_ok(
        &leader,
        &id,
        json!({"type": "leaderSignOff", "opinion": "请督察支队调查"}),
    )
    .await;
    e.tick().await;
    assert_eq!(e.to(CITIZEN).len(), 2, "waits for the investigation too");
    s.act_ok(
        &inspector,
        &id,
        json!({"type": "recordInvestigation", "department": "督察", "finding": "处置及时，程序合规"}),
    )
    .await;
    e.tick().await;
    let sms = e.to(CITIZEN);
    assert_eq!(sms.len(), 3);
    assert!(
        sms[2].content.contains("市局领导签批"),
        "{}",
        sms[2].content
    );

    // 不满意 at level 3 → 疑难督办; after the supervision notice the citizen is asked again.
    e.reply(CITIZEN, "3", None, None).await;
    let v = e.case(&admin, &id).await;
    assert_eq!(v["state"], "difficultSupervision");
    e.tick().await;
    let sup_kinds = kinds(&e.notifications(&supervisor).await);
    assert_eq!(
        sup_kinds.iter().filter(|k| *k == "followUpTask").count(),
        2,
        "{sup_kinds:?}"
    );
    s.act_ok(
        &supervisor,
        &id,
        json!({"type": "supervisionNotice", "notice": "限期五个工作日内专题研究解决"}),
    )
    .await;
    e.tick().await;
    let sms = e.to(CITIZEN);
    assert_eq!(sms.len(), 4);
    assert!(sms[3].content.contains("疑难督办"));

    // 满意 → 已归档.
    let (_, v) = e.reply(CITIZEN, "1", None, None).await;
    assert_eq!(v["outcome"], "applied", "{v}");
    let v = e.case(&admin, &id).await;
    assert_eq!(v["state"], "archived");
    assert_eq!(v["followUp"]["satisfaction"], "satisfied");

    // Each answer is on the timeline, by the system, through the state machine.
    let (_, tl) = s.get(Some(&admin), &format!("/cases/{id}/timeline")).await;
    let answers: Vec<&Value> = tl
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "followUpAnswer")
        .collect();
    assert_eq!(answers.len(), 4);
    assert!(answers.iter().all(|t| t["actorRole"] == "system"));
    let (_, chain) = s
        .get(Some(&admin), &format!("/cases/{id}/timeline/verify"))
        .await;
    assert_eq!(chain["valid"], true, "{chain}");

    // Four rounds on record, all answered; every message sent exactly once.
    let (_, rounds) = s
        .get(Some(&admin), &format!("/followups?caseId={id}"))
        .await;
    let rounds = rounds.as_array().unwrap();
    assert_eq!(rounds.len(), 4);
    assert!(
        rounds.iter().all(|r| r["status"] == "answered"),
        "{rounds:?}"
    );
    assert_each_sent_once(&e.gw);
    let (_, out) = s.get(Some(&admin), "/sms/outbox").await;
    assert!(out
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["status"] == "sent"));

    // The gateway's delivery report lands on the outbox row.
    let first = &e.to(CITIZEN)[0];
    let (st, v) = e.gw.report(&first.id, "delivered").await.unwrap();
    assert_eq!((st, v["known"].as_bool()), (200, Some(true)), "{v}");
    let (_, out) = s.get(Some(&admin), "/sms/outbox").await;
    let row = out
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == first.client_ref.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["deliveryStatus"], "delivered");
    assert_eq!(row["providerId"], first.id.as_str());
}

#[tokio::test]
async fn duplicate_and_out_of_order_deliveries_apply_once_to_the_right_round() {
    let e = env().await;
    let s = &e.s;
    let admin = s.login("admin").await;
    let head = s.login("head").await;
    let id = e.completed_case("楼下烧烤摊油烟噪音扰民").await;
    e.tick().await;
    let t1 = s.clock.now();

    let (st, first) = e
        .reply(CITIZEN, "3", Some("mo-A"), Some(t1 + Duration::minutes(5)))
        .await;
    assert_eq!(st, 200);
    assert_eq!(first["outcome"], "applied");
    assert_eq!(first["duplicate"], false);
    let v = e.case(&admin, &id).await;
    assert_eq!(v["state"], "followUpL2");
    let version = v["version"].clone();

    // The same delivery again: same answer, nothing applied twice.
    let (st, again) = e
        .reply(CITIZEN, "3", Some("mo-A"), Some(t1 + Duration::minutes(5)))
        .await;
    assert_eq!(st, 200);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["outcome"], "applied");
    assert_eq!(e.case(&admin, &id).await["version"], version);

    // Re-handled, level-2 SMS out a day later.
    e.advance(Duration::days(1));
    s.act_ok(
        &head,
        &id,
        json!({"type": "recordRehandle", "result": "再次上门核实并整改"}),
    )
    .await;
    e.tick().await;
    assert_eq!(e.to(CITIZEN).len(), 2);

    // A reply sent before the level-2 SMS arrives only now ("1" sent right after the
    // "3"): it answers the closed level-1 round, so it must not archive the case.
    let (_, late) = e
        .reply(CITIZEN, "1", Some("mo-B"), Some(t1 + Duration::minutes(6)))
        .await;
    assert_eq!(late["outcome"], "stale", "{late}");
    let v = e.case(&admin, &id).await;
    assert_eq!(v["state"], "followUpL2");
    assert_eq!(v["followUp"]["awaitingAnswer"], true);

    // The real answer to level 2, then its own duplicate.
    let now = s.clock.now();
    let (_, v2) = e
        .reply(CITIZEN, "2", Some("mo-C"), Some(now + Duration::minutes(1)))
        .await;
    assert_eq!(v2["outcome"], "applied");
    let (_, dup) = e
        .reply(CITIZEN, "2", Some("mo-C"), Some(now + Duration::minutes(1)))
        .await;
    assert_eq!(dup["duplicate"], true);
    let v = e.case(&admin, &id).await;
    assert_eq!(v["state"], "archived");
    assert_eq!(v["followUp"]["satisfaction"], "basicallySatisfied");
    // Delivered after the case was archived: recorded, no effect.
    let (_, after) = e.reply(CITIZEN, "3", Some("mo-D"), None).await;
    assert_eq!(after["outcome"], "stale");
    assert_eq!(e.case(&admin, &id).await["state"], "archived");

    let (_, tl) = s.get(Some(&admin), &format!("/cases/{id}/timeline")).await;
    let answers = tl
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "followUpAnswer")
        .count();
    assert_eq!(answers, 2);
    let (_, inbound) = s.get(Some(&admin), "/sms/inbound").await;
    assert_eq!(
        inbound.as_array().unwrap().len(),
        4,
        "one row per message id: {inbound}"
    );
}

#[tokio::test]
async fn gateway_outage_messages_wait_then_go_once_and_dead_letters_can_be_retried() {
    let e = env_with(bj("2026-11-23 09:00"), 3).await;
    let s = &e.s;
    let admin = s.login("admin").await;
    let first = e.completed_case("快递柜附近电动车乱停").await;
    e.completed_case("小区门禁损坏无人维修").await;

    e.gw.set_down(true);
    let r = e.tick().await;
    assert_eq!((r.sent, r.failed), (0, 2), "{r:?}");
    // Backing off: an immediate pass does not hammer the gateway.
    let r = e.tick().await;
    assert_eq!((r.sent, r.failed), (0, 0), "{r:?}");
    assert_eq!(e.gw.refused(), 2);
    let (_, pending) = s.get(Some(&admin), "/sms/outbox?status=pending").await;
    let pending = pending.as_array().unwrap();
    assert_eq!(pending.len(), 2);
    assert!(pending
        .iter()
        .all(|m| m["attempts"] == 1 && m["lastError"].is_string()));

    e.advance(Duration::seconds(31));
    let r = e.tick().await;
    assert_eq!(r.failed, 2, "second attempt after 30 s: {r:?}");
    // Back up: after the doubled delay (60 s) both go, once.
    e.gw.set_down(false);
    e.advance(Duration::seconds(30));
    assert_eq!(e.tick().await.sent, 0, "not due yet");
    e.advance(Duration::seconds(31));
    assert_eq!(e.tick().await.sent, 2);
    for _ in 0..3 {
        e.advance(Duration::minutes(10));
        assert_eq!(e.tick().await.sent, 0);
    }
    assert_eq!(e.to(CITIZEN).len(), 2);
    assert_each_sent_once(&e.gw);

    // An outage longer than the attempts allow: dead letter, visible, retried by hand.
    s.post(
        Some(&s.login("clerk").await),
        "/sms/reminders",
        &json!({"template": "reminder.documentReady", "caseId": first,
                "params": {"name": "王女士", "item": "居民身份证", "place": "泉城路派出所户籍窗口"},
                "key": "ID-0001"}),
    )
    .await;
    e.gw.set_down(true);
    for _ in 0..3 {
        e.tick().await;
        e.advance(Duration::hours(2));
    }
    let (_, dead) = s.get(Some(&admin), "/sms/outbox?status=dead").await;
    let dead = dead.as_array().unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["attempts"], 3);
    e.gw.set_down(false);
    assert_eq!(
        e.tick().await.sent,
        0,
        "dead letters are not retried automatically"
    );
    let officer = s.login("officer").await;
    let retry = format!("/sms/outbox/{}/retry", dead[0]["id"].as_str().unwrap());
    assert_eq!(
        s.post(Some(&officer), &retry, &json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.post(Some(&admin), &retry, &json!({})).await.0,
        StatusCode::OK
    );
    assert_eq!(e.tick().await.sent, 1);
    let sms: Vec<_> = e
        .to(CITIZEN)
        .into_iter()
        .filter(|m| m.content.contains("温馨提示"))
        .collect();
    assert_eq!(sms.len(), 1);
    assert!(
        sms[0].content.contains("居民身份证已制作完成"),
        "{}",
        sms[0].content
    );
    assert_each_sent_once(&e.gw);
}

#[tokio::test]
async fn a_restarted_worker_never_sends_an_event_twice() {
    let e = env().await;
    let s = &e.s;
    e.completed_case("夜间工地施工噪音").await;
    // Round opened and queued, then "the server stops" before sending.
    e.gw.set_down(true);
    e.tick().await;
    e.gw.set_down(false);

    // A second server process on the same file: it finds the round already opened.
    let state2 = s.open_another(minsheng_server::state::Settings::default());
    notify::configure(&state2, config(&e.gw_base, 8)).expect("configure");
    // A worker claims the message, hands it to the gateway, and dies before recording it.
    let now = s.clock.now() + Duration::minutes(5);
    s.clock.set(now);
    let claimed = support::off_runtime(|| state2.store.claim_due_sms(now, 120, 10)).expect("claim");
    assert_eq!(claimed.len(), 1);
    let gw = minsheng_server::notify::HttpGateway::new(GatewayConfig {
        url: format!("{}/send", e.gw_base),
        account: None,
        token: Some("gw-token".into()),
        timeout: std::time::Duration::from_secs(5),
        provider: notify::Provider::Generic,
    })
    .unwrap();
    let m = &claimed[0];
    gw.send(&minsheng_server::notify::gateway::OutgoingSms {
        client_ref: &m.id,
        to: &m.phone,
        body: &m.body,
        template_id: None,
        params: &m.params,
    })
    .await
    .expect("sent");

    // While the lease runs nobody else takes it; afterwards it is resent with the same
    // clientRef and the gateway keeps one message.
    let r = notify::run_once(&state2).await.unwrap();
    assert_eq!((r.followups_opened, r.sent), (0, 0), "{r:?}");
    e.advance(Duration::minutes(3));
    let r = e.tick().await;
    assert_eq!((r.followups_opened, r.sent), (0, 1), "{r:?}");
    let r = notify::run_once(&state2).await.unwrap();
    assert_eq!((r.followups_opened, r.sent), (0, 0), "{r:?}");
    let sms = e.to(CITIZEN);
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(
        sms[0].deliveries, 2,
        "the resend carried the same clientRef"
    );
}

#[tokio::test]
async fn replies_from_unknown_numbers_are_recorded_and_change_nothing() {
    let e = env().await;
    let s = &e.s;
    let admin = s.login("admin").await;
    let id = e.completed_case("路灯损坏夜间出行不便").await;
    e.tick().await;
    let (st, v) = e.reply("+86 139-0000-0000", "3", Some("mo-X"), None).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["outcome"], "unmatched");
    assert_eq!(e.case(&admin, &id).await["state"], "completed");
    let followup = s.login("followup").await;
    let (_, inbound) = s.get(Some(&followup), "/sms/inbound").await;
    assert_eq!(inbound[0]["phone"], "139****0000", "lists are masked");
    assert_eq!(inbound[0]["outcome"], "unmatched");
    // 回访员 may read replies; an officer may not.
    let officer = s.login("officer").await;
    assert_eq!(
        s.get(Some(&officer), "/sms/inbound").await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn unauthenticated_or_malformed_webhook_calls_are_rejected_and_logged() {
    let e = env().await;
    let s = &e.s;
    let admin = s.login("admin").await;
    let id = e.completed_case("商户占道经营").await;
    e.tick().await;
    let body =
        json!({"type": "reply", "messageId": "forged-1", "from": CITIZEN, "text": "1"}).to_string();
    let now = Utc::now().timestamp().to_string();

    // No signature.
    let (st, v) = e.raw_webhook(&[], &body).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "UNAUTHENTICATED");
    // Signed with another secret.
    let forged = sign("guess", &now, body.as_bytes());
    let (st, _) = e
        .raw_webhook(
            &[(TIMESTAMP_HEADER, now.clone()), (SIGNATURE_HEADER, forged)],
            &body,
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // A valid signature replayed an hour later.
    let old = (Utc::now().timestamp() - 3600).to_string();
    let replay = sign(SECRET, &old, body.as_bytes());
    let (st, _) = e
        .raw_webhook(
            &[(TIMESTAMP_HEADER, old), (SIGNATURE_HEADER, replay)],
            &body,
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Body changed after signing.
    let good = sign(SECRET, &now, body.as_bytes());
    let tampered = body.replace("\"1\"", "\"3\"");
    let (st, _) = e
        .raw_webhook(
            &[(TIMESTAMP_HEADER, now.clone()), (SIGNATURE_HEADER, good)],
            &tampered,
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Properly signed but malformed.
    let junk = "{\"type\":\"reply\",\"from\":";
    let sig = sign(SECRET, &now, junk.as_bytes());
    let (st, v) = e
        .raw_webhook(
            &[(TIMESTAMP_HEADER, now.clone()), (SIGNATURE_HEADER, sig)],
            junk,
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].as_str().unwrap().contains("格式错误"));

    // Nothing happened to the case; every refusal is in the audit log.
    assert_eq!(e.case(&admin, &id).await["state"], "completed");
    let (_, audit) = s.get(Some(&admin), "/audit").await;
    let rejected = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "smsWebhookRejected")
        .count();
    assert_eq!(rejected, 5, "{audit}");
    let (_, inbound) = s.get(Some(&admin), "/sms/inbound").await;
    assert_eq!(inbound.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn no_reply_in_time_becomes_a_phone_task_for_the_follow_up_agent() {
    let e = env().await;
    let s = &e.s;
    let followup = s.login("followup").await;
    let id = e.completed_case("出租屋群租安全隐患").await;
    e.tick().await;
    // Due three working days after Monday's SMS (Thursday): Wednesday not yet, Friday yes.
    e.advance(Duration::days(2));
    assert_eq!(e.tick().await.phone_tasks, 0);
    e.advance(Duration::days(2));
    assert_eq!(e.tick().await.phone_tasks, 1);
    assert_eq!(e.tick().await.phone_tasks, 0, "once");
    let (_, tasks) = s.get(Some(&followup), "/followups?status=phoneTask").await;
    assert_eq!(tasks.as_array().unwrap().len(), 1);
    let notes = e.notifications(&followup).await;
    assert_eq!(kinds(&notes), vec!["phoneFollowUp"]);
    assert_eq!(notes[0]["caseId"], id.as_str());

    // The agent phones and records it through the workflow; the round is closed.
    s.act_ok(
        &followup,
        &id,
        json!({"type": "followUpAnswer", "satisfaction": "satisfied", "channel": "phone", "note": "电话回访满意"}),
    )
    .await;
    e.tick().await;
    let (_, rounds) = s
        .get(Some(&followup), &format!("/followups?caseId={id}"))
        .await;
    assert_eq!(rounds[0]["status"], "superseded");
    // A late SMS reply now changes nothing.
    let (_, v) = e.reply(CITIZEN, "3", None, None).await;
    assert_eq!(v["outcome"], "stale");

    // A landline cannot get the SMS: the round is a phone task at once.
    let before = e.gw.messages().len();
    let landline = e.completed_case_of("门前路面塌陷", "0531-86081234").await;
    let r = e.tick().await;
    assert_eq!((r.followups_opened, r.phone_tasks), (1, 1), "{r:?}");
    assert_eq!(e.gw.messages().len(), before);
    let (_, rounds) = s
        .get(Some(&followup), &format!("/followups?caseId={landline}"))
        .await;
    assert_eq!(rounds[0]["status"], "phoneTask");
    assert_eq!(rounds[0]["phone"], "053*****1234", "lists are masked");
}

#[tokio::test]
async fn staff_notifications_are_per_user_and_optionally_by_sms() {
    let e = env().await;
    let s = &e.s;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let head = s.login("head").await;
    let supervisor = s.login("supervisor").await;

    // The head wants approval requests by SMS too.
    let resp = s
        .client
        .put(s.url("/notifications/preferences"))
        .bearer_auth(&head)
        .json(&json!({"sms": true, "smsKinds": ["approval"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    let id = s.intake(&clerk, "学校门口早高峰交通拥堵").await;
    s.act_ok(&clerk, &id, s.dispatch("JN-LX-QCL", "交通管理", json!({})))
        .await;
    e.tick().await;
    let mine = e.notifications(&officer).await;
    assert_eq!(kinds(&mine), vec!["dispatch"]);
    assert!(mine[0]["body"].as_str().unwrap().contains("签收"));
    assert_eq!(kinds(&e.notifications(&head).await), vec!["dispatch"]);

    // Sign-in reminder before the deadline, then overdue.
    s.clock.set(bj("2026-11-23 16:30"));
    e.tick().await;
    assert!(kinds(&e.notifications(&officer).await).contains(&"signInReminder".to_owned()));
    s.clock.set(bj("2026-11-24 09:30"));
    e.tick().await;
    e.tick().await;
    let sup = kinds(&e.notifications(&supervisor).await);
    assert_eq!(sup.iter().filter(|k| *k == "overdue").count(), 1, "{sup:?}");

    // Urge, then a reply waiting for the head's approval (also by SMS to the head).
    s.act_ok(
        &supervisor,
        &id,
        json!({"type": "urge", "message": "请尽快签收办理"}),
    )
    .await;
    s.act_ok(&officer, &id, json!({"type": "signIn"})).await;
    s.act_ok(
        &officer,
        &id,
        json!({"type": "submitReply", "text": "已协调交警加强疏导。"}),
    )
    .await;
    e.tick().await;
    assert!(kinds(&e.notifications(&officer).await).contains(&"urge".to_owned()));
    let head_notes = e.notifications(&head).await;
    assert!(kinds(&head_notes).contains(&"approval".to_owned()));
    let head_sms = e.to("13800000005");
    assert_eq!(head_sms.len(), 1, "only the kind asked for: {head_sms:?}");
    assert!(head_sms[0].content.contains("答复待审核"));

    // Read marks: own notifications only.
    let (_, list) = s
        .get(Some(&officer), "/notifications?unreadOnly=true")
        .await;
    let unread = list["unread"].as_u64().unwrap();
    assert!(unread >= 3, "{list}");
    let first = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, r) = s
        .post(Some(&head), "/notifications/read", &json!({"ids": [first]}))
        .await;
    assert_eq!(r["updated"], 0, "not the head's");
    let (_, r) = s
        .post(
            Some(&officer),
            "/notifications/read",
            &json!({"ids": [first]}),
        )
        .await;
    assert_eq!(r["updated"], 1);
    assert_eq!(r["unread"].as_u64().unwrap(), unread - 1);
    let (_, r) = s
        .post(Some(&officer), "/notifications/read", &json!({"all": true}))
        .await;
    assert_eq!(r["unread"], 0);
    let (st, _) = s
        .post(Some(&officer), "/notifications/read", &json!({}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(
        s.get(None, "/notifications").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn window_service_events_are_followed_up_and_counted() {
    let e = env().await;
    let s = &e.s;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let csv = "externalId,service,phone,name,unit,occurredAt\n\
               HZ-1,户政,13911112222,张先生,泉城路派出所户籍窗口,2026-11-22 10:00\n\
               CRJ-7,出入境,13933334444,李女士,出入境管理局历下大厅,2026-11-22T03:00:00Z\n\
               X-1,未知业务,13955556666,,,2026-11-22 10:00\n";
    let path = "/service-events/import?source=window";
    let (st, _) = s
        .post_raw(Some(&officer), path, "text/csv", csv.into())
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, r) = s.post_raw(Some(&clerk), path, "text/csv", csv.into()).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        (r["accepted"].as_u64(), r["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(r["errors"][0]["row"], 3);
    let json_feed = json!([{"externalId": "110-9", "service": "110接处警", "phone": "13977778888",
                            "occurredAt": "2026-11-22 23:10", "unit": "泉城路派出所"}]);
    let (_, r) = s
        .post_raw(
            Some(&clerk),
            path,
            "application/json",
            json_feed.to_string().into(),
        )
        .await;
    assert_eq!(r["accepted"], 1, "{r}");
    e.tick().await;
    let hz = e.to("13911112222");
    assert_eq!(hz.len(), 1);
    assert!(hz[0].content.contains("户政业务"), "{}", hz[0].content);
    assert!(e.to("13933334444")[0].content.contains("出入境"));
    assert!(e.to("13977778888")[0].content.contains("110"));

    // Importing the same feed again sends nothing.
    let (_, r) = s.post_raw(Some(&clerk), path, "text/csv", csv.into()).await;
    assert_eq!(
        (r["accepted"].as_u64(), r["duplicates"].as_u64()),
        (Some(0), Some(2))
    );
    e.tick().await;
    assert_eq!(e.gw.messages().len(), 3);

    let (_, v) = e.reply("13911112222", "2", None, None).await;
    assert_eq!(v["outcome"], "recorded", "{v}");
    let (_, v) = e.reply("13977778888", "不满意，出警太慢", None, None).await;
    assert_eq!(v["outcome"], "recorded", "{v}");
    let followup = s.login("followup").await;
    let (_, stats) = s.get(Some(&followup), "/followups/stats").await;
    let row = |g: &str| {
        stats
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == g)
            .cloned()
            .unwrap_or_else(|| panic!("{g} in {stats}"))
    };
    assert_eq!(row("household")["basicallySatisfied"], 1);
    assert_eq!(row("110")["unsatisfied"], 1);
    assert_eq!(row("exitEntry")["answered"], 0);
    assert_eq!(row("exitEntry")["sent"], 1);
    let (_, later) = s
        .get(
            Some(&followup),
            "/followups/stats?from=2026-12-01T00:00:00Z",
        )
        .await;
    assert_eq!(later.as_array().unwrap().len(), 0, "{later}");

    // 温馨提示 to the event's registered number (clerk or 回访员; not an officer): one per key.
    let (_, rounds) = s.get(Some(&followup), "/followups?limit=1000").await;
    let round = rounds
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["serviceEventId"] == "window:HZ-1")
        .cloned()
        .unwrap_or_else(|| panic!("HZ-1 in {rounds}"));
    let req = json!({"template": "reminder.documentReady", "followupId": round["id"],
                     "params": {"name": "张先生", "item": "户口簿", "place": "户籍窗口"}, "key": "HK-42"});
    assert_eq!(
        s.post(Some(&officer), "/sms/reminders", &req).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.post(Some(&clerk), "/sms/reminders", &req).await.0,
        StatusCode::CREATED
    );
    let (st, v) = s.post(Some(&clerk), "/sms/reminders", &req).await;
    assert_eq!((st, v["queued"].as_bool()), (StatusCode::OK, Some(false)));
    let mut bad = req.clone();
    bad["template"] = json!("followup.l1");
    assert_eq!(
        s.post(Some(&clerk), "/sms/reminders", &bad).await.0,
        StatusCode::BAD_REQUEST
    );
    e.tick().await;
    assert_eq!(e.to("13911112222").len(), 2);
}

#[tokio::test]
async fn templates_are_admin_editable_and_used_for_later_messages() {
    let e = env().await;
    let s = &e.s;
    let admin = s.login("admin").await;
    let clerk = s.login("clerk").await;
    let (st, list) = s.get(Some(&clerk), "/sms/templates").await;
    assert_eq!(st, StatusCode::OK);
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["code"] == "followup.l1"));
    let edit = json!({"body": "【济南公安】{caseNumber}已办结，满意请回1，基本满意回2，不满意回3。", "providerTemplateId": "SMS_1001"});
    let put = |token: &str| {
        s.client
            .put(s.url("/sms/templates/followup.l1"))
            .bearer_auth(token.to_owned())
            .json(&edit)
            .send()
    };
    assert_eq!(put(&clerk).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(put(&admin).await.unwrap().status(), StatusCode::OK);

    let id = e.completed_case("共享单车堆放占用盲道").await;
    e.tick().await;
    let sms = e.to(CITIZEN);
    let number = e.case(&admin, &id).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        sms[0].content,
        format!("【济南公安】{number}已办结，满意请回1，基本满意回2，不满意回3。")
    );
    assert_eq!(sms[0].template_id.as_deref(), Some("SMS_1001"));
    let (_, audit) = s.get(Some(&admin), "/audit").await;
    assert!(audit
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action"] == "editSmsTemplate"));
}

#[tokio::test]
async fn a_level_two_task_left_undone_past_its_deadline_is_flagged_once() {
    let e = env().await;
    let s = &e.s;
    let admin = s.login("admin").await;
    let head = s.login("head").await;
    let supervisor = s.login("supervisor").await;
    let id = e.completed_case("车辆长期占用消防通道").await;
    e.tick().await;
    e.reply(CITIZEN, "3", None, None).await;
    let v = e.case(&admin, &id).await;
    assert_eq!(v["state"], "followUpL2");
    assert!(v["deadlines"]["followUpTask"].is_string(), "{v}");
    e.tick().await;
    let task = e.notifications(&head).await;
    assert!(
        task[0]["body"].as_str().unwrap().contains("期限"),
        "{task:?}"
    );

    // Five working days for the re-handling; a week and a half later it is overdue.
    e.advance(Duration::days(4));
    e.tick().await;
    let overdue = |items: Vec<Value>| {
        items
            .iter()
            .filter(|n| n["title"] == "回访任务已逾期")
            .count()
    };
    assert_eq!(overdue(e.notifications(&head).await), 0);
    e.advance(Duration::days(6));
    e.tick().await;
    e.tick().await;
    assert_eq!(overdue(e.notifications(&head).await), 1);
    assert_eq!(overdue(e.notifications(&supervisor).await), 1);
}

#[tokio::test]
async fn a_question_answered_by_phone_before_its_sms_went_out_is_not_sent() {
    let e = env().await;
    let s = &e.s;
    let admin = s.login("admin").await;
    let followup = s.login("followup").await;
    e.gw.set_down(true);
    let id = e.completed_case("小区健身器材损坏").await;
    assert_eq!(e.tick().await.failed, 1);
    s.act_ok(
        &followup,
        &id,
        json!({"type": "followUpAnswer", "satisfaction": "satisfied", "channel": "phone", "note": null}),
    )
    .await;
    e.gw.set_down(false);
    e.advance(Duration::minutes(5));
    assert_eq!(e.tick().await.sent, 0);
    assert!(e.gw.messages().is_empty());
    let (_, out) = s.get(Some(&admin), "/sms/outbox?status=cancelled").await;
    assert_eq!(out.as_array().unwrap().len(), 1, "{out}");
}

#[tokio::test]
async fn two_server_instances_working_the_same_queue_send_each_message_once() {
    let e = env().await;
    let s = &e.s;
    for i in 0..6 {
        e.completed_case(&format!("第{i}件：楼道堆放杂物")).await;
    }
    let other = s.open_another(minsheng_server::state::Settings::default());
    notify::configure(&other, config(&e.gw_base, 8)).expect("configure");
    let (first, second) = tokio::join!(notify::run_once(&s.state), notify::run_once(&other));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(
        first.followups_opened + second.followups_opened,
        6,
        "{first:?} {second:?}"
    );
    // Whatever one instance opened late is sent on the next pass.
    let (third, fourth) = tokio::join!(notify::run_once(&s.state), notify::run_once(&other));
    assert_eq!(
        first.sent + second.sent + third.unwrap().sent + fourth.unwrap().sent,
        6
    );
    assert_eq!(e.to(CITIZEN).len(), 6);
    assert_each_sent_once(&e.gw);
}

/// A provider-shaped mock of 阿里云短信 `SendSms`: checks every request's signature with
/// its own implementation, remembers what it accepted, and answers like the provider
/// (flow control once for one number, an illegal number for another).
mod aliyun_mock {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use axum::extract::{Form, State};
    use axum::http::StatusCode;
    use axum::Json;
    use base64::Engine;
    use hmac::{Hmac, Mac};
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    use serde_json::{json, Value};

    pub const THROTTLED: &str = "13800000099";
    pub const ILLEGAL: &str = "13800000098";

    #[derive(Clone, Default)]
    pub struct Mock {
        pub secret: String,
        pub accepted: Arc<Mutex<Vec<BTreeMap<String, String>>>>,
        pub raw: Arc<Mutex<Vec<String>>>,
        pub throttled_once: Arc<Mutex<bool>>,
    }

    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');

    fn enc(s: &str) -> String {
        utf8_percent_encode(s, SET).to_string()
    }

    fn expected_signature(secret: &str, p: &BTreeMap<String, String>) -> String {
        let query: Vec<String> = p
            .iter()
            .filter(|(k, _)| k.as_str() != "Signature")
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        let text = format!("POST&%2F&{}", enc(&query.join("&")));
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
        mac.update(text.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }

    async fn send(
        State(m): State<Mock>,
        Form(p): Form<BTreeMap<String, String>>,
    ) -> (StatusCode, Json<Value>) {
        m.raw.lock().unwrap().push(format!("{p:?}"));
        let sig = p.get("Signature").cloned().unwrap_or_default();
        if sig != expected_signature(&m.secret, &p) {
            return (
                StatusCode::BAD_REQUEST,
                Json(
                    json!({"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched with our calculation.", "RequestId": "r0"}),
                ),
            );
        }
        let phone = p.get("PhoneNumbers").cloned().unwrap_or_default();
        if phone == THROTTLED && !std::mem::replace(&mut *m.throttled_once.lock().unwrap(), true) {
            return (
                StatusCode::OK,
                Json(
                    json!({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1", "RequestId": "r1"}),
                ),
            );
        }
        if phone == ILLEGAL {
            return (
                StatusCode::OK,
                Json(
                    json!({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "r2"}),
                ),
            );
        }
        let mut accepted = m.accepted.lock().unwrap();
        accepted.push(p);
        let biz = format!("9006197469364984{:02}^0", accepted.len());
        (
            StatusCode::OK,
            Json(json!({"Code": "OK", "Message": "OK", "BizId": biz, "RequestId": "r3"})),
        )
    }

    pub async fn spawn(m: Mock) -> String {
        let app = axum::Router::new()
            .route("/", axum::routing::post(send))
            .with_state(m);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/")
    }
}

#[tokio::test]
async fn the_aliyun_style_provider_gets_signed_template_requests_over_http() {
    use minsheng_store::notify::{NewSms, OutboxStatus};

    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let mock = aliyun_mock::Mock {
        secret: "mock-access-secret".into(),
        ..Default::default()
    };
    let url = aliyun_mock::spawn(mock.clone()).await;
    let provider = |secret: &str| {
        notify::Provider::Aliyun(notify::AliyunConfig {
            access_key_id: "LTAI5tMockKey".into(),
            access_key_secret: secret.into(),
            sign_name: "济南公安".into(),
            region: "cn-hangzhou".into(),
            fallback_template: Some("SMS_900000".into()),
        })
    };
    let configure = |secret: &str| {
        notify::configure(
            &s.state,
            NotifyConfig {
                gateway: Some(GatewayConfig {
                    url: url.clone(),
                    account: None,
                    token: None,
                    timeout: std::time::Duration::from_secs(5),
                    provider: provider(secret),
                }),
                ..NotifyConfig::default()
            },
        )
        .expect("configure");
    };
    configure("mock-access-secret");
    let now = s.clock.now();
    let queue = |key: &str, phone: &str, template_id: Option<&str>| {
        let params = json!({"caseNumber": "MS202611230001", "rounds": 2});
        support::off_runtime(|| {
            s.state.store.enqueue_sms(
                &NewSms {
                    event_key: key.into(),
                    phone: phone.into(),
                    template: "followup.l1".into(),
                    provider_template_id: template_id.map(str::to_owned),
                    body: "【济南公安】您好，您反映的诉求（编号MS202611230001）已办结。".into(),
                    params,
                },
                now,
            )
        })
        .expect("enqueue");
    };
    queue("a", CITIZEN, Some("SMS_900001"));
    queue("b", "13900002222", None);
    queue("c", aliyun_mock::THROTTLED, Some("SMS_900001"));
    queue("d", aliyun_mock::ILLEGAL, Some("SMS_900001"));

    let r = notify::run_once(&s.state).await.expect("pass");
    assert_eq!((r.sent, r.failed, r.dead), (2, 1, 1), "{r:?}");
    let outbox = |status| support::off_runtime(|| s.state.store.outbox(Some(status), 50)).unwrap();
    let sent = outbox(OutboxStatus::Sent);
    assert!(sent
        .iter()
        .all(|m| m.provider_id.as_deref().is_some_and(|p| p.ends_with("^0"))));
    let dead = outbox(OutboxStatus::Dead);
    assert!(dead[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("MOBILE_NUMBER_ILLEGAL"));
    let pending = outbox(OutboxStatus::Pending);
    assert!(pending[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("BUSINESS_LIMIT_CONTROL"));
    // Flow control is retried after the backoff and then goes through.
    s.clock.set(now + Duration::minutes(2));
    assert_eq!(notify::run_once(&s.state).await.unwrap().sent, 1);

    // What the provider received: our template code and named params, the fallback
    // template with the whole text, our outbox id as OutId; never the secret.
    let accepted = mock.accepted.lock().unwrap().clone();
    assert_eq!(accepted.len(), 3);
    let first = &accepted[0];
    assert_eq!(first["PhoneNumbers"], CITIZEN);
    assert_eq!(first["TemplateCode"], "SMS_900001");
    assert_eq!(
        serde_json::from_str::<Value>(&first["TemplateParam"]).unwrap(),
        json!({"caseNumber": "MS202611230001", "rounds": "2"})
    );
    assert_eq!(first["SignName"], "济南公安");
    assert_eq!(first["AccessKeyId"], "LTAI5tMockKey");
    assert!(sent.iter().any(|m| m.id == first["OutId"]));
    let fallback = accepted
        .iter()
        .find(|p| p["PhoneNumbers"] == "13900002222")
        .unwrap();
    assert_eq!(fallback["TemplateCode"], "SMS_900000");
    assert!(fallback["TemplateParam"].contains("已办结"));
    assert!(!mock
        .raw
        .lock()
        .unwrap()
        .iter()
        .any(|r| r.contains("mock-access-secret")));

    // A wrong secret is refused by the provider: a permanent failure, not retried.
    configure("not-the-secret");
    queue("e", "13900003333", Some("SMS_900001"));
    let r = notify::run_once(&s.state).await.unwrap();
    assert_eq!((r.sent, r.dead), (0, 1));
    assert!(outbox(OutboxStatus::Dead).iter().any(|m| m
        .last_error
        .as_deref()
        .unwrap()
        .contains("SignatureDoesNotMatch")));
}
