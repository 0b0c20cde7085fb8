//! A stale push replayed: an old batch re-sent after newer batches were applied (a
//! client restored from an old copy of its cache, a proxy replaying a request) is
//! answered from the server's processed-command log and changes nothing — not the
//! cases, not their timelines, not the change log — even where re-validating the old
//! commands against the cases as they are now would give other answers (SPEC §8–9:
//! every queued action takes effect exactly once, "a batch delivered twice").

use chrono::{Duration, Utc};
use minsheng_client::api;
use minsheng_client::cache::migrations::SCHEMA_VERSION;
use minsheng_domain::ids::CaseId;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_tests::server::CityServer;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

/// Everything a replay could change, read from the server's own tables.
#[derive(Debug, PartialEq)]
struct Snapshot {
    cases: Vec<(CaseId, u64, String, Vec<TimelineEntry>)>,
    processed: Vec<minsheng_tests::server::Processed>,
    change_counter: u64,
}

fn snapshot(server: &CityServer, ids: &[CaseId]) -> Snapshot {
    Snapshot {
        cases: ids
            .iter()
            .map(|id| {
                let c = server.case(*id);
                (
                    *id,
                    c.version,
                    format!("{:?}", c.state),
                    server.timeline(*id),
                )
            })
            .collect(),
        processed: server.processed(),
        change_counter: server.change_counter(),
    }
}

/// One pushed command: (id, seq, case, action).
fn command(id: Uuid, seq: u64, case: CaseId, action: &Value, minutes_ago: i64) -> Value {
    json!({
        "id": id,
        "seq": seq,
        "caseId": case,
        "action": action,
        "deviceAt": Utc::now() - Duration::minutes(minutes_ago),
    })
}

/// `POST /sync/push` as the desktop client sends it (its version headers included), but
/// with the body written here, so a batch can be re-sent exactly as it went the first time.
async fn push(server: &CityServer, token: &str, install: Uuid, commands: &[Value]) -> Value {
    let resp = server
        .http
        .post(server.url("/sync/push"))
        .bearer_auth(token)
        .header(api::CLIENT_HEADER, api::client_id())
        .header(api::SCHEMA_HEADER, SCHEMA_VERSION.to_string())
        .json(&json!({ "installId": install, "commands": commands }))
        .send()
        .await
        .expect("push request");
    let st = resp.status();
    let body: Value = resp.json().await.expect("push answer");
    assert_eq!(st, StatusCode::OK, "push: {body}");
    body
}

fn statuses(answer: &Value) -> Vec<(String, String, Option<String>)> {
    answer["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_owned(),
                r["status"].as_str().expect("status").to_owned(),
                r["code"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_old_batch_resent_after_newer_ones_is_answered_from_the_log_and_changes_nothing() {
    let server = CityServer::start().await;
    let clerk = server.login("clerk").await;
    let officer = server.login("officer").await;
    let a = server
        .dispatched(&clerk, "JN-LX-QCL", "旧批次重放：小区门口占道经营")
        .await;
    let b = server
        .dispatched(&clerk, "JN-LX-QCL", "旧批次重放：夜间广场舞噪音")
        .await;
    let install = Uuid::now_v7();
    let ids: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();

    // Batch 1: sign in A (applied), an approval an officer may not give (refused), and a
    // note on B (applied; a note would apply again if the command were re-run).
    let batch1 = vec![
        command(ids[0], 1, a, &json!({"type": "signIn"}), 50),
        command(
            ids[1],
            2,
            a,
            &json!({"type": "approve", "comment": null}),
            49,
        ),
        command(
            ids[2],
            3,
            b,
            &json!({"type": "addNote", "text": "群众来电补充情况"}),
            48,
        ),
    ];
    let first = push(&server, &officer, install, &batch1).await;
    assert_eq!(
        statuses(&first),
        vec![
            (ids[0].to_string(), "applied".into(), None),
            (
                ids[1].to_string(),
                "rejected".into(),
                Some("ROLE_NOT_ALLOWED".into())
            ),
            (ids[2].to_string(), "applied".into(), None),
        ],
        "{first}"
    );
    // Batches 2 and 3 move both cases on.
    push(
        &server,
        &officer,
        install,
        &[
            command(
                ids[3],
                4,
                a,
                &json!({"type": "submitReply", "text": "已联系城管，占道摊点已清理。"}),
                40,
            ),
            command(ids[4], 5, b, &json!({"type": "signIn"}), 39),
        ],
    )
    .await;
    push(
        &server,
        &officer,
        install,
        &[command(
            ids[5],
            6,
            b,
            &json!({"type": "addNote", "text": "已约群众面谈"}),
            30,
        )],
    )
    .await;
    assert_eq!(
        format!("{:?}", server.case(a).state),
        "PendingReview",
        "batches 1 and 2 applied"
    );
    let before = snapshot(&server, &[a, b]);
    assert_eq!(
        before
            .processed
            .iter()
            .filter(|p| p.install_id == install.to_string())
            .count(),
        6
    );

    // Batch 1 again, byte for byte. Re-validated now, its sign-in would be refused (A is
    // 待审核) and its note would be added a second time: answered from the log, both are
    // `applied` as the first time and nothing moves, and the refused approval stays
    // refused with the same reason.
    let replay = push(&server, &officer, install, &batch1).await;
    assert_eq!(statuses(&replay), statuses(&first), "{replay}");
    assert_eq!(
        replay["results"], first["results"],
        "the stored answers, verbatim"
    );
    assert_eq!(
        replay["ackSeq"],
        json!(6),
        "the acknowledged sequence does not move back"
    );
    let after = snapshot(&server, &[a, b]);
    assert_eq!(after, before, "a stale replay changed the server");

    // And once more mixed with a new command: the old ones are answered from the log,
    // the new one applies, and only it leaves a trace.
    let mixed = push(
        &server,
        &officer,
        install,
        &[
            batch1[0].clone(),
            command(
                Uuid::now_v7(),
                7,
                b,
                &json!({"type": "addNote", "text": "第二次面谈"}),
                1,
            ),
        ],
    )
    .await;
    let got = statuses(&mixed);
    assert_eq!(got[0], statuses(&first)[0], "{mixed}");
    assert_eq!(got[1].1, "applied", "{mixed}");
    let a_after = server.case(a);
    assert_eq!(
        (a_after.version, server.timeline(a)),
        (before.cases[0].1, before.cases[0].3.clone()),
        "case A untouched by the replayed sign-in"
    );
    assert_eq!(server.timeline(b).len(), before.cases[1].3.len() + 1);
}
