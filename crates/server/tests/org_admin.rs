//! The org tree edited by an admin (admin-console issue): a move re-scopes the cases
//! (clients get the removals and additions on their next pull), bad trees are refused
//! whole with a stable code and a Chinese message, a unit with people or open work is
//! not disabled, a disabled unit gets no new work, and every change is audited.

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer, PASSWORD};

fn ids(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            x.as_str()
                .map_or_else(|| x["id"].as_str().unwrap().to_owned(), str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn a_moved_station_takes_its_cases_to_the_new_branch() {
    let ts = TestServer::start_at(bj("2026-03-02 09:00")).await;
    let (admin, clerk) = (ts.login("admin").await, ts.login("clerk").await);
    // A supervisor of 市中分局, next to the demo one of 历下分局.
    let (st, u) = ts
        .post(
            Some(&admin),
            "/users",
            &json!({"username": "sz-supervisor", "displayName": "市中督办员", "role": "supervisor",
                    "unitId": ts.unit("JN-SZ"), "password": PASSWORD}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    let lx = ts.login("supervisor").await;
    let sz = ts.login("sz-supervisor").await;
    // `kept`: supervised by 历下分局 by default (the case records it: 历下 keeps it).
    // `case`: supervised by 治安支队 — 历下 sees it only as the station's branch.
    let kept = ts.intake(&clerk, "泉城路派出所辖区占道经营").await;
    ts.act_ok(
        &clerk,
        &kept,
        ts.dispatch("JN-LX-QCL", "治安管理", json!({})),
    )
    .await;
    let case = ts.intake(&clerk, "泉城路派出所辖区夜间噪音").await;
    let mut order = ts.dispatch("JN-LX-QCL", "噪音扰民", json!({}));
    order["supervisingUnit"] = json!(ts.unit("JN-ZA"));
    ts.act_ok(&clerk, &case, order).await;

    let (_, lx0) = ts.pull(&lx, "", 500).await;
    let (_, sz0) = ts.pull(&sz, "", 500).await;
    assert!(ids(&lx0, "changes").contains(&case), "历下 sees it before");
    assert!(!ids(&sz0, "changes").contains(&case), "市中 does not");
    assert!(!ids(&sz0, "changes").contains(&kept), "市中 does not");

    let qcl = ts.unit("JN-LX-QCL");
    let (st, moved) = ts
        .patch(
            Some(&admin),
            &format!("/units/{qcl}"),
            &json!({"parent": ts.unit("JN-SZ")}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{moved}");
    assert_eq!(moved["unit"]["parent"], ts.unit("JN-SZ"));
    assert_eq!(moved["rescopedCases"], 2, "{moved}");

    // Next pulls: 历下 gets the removal, 市中 the case.
    let (_, lx1) = ts.pull(&lx, lx0["nextCursor"].as_str().unwrap(), 500).await;
    assert!(ids(&lx1, "removed").contains(&case), "{lx1}");
    assert!(
        !ids(&lx1, "removed").contains(&kept),
        "its recorded supervisor keeps it"
    );
    let (_, sz1) = ts.pull(&sz, sz0["nextCursor"].as_str().unwrap(), 500).await;
    assert!(ids(&sz1, "changes").contains(&case), "{sz1}");
    assert!(ids(&sz1, "changes").contains(&kept), "{sz1}");
    let (st, _) = ts.get(Some(&lx), &format!("/cases/{case}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = ts.get(Some(&sz), &format!("/cases/{case}")).await;
    assert_eq!(st, StatusCode::OK);

    // Audited with before and after.
    let (_, audit) = ts.get(Some(&admin), "/audit").await;
    let row = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "updateUnit")
        .expect("audited");
    let detail: Value = serde_json::from_str(row["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["before"]["parent"], ts.unit("JN-LX"));
    assert_eq!(detail["after"]["parent"], ts.unit("JN-SZ"));
}

#[tokio::test]
async fn bad_trees_are_refused_whole() {
    let ts = TestServer::start_at(bj("2026-03-02 09:00")).await;
    let admin = ts.login("admin").await;
    let (lx, qcl, dgy) = (ts.unit("JN-LX"), ts.unit("JN-LX-QCL"), ts.unit("JN-SZ-DGY"));
    let (_, before) = ts.get(Some(&admin), "/units").await;
    for (what, unit, body, says) in [
        ("a cycle", &lx, json!({"parent": qcl}), "更高一级"),
        ("its own parent", &qcl, json!({"parent": qcl}), "更高一级"),
        (
            "no such parent",
            &qcl,
            json!({"parent": "01900000-0000-7000-8000-000000000000"}),
            "不存在",
        ),
        (
            "a taken code",
            &qcl,
            json!({"code": "JN-SZ-DGY"}),
            "已被使用",
        ),
        ("an empty name", &dgy, json!({"name": "  "}), "不能为空"),
    ] {
        let (st, e) = ts
            .patch(Some(&admin), &format!("/units/{unit}"), &body)
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {e}");
        assert_eq!(e["code"], "INVALID_ORG", "{what}: {e}");
        assert!(e["message"].as_str().unwrap().contains(says), "{what}: {e}");
    }
    let (st, e) = ts
        .patch(
            Some(&admin),
            "/units/01900000-0000-7000-8000-000000000000",
            &json!({"name": "无"}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
    let (st, e) = ts
        .patch(Some(&admin), &format!("/units/{qcl}"), &json!({"level": 2}))
        .await;
    assert_eq!(
        st,
        StatusCode::BAD_REQUEST,
        "the level is not editable: {e}"
    );
    let officer = ts.login("officer").await;
    let (st, _) = ts
        .patch(
            Some(&officer),
            &format!("/units/{qcl}"),
            &json!({"name": "改名"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, after) = ts.get(Some(&admin), "/units").await;
    assert_eq!(after, before, "nothing changed");
}

#[tokio::test]
async fn a_unit_in_use_is_not_disabled_and_a_disabled_one_gets_no_work() {
    let ts = TestServer::start_at(bj("2026-03-02 09:00")).await;
    let (admin, clerk) = (ts.login("admin").await, ts.login("clerk").await);
    let qcl = ts.unit("JN-LX-QCL");
    let (st, e) = ts
        .patch(
            Some(&admin),
            &format!("/units/{qcl}"),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["code"], "UNIT_IN_USE");
    assert!(e["message"].as_str().unwrap().contains("在岗人员"), "{e}");

    let (st, unit) = ts
        .post(
            Some(&admin),
            "/units",
            &json!({"code": "JN-LX-NEW", "name": "新建派出所", "level": 3, "parent": ts.unit("JN-LX"),
                    "kind": "派出所", "policeLine": "治安"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{unit}");
    let id = unit["id"].as_str().unwrap();
    let (st, v) = ts
        .patch(
            Some(&admin),
            &format!("/units/{id}"),
            &json!({"active": false, "jurisdiction": {"streets": ["新街道", "新街道"]}}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["unit"]["active"], false);
    assert_eq!(v["unit"]["jurisdiction"]["streets"], json!(["新街道"]));
    let case = ts.intake(&clerk, "派往停用单位的诉求").await;
    let (st, e) = ts
        .act(
            &clerk,
            &case,
            ts.dispatch("JN-LX-NEW", "治安管理", json!({})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["message"].as_str().unwrap().contains("已停用"), "{e}");
}
