//! One definition per figure: on a small hand-built week, the dashboard, the assessment
//! ranking, the 民生清单 counts and the 红黑榜 bulletin give the same figures for the
//! same unit and period; no unit is on both lists; units below the minimum volume and
//! cases without a value are never ranked; the 回访 queue counts are its rounds.
//!
//! Expected values are worked out by hand below from SPEC §4/§7 (投诉/普通: sign in
//! within 8 working hours, reply within 5 working days; a stint counts in the period of
//! its dispatch; overdue = late on sign-in or reply; 已逾期 in the 民生清单 = an open case
//! past its running deadline now) and the minimum volume of the scoring rules (at least
//! 5 decided replies — replied, or past the reply deadline — to be ranked).

mod support;

use minsheng_domain::assessment::DEFAULT_MIN_VOLUME;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

async fn get_ok(s: &TestServer, token: &str, path: &str) -> Value {
    let (st, body) = s.get(Some(token), path).await;
    assert_eq!(st, StatusCode::OK, "GET {path}: {body}");
    body
}

async fn run_assessment(s: &TestServer) {
    let st = s.state.clone();
    tokio::task::spawn_blocking(move || minsheng_server::assessment::run_once(&st))
        .await
        .expect("join")
        .expect("assessment pass");
}

/// Dispatches a new case to `unit` at the current clock; returns its id.
async fn dispatched(s: &TestServer, clerk: &str, unit: &str, title: &str) -> String {
    let id = s.intake(clerk, title).await;
    s.act_ok(clerk, &id, s.dispatch(unit, "治安管理", json!({})))
        .await;
    id
}

async fn reply_and_approve(s: &TestServer, officer: &str, head: &str, id: &str) {
    s.act_ok(
        officer,
        id,
        json!({"type": "submitReply", "text": "已核实处理并答复群众。"}),
    )
    .await;
    s.act_ok(head, id, json!({"type": "approve", "comment": "同意"}))
        .await;
}

/// The week of Mon 2026-11-23, evaluated Fri 11-27 18:00 (Beijing):
///
/// 泉城路所 QCL: Q1–Q5 dispatched Mon 09:00, signed 10:00, replied and approved Tue
///   10:00 (on time); Q6 dispatched Mon 09:00 and never signed: sign-in late (Mon
///   17:00) and reply late (Fri 17:00) — one overdue stint, still open, so also on the
///   民生清单's 已逾期. Counts: received 6, decided replies 6 (one late), overdue 1.
///   Score (15·5/6 + 25·5/6 + 10·1) / 50 · 100 − 0.5 = 86.17.
/// 解放路所 JFL: J1–J4 like Q1–Q5; J5 signed Mon 10:00, replied Fri 17:30 and approved
///   17:40 (after its Fri 17:00 deadline): overdue 1, but closed, so not on the 清单.
///   Counts: received 5, decided replies 5 (one late), overdue 1.
///   Score (15·1 + 25·4/5 + 10·1) / 50 · 100 − 0.5 = 89.5.
/// 大观园所 DGY: D1, D2 replied on time: 2 decided replies < 5, not ranked.
/// One request registered and not yet dispatched: no category, unit or police line.
async fn week(s: &TestServer) {
    let clerk = s.login("clerk").await;
    let (qcl_o, qcl_h) = (s.login("officer").await, s.login("head").await);
    let (jfl_o, jfl_h) = (s.login("lx-jfl-01").await, s.login("lx-jfl-head").await);
    let (dgy_o, dgy_h) = (s.login("officer2").await, s.login("sz-dgy-head").await);
    s.clock.set(bj("2026-11-23 09:00"));
    let mut qcl_ids = Vec::new();
    for i in 1..=6 {
        qcl_ids.push(dispatched(s, &clerk, "JN-LX-QCL", &format!("泉城路第{i}件")).await);
    }
    let mut jfl_ids = Vec::new();
    for i in 1..=5 {
        jfl_ids.push(dispatched(s, &clerk, "JN-LX-JFL", &format!("解放路第{i}件")).await);
    }
    let mut dgy_ids = Vec::new();
    for i in 1..=2 {
        dgy_ids.push(dispatched(s, &clerk, "JN-SZ-DGY", &format!("大观园第{i}件")).await);
    }
    s.intake(&clerk, "尚未分派的诉求").await;
    s.clock.set(bj("2026-11-23 10:00"));
    for id in &qcl_ids[..5] {
        s.act_ok(&qcl_o, id, json!({"type": "signIn"})).await;
    }
    for id in &jfl_ids {
        s.act_ok(&jfl_o, id, json!({"type": "signIn"})).await;
    }
    for id in &dgy_ids {
        s.act_ok(&dgy_o, id, json!({"type": "signIn"})).await;
    }
    s.clock.set(bj("2026-11-24 10:00"));
    for id in &qcl_ids[..5] {
        reply_and_approve(s, &qcl_o, &qcl_h, id).await;
    }
    for id in &jfl_ids[..4] {
        reply_and_approve(s, &jfl_o, &jfl_h, id).await;
    }
    for id in &dgy_ids {
        reply_and_approve(s, &dgy_o, &dgy_h, id).await;
    }
    s.clock.set(bj("2026-11-27 17:30"));
    s.act_ok(
        &jfl_o,
        &jfl_ids[4],
        json!({"type": "submitReply", "text": "已核实处理并答复群众。"}),
    )
    .await;
    s.clock.set(bj("2026-11-27 17:40"));
    s.act_ok(
        &jfl_h,
        &jfl_ids[4],
        json!({"type": "approve", "comment": "同意"}),
    )
    .await;
    s.clock.set(bj("2026-11-27 18:00"));
    run_assessment(s).await;
}

const WEEK: &str = "period=week&date=2026-11-25";

fn row<'a>(board: &'a Value, unit: &str) -> &'a Value {
    board["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["unitId"] == unit)
        .unwrap_or_else(|| panic!("no row for {unit} in {board}"))
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|e| e["unitId"].as_str().expect("unitId").to_owned())
        .collect()
}

fn sum_counts(board: &Value) -> Value {
    let mut sum = serde_json::Map::new();
    for r in board["rows"].as_array().expect("rows") {
        for (k, v) in r["counts"].as_object().expect("counts") {
            let n = sum.get(k).and_then(Value::as_u64).unwrap_or(0) + v.as_u64().expect("n");
            sum.insert(k.clone(), json!(n));
        }
    }
    Value::Object(sum)
}

#[tokio::test]
async fn dashboard_ranking_worklists_and_bulletin_agree() {
    let s = TestServer::start_at(bj("2026-11-22 08:00")).await;
    week(&s).await;
    let (qcl, jfl, dgy) = (
        s.unit("JN-LX-QCL"),
        s.unit("JN-LX-JFL"),
        s.unit("JN-SZ-DGY"),
    );
    let leader = s.login("leader").await;
    let head = s.login("head").await;

    // The ranking, by hand.
    let board = get_ok(&s, &leader, &format!("/assessment/scores?{WEEK}")).await;
    let qcl_row = row(&board, &qcl);
    assert_eq!(
        (
            &qcl_row["counts"]["received"],
            &qcl_row["counts"]["replyDecided"],
            &qcl_row["counts"]["overdue"]
        ),
        (&json!(6), &json!(6), &json!(1)),
        "{qcl_row}"
    );
    assert_eq!(qcl_row["score"], json!(86.17));
    let jfl_row = row(&board, &jfl);
    assert_eq!(
        (
            &jfl_row["counts"]["received"],
            &jfl_row["counts"]["overdue"]
        ),
        (&json!(5), &json!(1))
    );
    assert_eq!(jfl_row["score"], json!(89.5));
    assert_eq!((&jfl_row["rank"], &qcl_row["rank"]), (&json!(1), &json!(2)));
    // Below the minimum volume: listed, scored, not ranked, on neither list.
    assert_eq!(board["lists"]["minVolume"], json!(DEFAULT_MIN_VOLUME));
    let dgy_row = row(&board, &dgy);
    assert_eq!(dgy_row["counts"]["replyDecided"], 2);
    assert_eq!(dgy_row["rank"], Value::Null, "{dgy_row}");
    assert!(
        dgy_row["unranked"].as_str().unwrap().contains("样本不足"),
        "{dgy_row}"
    );
    let ranks: Vec<&Value> = board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["rank"])
        .collect();
    assert_eq!(ranks, vec![&json!(1), &json!(2), &Value::Null]);
    // 红黑榜: best and worst ranked, disjoint.
    let (red, black) = (ids(&board["lists"]["red"]), ids(&board["lists"]["black"]));
    assert_eq!(red, vec![jfl.clone()]);
    assert_eq!(black, vec![qcl.clone()]);
    assert_eq!(board["lists"]["period"]["kind"], "week");
    assert_eq!(board["lists"]["current"], true);

    // The unit head: the dashboard's period figures are the unit's row; the lists are
    // the published ones; the 民生清单 is `/worklists` (Q6 open past its deadline).
    let mine = get_ok(&s, &head, &format!("/assessment/scores?{WEEK}")).await;
    assert_eq!(mine["rows"].as_array().unwrap().len(), 1);
    assert_eq!(row(&mine, &qcl)["counts"], qcl_row["counts"]);
    let dash = get_ok(&s, &head, &format!("/dashboard?{WEEK}")).await;
    assert_eq!(dash["totals"]["counts"], qcl_row["counts"]);
    assert_eq!(dash["totals"]["counts"]["overdue"], 1);
    assert_eq!(dash["totals"]["rates"], qcl_row["rates"]);
    assert_eq!(dash["lists"], board["lists"]);
    assert_eq!(dash["lists"], mine["lists"]);
    let worklists = get_ok(&s, &head, "/worklists").await;
    assert_eq!(dash["worklists"], worklists);
    assert_eq!(
        worklists,
        json!({"unsigned": 1, "inProgress": 0, "dueSoon": 0, "overdue": 1})
    );

    // The branch supervisor (QCL and JFL) and the city: sums of the rows they see.
    for (user, overdue, received) in [("supervisor", 2, 11), ("leader", 2, 13)] {
        let token = s.login(user).await;
        let rows = get_ok(&s, &token, &format!("/assessment/scores?{WEEK}")).await;
        let dash = get_ok(&s, &token, &format!("/dashboard?{WEEK}")).await;
        assert_eq!(dash["totals"]["counts"], sum_counts(&rows), "{user}");
        assert_eq!(dash["totals"]["counts"]["overdue"], overdue, "{user}");
        assert_eq!(dash["totals"]["counts"]["received"], received, "{user}");
        assert_eq!(dash["worklists"], get_ok(&s, &token, "/worklists").await);
        assert_eq!(dash["lists"], board["lists"], "{user}");
    }
    // The month holds the same week: the same lists, labelled as the month's.
    let month = get_ok(&s, &leader, "/dashboard?period=month&date=2026-11-25").await;
    assert_eq!(ids(&month["lists"]["red"]), vec![jfl.clone()]);
    assert_eq!(ids(&month["lists"]["black"]), vec![qcl.clone()]);
    assert_eq!(month["lists"]["period"]["kind"], "month");
    assert_eq!(month["period"]["label"], "2026年11月");

    // Every role's dashboard shows the same published lists (figures only for roles with
    // assessment).
    for user in ["admin", "clerk", "officer", "officer2", "followup"] {
        let token = s.login(user).await;
        let dash = get_ok(&s, &token, &format!("/dashboard?{WEEK}")).await;
        assert_eq!(dash["lists"], board["lists"], "{user}");
    }

    // The bulletin (工作台) publishes the last complete week and month: on Tue 12-01 that
    // is this week and November, the same lists as the ranking of those periods.
    s.clock.set(bj("2026-12-01 09:00"));
    let week_board = get_ok(&s, &leader, &format!("/assessment/scores?{WEEK}")).await;
    let month_board = get_ok(
        &s,
        &leader,
        "/assessment/scores?period=month&date=2026-11-25",
    )
    .await;
    assert_eq!(week_board["lists"]["current"], false);
    assert_eq!(ids(&week_board["lists"]["red"]), vec![jfl.clone()]);
    assert_eq!(ids(&month_board["lists"]["black"]), vec![qcl.clone()]);
    for user in [
        "admin",
        "clerk",
        "leader",
        "supervisor",
        "head",
        "officer",
        "officer2",
        "followup",
    ] {
        let token = s.login(user).await;
        let bulletin = get_ok(&s, &token, "/assessment/bulletin").await;
        assert_eq!(bulletin["week"], week_board["lists"], "{user}");
        assert_eq!(bulletin["month"], month_board["lists"], "{user}");
    }
    let followup = s.login("followup").await;
    let dash = get_ok(&s, &followup, &format!("/dashboard?{WEEK}")).await;
    assert_eq!(dash["totals"], Value::Null);
    let (st, _) = s.get(None, "/assessment/bulletin").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn missing_values_are_never_ranked_and_unranked_units_stay_off_the_lists() {
    let s = TestServer::start_at(bj("2026-11-22 08:00")).await;
    week(&s).await;
    let leader = s.login("leader").await;
    for by in ["unit", "category", "policeLine", "district", "branch"] {
        let v = get_ok(&s, &leader, &format!("/analytics?by={by}&{WEEK}")).await;
        for b in v["buckets"].as_array().unwrap() {
            assert!(b["key"].is_string(), "{by}: {b}");
            assert_ne!(b["label"], "未填写", "{by}: {b}");
        }
        // 14 requests: 13 dispatched, one not yet.
        assert_eq!(v["totals"]["count"], 14, "{by}");
        let in_buckets: u64 = v["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum();
        assert_eq!(in_buckets + v["missing"].as_u64().unwrap(), 14, "{by}");
    }
    for by in ["unit", "category", "policeLine", "branch"] {
        let v = get_ok(&s, &leader, &format!("/analytics?by={by}&{WEEK}")).await;
        assert_eq!(v["missing"], 1, "{by}: the request not yet dispatched");
    }
    let units = get_ok(&s, &leader, &format!("/analytics?by=unit&{WEEK}")).await;
    assert_eq!(units["buckets"][0]["label"], "泉城路派出所");

    // The branch level sums stations: 历下分局 (QCL + JFL) ranks; 市中分局 (DGY) is below
    // the minimum volume.
    let branches = get_ok(
        &s,
        &leader,
        &format!("/assessment/scores?{WEEK}&level=branch"),
    )
    .await;
    let lx = row(&branches, &s.unit("JN-LX"));
    assert_eq!(lx["rank"], 1);
    let sz = row(&branches, &s.unit("JN-SZ"));
    assert_eq!(sz["rank"], Value::Null);
    assert_eq!(ids(&branches["lists"]["red"]), vec![s.unit("JN-LX")]);
    assert!(branches["lists"]["black"].as_array().unwrap().is_empty());

    // An admin lowers the minimum to 2: DGY (100, two on-time replies) now ranks first,
    // and the lists never share a unit.
    let admin = s.login("admin").await;
    let mut w = get_ok(&s, &admin, "/assessment/weights").await;
    assert_eq!(w["minVolume"], json!(DEFAULT_MIN_VOLUME));
    w["minVolume"] = json!(2);
    let resp = s
        .client
        .put(s.url("/assessment/weights"))
        .bearer_auth(&admin)
        .json(&w)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let board = get_ok(&s, &leader, &format!("/assessment/scores?{WEEK}")).await;
    let dgy = s.unit("JN-SZ-DGY");
    assert_eq!(row(&board, &dgy)["rank"], 1);
    let (red, black) = (ids(&board["lists"]["red"]), ids(&board["lists"]["black"]));
    assert_eq!(red, vec![dgy, s.unit("JN-LX-JFL")]);
    assert_eq!(black, vec![s.unit("JN-LX-QCL")]);
    assert!(red.iter().all(|u| !black.contains(u)));
}

#[tokio::test]
async fn the_follow_up_queue_counts_its_rounds() {
    let s = TestServer::start_at(bj("2026-11-22 08:00")).await;
    week(&s).await;
    minsheng_server::notify::configure(&s.state, minsheng_server::notify::NotifyConfig::default())
        .expect("notify");
    minsheng_server::notify::run_once(&s.state)
        .await
        .expect("notify pass");
    let followup = s.login("followup").await;
    let count = |status: &'static str| {
        let s = &s;
        let token = followup.clone();
        async move {
            get_ok(s, &token, &format!("/followups?status={status}&limit=1000"))
                .await
                .as_array()
                .unwrap()
                .len() as u64
        }
    };
    let queue = get_ok(&s, &followup, "/followups/queue").await;
    // The twelve replies approved this week each opened a round awaiting the SMS answer.
    assert_eq!(queue["awaiting"], count("awaiting").await);
    assert_eq!(queue["awaiting"], 12);
    assert_eq!(queue["phoneTasks"], count("phoneTask").await);
    assert_eq!(
        queue["open"].as_u64(),
        Some(queue["awaiting"].as_u64().unwrap() + queue["phoneTasks"].as_u64().unwrap())
    );
    let officer = s.login("officer").await;
    let (st, _) = s.get(Some(&officer), "/followups/queue").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}
