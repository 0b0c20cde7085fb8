//! Desktop sync over real HTTP: exactly-once push with re-validation, paged pulls with
//! tombstones, offline intake, and the client-version gate.

mod support;

use std::collections::HashSet;

use chrono::Utc;
use minsheng_domain::ids::CommandId;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

fn new_id() -> String {
    CommandId::mint(Utc::now()).to_string()
}

fn action_cmd(seq: u64, case: &str, base: u64, action: Value) -> Value {
    json!({
        "id": new_id(), "seq": seq, "caseId": case, "baseVersion": base,
        "action": action, "deviceAt": "2026-11-23T01:30:00Z"
    })
}

fn statuses(body: &Value) -> Vec<&str> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or_default())
        .collect()
}

/// A case dispatched to 泉城路派出所 (the demo officer's station); returns its id.
async fn dispatched(s: &TestServer, clerk: &str, title: &str) -> String {
    let id = s.intake(clerk, title).await;
    s.act_ok(clerk, &id, s.dispatch("JN-LX-QCL", "治安管理", json!({})))
        .await;
    id
}

async fn timeline_len(s: &TestServer, token: &str, id: &str) -> usize {
    let (st, tl) = s.get(Some(token), &format!("/cases/{id}/timeline")).await;
    assert_eq!(st, StatusCode::OK, "{tl}");
    tl.as_array().unwrap().len()
}

/// The change-log position of a pull cursor (`"<epoch>:<position>"`; 0 for none).
fn position(cursor: &str) -> u64 {
    cursor
        .split_once(':')
        .map_or(0, |(_, p)| p.parse().expect("cursor position"))
}

/// Pulls every page from `cursor`; returns (changed ids per page, removed, final cursor).
async fn pull_all(
    s: &TestServer,
    token: &str,
    cursor: &str,
    limit: usize,
) -> (Vec<Vec<String>>, Vec<String>, String) {
    let mut cursor = cursor.to_owned();
    let mut pages = Vec::new();
    let mut removed = Vec::new();
    loop {
        let (st, page) = s.pull(token, &cursor, limit).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        let ids: Vec<String> = page["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(ids.len() <= limit);
        removed.extend(
            page["removed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned()),
        );
        pages.push(ids);
        let next = page["nextCursor"].as_str().unwrap().to_owned();
        assert!(
            position(&next) >= position(&cursor),
            "the cursor never goes back"
        );
        cursor = next;
        if page["hasMore"] != json!(true) {
            return (pages, removed, cursor);
        }
    }
}

#[tokio::test]
async fn a_batch_pushed_twice_is_applied_once_with_identical_answers() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let id = dispatched(&s, &clerk, "小区楼道堆放杂物").await;
    let install = new_id();
    let batch = json!({
        "installId": install,
        "commands": [
            action_cmd(1, &id, 2, json!({"type": "signIn"})),
            action_cmd(2, &id, 3, json!({"type": "submitReply", "text": "已联系物业清理楼道杂物。"})),
        ]
    });
    let (st, first) = s.push(&officer, &batch).await;
    assert_eq!(st, StatusCode::OK, "{first}");
    assert_eq!(statuses(&first), ["applied", "applied"]);
    assert_eq!(first["ackSeq"], json!(2));
    assert_eq!(first["results"][1]["case"]["state"], json!("pendingReview"));

    // The response was "lost": the client sends the same batch again.
    let (st, second) = s.push(&officer, &batch).await;
    assert_eq!(st, StatusCode::OK, "{second}");
    assert_eq!(
        second, first,
        "a replay answers exactly what the first push did"
    );
    assert_eq!(
        timeline_len(&s, &clerk, &id).await,
        4,
        "intake, dispatch, 2 commands"
    );

    // A push naming another epoch (the client synced with the database before a
    // restore) applies nothing; the right epoch, or none, is served as usual.
    let epoch = first["epoch"].as_str().expect("epoch").to_owned();
    assert_eq!(epoch.len(), 16, "{epoch}");
    let other = format!("{:016x}", u64::from_str_radix(&epoch, 16).unwrap() ^ 1);
    let note = |seq: u64, epoch: &str| {
        json!({"installId": install, "epoch": epoch, "commands": [
            action_cmd(seq, &id, 4, json!({"type": "addNote", "text": "补充说明"}))
        ]})
    };
    let (st, err) = s.push(&officer, &note(3, &other)).await;
    assert_eq!(st, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["code"], json!("SYNC_RESET"));
    assert_eq!(timeline_len(&s, &clerk, &id).await, 4, "nothing applied");
    let (st, ok) = s.push(&officer, &note(3, &epoch)).await;
    assert_eq!(st, StatusCode::OK, "{ok}");
    assert_eq!(ok["ackSeq"], json!(3));
    assert_eq!(ok["epoch"], json!(epoch));

    let (_, tl) = s.get(Some(&clerk), &format!("/cases/{id}/timeline")).await;
    assert_eq!(tl[2]["kind"], json!("signIn"));
    assert_eq!(tl[2]["deviceAt"], json!("2026-11-23T01:30:00Z"));
    let (_, report) = s
        .get(Some(&clerk), &format!("/cases/{id}/timeline/verify"))
        .await;
    assert_eq!(report["valid"], json!(true), "{report}");
}

#[tokio::test]
async fn a_refused_command_does_not_block_the_next_and_stale_ones_get_the_case() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let id = dispatched(&s, &clerk, "夜间广场舞噪音扰民").await;
    let other = dispatched(&s, &clerk, "路口违停车辆堵塞通道").await;
    // Someone else signs `other` in online while this officer is offline.
    s.act_ok(&officer, &other, json!({"type": "signIn"})).await;

    let (st, body) = s
        .push(
            &officer,
            &json!({
                "installId": new_id(),
                "commands": [
                    action_cmd(1, &id, 2, json!({"type": "signIn"})),
                    // Officers may not approve: refused by the rules, on the version they saw.
                    action_cmd(2, &id, 3, json!({"type": "approve", "comment": "同意"})),
                    action_cmd(3, &id, 3, json!({"type": "submitReply", "text": "已协调广场管理方调低音量。"})),
                    // Built on version 2; the case moved on and sign-in no longer fits.
                    action_cmd(4, &other, 2, json!({"type": "signIn"})),
                    // A payload this server cannot read is refused alone.
                    action_cmd(5, &id, 4, json!({"type": "teleport"})),
                ]
            }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(
        statuses(&body),
        ["applied", "rejected", "applied", "conflict", "rejected"]
    );
    let r = &body["results"];
    assert_eq!(r[1]["code"], json!("ROLE_NOT_ALLOWED"));
    assert!(r[1]["message"]
        .as_str()
        .unwrap()
        .chars()
        .any(|c| c > '\u{2e80}'));
    assert!(r[1].get("case").is_none());
    assert_eq!(r[2]["case"]["state"], json!("pendingReview"));
    assert_eq!(
        r[3]["case"]["id"],
        json!(other),
        "the conflict shows the server's case"
    );
    assert_eq!(r[3]["case"]["version"], json!(3));
    assert_eq!(r[4]["code"], json!("BAD_REQUEST"));
    assert_eq!(
        body["ackSeq"],
        json!(5),
        "refused commands advance the sequence too"
    );
    assert_eq!(timeline_len(&s, &clerk, &id).await, 4);
}

#[tokio::test]
async fn a_reply_to_a_case_reassigned_elsewhere_is_a_conflict_and_a_tombstone() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let id = dispatched(&s, &clerk, "商铺占道经营影响通行").await;

    let (pages, removed, cursor) = pull_all(&s, &officer, "", 50).await;
    assert_eq!(pages.concat(), std::slice::from_ref(&id));
    assert!(removed.is_empty());

    // Offline, the officer signs in and replies; meanwhile the clerk sends it to 大观园.
    s.act_ok(
        &clerk,
        &id,
        json!({"type": "redispatch", "reason": "属大观园派出所辖区",
               "order": {"handlingUnit": s.unit("JN-SZ-DGY"), "category": "治安管理", "requestType": "投诉"}}),
    )
    .await;
    let (st, body) = s
        .push(
            &officer,
            &json!({"installId": new_id(), "commands": [
                action_cmd(1, &id, 2, json!({"type": "signIn"})),
                action_cmd(2, &id, 3, json!({"type": "submitReply", "text": "已处理。"})),
            ]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(statuses(&body), ["conflict", "conflict"]);
    assert_eq!(body["results"][0]["code"], json!("OUT_OF_SCOPE"));
    assert!(body["results"][0].get("case").is_none(), "nothing leaks");

    let (pages, removed, _) = pull_all(&s, &officer, &cursor, 50).await;
    assert!(pages.concat().is_empty());
    assert_eq!(removed, std::slice::from_ref(&id));
    // The new station sees it in its first pull.
    let officer2 = s.login("officer2").await;
    let (pages, _, _) = pull_all(&s, &officer2, "", 50).await;
    assert_eq!(pages.concat(), [id]);
}

#[tokio::test]
async fn pull_pages_cover_every_change_exactly_once() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let mut mine = HashSet::new();
    for i in 0..7 {
        mine.insert(dispatched(&s, &clerk, &format!("第{i}号诉求：小区噪音扰民")).await);
    }
    // Elsewhere in the city: not in the officer's pull.
    let elsewhere = s.intake(&clerk, "大观园商户噪音").await;
    s.act_ok(
        &clerk,
        &elsewhere,
        s.dispatch("JN-SZ-DGY", "治安管理", json!({})),
    )
    .await;

    let (pages, removed, cursor) = pull_all(&s, &officer, "", 2).await;
    assert!(pages.len() >= 4, "7 cases in pages of 2");
    let all: Vec<String> = pages.concat();
    assert_eq!(all.len(), 7, "each case exactly once: {all:?}");
    assert_eq!(all.iter().cloned().collect::<HashSet<_>>(), mine);
    assert!(removed.is_empty());

    // Nothing new: an empty page at the same cursor.
    let (pages, _, again) = pull_all(&s, &officer, &cursor, 2).await;
    assert!(pages.concat().is_empty());
    assert_eq!(again, cursor);

    // One more change: only that case, at its latest version.
    let one = mine.iter().next().unwrap().clone();
    s.act_ok(&officer, &one, json!({"type": "signIn"})).await;
    let (st, page) = s.pull(&officer, &cursor, 2).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(page["changes"].as_array().unwrap().len(), 1);
    assert_eq!(page["changes"][0]["id"], json!(one));
    assert_eq!(page["changes"][0]["state"], json!("inProgress"));
    assert_eq!(page["hasMore"], json!(false));
    assert!(position(page["nextCursor"].as_str().unwrap()) > position(&cursor));

    // A cursor from the future (a restored server), of another epoch (a restored
    // server, even with a position below the counter), a bare position, or garbage:
    // start over.
    let (epoch, at) = cursor.split_once(':').unwrap();
    assert_eq!(page["epoch"], json!(epoch));
    let other = format!("{:016x}", u64::from_str_radix(epoch, 16).unwrap() ^ 1);
    for bad in [
        format!("{epoch}:999999"),
        format!("{other}:{at}"),
        format!("{other}:1"),
        at.to_owned(),
        "abc".to_owned(),
    ] {
        let (st, err) = s.pull(&officer, &bad, 2).await;
        assert_eq!(st, StatusCode::CONFLICT, "{bad}: {err}");
        assert_eq!(err["code"], json!("SYNC_RESET"));
    }
}

#[tokio::test]
async fn offline_intake_pushed_twice_creates_one_numbered_case() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let officer = s.login("officer").await;
    let clerk = s.login("clerk").await;
    let case_id = new_id();
    let intake = json!({
        "id": case_id, "channel": "入户走访", "requestType": "求助",
        "title": "独居老人反映门锁损坏", "content": "入户走访时老人反映门锁损坏，担心安全。",
        "citizenName": "李大爷", "receivedAt": "2026-11-22T02:00:00Z"
    });
    let batch = json!({"installId": new_id(), "commands": [
        {"id": new_id(), "seq": 1, "intake": intake, "deviceAt": "2026-11-22T02:05:00Z"}
    ]});
    let (st, first) = s.push(&officer, &batch).await;
    assert_eq!(st, StatusCode::OK, "{first}");
    assert_eq!(statuses(&first), ["applied"]);
    let number = first["results"][0]["case"]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(number.starts_with("MS2026112"), "{number}");
    let (_, second) = s.push(&officer, &batch).await;
    assert_eq!(second, first);

    // The same case under a new command id (the outbox re-minted it): still one case.
    let (_, third) = s
        .push(
            &officer,
            &json!({"installId": new_id(), "commands": [{"id": new_id(), "seq": 1, "intake": intake}]}),
        )
        .await;
    assert_eq!(statuses(&third), ["applied"]);
    assert_eq!(third["results"][0]["case"]["number"], json!(number));
    assert_eq!(timeline_len(&s, &clerk, &case_id).await, 1);
    let (_, list) = s.get(Some(&clerk), "/cases?withTotal=true").await;
    assert_eq!(list["total"], json!(1));

    // Another user cannot claim that id.
    let (_, other) = s
        .push(
            &clerk,
            &json!({"installId": new_id(), "commands": [{"id": new_id(), "seq": 1, "intake": intake}]}),
        )
        .await;
    assert_eq!(statuses(&other), ["rejected"]);
    assert_eq!(other["results"][0]["code"], json!("ALREADY_EXISTS"));
}

#[tokio::test]
async fn old_or_unknown_clients_get_426_and_oversized_batches_413() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let officer = s.login("officer").await;
    let body = json!({"installId": new_id(), "commands": []});
    for (client, schema) in [
        ("minsheng-desktop/0.0.9", "1"),
        ("minsheng-desktop/0.1.0", "99"),
        ("curl/8.0", "1"),
    ] {
        let (st, err) = s
            .post_as_client(Some(&officer), "/sync/push", &body, client, schema)
            .await;
        assert_eq!(st, StatusCode::UPGRADE_REQUIRED, "{client} {schema}: {err}");
        assert_eq!(err["code"], json!("CLIENT_TOO_OLD"));
        assert_eq!(
            err["message"],
            json!("客户端版本过旧，请升级；未同步的操作已保留在本机")
        );
        let (st, _) = s
            .get_as_client(Some(&officer), "/sync/pull", client, schema)
            .await;
        assert_eq!(st, StatusCode::UPGRADE_REQUIRED);
    }
    // Sync needs the headers; other endpoints do not.
    let (st, _) = s.post(Some(&officer), "/sync/push", &body).await;
    assert_eq!(st, StatusCode::UPGRADE_REQUIRED);
    let (st, _) = s.get(Some(&officer), "/auth/me").await;
    assert_eq!(st, StatusCode::OK);

    let (st, ok) = s.push(&officer, &body).await;
    assert_eq!(st, StatusCode::OK, "{ok}");
    assert_eq!(ok["ackSeq"], json!(0));

    let id = new_id();
    let commands: Vec<Value> = (1..=501)
        .map(|i| action_cmd(i, &id, 1, json!({"type": "signIn"})))
        .collect();
    let (st, err) = s
        .push(
            &officer,
            &json!({"installId": new_id(), "commands": commands}),
        )
        .await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{err}");
    assert_eq!(err["code"], json!("BATCH_TOO_LARGE"));
}

#[tokio::test]
async fn the_same_batch_delivered_concurrently_is_still_applied_once() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let id = dispatched(&s, &clerk, "电动车楼道充电隐患").await;
    let install = new_id();
    let batch = json!({"installId": install, "commands": [
        action_cmd(1, &id, 2, json!({"type": "signIn"})),
        action_cmd(2, &id, 3, json!({"type": "submitReply", "text": "已劝导住户规范充电。"})),
    ]});
    let (a, b) = tokio::join!(s.push(&officer, &batch), s.push(&officer, &batch));
    assert_eq!(a.0, StatusCode::OK, "{}", a.1);
    assert_eq!(b.0, StatusCode::OK, "{}", b.1);
    assert_eq!(a.1, b.1);
    assert_eq!(statuses(&a.1), ["applied", "applied"]);
    assert_eq!(timeline_len(&s, &clerk, &id).await, 4);

    // The pull reports how far the server got with this install (header or query).
    let (st, page) = s
        .get_as_client(
            Some(&officer),
            &format!("/sync/pull?installId={install}"),
            support::SYNC_CLIENT,
            support::SYNC_SCHEMA,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert_eq!(page["ackSeq"], json!(2));
    assert_eq!(page["changes"][0]["state"], json!("pendingReview"));
}
