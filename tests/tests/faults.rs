//! The client crate against a real server through a fault-injecting proxy: responses
//! lost after the server committed, batches delivered twice, delays, connections cut
//! mid-body, 502s. After the faults stop, client and server converge and every queued
//! command took effect exactly once.

use std::time::Duration;

use chrono::Utc;
use minsheng_client::outbox::CommandStatus;
use minsheng_domain::ids::CaseId;
use minsheng_domain::workflow::{Action, ActionKind, NewCase};
use minsheng_tests::checks::{
    assert_cache_file_intact, assert_cases_sound, assert_converged, assert_exactly_once,
};
use minsheng_tests::proxy::{Fault, FaultProxy, Plan};
use minsheng_tests::server::CityServer;
use minsheng_tests::station::Station;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

const STATION: &str = "JN-LX-QCL";

fn seed() -> u64 {
    std::env::var("SYNC_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp_millis() as u64)
}

/// The next thing an officer would do on this case, if anything.
fn next_action(st: &Station, id: CaseId, n: usize) -> Option<Action> {
    let local = st.local(id).ok()?;
    let allowed = &local.allowed_actions;
    if allowed.contains(&ActionKind::SignIn) {
        Some(Action::SignIn)
    } else if allowed.contains(&ActionKind::SubmitReply) && n.is_multiple_of(3) {
        Some(Action::SubmitReply {
            text: format!("已联系当事人并协调解决（第{n}次操作）。"),
        })
    } else if allowed.contains(&ActionKind::AddNote) {
        Some(Action::AddNote {
            text: format!("离线工作记录第{n}条"),
        })
    } else {
        None
    }
}

fn home_visit(n: usize) -> NewCase {
    serde_json::from_value(json!({
        "channel": "入户走访", "requestType": "求助",
        "title": format!("入户走访：独居老人反映楼道照明损坏（{n}）"),
        "content": "走访中群众反映楼道灯损坏多日，夜间出行不便。",
        "citizenName": "李大爷", "citizenPhone": "13912345678"
    }))
    .expect("new case")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_then_convergence_with_each_command_applied_exactly_once() {
    let seed = seed();
    eprintln!("SYNC_TEST_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let server = CityServer::start().await;
    let clerk = server.login("clerk").await;
    let proxy = FaultProxy::start(&server.base, seed).await.expect("proxy");
    let mut cases = Vec::new();
    for i in 0..10 {
        cases.push(
            server
                .dispatched(&clerk, STATION, &format!("第{i}号：小区楼道堆放杂物"))
                .await,
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let st = Station::sign_in(dir.path(), &proxy.url(), "officer").await;
    st.sync_until_settled(3).await;
    assert_eq!(st.cached_ids().len(), cases.len());

    // Random faults on every request while the officer works and syncs.
    proxy.set(Plan::random(0.7, &Fault::ALL).max_delay(Duration::from_millis(150)));
    let mut n = 0;
    for round in 0..30 {
        for _ in 0..rng.random_range(1..4) {
            n += 1;
            let id = cases[rng.random_range(0..cases.len())];
            if let Some(a) = next_action(&st, id, n) {
                st.act(id, a).expect("queue");
            }
        }
        if round % 10 == 0 {
            st.cache()
                .queue_intake(home_visit(round), Utc::now())
                .expect("intake");
        }
        if round % 4 == 0 {
            // The city works too: urges change the cases the officer pulls.
            let id = cases[rng.random_range(0..cases.len())];
            let _ = server
                .act(&clerk, id, json!({"type": "urge", "message": "请尽快办理"}))
                .await;
        }
        let _ = st.sync().await;
    }

    // Each fault once more on the push path, deterministically, with work queued.
    for f in Fault::ALL {
        let id = cases[rng.random_range(0..cases.len())];
        n += 1;
        if let Some(a) = next_action(&st, id, n) {
            st.act(id, a).expect("queue");
        }
        proxy.set(Plan::always(f).on_path("/sync/push"));
        let outcome = st.sync().await;
        match f {
            Fault::Delay | Fault::Duplicate => {
                outcome.unwrap_or_else(|e| panic!("{f:?} must still sync: {e}"));
            }
            _ => {
                let e = outcome.expect_err("a lost push is an error");
                assert!(
                    matches!(e.code(), "OFFLINE" | "HTTP_502"),
                    "{f:?} gave {}: {e}",
                    e.code()
                );
                assert!(st.pending() > 0, "{f:?}: the outbox keeps the commands");
            }
        }
        proxy.set(Plan::always(f).on_path("/sync/pull"));
        let _ = st.sync().await;
    }
    for f in Fault::ALL {
        assert!(
            proxy.struck(f) > 0,
            "{f:?} never struck: {:?}",
            proxy.counts()
        );
    }

    proxy.set(Plan::pass());
    st.sync_until_settled(5).await;
    // One more round: nothing new either way.
    let quiet = st.sync().await.expect("quiet round");
    assert_eq!(quiet.pushed, 0);

    let actor = st.actor();
    {
        let cache = st.cache();
        let commands = assert_exactly_once(&server, &cache, "officer");
        assert!(
            commands.len() > 30,
            "enough work was done: {}",
            commands.len()
        );
        let refused: Vec<_> = commands
            .iter()
            .filter(|c| c.status != CommandStatus::Applied)
            .collect();
        assert!(
            refused.is_empty(),
            "nobody else touched these cases, so every command applies: {refused:?}"
        );
        assert_converged(&server, &cache, &actor, "officer");
        // Offline intakes got their numbers.
        for c in commands.iter().filter(|c| c.payload.label() == "intake") {
            let local = cache
                .local_case(c.case_id, Utc::now())
                .expect("intake cached");
            assert!(local.case.number.is_some(), "{:?}", local.case);
            assert_eq!(server.case(c.case_id).number, local.case.number);
        }
    }
    assert_cases_sound(&server, &clerk).await;
    assert_cache_file_intact(&st.path, &st.key);
    eprintln!("faults struck: {:?}", proxy.counts());
}
