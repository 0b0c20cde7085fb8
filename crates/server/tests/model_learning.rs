//! Learning without a restart (issue 16): a clerk's correction at dispatch reaches a
//! retrained model that the running server installs; a second instance on the same
//! database and model directory loads it without a restart; an admin rolls back to a
//! kept version; a corrupt newer model is refused and the current one kept.

#[path = "support/model.rs"]
mod model;
mod support;

use std::time::Duration;

use minsheng_server::intelligence::learning::{self, LearningSettings};
use minsheng_server::state::Settings;
use model::{fixture, server_with_model};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::off_runtime;

const TITLE: &str = "A2区邻居家每天半夜装修噪音扰民";
const CONTENT: &str =
    "我住在A市A2区，邻居家每天半夜装修噪音扰民，已经持续很久了，希望有关部门尽快处理。";

fn settings(dir: &std::path::Path) -> LearningSettings {
    LearningSettings {
        model_dir: dir.to_path_buf(),
        base_data: Some(fixture()),
        retrain_every: None,
        // The 30-row fixture is the base data set here.
        min_rows: 20,
    }
}

/// The unit kind the installed model suggests for the corrected text.
fn unit_kind(state: &minsheng_server::state::AppState) -> String {
    let model = state.intel.model();
    let s = model
        .as_ref()
        .expect("a model")
        .suggest(TITLE, CONTENT, None);
    s.unit_kind[0].label.clone()
}

#[tokio::test]
async fn a_correction_reaches_the_model_on_every_instance_and_can_be_rolled_back() {
    let (ts, dir) = server_with_model().await;
    learning::configure(&ts.state, settings(dir.path()));
    let second = ts.open_another(Settings::default());
    minsheng_server::intelligence::load_model(&second, dir.path()).unwrap();
    learning::configure(&second, settings(dir.path()));
    // The base data set labels this text 派出所, and so does the model.
    assert_eq!(unit_kind(&ts.state), "派出所");

    // The clerk corrects it at dispatch: a traffic brigade, 交通管理.
    let clerk = ts.login("clerk").await;
    let body = json!({
        "channel": "12345市长热线", "requestType": "投诉", "title": TITLE, "content": CONTENT,
        "citizenName": "王女士", "citizenPhone": "13900000002", "address": "历下区解放路街道",
        "district": "历下区"
    });
    let (st, case) = ts.post(Some(&clerk), "/cases", &body).await;
    assert_eq!(st, StatusCode::CREATED, "{case}");
    let brigade = ts.unit("JN-JJ-LX");
    let id = case["id"].as_str().unwrap();
    ts.act_ok(&clerk, id, ts.dispatch("JN-JJ-LX", "交通管理", json!({})))
        .await;
    assert!(!brigade.is_empty());

    // Only an admin sees or drives the model.
    let admin = ts.login("admin").await;
    for (path, body) in [
        ("/intelligence/model/retrain", json!({})),
        ("/intelligence/model/rollback", json!({"version": 1})),
    ] {
        let (st, v) = ts.post(Some(&clerk), path, &body).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{path}: {v}");
    }
    let (st, _) = ts.get(Some(&clerk), "/intelligence/model").await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let (st, report) = ts
        .post(Some(&admin), "/intelligence/model/retrain", &json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert_eq!(report["outcome"], "installed", "{report}");
    assert_eq!(report["version"], 2);
    assert_eq!(report["historyRows"], 1, "{report}");
    assert_eq!(
        report["trainingRows"], 30,
        "the correction replaces the base row"
    );
    // Installed here at once, without a restart.
    assert_eq!(ts.state.intel.model_version(), Some(2));
    assert_eq!(unit_kind(&ts.state), "交警大队");

    // The other instance still has version 1 until it looks at the directory.
    assert_eq!(second.intel.model_version(), Some(1));
    let loaded = off_runtime(|| learning::reload_if_newer(&second)).unwrap();
    assert_eq!(loaded, Some(2));
    assert_eq!(unit_kind(&second), "交警大队");

    let (st, status) = ts.get(Some(&admin), "/intelligence/model").await;
    assert_eq!(st, StatusCode::OK, "{status}");
    assert_eq!(status["current"]["version"], 2, "{status}");
    let kept: Vec<&Value> = status["archived"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["version"])
        .collect();
    assert_eq!(kept, [&json!(1)], "{status}");
    assert_eq!(status["lastRetrain"]["outcome"], "installed");
    assert!(
        status["current"]["macroF1"]["police_related"].is_number(),
        "{status}"
    );

    // Roll back to version 1: saved as version 3, the first model's behaviour again.
    let (st, status) = ts
        .post(
            Some(&admin),
            "/intelligence/model/rollback",
            &json!({"version": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{status}");
    assert_eq!(status["current"]["version"], 3, "{status}");
    assert!(
        status["current"]["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "rollback to v1"),
        "{status}"
    );
    assert_eq!(unit_kind(&ts.state), "派出所");
    assert_eq!(
        off_runtime(|| learning::reload_if_newer(&second)).unwrap(),
        Some(3)
    );
    assert_eq!(unit_kind(&second), "派出所");
    // Both admin actions are in the audit log.
    let (_, audit) = ts.get(Some(&admin), "/audit?limit=50").await;
    let actions: Vec<&str> = audit
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert!(actions.contains(&"retrainModel"), "{audit}");
    assert!(actions.contains(&"rollbackModel"), "{audit}");

    // A version that is not kept is a clear 409.
    let (st, v) = ts
        .post(
            Some(&admin),
            "/intelligence/model/rollback",
            &json!({"version": 9}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "MODEL_VERSION_UNUSABLE");
    drop(dir);
}

#[tokio::test]
async fn a_corrupt_newer_model_is_refused_and_the_current_one_kept() {
    let (ts, dir) = server_with_model().await;
    learning::configure(&ts.state, settings(dir.path()));
    // Version 2 appears in the directory with a model file that is not a model.
    let manifest_path = dir.path().join("manifest.json");
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest["version"] = json!(2);
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    std::fs::write(dir.path().join("model.bin"), b"not a model").unwrap();

    let loaded = off_runtime(|| learning::reload_if_newer(&ts.state)).unwrap();
    assert_eq!(loaded, None);
    assert_eq!(
        ts.state.intel.model_version(),
        Some(1),
        "the current model stays"
    );
    let admin = ts.login("admin").await;
    let (_, status) = ts.get(Some(&admin), "/intelligence/model").await;
    assert!(
        status["refused"]
            .as_str()
            .is_some_and(|r| r.contains("第 2 版")),
        "{status}"
    );
    // Refused once: the next look does not try again.
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(
        off_runtime(|| learning::reload_if_newer(&ts.state)).unwrap(),
        None
    );
}

#[tokio::test]
async fn without_a_model_directory_retraining_is_a_clear_conflict() {
    let ts = support::TestServer::start_at(support::bj("2026-11-23 09:00")).await;
    let admin = ts.login("admin").await;
    let (st, v) = ts
        .post(Some(&admin), "/intelligence/model/retrain", &json!({}))
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "MODEL_NOT_CONFIGURED");
    let (st, v) = ts.get(Some(&admin), "/intelligence/model").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["configured"], false);
}
