//! Access matrix of the case endpoints: every demo role × cases A, B, C → the expected
//! status, derived from SPEC §2 (who sees what) and §4 (who may act); every route of the
//! OpenAPI document × every role is in `route_matrix.rs`.
//! Out-of-scope reads are 404 (ids leak nothing), forbidden actions on visible cases
//! 403, no token 401; every error has the `{code, message}` shape.
//! Plus session security: disabled accounts, logout, refresh rotation, throttling.

mod support;

use std::collections::{BTreeSet, HashMap};

use minsheng_server::state::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer, PASSWORD};

/// The demo accounts (SPEC §2), in the column order of the tables below.
const ROLES: [&str; 8] = [
    "admin",      // 管理员, 平台办: sees all
    "clerk",      // 受理员: sees all
    "leader",     // 市局领导: sees all
    "supervisor", // 督办员 of 历下分局 JN-LX: its subtree
    "head",       // 所队长 of 泉城路派出所 JN-LX-QCL: own unit
    "officer",    // 承办民警 of JN-LX-QCL: own unit
    "officer2",   // 承办民警 of 大观园派出所 JN-SZ-DGY (市中分局): own unit
    "followup",   // 回访员: cases in the follow-up phase only
];

/// The fixture cases every row is tried on:
/// A = 待签收 at JN-LX-QCL, B = 待签收 at officer2's station in 市中分局,
/// C = 已办结 (follow-up phase) handled by JN-LX-QCL.
#[derive(Clone, Copy)]
struct Expect {
    role: &'static str,
    /// GET /cases/{id}, /timeline and /timeline/verify: 200 when in scope, else 404.
    read: [u16; 3],
    /// GET /cases/{id}/citizen: out of scope 404; in scope 200 only for roles that need the
    /// citizen's identity (clerk, officer, head, follow-up), 403 for the others.
    citizen: [u16; 3],
    /// POST actions {addNote}: every role may note a case it can see.
    note: [u16; 3],
    /// POST actions {urge}: clerk/supervisor/leader only (403 ROLE_NOT_ALLOWED otherwise),
    /// not on a completed case (409 ILLEGAL_TRANSITION), out of scope 404.
    urge: [u16; 3],
}

#[rustfmt::skip]
const CASE_MATRIX: [Expect; 8] = [
    //                              A    B    C                A    B    C                 A    B    C               A    B    C
    Expect { role: "admin",      read: [200, 200, 200], citizen: [403, 403, 403], note: [200, 200, 200], urge: [403, 403, 403] },
    Expect { role: "clerk",      read: [200, 200, 200], citizen: [200, 200, 200], note: [200, 200, 200], urge: [200, 200, 409] },
    Expect { role: "leader",     read: [200, 200, 200], citizen: [403, 403, 403], note: [200, 200, 200], urge: [200, 200, 409] },
    Expect { role: "supervisor", read: [200, 404, 200], citizen: [403, 404, 403], note: [200, 404, 200], urge: [200, 404, 409] },
    Expect { role: "head",       read: [200, 404, 200], citizen: [200, 404, 200], note: [200, 404, 200], urge: [403, 404, 403] },
    Expect { role: "officer",    read: [200, 404, 200], citizen: [200, 404, 200], note: [200, 404, 200], urge: [403, 404, 403] },
    Expect { role: "officer2",   read: [404, 200, 404], citizen: [404, 200, 404], note: [404, 200, 404], urge: [404, 403, 404] },
    Expect { role: "followup",   read: [404, 404, 200], citizen: [404, 404, 200], note: [404, 404, 200], urge: [404, 404, 403] },
];

/// Which of A, B, C each role sees (must agree with `CASE_MATRIX.read`).
fn visible(role: &str) -> [bool; 3] {
    let e = CASE_MATRIX.iter().find(|e| e.role == role).unwrap();
    e.read.map(|s| s == 200)
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Asserts the status; on an error, the `{code, message}` shape with a Chinese message
/// and (when given) the expected code.
fn check(what: &str, st: StatusCode, body: &Value, want: u16, code: Option<&str>) {
    assert_eq!(st.as_u16(), want, "{what}: {body}");
    if want >= 400 {
        assert_error_shape(what, body);
        if let Some(code) = code {
            assert_eq!(body["code"], code, "{what}: {body}");
        }
    }
}

fn assert_error_shape(what: &str, body: &Value) {
    let obj = body
        .as_object()
        .unwrap_or_else(|| panic!("{what}: error body is not an object: {body}"));
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "message"], "{what}: {body}");
    let code = body["code"].as_str().unwrap();
    assert!(
        !code.is_empty() && code.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
        "{what}: {body}"
    );
    assert!(
        has_cjk(body["message"].as_str().unwrap()),
        "{what}: message not Chinese: {body}"
    );
}

/// The code a status implies for the case endpoints.
fn code_for(status: u16, forbidden_code: &'static str) -> Option<&'static str> {
    match status {
        401 => Some("UNAUTHENTICATED"),
        403 => Some(forbidden_code),
        404 => Some("NOT_FOUND"),
        409 => Some("ILLEGAL_TRANSITION"),
        _ => None,
    }
}

struct World {
    ts: TestServer,
    tokens: HashMap<&'static str, String>,
    /// A, B, C.
    cases: [String; 3],
    titles: [&'static str; 3],
    dgy: String,
}

impl World {
    fn tok(&self, role: &str) -> &str {
        &self.tokens[role]
    }

    async fn build() -> Self {
        // Monday morning, a working day.
        let ts = TestServer::start_at(bj("2026-03-02 09:00")).await;
        let mut tokens = HashMap::new();
        for r in ROLES {
            tokens.insert(r, ts.login(r).await);
        }
        // officer2's station, as the server reports it.
        let (st, me) = ts.get(Some(&tokens["officer2"]), "/auth/me").await;
        assert_eq!(st, StatusCode::OK, "{me}");
        let dgy = me["unitId"].as_str().unwrap().to_owned();
        assert_eq!(dgy, ts.unit("JN-SZ-DGY"));

        let clerk = tokens["clerk"].clone();
        let titles = [
            "甲件泉城路夜间噪音扰民",
            "乙件大观园商铺噪音扰民",
            "丙件泉城路停车纠纷",
        ];
        let a = ts.intake(&clerk, titles[0]).await;
        ts.act_ok(&clerk, &a, ts.dispatch("JN-LX-QCL", "噪音扰民", json!({})))
            .await;
        let b = ts.intake(&clerk, titles[1]).await;
        ts.act_ok(&clerk, &b, ts.dispatch("JN-SZ-DGY", "噪音扰民", json!({})))
            .await;
        let c = ts.intake(&clerk, titles[2]).await;
        ts.act_ok(&clerk, &c, ts.dispatch("JN-LX-QCL", "治安管理", json!({})))
            .await;
        let officer = tokens["officer"].clone();
        ts.act_ok(&officer, &c, json!({"type": "signIn"})).await;
        ts.act_ok(
            &officer,
            &c,
            json!({"type": "submitReply", "text": "已协调双方，纠纷化解。"}),
        )
        .await;
        let done = ts
            .act_ok(
                &tokens["head"],
                &c,
                json!({"type": "approve", "comment": null}),
            )
            .await;
        assert_eq!(done["state"], "completed", "{done}");
        Self {
            ts,
            tokens,
            cases: [a, b, c],
            titles,
            dgy,
        }
    }

    /// Every case id a role gets from a paged list endpoint (limit 1 forces paging).
    async fn all_ids(&self, role: &str, path_and_query: &str) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        let sep = if path_and_query.contains('?') {
            '&'
        } else {
            '?'
        };
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let url = match &cursor {
                Some(c) => format!("{path_and_query}{sep}limit=1&cursor={c}"),
                None => format!("{path_and_query}{sep}limit=1"),
            };
            let (st, body) = self.ts.get(Some(self.tok(role)), &url).await;
            assert_eq!(st, StatusCode::OK, "{role} {url}: {body}");
            for it in body["items"].as_array().unwrap() {
                assert!(
                    ids.insert(it["id"].as_str().unwrap().to_owned()),
                    "{role} {url}: repeated id"
                );
            }
            match body["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return ids,
            }
        }
        panic!("{role} {path_and_query}: paging never ended");
    }
}

#[tokio::test]
async fn every_case_endpoint_for_every_role_in_and_out_of_scope() {
    let w = World::build().await;
    let ts = &w.ts;
    let ghost = "01900000-0000-7000-8000-000000000000"; // a well-formed id of no case
    for e in CASE_MATRIX {
        let t = w.tok(e.role);
        for (i, id) in w.cases.iter().enumerate() {
            let case = ["A", "B", "C"][i];
            for path in [
                format!("/cases/{id}"),
                format!("/cases/{id}/timeline"),
                format!("/cases/{id}/timeline/verify"),
            ] {
                let (st, body) = ts.get(Some(t), &path).await;
                check(
                    &format!("{} GET {path} ({case})", e.role),
                    st,
                    &body,
                    e.read[i],
                    code_for(e.read[i], "FORBIDDEN"),
                );
                if st == StatusCode::OK && path.ends_with("verify") {
                    assert_eq!(body["valid"], true, "{body}");
                }
            }
            let (st, body) = ts.get(Some(t), &format!("/cases/{id}/citizen")).await;
            check(
                &format!("{} GET citizen ({case})", e.role),
                st,
                &body,
                e.citizen[i],
                code_for(e.citizen[i], "FORBIDDEN"),
            );
            if st == StatusCode::OK {
                assert_eq!(body["phone"], "13812345678", "{body}");
            }
            let (st, body) = ts
                .act(t, id, json!({"type": "addNote", "text": "访问矩阵备注"}))
                .await;
            check(
                &format!("{} addNote ({case})", e.role),
                st,
                &body,
                e.note[i],
                code_for(e.note[i], "ROLE_NOT_ALLOWED"),
            );
            let (st, body) = ts
                .act(t, id, json!({"type": "urge", "message": "请尽快办理"}))
                .await;
            check(
                &format!("{} urge ({case})", e.role),
                st,
                &body,
                e.urge[i],
                code_for(e.urge[i], "ROLE_NOT_ALLOWED"),
            );
            // A stale expectedVersion must not reveal that an invisible case exists.
            let (st, body) = ts
                .post(
                    Some(t),
                    &format!("/cases/{id}/actions"),
                    &json!({"action": {"type": "addNote", "text": "x"}, "expectedVersion": 9999}),
                )
                .await;
            let want = if e.read[i] == 200 { 409 } else { 404 };
            let code = if want == 409 {
                "VERSION_CONFLICT"
            } else {
                "NOT_FOUND"
            };
            check(
                &format!("{} stale addNote ({case})", e.role),
                st,
                &body,
                want,
                Some(code),
            );
        }
        // Unknown and malformed ids look exactly like out-of-scope ones.
        for id in [ghost, "not-a-case-id", "1%27%20OR%201%3D1"] {
            for path in [
                format!("/cases/{id}"),
                format!("/cases/{id}/timeline"),
                format!("/cases/{id}/timeline/verify"),
                format!("/cases/{id}/citizen"),
            ] {
                let (st, body) = ts.get(Some(t), &path).await;
                check(
                    &format!("{} GET {path}", e.role),
                    st,
                    &body,
                    404,
                    Some("NOT_FOUND"),
                );
            }
            let (st, body) = ts.act(t, id, json!({"type": "addNote", "text": "x"})).await;
            check(
                &format!("{} addNote {id}", e.role),
                st,
                &body,
                404,
                Some("NOT_FOUND"),
            );
        }
    }
    // The out-of-scope answer is byte-identical to the answer for a case that does not exist.
    let (_, out_of_scope) = ts
        .get(Some(w.tok("officer")), &format!("/cases/{}", w.cases[1]))
        .await;
    let (_, missing) = ts
        .get(Some(w.tok("officer")), &format!("/cases/{ghost}"))
        .await;
    assert_eq!(out_of_scope, missing);

    // The unmasking by an allowed role was audited; masked otherwise.
    let (_, view) = ts
        .get(Some(w.tok("supervisor")), &format!("/cases/{}", w.cases[0]))
        .await;
    assert_eq!(view["citizen"]["phone"], "138****5678", "{view}");
    let (st, audit) = ts.get(Some(w.tok("admin")), "/audit").await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "unmaskCitizen" && a["target"] == w.cases[0].as_str()),
        "{audit}"
    );
}

#[tokio::test]
async fn lists_never_contain_out_of_scope_cases() {
    let w = World::build().await;
    let ts = &w.ts;
    for role in ROLES {
        let vis = visible(role);
        let expect: BTreeSet<String> = w
            .cases
            .iter()
            .zip(vis)
            .filter(|(_, v)| *v)
            .map(|(c, _)| c.clone())
            .collect();
        let hidden: Vec<&String> = w
            .cases
            .iter()
            .zip(vis)
            .filter(|(_, v)| !*v)
            .map(|(c, _)| c)
            .collect();

        // Every page of the plain list, and with filters that name the hidden cases.
        let all = w.all_ids(role, "/cases").await;
        assert_eq!(all, expect, "{role}: /cases");
        let filters = [
            format!("/cases?q={}", w.titles[1]), // 3+ chars: full-text path
            "/cases?q=乙件".to_owned(),          // 2 chars: LIKE path
            format!("/cases?unit={}", w.dgy),    // another branch's station by id
            "/cases?state=pendingSignIn,completed".to_owned(),
            "/cases?category=噪音扰民".to_owned(),
        ];
        for f in &filters {
            let ids = w.all_ids(role, f).await;
            for h in &hidden {
                assert!(!ids.contains(*h), "{role}: {f} leaked an out-of-scope case");
            }
            assert!(ids.is_subset(&expect), "{role}: {f} -> {ids:?}");
        }
        let b_found = w
            .all_ids(role, &format!("/cases?q={}", w.titles[1]))
            .await
            .contains(&w.cases[1]);
        assert_eq!(b_found, vis[1], "{role}: q= on B's title");

        // Totals count only what the role may see.
        let (st, body) = ts.get(Some(w.tok(role)), "/cases?withTotal=true").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(body["total"], expect.len(), "{role}: total");

        // 民生清单: counts and the list itself are scoped too.
        let unsigned: BTreeSet<String> = [&w.cases[0], &w.cases[1]]
            .iter()
            .zip(vis)
            .filter(|(_, v)| *v)
            .map(|(c, _)| (*c).clone())
            .collect();
        let (st, counts) = ts.get(Some(w.tok(role)), "/worklists").await;
        assert_eq!(st, StatusCode::OK, "{counts}");
        assert_eq!(counts["unsigned"], unsigned.len(), "{role}: {counts}");
        for list in ["unsigned", "未签收"] {
            let ids = w.all_ids(role, &format!("/worklists/{list}")).await;
            assert_eq!(ids, unsigned, "{role}: /worklists/{list}");
        }
        for list in ["inProgress", "dueSoon", "overdue"] {
            let ids = w.all_ids(role, &format!("/worklists/{list}")).await;
            assert!(ids.is_subset(&expect), "{role}: /worklists/{list}");
        }
        let (st, body) = ts.get(Some(w.tok(role)), "/worklists/nosuchlist").await;
        check(
            &format!("{role} unknown worklist"),
            st,
            &body,
            404,
            Some("NOT_FOUND"),
        );

        // Anything a list shows, the same role can open.
        for id in &all {
            let (st, _) = ts.get(Some(w.tok(role)), &format!("/cases/{id}")).await;
            assert_eq!(st, StatusCode::OK, "{role}: listed {id} but cannot read it");
        }
    }
}

/// The per-role matrix of the endpoints that do not depend on a case (units, users,
/// audit, intake, bulk import, phone answers …) is generated from the OpenAPI document
/// in `route_matrix.rs`; what stays here are checks that table does not express.
#[tokio::test]
async fn global_endpoints_for_every_role() {
    let w = World::build().await;
    let ts = &w.ts;
    // The case endpoints without a token.
    let a = &w.cases[0];
    for path in [
        format!("/cases/{a}"),
        format!("/cases/{a}/timeline"),
        format!("/cases/{a}/timeline/verify"),
        format!("/cases/{a}/citizen"),
        "/auth/me".into(),
    ] {
        let (st, body) = ts.get(None, &path).await;
        check(
            &format!("no token GET {path}"),
            st,
            &body,
            401,
            Some("UNAUTHENTICATED"),
        );
    }
    let (st, body) = ts
        .post(
            None,
            &format!("/cases/{a}/actions"),
            &json!({"action": {"type": "addNote", "text": "x"}}),
        )
        .await;
    check("no token action", st, &body, 401, Some("UNAUTHENTICATED"));

    // Unit heads see only their own unit's people, and cannot ask for another unit.
    let (_, users) = ts.get(Some(w.tok("head")), "/users").await;
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"officer") && !names.contains(&"officer2"),
        "{names:?}"
    );
    let (st, body) = ts
        .get(Some(w.tok("head")), &format!("/users?unit={}", w.dgy))
        .await;
    check("head lists another unit", st, &body, 403, Some("FORBIDDEN"));
    let (st, body) = ts
        .patch(
            Some(w.tok("admin")),
            "/users/01900000-0000-7000-8000-000000000000",
            &json!({"displayName": "无此人"}),
        )
        .await;
    check("patch unknown user", st, &body, 404, Some("NOT_FOUND"));
}

/// `GET /followups/{id}/phone` on C's follow-up round, per role in `ROLES` order: like
/// `/cases/{id}/citizen` on C — out of scope 404, roles that may not see identity 403.
#[rustfmt::skip]
const FOLLOWUP_PHONE: [u16; 8] = [
//   admin clerk leader sup  head officer off2 followup
     403,  200,  403,  403,  200,  200,  404,  200,
];

#[tokio::test]
async fn followup_phone_reveal_for_every_role() {
    let w = World::build().await;
    let ts = &w.ts;
    let c = &w.cases[2];
    // C is 已办结: a notify pass opens its follow-up round (the list shows it masked).
    minsheng_server::notify::run_once(&ts.state)
        .await
        .expect("notify pass");
    let (st, rounds) = ts
        .get(Some(w.tok("admin")), &format!("/followups?caseId={c}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{rounds}");
    assert_eq!(rounds[0]["phone"], "138****5678", "{rounds}");
    let round = rounds[0]["id"].as_str().unwrap().to_owned();
    let ghost = "01900000-0000-7000-8000-000000000000";
    for (ri, role) in ROLES.iter().enumerate() {
        let want = FOLLOWUP_PHONE[ri];
        let e = CASE_MATRIX.iter().find(|e| e.role == *role).unwrap();
        assert_eq!(
            want, e.citizen[2],
            "{role}: must agree with /cases/{{id}}/citizen on C"
        );
        let (st, body) = ts
            .get(Some(w.tok(role)), &format!("/followups/{round}/phone"))
            .await;
        check(
            &format!("{role} GET followup phone"),
            st,
            &body,
            want,
            code_for(want, "FORBIDDEN"),
        );
        if want == 200 {
            assert_eq!(body["phone"], "13812345678", "{body}");
        }
        for id in [ghost, "not-a-round"] {
            let (st, body) = ts
                .get(Some(w.tok(role)), &format!("/followups/{id}/phone"))
                .await;
            check(
                &format!("{role} GET followup phone {id}"),
                st,
                &body,
                404,
                Some("NOT_FOUND"),
            );
        }
    }
    let (st, body) = ts.get(None, &format!("/followups/{round}/phone")).await;
    check(
        "no token followup phone",
        st,
        &body,
        401,
        Some("UNAUTHENTICATED"),
    );
    // One audit row per reveal, naming the case.
    let (_, audit) = ts.get(Some(w.tok("admin")), "/audit").await;
    let reveals = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "unmaskFollowUpPhone" && a["target"] == c.as_str())
        .count();
    assert_eq!(
        reveals,
        FOLLOWUP_PHONE.iter().filter(|s| **s == 200).count(),
        "{audit}"
    );
}

#[tokio::test]
async fn disabled_accounts_logout_and_refresh_rotation() {
    // Default settings: 15-minute access tokens (the shared `start_at` makes them live a year).
    let ts = TestServer::start_with(bj("2026-03-02 09:00"), Settings::default(), 0).await;
    let admin = ts.login("admin").await;

    // A deactivated user's live token stops working at once, and they cannot log in again.
    let off2 = ts.login("officer2").await;
    let (_, me) = ts.get(Some(&off2), "/auth/me").await;
    let off2_id = me["id"].as_str().unwrap().to_owned();
    let (st, body) = ts
        .patch(
            Some(&admin),
            &format!("/users/{off2_id}"),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    let (st, body) = ts.get(Some(&off2), "/auth/me").await;
    assert!(
        (st == StatusCode::FORBIDDEN && body["code"] == "ACCOUNT_DISABLED")
            || (st == StatusCode::UNAUTHORIZED && body["code"] == "UNAUTHENTICATED"),
        "{st} {body}"
    );
    assert_error_shape("disabled token", &body);
    let (st, body) = ts
        .post(
            None,
            "/auth/login",
            &json!({"username": "officer2", "password": PASSWORD}),
        )
        .await;
    check("disabled login", st, &body, 403, Some("ACCOUNT_DISABLED"));
    // Re-enabled, the account works again.
    let (st, _) = ts
        .patch(
            Some(&admin),
            &format!("/users/{off2_id}"),
            &json!({"active": true}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    ts.login("officer2").await;

    // Logout revokes the access token and its refresh token.
    let (st, pair) = ts
        .post(
            None,
            "/auth/login",
            &json!({"username": "officer", "password": PASSWORD}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let access = pair["accessToken"].as_str().unwrap().to_owned();
    let refresh = pair["refreshToken"].as_str().unwrap().to_owned();
    let (st, _) = ts.post(Some(&access), "/auth/logout", &json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, body) = ts.get(Some(&access), "/auth/me").await;
    check("after logout", st, &body, 401, Some("UNAUTHENTICATED"));
    let (st, body) = ts
        .post(None, "/auth/refresh", &json!({"refreshToken": refresh}))
        .await;
    check("refresh after logout", st, &body, 401, None);

    // Refresh rotates: the new pair works, the old refresh token is dead, and so is the old access token.
    let (_, pair) = ts
        .post(
            None,
            "/auth/login",
            &json!({"username": "head", "password": PASSWORD}),
        )
        .await;
    let old_access = pair["accessToken"].as_str().unwrap().to_owned();
    let old_refresh = pair["refreshToken"].as_str().unwrap().to_owned();
    let (st, next) = ts
        .post(None, "/auth/refresh", &json!({"refreshToken": old_refresh}))
        .await;
    assert_eq!(st, StatusCode::OK, "{next}");
    let new_access = next["accessToken"].as_str().unwrap().to_owned();
    let new_refresh = next["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, old_refresh);
    let (st, me) = ts.get(Some(&new_access), "/auth/me").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(me["username"], "head");
    let (st, body) = ts
        .post(None, "/auth/refresh", &json!({"refreshToken": old_refresh}))
        .await;
    check("old refresh reused", st, &body, 401, Some("REFRESH_REUSED"));
    let (st, body) = ts.get(Some(&old_access), "/auth/me").await;
    check("old access after rotation", st, &body, 401, None);
    // The reuse ended the whole login: the new pair is dead too (session_hardening.rs).
    let (st, body) = ts
        .post(None, "/auth/refresh", &json!({"refreshToken": new_refresh}))
        .await;
    check("new refresh after reuse", st, &body, 401, None);

    // Access tokens expire with the (manual) clock.
    let fresh = ts.login("clerk").await;
    ts.clock.set(bj("2026-03-02 09:16"));
    let (st, body) = ts.get(Some(&fresh), "/auth/me").await;
    check("expired access", st, &body, 401, Some("TOKEN_EXPIRED"));
}

#[tokio::test]
async fn login_throttled_per_account_after_five_failures() {
    let ts = TestServer::start_at(bj("2026-03-02 09:00")).await;
    for i in 0..5 {
        let (st, body) = ts
            .post(
                None,
                "/auth/login",
                &json!({"username": "officer", "password": format!("wrong-{i}")}),
            )
            .await;
        check("bad password", st, &body, 401, Some("BAD_CREDENTIALS"));
    }
    // The 6th attempt is refused even with the right password.
    let (st, body) = ts
        .post(
            None,
            "/auth/login",
            &json!({"username": "officer", "password": PASSWORD}),
        )
        .await;
    check("throttled", st, &body, 429, Some("LOGIN_THROTTLED"));
    // Other accounts are not affected (per account, and the per-IP budget is larger).
    ts.login("head").await;
    // Unknown usernames are throttled the same way (no user enumeration).
    for _ in 0..5 {
        let (st, body) = ts
            .post(
                None,
                "/auth/login",
                &json!({"username": "nobody", "password": "x"}),
            )
            .await;
        check("unknown user", st, &body, 401, Some("BAD_CREDENTIALS"));
    }
    let (st, body) = ts
        .post(
            None,
            "/auth/login",
            &json!({"username": "nobody", "password": "x"}),
        )
        .await;
    check("unknown throttled", st, &body, 429, Some("LOGIN_THROTTLED"));
    // After the window the right password works again.
    ts.clock.set(bj("2026-03-02 09:16"));
    ts.login("officer").await;
}
