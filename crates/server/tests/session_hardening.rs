//! Session hardening over real HTTP: a replayed refresh token ends its login (and only
//! that login), a login has an absolute lifetime, old or admin-set passwords must be
//! changed, and an admin's change of an account is audited field by field.

mod support;

use minsheng_server::state::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer, PASSWORD};

/// Default settings: 15-minute access tokens, 12-hour logins, 90-day passwords.
async fn server(at: &str) -> TestServer {
    TestServer::start_with(bj(at), Settings::default(), 0).await
}

async fn login_pair(ts: &TestServer, user: &str, password: &str) -> Value {
    let (st, body) = ts
        .post(
            None,
            "/auth/login",
            &json!({"username": user, "password": password}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "login {user}: {body}");
    body
}

async fn refresh(ts: &TestServer, token: &Value) -> (StatusCode, Value) {
    ts.post(None, "/auth/refresh", &json!({"refreshToken": token}))
        .await
}

async fn me(ts: &TestServer, pair: &Value) -> (StatusCode, Value) {
    ts.get(pair["accessToken"].as_str(), "/auth/me").await
}

#[tokio::test]
async fn a_replayed_refresh_token_ends_every_session_of_its_login() {
    let ts = server("2026-03-02 09:00").await;
    let first = login_pair(&ts, "officer", PASSWORD).await;
    // The same officer signed in on a second desktop: another login, untouched below.
    let other = login_pair(&ts, "officer", PASSWORD).await;

    let (st, second) = refresh(&ts, &first["refreshToken"]).await;
    assert_eq!(st, StatusCode::OK, "{second}");
    let (st, third) = refresh(&ts, &second["refreshToken"]).await;
    assert_eq!(st, StatusCode::OK, "{third}");
    let (st, _) = me(&ts, &third).await;
    assert_eq!(st, StatusCode::OK);

    // A copy of the first refresh token comes back (two rotations later).
    let (st, body) = refresh(&ts, &first["refreshToken"]).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "REFRESH_REUSED", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("重新登录"),
        "{body}"
    );

    // The current pair of that login is dead too: neither token works any more.
    let (st, body) = me(&ts, &third).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    let (st, body) = refresh(&ts, &third["refreshToken"]).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");

    // The officer's other login goes on.
    let (st, body) = me(&ts, &other).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (st, body) = refresh(&ts, &other["refreshToken"]).await;
    assert_eq!(st, StatusCode::OK, "{body}");

    // The admin sees the event in the audit log.
    let admin = ts.login("admin").await;
    let (st, audit) = ts.get(Some(&admin), "/audit").await;
    assert_eq!(st, StatusCode::OK, "{audit}");
    let reuse: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "refreshReuse")
        .collect();
    assert_eq!(reuse.len(), 1, "{audit}");
    assert_eq!(reuse[0]["target"], "officer");
}

#[tokio::test]
async fn a_login_can_be_refreshed_for_twelve_hours_and_no_longer() {
    let ts = server("2026-03-02 09:00").await;
    let mut pair = login_pair(&ts, "clerk", PASSWORD).await;
    // 09:00 Beijing + 12 h = 21:00 Beijing = 13:00 UTC.
    assert_eq!(pair["refreshExpiresAt"], "2026-03-02T13:00:00Z", "{pair}");

    // Refreshing all day keeps the session going, but never past 21:00.
    for at in ["2026-03-02 12:00", "2026-03-02 17:00", "2026-03-02 20:50"] {
        ts.clock.set(bj(at));
        let (st, next) = refresh(&ts, &pair["refreshToken"]).await;
        assert_eq!(st, StatusCode::OK, "refresh at {at}: {next}");
        assert_eq!(next["refreshExpiresAt"], "2026-03-02T13:00:00Z", "{next}");
        pair = next;
    }
    // The access token of 20:50 ends with the login, not 15 minutes later.
    assert_eq!(pair["accessExpiresAt"], "2026-03-02T13:00:00Z", "{pair}");

    ts.clock.set(bj("2026-03-02 21:01"));
    let (st, body) = refresh(&ts, &pair["refreshToken"]).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "SESSION_EXPIRED", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("12小时"),
        "{body}"
    );
    let (st, body) = me(&ts, &pair).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");

    // Signing in again starts a new working day.
    let again = login_pair(&ts, "clerk", PASSWORD).await;
    assert_eq!(again["refreshExpiresAt"], "2026-03-03T01:01:00Z", "{again}");
}

#[tokio::test]
async fn old_and_admin_set_passwords_must_be_changed() {
    let ts = server("2026-03-02 09:00").await;
    let fresh = login_pair(&ts, "officer", PASSWORD).await;
    assert_eq!(fresh["mustChangePassword"], false, "{fresh}");
    let (_, me0) = me(&ts, &fresh).await;
    assert_eq!(me0["mustChangePassword"], false, "{me0}");
    assert_eq!(me0["username"], "officer", "{me0}");

    // 89 days after seeding the password is still young enough; 91 days is not.
    ts.clock.set(bj("2026-05-30 09:00"));
    let young = login_pair(&ts, "officer", PASSWORD).await;
    assert_eq!(young["mustChangePassword"], false, "{young}");
    ts.clock.set(bj("2026-06-01 09:00"));
    let old = login_pair(&ts, "officer", PASSWORD).await;
    assert_eq!(old["mustChangePassword"], true, "{old}");
    let (_, me1) = me(&ts, &old).await;
    assert_eq!(me1["mustChangePassword"], true, "{me1}");

    // Changing it clears the flag.
    let (st, body) = ts
        .post(
            old["accessToken"].as_str(),
            "/auth/password",
            &json!({"oldPassword": PASSWORD, "newPassword": "Renewed#2026"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    let renewed = login_pair(&ts, "officer", "Renewed#2026").await;
    assert_eq!(renewed["mustChangePassword"], false, "{renewed}");

    // An account an admin creates, and a password an admin resets, must be changed.
    let admin = ts.login("admin").await;
    let (st, created) = ts
        .post(
            Some(&admin),
            "/users",
            &json!({"username": "newcomer", "displayName": "新同事", "role": "officer",
                    "unitId": ts.unit("JN-LX-QCL"), "password": "Given#2026a"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let newcomer = login_pair(&ts, "newcomer", "Given#2026a").await;
    assert_eq!(newcomer["mustChangePassword"], true, "{newcomer}");

    let clerk = login_pair(&ts, "clerk", PASSWORD).await;
    let (_, clerk_me) = me(&ts, &clerk).await;
    let (st, body) = ts
        .patch(
            Some(&admin),
            &format!("/users/{}", clerk_me["id"].as_str().unwrap()),
            &json!({"password": "Reset#2026ab"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let reset = login_pair(&ts, "clerk", "Reset#2026ab").await;
    assert_eq!(reset["mustChangePassword"], true, "{reset}");
    let (st, body) = ts
        .post(
            reset["accessToken"].as_str(),
            "/auth/password",
            &json!({"oldPassword": "Reset#2026ab", "newPassword": "Mine#2026abc"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    let own = login_pair(&ts, "clerk", "Mine#2026abc").await;
    assert_eq!(own["mustChangePassword"], false, "{own}");
}

#[tokio::test]
async fn an_admin_change_of_an_account_is_audited_field_by_field() {
    let ts = server("2026-03-02 09:00").await;
    let admin = ts.login("admin").await;
    let officer2 = ts.login("officer2").await;
    let (_, me2) = ts.get(Some(&officer2), "/auth/me").await;
    let id = me2["id"].as_str().unwrap().to_owned();
    let (dgy, qcl) = (ts.unit("JN-SZ-DGY"), ts.unit("JN-LX-QCL"));

    let (st, body) = ts
        .patch(
            Some(&admin),
            &format!("/users/{id}"),
            &json!({"displayName": "民警 孙浩然（调任）", "role": "unitHead", "unitId": qcl,
                    "active": false, "password": "Secret#Reset99"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    // Only the activity changes now; unchanged fields given again are not "changes".
    let (st, body) = ts
        .patch(
            Some(&admin),
            &format!("/users/{id}"),
            &json!({"active": true, "role": "unitHead"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");

    let (st, audit) = ts.get(Some(&admin), "/audit").await;
    assert_eq!(st, StatusCode::OK, "{audit}");
    let rows: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "updateUser" && a["target"] == "officer2")
        .collect();
    assert_eq!(rows.len(), 2, "{audit}");
    // Newest first.
    let second: Value = serde_json::from_str(rows[0]["detail"].as_str().unwrap()).unwrap();
    let first_raw = rows[1]["detail"].as_str().unwrap();
    let first: Value = serde_json::from_str(first_raw).unwrap();
    assert_eq!(
        first,
        json!({
            "displayName": {"before": "民警 孙浩然", "after": "民警 孙浩然（调任）"},
            "role": {"before": "officer", "after": "unitHead"},
            "unit": {
                "before": {"id": dgy, "name": "大观园派出所"},
                "after": {"id": qcl, "name": "泉城路派出所"}
            },
            "active": {"before": true, "after": false},
            "password": "reset"
        })
    );
    assert!(!first_raw.contains("Secret#Reset99"), "{first_raw}");
    assert!(!first_raw.contains("argon2"), "{first_raw}");
    assert_eq!(second, json!({"active": {"before": false, "after": true}}));
}
