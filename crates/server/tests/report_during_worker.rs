//! A report asked for while the assessment worker is in the middle of a pass (issue
//! 14): the report's facts update waits for the worker's lock, so the two never
//! overlap and the worker cannot write a case's facts from before the report's.
//!
//! Its own test binary: the worker's lock is per process, and other tests' servers
//! run background workers that would wait on it too. The server here runs none; the
//! test plays the worker's pass step by step (the steps of `assessment::update_facts`)
//! while holding the worker's lock. Nothing sleeps.

mod support;

use minsheng_server::assessment::{self, replay, WORKER};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

fn facts_of(s: &TestServer, case: &str) -> (Vec<String>, i64) {
    let mut conn = s.raw_sql();
    let states = conn
        .rows(&format!(
            "SELECT state FROM assess_cases WHERE case_id = '{case}'"
        ))
        .into_iter()
        .map(|r| r[0].clone().expect("state"))
        .collect();
    let stints = conn.i64(&format!(
        "SELECT COUNT(*) FROM assess_stints WHERE case_id = '{case}'"
    ));
    (states, stints)
}

async fn worker_pass(s: &TestServer) {
    let st = s.state.clone();
    tokio::task::spawn_blocking(move || assessment::run_once(&st))
        .await
        .expect("join")
        .expect("worker pass");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_made_during_a_worker_pass_waits_for_it_and_its_facts_stay_current() {
    let s = TestServer::start_without_workers(bj("2026-11-23 09:00")).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let leader = s.login("leader").await;
    let id = s.intake(&clerk, "小区门口占道经营").await;
    s.act_ok(&clerk, &id, s.dispatch("JN-LX-QCL", "治安管理", json!({})))
        .await;
    worker_pass(&s).await;
    s.clock.set(bj("2026-11-23 10:00"));
    s.act_ok(&officer, &id, json!({"type": "signIn"})).await;

    // The worker starts a pass: it holds its lock and replays the case as it is now.
    let (read_tx, read_rx) = tokio::sync::oneshot::channel();
    let (write_tx, write_rx) = std::sync::mpsc::channel::<()>();
    let st = s.state.clone();
    let worker = tokio::task::spawn_blocking(move || {
        let _pass = WORKER.lock();
        let org = st.org();
        let from = st.store.facts_position()?;
        let (ids, next) = st.store.changed_cases(from, 2000)?;
        let facts: Vec<_> = st
            .store
            .cases_with_timelines(&ids)?
            .iter()
            .map(|(c, t)| replay::replay(c, t, &org, &st.config()))
            .collect();
        read_tx.send(()).expect("signal");
        write_rx.recv().expect("go on");
        st.store.write_facts(&facts, next)
    });
    read_rx.await.expect("worker read");

    // Meanwhile the case moves on and a leader asks for this week's report.
    s.clock.set(bj("2026-11-23 11:00"));
    s.act_ok(
        &officer,
        &id,
        json!({"type": "submitReply", "text": "已清理占道摊位并加强巡查。"}),
    )
    .await;
    let request = s
        .client
        .post(s.url("/reports"))
        .bearer_auth(&leader)
        .json(&json!({"kind": "week"}));
    let report = tokio::spawn(async move {
        let resp = request.send().await.expect("report request");
        let st = resp.status();
        (st, resp.json::<Value>().await.unwrap_or(Value::Null))
    });
    // The report is either done or queued behind the worker's lock.
    while !report.is_finished() && WORKER.waiting() == 0 {
        tokio::task::yield_now().await;
    }

    // The worker's pass ends: it writes what it read.
    write_tx.send(()).expect("go on");
    worker.await.expect("join").expect("worker write");
    let (st, rep) = report.await.expect("join");
    assert_eq!(st, StatusCode::CREATED, "{rep}");
    assert_eq!(rep["body"]["totals"]["received"], 1, "{rep}");

    // One row for the case, as its timeline says now; the next pass keeps it so.
    let want = (vec!["pendingReview".to_owned()], 1);
    assert_eq!(facts_of(&s, &id), want, "facts after the report");
    worker_pass(&s).await;
    assert_eq!(facts_of(&s, &id), want, "facts after the next pass");
}
