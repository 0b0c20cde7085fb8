//! Intelligence on the server: suggestions and duplicate candidates at intake, bulk
//! import and on the dispatch screen; dispatch feedback and the accuracy endpoint;
//! training-data export for retraining; and a server without a model.
//!
//! The model is trained in-process from the NLP crate's 30-row fixture (same texts as
//! the messages below, districts written A1区 …, which the demo org knows as aliases).

#[path = "support/model.rs"]
mod model;
mod support;

use minsheng_nlp::dataset::read_records;
use minsheng_nlp::training::merge_history;
use model::{fixture, server_with_model};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

const PHONE: &str = "13812345678";

fn new_case(title: &str, content: &str, phone: &str, address: &str) -> Value {
    json!({
        "channel": "12345市长热线",
        "requestType": "投诉",
        "title": title,
        "content": content,
        "citizenName": "王女士",
        "citizenPhone": phone,
        "address": address,
        "district": "历下区"
    })
}

async fn intake(ts: &TestServer, token: &str, body: &Value) -> Value {
    let (st, v) = ts.post(Some(token), "/cases", body).await;
    assert_eq!(st, StatusCode::CREATED, "intake: {v}");
    v
}

fn noise_case(phone: &str) -> Value {
    new_case(
        "A1区小区楼下广场舞噪音扰民到深夜",
        "我住在A市A1区，小区楼下广场舞噪音扰民到深夜，已经持续很久了，希望有关部门尽快处理。",
        phone,
        "历下区泉城路街道某小区",
    )
}

fn dispatch(unit: &str, category: &str) -> Value {
    json!({
        "type": "dispatch",
        "handlingUnit": unit,
        "category": category,
        "requestType": "投诉",
        "urgency": "普通",
        "flags": {}
    })
}

#[tokio::test]
async fn intake_gets_suggestion_and_near_identical_second_intake_is_a_duplicate() {
    let (ts, _model) = server_with_model().await;
    let clerk = ts.login("clerk").await;

    let first = intake(&ts, &clerk, &noise_case(PHONE)).await;
    let s = &first["suggestion"];
    assert_eq!(s["policeRelated"], true, "{first}");
    assert_eq!(s["category"], "噪音扰民", "{s}");
    assert_eq!(s["requestType"], "投诉", "{s}");
    assert_eq!(s["modelVersion"], 1);
    let units = s["handlingUnits"].as_array().expect("units");
    assert!((1..=3).contains(&units.len()), "{s}");
    // Street 泉城路街道 in the address → that street's station, supervised by its branch.
    assert_eq!(units[0]["unitId"], ts.unit("JN-LX-QCL"), "{s}");
    assert_eq!(units[0]["unitName"], "泉城路派出所");
    assert_eq!(s["supervisingUnit"], ts.unit("JN-LX"), "{s}");
    assert!(s["supervisingUnitName"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    assert_eq!(first["duplicates"], json!([]), "nothing to match yet");
    // The usual case fields are still there.
    assert_eq!(first["state"], "pendingAcceptance");
    assert!(first["number"].as_str().is_some());

    // Same caller, nearly the same words.
    let mut again = noise_case(PHONE);
    again["content"] =
        json!("我住在A市A1区，小区楼下广场舞噪音扰民到深夜，已经持续很久了，请尽快处理！");
    let second = intake(&ts, &clerk, &again).await;
    let dups = second["duplicates"].as_array().expect("duplicates");
    assert_eq!(dups.len(), 1, "{second}");
    assert_eq!(dups[0]["caseId"], first["id"]);
    assert_eq!(dups[0]["number"], first["number"]);
    assert_eq!(dups[0]["title"], first["title"]);
    assert_eq!(dups[0]["samePhone"], true);
    assert_eq!(dups[0]["sameMatter"], true);
    assert!(dups[0]["score"].as_f64().unwrap() > 0.8, "{dups:?}");

    // The dispatch screen: full suggestion with evidence, candidates without itself.
    let id2 = second["id"].as_str().unwrap();
    let (st, v) = ts
        .get(Some(&clerk), &format!("/cases/{id2}/suggestions"))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["modelVersion"], 1);
    assert_eq!(v["suggestion"]["category"][0]["label"], "噪音扰民");
    assert_eq!(v["suggestion"]["street"], "泉城路街道");
    assert!(!v["suggestion"]["handlingUnits"][0]["reasons"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(v["supervisingUnitName"].as_str().is_some());
    let ids: Vec<&Value> = v["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["caseId"])
        .collect();
    assert_eq!(ids, [&first["id"]]);

    // Leader and admin may look; other roles may not; unknown ids are 404.
    let leader = ts.login("leader").await;
    let (st, _) = ts
        .get(Some(&leader), &format!("/cases/{id2}/suggestions"))
        .await;
    assert_eq!(st, StatusCode::OK);
    for user in ["officer", "supervisor", "followup"] {
        let t = ts.login(user).await;
        let (st, body) = ts.get(Some(&t), &format!("/cases/{id2}/suggestions")).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{user}: {body}");
        let (st, _) = ts.get(Some(&t), "/intelligence/accuracy").await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{user}");
    }
    let (st, _) = ts
        .get(
            Some(&clerk),
            "/cases/0190b6c5-0000-7000-8000-000000000000/suggestions",
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Once the second is merged into the first, it is no longer offered as a candidate.
    ts.act_ok(
        &clerk,
        id2,
        json!({"type": "linkDuplicate", "master": first["id"]}),
    )
    .await;
    let id1 = first["id"].as_str().unwrap();
    let (st, v) = ts
        .get(Some(&clerk), &format!("/cases/{id1}/suggestions"))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["duplicates"], json!([]), "{v}");
    let third = intake(&ts, &clerk, &again).await;
    let ids: Vec<&Value> = third["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["caseId"])
        .collect();
    assert_eq!(ids, [&first["id"]], "merged case not offered: {third}");
}

#[tokio::test]
async fn dispatch_feedback_accuracy_and_training_export_with_corrections() {
    let (ts, _model) = server_with_model().await;
    let clerk = ts.login("clerk").await;

    // A: the clerk keeps the suggestion.
    let a = intake(&ts, &clerk, &noise_case("13900000001")).await;
    let a_id = a["id"].as_str().unwrap();
    let (_, sug) = ts
        .get(Some(&clerk), &format!("/cases/{a_id}/suggestions"))
        .await;
    let unit = sug["suggestion"]["handlingUnits"][0]["unitId"]
        .as_str()
        .unwrap()
        .to_owned();
    let category = sug["suggestion"]["category"][0]["label"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(category, "噪音扰民");
    ts.act_ok(&clerk, a_id, dispatch(&unit, &category)).await;

    // B: the clerk corrects both the category and the unit (a traffic brigade).
    let b = intake(
        &ts,
        &clerk,
        &new_case(
            "A2区邻居家每天半夜装修噪音扰民",
            "我住在A市A2区，邻居家每天半夜装修噪音扰民，已经持续很久了，希望有关部门尽快处理。",
            "13900000002",
            "历下区解放路街道",
        ),
    )
    .await;
    let b_id = b["id"].as_str().unwrap();
    assert_eq!(b["suggestion"]["category"], "噪音扰民", "{b}");
    let brigade = ts.unit("JN-JJ-LX");
    assert_ne!(
        b["suggestion"]["handlingUnits"][0]["unitId"],
        brigade.as_str()
    );
    ts.act_ok(&clerk, b_id, dispatch(&brigade, "交通管理"))
        .await;

    // C: not a police matter, transferred out.
    let c = intake(
        &ts,
        &clerk,
        &new_case(
            "A1区小区物业乱收费",
            "我住在A市A1区，小区物业乱收费，已经持续很久了，希望有关部门尽快处理。",
            "13900000003",
            "历下区",
        ),
    )
    .await;
    assert_eq!(c["suggestion"]["policeRelated"], false, "{c}");
    let c_id = c["id"].as_str().unwrap();
    ts.act_ok(
        &clerk,
        c_id,
        json!({"type": "transferOut", "department": "住建局", "reason": "物业收费不属公安职责"}),
    )
    .await;

    let leader = ts.login("leader").await;
    let (st, acc) = ts.get(Some(&leader), "/intelligence/accuracy").await;
    assert_eq!(st, StatusCode::OK, "{acc}");
    assert_eq!(acc["modelLoaded"], true);
    assert_eq!(acc["modelVersion"], 1);
    for window in ["overall", "last30Days"] {
        let w = &acc[window];
        assert_eq!(w["dispatches"], 2, "{window}: {acc}");
        assert_eq!(w["categoryMatched"], 1, "{window}");
        assert_eq!(w["unitMatched"], 1, "{window}");
        assert_eq!(w["requestTypeMatched"], 2, "{window}");
        assert_eq!(w["unitRate"], 0.5, "{window}");
    }
    // Two months on, the recent window is empty and its rates are null.
    ts.clock.set(bj("2027-01-25 09:00"));
    let (_, acc) = ts.get(Some(&leader), "/intelligence/accuracy").await;
    assert_eq!(acc["overall"]["dispatches"], 2);
    assert_eq!(acc["last30Days"]["dispatches"], 0);
    assert_eq!(acc["last30Days"]["unitRate"], Value::Null);

    // The server's history as training data, through the real CLI.
    let out = tempfile::tempdir().unwrap();
    let csv_path = out.path().join("history.csv");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_minsheng-server"))
        .arg("export-training")
        .args(ts.database.cli_args())
        .arg("--out")
        .arg(&csv_path)
        .output()
        .expect("run export-training");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("rows=3 police=2 not_police=1"));

    let mut rdr = csv::Reader::from_path(&csv_path).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let base_header = csv::Reader::from_path(fixture())
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert_eq!(header, base_header, "columns of police_labeled.csv");
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let by_title = |t: &str| {
        rows.iter()
            .find(|r| &r[2] == t)
            .unwrap_or_else(|| panic!("{t} missing from {rows:?}"))
    };
    let ra = by_title("A1区小区楼下广场舞噪音扰民到深夜");
    assert_eq!(
        (&ra[4], &ra[5], &ra[6], &ra[7]),
        ("1", "噪音扰民", "投诉", "派出所")
    );
    let rb = by_title("A2区邻居家每天半夜装修噪音扰民");
    assert_eq!(
        (&rb[4], &rb[5], &rb[7]),
        ("1", "交通管理", "交警大队"),
        "the clerk's correction is the label"
    );
    assert_eq!(&rb[8], "历下区");
    let rc = by_title("A1区小区物业乱收费");
    assert_eq!((&rc[4], &rc[5], &rc[7]), ("0", "非公安", "非公安"));

    // And it is what `minsheng-nlp retrain --history` reads: the three texts are base
    // rows, and the history's labels (B's correction) replace the base's.
    let history = read_records(&csv_path).unwrap();
    assert_eq!(history.len(), 3);
    let base = read_records(&fixture()).unwrap();
    let was = base
        .iter()
        .find(|r| r.title == "A2区邻居家每天半夜装修噪音扰民")
        .unwrap();
    assert_eq!(was.unit_type.as_deref(), Some("派出所"));
    let merged = merge_history(base, history);
    assert_eq!(merged.len(), 30);
    let corrected = merged
        .iter()
        .find(|r| r.title == "A2区邻居家每天半夜装修噪音扰民")
        .unwrap();
    assert_eq!(corrected.unit_type.as_deref(), Some("交警大队"));
}

#[tokio::test]
async fn bulk_feed_rows_get_suggestions_and_non_police_rows_are_marked_not_transferred() {
    let (ts, _model) = server_with_model().await;
    let clerk = ts.login("clerk").await;
    let csv = "标题,内容,联系电话,地址\n\
        A1区小区楼下广场舞噪音扰民到深夜,我住在A市A1区，小区楼下广场舞噪音扰民到深夜，已经持续很久了，希望有关部门尽快处理。,13700000001,历下区泉城路街道\n\
        A2区学校食堂饭菜质量差,我住在A市A2区，学校食堂饭菜质量差，已经持续很久了，希望有关部门尽快处理。,13700000002,\n\
        A1区小区楼下广场舞噪音扰民到深夜,我住在A市A1区，小区楼下广场舞噪音扰民到深夜，已经持续很久了，请尽快处理。,13700000001,历下区泉城路街道\n";
    let (st, v) = ts
        .post_raw(
            Some(&clerk),
            "/intake/bulk?channel=12345市长热线",
            "text/csv",
            csv.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["accepted"], 3, "{v}");
    let rows = v["rows"].as_array().unwrap();

    assert_eq!(rows[0]["suggestion"]["policeRelated"], true, "{v}");
    assert_eq!(rows[0]["suggestion"]["category"], "噪音扰民");
    assert_eq!(
        rows[0]["suggestion"]["handlingUnits"][0]["unitName"],
        "泉城路派出所"
    );
    assert_eq!(rows[0]["duplicates"], json!([]));

    assert_eq!(rows[1]["suggestion"]["policeRelated"], false, "{v}");
    assert_eq!(rows[1]["suggestion"]["handlingUnits"], json!([]));
    assert_eq!(v["notPoliceRelated"], json!([rows[1]["caseId"]]));

    // A repeat within the same feed finds the earlier row.
    assert_eq!(rows[2]["duplicates"][0]["caseId"], rows[0]["caseId"], "{v}");
    assert_eq!(rows[2]["duplicates"][0]["samePhone"], true);

    // Marked, stored, but not transferred: the clerk decides.
    let id = rows[1]["caseId"].as_str().unwrap();
    let (st, case) = ts.get(Some(&clerk), &format!("/cases/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(case["state"], "pendingAcceptance");
    assert!(
        case.get("suggestion").is_none(),
        "only intake responses carry it"
    );
}

#[tokio::test]
async fn without_a_model_the_server_intakes_dispatches_and_still_finds_duplicates() {
    let ts = TestServer::start_at(bj("2026-11-23 09:00")).await;
    assert!(!ts.state.intel.has_model());
    let clerk = ts.login("clerk").await;

    let first = intake(&ts, &clerk, &noise_case(PHONE)).await;
    assert!(first.get("suggestion").is_none(), "{first}");
    assert_eq!(first["duplicates"], json!([]));
    let second = intake(&ts, &clerk, &noise_case(PHONE)).await;
    assert!(second.get("suggestion").is_none());
    assert_eq!(second["duplicates"][0]["caseId"], first["id"], "{second}");

    let id = first["id"].as_str().unwrap();
    let (st, v) = ts
        .get(Some(&clerk), &format!("/cases/{id}/suggestions"))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["suggestion"], Value::Null);
    assert_eq!(v["modelVersion"], Value::Null);
    assert_eq!(v["duplicates"][0]["caseId"], second["id"]);

    let after = ts
        .act_ok(&clerk, id, dispatch(&ts.unit("JN-LX-QCL"), "噪音扰民"))
        .await;
    assert_eq!(after["state"], "pendingSignIn");

    let (st, acc) = ts.get(Some(&clerk), "/intelligence/accuracy").await;
    assert_eq!(st, StatusCode::OK, "{acc}");
    assert_eq!(acc["modelLoaded"], false);
    assert_eq!(
        acc["overall"]["dispatches"], 0,
        "no suggestion, nothing to compare"
    );
    assert_eq!(acc["overall"]["categoryRate"], Value::Null);

    // A bulk feed without a model: rows stored, no suggestion, nothing marked.
    let csv = "title,content\n夜间施工噪音扰民,楼下工地夜间施工噪音很大。\n";
    let (st, v) = ts
        .post_raw(
            Some(&clerk),
            "/intake/bulk?channel=12345市长热线",
            "text/csv",
            csv.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["accepted"], 1);
    assert!(v["rows"][0].get("suggestion").is_none());
    assert_eq!(v["notPoliceRelated"], json!([]));
}

#[tokio::test]
async fn duplicate_index_is_rebuilt_from_the_store_at_start() {
    let (ts, _model) = server_with_model().await;
    let clerk = ts.login("clerk").await;
    let first = intake(&ts, &clerk, &noise_case(PHONE)).await;
    // Drop the in-memory index (as after a restart) and rebuild it from SQLite.
    ts.state
        .intel
        .unindex(first["id"].as_str().unwrap().parse().unwrap());
    assert_eq!(ts.state.intel.indexed(), 0);
    let st = ts.state.clone();
    let n = tokio::task::spawn_blocking(move || {
        minsheng_server::intelligence::rebuild_index(&st, st.now())
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(n, 1);
    let second = intake(&ts, &clerk, &noise_case(PHONE)).await;
    assert_eq!(second["duplicates"][0]["caseId"], first["id"]);
}

/// SPEC §10: the NLP label set follows the city's one category list — a category the
/// admin retired is never suggested, though the model was trained with it.
#[tokio::test]
async fn a_retired_category_is_never_suggested() {
    let (ts, _model) = server_with_model().await;
    let (clerk, admin) = (ts.login("clerk").await, ts.login("admin").await);
    let first = intake(&ts, &clerk, &noise_case(PHONE)).await;
    assert_eq!(first["suggestion"]["category"], "噪音扰民", "{first}");

    let (st, cfg) = ts
        .post(
            Some(&admin),
            "/config/categories",
            &json!({"op": "retire", "name": "噪音扰民", "retired": true}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{cfg}");
    let again = intake(&ts, &clerk, &noise_case("13900002222")).await;
    assert_ne!(again["suggestion"]["category"], "噪音扰民", "{again}");
    let id = again["id"].as_str().unwrap();
    let (_, v) = ts
        .get(Some(&clerk), &format!("/cases/{id}/suggestions"))
        .await;
    let labels: Vec<&str> = v["suggestion"]["category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert!(!labels.contains(&"噪音扰民"), "{labels:?}");
}
