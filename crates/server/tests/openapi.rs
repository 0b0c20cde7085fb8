//! The OpenAPI document is generated from the code and describes the wire types.

#[path = "support/sms.rs"]
mod sms;
mod support;

use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

#[tokio::test]
async fn openapi_document_lists_routes_and_wire_schemas() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (st, doc) = s.get(None, "/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/health",
        "/api/v1/auth/login",
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/actions",
        "/api/v1/cases/{id}/timeline/verify",
        "/api/v1/worklists/{list}",
        "/api/v1/intake/bulk",
        "/api/v1/units",
        "/api/v1/users",
    ] {
        assert!(paths.contains_key(p), "missing path {p}");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Action",
        "Case",
        "NewCase",
        "CaseState",
        "TimelineEntry",
        "ChainReport",
        "Unit",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(name), "missing schema {name}");
    }
    // Every action variant is documented with its `type` tag.
    let action = serde_json::to_string(&schemas["Action"]).unwrap();
    for tag in [
        "dispatch",
        "signIn",
        "submitReply",
        "approve",
        "return",
        "followUpAnswer",
        "conclude",
    ] {
        assert!(
            action.contains(&format!("\"{tag}\"")),
            "Action schema lacks {tag}"
        );
    }
}

// ---------------------------------------------------------------- the document is the truth

/// The document's schema for one answer, with the document's components beside it so its
/// `#/components/...` references resolve; validated as JSON Schema 2020-12 (OpenAPI 3.1),
/// formats (uuid, date-time, date) asserted.
///
/// Answers are checked against the live document and against the committed one the UI's
/// types are generated from (`ui/src/api/openapi.json`): a field renamed in the code
/// renames it in the live document too, but not in the contract the UI was built on.
struct Contract {
    doc: Value,
    committed: Value,
}

impl Contract {
    async fn fetch(s: &TestServer) -> Self {
        let (st, doc) = s.get(None, "/openapi.json").await;
        assert_eq!(st, StatusCode::OK);
        let file =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/api/openapi.json");
        let committed = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_else(|| panic!("{} is not a JSON document", file.display()));
        Self { doc, committed }
    }

    fn validator(&self, method: &str, path: &str, status: u16) -> jsonschema::Validator {
        Self::validator_of(&self.doc, method, path, status)
    }

    fn validator_of(doc: &Value, method: &str, path: &str, status: u16) -> jsonschema::Validator {
        let op = &doc["paths"][format!("/api/v1{path}")][method];
        assert!(op.is_object(), "{method} {path} is not in the document");
        let answer = &op["responses"][status.to_string()];
        assert!(
            answer.is_object(),
            "{method} {path} does not document status {status}"
        );
        let schema = &answer["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{method} {path} {status} documents no JSON body"
        );
        let mut root = schema.clone();
        root["components"] = doc["components"].clone();
        closed(&mut root);
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{method} {path} {status}: schema does not compile: {e}"))
    }

    /// Like `check`, for any answer: a status the document lists for the operation, and
    /// an empty body where it documents none.
    fn check_any(&self, method: &str, path: &str, status: StatusCode, body: &Value) {
        let answer =
            &self.doc["paths"][format!("/api/v1{path}")][method]["responses"][status.as_str()];
        assert!(
            answer.is_object(),
            "{method} {path} answered {status}, which it does not document: {}",
            truncate(body)
        );
        if answer["content"].get("application/json").is_some() {
            self.check(method, path, status, body);
        } else if answer.get("content").is_none() {
            assert!(
                body.is_null(),
                "{method} {path} {status}: a body where none is documented: {}",
                truncate(body)
            );
        }
    }

    /// Whether `method path` answers 200 with a list: an array, or a page with `items`.
    fn is_list(&self, method: &str, path: &str) -> bool {
        let mut schema = &self.doc["paths"][format!("/api/v1{path}")][method]["responses"]["200"]
            ["content"]["application/json"]["schema"];
        if let Some(r) = schema["$ref"].as_str() {
            schema =
                &self.doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")];
        }
        schema["type"] == "array" || schema["properties"]["items"]["type"] == "array"
    }

    /// Asserts that `body` (answered with `status`) matches what the document says
    /// `method path` answers with that status.
    fn check(&self, method: &str, path: &str, status: StatusCode, body: &Value) {
        for (which, doc) in [("", &self.doc), (" committed", &self.committed)] {
            let v = Self::validator_of(doc, method, path, status.as_u16());
            let errors: Vec<String> = v
                .iter_errors(body)
                .map(|e| format!("  at {}: {e}", e.instance_path()))
                .take(10)
                .collect();
            assert!(
                errors.is_empty(),
                "{method} {path} answered {status} with a body its{which} documented schema refuses:\n{}\nbody: {}",
                errors.join("\n"),
                truncate(body)
            );
        }
    }
}

/// Makes every documented object closed: a property the document does not list is an
/// error (`unevaluatedProperties: false`), so a renamed optional field — absent under
/// its documented name, present under another — is refused like a renamed required one.
/// Objects that document their extra keys (`additionalProperties`, maps) stay as they
/// are. An `allOf` of objects (how the document writes `#[serde(flatten)]`) is first
/// merged into one object, later parts replacing earlier properties of the same name
/// (as a flattened view's own `citizen` replaces the case's).
fn closed(root: &mut Value) {
    fn merge_all_of(v: &mut Value, schemas: &Value) {
        match v {
            Value::Object(m) => {
                m.values_mut().for_each(|c| merge_all_of(c, schemas));
                let Some(Value::Array(parts)) = m.get("allOf") else {
                    return;
                };
                let resolved: Vec<Value> = parts
                    .iter()
                    .map(|p| match p["$ref"].as_str() {
                        Some(r) => {
                            let mut c =
                                schemas[r.trim_start_matches("#/components/schemas/")].clone();
                            merge_all_of(&mut c, schemas);
                            c
                        }
                        None => p.clone(),
                    })
                    .collect();
                if !resolved.iter().all(|p| p["properties"].is_object()) {
                    return;
                }
                let (mut props, mut required) = (serde_json::Map::new(), BTreeSet::new());
                for p in &resolved {
                    for (k, s) in p["properties"].as_object().into_iter().flatten() {
                        props.insert(k.clone(), s.clone());
                    }
                    for r in p["required"].as_array().into_iter().flatten() {
                        required.insert(r.as_str().unwrap_or_default().to_owned());
                    }
                }
                m.remove("allOf");
                m.insert("type".into(), json!("object"));
                m.insert("properties".into(), Value::Object(props));
                m.insert("required".into(), json!(required));
            }
            Value::Array(a) => a.iter_mut().for_each(|c| merge_all_of(c, schemas)),
            _ => {}
        }
    }
    fn close(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if m.contains_key("properties")
                    && !m.contains_key("additionalProperties")
                    && !m.contains_key("unevaluatedProperties")
                {
                    m.insert("unevaluatedProperties".into(), Value::Bool(false));
                }
                for (k, child) in m.iter_mut() {
                    match (k.as_str(), child) {
                        ("properties", Value::Object(props)) => props.values_mut().for_each(close),
                        (_, child) => close(child),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(close),
            _ => {}
        }
    }
    let schemas = root["components"]["schemas"].clone();
    merge_all_of(root, &schemas);
    close(root);
}

fn truncate(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(2000).collect()
}

/// GET `real` (a path with its ids filled in); the answer must be `want` and match the
/// document's schema for `template`. Returns the body.
async fn get_checked(
    s: &TestServer,
    c: &Contract,
    token: &str,
    template: &str,
    real: &str,
    want: StatusCode,
) -> Value {
    let (st, body) = s.get(Some(token), real).await;
    assert_eq!(st, want, "GET {real}: {body}");
    c.check("get", template, st, &body);
    body
}

fn items(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn real_responses_match_their_documented_schemas() {
    let settings = minsheng_server::state::Settings {
        access_ttl: chrono::Duration::days(365),
        refresh_ttl: chrono::Duration::days(400),
        ..minsheng_server::state::Settings::default()
    };
    let s = TestServer::start_with(bj("2026-11-23 09:00"), settings, 120).await;
    let c = Contract::fetch(&s).await;

    // A case through the whole handling path, so its timeline, the follow-up round and
    // the assessment facts exist; the workers run once on the manual clock.
    let done = s
        .completed_case("楼下烧烤店深夜噪音扰民", "13812345678")
        .await;
    s.clock.set(bj("2026-11-24 10:00"));
    minsheng_server::notify::run_once(&s.state)
        .await
        .expect("notify pass");
    let st = s.state.clone();
    tokio::task::spawn_blocking(move || minsheng_server::assessment::run_once(&st))
        .await
        .expect("join")
        .expect("assessment pass");
    let clerk = s.login("clerk").await;
    let leader = s.login("leader").await;
    let officer = s.login("officer").await;
    let followup = s.login("followup").await;
    let admin = s.login("admin").await;

    // Cases: list (with total), one case (masked citizen, allowed actions), its timeline.
    let page = get_checked(
        &s,
        &c,
        &clerk,
        "/cases",
        "/cases?limit=20&withTotal=true",
        StatusCode::OK,
    )
    .await;
    assert!(items(&page["items"]) > 0, "the list is empty");
    for who in [&clerk, &leader] {
        get_checked(
            &s,
            &c,
            who,
            "/cases/{id}",
            &format!("/cases/{done}"),
            StatusCode::OK,
        )
        .await;
    }
    let timeline = get_checked(
        &s,
        &c,
        &clerk,
        "/cases/{id}/timeline",
        &format!("/cases/{done}/timeline"),
        StatusCode::OK,
    )
    .await;
    assert!(
        items(&timeline) >= 5,
        "intake, dispatch, sign-in, reply, approval"
    );
    get_checked(
        &s,
        &c,
        &clerk,
        "/cases/{id}/timeline/verify",
        &format!("/cases/{done}/timeline/verify"),
        StatusCode::OK,
    )
    .await;
    // An unknown case: the one error shape, documented.
    get_checked(
        &s,
        &c,
        &clerk,
        "/cases/{id}",
        "/cases/0190f5d2-0000-7000-8000-000000000000",
        StatusCode::NOT_FOUND,
    )
    .await;

    // 民生清单: counts and every list.
    get_checked(&s, &c, &officer, "/worklists", "/worklists", StatusCode::OK).await;
    for list in ["unsigned", "inProgress", "dueSoon", "overdue"] {
        get_checked(
            &s,
            &c,
            &leader,
            "/worklists/{list}",
            &format!("/worklists/{list}?limit=10"),
            StatusCode::OK,
        )
        .await;
    }

    // The home screens and the assessment.
    for period in ["week", "month", "year"] {
        get_checked(
            &s,
            &c,
            &leader,
            "/dashboard",
            &format!("/dashboard?period={period}"),
            StatusCode::OK,
        )
        .await;
    }
    get_checked(&s, &c, &officer, "/dashboard", "/dashboard", StatusCode::OK).await;
    get_checked(
        &s,
        &c,
        &clerk,
        "/assessment/bulletin",
        "/assessment/bulletin",
        StatusCode::OK,
    )
    .await;
    for level in ["station", "branch", "officer"] {
        get_checked(
            &s,
            &c,
            &leader,
            "/assessment/scores",
            &format!("/assessment/scores?level={level}"),
            StatusCode::OK,
        )
        .await;
    }
    get_checked(
        &s,
        &c,
        &leader,
        "/assessment/explain",
        &format!(
            "/assessment/explain?metric=received&unit={}",
            s.unit("JN-LX-QCL")
        ),
        StatusCode::OK,
    )
    .await;
    get_checked(
        &s,
        &c,
        &leader,
        "/assessment/weights",
        "/assessment/weights",
        StatusCode::OK,
    )
    .await;
    for by in ["category", "channel", "policeLine", "day", "hour", "state"] {
        get_checked(
            &s,
            &c,
            &leader,
            "/analytics",
            &format!("/analytics?by={by}&period=year"),
            StatusCode::OK,
        )
        .await;
    }
    get_checked(&s, &c, &leader, "/alerts", "/alerts", StatusCode::OK).await;

    // Follow-ups: the queue counts, the rounds (one opened for the completed case), stats.
    get_checked(
        &s,
        &c,
        &followup,
        "/followups/queue",
        "/followups/queue",
        StatusCode::OK,
    )
    .await;
    let rounds = get_checked(
        &s,
        &c,
        &followup,
        "/followups",
        "/followups",
        StatusCode::OK,
    )
    .await;
    assert!(items(&rounds) > 0, "no follow-up round was opened");
    get_checked(
        &s,
        &c,
        &followup,
        "/followups/stats",
        "/followups/stats",
        StatusCode::OK,
    )
    .await;

    // The knowledge base and the org tree (wire enums in their Chinese form).
    let replies = get_checked(&s, &c, &officer, "/knowledge", "/knowledge", StatusCode::OK).await;
    assert!(items(&replies) > 0, "the demo knowledge base is empty");
    let units = get_checked(&s, &c, &clerk, "/units", "/units", StatusCode::OK).await;
    assert!(items(&units) > 100);
    // The check has teeth: the Rust name of a wire enum is not its wire form.
    let mut renamed = units.clone();
    renamed[0]["kind"] = json!("CityBureau");
    assert!(!c.validator("get", "/units", 200).is_valid(&renamed));
    get_checked(&s, &c, &admin, "/users", "/users", StatusCode::OK).await;
    get_checked(&s, &c, &clerk, "/auth/me", "/auth/me", StatusCode::OK).await;

    // Intake answers its documented 201 body; a refused one its documented error.
    let (st, created) = s
        .post(
            Some(&clerk),
            "/cases",
            &json!({"channel": "入户走访", "requestType": "求助", "title": "小区门口路灯损坏",
                    "content": "小区门口路灯坏了一周，夜间出行不便。", "citizenPhone": "13912345678"}),
        )
        .await;
    c.check("post", "/cases", st, &created);
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let (st, refused) = s
        .post(
            Some(&clerk),
            "/cases",
            &json!({"channel": "12345市长热线", "title": " ", "content": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    c.check("post", "/cases", st, &refused);
}

// ---------------------------------------------------------------- every GET, every role

/// The documented operations as (METHOD, path without `/api/v1`), and whether the
/// operation's 200 answer is a JSON body.
fn operations(doc: &Value) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in ["get", "post", "put", "patch", "delete"] {
            if let Some(op) = item.get(m) {
                let json200 = ["200", "201"].iter().any(|st| {
                    op["responses"][*st]["content"]
                        .get("application/json")
                        .is_some()
                });
                out.push((
                    m.to_uppercase(),
                    path.trim_start_matches("/api/v1").to_owned(),
                    json200,
                ));
            }
        }
    }
    out
}

/// What `body` holds as a list: its items, or the items of its `items` page.
fn list_items(body: &Value) -> Option<&Vec<Value>> {
    body.as_array().or_else(|| body["items"].as_array())
}

/// Every documented GET with a JSON answer, asked by every role (with real ids and the
/// query it needs): each answer — 200, 403, 404 … — has a status the document lists for
/// the operation and a body its schema for that status accepts. Every operation answers
/// 200 to someone, and every list answers a non-empty list to someone (an empty list
/// proves nothing about its items). Renaming any field of a real answer makes it invalid.
/// Then the errors of every documented operation: no token, a role without the right, an
/// unknown id, a bad query, a body too large, an illegal transition — each with a
/// documented status and the documented error shape.
#[tokio::test]
async fn every_get_and_every_error_answers_as_documented() {
    let settings = minsheng_server::state::Settings {
        access_ttl: chrono::Duration::days(365),
        refresh_ttl: chrono::Duration::days(400),
        ..minsheng_server::state::Settings::default()
    };
    let s = TestServer::start_with(bj("2026-11-23 09:00"), settings, 120).await;
    let (gw, _) = sms::attach_gateway(&s, 8).await;
    let c = Contract::fetch(&s).await;
    let phone = "13812345678";
    let done = s.completed_case("楼下烧烤店深夜噪音扰民", phone).await;
    s.clock.set(bj("2026-11-24 10:00"));
    sms::tick(&s).await;
    // The citizen answers the follow-up SMS (an inbound record), then the workers run.
    let (st, answer) = gw
        .reply(&minsheng_server::notify::devgw::ReplyReq {
            from: phone.into(),
            text: "2".into(),
            message_id: None,
            sent_at: None,
        })
        .await
        .expect("webhook");
    assert_eq!(st, 200, "{answer}");
    sms::tick(&s).await;
    let st = s.state.clone();
    tokio::task::spawn_blocking(move || minsheng_server::assessment::run_once(&st))
        .await
        .expect("join")
        .expect("assessment pass");
    // A published desktop release (stored directly: the signature is checked on upload,
    // in tests/releases.rs), so the release list and the update manifest answer 200.
    let release = minsheng_store::releases::ReleaseRecord {
        id: "0190f5d2-0000-7000-8000-0000000000e1".into(),
        version: "0.2.0".into(),
        target: "linux-x86_64".into(),
        bundle: "deb".into(),
        notes: "修复若干问题".into(),
        file_name: "minsheng-desktop_0.2.0_amd64.deb".into(),
        size: 3,
        sha256: "00".repeat(32),
        signature: "c2ln".into(),
        published_at: bj("2026-11-23 09:00"),
        published_by: minsheng_domain::ids::UserId::SYSTEM,
        published_by_name: "系统管理员".into(),
        withdrawn_at: None,
    };
    let st = s.state.clone();
    tokio::task::spawn_blocking(move || st.store.insert_release(&release, b"deb", 4))
        .await
        .expect("join")
        .expect("release");
    let tokens: BTreeMap<&str, String> = {
        let mut m = BTreeMap::new();
        for who in [
            "admin",
            "clerk",
            "officer",
            "head",
            "supervisor",
            "leader",
            "followup",
        ] {
            m.insert(who, s.login(who).await);
        }
        m
    };
    let leader = &tokens["leader"];
    let admin = &tokens["admin"];
    // Attachments of the replied case: one complete (the list is not empty), one the
    // clerk is still uploading (its upload state).
    let uploading = {
        use sha2::Digest;
        let img =
            image::RgbImage::from_fn(16, 12, |x, y| image::Rgb([x as u8 * 9, y as u8 * 9, 60]));
        let mut photo = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut photo, 80)
            .encode_image(&img)
            .expect("jpeg");
        let clerk = &tokens["clerk"];
        let mut ids = Vec::new();
        for _ in 0..2 {
            let id = uuid::Uuid::now_v7().to_string();
            let decl = serde_json::json!({"id": id, "name": "现场照片.jpg", "size": photo.len(),
                "contentType": "image/jpeg", "sha256": hex::encode(sha2::Sha256::digest(&photo))});
            let (st, body) = s
                .post(Some(clerk), &format!("/cases/{done}/attachments"), &decl)
                .await;
            assert_eq!(st, StatusCode::CREATED, "{body}");
            ids.push(id);
        }
        let st = s
            .client
            .put(s.url(&format!("/cases/{done}/attachments/{}/chunks/0", ids[0])))
            .bearer_auth(clerk)
            .body(photo)
            .send()
            .await
            .expect("chunk")
            .status();
        assert_eq!(st, StatusCode::OK);
        let (st, body) = s
            .post(
                Some(clerk),
                &format!("/cases/{done}/attachments/{}/complete", ids[0]),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{body}");
        ids.remove(1)
    };
    // Audited reads and writes: a citizen unmasked, the weights saved unchanged.
    let (st, body) = s
        .get(Some(&tokens["clerk"]), &format!("/cases/{done}/citizen"))
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (_, weights) = s.get(Some(admin), "/assessment/weights").await;
    let (st, body) = s.put(Some(admin), "/assessment/weights", &weights).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (_, rounds) = s.get(Some(&tokens["followup"]), "/followups").await;
    // An open round: only those reveal their number (answered ones answer 404).
    let round = rounds
        .as_array()
        .expect("rounds")
        .iter()
        .find(|r| r["status"] == "awaiting" || r["status"] == "phoneTask")
        .and_then(|r| r["id"].as_str())
        .expect("an open follow-up round")
        .to_owned();
    let (_, reports) = s.get(Some(leader), "/reports").await;
    let report = reports[0]["id"].as_str().expect("a report").to_owned();
    let qcl = s.unit("JN-LX-QCL");
    // A supervisor of 泉城路派出所 (its number is revealed to the office and the station).
    let (st, sup) = s
        .post(
            Some(&tokens["clerk"]),
            "/supervisors",
            &json!({"name": "人大代表王某", "phone": "13700000009", "kind": "人大代表",
                    "reason": "市人大代表", "unitId": qcl, "contactPreferences": ["电话"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{sup}");
    let sup = sup["id"].as_str().expect("supervisor id").to_owned();
    // Engaged and consulted: a round with its phone task.
    let (st, body) = s
        .post(
            Some(&tokens["clerk"]),
            &format!("/supervisors/{sup}/decision"),
            &json!({"version": 1, "step": "confirm"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (st, body) = s
        .post(Some(&tokens["clerk"]), "/supervisors/rounds", &json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");

    // 责任倒查: a 涉警投诉 found true at its final sign-off opens a record.
    let complaint = s.intake(&tokens["clerk"], "反映民警出警态度恶劣").await;
    for (who, action) in [
        (
            "clerk",
            s.dispatch("JN-LX-QCL", "治安管理", json!({"policeComplaint": true})),
        ),
        ("officer", json!({"type": "signIn"})),
        (
            "officer",
            json!({"type": "submitReply", "text": "已向反映人说明并致歉。"}),
        ),
        ("head", json!({"type": "approve", "comment": "同意"})),
        (
            "supervisor",
            json!({"type": "approve", "comment": "属实", "verdict": "substantiated"}),
        ),
    ] {
        s.act_ok(&tokens[who], &complaint, action).await;
    }
    let (_, records) = s.get(Some(leader), "/accountability").await;
    let record = records["items"][0]["id"]
        .as_str()
        .expect("a record")
        .to_owned();

    let real = |path: &str| -> String {
        let filled = path
            .replace("/supervisors/{id}", &format!("/supervisors/{sup}"))
            .replace("/accountability/{id}", &format!("/accountability/{record}"))
            .replace("/followups/{id}", &format!("/followups/{round}"))
            .replace("/reports/{id}", &format!("/reports/{report}"))
            .replace("{aid}", &uploading)
            .replace("{id}", &done)
            .replace("{list}", "overdue")
            .replace("{target}/{bundle}/{current}", "linux-x86_64/deb/0.1.0");
        let query = match path {
            "/analytics" => "?by=category&period=year".to_owned(),
            "/analytics/cases" => {
                "?by=category&period=year&category=%E6%B2%BB%E5%AE%89%E7%AE%A1%E7%90%86".to_owned()
            }
            "/assessment/explain" => format!("?metric=received&period=year&unit={qcl}"),
            "/sync/pull" => "?limit=5".to_owned(),
            "/cases" | "/worklists/{list}" | "/users/search" | "/audit/search" => {
                "?limit=5".to_owned()
            }
            _ => String::new(),
        };
        format!("{filled}{query}")
    };
    let ops = operations(&c.doc);
    let mut served: BTreeMap<String, (usize, bool)> = BTreeMap::new();
    let mut accepted_renames = Vec::new();
    for (method, path, json200) in &ops {
        if method != "GET" || !json200 {
            continue;
        }
        for (who, token) in &tokens {
            let url = real(path);
            let (st, body) = if path.starts_with("/sync/") {
                s.get_as_client(
                    Some(token),
                    &url,
                    support::SYNC_CLIENT,
                    support::SYNC_SCHEMA,
                )
                .await
            } else {
                s.get(Some(token), &url).await
            };
            c.check("get", path, st, &body);
            let entry = served.entry(path.clone()).or_default();
            if st.is_success() {
                entry.0 += 1;
                entry.1 |= list_items(&body).is_some_and(|l| !l.is_empty());
                // Teeth: each field of the answer (or of its first item) renamed is refused.
                let v = c.validator("get", path, st.as_u16());
                let (target, at): (&Value, Vec<String>) = match list_items(&body) {
                    Some(items) if body.is_array() => match items.first() {
                        Some(first) => (first, vec!["0".into()]),
                        None => (&Value::Null, vec![]),
                    },
                    Some(items) if !items.is_empty() => {
                        (&items[0], vec!["items".into(), "0".into()])
                    }
                    _ => (&body, vec![]),
                };
                // (The OpenAPI document itself is free-form JSON to its own schema.)
                let keys = if path == "/openapi.json" {
                    Vec::new()
                } else {
                    target
                        .as_object()
                        .map(|o| o.keys().cloned().collect::<Vec<_>>())
                        .unwrap_or_default()
                };
                for key in keys {
                    let mut renamed = body.clone();
                    let mut obj = &mut renamed;
                    for seg in &at {
                        obj = match seg.parse::<usize>() {
                            Ok(i) => &mut obj[i],
                            Err(_) => &mut obj[seg.as_str()],
                        };
                    }
                    let m = obj.as_object_mut().expect("object");
                    let value = m.remove(&key).expect("field");
                    m.insert(format!("{key}Renamed"), value);
                    if v.is_valid(&renamed) {
                        accepted_renames.push(format!("GET {path} as {who}: {key}"));
                    }
                }
            }
        }
    }
    let never_served: Vec<_> = served
        .iter()
        .filter(|(_, (ok, _))| *ok == 0)
        .map(|(p, _)| p)
        .collect();
    assert!(
        never_served.is_empty(),
        "answered 200 to no role: {never_served:?}"
    );
    let lists: Vec<&String> = served.keys().filter(|p| c.is_list("get", p)).collect();
    assert!(
        lists.len() >= 15,
        "only {} list routes: {lists:?}",
        lists.len()
    );
    let empty: Vec<_> = lists
        .into_iter()
        .filter(|p| !served[*p].1 && LISTS_LEFT_EMPTY.iter().all(|e| e != p))
        .collect();
    assert!(empty.is_empty(), "answered only empty lists: {empty:?}");
    assert!(
        accepted_renames.is_empty(),
        "a renamed field still matches the document: {accepted_renames:?}"
    );

    // Errors of every documented operation, with made-up ids and an empty JSON body.
    let fake = "0190f5d2-0000-7000-8000-000000000000";
    let fill = |path: &str| {
        path.replace("{id}", fake)
            .replace("{list}", "overdue")
            .replace("{code}", "reminder.none")
            .replace("{year}", "2031")
    };
    let mut unauthenticated = BTreeSet::new();
    for (method, path, _) in &ops {
        let m = method.to_lowercase();
        // No token: 401 wherever the document says a token is needed.
        let (st, body) = call(&s, method, None, &fill(path), None).await;
        c.check_any(&m, path, st, &body);
        if st == StatusCode::UNAUTHORIZED {
            unauthenticated.insert(format!("{method} {path}"));
        }
        // A follow-up agent (the narrowest role): 403 where they have no right, 404 for
        // unknown ids, 400/422 for the empty body: whatever it is, documented.
        if path != "/auth/logout" {
            let (st, body) = call(&s, method, Some(&tokens["followup"]), &fill(path), None).await;
            c.check_any(&m, path, st, &body);
        }
        // The admin, on unknown ids.
        if path.contains("{id}") {
            let (st, body) = call(&s, method, Some(admin), &fill(path), None).await;
            c.check_any(&m, path, st, &body);
        }
    }
    for (method, path, _) in &ops {
        let doc401 = c.doc["paths"][format!("/api/v1{path}")][method.to_lowercase()]["responses"]
            .get("401")
            .is_some();
        let public = ["/auth/login", "/auth/refresh", "/sms/inbound"].contains(&path.as_str());
        let op = format!("{method} {path}");
        if doc401 && !public {
            assert!(
                unauthenticated.contains(&op),
                "{op} answered without a token"
            );
        }
    }
    assert!(unauthenticated.len() > 60, "{}", unauthenticated.len());

    // Errors with a cause, each with its documented status and shape.
    let clerk = &tokens["clerk"];
    for (query, want) in [
        ("/cases?limit=abc", StatusCode::BAD_REQUEST),
        ("/cases?nonsense=1", StatusCode::BAD_REQUEST),
    ] {
        let (st, body) = s.get(Some(clerk), query).await;
        assert_eq!(st, want, "{query}: {body}");
        c.check("get", "/cases", st, &body);
    }
    let huge = "长".repeat(3_000_000);
    let (st, body) = s
        .post(
            Some(clerk),
            "/cases",
            &json!({"channel": "入户走访", "requestType": "求助", "title": "大", "content": huge}),
        )
        .await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    c.check("post", "/cases", st, &body);
    let (st, body) = s
        .act(&tokens["officer"], &done, json!({"type": "signIn"}))
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    c.check("post", "/cases/{id}/actions", st, &body);
    let (st, body) = s
        .post(
            None,
            "/auth/login",
            &json!({"username": "clerk", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    c.check("post", "/auth/login", st, &body);
    let (st, body) = s
        .get(
            Some(&tokens["officer"]),
            "/assessment/scores?level=nonsense",
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");
    c.check("get", "/assessment/scores", st, &body);
    // Last: logging out answers the documented empty 204.
    let (st, body) = call(&s, "POST", Some(&tokens["followup"]), "/auth/logout", None).await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    c.check_any("post", "/auth/logout", st, &body);
}

/// `method path` with an optional token and JSON body (`{}` for writes when none).
async fn call(
    s: &TestServer,
    method: &str,
    token: Option<&str>,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut rb = s.client.request(m, s.url(path));
    if method != "GET" {
        rb = rb.json(body.unwrap_or(&json!({})));
    }
    if path.starts_with("/sync/") {
        rb = rb
            .header("X-Minsheng-Client", support::SYNC_CLIENT)
            .header("X-Minsheng-Schema", support::SYNC_SCHEMA);
    }
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    let resp = rb.send().await.expect("send");
    let status = resp.status();
    let json = resp
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or_default().contains("json"));
    let bytes = resp.bytes().await.expect("body");
    let v = if bytes.is_empty() {
        Value::Null
    } else if json {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    } else {
        Value::String(format!("<{} bytes, not JSON>", bytes.len()))
    };
    (status, v)
}

/// Lists this test leaves empty: early-warning alerts need weeks of baseline (see
/// tests/assessment.rs, which checks their values).
const LISTS_LEFT_EMPTY: &[&str] = &["/alerts"];

// ---------------------------------------------------------------- every route is documented

/// Routes outside the REST API, at the server's root (`src/http/metrics.rs`): the
/// Prometheus scrape answers text, not JSON, under its own access rule (loopback or the
/// metrics token), and is no part of the contract the UI's types come from.
const OUTSIDE_THE_API: &[&str] = &["GET /metrics"];

/// The file whose routes are at the root instead of under `/api/v1`.
const ROOT_ROUTES_FILE: &str = "metrics.rs";

/// The routes the router serves (`METHOD /api/v1/path`, or `METHOD /path` for the root
/// routes of `ROOT_ROUTES_FILE`), read from the `.route(...)` calls in `src/http`: axum
/// cannot list a router's routes, and every route is registered there.
fn routed() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("src/http") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let src = std::fs::read_to_string(&path).expect("read");
        let prefix = if path.file_name().is_some_and(|f| f == ROOT_ROUTES_FILE) {
            ""
        } else {
            "/api/v1"
        };
        let mut rest = src.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            // The call's arguments, up to its closing parenthesis.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, ch)| {
                    match ch {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            let args = &rest[..end];
            let Some(open) = args.find('"') else { continue };
            let Some(close) = args[open + 1..].find('"') else {
                continue;
            };
            let route = &args[open + 1..open + 1 + close];
            let handlers = &args[open + 1 + close..];
            let mut methods = 0;
            for m in ["get", "post", "put", "patch", "delete"] {
                let called = handlers
                    .match_indices(&format!("{m}("))
                    .any(|(i, _)| i == 0 || !handlers.as_bytes()[i - 1].is_ascii_alphanumeric());
                if called {
                    methods += 1;
                    out.insert(format!("{} {prefix}{route}", m.to_uppercase()));
                }
            }
            assert!(
                methods > 0,
                "{}: route {route} has no method router I can read",
                path.display()
            );
        }
    }
    out
}

fn documented(doc: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in ["get", "post", "put", "patch", "delete"] {
            if item.get(m).is_some() {
                out.insert(format!("{} {path}", m.to_uppercase()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_routed_operation_is_documented_and_served() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (_, doc) = s.get(None, "/openapi.json").await;
    let mut routed = routed();
    for outside in OUTSIDE_THE_API {
        assert!(
            routed.remove(*outside),
            "{outside} is listed as outside the API but not routed"
        );
    }
    assert!(routed.len() > 50, "read only {} routes", routed.len());
    assert!(routed.contains("PATCH /api/v1/users/{id}"));
    let documented = documented(&doc);
    let missing: Vec<_> = routed.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routed but not in the OpenAPI document: {missing:?}"
    );
    let stale: Vec<_> = documented.difference(&routed).collect();
    assert!(
        stale.is_empty(),
        "in the OpenAPI document but not routed: {stale:?}"
    );

    // And each documented operation is really served: with a made-up id it may answer
    // 4xx, but never the router's own "no such endpoint" (404 接口不存在) or 405.
    for op in &documented {
        let (method, path) = op.split_once(' ').expect("op");
        let url = format!(
            "{}{}",
            s.base,
            path.replace("{id}", "0190f5d2-0000-7000-8000-000000000000")
                .replace("{list}", "overdue")
                .replace("{code}", "reminder.none")
        );
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let resp = s.client.request(method, &url).send().await.expect("send");
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{op}: {body}");
        assert!(
            !(status == StatusCode::NOT_FOUND && body["message"] == "接口不存在"),
            "{op} is documented but not routed: {body}"
        );
    }
}

#[tokio::test]
async fn wire_enums_are_documented_in_their_serde_form() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (_, doc) = s.get(None, "/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    let values = |name: &str| -> Vec<String> {
        schemas[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is not an enum"))
            .iter()
            .map(|v| v.as_str().expect("string").to_owned())
            .collect()
    };
    assert!(values("Channel").contains(&"12345市长热线".to_owned()));
    assert!(values("Channel").contains(&"入户走访".to_owned()));
    assert!(values("RequestType").contains(&"投诉".to_owned()));
    assert!(values("Urgency").contains(&"普通".to_owned()));
    assert!(values("UnitKind").contains(&"派出所".to_owned()));
    assert!(values("PoliceLine").contains(&"出入境".to_owned()));
    // Operation ids are unique (generators name functions and types after them).
    let mut ids = BTreeSet::new();
    for item in doc["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("item").values() {
            let id = op["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "operationId {id} is not unique");
        }
    }
    // Every path parameter is declared.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            // ... and nothing else is (a query struct without `parameter_in = Query`
            // would document its fields as required path parameters).
            for name in &declared {
                assert!(
                    path.contains(&format!("{{{name}}}")),
                    "{method} {path} declares {name} as a path parameter"
                );
            }
            for seg in path.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    declared.contains(&name),
                    "{method} {path} does not declare path parameter {name}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- the UI's snapshot

/// The desktop UI generates its online-screen types from a snapshot of the document
/// (`ui/src/api/openapi.json` → `openapi.d.ts`, `npm run gen:api`); a document change
/// must come with a new snapshot and new types. `UPDATE_OPENAPI=1` rewrites the snapshot.
#[tokio::test]
async fn ui_snapshot_is_current() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (_, live) = s.get(None, "/openapi.json").await;
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/api/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        let text = serde_json::to_string_pretty(&live).expect("json") + "\n";
        std::fs::write(&file, text).expect("write the snapshot");
        return;
    }
    let snapshot: Value = std::fs::read_to_string(&file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    assert!(
        snapshot == live,
        "ui/src/api/openapi.json is not the server's document: run\n  \
         UPDATE_OPENAPI=1 cargo test -p minsheng-server --test openapi ui_snapshot_is_current\n  \
         cd ui && npm run gen:api\nand fix the UI where the types changed"
    );
}
