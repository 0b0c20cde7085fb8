//! PIPL over real HTTP: the notify area's lists (回访 rounds, SMS outbox, inbound replies,
//! staff notifications) never carry a citizen's full number — for any role, including
//! numbers quoted in free text — and reading them writes no audit row; the full number
//! of a follow-up round is revealed one round at a time (`GET /followups/{id}/phone`),
//! scoped like the case, refused to roles that may not see identity, and audited once
//! per reveal, like `GET /cases/{id}/citizen`.

mod support;

use chrono::{Duration, Utc};
use minsheng_server::notify::gateway::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use minsheng_server::notify::{self, NotifyConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

const SECRET: &str = "pii-webhook-secret";
const CITIZEN_A: &str = "13812345678";
const CITIZEN_B: &str = "13700001111";
const LANDLINE: &str = "0531-86081234";
const SERVICE_ANSWERED: &str = "13911112222";
const SERVICE_OPEN: &str = "13933334444";
const UNKNOWN_SENDER: &str = "13600004444";
/// Numbers citizens write inside their replies.
const QUOTED_IN_REPLY: &str = "13955556666";
const QUOTED_IN_ANSWER: &str = "13977778888";
const GHOST: &str = "01900000-0000-7000-8000-000000000000";

/// Every `1[3-9]\d{9}` in `text` (the regex, by hand: this crate has no regex dependency).
/// UUIDs are cut out first: a hex group of digits is an id, not a phone number.
fn mobiles(text: &str) -> Vec<String> {
    let cleaned = strip_uuids(text);
    cleaned
        .as_bytes()
        .windows(11)
        .filter(|w| {
            w[0] == b'1' && (b'3'..=b'9').contains(&w[1]) && w.iter().all(u8::is_ascii_digit)
        })
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

fn strip_uuids(text: &str) -> String {
    let shape = [8, 4, 4, 4, 12];
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    'outer: while i < chars.len() {
        let mut j = i;
        for (k, n) in shape.iter().enumerate() {
            if chars.len() < j + n || !chars[j..j + n].iter().all(char::is_ascii_hexdigit) {
                out.push(chars[i]);
                i += 1;
                continue 'outer;
            }
            j += n;
            if k < 4 {
                if chars.get(j) != Some(&'-') {
                    out.push(chars[i]);
                    i += 1;
                    continue 'outer;
                }
                j += 1;
            }
        }
        out.push_str("<id>");
        i = j;
    }
    out
}

struct World {
    s: TestServer,
    /// Case with mobile A (a free-text reply quoting another number, then a phone task),
    /// case with mobile B (phone task), case with a landline (phone task at once).
    case_a: String,
    case_b: String,
    case_landline: String,
}

impl World {
    async fn build() -> Self {
        let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
        // A webhook secret but no gateway: SMS wait in the outbox.
        notify::configure(
            &s.state,
            NotifyConfig {
                webhook_secret: Some(SECRET.into()),
                ..NotifyConfig::default()
            },
        )
        .expect("configure");
        let w = Self {
            case_a: s
                .completed_case("小区门口夜间聚集酗酒滋事", CITIZEN_A)
                .await,
            case_b: s.completed_case("快递柜附近电动车乱停", CITIZEN_B).await,
            case_landline: s.completed_case("门前路面塌陷", LANDLINE).await,
            s,
        };
        let s = &w.s;
        let clerk = s.login("clerk").await;
        let csv = format!(
            "externalId,service,phone,name,unit,occurredAt\n\
             HZ-1,户政,{SERVICE_ANSWERED},张先生,泉城路派出所户籍窗口,2026-11-22 10:00\n\
             CRJ-7,出入境,{SERVICE_OPEN},李女士,出入境管理局历下大厅,2026-11-22 11:00\n"
        );
        let (st, r) = s
            .post_raw(
                Some(&clerk),
                "/service-events/import?source=window",
                "text/csv",
                csv.into(),
            )
            .await;
        assert_eq!(
            (st, r["accepted"].as_u64()),
            (StatusCode::OK, Some(2)),
            "{r}"
        );
        let (st, r) = s
            .post(
                Some(&clerk),
                "/sms/reminders",
                &json!({"template": "reminder.documentReady", "caseId": w.case_a,
                        "params": {"name": "王女士", "item": "居民身份证", "place": "户籍窗口"}, "key": "ID-1"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
        w.tick().await;

        let (_, v) = w
            .reply(
                "m-1",
                CITIZEN_A,
                &format!("请回电{QUOTED_IN_REPLY}，白天不在家"),
            )
            .await;
        assert_eq!(v["outcome"], "needsReview", "{v}");
        let (_, v) = w
            .reply(
                "m-2",
                SERVICE_ANSWERED,
                &format!("2 有事打{QUOTED_IN_ANSWER}"),
            )
            .await;
        assert_eq!(v["outcome"], "recorded", "{v}");
        let (_, v) = w.reply("m-3", UNKNOWN_SENDER, "1").await;
        assert_eq!(v["outcome"], "unmatched", "{v}");
        // Past the three working days: the unanswered rounds become phone tasks.
        s.clock.set(s.clock.now() + Duration::days(4));
        w.tick().await;
        w
    }

    async fn tick(&self) {
        notify::run_once(&self.s.state).await.expect("notify pass");
    }

    /// A signed citizen reply, posted as the gateway would.
    async fn reply(&self, id: &str, from: &str, text: &str) -> (StatusCode, Value) {
        let body =
            json!({"type": "reply", "messageId": id, "from": from, "text": text}).to_string();
        let ts = Utc::now().timestamp().to_string();
        let sig = sign(SECRET, &ts, body.as_bytes());
        let resp = self
            .s
            .client
            .post(self.s.url("/sms/inbound"))
            .header("content-type", "application/json")
            .header(TIMESTAMP_HEADER, ts)
            .header(SIGNATURE_HEADER, sig)
            .body(body)
            .send()
            .await
            .expect("webhook");
        let st = resp.status();
        (st, resp.json().await.unwrap_or(Value::Null))
    }

    /// The raw JSON text of a GET.
    async fn raw(&self, token: Option<&str>, path: &str) -> (StatusCode, String) {
        let mut rb = self.s.client.get(self.s.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let resp = rb.send().await.expect("request");
        (resp.status(), resp.text().await.expect("body"))
    }

    async fn audit(&self, admin: &str) -> Vec<Value> {
        let (st, v) = self.s.get(Some(admin), "/audit").await;
        assert_eq!(st, StatusCode::OK, "{v}");
        v.as_array().cloned().expect("audit rows")
    }

    /// The round of a case (its only one here).
    async fn round_of_case(&self, token: &str, case: &str) -> Value {
        let (st, v) = self
            .s
            .get(Some(token), &format!("/followups?caseId={case}"))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let rows = v.as_array().expect("rounds");
        assert_eq!(rows.len(), 1, "{v}");
        rows[0].clone()
    }

    async fn round_of_service(&self, token: &str, event: &str) -> Value {
        let (_, v) = self.s.get(Some(token), "/followups?limit=1000").await;
        v.as_array()
            .expect("rounds")
            .iter()
            .find(|r| r["serviceEventId"] == event)
            .cloned()
            .unwrap_or_else(|| panic!("{event} in {v}"))
    }
}

fn assert_error(what: &str, st: StatusCode, body: &Value, want: StatusCode, code: &str) {
    assert_eq!(st, want, "{what}: {body}");
    assert_eq!(body["code"], code, "{what}: {body}");
    let mut keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["code", "message"], "{what}: {body}");
}

#[tokio::test]
async fn lists_show_masked_numbers_to_every_role_and_write_no_audit_row() {
    let w = World::build().await;
    let s = &w.s;
    let admin = s.login("admin").await;
    let clerk = s.login("clerk").await;
    let leader = s.login("leader").await;
    let followup = s.login("followup").await;
    let before = w.audit(&admin).await.len();

    // Every list, for every role that may read it: no full mobile number anywhere.
    let reads = [
        (followup.as_str(), "/followups?limit=1000"),
        (&followup, "/followups?status=phoneTask"),
        (&clerk, "/followups?limit=1000"),
        (&leader, "/followups?limit=1000"),
        (&admin, "/followups?limit=1000"),
        (&admin, "/sms/outbox?limit=1000"),
        (&admin, "/sms/outbox?status=pending"),
        (&followup, "/sms/inbound"),
        (&admin, "/sms/inbound"),
        (&followup, "/notifications?limit=200"),
        (&admin, "/notifications?limit=200"),
    ];
    for (token, path) in reads {
        let (st, text) = w.raw(Some(token), path).await;
        assert_eq!(st, StatusCode::OK, "{path}: {text}");
        assert!(
            mobiles(&text).is_empty(),
            "{path} leaks {:?}: {text}",
            mobiles(&text)
        );
    }

    // The rows are there, masked like `Phone::masked()`.
    let (_, rounds) = s.get(Some(&followup), "/followups?limit=1000").await;
    let rounds = rounds.as_array().unwrap();
    assert_eq!(rounds.len(), 5, "{rounds:?}");
    let phones: Vec<&str> = rounds.iter().filter_map(|r| r["phone"].as_str()).collect();
    for masked in [
        "138****5678",
        "137****1111",
        "053*****1234",
        "139****2222",
        "139****4444",
    ] {
        assert!(phones.contains(&masked), "{masked} in {phones:?}");
    }
    for case in [&w.case_a, &w.case_b] {
        let task = w.round_of_case(&followup, case).await;
        assert_eq!(task["status"], "phoneTask", "{task}");
        assert!(task["phone"].as_str().unwrap().contains("****"), "{task}");
    }
    let answered = w.round_of_service(&followup, "window:HZ-1").await;
    assert_eq!(answered["answerText"], "2 有事打139****8888", "{answered}");
    let landline = w.round_of_case(&clerk, &w.case_landline).await;
    assert_eq!(landline["phone"], "053*****1234", "{landline}");

    let (_, outbox) = s.get(Some(&admin), "/sms/outbox?limit=1000").await;
    let outbox = outbox.as_array().unwrap();
    assert_eq!(
        outbox.len(),
        5,
        "4 rounds with a mobile + 1 reminder: {outbox:?}"
    );
    let to: Vec<&str> = outbox
        .iter()
        .map(|m| m["phone"].as_str().unwrap())
        .collect();
    assert!(to.contains(&"138****5678"), "{to:?}");
    let reminder = outbox
        .iter()
        .find(|m| m["template"] == "reminder.documentReady")
        .expect("the reminder");
    assert!(
        reminder["phone"].as_str().unwrap().contains("****"),
        "{reminder}"
    );

    let (_, inbound) = s.get(Some(&followup), "/sms/inbound").await;
    let inbound = inbound.as_array().unwrap();
    assert_eq!(inbound.len(), 3, "{inbound:?}");
    let free_text = inbound.iter().find(|r| r["messageId"] == "m-1").unwrap();
    assert_eq!(free_text["phone"], "138****5678");
    assert_eq!(free_text["text"], "请回电139****6666，白天不在家");
    let unmatched = inbound.iter().find(|r| r["messageId"] == "m-3").unwrap();
    assert_eq!(unmatched["phone"], "136****4444");

    // The 回访员's notice quoting the reply is masked too.
    let (_, notes) = s.get(Some(&followup), "/notifications?limit=200").await;
    let quoted = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "freeTextReply")
        .cloned()
        .unwrap_or_else(|| panic!("freeTextReply in {notes}"));
    assert!(
        quoted["body"].as_str().unwrap().contains("139****6666"),
        "{quoted}"
    );

    // Reading lists is not unmasking: the audit log did not grow.
    assert_eq!(w.audit(&admin).await.len(), before);
}

#[tokio::test]
async fn one_round_is_revealed_at_a_time_scoped_and_audited() {
    let w = World::build().await;
    let s = &w.s;
    let admin = s.login("admin").await;
    let followup = s.login("followup").await;
    let (_, me) = s.get(Some(&followup), "/auth/me").await;
    let round_a = w.round_of_case(&followup, &w.case_a).await;
    let id_a = round_a["id"].as_str().unwrap().to_owned();
    let (_, case_a) = s.get(Some(&admin), &format!("/cases/{}", w.case_a)).await;
    let number_a = case_a["number"].as_str().unwrap().to_owned();

    // The 回访员 gets the one number, and exactly one audit row names that case.
    let before = w.audit(&admin).await;
    let path = format!("/followups/{id_a}/phone");
    let (st, text) = w.raw(Some(&followup), &path).await;
    assert_eq!(st, StatusCode::OK, "{text}");
    assert_eq!(
        mobiles(&text),
        [CITIZEN_A],
        "only that round's number: {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["phone"], CITIZEN_A);
    assert_eq!(body["id"], id_a.as_str());
    assert_eq!(body["caseId"], w.case_a.as_str());
    assert_eq!(body["caseNumber"], number_a.as_str());
    assert_eq!(body["status"], "phoneTask");
    let after = w.audit(&admin).await;
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    let naming = |rows: &[Value]| {
        rows.iter()
            .filter(|a| a["target"] == w.case_a.as_str())
            .count()
    };
    assert_eq!(naming(&after), naming(&before) + 1);
    let row = &after[0];
    assert_eq!(row["action"], "unmaskFollowUpPhone", "{row}");
    assert_eq!(row["target"], w.case_a.as_str(), "{row}");
    assert_eq!(row["userId"], me["id"], "{row}");
    assert!(row["detail"].as_str().unwrap().contains(&number_a), "{row}");
    assert!(row["detail"].as_str().unwrap().contains(&id_a), "{row}");
    // Each reveal is a new row.
    assert_eq!(s.get(Some(&followup), &path).await.0, StatusCode::OK);
    assert_eq!(w.audit(&admin).await.len(), before.len() + 2);

    // A landline round; a window-service round (no case: the service event is the target).
    let round_l = w.round_of_case(&followup, &w.case_landline).await;
    let (st, v) = s
        .get(
            Some(&followup),
            &format!("/followups/{}/phone", round_l["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        (st, v["phone"].as_str()),
        (StatusCode::OK, Some("053186081234")),
        "{v}"
    );
    let service = w.round_of_service(&followup, "window:CRJ-7").await;
    let service_path = format!("/followups/{}/phone", service["id"].as_str().unwrap());
    let (st, v) = s.get(Some(&followup), &service_path).await;
    assert_eq!(
        (st, v["phone"].as_str()),
        (StatusCode::OK, Some(SERVICE_OPEN)),
        "{v}"
    );
    assert_eq!(v["serviceEventId"], "window:CRJ-7");
    let audit = w.audit(&admin).await;
    assert_eq!(audit[0]["action"], "unmaskFollowUpPhone");
    assert_eq!(audit[0]["target"], "window:CRJ-7", "{}", audit[0]);

    // The clerk and the case's own unit may call too (each audited).
    for user in ["clerk", "head", "officer"] {
        let t = s.login(user).await;
        let before = w.audit(&admin).await.len();
        let (st, v) = s.get(Some(&t), &path).await;
        assert_eq!(
            (st, v["phone"].as_str()),
            (StatusCode::OK, Some(CITIZEN_A)),
            "{user}: {v}"
        );
        let audit = w.audit(&admin).await;
        assert_eq!(audit.len(), before + 1, "{user}: one row per reveal");
        assert_eq!(audit[0]["action"], "unmaskFollowUpPhone", "{user}");
    }

    // Unknown, malformed, closed and out-of-scope rounds: the same 404.
    let (st, ghost) = s
        .get(Some(&followup), &format!("/followups/{GHOST}/phone"))
        .await;
    assert_error("ghost", st, &ghost, StatusCode::NOT_FOUND, "NOT_FOUND");
    assert_eq!(ghost["message"], "回访任务不存在", "{ghost}");
    let closed = w.round_of_service(&followup, "window:HZ-1").await;
    let officer2 = s.login("officer2").await;
    let officer = s.login("officer").await;
    let tries = [
        (&followup, "/followups/not-a-round/phone".to_owned()),
        (&followup, "/followups/1%27%20OR%201%3D1/phone".to_owned()),
        (
            &followup,
            format!("/followups/{}/phone", closed["id"].as_str().unwrap()),
        ),
        // 大观园's officer may see identity, but not 泉城路's case.
        (&officer2, path.clone()),
        // Window-service rounds belong to no station.
        (&officer, service_path.clone()),
    ];
    for (token, p) in &tries {
        let before = w.audit(&admin).await.len();
        let (st, v) = s.get(Some(token.as_str()), p).await;
        assert_error(p, st, &v, StatusCode::NOT_FOUND, "NOT_FOUND");
        assert_eq!(v, ghost, "{p}: out of scope looks like unknown");
        assert_eq!(w.audit(&admin).await.len(), before, "{p}: nothing revealed");
    }

    // Roles that may not see citizens' identity: 403, nothing audited.
    for user in ["leader", "admin", "supervisor"] {
        let t = s.login(user).await;
        let before = w.audit(&admin).await.len();
        let (st, v) = s.get(Some(&t), &path).await;
        assert_error(user, st, &v, StatusCode::FORBIDDEN, "FORBIDDEN");
        assert!(mobiles(&v.to_string()).is_empty(), "{v}");
        assert_eq!(
            w.audit(&admin).await.len(),
            before,
            "{user}: nothing revealed"
        );
    }
    let (st, v) = s.get(None, &path).await;
    assert_error(
        "no token",
        st,
        &v,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    );

    // The route is in the OpenAPI document.
    let (_, doc) = s.get(None, "/openapi.json").await;
    assert!(
        doc["paths"]["/api/v1/followups/{id}/phone"]["get"].is_object(),
        "missing in OpenAPI"
    );
}

#[test]
fn the_number_finder_finds_numbers_and_skips_ids() {
    assert_eq!(mobiles("x13812345678y"), ["13812345678"]);
    assert_eq!(mobiles("\"138****5678\""), Vec::<String>::new());
    assert_eq!(
        mobiles("019a0b3c-1234-7000-8000-a13812345678"),
        Vec::<String>::new()
    );
}
