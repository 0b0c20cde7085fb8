//! Lost or doubled side effects (issue 14), over a real server and SQLite file: a side
//! effect is written in the transaction of what causes it (or marked done only together
//! with it), so a failure between the two loses nothing and a re-run repeats nothing.
//!
//! Failures are injected with a trigger on the server's own database file: the write
//! after the first one fails, as it would if the process died there. Nothing sleeps.

#[path = "support/sms.rs"]
mod sms;
mod support;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use minsheng_server::notify::gateway::{OutgoingSms, SendFuture};
use minsheng_server::notify::{self, GatewayConfig, NotifyConfig, SmsGateway};
use minsheng_server::state::{Clock, SharedState};
use minsheng_store::notify::NewSms;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

/// Makes every insert into `table` that matches `when` fail until `heal`.
fn inject_failure(s: &TestServer, name: &str, table: &str, when: &str) {
    let sql = if s.is_postgres() {
        format!(
            "CREATE FUNCTION {name}_f() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF {when} THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$;
             CREATE TRIGGER {name} BEFORE INSERT ON {table}
                 FOR EACH ROW EXECUTE PROCEDURE {name}_f();"
        )
    } else {
        format!(
            "CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN {when}
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
        )
    };
    s.raw_sql().exec(&sql).expect("create trigger");
}

fn heal(s: &TestServer, name: &str, table: &str) {
    let sql = if s.is_postgres() {
        format!("DROP TRIGGER {name} ON {table}; DROP FUNCTION {name}_f();")
    } else {
        format!("DROP TRIGGER {name}")
    };
    s.raw_sql().exec(&sql).expect("drop trigger");
}

fn count(s: &TestServer, sql: &str) -> i64 {
    s.sql_i64(sql)
}

// ---- 1. window-service follow-up rounds ------------------------------------------------

#[tokio::test]
async fn a_window_service_round_is_opened_with_its_event_or_not_at_all() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let csv = "externalId,service,phone,name,unit,occurredAt\n\
               HZ-1,户政,13911112222,张先生,泉城路派出所户籍窗口,2026-11-22 10:00\n\
               CJG-2,车驾管,13933334444,李女士,车辆管理所,2026-11-22 11:00\n";
    let path = "/service-events/import?source=window";

    // The first round cannot be written: the import dies after storing its events.
    inject_failure(&s, "no_rounds", "followups", "1 = 1");
    let (st, body) = s.post_raw(Some(&clerk), path, "text/csv", csv.into()).await;
    assert!(!st.is_success(), "{st} {body}");
    heal(&s, "no_rounds", "followups");

    // The feed is sent again: both events are new to the server and get their round.
    let (st, r) = s.post_raw(Some(&clerk), path, "text/csv", csv.into()).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        (r["accepted"].as_u64(), r["duplicates"].as_u64()),
        (Some(2), Some(0)),
        "events stored without their rounds: {r}"
    );
    let rounds = "SELECT COUNT(*) FROM followups WHERE service_event_id IS NOT NULL";
    let texts = "SELECT COUNT(*) FROM sms_outbox WHERE event_key LIKE 'service:%'";
    assert_eq!((count(&s, rounds), count(&s, texts)), (2, 2));

    // And once more: nothing new.
    let (st, r) = s.post_raw(Some(&clerk), path, "text/csv", csv.into()).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        (r["accepted"].as_u64(), r["duplicates"].as_u64()),
        (Some(0), Some(2)),
        "{r}"
    );
    assert_eq!((count(&s, rounds), count(&s, texts)), (2, 2));
    assert_eq!(count(&s, "SELECT COUNT(*) FROM service_events"), 2);
}

// ---- 2. deadline reminders -------------------------------------------------------------

#[tokio::test]
async fn a_deadline_reminder_is_marked_only_together_with_its_notices_and_sms() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (gw, _) = sms::attach_gateway(&s, 8).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let head = s.login("head").await;
    // The head (13800000005) wants sign-in reminders by SMS too.
    let resp = s
        .client
        .put(s.url("/notifications/preferences"))
        .bearer_auth(&head)
        .json(&json!({"sms": true, "smsKinds": ["signInReminder"]}))
        .send()
        .await
        .expect("prefs");
    assert_eq!(resp.status(), StatusCode::OK);
    let id = s.intake(&clerk, "小区门口夜间噪音扰民").await;
    s.act_ok(&clerk, &id, s.dispatch("JN-LX-QCL", "治安管理", json!({})))
        .await;
    sms::tick(&s).await; // the dispatch notices

    // The reminder's SMS copy cannot be queued: the pass fails half-way through it.
    inject_failure(
        &s,
        "no_reminder_sms",
        "sms_outbox",
        "NEW.event_key LIKE 'staff:signInReminder:%'",
    );
    s.clock.set(bj("2026-11-23 16:30"));
    assert!(notify::run_once(&s.state).await.is_err());
    heal(&s, "no_reminder_sms", "sms_outbox");

    // The next passes deliver it, once.
    sms::tick(&s).await;
    sms::tick(&s).await;
    let reminders = |items: &Value| {
        items["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|n| n["kind"] == "signInReminder")
            .count()
    };
    for (who, token) in [("officer", &officer), ("head", &head)] {
        let (st, v) = s.get(Some(token), "/notifications?limit=200").await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(reminders(&v), 1, "{who}: {v}");
    }
    let texts: Vec<_> = sms::sent_to(&gw, "13800000005")
        .into_iter()
        .filter(|m| m.content.contains("即将超时未签收"))
        .collect();
    assert_eq!(texts.len(), 1, "the reminder's SMS copy: {texts:?}");
    assert_eq!(texts[0].deliveries, 1, "{texts:?}");
}

// ---- 3. SMS leases ---------------------------------------------------------------------

/// A gateway whose every send takes `took` of the (shared, manual) clock and counts
/// what it was given; while a send is in flight, `peer`'s worker runs a whole pass.
struct SlowGateway {
    clock: Clock,
    took: Duration,
    sends: Arc<Mutex<HashMap<String, usize>>>,
    peer: Mutex<Option<SharedState>>,
}

impl SmsGateway for SlowGateway {
    fn send<'a>(&'a self, sms: &'a OutgoingSms<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            *self
                .sends
                .lock()
                .expect("sends")
                .entry(sms.client_ref.to_owned())
                .or_default() += 1;
            self.clock.set(self.clock.now() + self.took);
            let peer = self.peer.lock().expect("peer").clone();
            if let Some(p) = peer {
                let n = notify::notifier(&p);
                notify::outbox::send_due(&p, &n).await.expect("peer pass");
            }
            Ok(format!("gw-{}", sms.client_ref))
        })
    }
}

#[tokio::test]
async fn two_workers_on_one_database_never_send_one_sms_twice_however_slow_the_gateway() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let other = s.open_another(minsheng_server::state::Settings::default());
    // Every send takes the gateway's whole timeout; a pass takes up to three.
    let config = NotifyConfig {
        gateway: Some(GatewayConfig {
            url: "http://127.0.0.1:9/send".into(),
            account: None,
            token: None,
            timeout: std::time::Duration::from_mins(1),
            provider: notify::Provider::Generic,
        }),
        batch: 3,
        ..NotifyConfig::default()
    };
    let sends = Arc::new(Mutex::new(HashMap::new()));
    let slow = Arc::new(SlowGateway {
        clock: s.clock.clone(),
        took: Duration::seconds(60),
        sends: Arc::clone(&sends),
        peer: Mutex::new(Some(Arc::clone(&other))),
    });
    let quick = Arc::new(SlowGateway {
        clock: s.clock.clone(),
        took: Duration::zero(),
        sends: Arc::clone(&sends),
        peer: Mutex::new(None),
    });
    let mine = notify::configure_with_gateway(&s.state, config.clone(), slow);
    notify::configure_with_gateway(&other, config, quick);
    for i in 0..3 {
        let sms = NewSms {
            event_key: format!("test:{i}"),
            phone: format!("1391111000{i}"),
            template: "staff.notice".into(),
            provider_template_id: None,
            params: json!({}),
            body: format!("第{i}条"),
        };
        assert!(
            support::off_runtime(|| s.state.store.enqueue_sms(&sms, s.clock.now()))
                .expect("enqueue")
        );
    }

    // This instance's pass; the other instance's worker runs during each of its sends.
    notify::outbox::send_due(&s.state, &mine)
        .await
        .expect("pass");

    let sends = sends.lock().expect("sends").clone();
    assert_eq!(sends.len(), 3, "{sends:?}");
    assert!(sends.values().all(|n| *n == 1), "sent twice: {sends:?}");
    let out = support::off_runtime(|| s.state.store.outbox(None, 10)).expect("outbox");
    assert!(
        out.iter()
            .all(|m| m.attempts == 1 && m.status == minsheng_store::notify::OutboxStatus::Sent),
        "{out:?}"
    );
}

// ---- 4. bulk import --------------------------------------------------------------------

async fn bulk(s: &TestServer, token: &str, key: Option<&str>, csv: &str) -> (StatusCode, Value) {
    let mut rb = s
        .client
        .post(s.url("/intake/bulk?channel=12345市长热线"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned());
    if let Some(k) = key {
        rb = rb.header("Idempotency-Key", k);
    }
    let resp = rb.send().await.expect("request");
    let st = resp.status();
    (st, resp.json().await.unwrap_or(Value::Null))
}

const CASES: &str = "SELECT COUNT(*) FROM cases";

#[tokio::test]
async fn a_retried_bulk_import_answers_the_first_result_and_creates_nothing() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let csv = "标题,内容,姓名,电话\n\
               楼道堆放杂物,楼道长期堆放杂物存在消防隐患,王女士,13812345678\n\
               ,没有标题的一行,李先生,13812345679\n\
               夜市占道经营,夜市摊贩占道经营影响通行,赵先生,13812345670\n";
    let before = count(&s, CASES);
    let (st, first) = bulk(&s, &clerk, Some("import-7f3a-1"), csv).await;
    assert_eq!(st, StatusCode::OK, "{first}");
    assert_eq!(
        (first["accepted"].as_u64(), first["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(count(&s, CASES), before + 2);

    // The answer was lost; the desktop sends the same import again.
    let (st, again) = bulk(&s, &clerk, Some("import-7f3a-1"), csv).await;
    assert_eq!(st, StatusCode::OK, "{again}");
    assert_eq!(again, first, "a retry answers the first import's result");
    assert_eq!(count(&s, CASES), before + 2, "and creates nothing");

    // The key names that import: another body under it is refused.
    let other = "标题,内容\n路灯不亮,小区路灯损坏多日\n";
    let (st, v) = bulk(&s, &clerk, Some("import-7f3a-1"), other).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "IDEMPOTENCY_KEY_REUSED", "{v}");
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
        "{v}"
    );
    // Another key is another import; no key works as before.
    let (st, v) = bulk(&s, &clerk, Some("import-7f3a-2"), other).await;
    assert_eq!(
        (st, v["accepted"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{v}"
    );
    let (st, v) = bulk(&s, &clerk, None, other).await;
    assert_eq!(
        (st, v["accepted"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{v}"
    );
    assert_eq!(count(&s, CASES), before + 4);
    let long = "k".repeat(201);
    let (st, v) = bulk(&s, &clerk, Some(&long), other).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test]
async fn a_bulk_import_cut_off_half_way_is_completed_by_its_retry_without_doubles() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    // More rows than one storage transaction takes (1000).
    let mut csv = String::from("标题,内容\n");
    for i in 1..=1002 {
        writeln!(csv, "第{i}件噪音投诉,第{i}号楼夜间施工噪音扰民").expect("write");
    }
    let before = count(&s, CASES);
    // The second transaction fails: the first thousand rows are stored, the rest not.
    inject_failure(&s, "cut_off", "cases", "NEW.title = '第1001件噪音投诉'");
    let (st, v) = bulk(&s, &clerk, Some("import-big-1"), &csv).await;
    assert!(!st.is_success(), "{st} {v}");
    assert_eq!(count(&s, CASES), before + 1000);
    heal(&s, "cut_off", "cases");

    let (st, r) = bulk(&s, &clerk, Some("import-big-1"), &csv).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["accepted"], 1002, "{}", r["rejected"]);
    assert_eq!(count(&s, CASES), before + 1002, "no row stored twice");
    let ids: std::collections::HashSet<&str> = r["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|row| row["caseId"].as_str())
        .collect();
    assert_eq!(ids.len(), 1002);
    let (_, again) = bulk(&s, &clerk, Some("import-big-1"), &csv).await;
    assert_eq!(again, r);
    assert_eq!(count(&s, CASES), before + 1002);
}
