//! 系统管理 › 用户管理 through the real server: the directory, creating and editing
//! accounts under the posting rule (a role fits one unit level), password resets that
//! must be changed at the next sign-in, disabling and enabling, the last active admin
//! that always stays, only the admin writing, and every change audited with before and
//! after — with nothing half-written when a rule refuses.

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer, PASSWORD};

async fn server() -> TestServer {
    TestServer::start_at(bj("2026-11-23 09:00")).await
}

/// The audit rows of `action` on `target`, oldest first.
async fn audit_rows(s: &TestServer, admin: &str, action: &str, target: &str) -> Vec<Value> {
    let (st, page) = s
        .get(
            Some(admin),
            &format!("/audit/search?action={action}&target={target}&limit=200"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let mut rows: Vec<Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["target"] == target)
        .cloned()
        .collect();
    rows.reverse();
    rows
}

fn detail(row: &Value) -> Value {
    serde_json::from_str(row["detail"].as_str().unwrap()).unwrap()
}

async fn user_id(s: &TestServer, admin: &str, username: &str) -> String {
    let (_, page) = s
        .get(Some(admin), &format!("/users/search?q={username}"))
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("{username} not found: {page}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn new_user(username: &str, role: &str, unit: &str) -> Value {
    json!({"username": username, "displayName": "新同事", "role": role, "unitId": unit,
           "password": "Start#2026a"})
}

#[tokio::test]
async fn creating_accounts_follows_the_posting_rule_and_writes_nothing_on_refusal() {
    let s = server().await;
    let admin = s.login("admin").await;
    let (ptb, lx, qcl) = (s.unit("JN-PTB"), s.unit("JN-LX"), s.unit("JN-LX-QCL"));

    // Every role at its level is accepted.
    for (name, role, unit) in [
        ("new-officer", "officer", &qcl),
        ("new-head", "unitHead", &qcl),
        ("new-sup", "supervisor", &lx),
        ("new-clerk", "clerk", &ptb),
        ("new-leader", "市局领导", &ptb),
        ("new-followup", "followUp", &ptb),
        ("new-admin", "admin", &ptb),
    ] {
        let (st, body) = s
            .post(Some(&admin), "/users", &new_user(name, role, unit))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{name}: {body}");
    }

    let before = s.get(Some(&admin), "/audit/search?limit=200").await.1["items"]
        .as_array()
        .unwrap()
        .len();
    // A role at the wrong level: 422 ROLE_UNIT_MISMATCH, in Chinese, nothing stored.
    for (name, role, unit) in [
        ("bad-officer", "officer", &ptb),
        ("bad-officer2", "officer", &lx),
        ("bad-head", "unitHead", &lx),
        ("bad-sup", "supervisor", &qcl),
        ("bad-sup2", "supervisor", &ptb),
        ("bad-clerk", "clerk", &qcl),
        ("bad-leader", "leader", &lx),
        ("bad-followup", "followUp", &qcl),
        ("bad-admin", "admin", &lx),
    ] {
        let (st, body) = s
            .post(Some(&admin), "/users", &new_user(name, role, unit))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        assert_eq!(body["code"], "ROLE_UNIT_MISMATCH", "{name}: {body}");
        assert!(body["message"].as_str().unwrap().contains("单位"), "{body}");
    }
    // Unknown unit, duplicate username, weak password, unknown role.
    let ghost = "0190f5d2-0000-7000-8000-00000000dead";
    let cases = [
        (
            new_user("ghost-unit", "officer", ghost),
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNKNOWN_UNIT",
        ),
        (
            new_user("new-officer", "officer", &qcl),
            StatusCode::CONFLICT,
            "ALREADY_EXISTS",
        ),
        (
            json!({"username": "weak", "displayName": "弱密码", "role": "officer", "unitId": qcl, "password": "password1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_FIELD",
        ),
        (
            new_user("bad-role", "chief", &qcl),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            new_user("system-role", "system", &ptb),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
    ];
    for (body, want, code) in cases {
        let (st, answer) = s.post(Some(&admin), "/users", &body).await;
        assert_eq!(st, want, "{body}: {answer}");
        assert_eq!(answer["code"], code, "{answer}");
    }
    for name in ["bad-officer", "bad-sup", "ghost-unit", "weak", "bad-role"] {
        let (_, page) = s
            .get(Some(&admin), &format!("/users/search?q={name}"))
            .await;
        assert_eq!(page["total"], 0, "{name} was stored: {page}");
    }
    let after = s.get(Some(&admin), "/audit/search?limit=200").await.1["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "a refused account left an audit row");

    // The created account is audited with its fields (before: none) and must change
    // its password at the first sign-in.
    let rows = audit_rows(&s, &admin, "createUser", "new-sup").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let d = detail(&rows[0]);
    assert_eq!(
        d["role"],
        json!({"before": null, "after": "supervisor"}),
        "{d}"
    );
    assert_eq!(d["unit"]["after"]["name"], "历下分局", "{d}");
    assert_eq!(rows[0]["username"], "admin");
    let (st, login) = s
        .post(
            None,
            "/auth/login",
            &json!({"username": "new-sup", "password": "Start#2026a"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{login}");
    assert_eq!(login["mustChangePassword"], true, "{login}");
}

#[tokio::test]
async fn editing_an_account_keeps_role_and_unit_consistent_and_audits_before_and_after() {
    let s = server().await;
    let admin = s.login("admin").await;
    let (lx, qcl, jfl) = (s.unit("JN-LX"), s.unit("JN-LX-QCL"), s.unit("JN-LX-JFL"));
    let officer_token = s.login("officer").await;
    let id = user_id(&s, &admin, "officer").await;

    // The officer becomes a unit head of another station: sessions end, audited.
    let (st, body) = s
        .put(
            Some(&admin),
            &format!("/users/{id}"),
            &json!({"displayName": "民警 张伟（调任）", "role": "unitHead", "unitId": jfl}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "unitHead");
    assert_eq!(body["unitId"], jfl.as_str());
    let (st, _) = s.get(Some(&officer_token), "/auth/me").await;
    assert_eq!(
        st,
        StatusCode::UNAUTHORIZED,
        "a role change ends the sessions"
    );
    let rows = audit_rows(&s, &admin, "updateUser", "officer").await;
    let d = detail(rows.last().unwrap());
    assert_eq!(
        d["role"],
        json!({"before": "officer", "after": "unitHead"}),
        "{d}"
    );
    assert_eq!(d["unit"]["before"]["id"], qcl.as_str(), "{d}");
    assert_eq!(d["unit"]["after"]["id"], jfl.as_str(), "{d}");
    assert_eq!(d["displayName"]["after"], "民警 张伟（调任）", "{d}");
    assert!(
        d.get("active").is_none(),
        "unchanged fields are no changes: {d}"
    );

    // A role that does not fit the (kept) unit, by PUT or PATCH: refused, nothing changed.
    let n = audit_rows(&s, &admin, "updateUser", "officer").await.len();
    let (st, body) = s
        .put(
            Some(&admin),
            &format!("/users/{id}"),
            &json!({"displayName": "民警 张伟（调任）", "role": "supervisor", "unitId": jfl}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "ROLE_UNIT_MISMATCH");
    let (st, body) = s
        .patch(
            Some(&admin),
            &format!("/users/{id}"),
            &json!({"unitId": lx}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "ROLE_UNIT_MISMATCH");
    let (st, body) = s
        .patch(
            Some(&admin),
            &format!("/users/{id}"),
            &json!({"unitId": "0190f5d2-0000-7000-8000-00000000dead"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "UNKNOWN_UNIT");
    let (_, page) = s
        .get(Some(&admin), "/users/search?q=officer&limit=200")
        .await;
    let me = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "officer")
        .unwrap();
    assert_eq!(
        (me["role"].as_str(), me["unitId"].as_str()),
        (Some("unitHead"), Some(jfl.as_str()))
    );
    assert_eq!(
        audit_rows(&s, &admin, "updateUser", "officer").await.len(),
        n
    );

    // Role and unit together to a fitting pair is fine (supervisor of 历下分局).
    let (st, body) = s
        .put(
            Some(&admin),
            &format!("/users/{id}"),
            &json!({"displayName": "督办员 张伟", "role": "supervisor", "unitId": lx}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    // A blank name is refused; an unknown id is 404.
    let (st, _) = s
        .put(
            Some(&admin),
            &format!("/users/{id}"),
            &json!({"displayName": "  ", "role": "supervisor", "unitId": lx}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, body) = s
        .put(
            Some(&admin),
            "/users/0190f5d2-0000-7000-8000-000000000000",
            &json!({"displayName": "无此人", "role": "supervisor", "unitId": lx}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn a_reset_password_must_be_changed_and_a_disabled_account_cannot_sign_in() {
    let s = server().await;
    let admin = s.login("admin").await;
    let head_token = s.login("head").await;
    let id = user_id(&s, &admin, "head").await;

    // Weak: refused, nothing changed (the old password still works).
    let (st, body) = s
        .post(
            Some(&admin),
            &format!("/users/{id}/password"),
            &json!({"password": "short"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "INVALID_FIELD");
    let (st, _) = s.get(Some(&head_token), "/auth/me").await;
    assert_eq!(st, StatusCode::OK);

    let (st, body) = s
        .post(
            Some(&admin),
            &format!("/users/{id}/password"),
            &json!({"password": "Reset#2026b"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["mustChangePassword"], true, "{body}");
    let (st, _) = s.get(Some(&head_token), "/auth/me").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "a reset ends the sessions");
    let (st, _) = s
        .post(
            None,
            "/auth/login",
            &json!({"username": "head", "password": PASSWORD}),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "the old password is gone");
    let (st, login) = s
        .post(
            None,
            "/auth/login",
            &json!({"username": "head", "password": "Reset#2026b"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{login}");
    assert_eq!(login["mustChangePassword"], true);
    let rows = audit_rows(&s, &admin, "resetUserPassword", "head").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(detail(&rows[0]), json!({"password": "reset"}));
    assert!(!rows[0]["detail"].as_str().unwrap().contains("Reset#2026b"));

    // Disabled: no sign-in, sessions ended; enabled again: signs in.
    let token = login["accessToken"].as_str().unwrap().to_owned();
    let (st, body) = s
        .put(
            Some(&admin),
            &format!("/users/{id}/active"),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    let (st, _) = s.get(Some(&token), "/auth/me").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, body) = s
        .post(
            None,
            "/auth/login",
            &json!({"username": "head", "password": "Reset#2026b"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "ACCOUNT_DISABLED");
    let (_, page) = s.get(Some(&admin), "/users/search?active=false").await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["items"][0]["username"], "head");
    let (st, _) = s
        .put(
            Some(&admin),
            &format!("/users/{id}/active"),
            &json!({"active": true}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s
        .post(
            None,
            "/auth/login",
            &json!({"username": "head", "password": "Reset#2026b"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let off = detail(&audit_rows(&s, &admin, "disableUser", "head").await[0]);
    assert_eq!(off["active"], json!({"before": true, "after": false}));
    let on = detail(&audit_rows(&s, &admin, "enableUser", "head").await[0]);
    assert_eq!(on["active"], json!({"before": false, "after": true}));
}

#[tokio::test]
async fn the_last_active_admin_can_neither_be_disabled_nor_lose_the_role() {
    let s = server().await;
    let admin = s.login("admin").await;
    let ptb = s.unit("JN-PTB");
    let id = user_id(&s, &admin, "admin").await;

    let (st, body) = s
        .put(
            Some(&admin),
            &format!("/users/{id}/active"),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "LAST_ADMIN");
    assert!(body["message"].as_str().unwrap().contains("管理员"));
    let (st, body) = s
        .put(
            Some(&admin),
            &format!("/users/{id}"),
            &json!({"displayName": "管理员", "role": "clerk", "unitId": ptb}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "LAST_ADMIN");
    let (st, body) = s
        .patch(
            Some(&admin),
            &format!("/users/{id}"),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    // Still an active admin, and still signed in.
    let (st, me) = s.get(Some(&admin), "/auth/me").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(me["role"], "admin");

    // With a second admin, either may go — but not both: two admins disabling each
    // other at the same moment, one wins and the other is refused (the count of the
    // other admins is taken in the writing transaction).
    let (st, _) = s
        .post(Some(&admin), "/users", &new_user("admin2", "admin", &ptb))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let id2 = user_id(&s, &admin, "admin2").await;
    let (st, login) = s
        .post(
            None,
            "/auth/login",
            &json!({"username": "admin2", "password": "Start#2026a"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{login}");
    let admin2 = login["accessToken"].as_str().unwrap().to_owned();
    let off = json!({"active": false});
    let (path1, path2) = (
        format!("/users/{id2}/active"),
        format!("/users/{id}/active"),
    );
    let (a, b) = tokio::join!(
        s.put(Some(&admin), &path1, &off),
        s.put(Some(&admin2), &path2, &off),
    );
    let ok = [&a, &b].iter().filter(|r| r.0 == StatusCode::OK).count();
    assert_eq!(ok, 1, "{a:?} {b:?}");
    for (st, body) in [&a, &b] {
        if *st != StatusCode::OK {
            // Refused by the rule, or its session already ended by the winner.
            assert!(
                body["code"] == "LAST_ADMIN" || *st == StatusCode::UNAUTHORIZED,
                "{st}: {body}"
            );
        }
    }
    let winner = if a.0 == StatusCode::OK {
        &admin
    } else {
        &admin2
    };
    let (_, page) = s
        .get(Some(winner), "/users/search?role=admin&active=true")
        .await;
    assert_eq!(page["total"], 1, "{page}");
}

#[tokio::test]
async fn only_the_admin_manages_accounts() {
    let s = server().await;
    let admin = s.login("admin").await;
    let id = user_id(&s, &admin, "officer2").await;
    let qcl = s.unit("JN-LX-QCL");
    for who in [
        "clerk",
        "leader",
        "supervisor",
        "head",
        "officer",
        "followup",
    ] {
        let t = s.login(who).await;
        let t = Some(t.as_str());
        let answers = [
            s.get(t, "/users/search").await,
            s.post(
                t,
                "/users",
                &new_user(&format!("nope-{who}"), "officer", &qcl),
            )
            .await,
            s.put(
                t,
                &format!("/users/{id}"),
                &json!({"displayName": "改名", "role": "officer", "unitId": qcl}),
            )
            .await,
            s.put(t, &format!("/users/{id}/active"), &json!({"active": false}))
                .await,
            s.post(
                t,
                &format!("/users/{id}/password"),
                &json!({"password": "Reset#2026b"}),
            )
            .await,
            s.patch(t, &format!("/users/{id}"), &json!({"displayName": "改名"}))
                .await,
        ];
        for (i, (st, body)) in answers.into_iter().enumerate() {
            assert_eq!(st, StatusCode::FORBIDDEN, "{who} #{i}: {body}");
            assert_eq!(body["code"], "FORBIDDEN", "{who} #{i}");
        }
    }
    let (_, page) = s.get(Some(&admin), "/users/search?q=nope-").await;
    assert_eq!(page["total"], 0, "{page}");
}

#[tokio::test]
async fn the_directory_filters_and_pages_by_username() {
    let s = server().await;
    let admin = s.login("admin").await;
    let qcl = s.unit("JN-LX-QCL");

    let (st, all) = s.get(Some(&admin), "/users/search?limit=200").await;
    assert_eq!(st, StatusCode::OK, "{all}");
    let total = all["total"].as_u64().unwrap();
    assert!(total > 100, "{total}");
    // Pages of 25 cover everyone once, in username order.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (st, page) = s
            .get(
                Some(&admin),
                &format!("/users/search?limit=25&cursor={cursor}"),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert_eq!(page["total"].as_u64(), Some(total));
        for u in page["items"].as_array().unwrap() {
            seen.push(u["username"].as_str().unwrap().to_owned());
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, total);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen);

    // Unit, role, name (username or display name) and activity.
    let (_, page) = s
        .get(
            Some(&admin),
            &format!("/users/search?unit={qcl}&role=officer"),
        )
        .await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"officer") && names.contains(&"lx-qcl-01"),
        "{names:?}"
    );
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["role"] == "officer" && u["unitName"] == "泉城路派出所"));
    let (_, page) = s.get(Some(&admin), "/users/search?q=sup-l").await;
    assert!(page["total"].as_u64().unwrap() >= 2, "{page}");
    assert_eq!(
        s.get(Some(&admin), "/users/search?active=false").await.1["total"],
        0
    );
    // The hash never leaves the server.
    assert!(
        !all.to_string().contains("argon2"),
        "password hashes leaked"
    );
    // Bad filters are 400s in the one error shape.
    for bad in [
        "/users/search?role=chief",
        "/users/search?unit=xyz",
        "/users/search?active=maybe",
        "/users/search?what=1",
    ] {
        let (st, body) = s.get(Some(&admin), bad).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["code"], "BAD_REQUEST");
    }
}
