//! The OpenAPI document is generated from the code and describes the wire types.

mod support;

use std::collections::BTreeSet;

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
struct Contract {
    doc: Value,
}

impl Contract {
    async fn fetch(s: &TestServer) -> Self {
        let (st, doc) = s.get(None, "/openapi.json").await;
        assert_eq!(st, StatusCode::OK);
        Self { doc }
    }

    fn validator(&self, method: &str, path: &str, status: u16) -> jsonschema::Validator {
        let op = &self.doc["paths"][format!("/api/v1{path}")][method];
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
        root["components"] = self.doc["components"].clone();
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{method} {path} {status}: schema does not compile: {e}"))
    }

    /// Asserts that `body` (answered with `status`) matches what the document says
    /// `method path` answers with that status.
    fn check(&self, method: &str, path: &str, status: StatusCode, body: &Value) {
        let v = self.validator(method, path, status.as_u16());
        let errors: Vec<String> = v
            .iter_errors(body)
            .map(|e| format!("  at {}: {e}", e.instance_path()))
            .take(10)
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} answered {status} with a body its documented schema refuses:\n{}\nbody: {}",
            errors.join("\n"),
            truncate(body)
        );
    }
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

// ---------------------------------------------------------------- every route is documented

/// The routes the router serves (`METHOD /api/v1/path`), read from the `.route(...)` calls
/// in `src/http`: axum cannot list a router's routes, and every route is registered there.
fn routed() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("src/http") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let src = std::fs::read_to_string(&path).expect("read");
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
                    out.insert(format!("{} /api/v1{route}", m.to_uppercase()));
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
    let routed = routed();
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
