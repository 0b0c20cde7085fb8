//! Concurrent writers and readers on one server: sixteen desktops push at once while
//! others read. Every push must be answered (no 5xx, no stall until a deadline) and
//! every command applied exactly once. Pushes of `assign` commands resolve the officer
//! while their batch holds the write lock, the case that used to stall: the writer
//! waited for a second pooled connection that the queued writers held.

mod support;

use std::time::Duration;

use chrono::Utc;
use minsheng_domain::ids::CommandId;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer, SYNC_CLIENT, SYNC_SCHEMA};

const PUSHERS: usize = 16;
const READERS: usize = 8;
const COMMANDS_PER_PUSH: usize = 40;
const READS_PER_READER: usize = 15;

/// What one request came back with: the status, or why there was none.
#[derive(Debug)]
enum Answer {
    Status(StatusCode, Value),
    Failed(String),
}

async fn send(rb: reqwest::RequestBuilder) -> Answer {
    match rb.send().await {
        Ok(resp) => {
            let status = resp.status();
            match resp.text().await {
                Ok(text) => Answer::Status(
                    status,
                    serde_json::from_str(&text).unwrap_or(Value::String(text)),
                ),
                Err(e) => Answer::Failed(e.to_string()),
            }
        }
        Err(e) => Answer::Failed(e.to_string()),
    }
}

fn user_id(s: &TestServer, name: &str) -> String {
    support::off_runtime(|| s.state.store.user_by_username(name))
        .expect("store")
        .expect("user")
        .id
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_pushes_with_readers_are_all_answered_and_applied_once() {
    let s = TestServer::start_at(bj("2026-03-02 09:00")).await;
    let clerk = s.login("clerk").await;
    let head = s.login("head").await;
    let officer = s.login("officer").await;
    let qcl = s.unit("JN-LX-QCL");
    let officers = [user_id(&s, "officer"), user_id(&s, "head")];

    // One case per desktop, each waiting for sign-in at 泉城路派出所 (the head's unit).
    let mut cases = Vec::new();
    for p in 0..PUSHERS {
        let id = s.intake(&clerk, &format!("并发写入测试诉求 {p}")).await;
        s.act_ok(&clerk, &id, s.dispatch("JN-LX-QCL", "治安管理", json!({})))
            .await;
        cases.push(id);
    }
    // Each desktop pushes `assign` commands (officer, head, officer, ...) on its case.
    let bodies: Vec<Value> = cases
        .iter()
        .map(|case| {
            let commands: Vec<Value> = (0..COMMANDS_PER_PUSH)
                .map(|i| {
                    json!({
                        "id": CommandId::mint(Utc::now()).to_string(),
                        "seq": i + 1,
                        "caseId": case,
                        "baseVersion": 2,
                        "action": {"type": "assign", "officer": {
                            "id": officers[i % 2], "unit": qcl, "role": "officer"}},
                        "deviceAt": "2026-03-02T01:00:00Z"
                    })
                })
                .collect();
            json!({"installId": uuid::Uuid::new_v4().to_string(), "commands": commands})
        })
        .collect();

    // A bounded wait per request: a stalled server fails the test instead of hanging it.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(90))
        .build()
        .expect("client");
    let push = |body: Value| {
        let rb = client
            .post(s.url("/sync/push"))
            .bearer_auth(&head)
            .header("X-Minsheng-Client", SYNC_CLIENT)
            .header("X-Minsheng-Schema", SYNC_SCHEMA)
            .json(&body);
        tokio::spawn(send(rb))
    };
    let mut pushes = Vec::new();
    for body in &bodies {
        pushes.push(push(body.clone()));
    }
    let mut reads = Vec::new();
    for r in 0..READERS {
        let (client, token) = (client.clone(), officer.clone());
        let (list, pull) = (s.url("/cases?limit=50"), s.url("/sync/pull?limit=100"));
        reads.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for i in 0..READS_PER_READER {
                let rb = if (r + i) % 2 == 0 {
                    client.get(&list).bearer_auth(&token)
                } else {
                    client
                        .get(&pull)
                        .bearer_auth(&token)
                        .header("X-Minsheng-Client", SYNC_CLIENT)
                        .header("X-Minsheng-Schema", SYNC_SCHEMA)
                };
                answers.push(send(rb).await);
            }
            answers
        }));
    }

    let mut failures = Vec::new();
    for (p, h) in pushes.into_iter().enumerate() {
        match h.await.expect("join") {
            Answer::Status(StatusCode::OK, body) => {
                let results = body["results"].as_array().expect("results");
                assert_eq!(results.len(), COMMANDS_PER_PUSH, "{body}");
                for r in results {
                    if r["status"] != "applied" {
                        failures.push(format!(
                            "push {p}: command not applied: {} {}",
                            r["code"], r["message"]
                        ));
                    }
                }
            }
            Answer::Status(st, body) => failures.push(format!("push {p}: {st} {body}")),
            Answer::Failed(e) => failures.push(format!("push {p}: no answer: {e}")),
        }
    }
    for h in reads {
        for a in h.await.expect("join") {
            match a {
                Answer::Status(StatusCode::OK, _) => {}
                Answer::Status(st, body) => failures.push(format!("read: {st} {body}")),
                Answer::Failed(e) => failures.push(format!("read: no answer: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed requests or commands, e.g. {:#?}",
        failures.len(),
        &failures[..failures.len().min(8)]
    );

    // Exactly once: pushing every batch again replays the stored outcomes and writes
    // nothing; each case has intake + dispatch + one entry per command.
    for body in &bodies {
        let (st, again) = s.push(&head, body).await;
        assert_eq!(st, StatusCode::OK, "{again}");
        assert!(
            again["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["status"] == "applied"),
            "{again}"
        );
    }
    for case in &cases {
        let (st, tl) = s.get(Some(&head), &format!("/cases/{case}/timeline")).await;
        assert_eq!(st, StatusCode::OK, "{tl}");
        assert_eq!(
            tl.as_array().unwrap().len(),
            2 + COMMANDS_PER_PUSH,
            "{case}"
        );
    }
    let processed = s.sql_i64("SELECT count(*) FROM processed_commands");
    assert_eq!(processed, (PUSHERS * COMMANDS_PER_PUSH) as i64);
}
