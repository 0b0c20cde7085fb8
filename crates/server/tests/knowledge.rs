//! Knowledge base (知识库 / 规范答复口径): create, list and search, versioned edits with
//! a stale-version conflict, review, retire, who may read and write, and the audit log.

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

async fn send(rb: reqwest::RequestBuilder, token: &str) -> (StatusCode, Value) {
    let resp = rb.bearer_auth(token).send().await.expect("request");
    let st = resp.status();
    let text = resp.text().await.expect("body");
    (
        st,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn put(ts: &TestServer, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    send(ts.client.put(ts.url(path)).json(body), token).await
}

async fn delete(ts: &TestServer, token: &str, path: &str) -> (StatusCode, Value) {
    send(ts.client.delete(ts.url(path)), token).await
}

fn titles(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn standard_replies_are_created_searched_versioned_reviewed_and_retired() {
    let ts = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = ts.login("clerk").await;
    let admin = ts.login("admin").await;

    // The demo seed has answers for the common categories.
    let (st, seeded) = ts.get(Some(&clerk), "/knowledge").await;
    assert_eq!(st, StatusCode::OK, "{seeded}");
    let cats: Vec<&str> = seeded
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    for c in ["噪音扰民", "交通管理", "户政管理", "出入境"] {
        assert!(cats.contains(&c), "seed lacks {c}: {cats:?}");
    }

    // Create.
    let (st, created) = ts
        .post(
            Some(&clerk),
            "/knowledge",
            &json!({"category": "噪音扰民", "title": " 娱乐场所噪音答复 ", "body": "您好！关于KTV夜间噪音，民警已责令整改。"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    assert_eq!(created["title"], "娱乐场所噪音答复", "trimmed");
    assert_eq!(created["version"], 1);
    assert_eq!(created["retired"], false);
    assert!(created["reviewedAt"].is_string());
    let id = created["id"].as_str().unwrap().to_owned();

    // List by category, and search by text in title or body.
    let (_, noise) = ts.get(Some(&clerk), "/knowledge?category=噪音扰民").await;
    let t = titles(&noise);
    assert!(t.contains(&"娱乐场所噪音答复".to_owned()), "{t:?}");
    assert!(noise
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["category"] == "噪音扰民"));
    let (_, found) = ts.get(Some(&clerk), "/knowledge?q=KTV").await;
    assert_eq!(titles(&found), ["娱乐场所噪音答复"]);
    let (_, found) = ts
        .get(Some(&clerk), "/knowledge?category=交通管理&q=KTV")
        .await;
    assert_eq!(found.as_array().unwrap().len(), 0);
    // LIKE wildcards are plain text.
    let (_, none) = ts.get(Some(&clerk), "/knowledge?q=%25").await;
    assert_eq!(none.as_array().unwrap().len(), 0, "{none}");

    // Update with the right version: version 2, the old text kept.
    let (st, v2) = put(
        &ts,
        &clerk,
        &format!("/knowledge/{id}"),
        &json!({"expectedVersion": 1, "title": "娱乐场所噪音答复（修订）", "body": "您好！关于KTV夜间噪音，民警已责令整改并复查。"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v2}");
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["category"], "噪音扰民", "category kept when absent");
    let old = {
        let st = ts.state.clone();
        let id = id.clone();
        tokio::task::spawn_blocking(move || st.store.standard_reply_versions(&id))
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].version, 1);
    assert_eq!(old[0].title, "娱乐场所噪音答复");

    // A stale edit (someone else saved version 2 meanwhile) is refused, nothing changes.
    let (st, body) = put(
        &ts,
        &admin,
        &format!("/knowledge/{id}"),
        &json!({"expectedVersion": 1, "title": "过期修改", "body": "过期"}),
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "STALE_VERSION");
    assert!(
        body["message"].as_str().unwrap().contains("当前版本 2"),
        "{body}"
    );
    let (_, found) = ts.get(Some(&clerk), "/knowledge?q=过期").await;
    assert_eq!(found.as_array().unwrap().len(), 0);

    // Review: reviewed now, same version.
    ts.clock.set(bj("2026-12-01 10:00"));
    let (st, reviewed) = ts
        .post(Some(&admin), &format!("/knowledge/{id}/review"), &json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{reviewed}");
    assert_eq!(reviewed["version"], 2);
    assert_eq!(reviewed["reviewedAt"], "2026-12-01T02:00:00Z");

    // Retire: hidden from the list, shown to editors asking for retired ones.
    let (st, retired) = delete(&ts, &admin, &format!("/knowledge/{id}")).await;
    assert_eq!(st, StatusCode::OK, "{retired}");
    assert_eq!(retired["retired"], true);
    let (_, list) = ts.get(Some(&clerk), "/knowledge?q=KTV").await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    let (_, list) = ts
        .get(Some(&clerk), "/knowledge?q=KTV&includeRetired=true")
        .await;
    assert_eq!(titles(&list), ["娱乐场所噪音答复（修订）"]);

    // Unknown ids.
    let ghost = "/knowledge/no-such-reply";
    let (st, body) = delete(&ts, &admin, ghost).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("NOT_FOUND"))
    );
    let (st, _) = put(
        &ts,
        &admin,
        ghost,
        &json!({"expectedVersion": 1, "title": "x", "body": "y"}),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Every change is in the audit log with what changed.
    let (st, audit) = ts.get(Some(&admin), "/audit").await;
    assert_eq!(st, StatusCode::OK);
    let rows: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["target"] == id.as_str())
        .collect();
    let actions: Vec<&str> = rows.iter().map(|a| a["action"].as_str().unwrap()).collect();
    for a in [
        "createStandardReply",
        "updateStandardReply",
        "reviewStandardReply",
        "retireStandardReply",
    ] {
        assert!(actions.contains(&a), "{a} not audited: {actions:?}");
    }
    let update = rows
        .iter()
        .find(|a| a["action"] == "updateStandardReply")
        .unwrap();
    let detail = update["detail"].as_str().unwrap();
    assert!(
        detail.contains("版本 1 → 2") && detail.contains("标题") && detail.contains("正文"),
        "{detail}"
    );
}

#[tokio::test]
async fn validation_answers_stable_codes_in_chinese() {
    let ts = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = ts.login("clerk").await;
    let long_title = "标".repeat(101);
    let long_body = "文".repeat(5001);
    for (body, code) in [
        (
            json!({"category": " ", "title": "t", "body": "b"}),
            "KNOWLEDGE_CATEGORY_REQUIRED",
        ),
        (
            json!({"category": "交通管理", "title": "", "body": "b"}),
            "KNOWLEDGE_TITLE_REQUIRED",
        ),
        (
            json!({"category": "交通管理", "title": long_title, "body": "b"}),
            "KNOWLEDGE_TITLE_TOO_LONG",
        ),
        (
            json!({"category": "交通管理", "title": "t", "body": "  "}),
            "KNOWLEDGE_BODY_REQUIRED",
        ),
        (
            json!({"category": "交通管理", "title": "t", "body": long_body}),
            "KNOWLEDGE_BODY_TOO_LONG",
        ),
    ] {
        let (st, r) = ts.post(Some(&clerk), "/knowledge", &body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{code}: {r}");
        assert_eq!(r["code"], code);
        assert!(
            r["message"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{r}"
        );
    }
    // The limits themselves are allowed.
    let (st, r) = ts
        .post(
            Some(&clerk),
            "/knowledge",
            &json!({"category": "交通管理", "title": "标".repeat(100), "body": "文".repeat(5000)}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    // An edit is validated the same way.
    let id = r["id"].as_str().unwrap();
    let (st, r) = put(
        &ts,
        &clerk,
        &format!("/knowledge/{id}"),
        &json!({"expectedVersion": 1, "title": "标".repeat(101), "body": "b"}),
    )
    .await;
    assert_eq!(
        (st, r["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("KNOWLEDGE_TITLE_TOO_LONG")
        )
    );
}

#[tokio::test]
async fn every_role_reads_only_admin_and_clerk_write() {
    let ts = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (_, seeded) = ts.get(Some(&ts.login("clerk").await), "/knowledge").await;
    let id = seeded[0]["id"].as_str().unwrap().to_owned();
    for role in [
        "admin",
        "clerk",
        "leader",
        "supervisor",
        "head",
        "officer",
        "officer2",
        "followup",
    ] {
        let tok = ts.login(role).await;
        let editor = matches!(role, "admin" | "clerk");
        let (st, list) = ts.get(Some(&tok), "/knowledge?category=出入境").await;
        assert_eq!(st, StatusCode::OK, "{role} reads: {list}");
        assert!(!list.as_array().unwrap().is_empty(), "{role}");
        let want = if editor {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        let (st, body) = ts.get(Some(&tok), "/knowledge?includeRetired=true").await;
        assert_eq!(st, want, "{role} includeRetired: {body}");

        let (st, body) = ts
            .post(
                Some(&tok),
                "/knowledge",
                &json!({"category": "出入境", "title": format!("{role}写的"), "body": "内容"}),
            )
            .await;
        let want = if editor {
            StatusCode::CREATED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(st, want, "{role} creates: {body}");
        if !editor {
            assert_eq!(body["code"], "FORBIDDEN");
            let (st, _) = put(
                &ts,
                &tok,
                &format!("/knowledge/{id}"),
                &json!({"expectedVersion": 1, "title": "改", "body": "改"}),
            )
            .await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{role} edits");
            let (st, _) = ts
                .post(Some(&tok), &format!("/knowledge/{id}/review"), &json!({}))
                .await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{role} reviews");
            let (st, _) = delete(&ts, &tok, &format!("/knowledge/{id}")).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{role} retires");
        }
    }
    // No token: 401.
    let (st, body) = ts.get(None, "/knowledge").await;
    assert_eq!(
        (st, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("UNAUTHENTICATED"))
    );
    // The OpenAPI document lists the routes.
    let (_, doc) = ts.get(None, "/openapi.json").await;
    for p in [
        "/api/v1/knowledge",
        "/api/v1/knowledge/{id}",
        "/api/v1/knowledge/{id}/review",
    ] {
        assert!(doc["paths"].get(p).is_some(), "openapi lacks {p}");
    }
    assert!(doc["components"]["schemas"].get("StandardReply").is_some());
}
