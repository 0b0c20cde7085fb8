//! The city server restored from an older backup under live clients: every command a
//! client still holds ends up applied exactly once, both caches converge on the
//! restored server, and a client whose cursor position is below the new change
//! counter is still told to start over (positions of the replaced file mean nothing).

use std::collections::HashSet;

use chrono::Utc;
use minsheng_client::outbox::CommandStatus;
use minsheng_client::ClientError;
use minsheng_domain::ids::CaseId;
use minsheng_domain::workflow::{Action, NewCase};
use minsheng_store_sqlite::backup;
use minsheng_tests::checks::{assert_cases_sound, assert_converged, assert_exactly_once};
use minsheng_tests::server::CityServer;
use minsheng_tests::station::Station;
use serde_json::json;

fn home_visit(n: usize) -> NewCase {
    serde_json::from_value(json!({
        "channel": "入户走访", "requestType": "求助",
        "title": format!("入户走访：老人反映楼道灯不亮（{n}）"),
        "content": "走访时老人反映楼道灯坏了多日，夜间出入不便。",
        "citizenName": "赵大爷", "citizenPhone": "13912345678"
    }))
    .expect("home visit")
}

fn note(text: &str) -> Action {
    Action::AddNote { text: text.into() }
}

/// The position of an opaque pull cursor (`"<epoch>:<position>"`), read only to show
/// that the old cursor is below the restored server's counter.
fn position(cursor: &str) -> u64 {
    let (_, p) = cursor.split_once(':').expect("epoch:position cursor");
    p.parse().expect("position")
}

fn check(server: &CityServer, st: &Station) {
    let actor = st.actor();
    let cache = st.cache();
    let commands = assert_exactly_once(server, &cache, &st.username);
    let refused: Vec<_> = commands
        .iter()
        .filter(|c| c.status != CommandStatus::Applied)
        .collect();
    assert!(refused.is_empty(), "{}: {refused:?}", st.username);
    assert_converged(server, &cache, &actor, &st.username);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_older_backup_loses_nothing_any_client_still_holds() {
    let server = CityServer::start_stoppable().await;
    let clerk = server.login("clerk").await;
    let mut qcl: Vec<CaseId> = Vec::new();
    let mut dgy: Vec<CaseId> = Vec::new();
    for i in 0..3 {
        qcl.push(
            server
                .dispatched(&clerk, "JN-LX-QCL", &format!("泉城路{i}号：夜间施工噪音"))
                .await,
        );
        dgy.push(
            server
                .dispatched(&clerk, "JN-SZ-DGY", &format!("大观园{i}号：占道经营"))
                .await,
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let a = Station::sign_in(dir.path(), &server.base, "officer").await;
    let b = Station::sign_in(dir.path(), &server.base, "officer2").await;

    a.sync_until_settled(5).await;
    b.sync_until_settled(5).await;

    // Work both clients pushed before the backup.
    a.act(qcl[0], Action::SignIn).expect("sign in");
    b.act(dgy[0], Action::SignIn).expect("sign in");
    a.sync_until_settled(5).await;
    b.sync_until_settled(5).await;

    // The backup is taken online, while a client pushes and pulls.
    a.act(qcl[0], note("备份期间的备注")).expect("note");
    let file = dir.path().join("city-backup.db");
    let (db, to) = (server.db.clone(), file.clone());
    let (taken, synced) = tokio::join!(
        tokio::task::spawn_blocking(move || backup::backup(&db, &to)),
        a.sync()
    );
    let taken = taken.expect("join").expect("online backup");
    synced.expect("a sync during the backup");
    let live_epoch = server.state.store.sync_epoch().expect("epoch");
    assert_eq!(taken.epoch, live_epoch);

    // Work after the backup, pushed and acknowledged: this is what the restore loses
    // on the server and what the clients still hold.
    a.act(
        qcl[0],
        Action::SubmitReply {
            text: "已约谈施工方，夜间停工。".into(),
        },
    )
    .expect("reply");
    a.act(qcl[1], Action::SignIn).expect("sign in");
    let visit = a
        .cache()
        .queue_intake(home_visit(1), Utc::now())
        .expect("home visit")
        .case
        .id;
    b.act(dgy[1], Action::SignIn).expect("sign in");
    b.act(dgy[0], note("已联系城管联合执法")).expect("note");
    a.sync_until_settled(5).await;
    b.sync_until_settled(5).await;
    assert_eq!(a.pending() + b.pending(), 0);
    assert!(
        server.case(visit).number.is_some(),
        "the visit reached the server"
    );
    let held_by_b = b.cache().pull_cursor().expect("cursor").expect("b pulled");

    // Stop, restore the older backup, serve again at the same address.
    let stopped = server.stop().await;
    let restored = backup::restore(&stopped.db, &file).expect("restore");
    assert_ne!(
        restored.epoch, live_epoch,
        "a restored file is a new change log"
    );
    let server = stopped.restart().await;
    assert!(
        server.all_case_ids().iter().all(|id| *id != visit),
        "the backup predates the visit"
    );
    // What the restore lost: commands the clients hold as applied that the restored
    // server never processed.
    for (st, at_least) in [(&a, 3), (&b, 2)] {
        let install = st.cache().install_id().expect("install").to_string();
        let kept: HashSet<String> = server
            .processed()
            .into_iter()
            .filter(|p| p.install_id == install)
            .map(|p| p.id)
            .collect();
        let lost = st
            .cache()
            .commands(&[CommandStatus::Applied])
            .expect("outbox")
            .into_iter()
            .filter(|c| !kept.contains(&c.id.to_string()))
            .count();
        assert!(lost >= at_least, "{}: only {lost} lost", st.username);
    }
    // The restore ended every session; both desktops sign in again (same role and
    // unit: nothing is dropped by that).
    a.sign_in_again().await;
    b.sign_in_again().await;

    // A goes on working: its push names the old epoch, is refused whole, and A queues
    // again what the server lost before pushing anything new.
    a.act(qcl[2], Action::SignIn).expect("sign in");
    let r = a.sync().await.expect("sync after the restore");
    assert!(r.reset, "{r:?}");
    a.sync_until_settled(5).await;

    // The city goes on too, until the change counter is past B's old position.
    let clerk = server.login("clerk").await;
    let mut n = 0;
    while server.change_counter() <= position(&held_by_b) {
        n += 1;
        server
            .dispatched(&clerk, "JN-SZ-DGY", &format!("恢复后新件{n}：噪音扰民"))
            .await;
    }
    assert!(position(&held_by_b) < server.change_counter());
    // B has nothing queued, so only its pull cursor can tell it. The server itself
    // refuses the cursor (the client also checks the epoch of every page).
    assert_eq!(b.pending(), 0);
    let install = b.cache().install_id().expect("install").to_string();
    let refused = b.api.pull(Some(&held_by_b), None, 10, &install, 0).await;
    assert!(
        matches!(refused, Err(ClientError::SyncReset { .. })),
        "{held_by_b}: {refused:?}"
    );
    let r = b.sync().await.expect("sync after the restore");
    assert!(
        r.reset,
        "an old cursor below the new counter must be refused: {r:?}"
    );
    b.sync_until_settled(5).await;

    for st in [&a, &b] {
        check(&server, st);
    }
    assert!(server.case(visit).number.is_some(), "the visit is back");
    assert_eq!(
        a.cache().server_epoch().expect("epoch"),
        Some(restored.epoch.to_string())
    );
    assert_cases_sound(&server, &clerk).await;
}
