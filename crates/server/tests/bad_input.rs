//! Bad input: malformed JSON, unknown fields, oversized bodies, invalid phone/ID
//! numbers, illegal transitions, concurrent conflicting actions, SQL metacharacters
//! and HTML. Each gets a clear error (status, stable code, Chinese message) and
//! nothing is half-written (case counts and timelines unchanged).

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

use minsheng_server::state::Settings;

const VALID_ID_CARD: &str = "370102199003071238";

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Asserts status, the `{code, message}` shape, the code and a Chinese message.
fn assert_err(what: &str, st: StatusCode, body: &Value, status: u16, code: &str) {
    assert_eq!(st.as_u16(), status, "{what}: {body}");
    let obj = body
        .as_object()
        .unwrap_or_else(|| panic!("{what}: error body is not JSON object: {body}"));
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "message"], "{what}: {body}");
    assert_eq!(body["code"], code, "{what}: {body}");
    assert!(
        has_cjk(body["message"].as_str().unwrap()),
        "{what}: message not Chinese: {body}"
    );
}

/// A server whose bulk limit is small enough to exceed cheaply (ordinary limit is the default 256 KB).
async fn server() -> (TestServer, String) {
    let settings = Settings {
        bulk_body_limit: 1024 * 1024,
        ..Settings::default()
    };
    let ts = TestServer::start_with(bj("2026-03-02 09:00"), settings, 0).await;
    let clerk = ts.login("clerk").await;
    (ts, clerk)
}

async fn total(ts: &TestServer, clerk: &str) -> u64 {
    let (st, body) = ts.get(Some(clerk), "/cases?withTotal=true").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    body["total"].as_u64().unwrap()
}

async fn timeline_len(ts: &TestServer, token: &str, case: &str) -> usize {
    let (st, body) = ts
        .get(Some(token), &format!("/cases/{case}/timeline"))
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    body.as_array().unwrap().len()
}

async fn version(ts: &TestServer, token: &str, case: &str) -> u64 {
    let (st, body) = ts.get(Some(token), &format!("/cases/{case}")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    body["version"].as_u64().unwrap()
}

fn good_case() -> Value {
    json!({
        "channel": "12345市长热线",
        "requestType": "投诉",
        "title": "小区楼下烧烤摊噪音",
        "content": "每晚十一点后仍有烧烤摊经营，噪音很大。",
        "citizenName": "刘先生",
        "citizenPhone": "13912345678",
        "citizenIdCard": VALID_ID_CARD,
        "address": "历下区泉城路街道",
        "district": "历下区"
    })
}

fn with(mut v: Value, key: &str, val: Value) -> Value {
    v[key] = val;
    v
}

async fn post_bytes(
    ts: &TestServer,
    token: &str,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut rb = ts.client.post(ts.url(path)).bearer_auth(token).body(body);
    if let Some(ct) = content_type {
        rb = rb.header("content-type", ct);
    }
    let resp = rb.send().await.unwrap();
    let st = resp.status();
    let text = resp.text().await.unwrap();
    (
        st,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn malformed_json_unknown_fields_and_wrong_content_type_write_nothing() {
    let (ts, clerk) = server().await;
    let case = ts.intake(&clerk, "格式错误测试基准件").await;
    let before = total(&ts, &clerk).await;
    let tl = timeline_len(&ts, &clerk, &case).await;

    let valid = r#"{"channel":"12345市长热线","title":"t","content":"c"}"#;
    let bad_bodies: [(&str, Option<&str>, &str); 7] = [
        (
            "truncated JSON",
            Some("application/json"),
            r#"{"channel": "12345市长热线", "title": "#,
        ),
        (
            "not JSON",
            Some("application/json"),
            "channel=12345&title=x",
        ),
        ("empty body", Some("application/json"), ""),
        ("JSON array", Some("application/json"), "[1,2,3]"),
        (
            "trailing garbage",
            Some("application/json"),
            r#"{"channel":"12345市长热线","title":"t","content":"c"} x"#,
        ),
        ("no content type", None, valid),
        ("text/plain", Some("text/plain"), valid),
    ];
    for (what, ct, body) in bad_bodies {
        let (st, v) = post_bytes(&ts, &clerk, "/cases", ct, body.as_bytes().to_vec()).await;
        assert_err(&format!("intake {what}"), st, &v, 400, "BAD_REQUEST");
        let (st, v) = post_bytes(
            &ts,
            &clerk,
            &format!("/cases/{case}/actions"),
            ct,
            body.as_bytes().to_vec(),
        )
        .await;
        assert_err(&format!("action {what}"), st, &v, 400, "BAD_REQUEST");
    }
    // Unknown fields anywhere are refused, not silently dropped.
    let (st, v) = ts
        .post(
            Some(&clerk),
            "/cases",
            &with(good_case(), "handlingUnit", json!("x")),
        )
        .await;
    assert_err("intake unknown field", st, &v, 400, "BAD_REQUEST");
    assert!(
        v["message"].as_str().unwrap().contains("handlingUnit"),
        "{v}"
    );
    let (st, v) = ts
        .post(
            Some(&clerk),
            "/cases",
            &with(good_case(), "flags", json!("涉警")),
        )
        .await;
    assert_err("flags not an object", st, &v, 400, "BAD_REQUEST");
    let (st, v) = ts
        .act(
            &clerk,
            &case,
            json!({"type": "addNote", "text": "备注", "by": "admin"}),
        )
        .await;
    assert_err("action unknown field", st, &v, 400, "BAD_REQUEST");
    let (st, v) = ts
        .post(
            Some(&clerk),
            &format!("/cases/{case}/actions"),
            &json!({"action": {"type": "addNote", "text": "备注"}, "role": "leader"}),
        )
        .await;
    assert_err("action request unknown field", st, &v, 400, "BAD_REQUEST");
    let (st, v) = ts.act(&clerk, &case, json!({"type": "selfApprove"})).await;
    assert_err("unknown action type", st, &v, 400, "BAD_REQUEST");
    let (st, v) = ts.act(&clerk, &case, json!({"text": "没有类型"})).await;
    assert_err("action without type", st, &v, 400, "BAD_REQUEST");
    // Wrong types and unknown enum values.
    let (st, v) = ts
        .post(
            Some(&clerk),
            "/cases",
            &with(good_case(), "title", json!(42)),
        )
        .await;
    assert_err("title not a string", st, &v, 400, "BAD_REQUEST");
    let (st, v) = ts
        .post(
            Some(&clerk),
            "/cases",
            &with(good_case(), "channel", json!("微博")),
        )
        .await;
    assert_err("unknown channel", st, &v, 400, "BAD_REQUEST");
    let (st, v) = ts
        .post(
            Some(&clerk),
            "/cases",
            &with(good_case(), "urgency", json!("超级急")),
        )
        .await;
    assert_err("unknown urgency", st, &v, 400, "BAD_REQUEST");
    let (st, v) = ts
        .post(
            None,
            "/auth/login",
            &json!({"username": "clerk", "password": "Demo@2026", "remember": true}),
        )
        .await;
    assert_err("login unknown field", st, &v, 400, "BAD_REQUEST");
    let (st, v) = ts
        .patch(
            Some(&ts.login("admin").await),
            "/users/01900000-0000-7000-8000-000000000000",
            &json!({"isAdmin": true}),
        )
        .await;
    assert_err("user patch unknown field", st, &v, 400, "BAD_REQUEST");

    assert_eq!(total(&ts, &clerk).await, before);
    assert_eq!(timeline_len(&ts, &clerk, &case).await, tl);
}

#[tokio::test]
async fn bad_query_strings_get_the_error_shape() {
    let (ts, clerk) = server().await;
    for q in [
        "/cases?state=flying",
        "/cases?limit=0",
        "/cases?limit=501",
        "/cases?limit=abc",
        "/cases?cursor=garbage",
        "/cases?from=yesterday",
        "/cases?overdue=maybe",
        "/cases?unit=not-a-unit",
        "/cases?channel=微博",
        "/cases?requestType=抱怨",
        "/cases?sort=title",
        "/worklists/unsigned?limit=-1",
        "/users?unit=xyz",
    ] {
        let token = if q.starts_with("/users") {
            ts.login("admin").await
        } else {
            clerk.clone()
        };
        let (st, v) = ts.get(Some(&token), q).await;
        assert_err(q, st, &v, 400, "BAD_REQUEST");
    }
    let csv = b"title,content\n\xe6\xa0\x87\xe9\xa2\x98,\xe5\x86\x85\xe5\xae\xb9\n".to_vec();
    for q in [
        "/intake/bulk",
        "/intake/bulk?channel=12345市长热线&dryRun=1",
    ] {
        let (st, v) = post_bytes(&ts, &clerk, q, Some("text/csv"), csv.clone()).await;
        assert_err(q, st, &v, 400, "BAD_REQUEST");
    }
    let (st, v) = post_bytes(
        &ts,
        &clerk,
        "/intake/bulk?channel=微博",
        Some("text/csv"),
        csv,
    )
    .await;
    assert_err("bulk unknown channel", st, &v, 422, "UNKNOWN_VALUE");
    // Unknown routes and methods also answer in the one error shape.
    let (st, v) = ts.get(Some(&clerk), "/no/such/route").await;
    assert_err("unknown route", st, &v, 404, "NOT_FOUND");
    let resp = ts
        .client
        .delete(ts.url("/cases"))
        .bearer_auth(&clerk)
        .send()
        .await
        .unwrap();
    let st = resp.status();
    let v: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap_or(Value::Null);
    assert_err("DELETE /cases", st, &v, 405, "METHOD_NOT_ALLOWED");
    assert_eq!(total(&ts, &clerk).await, 0);
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let (ts, clerk) = server().await;
    let case = ts.intake(&clerk, "超大请求测试基准件").await;
    let before = total(&ts, &clerk).await;
    let tl = timeline_len(&ts, &clerk, &case).await;
    let huge = "噪".repeat(100_000); // 300 KB of UTF-8, over the 256 KB ordinary limit

    let (st, v) = ts
        .post(
            Some(&clerk),
            "/cases",
            &with(good_case(), "content", json!(huge)),
        )
        .await;
    assert_err("oversized intake", st, &v, 413, "PAYLOAD_TOO_LARGE");
    let (st, v) = ts
        .act(&clerk, &case, json!({"type": "addNote", "text": huge}))
        .await;
    assert_err("oversized action", st, &v, 413, "PAYLOAD_TOO_LARGE");
    let (st, v) = ts
        .post(
            None,
            "/auth/login",
            &json!({"username": "clerk", "password": huge}),
        )
        .await;
    assert_err("oversized login", st, &v, 413, "PAYLOAD_TOO_LARGE");
    // Under the byte limit but over the field limits: a clear field error, not a crash.
    let long = "长".repeat(20_001);
    let (st, v) = ts
        .post(
            Some(&clerk),
            "/cases",
            &with(good_case(), "content", json!(long)),
        )
        .await;
    assert_err("content over 20000 chars", st, &v, 422, "INVALID_FIELD");
    let (st, v) = ts
        .post(
            Some(&clerk),
            "/cases",
            &with(good_case(), "title", json!("题".repeat(201))),
        )
        .await;
    assert_err("title over 200 chars", st, &v, 422, "INVALID_FIELD");
    let (st, v) = ts
        .act(
            &clerk,
            &case,
            json!({"type": "addNote", "text": "注".repeat(10_001)}),
        )
        .await;
    assert_err("note over 10000 chars", st, &v, 422, "INVALID_FIELD");

    // Bulk has its own, larger limit: 300 KB is accepted (its one row is rejected on content length)...
    let csv = format!("title,content\n超长内容,{huge}\n");
    let (st, v) = ts
        .post_raw(
            Some(&clerk),
            "/intake/bulk?channel=12345市长热线",
            "text/csv",
            csv.into_bytes(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["accepted"], 0, "{v}");
    assert_eq!(v["rows"][0]["code"], "INVALID_FIELD", "{v}");
    // ...and a feed over the bulk limit is refused whole, CSV or JSON.
    let mut big = String::from("title,content\n");
    while big.len() <= 1024 * 1024 {
        big.push_str("夜间施工噪音扰民,小区旁工地夜间施工至凌晨，影响休息。\n");
    }
    let (st, v) = ts
        .post_raw(
            Some(&clerk),
            "/intake/bulk?channel=12345市长热线",
            "text/csv",
            big.clone().into_bytes(),
        )
        .await;
    assert_err("oversized bulk CSV", st, &v, 413, "PAYLOAD_TOO_LARGE");
    let rows: Vec<Value> = (0..12_000).map(|i| json!({"title": format!("夜间施工噪音{i}"), "content": "小区旁工地夜间施工至凌晨，影响休息。"})).collect();
    let body = serde_json::to_vec(&rows).unwrap();
    assert!(body.len() > 1024 * 1024);
    let (st, v) = ts
        .post_raw(
            Some(&clerk),
            "/intake/bulk?channel=12345市长热线",
            "application/json",
            body,
        )
        .await;
    assert_err("oversized bulk JSON", st, &v, 413, "PAYLOAD_TOO_LARGE");

    assert_eq!(total(&ts, &clerk).await, before);
    assert_eq!(timeline_len(&ts, &clerk, &case).await, tl);
}

#[tokio::test]
async fn invalid_citizen_numbers_and_fields_are_refused_whole() {
    let (ts, clerk) = server().await;
    let before = total(&ts, &clerk).await;
    let cases: [(&str, &str, Value, &str); 11] = [
        (
            "phone too short",
            "citizenPhone",
            json!("1381234567"),
            "1381234567",
        ),
        (
            "phone bad prefix",
            "citizenPhone",
            json!("12812345678"),
            "12812345678",
        ),
        (
            "phone letters",
            "citizenPhone",
            json!("1381234abcd"),
            "1381234abcd",
        ),
        (
            "phone SQL",
            "citizenPhone",
            json!("138' OR '1'='1"),
            "138' OR '1'='1",
        ),
        (
            "ID checksum",
            "citizenIdCard",
            json!("370102199003071230"),
            "370102199003071230",
        ),
        (
            "ID length",
            "citizenIdCard",
            json!("37010219900307123"),
            "37010219900307123",
        ),
        (
            "ID birth date",
            "citizenIdCard",
            json!("370102199013321234"),
            "370102199013321234",
        ),
        (
            "ID letters",
            "citizenIdCard",
            json!("37010219900307ABCD"),
            "37010219900307ABCD",
        ),
        ("empty title", "title", json!("   "), "标题"),
        ("empty content", "content", json!(""), "诉求内容"),
        (
            "future receivedAt",
            "receivedAt",
            json!("2026-03-03T09:00:00Z"),
            "受理时间",
        ),
    ];
    for (what, field, value, mention) in cases {
        let (st, v) = ts
            .post(Some(&clerk), "/cases", &with(good_case(), field, value))
            .await;
        assert_err(what, st, &v, 422, "INVALID_FIELD");
        assert!(
            v["message"].as_str().unwrap().contains(mention),
            "{what}: {v}"
        );
    }
    // Valid variants are accepted (landline, +86, lower-case x is normalised).
    for phone in ["0531-86081234", "+86 139 1234 5678"] {
        let (st, v) = ts
            .post(
                Some(&clerk),
                "/cases",
                &with(good_case(), "citizenPhone", json!(phone)),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{phone}: {v}");
    }
    assert_eq!(total(&ts, &clerk).await, before + 2);
    // Users: bad phone, weak password, unknown role, bad username: refused, nobody created.
    let admin = ts.login("admin").await;
    let qcl = ts.unit("JN-LX-QCL");
    let user = json!({"username": "new-officer", "displayName": "新民警", "role": "officer", "unitId": qcl, "password": "Newbie@2026"});
    for (what, field, value, status, code) in [
        ("user phone", "phone", json!("12345"), 422, "INVALID_FIELD"),
        (
            "weak password",
            "password",
            json!("password"),
            422,
            "INVALID_FIELD",
        ),
        ("unknown role", "role", json!("god"), 400, "BAD_REQUEST"),
        ("system role", "role", json!("system"), 400, "BAD_REQUEST"),
        (
            "username SQL",
            "username",
            json!("x'; DROP TABLE users; --"),
            400,
            "BAD_REQUEST",
        ),
    ] {
        let (st, v) = ts
            .post(Some(&admin), "/users", &with(user.clone(), field, value))
            .await;
        assert_err(what, st, &v, status, code);
    }
    let (st, users) = ts.get(Some(&admin), "/users").await;
    assert_eq!(st, StatusCode::OK);
    assert!(!users
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["username"] == "new-officer"));
    let (st, _) = ts.post(Some(&admin), "/users", &user).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, v) = ts.post(Some(&admin), "/users", &user).await;
    assert_err("duplicate username", st, &v, 409, "ALREADY_EXISTS");
}

#[tokio::test]
async fn illegal_transitions_change_nothing() {
    let (ts, clerk) = server().await;
    let officer = ts.login("officer").await;
    let head = ts.login("head").await;
    let case = ts.intake(&clerk, "非法流转测试件").await;

    // Before dispatch nobody at the station can touch it; the clerk cannot sign it in.
    let (st, v) = ts.act(&clerk, &case, json!({"type": "signIn"})).await;
    assert_err("clerk signIn", st, &v, 403, "ROLE_NOT_ALLOWED");
    let (st, v) = ts
        .act(&clerk, &case, json!({"type": "urge", "message": "催"}))
        .await;
    assert_err("urge before dispatch", st, &v, 409, "ILLEGAL_TRANSITION");
    ts.act_ok(
        &clerk,
        &case,
        ts.dispatch("JN-LX-QCL", "噪音扰民", json!({})),
    )
    .await;

    let steps: [(&str, &str, Value, u16, &str); 7] = [
        (
            "dispatch twice",
            "clerk",
            ts.dispatch("JN-LX-JFL", "噪音扰民", json!({})),
            409,
            "ILLEGAL_TRANSITION",
        ),
        (
            "reply before sign-in",
            "officer",
            json!({"type": "submitReply", "text": "答复"}),
            409,
            "ILLEGAL_TRANSITION",
        ),
        (
            "approve before reply",
            "head",
            json!({"type": "approve", "comment": null}),
            409,
            "ILLEGAL_TRANSITION",
        ),
        (
            "archive before completion",
            "clerk",
            json!({"type": "archive", "reason": "归档"}),
            409,
            "ILLEGAL_TRANSITION",
        ),
        (
            "officer approves",
            "officer",
            json!({"type": "approve", "comment": null}),
            403,
            "ROLE_NOT_ALLOWED",
        ),
        (
            "dispatch to a branch",
            "clerk",
            json!({"type": "redispatch", "reason": "改派", "order": {"handlingUnit": ts.unit("JN-SZ"), "category": "噪音扰民", "requestType": "投诉"}}),
            422,
            "UNKNOWN_UNIT",
        ),
        (
            "return without reason",
            "officer",
            json!({"type": "return", "reason": "  "}),
            422,
            "INVALID_FIELD",
        ),
    ];
    let tokens = |r: &str| match r {
        "clerk" => clerk.clone(),
        "officer" => officer.clone(),
        _ => head.clone(),
    };
    let v0 = version(&ts, &clerk, &case).await;
    let tl0 = timeline_len(&ts, &clerk, &case).await;
    for (what, role, action, status, code) in &steps {
        let (st, v) = ts.act(&tokens(role), &case, action.clone()).await;
        assert_err(what, st, &v, *status, code);
    }
    assert_eq!(version(&ts, &clerk, &case).await, v0);
    assert_eq!(timeline_len(&ts, &clerk, &case).await, tl0);
    let (_, c) = ts.get(Some(&clerk), &format!("/cases/{case}")).await;
    assert_eq!(c["state"], "pendingSignIn");
    assert_eq!(c["handlingUnit"], ts.unit("JN-LX-QCL").as_str());

    // Stale expectedVersion: a conflict naming the current version, nothing written.
    ts.act_ok(&officer, &case, json!({"type": "signIn"})).await;
    let now_v = version(&ts, &clerk, &case).await;
    let tl1 = timeline_len(&ts, &clerk, &case).await;
    let (st, v) = ts
        .post(Some(&officer), &format!("/cases/{case}/actions"), &json!({"action": {"type": "submitReply", "text": "答复"}, "expectedVersion": now_v - 1}))
        .await;
    assert_err("stale version", st, &v, 409, "VERSION_CONFLICT");
    assert!(
        v["message"].as_str().unwrap().contains(&now_v.to_string()),
        "{v}"
    );
    assert_eq!(version(&ts, &clerk, &case).await, now_v);
    assert_eq!(timeline_len(&ts, &clerk, &case).await, tl1);
    let (st, v) = ts
        .post(
            Some(&officer),
            &format!("/cases/{case}/actions"),
            &json!({"action": {"type": "submitReply", "text": "答复"}, "expectedVersion": now_v}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["version"], now_v + 1);
    let (_, verify) = ts
        .get(Some(&clerk), &format!("/cases/{case}/timeline/verify"))
        .await;
    assert_eq!(verify["valid"], true, "{verify}");
}

/// Fires all actions at once at one case; returns every (status, body).
async fn fire(ts: &TestServer, case: &str, reqs: Vec<(String, Value)>) -> Vec<(StatusCode, Value)> {
    let mut set = tokio::task::JoinSet::new();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(reqs.len()));
    for (token, body) in reqs {
        let client = ts.client.clone();
        let url = ts.url(&format!("/cases/{case}/actions"));
        let barrier = barrier.clone();
        set.spawn(async move {
            barrier.wait().await;
            let resp = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let st = resp.status();
            (st, resp.json::<Value>().await.unwrap())
        });
    }
    set.join_all().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_conflicting_actions_exactly_one_wins() {
    let (ts, clerk) = server().await;
    let officer = ts.login("officer").await;
    let head = ts.login("head").await;

    // 8 concurrent sign-ins (officer and unit head) on one case.
    let case = ts.intake(&clerk, "并发签收测试件").await;
    ts.act_ok(
        &clerk,
        &case,
        ts.dispatch("JN-LX-QCL", "噪音扰民", json!({})),
    )
    .await;
    let tl0 = timeline_len(&ts, &clerk, &case).await;
    let v0 = version(&ts, &clerk, &case).await;
    let reqs = (0..8)
        .map(|i| {
            (
                if i % 2 == 0 {
                    officer.clone()
                } else {
                    head.clone()
                },
                json!({"action": {"type": "signIn"}}),
            )
        })
        .collect();
    let results = fire(&ts, &case, reqs).await;
    let wins = results
        .iter()
        .filter(|(st, _)| *st == StatusCode::OK)
        .count();
    assert_eq!(wins, 1, "{results:?}");
    for (st, v) in results.iter().filter(|(st, _)| *st != StatusCode::OK) {
        assert_eq!(*st, StatusCode::CONFLICT, "{v}");
        assert!(
            v["code"] == "ILLEGAL_TRANSITION" || v["code"] == "VERSION_CONFLICT",
            "{v}"
        );
        assert_err("losing sign-in", *st, v, 409, v["code"].as_str().unwrap());
    }
    assert_eq!(timeline_len(&ts, &clerk, &case).await, tl0 + 1);
    assert_eq!(version(&ts, &clerk, &case).await, v0 + 1);
    let (_, tl) = ts
        .get(Some(&clerk), &format!("/cases/{case}/timeline"))
        .await;
    assert_eq!(
        tl.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "signIn")
            .count(),
        1
    );

    // 8 concurrent edits all based on the same version: one wins, the rest conflict.
    let v1 = version(&ts, &clerk, &case).await;
    let reqs = (0..8)
        .map(|i| (if i % 2 == 0 { officer.clone() } else { head.clone() }, json!({"action": {"type": "addNote", "text": format!("并发备注{i}")}, "expectedVersion": v1})))
        .collect();
    let results = fire(&ts, &case, reqs).await;
    assert_eq!(
        results
            .iter()
            .filter(|(st, _)| *st == StatusCode::OK)
            .count(),
        1,
        "{results:?}"
    );
    for (st, v) in results.iter().filter(|(st, _)| *st != StatusCode::OK) {
        assert_err("losing note", *st, v, 409, "VERSION_CONFLICT");
    }
    assert_eq!(version(&ts, &clerk, &case).await, v1 + 1);
    assert_eq!(timeline_len(&ts, &clerk, &case).await, tl0 + 2);

    // Submit-reply vs return racing: exactly one of the two transitions happens.
    let reqs = vec![
        (
            officer.clone(),
            json!({"action": {"type": "submitReply", "text": "已处理完毕"}}),
        ),
        (
            head.clone(),
            json!({"action": {"type": "return", "reason": "非本单位管辖"}}),
        ),
    ];
    let results = fire(&ts, &case, reqs).await;
    assert_eq!(
        results
            .iter()
            .filter(|(st, _)| *st == StatusCode::OK)
            .count(),
        1,
        "{results:?}"
    );
    let (st, loser) = results
        .iter()
        .find(|(st, _)| *st != StatusCode::OK)
        .unwrap();
    // Whoever lost sees either an illegal transition (reply after return) or, if the
    // return won, a case no longer theirs (404) — never a half-applied mix.
    assert!(
        (*st == StatusCode::CONFLICT && loser["code"] == "ILLEGAL_TRANSITION")
            || (*st == StatusCode::NOT_FOUND && loser["code"] == "NOT_FOUND"),
        "{st} {loser}"
    );
    assert_eq!(timeline_len(&ts, &clerk, &case).await, tl0 + 3);
    let (_, verify) = ts
        .get(Some(&clerk), &format!("/cases/{case}/timeline/verify"))
        .await;
    assert_eq!(verify["valid"], true, "{verify}");
}

#[tokio::test]
async fn sql_metacharacters_and_html_are_stored_verbatim_and_searchable() {
    let (ts, clerk) = server().await;
    let plain = ts.intake(&clerk, "普通对照件").await;
    let title = "'; DROP TABLE cases; -- <script>alert(1)</script>";
    let content = "Robert'); DELETE FROM timeline;-- \"双引号\" \\反斜杠 100% 下划线_ <img src=x onerror=alert(1)> &amp; 内容";
    let body = with(
        with(
            with(good_case(), "title", json!(title)),
            "content",
            json!(content),
        ),
        "citizenName",
        json!("O'Brien <b>"),
    );
    let (st, v) = ts.post(Some(&clerk), "/cases", &body).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let (st, c) = ts.get(Some(&clerk), &format!("/cases/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(c["title"], title);
    assert_eq!(c["content"], content);
    assert_eq!(c["citizen"]["name"], "O'Brien <b>");
    // The note's HTML comes back verbatim in the timeline.
    let note = "<script>document.cookie</script> ' OR 1=1 --";
    ts.act_ok(&clerk, &id, json!({"type": "addNote", "text": note}))
        .await;
    let (_, tl) = ts.get(Some(&clerk), &format!("/cases/{id}/timeline")).await;
    assert_eq!(
        tl.as_array().unwrap().last().unwrap()["detail"]["text"],
        note
    );
    // The tables are all still there.
    assert_eq!(total(&ts, &clerk).await, 2);
    assert_eq!(timeline_len(&ts, &clerk, &plain).await, 1);

    // Search: the literal text is found; metacharacters are not query syntax.
    let search = |q: &str| {
        let url = format!("/cases?q={}", urlencode(q));
        let ts = &ts;
        let clerk = clerk.clone();
        async move {
            let (st, v) = ts.get(Some(&clerk), &url).await;
            assert_eq!(st, StatusCode::OK, "q={url}: {v}");
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    for q in [
        "DROP TABLE cases",
        "<script>",
        "alert(1)",
        "'; DROP",
        "DELETE FROM timeline;--",
        "100%",
        "%",
        "_",
        "下划线_",
        "\"双引号\"",
        "\\",
        "onerror=alert",
    ] {
        assert_eq!(search(q).await, vec![id.clone()], "q={q}");
    }
    for q in [
        "' OR '1'='1",
        "\" OR \"\"=\"",
        "*",
        "NEAR(a b)",
        "cases MATCH",
        "%%",
        "__",
    ] {
        assert!(search(q).await.is_empty(), "q={q}");
    }
    assert_eq!(search("对照").await, vec![plain.clone()]);
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

#[tokio::test]
async fn bulk_import_reports_each_row_and_stores_only_good_ones() {
    let (ts, clerk) = server().await;
    let before = total(&ts, &clerk).await;
    let csv = "\u{feff}标题,内容,姓名,电话,身份证号,诉求类型\n\
        楼道堆放杂物,楼道长期堆放杂物存在消防隐患,张三,13912345678,370102199003071238,投诉\n\
        坏电话,夜间噪音,李四,1391234,,投诉\n\
        ,没有标题的内容,王五,13912345678,,咨询\n\
        坏身份证,咨询户口迁移,赵六,13912345678,370102199003071230,咨询\n\
        未知类型,内容,钱七,13912345678,,抱怨\n\
        \"带逗号,的标题\",\"内容里有\"\"引号\"\"和换行\n第二行\",孙八,0531-86081234,,求助\n";
    let (st, v) = ts
        .post_raw(
            Some(&clerk),
            "/intake/bulk?channel=12345市长热线",
            "text/csv; charset=utf-8",
            csv.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 6, "{v}");
    assert_eq!(v["accepted"], 2, "{v}");
    assert_eq!(v["rejected"], 4, "{v}");
    let rows = v["rows"].as_array().unwrap();
    let expect = [
        (1, None),
        (2, Some("INVALID_FIELD")),
        (3, Some("INVALID_FIELD")),
        (4, Some("INVALID_FIELD")),
        (5, Some("BAD_ROW")),
        (6, None),
    ];
    for (r, (row, code)) in rows.iter().zip(expect) {
        assert_eq!(r["row"], row, "{r}");
        assert_eq!(r["ok"], code.is_none(), "{r}");
        match code {
            Some(code) => {
                assert_eq!(r["code"], code, "{r}");
                assert!(has_cjk(r["message"].as_str().unwrap()), "{r}");
                assert!(r["caseId"].is_null(), "{r}");
            }
            None => assert!(
                r["number"].as_str().unwrap().starts_with("MS20260302"),
                "{r}"
            ),
        }
    }
    assert!(
        rows[4]["message"].as_str().unwrap().contains("抱怨"),
        "{}",
        rows[4]
    );
    assert_eq!(total(&ts, &clerk).await, before + 2);
    let quoted = rows[5]["caseId"].as_str().unwrap();
    let (_, c) = ts.get(Some(&clerk), &format!("/cases/{quoted}")).await;
    assert_eq!(c["title"], "带逗号,的标题");
    assert_eq!(c["content"], "内容里有\"引号\"和换行\n第二行");
    assert_eq!(c["requestType"], "求助");

    // A JSON feed: good rows stored, bad rows (including unknown fields) reported.
    let feed = json!([
        {"title": "网上反映电动车被盗", "content": "小区车棚电动车被盗", "citizenPhone": "13812345678"},
        {"title": "坏电话", "content": "内容", "citizenPhone": "abc"},
        {"title": "多余字段", "content": "内容", "hack": true},
        "不是对象",
        {"title": "网上咨询出入境", "content": "护照办理需要什么材料", "requestType": "咨询", "channel": "网上信访"}
    ]);
    let (st, v) = ts
        .post_raw(
            Some(&clerk),
            "/intake/bulk?channel=手机版在线服务",
            "application/json",
            serde_json::to_vec(&feed).unwrap(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (v["total"].as_u64(), v["accepted"].as_u64()),
        (Some(5), Some(2)),
        "{v}"
    );
    let oks: Vec<bool> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(oks, [true, false, false, false, true]);
    assert_eq!(total(&ts, &clerk).await, before + 4);
    let last = v["rows"][4]["caseId"].as_str().unwrap();
    let (_, c) = ts.get(Some(&clerk), &format!("/cases/{last}")).await;
    assert_eq!(c["channel"], "网上信访");

    // Unusable feeds are refused whole.
    for (what, ct, body, status, code) in [
        (
            "CSV without title column",
            "text/csv",
            "name,phone\n张三,13912345678\n".as_bytes().to_vec(),
            400,
            "BAD_REQUEST",
        ),
        ("empty CSV", "text/csv", Vec::new(), 400, "BAD_REQUEST"),
        (
            "JSON object, not array",
            "application/json",
            br#"{"title":"x","content":"y"}"#.to_vec(),
            400,
            "BAD_REQUEST",
        ),
        (
            "broken JSON",
            "application/json",
            br#"[{"title":"x""#.to_vec(),
            400,
            "BAD_REQUEST",
        ),
    ] {
        let (st, v) = post_bytes(
            &ts,
            &clerk,
            "/intake/bulk?channel=12345市长热线",
            Some(ct),
            body,
        )
        .await;
        assert_err(what, st, &v, status, code);
    }
    // Invalid UTF-8 in a row: that row is reported, nothing crashes.
    let mut bytes = b"title,content\n".to_vec();
    bytes.extend_from_slice(b"\xff\xfe bad,bytes\n");
    let (st, v) = post_bytes(
        &ts,
        &clerk,
        "/intake/bulk?channel=12345市长热线",
        Some("text/csv"),
        bytes,
    )
    .await;
    if st == StatusCode::OK {
        assert_eq!(v["accepted"], 0, "{v}");
    } else {
        assert_err("invalid UTF-8", st, &v, 400, "BAD_REQUEST");
    }
    assert_eq!(total(&ts, &clerk).await, before + 4);
}

/// Dates at the ends of the calendar (found by Schemathesis): the period and range
/// arithmetic overflowed and the server answered 500. Now they are refused with 400, and
/// a client-minted case id that is taken is a 409, not a failed insert.
#[tokio::test]
async fn extreme_dates_and_taken_ids_are_refused_not_server_errors() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let leader = s.login("leader").await;
    for path in [
        "/dashboard?period=week&date=-262143-01-01",
        "/dashboard?period=month&date=%2B262142-12-31",
        "/assessment/scores?period=week&date=-262143-01-01",
        "/analytics?to=-262143-01-01T00:00:00Z",
        "/analytics?from=%2B262142-12-31T00:00:00Z",
        "/analytics/cases?to=-262143-01-01T00:00:00Z",
    ] {
        let (st, body) = s.get(Some(&leader), path).await;
        assert_err(path, st, &body, 400, "BAD_REQUEST");
    }
    let clerk = s.login("clerk").await;
    let id = s.intake(&clerk, "小区门口路灯损坏").await;
    let (st, body) = s
        .post(
            Some(&clerk),
            "/cases",
            &json!({"id": id, "channel": "12345市长热线", "title": "重复的 id", "content": "同一个 id 再登记一次"}),
        )
        .await;
    assert_err("taken case id", st, &body, 409, "ALREADY_EXISTS");
    // In a JSON feed the row with a taken id (stored, or an earlier row's) is refused
    // alone; the other rows are stored.
    let fresh = "0190f5d2-0000-7000-8000-00000000abcd";
    let row = |id: &str, title: &str| json!({"id": id, "title": title, "content": "路灯坏了"});
    let feed = json!([
        row(&id, "已存在"),
        row(fresh, "新的"),
        row(fresh, "同一文件重复")
    ]);
    let (st, body) = s
        .post_raw(
            Some(&clerk),
            "/intake/bulk?channel=12345市长热线",
            "application/json",
            serde_json::to_vec(&feed).unwrap(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let oks: Vec<bool> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(oks, [false, true, false], "{body}");
    assert_eq!(body["rows"][0]["code"], "ALREADY_EXISTS", "{body}");
}
