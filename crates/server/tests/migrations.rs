//! Upgrading real databases: for every schema version k the server has shipped, a file
//! built by migrations 1..k (the SQL as shipped, frozen in `tests/fixtures/
//! server_migrations/`) and filled with raw SQL with the rows a running server wrote —
//! cases, timelines, follow-up rounds and the SMS outbox, assessment facts and rollups —
//! in that version's columns, is opened by the current server. Its data must be intact
//! and usable through the HTTP API (the same answers as the server that wrote the rows,
//! a valid hash chain, new work accepted), and its schema the same as a new file's.
//! A file newer than the program is refused with a clear error by the server binary.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minsheng_server::state::{Clock, Settings};
use reqwest::StatusCode;
use rusqlite::Connection;
use serde_json::{json, Value};
use support::{bj, TestServer, PASSWORD};

/// The shipped migrations, oldest first: (version, description, SQL).
fn shipped() -> Vec<(i64, String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/server_migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let version: i64 = p
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse().ok())
                .expect("NN.sql");
            let text = std::fs::read_to_string(p).expect("read");
            let (first, sql) = text.split_once('\n').expect("description line");
            (
                version,
                first.trim_start_matches("-- ").to_owned(),
                sql.to_owned(),
            )
        })
        .collect()
}

fn settings() -> Settings {
    Settings {
        access_ttl: chrono::Duration::days(365),
        refresh_ttl: chrono::Duration::days(400),
        session_absolute_secs: 400 * 24 * 3600,
        ..Settings::default()
    }
}

/// A server over `db` on the manual clock `now`, without the background workers (the
/// test runs the assessment pass itself).
async fn serve(db: &Path, now: chrono::DateTime<chrono::Utc>) -> Server {
    let clock = Clock::manual(now);
    let state = minsheng_server::open_state(db, settings(), clock).expect("open the upgraded file");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = minsheng_server::http::router(state.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let st = state.clone();
    tokio::task::spawn_blocking(move || minsheng_server::assessment::run_once(&st))
        .await
        .expect("join")
        .expect("assessment pass");
    Server {
        base,
        client: reqwest::Client::new(),
    }
}

struct Server {
    base: String,
    client: reqwest::Client,
}

impl Server {
    async fn send(&self, rb: reqwest::RequestBuilder, token: Option<&str>) -> (StatusCode, Value) {
        let rb = match token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        };
        let resp = rb.send().await.expect("request");
        let st = resp.status();
        let text = resp.text().await.expect("body");
        (
            st,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, token: &str, path: &str) -> Value {
        let (st, v) = self
            .send(
                self.client.get(format!("{}/api/v1{path}", self.base)),
                Some(token),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "GET {path}: {v}");
        v
    }

    async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(
            self.client
                .post(format!("{}/api/v1{path}", self.base))
                .json(body),
            token,
        )
        .await
    }

    async fn login(&self, user: &str) -> String {
        let (st, v) = self
            .post(
                None,
                "/auth/login",
                &json!({"username": user, "password": PASSWORD}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "login {user}: {v}");
        v["accessToken"].as_str().expect("token").to_owned()
    }
}

/// What the API answers about the data: every case with its timeline and chain check,
/// the lists, the assessment boards; from `schema` 5 on the follow-up rounds, the SMS
/// outbox and staff notifications; from 10 the knowledge base.
async fn views(s: &Server, schema: i64) -> BTreeMap<String, Value> {
    let leader = s.login("leader").await;
    let admin = s.login("admin").await;
    let mut out = BTreeMap::new();
    if schema < 2 {
        out.insert("units".into(), s.get(&admin, "/units").await);
        out.insert("users".into(), s.get(&admin, "/users").await);
        return out;
    }
    let list = s.get(&leader, "/cases?limit=200&withTotal=true").await;
    for item in list["items"].as_array().expect("items") {
        let id = item["id"].as_str().expect("id");
        out.insert(
            format!("case {id}"),
            s.get(&leader, &format!("/cases/{id}")).await,
        );
        out.insert(
            format!("timeline {id}"),
            s.get(&leader, &format!("/cases/{id}/timeline")).await,
        );
        let chain = s
            .get(&leader, &format!("/cases/{id}/timeline/verify"))
            .await;
        assert_eq!(chain["valid"], true, "case {id}: {chain}");
        out.insert(format!("chain {id}"), chain);
    }
    out.insert("cases".into(), list);
    out.insert("worklists".into(), s.get(&leader, "/worklists").await);
    for q in [
        "period=week&date=2026-11-23",
        "period=month&date=2026-11-23",
        "period=month&date=2026-11-23&level=officer",
    ] {
        let mut b = s.get(&leader, &format!("/assessment/scores?{q}")).await;
        b["asOf"] = Value::Null;
        out.insert(format!("scores {q}"), b);
    }
    out.insert(
        "analytics".into(),
        s.get(
            &leader,
            "/analytics?by=category&period=month&date=2026-11-23",
        )
        .await,
    );
    if schema >= 5 {
        let followup = s.login("followup").await;
        out.insert(
            "outbox".into(),
            s.get(&admin, "/sms/outbox?limit=200").await,
        );
        out.insert(
            "followups".into(),
            s.get(&followup, "/followups?limit=200").await,
        );
        let officer = s.login("officer").await;
        let mut notes = s.get(&officer, "/notifications?limit=200").await;
        notes["unread"] = Value::Null;
        out.insert("notifications".into(), notes);
    }
    if schema >= 10 {
        out.insert("knowledge".into(), s.get(&leader, "/knowledge").await);
    }
    out
}

/// A database at `version`: the shipped migrations 1..=version and their records.
fn old_file(path: &Path, version: i64) -> Connection {
    let conn = Connection::open(path).expect("open");
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .expect("schema_migrations");
    for (v, description, sql) in shipped().into_iter().filter(|m| m.0 <= version) {
        conn.execute_batch(&sql)
            .unwrap_or_else(|e| panic!("migration {v}: {e}"));
        conn.execute(
            "INSERT INTO schema_migrations(version, description, applied_at)
             VALUES (?1, ?2, '2026-01-01 00:00:00')",
            rusqlite::params![v, description],
        )
        .expect("record");
    }
    conn
}

fn columns(conn: &Connection, schema: &str, table: &str) -> Vec<(String, bool, bool)> {
    let mut st = conn
        .prepare(&format!("PRAGMA {schema}.table_info(\"{table}\")"))
        .expect("table_info");
    st.query_map([], |r| {
        // (name, not null, has default or is the rowid key)
        let name: String = r.get(1)?;
        let notnull: bool = r.get(3)?;
        let default: Option<String> = r.get(4)?;
        let pk: i64 = r.get(5)?;
        Ok((name, notnull, default.is_some() || pk > 0))
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("columns")
}

/// Copies every row of `src` into the tables of the old file, in the columns that
/// version has (raw SQL, as that version's server would have stored them). A table whose
/// old shape needs a column the current one no longer has is left empty and named.
fn fill(conn: &Connection, src: &Path) -> Vec<String> {
    // Tables are filled in name order, not in reference order: check references at the end.
    conn.execute_batch("PRAGMA foreign_keys = OFF")
        .expect("pragma");
    conn.execute("ATTACH DATABASE ?1 AS src", [src.to_str().expect("path")])
        .expect("attach");
    let tables: Vec<(String, String)> = conn
        .prepare("SELECT name, sql FROM main.sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("tables")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("tables");
    let virtual_tables: Vec<String> = tables
        .iter()
        .filter(|(_, sql)| sql.starts_with("CREATE VIRTUAL TABLE"))
        .map(|(n, _)| n.clone())
        .collect();
    let mut skipped = Vec::new();
    for (table, _) in &tables {
        let internal = table.starts_with("sqlite_")
            || table == "schema_migrations"
            || virtual_tables
                .iter()
                .any(|v| table == v || table.starts_with(&format!("{v}_")));
        if internal {
            continue;
        }
        let old = columns(conn, "main", table);
        let new: Vec<String> = columns(conn, "src", table)
            .into_iter()
            .map(|c| c.0)
            .collect();
        if new.is_empty() {
            skipped.push(table.clone());
            continue;
        }
        if old
            .iter()
            .any(|(name, notnull, filled)| *notnull && !*filled && !new.contains(name))
        {
            skipped.push(table.clone());
            continue;
        }
        let shared: Vec<String> = old
            .iter()
            .filter(|c| new.contains(&c.0))
            .map(|c| format!("\"{}\"", c.0))
            .collect();
        let cols = shared.join(", ");
        conn.execute_batch(&format!(
            "INSERT OR REPLACE INTO main.\"{table}\" ({cols}) SELECT {cols} FROM src.\"{table}\""
        ))
        .unwrap_or_else(|e| panic!("copy {table}: {e}"));
    }
    conn.execute_batch("DETACH DATABASE src").expect("detach");
    let dangling: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .expect("foreign_key_check");
    assert_eq!(dangling, 0, "rows referring to missing rows");
    conn.execute_batch("PRAGMA foreign_keys = ON")
        .expect("pragma");
    skipped
}

/// The schema as SQLite records it (type, name, table, SQL), sorted.
fn schema_of(path: &Path) -> Vec<(String, String, String, Option<String>)> {
    let conn = Connection::open(path).expect("open");
    let mut st = conn
        .prepare(
            "SELECT type, name, tbl_name, sql FROM sqlite_master
              WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .expect("schema");
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("schema");
    rows
}

/// Rows a running server wrote: demo cases, a completed case with its follow-up round
/// and SMS, a case in progress with a duplicate, a returned one, an unsigned one; facts
/// and rollups by the assessment pass.
async fn source() -> (TestServer, String) {
    let s = TestServer::start_sqlite_with(bj("2026-11-23 09:00"), settings(), 20).await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    s.completed_case("楼下烧烤店深夜噪音扰民", "13812345678")
        .await;
    let busy = s.intake(&clerk, "小区门口夜间飙车扰民").await;
    s.act_ok(
        &clerk,
        &busy,
        s.dispatch("JN-LX-QCL", "交通管理", json!({})),
    )
    .await;
    s.act_ok(&officer, &busy, json!({"type": "signIn"})).await;
    let dup = s.intake(&clerk, "小区门口夜间飙车扰民（再次反映）").await;
    s.act_ok(
        &clerk,
        &dup,
        json!({"type": "linkDuplicate", "master": busy}),
    )
    .await;
    let back = s.intake(&clerk, "邻居私拉电线存在隐患").await;
    s.act_ok(
        &clerk,
        &back,
        s.dispatch("JN-LX-QCL", "治安管理", json!({})),
    )
    .await;
    s.act_ok(
        &officer,
        &back,
        json!({"type": "return", "reason": "不属于公安管辖"}),
    )
    .await;
    let waiting = s.intake(&clerk, "商铺门前车辆乱停").await;
    s.act_ok(
        &clerk,
        &waiting,
        s.dispatch("JN-LX-QCL", "交通管理", json!({})),
    )
    .await;
    s.clock.set(bj("2026-11-24 10:00"));
    minsheng_server::notify::run_once(&s.state)
        .await
        .expect("notify pass");
    let st = s.state.clone();
    tokio::task::spawn_blocking(move || minsheng_server::assessment::run_once(&st))
        .await
        .expect("join")
        .expect("assessment pass");
    // Everything is in the main file, for another connection to read.
    Connection::open(s.sqlite_path())
        .expect("open")
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    (s, waiting)
}

#[tokio::test]
async fn every_shipped_schema_upgrades_with_its_data() {
    let migrations = shipped();
    let latest = migrations.last().expect("migrations").0;
    assert_eq!(
        migrations.iter().map(|m| m.0).collect::<Vec<_>>(),
        (1..=latest).collect::<Vec<_>>(),
        "fixtures 01.sql..NN.sql"
    );
    let (src, waiting) = source().await;
    let now = bj("2026-11-24 10:00");
    let dir = tempfile::tempdir().expect("tempdir");

    // A new file written by this program: the schema every upgrade must end at, and
    // the shipped steps are all this program has (a migration added without its
    // fixture, or a shipped one edited, shows here).
    let fresh = dir.path().join("fresh.db");
    drop(minsheng_server::open_state(&fresh, settings(), Clock::manual(now)).expect("fresh"));
    let recorded: Vec<(i64, String)> = Connection::open(&fresh)
        .expect("open")
        .prepare("SELECT version, description FROM schema_migrations ORDER BY version")
        .expect("versions")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("versions");
    assert_eq!(
        recorded,
        migrations
            .iter()
            .map(|m| (m.0, m.1.clone()))
            .collect::<Vec<_>>(),
        "the program's migrations are the shipped ones (add tests/fixtures/server_migrations/NN.sql with a new one)"
    );
    let fresh_schema = schema_of(&fresh);
    let from_scratch = dir.path().join("scratch.db");
    drop(old_file(&from_scratch, latest));
    assert_eq!(
        schema_of(&from_scratch),
        fresh_schema,
        "the shipped steps build the program's schema (a shipped migration was edited?)"
    );

    // What the server that wrote the rows answers.
    let original = {
        let s = Server {
            base: src.base.clone(),
            client: reqwest::Client::new(),
        };
        let mut per_version = BTreeMap::new();
        for k in [1, 2, 5, 10] {
            per_version.insert(k, views(&s, k).await);
        }
        // Nothing is compared empty.
        let full = &per_version[&10];
        assert!(full["cases"]["items"].as_array().expect("items").len() >= 24);
        for key in ["outbox", "followups", "knowledge"] {
            assert!(!full[key].as_array().expect(key).is_empty(), "no {key}");
        }
        assert!(!full["notifications"]["items"]
            .as_array()
            .expect("items")
            .is_empty());
        for (key, board) in full.iter().filter(|(k, _)| k.starts_with("scores")) {
            assert!(!board["rows"].as_array().expect("rows").is_empty(), "{key}");
        }
        per_version
    };

    for k in 1..=latest {
        let path = dir.path().join(format!("v{k}.db"));
        let skipped = {
            let conn = old_file(&path, k);
            fill(&conn, src.sqlite_path())
        };
        // Left empty: login_failures (schemas 1–7; schema 8 dropped it for login_attempts).
        let expected_skips: Vec<String> = if k < 8 {
            vec!["login_failures".into()]
        } else {
            vec![]
        };
        assert_eq!(skipped, expected_skips, "schema {k}: tables left empty");

        let s = serve(&path, now).await;
        let views_now = views(&s, k).await;
        let want = original
            .range(..=k)
            .next_back()
            .map(|(_, v)| v)
            .expect("views");
        for (key, value) in want {
            assert_eq!(
                views_now.get(key),
                Some(value),
                "schema {k} upgraded: {key} differs from what the server that wrote it answered"
            );
        }
        assert_eq!(
            schema_of(&path),
            fresh_schema,
            "schema {k} upgraded is not the schema of a new file"
        );

        // Usable: the unsigned case is signed in and replied to, a new case is taken in
        // (its number continues the day's sequence), and the chains still verify.
        if k >= 2 {
            let officer = s.login("officer").await;
            let clerk = s.login("clerk").await;
            for action in [
                json!({"type": "signIn"}),
                json!({"type": "submitReply", "text": "已现场处理。"}),
            ] {
                let (st, v) = s
                    .post(
                        Some(&officer),
                        &format!("/cases/{waiting}/actions"),
                        &json!({ "action": action }),
                    )
                    .await;
                assert_eq!(st, StatusCode::OK, "schema {k}: {action}: {v}");
            }
            let (st, v) = s
                .post(
                    Some(&clerk),
                    "/cases",
                    &json!({"channel": "12345市长热线", "requestType": "咨询", "title": "咨询户口迁移",
                            "content": "请问户口迁移需要什么材料？", "citizenPhone": "13912345678"}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "schema {k}: intake: {v}");
            let numbers: Vec<String> = views_now
                .iter()
                .filter(|(key, _)| key.starts_with("case "))
                .filter_map(|(_, c)| c["number"].as_str().map(str::to_owned))
                .collect();
            let number = v["number"].as_str().expect("number");
            assert!(
                !numbers.iter().any(|n| n == number),
                "schema {k}: {number} reused"
            );
            let leader = s.login("leader").await;
            let chain = s
                .get(&leader, &format!("/cases/{waiting}/timeline/verify"))
                .await;
            assert_eq!(chain["valid"], true, "schema {k}: {chain}");
            // intake, dispatch, sign-in, reply.
            assert_eq!(chain["entries"], 4, "schema {k}: {chain}");
        }
    }
}

/// A file a newer program migrated: the server binary refuses it, names both versions,
/// and exits without serving.
#[test]
fn a_database_newer_than_the_program_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("newer.db");
    drop(
        minsheng_server::open_state(&db, settings(), Clock::manual(bj("2026-11-23 09:00")))
            .expect("fresh"),
    );
    let conn = Connection::open(&db).expect("open");
    let latest: i64 = conn
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .expect("latest");
    conn.execute(
        "INSERT INTO schema_migrations(version, description, applied_at)
         VALUES (?1, 'from a newer release', datetime('now'))",
        [latest + 1],
    )
    .expect("newer");
    drop(conn);
    // The program refuses to open it, naming both versions ...
    let err = minsheng_server::open_state(&db, settings(), Clock::manual(bj("2026-11-23 09:00")))
        .err()
        .expect("a newer file is refused");
    let want = format!("数据库版本 {} 高于本程序支持的 {latest}", latest + 1);
    assert!(format!("{err:?}").contains(&want), "{err:?}");
    // ... and so does the server binary, telling the operator why (not only that
    // something failed).
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_minsheng-server"))
        .args([
            "serve",
            "--db",
            db.to_str().expect("path"),
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the server");
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started on a database newer than itself");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!status.success(), "exit {status}: {stderr}");
    assert!(
        stderr.contains(&want),
        "the server binary does not say why it refuses the file; stderr: {stderr}"
    );
    // ... and the file is left as it was.
    let conn = Connection::open(&db).expect("open");
    let max: i64 = conn
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .expect("max");
    assert_eq!(max, latest + 1);
}
