//! Whole-case scenarios over real HTTP against a real server and SQLite file.

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

fn state(v: &Value) -> &str {
    v["state"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn full_lifecycle_through_every_follow_up_level() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let head = s.login("head").await;
    let supervisor = s.login("supervisor").await;
    let leader = s.login("leader").await;
    let followup = s.login("followup").await;
    let inspector = s.login("sup-dc").await;

    let id = s.intake(&clerk, "小区门口夜间聚集酗酒滋事").await;
    let v = s
        .act_ok(&clerk, &id, s.dispatch("JN-LX-QCL", "治安管理", json!({})))
        .await;
    assert_eq!(state(&v), "pendingSignIn");
    assert!(v["number"].as_str().unwrap().starts_with("MS20261123"));
    // 1 working day (8 office hours) to sign in, 5 to reply (投诉), from 09:00 Monday
    // Beijing time: Monday 17:00 and Friday 17:00.
    assert_eq!(v["deadlines"]["signIn"], json!("2026-11-23T09:00:00Z"));
    assert_eq!(v["deadlines"]["reply"], json!("2026-11-27T09:00:00Z"));

    s.clock.set(bj("2026-11-23 10:00"));
    assert_eq!(
        state(&s.act_ok(&officer, &id, json!({"type": "signIn"})).await),
        "inProgress"
    );
    s.act_ok(
        &officer,
        &id,
        json!({"type": "submitReply", "text": "已加强夜间巡逻并约谈相关人员。"}),
    )
    .await;
    let v = s
        .act_ok(&head, &id, json!({"type": "approve", "comment": "同意"}))
        .await;
    assert_eq!(state(&v), "completed");
    assert_eq!(v["followUp"]["level"], json!("l1"));

    // L1 unsatisfied -> L2 re-handling by the unit head; an answer before re-handling is refused.
    let answer = |sat: &str| json!({"type": "followUpAnswer", "satisfaction": sat, "channel": "sms", "note": null});
    assert_eq!(
        state(&s.act_ok(&followup, &id, answer("unsatisfied")).await),
        "followUpL2"
    );
    let (st, err) = s.act(&followup, &id, answer("satisfied")).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(err["code"], "NOT_AWAITING_ANSWER");
    s.act_ok(
        &head,
        &id,
        json!({"type": "recordRehandle", "result": "所长带队上门，当面说明处理结果"}),
    )
    .await;

    // L2 unsatisfied -> L3: leader sign-off and 督察 investigation, then the citizen answers again.
    assert_eq!(
        state(&s.act_ok(&followup, &id, answer("unsatisfied")).await),
        "followUpL3"
    );
    s.act_ok(
        &leader,
        &id,
        json!({"type": "leaderSignOff", "opinion": "请督察支队调查"}),
    )
    .await;
    s.act_ok(&inspector, &id, json!({"type": "recordInvestigation", "department": "督察", "finding": "处置及时，程序合规"})).await;

    // L3 unsatisfied -> 疑难督办: supervision notice by the branch supervisor, 终结 by the leader.
    assert_eq!(
        state(&s.act_ok(&followup, &id, answer("unsatisfied")).await),
        "difficultSupervision"
    );
    s.act_ok(
        &supervisor,
        &id,
        json!({"type": "supervisionNotice", "notice": "列入疑难督办，专题研究"}),
    )
    .await;
    let v = s
        .act_ok(
            &leader,
            &id,
            json!({"type": "conclude", "decision": "经专题研究，依法终结"}),
        )
        .await;
    assert_eq!(state(&v), "concluded");
    assert!(v["allowedActions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a == "addNote"));

    let (st, tl) = s.get(Some(&leader), &format!("/cases/{id}/timeline")).await;
    assert_eq!(st, StatusCode::OK);
    let kinds: Vec<&str> = tl
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "intake",
            "dispatch",
            "signIn",
            "submitReply",
            "approve",
            "followUpAnswer",
            "recordRehandle",
            "followUpAnswer",
            "leaderSignOff",
            "recordInvestigation",
            "followUpAnswer",
            "supervisionNotice",
            "conclude"
        ]
    );
    assert_eq!(v["version"], json!(kinds.len()));
    let (_, report) = s
        .get(Some(&leader), &format!("/cases/{id}/timeline/verify"))
        .await;
    assert_eq!(report["valid"], json!(true), "{report}");
    assert_eq!(report["entries"], json!(13));
}

#[tokio::test]
async fn satisfied_at_first_follow_up_archives() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let head = s.login("head").await;
    let followup = s.login("followup").await;
    let id = s.intake(&clerk, "咨询身份证补办流程").await;
    s.act_ok(&clerk, &id, s.dispatch("JN-LX-QCL", "户政管理", json!({})))
        .await;
    s.act_ok(&officer, &id, json!({"type": "signIn"})).await;
    s.act_ok(
        &officer,
        &id,
        json!({"type": "submitReply", "text": "携带户口簿到户籍窗口办理。"}),
    )
    .await;
    s.act_ok(&head, &id, json!({"type": "approve"})).await;
    // Before the follow-up, the follow-up agent sees it; afterwards it is archived.
    let v = s
        .act_ok(&followup, &id, json!({"type": "followUpAnswer", "satisfaction": "basicallySatisfied", "channel": "phone"}))
        .await;
    assert_eq!(state(&v), "archived");
    assert!(v["closedAt"].is_string());
}

#[tokio::test]
async fn return_then_redispatch_to_the_right_station() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let officer2 = s.login("officer2").await;
    let id = s.intake(&clerk, "大观园附近商户占道经营").await;
    s.act_ok(&clerk, &id, s.dispatch("JN-LX-QCL", "治安管理", json!({})))
        .await;

    // 退办 needs a reason; then the case is back with the clerk and gone from the station.
    let (st, err) = s
        .act(&officer, &id, json!({"type": "return", "reason": "  "}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["code"], "INVALID_FIELD");
    let v = s
        .act_ok(
            &officer,
            &id,
            json!({"type": "return", "reason": "地址属于市中区大观园辖区"}),
        )
        .await;
    assert_eq!(state(&v), "pendingAcceptance");
    assert_eq!(v["returnCount"], json!(1));
    let (st, _) = s.get(Some(&officer), &format!("/cases/{id}")).await;
    assert_eq!(
        st,
        StatusCode::NOT_FOUND,
        "the returning station no longer sees the case"
    );

    let v = s
        .act_ok(&clerk, &id, s.dispatch("JN-SZ-DGY", "治安管理", json!({})))
        .await;
    assert_eq!(state(&v), "pendingSignIn");
    assert_eq!(v["handlingUnitName"], json!("大观园派出所"));
    let v = s.act_ok(&officer2, &id, json!({"type": "signIn"})).await;
    assert_eq!(state(&v), "inProgress");
    let (_, tl) = s.get(Some(&clerk), &format!("/cases/{id}/timeline")).await;
    let returned = tl
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "return")
        .unwrap();
    assert_eq!(
        returned["detail"]["reason"],
        json!("地址属于市中区大观园辖区")
    );
    assert_eq!(returned["actorRole"], json!("officer"));
}

#[tokio::test]
async fn sensitive_case_is_not_published_before_second_sign_off() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let head = s.login("head").await;
    let supervisor = s.login("supervisor").await;
    let other_supervisor = s.login("sup-sz").await;
    let followup = s.login("followup").await;

    let id = s.intake(&clerk, "投诉民警出警态度恶劣").await;
    s.act_ok(
        &clerk,
        &id,
        s.dispatch(
            "JN-LX-QCL",
            "民警作风与执法",
            json!({"policeComplaint": true}),
        ),
    )
    .await;
    s.act_ok(&officer, &id, json!({"type": "signIn"})).await;
    s.act_ok(
        &officer,
        &id,
        json!({"type": "submitReply", "text": "经调查，已对涉事民警批评教育。"}),
    )
    .await;

    // A supervisor cannot sign before the unit head.
    let (st, err) = s.act(&supervisor, &id, json!({"type": "approve"})).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("SIGN_OFF_ORDER"))
    );
    let v = s
        .act_ok(&head, &id, json!({"type": "approve", "comment": "同意"}))
        .await;
    assert_eq!(
        state(&v),
        "pendingReview",
        "one signature is not enough for 涉警投诉"
    );
    assert!(v["completedAt"].is_null());
    // Not published: the follow-up agent cannot see it, and no follow-up can be recorded.
    let (st, _) = s.get(Some(&followup), &format!("/cases/{id}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // A supervisor of another branch is out of scope.
    let (st, _) = s
        .act(&other_supervisor, &id, json!({"type": "approve"}))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    let v = s
        .act_ok(
            &supervisor,
            &id,
            // The final sign-off of a 涉警投诉 states whether it is true (issue 19).
            json!({"type": "approve", "comment": "同意答复", "verdict": "unsubstantiated"}),
        )
        .await;
    assert_eq!(state(&v), "completed");
    let steps: Vec<&str> = v["signOffs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["unitHead", "superior"]);
}

#[tokio::test]
async fn overdue_is_counted_in_working_days_across_national_day() {
    // Dispatched Wednesday 2026-09-30 16:00; a 咨询 has 3 working days = 24 office hours.
    // Oct 1–7 are holidays and Saturday Oct 10 is a 调休 working day: 1h on 9/30, 8h on
    // 10/8, 8h on 10/9 and 7h on 10/10, so the deadline is Sat Oct 10 16:00 (not Oct 3).
    let s = TestServer::start_at(bj("2026-09-30 16:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let head = s.login("head").await;
    let id = s.intake(&clerk, "咨询出租屋登记流程").await;
    let mut d = s.dispatch("JN-LX-QCL", "治安管理", json!({}));
    d["requestType"] = json!("咨询");
    let v = s.act_ok(&clerk, &id, d).await;
    assert_eq!(v["deadlines"]["reply"], json!("2026-10-10T08:00:00Z"));
    s.act_ok(&officer, &id, json!({"type": "signIn"})).await;

    let overdue_ids = |body: Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for (at, overdue, due_soon) in [
        ("2026-10-05 12:00", false, false), // holiday: no working time passes
        ("2026-10-09 17:00", false, false), // 7 working hours left
        ("2026-10-10 11:00", false, true),  // 5h left: inside the last 25 % (6h)
        ("2026-10-11 10:00", true, false),  // Sunday after the deadline
    ] {
        s.clock.set(bj(at));
        let (_, counts) = s.get(Some(&head), "/worklists").await;
        assert_eq!(
            counts["overdue"],
            json!(u64::from(overdue)),
            "{at}: {counts}"
        );
        assert_eq!(
            counts["dueSoon"],
            json!(u64::from(due_soon)),
            "{at}: {counts}"
        );
        let (_, list) = s.get(Some(&head), "/cases?overdue=true").await;
        assert_eq!(overdue_ids(list).contains(&id), overdue, "{at}");
        let (_, one) = s.get(Some(&head), &format!("/cases/{id}")).await;
        assert_eq!(
            one["lists"].as_array().unwrap().contains(&json!("overdue")),
            overdue,
            "{at}"
        );
    }
}

#[tokio::test]
async fn tampering_with_the_timeline_is_detected() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let id = s.intake(&clerk, "举报网吧接纳未成年人").await;
    s.act_ok(&clerk, &id, s.dispatch("JN-LX-QCL", "治安管理", json!({})))
        .await;
    s.act_ok(&officer, &id, json!({"type": "signIn"})).await;
    let (_, ok) = s
        .get(Some(&clerk), &format!("/cases/{id}/timeline/verify"))
        .await;
    assert_eq!(ok["valid"], json!(true));

    // The database refuses edits of the append-only table...
    let mut conn = s.raw_sql();
    let refused = conn.exec(&format!(
        "UPDATE timeline SET data = replace(data, '签收', 'x') WHERE case_id = '{id}'"
    ));
    assert!(refused.is_err(), "timeline rows must not be updatable");
    // ...and someone who bypasses that (dropping the trigger) is caught by the hash chain.
    let (drop_guard, edit) = if s.is_postgres() {
        (
            "DROP TRIGGER timeline_no_change ON timeline",
            "jsonb_set(data::jsonb, '{actorName}', '\"别人\"')::text",
        )
    } else {
        (
            "DROP TRIGGER timeline_no_update",
            "json_set(data, '$.actorName', '别人')",
        )
    };
    conn.exec(drop_guard).unwrap();
    conn.exec(&format!(
        "UPDATE timeline SET data = {edit} WHERE case_id = '{id}' AND seq = 2"
    ))
    .unwrap();
    let (_, bad) = s
        .get(Some(&clerk), &format!("/cases/{id}/timeline/verify"))
        .await;
    assert_eq!(bad["valid"], json!(false));
    assert_eq!(bad["brokenAt"], json!(2));
}

#[tokio::test]
async fn home_visit_intake_stays_visible_to_the_recording_station() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let officer = s.login("officer").await;
    let officer2 = s.login("officer2").await;
    let clerk = s.login("clerk").await;
    let (st, v) = s
        .post(
            Some(&officer),
            "/cases",
            &json!({"channel": "入户走访", "requestType": "求助", "title": "独居老人反映门锁被撬",
                    "content": "走访中王大爷反映昨夜门锁被撬，家中未丢失财物，请求加强巡逻。",
                    "citizenName": "王大爷", "citizenPhone": "0531-86012345"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(state(&v), "pendingAcceptance");
    let (st, _) = s.get(Some(&officer), &format!("/cases/{id}")).await;
    assert_eq!(st, StatusCode::OK, "the recording officer keeps seeing it");
    let (_, list) = s.get(Some(&officer), "/cases?limit=50").await;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == json!(id)));
    let (st, _) = s.get(Some(&officer2), &format!("/cases/{id}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "another station does not");
    // A clerk dispatches it like any other request.
    s.act_ok(&clerk, &id, s.dispatch("JN-LX-QCL", "治安管理", json!({})))
        .await;
    let v = s.act_ok(&officer, &id, json!({"type": "signIn"})).await;
    assert_eq!(state(&v), "inProgress");
}

#[tokio::test]
async fn date_range_filters_in_a_scoped_list() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let early = s.intake(&clerk, "周一受理的噪音投诉").await;
    s.act_ok(
        &clerk,
        &early,
        s.dispatch("JN-LX-QCL", "噪音扰民", json!({})),
    )
    .await;
    s.clock.set(bj("2026-11-25 09:00"));
    let late = s.intake(&clerk, "周三受理的停车投诉").await;
    s.act_ok(
        &clerk,
        &late,
        s.dispatch("JN-LX-QCL", "治安管理", json!({})),
    )
    .await;
    let ids = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, v) = s
        .get(
            Some(&officer),
            "/cases?from=2026-11-24T00:00:00Z&to=2026-11-26T00:00:00Z",
        )
        .await;
    assert_eq!(ids(v), vec![late.clone()]);
    let (_, v) = s
        .get(Some(&officer), "/cases?to=2026-11-24T00:00:00Z")
        .await;
    assert_eq!(ids(v), vec![early.clone()]);
    let (_, v) = s
        .get(Some(&clerk), "/cases?from=2026-11-24T00:00:00Z")
        .await;
    assert_eq!(ids(v), vec![late]);
}
