//! 责任倒查 over real HTTP (issue 19): a 涉警投诉 found 属实/部分属实 at its final
//! sign-off or at the level-3 investigation opens exactly one accountability record;
//! 不属实 opens none. Only 纪检督察 and 市局领导 reach the records — the admin, the
//! clerk, the handling officer, the unit head, the supervisor and the follow-up staff
//! get `ACCOUNTABILITY_FORBIDDEN`, and nothing of a record shows through the case view,
//! its timeline, the sync pull or the audit console. Decided records deduct the admin's
//! weight per record from the unit's and the officer's score (SPEC issue 19: "counts in
//! the officer's and the unit's assessment"), and every read and step is audited.

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

const FINDING: &str = "民警张伟出警时言语生硬、未出示证件，群众反映情况属实";

async fn get_ok(s: &TestServer, token: &str, path: &str) -> Value {
    let (st, body) = s.get(Some(token), path).await;
    assert_eq!(st, StatusCode::OK, "GET {path}: {body}");
    body
}

/// A 涉警投诉 to 泉城路派出所, replied, signed by the unit head, awaiting the superior.
async fn complaint_in_review(s: &TestServer, title: &str) -> String {
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let head = s.login("head").await;
    let id = s.intake(&clerk, title).await;
    s.act_ok(
        &clerk,
        &id,
        s.dispatch("JN-LX-QCL", "治安管理", json!({"policeComplaint": true})),
    )
    .await;
    s.act_ok(&officer, &id, json!({"type": "signIn"})).await;
    s.act_ok(
        &officer,
        &id,
        json!({"type": "submitReply", "text": "经核查，已向反映人说明情况并致歉。"}),
    )
    .await;
    s.act_ok(&head, &id, json!({"type": "approve", "comment": "同意"}))
        .await;
    id
}

/// The final sign-off by the branch supervisor with `verdict`.
async fn sign_off(s: &TestServer, id: &str, verdict: &str) {
    let sup = s.login("supervisor").await;
    let v = s
        .act_ok(
            &sup,
            id,
            json!({"type": "approve", "comment": "经核实", "verdict": verdict}),
        )
        .await;
    assert_eq!(v["state"], "completed");
}

async fn records(s: &TestServer, token: &str, query: &str) -> Value {
    get_ok(s, token, &format!("/accountability?limit=200{query}")).await
}

fn record_of<'a>(list: &'a Value, case: &str) -> Vec<&'a Value> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|r| r["caseId"] == case)
        .collect()
}

#[tokio::test]
async fn a_substantiated_complaint_opens_one_record_that_only_its_roles_see() {
    let s = TestServer::start_at(bj("2026-12-07 09:00")).await;
    let inspector = s.login("inspector").await;
    let leader = s.login("leader").await;
    let sup = s.login("supervisor").await;

    let true_one = complaint_in_review(&s, "反映派出所民警出警态度恶劣").await;
    let false_one = complaint_in_review(&s, "反映民警处警不公").await;
    // The final sign-off of a 涉警投诉 must say whether it is true.
    let (st, err) = s
        .act(
            &sup,
            &true_one,
            json!({"type": "approve", "comment": "同意"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "INVALID_FIELD");
    sign_off(&s, &true_one, "substantiated").await;
    sign_off(&s, &false_one, "unsubstantiated").await;

    let list = records(&s, &inspector, "").await;
    assert_eq!(list["total"], 1, "{list}");
    let rec = record_of(&list, &true_one);
    assert_eq!(rec.len(), 1);
    let rec = rec[0].clone();
    assert_eq!(rec["state"], "investigating");
    assert_eq!(rec["verdict"], "substantiated");
    assert_eq!(rec["source"], "signOff");
    assert_eq!(rec["unitId"], s.unit("JN-LX-QCL"));
    assert!(record_of(&list, &false_one).is_empty(), "不属实 opens none");
    let rid = rec["id"].as_str().unwrap().to_owned();
    assert_eq!(records(&s, &leader, "").await["total"], 1);

    // Every other role is refused with the stable code, on every route.
    for user in [
        "admin",
        "clerk",
        "officer",
        "head",
        "supervisor",
        "followup",
    ] {
        let t = s.login(user).await;
        for path in [
            "/accountability".to_owned(),
            format!("/accountability/{rid}"),
        ] {
            let (st, err) = s.get(Some(&t), &path).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{user} {path}: {err}");
            assert_eq!(err["code"], "ACCOUNTABILITY_FORBIDDEN", "{user}");
        }
        let (st, err) = s
            .post(
                Some(&t),
                &format!("/accountability/{rid}/steps"),
                &json!({"step": {"type": "dismiss", "reason": "无"}}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{user}: {err}");
        assert_eq!(err["code"], "ACCOUNTABILITY_FORBIDDEN");
    }

    // The inspector establishes the facts; the record never shows through the case.
    let officer_id = {
        let d = get_ok(&s, &inspector, &format!("/accountability/{rid}")).await;
        let proposed: Vec<&Value> = d["officerOptions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["proposed"] == true)
            .collect();
        assert_eq!(proposed.len(), 1, "the reply's author is proposed: {d}");
        proposed[0]["id"].as_str().unwrap().to_owned()
    };
    let (st, body) = s
        .post(
            Some(&inspector),
            &format!("/accountability/{rid}/steps"),
            &json!({"step": {"type": "establish", "officers": [officer_id], "finding": FINDING}, "version": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["record"]["officers"][0]["name"], "民警 张伟");
    for user in ["officer", "head", "supervisor", "clerk", "admin"] {
        let t = s.login(user).await;
        for path in [
            format!("/cases/{true_one}"),
            format!("/cases/{true_one}/timeline"),
        ] {
            let (_, body) = s.get(Some(&t), &path).await;
            let text = body.to_string();
            assert!(
                !text.contains(&rid) && !text.contains(FINDING) && !text.contains("investigating"),
                "{user} {path} shows the record: {text}"
            );
        }
    }
    let officer = s.login("officer").await;
    let (st, page) = s.pull(&officer, "", 500).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let pulled = page.to_string();
    assert!(pulled.contains(&true_one), "the case itself is pulled");
    assert!(!pulled.contains(&rid) && !pulled.contains(FINDING));

    // The inspector reads 涉警投诉 city-wide, read-only, and nothing else.
    let (st, _) = s.get(Some(&inspector), &format!("/cases/{true_one}")).await;
    assert_eq!(st, StatusCode::OK);
    let clerk = s.login("clerk").await;
    let plain = s.intake(&clerk, "小区噪音扰民").await;
    let (st, _) = s.get(Some(&inspector), &format!("/cases/{plain}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, err) = s
        .act(
            &inspector,
            &true_one,
            json!({"type": "addNote", "text": "已阅"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{err}");

    // Audited: lists, reads and steps, by the record's id and never its content.
    let admin = s.login("admin").await;
    let audit = get_ok(&s, &admin, "/audit").await;
    let rows = audit.as_array().unwrap();
    let of = |action: &str| {
        rows.iter()
            .filter(|r| r["action"] == action)
            .collect::<Vec<_>>()
    };
    assert!(of("accountabilityList").len() >= 2);
    assert!(of("accountabilityRead")
        .iter()
        .any(|r| r["target"] == rid.as_str()));
    let steps = of("accountabilityStep");
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0]["target"], rid.as_str());
    assert_eq!(steps[0]["detail"], "establish");
    let text = audit.to_string();
    assert!(!text.contains(FINDING) && !text.contains(&true_one));
}

#[tokio::test]
async fn the_level_3_investigation_opens_a_record_once_and_the_trail_is_one_timeline() {
    let s = TestServer::start_at(bj("2026-12-07 09:00")).await;
    let inspector = s.login("inspector").await;
    let leader = s.login("leader").await;
    let followup = s.login("followup").await;
    let head = s.login("head").await;
    let dc = s.login("sup-dc").await;
    let answer = |sat: &str| json!({"type": "followUpAnswer", "satisfaction": sat, "channel": "phone", "note": null});
    let to_level3 = |id: String| {
        let (s, followup, head, leader) = (&s, &followup, &head, &leader);
        async move {
            s.act_ok(followup, &id, answer("unsatisfied")).await;
            s.act_ok(
                head,
                &id,
                json!({"type": "recordRehandle", "result": "所长带队上门说明"}),
            )
            .await;
            s.act_ok(followup, &id, answer("unsatisfied")).await;
            s.act_ok(
                leader,
                &id,
                json!({"type": "leaderSignOff", "opinion": "请督察支队调查"}),
            )
            .await;
            id
        }
    };
    let investigate = |verdict: Option<&str>| {
        let mut a = json!({"type": "recordInvestigation", "department": "督察", "finding": "经调查，民警存在推诿行为"});
        if let Some(v) = verdict {
            a["verdict"] = json!(v);
        }
        a
    };

    // Found untrue at sign-off, true at the investigation: opened then.
    let a = complaint_in_review(&s, "反映民警推诿不作为").await;
    sign_off(&s, &a, "unsubstantiated").await;
    assert_eq!(records(&s, &inspector, "").await["total"], 0);
    let a = to_level3(a).await;
    let (st, err) = s.act(&dc, &a, investigate(None)).await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a 涉警投诉's investigation says: {err}"
    );
    s.act_ok(&dc, &a, investigate(Some("partlySubstantiated")))
        .await;
    let list = records(&s, &inspector, "").await;
    let rec = record_of(&list, &a);
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0]["source"], "investigation");
    assert_eq!(rec[0]["verdict"], "partlySubstantiated");

    // Found true at sign-off and again at the investigation: still one record.
    let b = complaint_in_review(&s, "反映民警执法粗暴").await;
    sign_off(&s, &b, "substantiated").await;
    s.clock.set(bj("2026-12-08 10:00"));
    let b = to_level3(b).await;
    s.act_ok(&dc, &b, investigate(Some("substantiated"))).await;
    let list = records(&s, &inspector, "").await;
    assert_eq!(list["total"], 2);
    let rec = record_of(&list, &b);
    assert_eq!(rec.len(), 1, "idempotent per case");
    assert_eq!(rec[0]["source"], "signOff");
    let rid = rec[0]["id"].as_str().unwrap().to_owned();

    // The trail from complaint to decision is one timeline.
    let officer_id = get_ok(&s, &inspector, &format!("/accountability/{rid}")).await
        ["officerOptions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let step = |body: Value| {
        let (s, rid) = (&s, &rid);
        async move {
            s.post(
                Some(body["token"].as_str().unwrap()),
                &format!("/accountability/{rid}/steps"),
                &body["req"],
            )
            .await
        }
    };
    s.clock.set(bj("2026-12-09 10:00"));
    let (st, _) = step(json!({"token": inspector, "req": {"step": {"type": "establish", "officers": [officer_id], "finding": FINDING}}})).await;
    assert_eq!(st, StatusCode::OK);
    // 记过 is the leader's; the inspector is refused.
    let demerit = json!({"type": "decide", "sanction": "demerit", "note": "给予记过处分"});
    let (st, err) = step(json!({"token": inspector, "req": {"step": demerit}})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{err}");
    assert_eq!(err["code"], "ACCOUNTABILITY_ROLE");
    let (st, err) = step(json!({"token": leader, "req": {"step": demerit, "version": 1}})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["code"], "STALE_VERSION");
    let (st, d) = step(json!({"token": leader, "req": {"step": demerit, "version": 2}})).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["record"]["state"], "decided");
    assert_eq!(d["record"]["decision"]["sanction"], "demerit");
    assert_eq!(d["record"]["decision"]["byName"], "市局领导 赵振华");
    assert!(d["record"]["decision"]["at"].is_string());
    let (st, err) =
        step(json!({"token": leader, "req": {"step": {"type": "dismiss", "reason": "x"}}})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(err["code"], "ACCOUNTABILITY_STEP");
    assert_eq!(d["chainValid"], true);
    assert_eq!(d["allowedSteps"], json!([]));
    let kinds: Vec<(&str, &str)> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["source"].as_str().unwrap(), t["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds.first(), Some(&("case", "intake")));
    let pos = |k: (&str, &str)| kinds.iter().position(|x| *x == k).unwrap_or(usize::MAX);
    assert!(
        pos(("case", "approve")) < pos(("accountability", "open")),
        "{kinds:?}"
    );
    assert!(pos(("accountability", "open")) < pos(("case", "recordInvestigation")));
    assert!(pos(("case", "recordInvestigation")) < pos(("accountability", "establish")));
    assert_eq!(kinds.last(), Some(&("accountability", "decide")));
}

async fn run_worker(s: &TestServer) {
    let st = s.state.clone();
    tokio::task::spawn_blocking(move || minsheng_server::assessment::run_once(&st))
        .await
        .expect("join")
        .expect("run_once");
}

fn row<'a>(board: &'a Value, key: &str, id: &str) -> &'a Value {
    board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[key] == id)
        .unwrap_or_else(|| panic!("no row {id}: {board}"))
}

#[tokio::test]
async fn each_decided_record_deducts_the_admins_weight_from_unit_and_officer() {
    let s = TestServer::start_at(bj("2026-12-07 09:00")).await;
    let admin = s.login("admin").await;
    let inspector = s.login("inspector").await;
    let leader = s.login("leader").await;
    let mut w = get_ok(&s, &admin, "/assessment/weights").await;
    w["minVolume"] = json!(0);
    w["deductPerAccountability"] = json!(7.5);
    let (st, body) = s.put(Some(&admin), "/assessment/weights", &w).await;
    assert_eq!(st, StatusCode::OK, "{body}");

    let mut ids = Vec::new();
    for title in ["反映民警态度粗暴", "反映民警吃拿卡要", "反映民警推诿"] {
        let id = complaint_in_review(&s, title).await;
        sign_off(&s, &id, "substantiated").await;
        ids.push(id);
    }
    run_worker(&s).await;
    let qcl = s.unit("JN-LX-QCL");
    let scores = |level: &'static str| {
        let (s, leader) = (&s, &leader);
        async move {
            get_ok(
                s,
                leader,
                &format!("/assessment/scores?period=week&date=2026-12-07&level={level}"),
            )
            .await
        }
    };
    let before_unit = row(&scores("station").await, "unitId", &qcl)["score"]
        .as_f64()
        .unwrap();
    let board = scores("officer").await;
    let officer_row = board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["officerName"] == "民警 张伟")
        .expect("the officer's row")
        .clone();
    let officer_id = officer_row["officerId"].as_str().unwrap().to_owned();
    let before_officer = officer_row["score"].as_f64().unwrap();

    // Two decided (one by the inspector, one by the leader), one not to be pursued.
    let list = records(&s, &inspector, "").await;
    let decisions = [("criticalEducation", &inspector), ("warning", &leader)];
    for (i, case) in ids.iter().enumerate() {
        let rid = record_of(&list, case)[0]["id"].as_str().unwrap().to_owned();
        let path = format!("/accountability/{rid}/steps");
        let (st, b) = s
            .post(
                Some(&inspector),
                &path,
                &json!({"step": {"type": "establish", "officers": [officer_id], "finding": FINDING}}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{b}");
        let (who, step) = match decisions.get(i) {
            Some((sanction, who)) => (
                *who,
                json!({"type": "decide", "sanction": sanction, "note": "依纪处理"}),
            ),
            None => (
                &leader,
                json!({"type": "dismiss", "reason": "系工作机制问题，非民警个人责任"}),
            ),
        };
        let (st, b) = s.post(Some(who), &path, &json!({"step": step})).await;
        assert_eq!(st, StatusCode::OK, "{b}");
    }
    let decided = records(&s, &leader, "&state=decided").await;
    assert_eq!(decided["total"], 2);
    assert_eq!(decided["officerCounts"][0]["decided"], 2);

    // Weight × records, from both the facts and the timelines.
    let expected = 7.5 * 2.0;
    for source in ["", "&source=timeline"] {
        let unit = get_ok(
            &s,
            &leader,
            &format!("/assessment/scores?period=week&date=2026-12-07&level=station{source}"),
        )
        .await;
        let r = row(&unit, "unitId", &qcl);
        assert_eq!(r["counts"]["accountability"], 2, "{r}");
        let after = r["score"].as_f64().unwrap();
        assert!(
            (before_unit - after - expected).abs() < 1e-9,
            "{before_unit} → {after}"
        );
    }
    let board = scores("officer").await;
    let after_officer = row(&board, "officerId", &officer_id)["score"]
        .as_f64()
        .unwrap();
    assert!((before_officer - after_officer - expected).abs() < 1e-9);
    // The explanation lists the complaints behind the deduction, not the records.
    let ex = get_ok(
        &s,
        &leader,
        &format!(
            "/assessment/explain?period=week&date=2026-12-07&unit={qcl}&metric=accountability"
        ),
    )
    .await;
    assert_eq!(ex["total"], 2, "{ex}");
    let mut explained: Vec<String> = ex["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["caseId"].as_str().unwrap().to_owned())
        .collect();
    explained.sort();
    let mut want = ids[..2].to_vec();
    want.sort();
    assert_eq!(explained, want);
    assert!(!ex.to_string().contains(FINDING));
}
