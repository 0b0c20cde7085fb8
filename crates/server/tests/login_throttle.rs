//! Login throttling over real HTTP: a parallel burst cannot get more password checks
//! than the per-account limit, a throttled account does not lock out colleagues at the
//! same address (every request here comes from 127.0.0.1), spraying many accounts from
//! one address is still stopped, and `/auth/password` shares the account's budget.

mod support;

use minsheng_server::state::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer, PASSWORD};

const NOW: &str = "2026-03-02 09:00";

async fn attempt(ts: &TestServer, user: &str, password: &str) -> (StatusCode, Value) {
    ts.post(
        None,
        "/auth/login",
        &json!({"username": user, "password": password}),
    )
    .await
}

/// Fires `n` wrong passwords for `user` at once; returns (401s, 429s).
async fn burst(ts: &TestServer, user: &str, n: usize) -> (usize, usize) {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let client = ts.client.clone();
        let url = ts.url("/auth/login");
        let body = json!({"username": user, "password": format!("wrong-{i}")});
        set.spawn(async move {
            let resp = client.post(url).json(&body).send().await.expect("send");
            let status = resp.status();
            let body: Value = resp.json().await.expect("json body");
            (status, body)
        });
    }
    let (mut unauthorized, mut throttled) = (0, 0);
    while let Some(res) = set.join_next().await {
        let (status, body) = res.expect("join");
        match status {
            StatusCode::UNAUTHORIZED => {
                assert_eq!(body["code"], "BAD_CREDENTIALS", "{body}");
                unauthorized += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => {
                assert_throttled(status, &body);
                throttled += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    (unauthorized, throttled)
}

/// 429 `LOGIN_THROTTLED` with a message people read: minutes, not seconds.
fn assert_throttled(status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "LOGIN_THROTTLED", "{body}");
    let message = body["message"].as_str().expect("message");
    assert!(message.contains("15分钟"), "message: {message}");
    assert!(!message.contains('秒'), "message: {message}");
}

#[tokio::test]
async fn parallel_burst_gets_at_most_the_account_limit_of_checks() {
    let ts = TestServer::start_at(bj(NOW)).await;
    let limit = ts.state.settings.max_failures_per_account as usize;
    assert_eq!(limit, 5);

    let (unauthorized, throttled) = burst(&ts, "officer", 50).await;
    // Every 401 is a password that was hashed and checked; the old check-then-record
    // let all 50 through.
    assert_eq!(unauthorized, limit, "password checks in the burst");
    assert_eq!(throttled, 50 - limit);

    // No check left in the window: even the right password is refused unchecked.
    let (st, body) = attempt(&ts, "officer", PASSWORD).await;
    assert_throttled(st, &body);

    // Colleagues at the same address log in at once (the old per-IP counter had
    // reached 50 failures and refused everybody at 127.0.0.1 for 15 minutes).
    ts.login("officer2").await;
    ts.login("clerk").await;

    // After the window the account works again.
    ts.clock.set(bj("2026-03-02 09:16"));
    ts.login("officer").await;
}

#[tokio::test]
async fn unknown_usernames_are_reserved_like_real_ones() {
    let ts = TestServer::start_at(bj(NOW)).await;
    let (unauthorized, throttled) = burst(&ts, "nobody", 20).await;
    assert_eq!((unauthorized, throttled), (5, 15));
    let (st, body) = attempt(&ts, "nobody", "x").await;
    assert_throttled(st, &body);
    ts.login("officer").await;
}

#[tokio::test]
async fn throttled_colleague_does_not_lock_out_the_station() {
    let ts = TestServer::start_at(bj(NOW)).await;
    // Seven colleagues behind the station's one address each mistype five times.
    for user in [
        "officer",
        "officer2",
        "head",
        "leader",
        "supervisor",
        "followup",
        "admin",
    ] {
        for i in 0..5 {
            let (st, body) = attempt(&ts, user, &format!("typo-{i}")).await;
            assert_eq!(st, StatusCode::UNAUTHORIZED, "{user}: {body}");
        }
        let (st, body) = attempt(&ts, user, PASSWORD).await;
        assert_throttled(st, &body);
    }
    // 35 failures from 127.0.0.1: the old per-IP limit (30) refused this login too.
    ts.login("clerk").await;
}

#[tokio::test]
async fn spraying_from_one_address_spares_accounts_known_there() {
    let settings = Settings {
        max_failures_per_address: 6,
        ..Settings::default()
    };
    let ts = TestServer::start_with(bj(NOW), settings, 0).await;
    // The clerk logged in from this address before.
    ts.login("clerk").await;
    // A sprayer tries one password on many accounts from the same address.
    for i in 0..6 {
        let (st, body) = attempt(&ts, &format!("guess-{i}"), "Spray@2026").await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    }
    // Further accounts never logged in from here are refused without a check ...
    let (st, body) = attempt(&ts, "officer", "Spray@2026").await;
    assert_throttled(st, &body);
    let (st, body) = attempt(&ts, "officer2", PASSWORD).await;
    assert_throttled(st, &body);
    // ... while the clerk, known at this address, is not refused for others' failures.
    ts.login("clerk").await;
}

#[tokio::test]
async fn successful_login_resets_the_account_failures() {
    let ts = TestServer::start_at(bj(NOW)).await;
    for round in 0..2 {
        for i in 0..4 {
            let (st, body) = attempt(&ts, "officer", &format!("wrong-{round}-{i}")).await;
            assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
        }
        ts.login("officer").await;
    }
}

#[tokio::test]
async fn password_change_shares_the_account_budget() {
    let ts = TestServer::start_at(bj(NOW)).await;
    let token = ts.login("officer").await;
    let change = |old: &str| json!({"oldPassword": old, "newPassword": "Neues@2026x"});
    for i in 0..5 {
        let (st, body) = ts
            .post(
                Some(&token),
                "/auth/password",
                &change(&format!("wrong-{i}")),
            )
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["code"], "BAD_CREDENTIALS", "{body}");
    }
    // The sixth guess is refused unchecked, and so is the right old password.
    let (st, body) = ts
        .post(Some(&token), "/auth/password", &change("wrong-5"))
        .await;
    assert_throttled(st, &body);
    let (st, body) = ts
        .post(Some(&token), "/auth/password", &change(PASSWORD))
        .await;
    assert_throttled(st, &body);
    // The budget is the account's: logging in is throttled as well.
    let (st, body) = attempt(&ts, "officer", PASSWORD).await;
    assert_throttled(st, &body);
    // The session itself still works, and a colleague is unaffected.
    let (st, body) = ts.get(Some(&token), "/auth/me").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    ts.login("officer2").await;

    // After the window the right old password changes it.
    ts.clock.set(bj("2026-03-02 09:16"));
    let (st, body) = ts
        .post(Some(&token), "/auth/password", &change(PASSWORD))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
}

#[tokio::test]
async fn parallel_wrong_old_passwords_get_at_most_the_limit_of_checks() {
    let ts = TestServer::start_at(bj(NOW)).await;
    let token = ts.login("officer2").await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..30 {
        let req = ts
            .client
            .post(ts.url("/auth/password"))
            .bearer_auth(&token)
            .json(&json!({"oldPassword": format!("wrong-{i}"), "newPassword": "Neues@2026x"}));
        set.spawn(async move { req.send().await.expect("send").status() });
    }
    let mut statuses = Vec::new();
    while let Some(st) = set.join_next().await {
        statuses.push(st.expect("join"));
    }
    let count = |s: StatusCode| statuses.iter().filter(|x| **x == s).count();
    assert_eq!(count(StatusCode::UNAUTHORIZED), 5, "{statuses:?}");
    assert_eq!(count(StatusCode::TOO_MANY_REQUESTS), 25, "{statuses:?}");
}
