//! Configuration as data (SPEC §10, admin-console issue): the holiday calendar per year
//! and the SLA rules live in the server's database, admins change them through the API
//! (audited with before/after), every role reads them, a change reaches clients with
//! the pull, an SLA change applies to cases dispatched after it, and a deadline that
//! crosses into a year without a calendar says so instead of guessing.
//!
//! Expected deadlines are counted by hand from SPEC §4 (office hours 09:00–17:00, a
//! working day = 8 working hours) in the comments next to them.

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer, SYNC_CLIENT, SYNC_SCHEMA};

const ROLES: [&str; 8] = [
    "admin",
    "clerk",
    "leader",
    "supervisor",
    "head",
    "officer",
    "officer2",
    "followup",
];

/// Test data of the shape the State Council publishes (NOT the official schedules):
/// 2027 with 1 January off; 2028 with 1–3 January off.
fn year_2027() -> Value {
    json!({"year": 2027, "source": "测试数据", "holidays": [{"name": "元旦", "dates": ["2027-01-01"]}]})
}
fn year_2028() -> Value {
    json!({"year": 2028, "source": "测试数据",
           "holidays": [{"name": "元旦", "dates": ["2028-01-01", "2028-01-02", "2028-01-03"]}]})
}

fn local(v: &Value) -> String {
    let t: chrono::DateTime<chrono::Utc> = serde_json::from_value(v.clone()).expect("instant");
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn default_sla() -> Value {
    json!({
        "signInHours": {"普通": 8, "紧急": 4, "特急": 1},
        "replyDaysByUrgency": {"紧急": 3, "特急": 1},
        "replyDaysByType": {"咨询": 3, "求助": 5, "投诉": 5, "举报": 5, "建议": 3, "表扬": 3},
        "warnPercent": 25,
        "followUpTaskDays": 5
    })
}

async fn dispatched(ts: &TestServer, clerk: &str, title: &str) -> Value {
    let id = ts.intake(clerk, title).await;
    ts.act_ok(clerk, &id, ts.dispatch("JN-LX-QCL", "噪音扰民", json!({})))
        .await
}

#[tokio::test]
async fn every_role_reads_only_admins_write() {
    let ts = TestServer::start_at(bj("2026-03-02 09:00")).await;
    for role in ROLES {
        let t = ts.login(role).await;
        let (st, body) = ts.get(Some(&t), "/config").await;
        assert_eq!(st, StatusCode::OK, "{role}: {body}");
        let years: Vec<i64> = body["holidayYears"]
            .as_array()
            .unwrap()
            .iter()
            .map(|y| y["year"].as_i64().unwrap())
            .collect();
        assert_eq!(years[..2], [2025, 2026], "{role}");
        assert_eq!(
            body["sla"][0]["rules"],
            default_sla(),
            "{role}: SPEC §4 defaults"
        );
        let (st, body) = ts.put(Some(&t), "/config/sla", &default_sla()).await;
        let (st2, body2) = ts
            .put(Some(&t), "/config/calendar/2027", &year_2027())
            .await;
        if role == "admin" {
            assert_eq!(st, StatusCode::OK, "{body}");
            assert_eq!(st2, StatusCode::OK, "{body2}");
        } else {
            for (st, body) in [(st, body), (st2, body2)] {
                assert_eq!(st, StatusCode::FORBIDDEN, "{role}: {body}");
                assert_eq!(body["code"], "FORBIDDEN");
            }
        }
    }
    let (st, body) = ts.get(None, "/config").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn an_sla_change_applies_to_cases_dispatched_after_it() {
    let ts = TestServer::start_at(bj("2026-03-02 09:00")).await; // Monday
    let (admin, clerk) = (ts.login("admin").await, ts.login("clerk").await);
    let before = dispatched(&ts, &clerk, "改规则前派发的投诉").await;
    // 投诉: 5 working days from Mon 09:00 → Fri 2026-03-06 17:00.
    assert_eq!(local(&before["deadlines"]["reply"]), "2026-03-06 17:00");

    let mut stricter = default_sla();
    stricter["replyDaysByType"]["投诉"] = json!(2);
    stricter["signInHours"]["普通"] = json!(2);
    ts.clock.set(bj("2026-03-02 10:00"));
    let (st, v) = ts.put(Some(&admin), "/config/sla", &stricter).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    assert_eq!(local(&v["effectiveFrom"]), "2026-03-02 10:00");

    let after = dispatched(&ts, &clerk, "改规则后派发的投诉").await;
    // From 10:00: 2 working days = 16 h → Tue 2026-03-03 18:00 does not exist, so
    // Mon 10:00–17:00 (7 h) + Tue 09:00–17:00 (8 h) + Wed 09:00–10:00 (1 h).
    assert_eq!(local(&after["deadlines"]["reply"]), "2026-03-04 10:00");
    // Sign-in: 2 working hours → 12:00.
    assert_eq!(local(&after["deadlines"]["signIn"]), "2026-03-02 12:00");
    // The case dispatched before keeps what it was held to.
    let (_, again) = ts
        .get(
            Some(&clerk),
            &format!("/cases/{}", before["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(local(&again["deadlines"]["reply"]), "2026-03-06 17:00");

    // Both editions are listed, the new one last; the audit row has before and after.
    let (_, cfg) = ts.get(Some(&clerk), "/config").await;
    assert_eq!(cfg["sla"].as_array().unwrap().len(), 2, "{cfg}");
    assert_eq!(cfg["sla"][1]["rules"], stricter);
    let (_, audit) = ts.get(Some(&admin), "/audit").await;
    let row = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "putSlaRules")
        .expect("audited");
    let detail: Value = serde_json::from_str(row["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["before"], default_sla(), "{detail}");
    assert_eq!(detail["after"], stricter, "{detail}");
}

#[tokio::test]
async fn bad_configuration_is_refused_whole_with_a_chinese_message() {
    let ts = TestServer::start_at(bj("2026-03-02 09:00")).await;
    let admin = ts.login("admin").await;
    let (_, before) = ts.get(Some(&admin), "/config").await;

    let mut zero = default_sla();
    zero["signInHours"]["特急"] = json!(0);
    let mut negative = default_sla();
    negative["replyDaysByType"]["咨询"] = json!(-3);
    let mut missing = default_sla();
    missing["replyDaysByType"]
        .as_object_mut()
        .unwrap()
        .remove("表扬");
    for (what, body, names) in [
        ("0 hours", zero, "特急"),
        ("negative days", negative, "咨询"),
        ("a request type without a deadline", missing, "表扬"),
    ] {
        let (st, e) = ts.put(Some(&admin), "/config/sla", &body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {e}");
        assert_eq!(e["code"], "INVALID_FIELD", "{what}: {e}");
        let msg = e["message"].as_str().unwrap();
        assert!(
            msg.contains(names),
            "{what}: the message names the entry: {msg}"
        );
    }
    let (st, e) = ts
        .put(Some(&admin), "/config/sla", &json!({"signInHours": "很快"}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");

    let overlap = json!({"year": 2027, "holidays": [
        {"name": "元旦", "dates": ["2027-01-01", "2027-01-02"]},
        {"name": "假期", "dates": ["2027-01-02"]}]});
    let weekday_makeup = json!({"year": 2027, "holidays": [{"name": "元旦", "dates": ["2027-01-01"]}],
        "makeupWorkdays": ["2027-01-04"]}); // a Monday
    let holiday_makeup = json!({"year": 2027, "holidays": [{"name": "元旦", "dates": ["2027-01-02"]}],
        "makeupWorkdays": ["2027-01-02"]});
    let other_year = json!({"year": 2027, "holidays": [{"name": "元旦", "dates": ["2028-01-01"]}]});
    for (what, body, names) in [
        ("overlapping holidays", overlap, "2027-01-02"),
        ("a make-up day on a weekday", weekday_makeup, "2027-01-04"),
        (
            "a holiday that is a make-up day",
            holiday_makeup,
            "2027-01-02",
        ),
        ("a date of another year", other_year, "2028-01-01"),
    ] {
        let (st, e) = ts.put(Some(&admin), "/config/calendar/2027", &body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {e}");
        assert_eq!(e["code"], "INVALID_CALENDAR", "{what}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(names),
            "{what}: {e}"
        );
    }
    let (st, e) = ts
        .put(Some(&admin), "/config/calendar/2028", &year_2027())
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["code"], "CALENDAR_YEAR_MISMATCH");
    let (st, e) = ts
        .put(Some(&admin), "/config/calendar/abc", &year_2027())
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");

    // Nothing of any of it was written.
    let (_, after) = ts.get(Some(&admin), "/config").await;
    assert_eq!(after, before);
}

/// The year boundary of the admin-console issue: received 2027-12-30 (Thursday), a
/// complaint with 5 working days over the 2028 New Year holiday.
#[tokio::test]
async fn a_deadline_into_a_year_without_calendar_is_marked_not_guessed() {
    let ts = TestServer::start_at(bj("2027-12-30 09:00")).await;
    let (admin, clerk) = (ts.login("admin").await, ts.login("clerk").await);
    let (st, cfg) = ts
        .put(Some(&admin), "/config/calendar/2027", &year_2027())
        .await;
    assert_eq!(st, StatusCode::OK, "{cfg}");
    // December: 2028 is needed and missing.
    assert_eq!(cfg["calendarWarning"]["year"], 2028, "{cfg}");
    let (_, dash) = ts.get(Some(&clerk), "/dashboard").await;
    assert_eq!(dash["calendarWarning"]["year"], 2028, "{dash}");

    let without = dispatched(&ts, &clerk, "跨年投诉（无2028日历）").await;
    assert_eq!(without["deadlines"]["calendarMissing"], 2028, "{without}");

    let (st, cfg) = ts
        .put(Some(&admin), "/config/calendar/2028", &year_2028())
        .await;
    assert_eq!(st, StatusCode::OK, "{cfg}");
    assert!(cfg["calendarWarning"].is_null(), "{cfg}");
    let with = dispatched(&ts, &clerk, "跨年投诉（有2028日历）").await;
    assert!(with["deadlines"].get("calendarMissing").is_none(), "{with}");
    // Thu 12-30 and Fri 12-31 (16 h), Sat–Mon 1-1..1-3 off, Tue–Thu 1-4..1-6 (24 h).
    assert_eq!(local(&with["deadlines"]["reply"]), "2028-01-06 17:00");
    // Sign-in within one working day: the same day 17:00.
    assert_eq!(local(&with["deadlines"]["signIn"]), "2027-12-30 17:00");
}

#[tokio::test]
async fn admins_are_told_once_when_next_years_calendar_is_missing() {
    let ts = TestServer::start_at(bj("2026-10-31 10:00")).await;
    let admin = ts.login("admin").await;
    let count = |body: &Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "calendarMissing")
            .count()
    };
    minsheng_server::notify::run_once(&ts.state).await.unwrap();
    let (_, n) = ts.get(Some(&admin), "/notifications").await;
    assert_eq!(count(&n), 0, "not before 1 November: {n}");
    ts.clock.set(bj("2026-11-01 10:00"));
    minsheng_server::notify::run_once(&ts.state).await.unwrap();
    minsheng_server::notify::run_once(&ts.state).await.unwrap();
    let (_, n) = ts.get(Some(&admin), "/notifications").await;
    assert_eq!(count(&n), 1, "once, after two passes: {n}");
    let officer = ts.login("officer").await;
    let (_, n) = ts.get(Some(&officer), "/notifications").await;
    assert_eq!(count(&n), 0, "admins only: {n}");
    // Entered, the warning is gone.
    let (st, _) = ts
        .put(Some(&admin), "/config/calendar/2027", &year_2027())
        .await;
    assert_eq!(st, StatusCode::OK);
    let (_, cfg) = ts.get(Some(&admin), "/config").await;
    assert!(cfg["calendarWarning"].is_null(), "{cfg}");
}

#[tokio::test]
async fn the_pull_carries_the_configuration_only_when_it_changed() {
    let ts = TestServer::start_at(bj("2026-03-02 09:00")).await;
    let (admin, officer) = (ts.login("admin").await, ts.login("officer").await);
    let pull = |held: Option<i64>| {
        let q = held.map_or(String::new(), |v| format!("&configVersion={v}"));
        let path = format!("/sync/pull?limit=10{q}");
        let ts = &ts;
        let officer = officer.clone();
        async move {
            ts.get_as_client(Some(&officer), &path, SYNC_CLIENT, SYNC_SCHEMA)
                .await
        }
    };
    let (st, first) = pull(None).await;
    assert_eq!(st, StatusCode::OK, "{first}");
    let v = first["config"]["version"]
        .as_i64()
        .expect("sent without a version");
    assert_eq!(first["config"]["holidayYears"].as_array().unwrap().len(), 2);
    let (_, same) = pull(Some(v)).await;
    assert!(same.get("config").is_none(), "unchanged: not sent again");
    let (st, _) = ts
        .put(Some(&admin), "/config/calendar/2027", &year_2027())
        .await;
    assert_eq!(st, StatusCode::OK);
    let (_, changed) = pull(Some(v)).await;
    let v2 = changed["config"]["version"].as_i64().unwrap();
    assert!(v2 > v);
    assert_eq!(changed["config"]["holidayYears"][2]["year"], 2027);
    // A new colleague is a change of the directory clients hold: the version moves, so
    // the desktop reads its unit's people again.
    let (st, u) = ts
        .post(
            Some(&admin),
            "/users",
            &json!({"username": "new-colleague", "displayName": "新同事", "role": "officer",
                    "unitId": ts.unit("JN-LX-QCL"), "password": "Colleague@2026"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    let (_, after_user) = pull(Some(v2)).await;
    assert!(
        after_user["config"]["version"].as_i64().unwrap() > v2,
        "{after_user}"
    );
}

#[tokio::test]
async fn the_category_list_is_one_list_the_server_checks() {
    let ts = TestServer::start_at(bj("2026-03-02 09:00")).await;
    let (admin, clerk) = (ts.login("admin").await, ts.login("clerk").await);
    let change = |body: Value| {
        let ts = &ts;
        let admin = admin.clone();
        async move { ts.post(Some(&admin), "/config/categories", &body).await }
    };
    // Not in the list: refused at dispatch with a stable code and a Chinese message.
    let id = ts.intake(&clerk, "校园周边交通秩序混乱").await;
    let (st, e) = ts
        .act(&clerk, &id, ts.dispatch("JN-LX-QCL", "校园安全", json!({})))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["code"], "CATEGORY_UNKNOWN");
    assert!(e["message"].as_str().unwrap().contains("校园安全"), "{e}");

    let (st, cfg) = change(json!({"op": "add", "name": "校园安全"})).await;
    assert_eq!(st, StatusCode::OK, "{cfg}");
    assert_eq!(
        cfg["categories"].as_array().unwrap().last().unwrap()["name"],
        "校园安全"
    );
    ts.act_ok(&clerk, &id, ts.dispatch("JN-LX-QCL", "校园安全", json!({})))
        .await;

    // Renamed: the old name stays (retired, pointing to the new one) for old cases.
    let (st, cfg) = change(json!({"op": "rename", "from": "车驾管", "to": "车辆驾驶人管理"})).await;
    assert_eq!(st, StatusCode::OK, "{cfg}");
    let list = cfg["categories"].as_array().unwrap();
    let old = list.iter().find(|c| c["name"] == "车驾管").unwrap();
    assert_eq!(old["retired"], true);
    assert_eq!(old["renamedTo"], "车辆驾驶人管理");
    assert!(list
        .iter()
        .any(|c| c["name"] == "车辆驾驶人管理" && c["retired"] == false));

    // Retired: still accepted from a client that chose it before (offline), not offered.
    let (st, _) = change(json!({"op": "retire", "name": "校园安全", "retired": true})).await;
    assert_eq!(st, StatusCode::OK);
    let late = ts.intake(&clerk, "离线时已选类别的诉求").await;
    ts.act_ok(
        &clerk,
        &late,
        ts.dispatch("JN-LX-QCL", "校园安全", json!({})),
    )
    .await;

    // Bad changes: a clear code, nothing written.
    let (_, before) = ts.get(Some(&admin), "/config").await;
    for (body, code) in [
        (
            json!({"op": "add", "name": "噪音扰民"}),
            "INVALID_CATEGORIES",
        ),
        (json!({"op": "add", "name": "  "}), "INVALID_CATEGORIES"),
        (
            json!({"op": "rename", "from": "无此类别", "to": "新类别"}),
            "INVALID_CATEGORIES",
        ),
        (
            json!({"op": "rename", "from": "车驾管", "to": "再改名"}),
            "INVALID_CATEGORIES",
        ),
    ] {
        let (st, e) = change(body.clone()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert_eq!(e["code"], code, "{body}: {e}");
    }
    let (st, _) = change(json!({"op": "remove", "name": "噪音扰民"})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "there is no removing");
    let (st, e) = ts
        .post(
            Some(&clerk),
            "/config/categories",
            &json!({"op": "add", "name": "甲"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{e}");
    let (_, after) = ts.get(Some(&admin), "/config").await;
    assert_eq!(after["categories"], before["categories"]);
    assert_eq!(after["version"], before["version"]);

    // Each accepted change is audited with the list before and after.
    let (_, audit) = ts.get(Some(&admin), "/audit").await;
    let rows: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "changeCategory")
        .collect();
    assert_eq!(rows.len(), 3, "{audit}");
}
