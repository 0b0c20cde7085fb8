//! Assessment (一网考) over real HTTP: a hand-computed week of cases, the same figures
//! from the facts tables (SQL) and from replaying every timeline, explanations, scope,
//! weights, analytics with drill-down, reports with Excel export, early warning.

mod support;

use std::collections::HashMap;

use chrono::Duration;
use minsheng_domain::case::{CaseFlags, Category, Channel, RequestType, Urgency};
use minsheng_domain::ids::EntryId;
use minsheng_domain::role::Actor;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::{self, Action, DispatchOrder, NewCase};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

fn answer(sat: &str) -> Value {
    json!({"type": "followUpAnswer", "satisfaction": sat, "channel": "sms", "note": null})
}

async fn run_worker(s: &TestServer) {
    let st = s.state.clone();
    tokio::task::spawn_blocking(move || minsheng_server::assessment::run_once(&st))
        .await
        .expect("join")
        .expect("run_once");
}

/// Ids of the fixture cases by letter.
struct Fixture {
    ids: HashMap<&'static str, String>,
}

impl Fixture {
    fn id(&self, k: &str) -> &str {
        &self.ids[k]
    }
}

async fn dispatch(s: &TestServer, clerk: &str, id: &str, unit: &str, category: &str) {
    s.act_ok(clerk, id, s.dispatch(unit, category, json!({})))
        .await;
}

/// The fixture week (Beijing times; 投诉/普通: sign in within 8 working hours, reply
/// within 5 working days):
///
/// previous week  F → 青年路所(QCL): signed 30 min, replied and approved same morning, satisfied.
///                G → 大观园所(DGY): dispatched Tue 09:00, signed Wed 10:00 (late), no reply
///                    by its deadline Mon 11-23 17:00 (late).
/// this week      A → QCL Mon 09:00, signed 10:00, completed Tue 10:00, satisfied.
///                B → QCL Mon 09:00, signed Tue 10:00 (late), completed Fri 17:30 (late,
///                    deadline Fri 17:00), unsatisfied → re-handled → satisfied.
///                C → QCL Mon 09:00, returned 11:00 unsigned (decided nothing yet);
///                    → DGY 12:00, signed 13:00 (deadline Tue 12:00, on time).
///                D → QCL Tue 09:00, never signed (late at Tue 17:00), reply due Mon.
///                E → linked Tue as a duplicate of A.
/// Evaluated Fri 11-27 18:00.
#[allow(clippy::many_single_char_names)] // the cases are named A–G in the doc above
async fn fixture(s: &TestServer) -> Fixture {
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let officer2 = s.login("officer2").await;
    let head = s.login("head").await;
    let followup = s.login("followup").await;
    let mut ids = HashMap::new();
    let reply = json!({"type": "submitReply", "text": "已核实处理并答复群众。"});
    let approve = json!({"type": "approve", "comment": "同意"});

    s.clock.set(bj("2026-11-17 09:00"));
    let f = s.intake(&clerk, "小区楼道堆放杂物存在隐患").await;
    let g = s.intake(&clerk, "商铺门前车辆乱停影响通行").await;
    dispatch(s, &clerk, &f, "JN-LX-QCL", "治安管理").await;
    dispatch(s, &clerk, &g, "JN-SZ-DGY", "治安管理").await;
    s.clock.set(bj("2026-11-17 09:30"));
    s.act_ok(&officer, &f, json!({"type": "signIn"})).await;
    s.clock.set(bj("2026-11-17 10:00"));
    s.act_ok(&officer, &f, reply.clone()).await;
    s.act_ok(&head, &f, approve.clone()).await;
    s.clock.set(bj("2026-11-17 10:30"));
    s.act_ok(&followup, &f, answer("satisfied")).await;
    s.clock.set(bj("2026-11-18 10:00"));
    s.act_ok(&officer2, &g, json!({"type": "signIn"})).await;

    s.clock.set(bj("2026-11-23 09:00"));
    let a = s.intake(&clerk, "夜间广场舞音响扰民").await;
    let b = s.intake(&clerk, "楼上住户深夜装修噪音").await;
    let c = s.intake(&clerk, "大明湖路口有人聚众赌博").await;
    dispatch(s, &clerk, &a, "JN-LX-QCL", "治安管理").await;
    dispatch(s, &clerk, &b, "JN-LX-QCL", "噪音扰民").await;
    dispatch(s, &clerk, &c, "JN-LX-QCL", "治安管理").await;
    s.clock.set(bj("2026-11-23 10:00"));
    s.act_ok(&officer, &a, json!({"type": "signIn"})).await;
    s.clock.set(bj("2026-11-23 11:00"));
    s.act_ok(
        &officer,
        &c,
        json!({"type": "return", "reason": "地点属于市中区，非本所辖区"}),
    )
    .await;
    s.clock.set(bj("2026-11-23 12:00"));
    dispatch(s, &clerk, &c, "JN-SZ-DGY", "治安管理").await;
    s.clock.set(bj("2026-11-23 13:00"));
    s.act_ok(&officer2, &c, json!({"type": "signIn"})).await;

    s.clock.set(bj("2026-11-24 09:00"));
    let d = s.intake(&clerk, "小区门口烧烤摊油烟噪音").await;
    dispatch(s, &clerk, &d, "JN-LX-QCL", "噪音扰民").await;
    let e = s.intake(&clerk, "夜间广场舞音响扰民（再次反映）").await;
    s.act_ok(&clerk, &e, json!({"type": "linkDuplicate", "master": a}))
        .await;
    s.clock.set(bj("2026-11-24 10:00"));
    s.act_ok(&officer, &a, reply.clone()).await;
    s.act_ok(&head, &a, approve.clone()).await;
    s.act_ok(&officer, &b, json!({"type": "signIn"})).await;
    s.clock.set(bj("2026-11-24 11:00"));
    s.act_ok(&followup, &a, answer("satisfied")).await;

    s.clock.set(bj("2026-11-27 17:30"));
    s.act_ok(&officer, &b, reply).await;
    s.act_ok(&head, &b, approve).await;
    s.clock.set(bj("2026-11-27 17:40"));
    s.act_ok(&followup, &b, answer("unsatisfied")).await;
    s.act_ok(
        &head,
        &b,
        json!({"type": "recordRehandle", "result": "所长上门说明，协调施工时间"}),
    )
    .await;
    s.clock.set(bj("2026-11-27 17:50"));
    s.act_ok(&followup, &b, answer("satisfied")).await;
    s.clock.set(bj("2026-11-27 18:00"));
    for (k, v) in [
        ("A", a),
        ("B", b),
        ("C", c),
        ("D", d),
        ("E", e),
        ("F", f),
        ("G", g),
    ] {
        ids.insert(k, v);
    }
    run_worker(s).await;
    Fixture { ids }
}

fn row<'a>(board: &'a Value, unit: &str) -> &'a Value {
    board["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["unitId"] == unit)
        .unwrap_or_else(|| panic!("no row for {unit} in {board}"))
}

fn units_of(board: &Value) -> Vec<String> {
    board["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["unitId"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Ranks every row with a score: the fixture's stations have a handful of stints each,
/// below the default minimum volume (`minsheng_domain::assessment::DEFAULT_MIN_VOLUME`).
async fn rank_every_row(s: &TestServer) {
    let admin = s.login("admin").await;
    let mut w = get_ok(s, &admin, "/assessment/weights").await;
    w["minVolume"] = json!(0);
    let (st, body) = s.send_put(&admin, "/assessment/weights", &w).await;
    assert_eq!(st, StatusCode::OK, "{body}");
}

async fn get_ok(s: &TestServer, token: &str, path: &str) -> Value {
    let (st, body) = s.get(Some(token), path).await;
    assert_eq!(st, StatusCode::OK, "GET {path}: {body}");
    body
}

#[tokio::test]
async fn hand_computed_week_from_facts_and_from_timelines() {
    let s = TestServer::start_at(bj("2026-11-16 08:00")).await;
    let fx = fixture(&s).await;
    rank_every_row(&s).await;
    let leader = s.login("leader").await;
    let qcl = s.unit("JN-LX-QCL");
    let dgy = s.unit("JN-SZ-DGY");

    let week = get_ok(
        &s,
        &leader,
        "/assessment/scores?period=week&date=2026-11-25",
    )
    .await;
    assert_eq!(week["period"]["start"], "2026-11-23");
    assert_eq!(week["period"]["end"], "2026-11-29");
    assert_eq!(week["previous"]["start"], "2026-11-16");
    let q = row(&week, &qcl);
    assert_eq!(
        q["counts"],
        json!({"received": 4, "signInDecided": 3, "signInLate": 2, "replyDecided": 2, "replyLate": 1,
               "returned": 1, "answered": 2, "rehandled": 1, "satisfied": 2, "overdue": 2, "duplicates": 1,
               "accountability": 0}),
        "{q}"
    );
    assert_eq!(
        q["rates"],
        json!({"signInOnTime": 33.33, "replyOnTime": 50.0, "returnRate": 25.0, "rehandleRate": 50.0,
               "satisfaction": 100.0, "duplicateShare": 20.0})
    );
    // (15·⅓ + 25·½ + 40·1 + 10·¾ + 10·½) / 100 · 100 = 70, minus 2 overdue × 0.5.
    assert_eq!(q["score"], json!(69.0));
    let d = row(&week, &dgy);
    assert_eq!(d["counts"]["received"], 1);
    assert_eq!(d["counts"]["signInDecided"], 1);
    assert_eq!(d["counts"]["signInLate"], 0);
    assert_eq!(d["counts"]["replyDecided"], 0);
    assert_eq!(d["rates"]["replyOnTime"], Value::Null);
    // Only sign-in (15) and no-return (10) have data: both full.
    assert_eq!(d["score"], json!(100.0));
    // Last week QCL (100) led DGY (20 − 0.5 = 19.5); now DGY leads.
    assert_eq!(
        (
            d["rank"].clone(),
            d["previousRank"].clone(),
            d["movement"].clone()
        ),
        (json!(1), json!(2), json!(1))
    );
    assert_eq!(
        (
            q["rank"].clone(),
            q["previousRank"].clone(),
            q["movement"].clone()
        ),
        (json!(2), json!(1), json!(-1))
    );
    assert_eq!(units_of(&week), vec![dgy.clone(), qcl.clone()]);
    let prev = get_ok(
        &s,
        &leader,
        "/assessment/scores?period=week&date=2026-11-16",
    )
    .await;
    assert_eq!(row(&prev, &dgy)["score"], json!(19.5));
    assert_eq!(row(&prev, &qcl)["score"], json!(100.0));

    // The same figures from replaying every timeline, at every level and period.
    for path in [
        "/assessment/scores?period=week&date=2026-11-25",
        "/assessment/scores?period=week&date=2026-11-18",
        "/assessment/scores?period=month&date=2026-11-01",
        "/assessment/scores?period=year&date=2026-06-01",
        "/assessment/scores?period=week&date=2026-11-25&level=branch",
        "/assessment/scores?period=month&date=2026-11-25&level=officer",
    ] {
        let mut facts = get_ok(&s, &leader, path).await;
        let mut replayed = get_ok(&s, &leader, &format!("{path}&source=timeline")).await;
        assert_eq!(replayed["source"], "timeline");
        facts["source"] = Value::Null;
        replayed["source"] = Value::Null;
        assert_eq!(facts, replayed, "{path}");
    }

    // Branch level sums stations; officer level counts the stints they signed.
    let branches = get_ok(
        &s,
        &leader,
        "/assessment/scores?period=week&date=2026-11-25&level=branch",
    )
    .await;
    assert_eq!(row(&branches, &s.unit("JN-LX"))["counts"]["received"], 4);
    assert_eq!(row(&branches, &s.unit("JN-SZ"))["counts"]["received"], 1);
    let officers = get_ok(
        &s,
        &leader,
        "/assessment/scores?period=week&date=2026-11-25&level=officer",
    )
    .await;
    let me = officers["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["officerName"].is_string() && r["unitId"] == qcl)
        .expect("officer row");
    assert_eq!(
        me["counts"]["received"], 2,
        "A and B signed by officer: {me}"
    );

    // Explainable: each number links to its cases.
    let explain = |metric: &str| {
        format!("/assessment/explain?period=week&date=2026-11-23&unit={qcl}&metric={metric}")
    };
    let ids = |v: &Value| {
        let mut out: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["caseId"].as_str().unwrap().to_owned())
            .collect();
        out.sort();
        out
    };
    let sorted = |ks: &[&str]| {
        let mut v: Vec<String> = ks.iter().map(|k| fx.id(k).to_owned()).collect();
        v.sort();
        v
    };
    assert_eq!(
        ids(&get_ok(&s, &leader, &explain("signInLate")).await),
        sorted(&["B", "D"])
    );
    assert_eq!(
        ids(&get_ok(&s, &leader, &explain("replyLate")).await),
        sorted(&["B"])
    );
    assert_eq!(
        ids(&get_ok(&s, &leader, &explain("returned")).await),
        sorted(&["C"])
    );
    assert_eq!(
        ids(&get_ok(&s, &leader, &explain("rehandled")).await),
        sorted(&["B"])
    );
    assert_eq!(
        ids(&get_ok(&s, &leader, &explain("duplicates")).await),
        sorted(&["E"])
    );
    assert_eq!(
        ids(&get_ok(&s, &leader, &explain("received")).await),
        sorted(&["A", "B", "C", "D"])
    );
    let explained = get_ok(
        &s,
        &leader,
        &q["explain"].as_str().unwrap().replace("/api/v1", ""),
    )
    .await;
    assert_eq!(explained["total"], 4);
    let (st, err) = s
        .get(Some(&leader), "/assessment/explain?unit=x&metric=received")
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{err}");
    let (st, err) = s.get(Some(&leader), &explain("nonsense")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(err["message"].as_str().unwrap().contains("metric"));
}

#[tokio::test]
async fn scope_weights_reports_and_export() {
    let s = TestServer::start_at(bj("2026-11-16 08:00")).await;
    let fx = fixture(&s).await;
    rank_every_row(&s).await;
    let qcl = s.unit("JN-LX-QCL");
    let dgy = s.unit("JN-SZ-DGY");
    let path = "/assessment/scores?period=week&date=2026-11-23";

    // A station sees its own figures (with its city-wide rank), a branch its subtree.
    let officer = s.login("officer").await;
    let b = get_ok(&s, &officer, path).await;
    assert_eq!(units_of(&b), vec![qcl.clone()]);
    assert_eq!(b["rows"][0]["rank"], 2);
    let officer2 = s.login("officer2").await;
    assert_eq!(
        units_of(&get_ok(&s, &officer2, path).await),
        vec![dgy.clone()]
    );
    let supervisor = s.login("supervisor").await;
    assert_eq!(
        units_of(&get_ok(&s, &supervisor, path).await),
        vec![qcl.clone()]
    );
    let (st, _) = s
        .get(
            Some(&officer),
            &format!("/assessment/explain?period=week&date=2026-11-23&unit={dgy}"),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let followup = s.login("followup").await;
    let (st, err) = s.get(Some(&followup), path).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(err["code"], "FORBIDDEN");
    let (st, _) = s
        .get(Some(&supervisor), &format!("{path}&source=timeline"))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s.get(None, path).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // Weights: admin only, validated, and they move the score.
    let admin = s.login("admin").await;
    let mut w = get_ok(&s, &officer, "/assessment/weights").await;
    assert_eq!(w["satisfaction"], json!(40.0));
    w["deductPerOverdue"] = json!(2.0);
    let (st, _) = s
        .send_put(&s.login("head").await, "/assessment/weights", &w)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let mut bad = w.clone();
    bad["replyOnTime"] = json!(-1);
    let (st, err) = s.send_put(&admin, "/assessment/weights", &bad).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{err}");
    let (st, _) = s.send_put(&admin, "/assessment/weights", &w).await;
    assert_eq!(st, StatusCode::OK);
    let leader = s.login("leader").await;
    assert_eq!(
        row(&get_ok(&s, &leader, path).await, &qcl)["score"],
        json!(66.0)
    );

    // Scheduled reports: the last complete week and month exist after a worker pass.
    let reports = get_ok(&s, &leader, "/reports").await;
    let starts: Vec<(String, String)> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().into(),
                r["periodStart"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        starts.contains(&("week".into(), "2026-11-16".into())),
        "{starts:?}"
    );
    assert!(
        starts.contains(&("month".into(), "2026-10-01".into())),
        "{starts:?}"
    );
    // On demand, for the current week; officers cannot generate reports.
    let (st, _) = s
        .post(Some(&officer), "/reports", &json!({"kind": "week"}))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, rep) = s
        .post(
            Some(&leader),
            "/reports",
            &json!({"kind": "week", "date": "2026-11-23"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{rep}");
    assert!(rep["title"].as_str().unwrap().contains("周报"));
    let stations = rep["body"]["stations"].as_array().unwrap();
    assert_eq!(stations.len(), 2);
    assert_eq!(rep["body"]["totals"]["received"], 5);
    let id = rep["id"].as_str().unwrap();
    let mine = get_ok(&s, &officer, &format!("/reports/{id}")).await;
    assert_eq!(mine["body"]["stations"].as_array().unwrap().len(), 1);
    assert_eq!(mine["body"]["stations"][0]["unitId"], qcl);

    // Excel: each export holds, cell for cell, the rows the same route family answers as
    // JSON — the board of the same query, the stored report — for the caller's scope.
    let branch_path = format!("{path}&level=branch");
    for (who, token, board_path) in [
        ("leader", &leader, branch_path.as_str()),
        ("leader", &leader, path),
        ("officer", &officer, path),
    ] {
        let sheets = xlsx(&s, token, &board_path.replace("scores", "scores.xlsx")).await;
        assert_eq!(names_of(&sheets), vec!["考核排名"], "{who}");
        let board = get_ok(&s, token, board_path).await;
        assert!(
            !board["rows"].as_array().unwrap().is_empty(),
            "{board_path}"
        );
        score_sheet_matches(
            &sheets[0],
            &board["rows"],
            &format!("{who} {board_path} as xlsx"),
        );
        let sheets = xlsx(&s, token, &format!("/reports/{id}/export.xlsx")).await;
        assert_eq!(
            names_of(&sheets),
            vec!["科所队考核", "分局考核", "类别统计"],
            "{who}"
        );
        let report = get_ok(&s, token, &format!("/reports/{id}")).await;
        let body = &report["body"];
        if who == "leader" {
            for part in ["stations", "branches", "categories"] {
                assert!(!body[part].as_array().unwrap().is_empty(), "{part}");
            }
        }
        score_sheet_matches(&sheets[0], &body["stations"], &format!("{who} 科所队考核"));
        score_sheet_matches(&sheets[1], &body["branches"], &format!("{who} 分局考核"));
        category_sheet_matches(&sheets[2], &body["categories"], &format!("{who} 类别统计"));
    }
    // ... and the figures are the hand-computed ones (weights with 2 points per overdue
    // stint): QCL 70 − 2 × 2 = 66, DGY 100; the leader's station sheet lists both.
    let sheets = xlsx(&s, &leader, &format!("/reports/{id}/export.xlsx")).await;
    let col = |name: &str| header_col(&sheets[0], name);
    let qcl_name = s
        .state
        .org()
        .find_by_code("JN-LX-QCL")
        .unwrap()
        .name
        .clone();
    let qcl_row = (1..sheets[0].1.len())
        .find(|&r| cell(&sheets[0], r, col("单位")) == json!(qcl_name))
        .expect("QCL row");
    assert_eq!(cell(&sheets[0], qcl_row, col("综合得分")), json!(66.0));
    assert_eq!(cell(&sheets[0], qcl_row, col("接收件数")), json!(4.0));
    assert_eq!(
        cell(&sheets[0], qcl_row, col("按时签收率(%)")),
        json!(33.33)
    );
    assert_eq!(cell(&sheets[0], qcl_row, col("逾期件数")), json!(2.0));

    // Dashboard: the published (city-wide) red/black lists, the station's own totals,
    // reports.
    let dash = get_ok(&s, &officer, "/dashboard?period=week&date=2026-11-23").await;
    let names = |list: &str| -> Vec<Value> {
        dash["lists"][list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["unitId"].clone())
            .collect()
    };
    assert_eq!(names("red"), vec![json!(dgy)]);
    assert_eq!(names("black"), vec![json!(qcl)]);
    assert_eq!(dash["totals"]["counts"]["received"], 4);
    assert!(!dash["latestReports"].as_array().unwrap().is_empty());
    let _ = fx;
}

#[tokio::test]
async fn analytics_in_scope_with_drill_down() {
    let s = TestServer::start_at(bj("2026-11-16 08:00")).await;
    let fx = fixture(&s).await;
    let leader = s.login("leader").await;
    let officer = s.login("officer").await;
    let by = |dim: &str| format!("/analytics?by={dim}&period=week&date=2026-11-23");

    let all = get_ok(&s, &leader, &by("category")).await;
    assert_eq!(all["total"], 5);
    let counts: HashMap<String, u64> = all["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["label"].as_str().unwrap().to_owned(),
                b["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts["治安管理"], 2);
    assert_eq!(counts["噪音扰民"], 2);
    // The case not yet dispatched has no category: counted, never a bucket.
    assert!(!counts.contains_key("未填写"), "{counts:?}");
    assert_eq!(all["missing"], 1);
    assert_eq!(all["totals"]["count"], 5);
    let hours = get_ok(&s, &leader, &by("hour")).await;
    assert_eq!(hours["buckets"][0]["label"], "09时");
    assert_eq!(hours["buckets"][0]["count"], 5);
    let days = get_ok(&s, &leader, &by("day")).await;
    let labels: Vec<&str> = days["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, vec!["2026-11-23", "2026-11-24"]);

    // The station sees only its own cases (C went to DGY, E is merged into A).
    let mine = get_ok(&s, &officer, &by("category")).await;
    assert_eq!(mine["total"], 3, "{mine}");
    let noise = mine["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["key"] == "噪音扰民")
        .expect("noise bucket")
        .clone();
    assert_eq!(noise["count"], 2);
    // Drill-down through the ordinary case list and through the exact endpoint.
    let drill = &noise["cases"];
    assert_eq!(drill["path"], "/api/v1/cases");
    let qs: Vec<String> = drill["query"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v.as_str().unwrap())))
        .collect();
    let list = get_ok(&s, &officer, &format!("/cases?{}", qs.join("&"))).await;
    let mut got: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    got.sort_unstable();
    let mut want = vec![fx.id("B"), fx.id("D")];
    want.sort_unstable();
    assert_eq!(got, want);
    let qs: Vec<String> = noise["exact"]["query"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v.as_str().unwrap())))
        .collect();
    let exact = get_ok(&s, &officer, &format!("/analytics/cases?{}", qs.join("&"))).await;
    assert_eq!(exact.as_array().unwrap().len(), 2);

    // District and unit dimensions, filters, and bad input.
    let district = get_ok(
        &s,
        &leader,
        &format!(
            "{}&category=%E5%99%AA%E9%9F%B3%E6%89%B0%E6%B0%91",
            by("district")
        ),
    )
    .await;
    assert_eq!(district["buckets"][0]["label"], "历下区");
    assert_eq!(district["buckets"][0]["count"], 2);
    assert!(
        district["buckets"][0]["cases"].is_null(),
        "no district filter in /cases"
    );
    let units = get_ok(&s, &leader, &by("unit")).await;
    assert!(units["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["label"] == "大观园派出所" || b["key"] == s.unit("JN-SZ-DGY")));
    let (st, err) = s.get(Some(&leader), "/analytics?by=colour").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(err["message"].as_str().unwrap().contains("by"));
    let (st, _) = s
        .get(
            Some(&leader),
            "/analytics?by=category&channel=carrier-pigeon",
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let followup = s.login("followup").await;
    let fu = get_ok(&s, &followup, &by("category")).await;
    assert_eq!(
        fu["total"], 2,
        "follow-up agents see cases in follow-up only (A, B)"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

trait Put {
    async fn send_put(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value);
}

impl Put for TestServer {
    async fn send_put(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let resp = self
            .client
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("put");
        let st = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (
            st,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// Inserts a dispatched case received at `at` directly through the store.
fn seed_case(
    s: &TestServer,
    clerk: &Actor,
    at: chrono::DateTime<chrono::Utc>,
    district: &str,
    unit_code: &str,
    category: &str,
) {
    let st = &s.state;
    let org = st.org();
    let new = NewCase {
        id: None,
        channel: Channel::MayorHotline,
        request_type: RequestType::Complaint,
        category: None,
        title: format!("{district}{category}诉求"),
        content: format!("{district}{category}问题，请尽快处理。"),
        citizen_name: "李先生".into(),
        citizen_phone: Some("13900001111".into()),
        citizen_id_card: None,
        address: None,
        district: Some(district.into()),
        received_at: Some(at),
        urgency: Urgency::Ordinary,
        flags: CaseFlags::default(),
        leader_instruction: None,
    };
    let c = workflow::intake(&new, clerk, at).expect("intake");
    let first = minsheng_server::cases::intake_entry(&c, clerk, at, None);
    let action = Action::Dispatch(DispatchOrder {
        handling_unit: org.find_by_code(unit_code).expect("unit").id,
        supervising_unit: None,
        co_units: vec![],
        category: Category::new(category).expect("category"),
        request_type: RequestType::Complaint,
        urgency: Urgency::Ordinary,
        flags: CaseFlags::default(),
    });
    let when = at + Duration::minutes(10);
    let next = workflow::apply(&c, clerk, &action, &st.config().ctx(when, &org)).expect("dispatch");
    let second = TimelineEntry::next(
        Some(&first),
        EntryId::mint(when),
        c.id,
        when,
        None,
        clerk,
        "dispatch",
        Some(c.state),
        next.state,
        serde_json::to_value(&action).expect("json"),
    );
    support::off_runtime(|| {
        st.store
            .insert_cases(&org, vec![(next, vec![first, second])])
    })
    .expect("insert");
}

#[tokio::test]
async fn early_warning_on_a_jump_above_the_baseline() {
    let now = bj("2026-11-26 12:00");
    let s = TestServer::start_at(now).await;
    let u = support::off_runtime(|| s.state.store.user_by_username("clerk"))
        .unwrap()
        .unwrap();
    let clerk = Actor {
        user_id: u.id,
        name: u.display_name,
        role: u.role,
        unit_id: u.unit_id,
    };
    // Monday of this week is 11-23. Eight quiet weeks of 噪音扰民 in 历下区 (1 a week), then 8.
    // 治安管理 in 市中区 runs at 3 a week throughout: no alert.
    for w in 1..=8 {
        let monday = bj("2026-11-23 10:00") - Duration::weeks(w);
        seed_case(&s, &clerk, monday, "历下区", "JN-LX-QCL", "噪音扰民");
        for k in 0..3 {
            seed_case(
                &s,
                &clerk,
                monday + Duration::hours(k + 1),
                "市中区",
                "JN-SZ-DGY",
                "治安管理",
            );
        }
    }
    for k in 0..8 {
        seed_case(
            &s,
            &clerk,
            bj("2026-11-23 09:00") + Duration::hours(k * 5),
            "历下区",
            "JN-LX-QCL",
            "噪音扰民",
        );
    }
    for k in 0..3 {
        seed_case(
            &s,
            &clerk,
            bj("2026-11-24 09:00") + Duration::hours(k),
            "市中区",
            "JN-SZ-DGY",
            "治安管理",
        );
    }
    // The unit head also wants staff notifications by SMS.
    support::off_runtime(|| {
        let head_id = s.state.store.user_by_username("head").unwrap().unwrap().id;
        s.state
            .store
            .set_notify_prefs(
                head_id,
                &minsheng_store::notify::NotifyPrefs {
                    sms: true,
                    sms_kinds: vec!["alert".into()],
                },
            )
            .unwrap();
    });
    run_worker(&s).await;

    let leader = s.login("leader").await;
    let all = get_ok(&s, &leader, "/alerts").await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all
        .iter()
        .all(|a| a["kind"] == "volume" && a["category"] == "噪音扰民" && a["observed"] == 8));
    assert!(all
        .iter()
        .any(|a| a["areaKind"] == "district" && a["area"] == "历下区"));
    assert!(all
        .iter()
        .any(|a| a["areaKind"] == "unit" && a["area"] == s.unit("JN-LX-QCL")));
    assert!(all.iter().all(|a| a["statistic"].as_f64().unwrap() < 0.001));
    // Pushed to the unit and its supervisors, nobody else.
    let sup = get_ok(&s, &s.login("supervisor").await, "/alerts").await;
    assert_eq!(sup.as_array().unwrap().len(), 2);
    let station = get_ok(&s, &s.login("officer").await, "/alerts").await;
    assert_eq!(station.as_array().unwrap().len(), 1);
    assert_eq!(station[0]["areaKind"], "unit");
    let other = get_ok(&s, &s.login("officer2").await, "/alerts").await;
    assert!(other.as_array().unwrap().is_empty());
    let dash = get_ok(&s, &s.login("head").await, "/dashboard").await;
    assert_eq!(dash["alerts"].as_array().unwrap().len(), 1);

    // Pushed as staff notifications: the station's head gets the unit alert, the
    // branch supervisors both (unit and district); officers and other stations nothing.
    let pushed = |user: &'static str| {
        let s = &s;
        async move {
            let token = s.login(user).await;
            let list = get_ok(s, &token, "/notifications").await;
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["kind"] == "alert")
                .map(|n| n["body"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let head_notes = pushed("head").await;
    assert_eq!(head_notes.len(), 1, "{head_notes:?}");
    assert!(head_notes[0].contains("噪音扰民") && head_notes[0].contains("泊松"));
    assert_eq!(pushed("supervisor").await.len(), 2);
    assert_eq!(pushed("sup-lx").await.len(), 2);
    assert!(pushed("sup-sz").await.is_empty());
    assert!(pushed("officer").await.is_empty());
    assert!(pushed("officer2").await.is_empty());
    // The head asked for SMS copies of alerts: exactly one is queued for them.
    let sms: Vec<_> = support::off_runtime(|| s.state.store.outbox(None, 100))
        .unwrap()
        .into_iter()
        .filter(|m| m.template == "staff.notice")
        .collect();
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(sms[0].phone, "13800000005");

    // Evaluating again keeps one alert per week, category and area.
    seed_case(
        &s,
        &clerk,
        bj("2026-11-25 09:00"),
        "历下区",
        "JN-LX-QCL",
        "噪音扰民",
    );
    run_worker(&s).await;
    let again = get_ok(&s, &leader, "/alerts").await;
    assert_eq!(again.as_array().unwrap().len(), 2);
    assert!(again.as_array().unwrap().iter().all(|a| a["observed"] == 9));
    // ... and pushes each of them once.
    assert_eq!(pushed("head").await.len(), 1);
    assert_eq!(pushed("supervisor").await.len(), 2);
}

// ---------------------------------------------------------------- reading the xlsx back

type Sheet = (String, Vec<Vec<calamine::Data>>);

/// What a column of the score sheet shows of a JSON board row.
type Cell = fn(&Value) -> Value;

/// GET an .xlsx export as `token`; its sheets in workbook order, each as rows of cells.
async fn xlsx(s: &TestServer, token: &str, path: &str) -> Vec<Sheet> {
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
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .unwrap_or_else(|e| panic!("{path} is not a workbook: {e}"));
    let names = wb.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).expect("sheet");
            let (h, w) = range.end().map_or((0, 0), |(r, c)| (r + 1, c + 1));
            let rows = (0..h)
                .map(|r| {
                    (0..w)
                        .map(|c| range.get_value((r, c)).cloned().unwrap_or_default())
                        .collect()
                })
                .collect();
            (name, rows)
        })
        .collect()
}

fn names_of(sheets: &[Sheet]) -> Vec<&str> {
    sheets.iter().map(|(n, _)| n.as_str()).collect()
}

/// A cell as JSON: numbers as f64, text as strings, an empty (or absent) cell as null.
fn cell(sheet: &Sheet, row: usize, col: usize) -> Value {
    match sheet.1.get(row).and_then(|r| r.get(col)) {
        None | Some(calamine::Data::Empty) => Value::Null,
        Some(calamine::Data::Float(f)) => json!(f),
        Some(calamine::Data::Int(i)) => json!(*i as f64),
        Some(calamine::Data::String(t)) => json!(t),
        Some(other) => panic!("{}: unexpected cell {other:?}", sheet.0),
    }
}

fn header_col(sheet: &Sheet, name: &str) -> usize {
    sheet.1[0]
        .iter()
        .position(|h| *h == calamine::Data::String(name.to_owned()))
        .unwrap_or_else(|| panic!("{}: no column {name}", sheet.0))
}

/// A JSON number (or null) as the sheet shows it: f64, or an empty cell.
fn num(v: &Value) -> Value {
    v.as_f64().map_or(Value::Null, |f| json!(f))
}

/// The score sheet has the figures of SPEC §7 as columns (rank and movement, unit,
/// officer, score, received, on-time rates, returns, re-handle and satisfaction rates,
/// duplicates, overdue) and one row per board row, in the board's order.
fn score_sheet_matches(sheet: &Sheet, rows: &Value, what: &str) {
    let rows = rows.as_array().expect("rows");
    assert_eq!(
        sheet.1.len(),
        rows.len() + 1,
        "{what}: header + one line per row"
    );
    let columns: [(&str, Cell); 16] = [
        ("排名", |r| match (&r["rank"], &r["unranked"]) {
            (Value::Null, Value::String(why)) => json!(why),
            (rank, _) => num(rank),
        }),
        ("上期排名", |r| num(&r["previousRank"])),
        ("名次变化", |r| num(&r["movement"])),
        ("单位", |r| r["unitName"].clone()),
        ("民警", |r| match &r["officerName"] {
            Value::String(n) if !n.is_empty() => json!(n),
            _ => Value::Null,
        }),
        ("综合得分", |r| num(&r["score"])),
        ("接收件数", |r| num(&r["counts"]["received"])),
        ("按时签收率(%)", |r| num(&r["rates"]["signInOnTime"])),
        ("按时答复率(%)", |r| num(&r["rates"]["replyOnTime"])),
        ("退办件数", |r| num(&r["counts"]["returned"])),
        ("退办率(%)", |r| num(&r["rates"]["returnRate"])),
        ("重办率(%)", |r| num(&r["rates"]["rehandleRate"])),
        ("满意率(%)", |r| num(&r["rates"]["satisfaction"])),
        ("重复件数", |r| num(&r["counts"]["duplicates"])),
        ("重复件占比(%)", |r| num(&r["rates"]["duplicateShare"])),
        ("逾期件数", |r| num(&r["counts"]["overdue"])),
    ];
    assert_eq!(sheet.1[0].len(), columns.len(), "{what}: columns");
    for (name, of) in columns {
        let col = header_col(sheet, name);
        for (i, r) in rows.iter().enumerate() {
            // An empty officer cell may be written as an empty string.
            let got = match cell(sheet, i + 1, col) {
                Value::String(t) if t.is_empty() => Value::Null,
                v => v,
            };
            assert_eq!(got, of(r), "{what}: row {} column {name}: {r}", i + 1);
        }
    }
}

fn category_sheet_matches(sheet: &Sheet, rows: &Value, what: &str) {
    let rows = rows.as_array().expect("categories");
    assert_eq!(
        sheet.1.len(),
        rows.len() + 1,
        "{what}: header + one line per row"
    );
    for (i, r) in rows.iter().enumerate() {
        let key = match &r["key"] {
            Value::String(k) => json!(k),
            _ => json!("未分类"),
        };
        assert_eq!(
            cell(sheet, i + 1, header_col(sheet, "诉求类别")),
            key,
            "{what}"
        );
        for (name, field) in [
            ("件数", "count"),
            ("已关闭", "closed"),
            ("已回访", "answered"),
            ("不满意", "unsatisfied"),
            ("重复件", "duplicates"),
        ] {
            assert_eq!(
                cell(sheet, i + 1, header_col(sheet, name)),
                num(&r[field]),
                "{what}: row {} column {name}: {r}",
                i + 1
            );
        }
    }
}
