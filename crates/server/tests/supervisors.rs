//! 优秀监督员 over real HTTP: proposals from the data (the expected set built here by
//! hand from the rule "≥ 5 requests in the last 12 months, ≥ 80 % not 不予受理"),
//! confirm/decline/retire, role and scope refusals, a consultation round (one SMS per
//! SMS-preferring supervisor, tasks for the others' units, once per month however often
//! it runs), answers once, a suggestion registered as a 建议 case with channel 监督员,
//! the feedback card's numbers against the answers recorded, the xlsx export, and an
//! SMS reply from a supervisor. Runs on SQLite and (MINSHENG_TEST_BACKEND=postgres) on
//! PostgreSQL.

mod support;

use std::collections::BTreeSet;

use chrono::Duration;
use minsheng_store::notify::InboundSms;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

/// "Now" of the test: Monday 7 December 2026, 10:00 in Beijing.
fn now() -> chrono::DateTime<chrono::Utc> {
    bj("2026-12-07 10:00")
}

const A: &str = "13900000001"; // 5 requests, none refused → proposed
const B: &str = "13900000002"; // 5, one refused (80 %) → proposed
const C: &str = "13900000003"; // 5, two refused (60 %) → not
const D: &str = "13900000004"; // 4 → not
const E: &str = "13900000005"; // 6, but two older than 12 months → 4 counted → not
const F: &str = "13900000006"; // 6 (one in January 2026), one refused (83 %) → proposed
const DEPUTY: &str = "13700000009";

async fn intake(s: &TestServer, clerk: &str, phone: &str, name: &str, at: &str) -> String {
    let (st, body) = s
        .post(
            Some(clerk),
            "/cases",
            &json!({
                "channel": "12345市长热线", "requestType": "求助",
                "title": format!("{name}反映小区周边治安问题"),
                "content": "夜间有人聚集喧哗，希望加强巡逻。",
                "citizenName": name, "citizenPhone": phone,
                "receivedAt": bj(at).to_rfc3339(),
            }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "intake: {body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn reject(s: &TestServer, clerk: &str, id: &str) {
    s.act_ok(clerk, id, json!({"type": "reject", "reason": "无理诉求"}))
        .await;
}

/// The callers above, each with their cases (the last of A's dispatched to 泉城路派出所).
async fn callers(s: &TestServer, clerk: &str) {
    for (phone, name, n, refused) in [
        (A, "甲先生", 5, 0),
        (B, "乙女士", 5, 1),
        (C, "丙先生", 5, 2),
        (D, "丁女士", 4, 0),
    ] {
        let mut last = String::new();
        for i in 0..n {
            last = intake(
                s,
                clerk,
                phone,
                name,
                &format!("2026-11-{:02} 09:00", i + 1),
            )
            .await;
            if i < refused {
                reject(s, clerk, &last).await;
            }
        }
        if phone == A {
            s.act_ok(clerk, &last, s.dispatch("JN-LX-QCL", "治安管理", json!({})))
                .await;
        }
    }
    for at in ["2025-11-01 09:00", "2025-12-01 09:00"] {
        intake(s, clerk, E, "戊先生", at).await;
    }
    for i in 0..4 {
        intake(
            s,
            clerk,
            E,
            "戊先生",
            &format!("2026-10-{:02} 09:00", i + 1),
        )
        .await;
    }
    let first = intake(s, clerk, F, "己女士", "2026-01-10 09:00").await;
    reject(s, clerk, &first).await;
    for i in 0..5 {
        intake(
            s,
            clerk,
            F,
            "己女士",
            &format!("2026-09-{:02} 09:00", i + 1),
        )
        .await;
    }
}

fn by_phone_suffix<'a>(list: &'a [Value], phone: &str) -> &'a Value {
    let tail = &phone[phone.len() - 4..];
    list.iter()
        .find(|v| v["phone"].as_str().unwrap().ends_with(tail))
        .unwrap_or_else(|| panic!("no supervisor …{tail}"))
}

async fn decide(s: &TestServer, token: &str, sup: &Value, step: &str) -> (StatusCode, Value) {
    s.post(
        Some(token),
        &format!("/supervisors/{}/decision", sup["id"].as_str().unwrap()),
        &json!({"version": sup["version"], "step": step}),
    )
    .await
}

async fn xlsx_sheets(s: &TestServer, token: &str, path: &str) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::Reader;
    let resp = s
        .client
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let bytes = resp.bytes().await.unwrap().to_vec();
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a workbook");
    wb.sheet_names()
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).expect("sheet");
            let rows = range
                .rows()
                .map(|r| r.iter().map(ToString::to_string).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

#[tokio::test]
async fn supervisors_from_proposal_to_the_leaders_card() {
    let s = TestServer::start_at(now()).await;
    let clerk = s.login("clerk").await;
    let admin = s.login("admin").await;
    let head = s.login("head").await; // 泉城路派出所
    let officer2 = s.login("officer2").await; // another station
    let leader = s.login("leader").await;
    let followup = s.login("followup").await;
    let supervisor = s.login("supervisor").await;
    callers(&s, &clerk).await;

    // Roles without the register are refused with the stable code.
    for t in [&followup, &supervisor] {
        let (st, body) = s.get(Some(t), "/supervisors").await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["code"], "FORBIDDEN");
    }
    for t in [&head, &leader, &officer2] {
        let (st, body) = s.post(Some(t), "/supervisors/proposals", &json!({})).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["code"], "FORBIDDEN");
    }

    // The proposal picks exactly A, B and F; a second run adds nobody.
    let (st, proposed) = s
        .post(Some(&clerk), "/supervisors/proposals", &json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{proposed}");
    let proposed = proposed.as_array().unwrap().clone();
    let tails: BTreeSet<String> = proposed
        .iter()
        .map(|v| v["phone"].as_str().unwrap().to_owned())
        .collect();
    let want: BTreeSet<String> = [A, B, F]
        .iter()
        .map(|p| format!("{}****{}", &p[..3], &p[7..]))
        .collect();
    assert_eq!(tails, want, "masked numbers of the proposed callers");
    for v in &proposed {
        assert_eq!(v["status"], "候选");
        assert_eq!(v["kind"], "热心群众");
        assert!(v["proposedBy"].is_null());
    }
    let cand_a = by_phone_suffix(&proposed, A).clone();
    assert_eq!(cand_a["name"], "甲先生");
    assert_eq!(
        cand_a["unitId"],
        s.unit("JN-LX-QCL"),
        "the unit of A's latest handled case"
    );
    let (_, again) = s
        .post(Some(&admin), "/supervisors/proposals", &json!({}))
        .await;
    assert_eq!(again, json!([]));

    // A deputy registered by hand; the same number again is refused.
    let deputy = json!({"name": "人大代表王某", "phone": DEPUTY, "kind": "人大代表",
        "reason": "市人大代表，长期关注社区治安", "unitId": s.unit("JN-LX-QCL"),
        "contactPreferences": ["电话", "走访"]});
    let (st, dep) = s.post(Some(&clerk), "/supervisors", &deputy).await;
    assert_eq!(st, StatusCode::CREATED, "{dep}");
    let (st, body) = s.post(Some(&clerk), "/supervisors", &deputy).await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "SUPERVISOR_EXISTS");
    let (st, body) = s.post(Some(&head), "/supervisors", &deputy).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("FORBIDDEN"))
    );

    // F visits only, looked after by the other station.
    let cand_f = by_phone_suffix(&proposed, F).clone();
    let (st, cand_f) = s
        .patch(
            Some(&clerk),
            &format!("/supervisors/{}", cand_f["id"].as_str().unwrap()),
            &json!({"version": cand_f["version"], "contactPreferences": ["走访"],
                    "unitId": s.unit("JN-SZ-DGY"), "address": "市中区某小区3号楼"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{cand_f}");
    assert_eq!(cand_f["version"], 2);

    // Confirm A, B, F and the deputy; a confirmed one cannot be declined; retire works.
    let cand_b = by_phone_suffix(&proposed, B).clone();
    let mut engaged = Vec::new();
    for sup in [&cand_a, &cand_b, &cand_f, &dep] {
        let (st, v) = decide(&s, &clerk, sup, "confirm").await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "已聘任");
        assert!(v["since"].is_string());
        engaged.push(v);
    }
    let (st, body) = decide(&s, &clerk, &engaged[0], "decline").await;
    assert_eq!(
        (st, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("SUPERVISOR_STATE"))
    );
    let (st, body) = decide(&s, &clerk, &cand_a, "retire").await; // stale version
    assert_eq!(
        (st, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("STALE_VERSION"))
    );

    // Scope of the register: the station sees its own supervisors only.
    let (_, mine) = s.get(Some(&head), "/supervisors").await;
    let mine: BTreeSet<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(mine, BTreeSet::from(["甲先生", "人大代表王某"]));
    // Phone reveal: the responsible unit and the office, audited; others not.
    let dep_id = dep["id"].as_str().unwrap();
    let (st, ph) = s
        .get(Some(&head), &format!("/supervisors/{dep_id}/phone"))
        .await;
    assert_eq!((st, ph["phone"].as_str()), (StatusCode::OK, Some(DEPUTY)));
    let (st, _) = s
        .get(Some(&officer2), &format!("/supervisors/{dep_id}/phone"))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s
        .get(Some(&leader), &format!("/supervisors/{dep_id}/phone"))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(
        s.sql_i64(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'unmaskSupervisorPhone' AND target = '{dep_id}'"
        )),
        1
    );

    // The round: A and B by SMS, the deputy a phone task, F a visit task.
    let (st, body) = s.post(Some(&head), "/supervisors/rounds", &json!({})).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("FORBIDDEN"))
    );
    let (st, opened) = s
        .post(Some(&clerk), "/supervisors/rounds", &json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{opened}");
    assert_eq!(opened["opened"], true);
    assert_eq!(
        (opened["sms"].as_u64(), opened["tasks"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(opened["round"]["period"], "2026-12");
    let survey = |p: &str| {
        s.sql_i64(&format!(
            "SELECT COUNT(*) FROM sms_outbox WHERE template = 'supervisor.survey' AND phone = '{p}'"
        ))
    };
    assert_eq!(
        (survey(A), survey(B), survey(F), survey(DEPUTY)),
        (1, 1, 0, 0)
    );
    // Again by hand and by the scheduled pass: still one round, no new SMS.
    let (_, again) = s
        .post(Some(&clerk), "/supervisors/rounds", &json!({}))
        .await;
    assert_eq!(again["opened"], false);
    let pass = minsheng_server::notify::run_once(&s.state)
        .await
        .expect("pass");
    assert_eq!(pass.supervisor_rounds, 0);
    assert_eq!(
        s.sql_i64("SELECT COUNT(*) FROM sms_outbox WHERE template = 'supervisor.survey'"),
        2
    );
    let (_, rounds) = s.get(Some(&leader), "/supervisors/rounds").await;
    assert_eq!(rounds.as_array().unwrap().len(), 1);
    assert_eq!(rounds[0]["consultations"], 4);

    // Tasks: each station sees its own phone/visit tasks only.
    let (_, head_tasks) = s
        .get(Some(&head), "/supervisors/consultations?status=pending")
        .await;
    let head_tasks = head_tasks.as_array().unwrap().clone();
    assert_eq!(head_tasks.len(), 1, "{head_tasks:?}");
    assert_eq!(head_tasks[0]["supervisorName"], "人大代表王某");
    assert_eq!(head_tasks[0]["channel"], "电话");
    assert!(head_tasks[0]["phone"].as_str().unwrap().contains("****"));
    let (_, o2_tasks) = s.get(Some(&officer2), "/supervisors/consultations").await;
    assert_eq!(o2_tasks.as_array().unwrap().len(), 1);
    assert_eq!(o2_tasks[0]["channel"], "走访");
    let (st, _) = s.get(Some(&followup), "/supervisors/consultations").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // The unit heads got a notice of their task.
    let (_, notes) = s.get(Some(&head), "/notifications").await;
    assert!(
        notes.to_string().contains("supervisorTask"),
        "head's notifications: {notes}"
    );

    // Answers: another unit's task looks missing; a leader may not record.
    let dep_task = head_tasks[0]["id"].as_str().unwrap().to_owned();
    let answer = json!({"satisfaction": "satisfied", "text": "建议晚高峰在学校门口增设护学岗", "suggestion": true});
    let path = format!("/supervisors/consultations/{dep_task}/answer");
    let (st, _) = s.post(Some(&officer2), &path, &answer).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, body) = s.post(Some(&leader), &path, &answer).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("FORBIDDEN"))
    );
    let (st, answered) = s.post(Some(&head), &path, &answer).await;
    assert_eq!(st, StatusCode::OK, "{answered}");
    assert_eq!(answered["status"], "answered");
    let case_id = answered["caseId"].as_str().expect("a case").to_owned();
    let (st, body) = s.post(Some(&head), &path, &answer).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("CONSULTATION_ANSWERED"))
    );

    // The suggestion is a 建议 case from channel 监督员 in the clerk's intake.
    let (st, case) = s.get(Some(&clerk), &format!("/cases/{case_id}")).await;
    assert_eq!(st, StatusCode::OK, "{case}");
    assert_eq!(case["channel"], "监督员");
    assert_eq!(case["requestType"], "建议");
    assert_eq!(case["state"], "pendingAcceptance");
    let (_, list) = s
        .get(Some(&clerk), "/cases?channel=%E7%9B%91%E7%9D%A3%E5%91%98")
        .await;
    assert!(list.to_string().contains(&case_id), "{list}");

    // F's visit by the other station; A's SMS survey taken down by the office.
    let f_task = o2_tasks[0]["id"].as_str().unwrap();
    let (st, v) = s
        .post(
            Some(&officer2),
            &format!("/supervisors/consultations/{f_task}/answer"),
            &json!({"satisfaction": "unsatisfied", "text": "出警太慢"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["caseId"].is_null());
    let (_, all) = s.get(Some(&clerk), "/supervisors/consultations").await;
    let a_task = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["supervisorName"] == "甲先生")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, body) = s
        .post(
            Some(&head),
            &format!("/supervisors/consultations/{a_task}/answer"),
            &json!({"satisfaction": "satisfied"}),
        )
        .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("CONSULTATION_BY_SMS"))
    );
    s.clock.set(now() + Duration::hours(2));
    let (st, _) = s
        .post(
            Some(&clerk),
            &format!("/supervisors/consultations/{a_task}/answer"),
            &json!({"satisfaction": "basicallySatisfied", "text": "总体不错"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // A's SMS still queued was cancelled (answered another way).
    assert_eq!(
        s.sql_i64(&format!(
            "SELECT COUNT(*) FROM sms_outbox WHERE phone = '{A}' AND status = 'cancelled'"
        )),
        1
    );

    // B answers by SMS: "1" recorded as the platform; then the card.
    s.clock.set(now() + Duration::hours(3));
    let st = s.state.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        minsheng_server::notify::inbound::handle_reply(
            &st,
            &InboundSms {
                message_id: "sup-b-1".into(),
                phone: B.into(),
                text: "1 辖区民警很负责".into(),
                sent_at: now() + Duration::hours(3),
            },
        )
    })
    .await
    .unwrap()
    .expect("reply");
    assert_eq!(outcome.record.outcome, "recorded", "{:?}", outcome.record);

    // The card: 4 consulted, 4 answered (满意 2: deputy and B, 基本满意 1: A,
    // 不满意 1: F), one suggestion from 泉城路派出所.
    for t in [&head, &officer2, &followup] {
        let (st, _) = s.get(Some(t), "/supervisors/feedback").await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
    let (st, card) = s.get(Some(&leader), "/supervisors/feedback").await;
    assert_eq!(st, StatusCode::OK, "{card}");
    assert_eq!(card["period"], "2026-12");
    assert_eq!(card["consulted"], 4);
    assert_eq!(card["answered"], 4);
    assert_eq!(card["satisfied"], 2);
    assert_eq!(card["basicallySatisfied"], 1);
    assert_eq!(card["unsatisfied"], 1);
    assert_eq!(card["suggestions"], 1);
    assert_eq!(card["satisfactionRate"], 75.0);
    let sug = &card["latestSuggestions"][0];
    assert_eq!(sug["unitName"], "泉城路派出所");
    assert_eq!(sug["caseId"], case_id.as_str());
    let (_, last_month) = s
        .get(Some(&leader), "/supervisors/feedback?period=2026-11")
        .await;
    assert_eq!(last_month["answered"], 0);
    let (st, body) = s
        .get(Some(&leader), "/supervisors/feedback?period=2026-13")
        .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("SUPERVISOR_PERIOD"))
    );

    // The export shows the card's figures and one line per answer.
    let sheets = xlsx_sheets(&s, &leader, "/supervisors/feedback.xlsx").await;
    assert_eq!(sheets[0].0, "监督员之声");
    let figure = |k: &str| {
        sheets[0]
            .1
            .iter()
            .find(|r| r[0] == k)
            .map(|r| r[1].clone())
            .unwrap_or_default()
    };
    for (k, key) in [
        ("征询人数", "consulted"),
        ("已反馈", "answered"),
        ("满意", "satisfied"),
        ("基本满意", "basicallySatisfied"),
        ("不满意", "unsatisfied"),
        ("建议件数", "suggestions"),
    ] {
        assert_eq!(figure(k), card[key].to_string(), "{k}");
    }
    assert_eq!(sheets[1].0, "反馈明细");
    assert_eq!(sheets[1].1.len(), 1 + 4, "header and four answers");
    let (st, _) = s.get(Some(&head), "/supervisors/feedback.xlsx").await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Retire B: not consulted next month; the scheduled pass opens January once.
    let b_now = s
        .get(
            Some(&clerk),
            "/supervisors?status=%E5%B7%B2%E8%81%98%E4%BB%BB",
        )
        .await
        .1;
    let b_now = by_phone_suffix(b_now.as_array().unwrap(), B).clone();
    let (st, v) = decide(&s, &clerk, &b_now, "retire").await;
    assert_eq!((st, v["status"].as_str()), (StatusCode::OK, Some("已解聘")));
    s.clock.set(bj("2027-01-04 09:00"));
    let first = minsheng_server::notify::run_once(&s.state)
        .await
        .expect("pass");
    let second = minsheng_server::notify::run_once(&s.state)
        .await
        .expect("pass");
    assert_eq!((first.supervisor_rounds, second.supervisor_rounds), (1, 0));
    let (_, rounds) = s.get(Some(&clerk), "/supervisors/rounds").await;
    assert_eq!(rounds[0]["period"], "2027-01");
    assert_eq!(rounds[0]["consultations"], 3);
    assert_eq!((survey(A), survey(B)), (2, 1));
}
