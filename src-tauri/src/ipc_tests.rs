//! The commands driven through Tauri's real IPC path on the mock runtime (no window, no display).

use serde_json::{json, Value};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{ipc::CallbackFn, test::MockRuntime, App, WebviewWindow};

use crate::{configure, configure_full, configure_with, DataDir, ServerLink, SERVER_URL_ENV};

fn build(builder: tauri::Builder<MockRuntime>) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = builder
        .build(mock_context(noop_assets()))
        .expect("mock app builds");
    let window = tauri::WebviewWindowBuilder::new(&app, "main", tauri::WebviewUrl::default())
        .build()
        .expect("mock window builds");
    (app, window)
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str) -> Result<Value, Value> {
    invoke_with(window, cmd, json!({}))
}

/// Calls `cmd` with `args` as the UI does (camelCase keys, JSON body).
fn invoke_with(
    window: &WebviewWindow<MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: tauri::http::HeaderMap::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("JSON response"))
}

/// Serves `body` at /api/v1/health on a loopback port from a thread with its own runtime.
fn health_server(status: u16, body: Value) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let status = axum::http::StatusCode::from_u16(status).unwrap();
            let app = axum::Router::new().route(
                "/api/v1/health",
                axum::routing::get(move || async move { (status, axum::Json(body)) }),
            );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    url
}

/// A loopback URL where nothing listens (the port was just released).
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// Set in a child run of `app_info_reports_version_and_server_url_from_env_or_default`:
/// the `serverUrl` that child must report, written literally by the parent.
const EXPECT_URL_ENV: &str = "MINSHENG_IPC_TEST_EXPECT_SERVER_URL";
const APP_INFO_ENV_TEST: &str =
    "ipc_tests::app_info_reports_version_and_server_url_from_env_or_default";

/// `app_info` reports `$MINSHENG_SERVER_URL` (trimmed, without trailing slashes) or the
/// default `http://127.0.0.1:8686` when it is unset or blank. The environment of this
/// process is shared with every other test, so each case runs this test again in a
/// child process with its own environment and a literal expected URL.
#[test]
fn app_info_reports_version_and_server_url_from_env_or_default() {
    if let Ok(expected) = std::env::var(EXPECT_URL_ENV) {
        let (_app, window) = build(configure(mock_builder()));
        assert_eq!(
            invoke(&window, "app_info"),
            Ok(json!({ "version": env!("CARGO_PKG_VERSION"), "serverUrl": expected }))
        );
        return;
    }
    assert_eq!(SERVER_URL_ENV, "MINSHENG_SERVER_URL");
    // (value of MINSHENG_SERVER_URL or None for unset, the URL app_info must report)
    let cases: [(Option<&str>, &str); 5] = [
        (None, "http://127.0.0.1:8686"),
        (Some(""), "http://127.0.0.1:8686"),
        (Some("   "), "http://127.0.0.1:8686"),
        (Some("http://10.20.30.40:9000"), "http://10.20.30.40:9000"),
        (
            Some("  https://city.example.cn/minsheng//  "),
            "https://city.example.cn/minsheng",
        ),
    ];
    for (value, expected) in cases {
        let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"));
        child
            .args([
                APP_INFO_ENV_TEST,
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(EXPECT_URL_ENV, expected);
        match value {
            Some(v) => child.env(SERVER_URL_ENV, v),
            None => child.env_remove(SERVER_URL_ENV),
        };
        let out = child.output().expect("run the test binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{SERVER_URL_ENV}={value:?} should give {expected}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn app_info_reports_the_configured_server() {
    let link = ServerLink::new("http://10.1.2.3:9000/");
    let (_app, window) = build(configure_with(mock_builder(), link));
    let info = invoke(&window, "app_info").unwrap();
    assert_eq!(info["serverUrl"], "http://10.1.2.3:9000");
}

#[test]
fn server_health_is_ok_with_version_when_the_server_answers() {
    let url = health_server(200, json!({ "status": "ok", "version": "9.9.9" }));
    let (_app, window) = build(configure_with(mock_builder(), ServerLink::new(&url)));
    assert_eq!(
        invoke(&window, "server_health"),
        Ok(json!({ "ok": true, "serverVersion": "9.9.9", "message": "已连接市局服务器" }))
    );
}

#[test]
fn server_health_reports_an_error_status_as_not_ok() {
    let url = health_server(503, json!({ "status": "migrating" }));
    let (_app, window) = build(configure_with(mock_builder(), ServerLink::new(&url)));
    assert_eq!(
        invoke(&window, "server_health"),
        Ok(json!({ "ok": false, "message": "市局服务器异常（HTTP 503）" }))
    );
}

#[test]
fn server_health_is_not_ok_when_the_server_is_down() {
    let link = ServerLink::new(&closed_port_url());
    let (_app, window) = build(configure_with(mock_builder(), link));
    assert_eq!(
        invoke(&window, "server_health"),
        Ok(json!({ "ok": false, "message": "无法连接市局服务器" }))
    );
}

#[test]
fn server_health_rejects_an_unusable_url_with_code_and_message() {
    let (_app, window) = build(configure_with(mock_builder(), ServerLink::new("ftp://x")));
    assert_eq!(
        invoke(&window, "server_health"),
        Err(json!({ "code": "invalidServerUrl", "message": "市局服务器地址无效：ftp://x" }))
    );
}

#[test]
fn session_commands_without_a_session_say_not_signed_in() {
    let dir = tempfile::tempdir().unwrap();
    let builder = configure_full(
        mock_builder(),
        ServerLink::new(&closed_port_url()),
        Some(DataDir::new(dir.path())),
    );
    let (_app, window) = build(builder);
    assert_eq!(invoke(&window, "auth_last_user"), Ok(Value::Null));
    assert_eq!(invoke(&window, "auth_current"), Ok(Value::Null));
    for cmd in [
        "sync_status",
        "worklist_counts",
        "org_units",
        "sync_conflicts",
        "approvals_queue",
        "update_check",
        "releases_list",
    ] {
        let err = invoke(&window, cmd).unwrap_err();
        assert_eq!(err["code"], "NOT_SIGNED_IN", "{cmd}: {err}");
        assert_eq!(err["message"], "尚未登录");
    }
    let err = invoke_with(&window, "case_get", json!({ "id": "not-a-uuid" })).unwrap_err();
    assert_eq!(err["code"], "NOT_SIGNED_IN");
    let err = invoke_with(&window, "update_install", json!({ "confirmQueued": true })).unwrap_err();
    assert_eq!(err["code"], "NOT_SIGNED_IN");
}

#[test]
fn login_against_an_unreachable_server_fails_with_a_code() {
    let dir = tempfile::tempdir().unwrap();
    let builder = configure_full(
        mock_builder(),
        ServerLink::new("http://127.0.0.1:8686"),
        Some(DataDir::new(dir.path())),
    );
    let (_app, window) = build(builder);
    let err = invoke_with(
        &window,
        "auth_login",
        json!({ "serverUrl": closed_port_url(), "username": "officer", "password": "x" }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "OFFLINE", "{err}");
    let err = invoke_with(
        &window,
        "auth_login",
        json!({ "serverUrl": "ftp://nowhere", "username": "officer", "password": "x" }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalidServerUrl");
}
