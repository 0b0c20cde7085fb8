//! The server's command line on the suite's database (an SQLite file, or PostgreSQL
//! when MINSHENG_TEST_BACKEND=postgres): `seed-demo`, `create-user`, `export-training`
//! and `serve` all take the same database arguments (`--db PATH`, or `--database URL`
//! with `--pg-schema`), and `serve` answers over HTTP from what the others wrote. On
//! PostgreSQL also `new-sync-epoch`, the step after a restore from a dump.

mod support;

use std::process::{Command, Stdio};

use minsheng_server::Database;
use serde_json::{json, Value};

fn server(args: &[String]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_minsheng-server"))
        .args(args)
        .env("MINSHENG_PASSWORD", "Xk9#station-2026")
        .env_remove("MINSHENG_DATABASE_URL")
        .output()
        .expect("run minsheng-server");
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn with_db(cmd: &[&str], db: &Database) -> Vec<String> {
    let mut v: Vec<String> = cmd.iter().map(ToString::to_string).collect();
    v.extend(db.cli_args());
    v
}

/// Starts `serve` on a free loopback port; returns the process and its base URL.
fn serve(db: &Database) -> (std::process::Child, String) {
    support::spawn_serve(
        Command::new(env!("CARGO_BIN_EXE_minsheng-server"))
            .args(with_db(&["serve", "--listen", "127.0.0.1:0"], db))
            .env_remove("MINSHENG_DATABASE_URL")
            .stderr(Stdio::null()),
    )
}

#[tokio::test]
async fn every_command_works_on_the_suites_database_and_serve_reads_what_they_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let db = support::test_database(dir.path());

    let out = server(&with_db(&["seed-demo", "--cases", "12"], &db));
    assert!(String::from_utf8_lossy(&out.stdout).contains("12"));
    server(&with_db(
        &[
            "create-user",
            "--username",
            "wangwu",
            "--name",
            "王五",
            "--role",
            "officer",
            "--unit",
            "JN-LX-QCL",
        ],
        &db,
    ));
    let csv = dir.path().join("history.csv");
    let mut export = with_db(&["export-training"], &db);
    export.extend(["--out".into(), csv.display().to_string()]);
    server(&export);
    assert!(csv.exists());

    let (mut child, base) = serve(&db);
    let http = reqwest::Client::new();
    let token = login(&http, &base).await;
    let me = get(&http, &base, "/auth/me", &token).await;
    assert_eq!(me["displayName"], "王五", "{me}");
    let health = get(&http, &base, "/health", &token).await;
    assert_eq!(health["status"], "ok", "{health}");
    let before = get(&http, &base, "/sync/pull?cursor=&limit=1", &token).await;
    assert!(before["epoch"].is_string(), "{before}");
    let _ = child.kill();
    let _ = child.wait();

    if let Database::Postgres { url, schema } = &db {
        // After a restore from a dump: a new epoch, and every session ended.
        let mut args = vec![
            "new-sync-epoch".to_string(),
            "--database".into(),
            url.clone(),
        ];
        if let Some(s) = schema {
            args.extend(["--pg-schema".into(), s.clone()]);
        }
        server(&args);
        let (mut child, base) = serve(&db);
        let st = http
            .get(format!("{base}/api/v1/auth/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status();
        let token = login(&http, &base).await;
        let after = get(&http, &base, "/sync/pull?cursor=&limit=1", &token).await;
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(st, reqwest::StatusCode::UNAUTHORIZED, "sessions ended");
        assert_ne!(before["epoch"], after["epoch"], "a new epoch");
    }
}

async fn login(http: &reqwest::Client, base: &str) -> String {
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "wangwu", "password": "Xk9#station-2026"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["accessToken"].as_str().expect("login").to_owned()
}

/// GET with the desktop's headers (sync needs them; the rest ignores them).
async fn get(http: &reqwest::Client, base: &str, path: &str, token: &str) -> Value {
    http.get(format!("{base}/api/v1{path}"))
        .bearer_auth(token)
        .header("X-Minsheng-Client", support::SYNC_CLIENT)
        .header("X-Minsheng-Schema", support::SYNC_SCHEMA)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[test]
fn a_database_must_be_named_once() {
    let out = Command::new(env!("CARGO_BIN_EXE_minsheng-server"))
        .args(["seed-demo"])
        .env_remove("MINSHENG_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("请指定数据库"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_minsheng-server"))
        .args(["seed-demo", "--database", "mysql://x/y"])
        .env_remove("MINSHENG_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("postgres://"));
}
