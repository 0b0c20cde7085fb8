//! The update flow end to end against the real city server (issue 17): an admin
//! publishes a signed package through `POST /api/v1/releases`, a desktop of an older
//! version is offered it through the real manifest route and installs it with the real
//! updater plugin (on the mock runtime; on Linux an unbundled build installs like an
//! AppImage, replacing the file at `executable_path`, a temp file here). A package whose
//! bytes were altered in the server's database after publishing is refused by the
//! desktop, and a desktop already at the published version is offered nothing. The
//! queued offline action stays untouched throughout.

#[path = "../../crates/server/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::Value;

use crate::commands::updates::{check_with, install_with, UpdateSource};
use crate::update_tests::{app, elf_package, Keys, Outbox};

const NOTES: &str = "1. 修复断网重连后同步卡住的问题\n2. 新增打印答复函";
const OLD_APP: &[u8] = b"\x7fELF the currently installed app";

/// A seeded server with the city's updater key, on its own runtime thread.
struct City {
    base: String,
    admin: String,
    officer: String,
    /// Runs SQL on the server's database (to alter a stored package); answers when done.
    raw: std::sync::mpsc::Sender<(String, std::sync::mpsc::Sender<()>)>,
}

impl City {
    fn exec(&self, sql: &str) {
        let (done, wait) = std::sync::mpsc::channel();
        self.raw.send((sql.to_owned(), done)).unwrap();
        wait.recv().expect("the SQL ran");
    }
}

fn start_city(keys: &Keys) -> City {
    let public = keys.public();
    let (tx, rx) = std::sync::mpsc::channel();
    let (sql_tx, sql_rx) = std::sync::mpsc::channel::<(String, std::sync::mpsc::Sender<()>)>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let settings = minsheng_server::state::Settings {
                access_ttl: chrono::Duration::days(365),
                refresh_ttl: chrono::Duration::days(400),
                session_absolute_secs: 400 * 24 * 3600,
                updater_key: Some(
                    minsheng_server::releases::UpdaterKey::parse(&public).expect("key"),
                ),
                ..minsheng_server::state::Settings::default()
            };
            let s = support::TestServer::start_with(chrono::Utc::now(), settings, 0).await;
            let admin = s.login("admin").await;
            let officer = s.login("officer").await;
            tx.send((s.base.clone(), admin, officer)).unwrap();
            // Keep the server alive; run the test's SQL on it when asked.
            loop {
                let Ok((sql, done)) = tokio::task::block_in_place(|| sql_rx.recv()) else {
                    std::future::pending::<()>().await;
                    return;
                };
                tokio::task::block_in_place(|| s.raw_sql().exec(&sql)).expect("sql");
                done.send(()).unwrap();
            }
        });
    });
    let (base, admin, officer) = rx.recv().unwrap();
    City {
        base,
        admin,
        officer,
        raw: sql_tx,
    }
}

/// What the admin's 版本发布 page sends.
async fn publish(city: &City, version: &str, package: &[u8], signature: String) -> Value {
    let form = Form::new()
        .text("version", version.to_owned())
        .text("target", crate::commands::updates::target().to_owned())
        .text("bundle", crate::commands::updates::bundle().to_owned())
        .text("notes", NOTES.to_owned())
        .text("signature", signature)
        .part(
            "file",
            Part::bytes(package.to_vec())
                .file_name(format!("民生警务平台_{version}_amd64.AppImage")),
        );
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/releases", city.base))
        .bearer_auth(&city.admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

struct Desktop {
    exe_dir: tempfile::TempDir,
}

impl Desktop {
    fn new() -> Self {
        let exe_dir = tempfile::tempdir().unwrap();
        std::fs::write(exe_dir.path().join("minsheng-desktop.AppImage"), OLD_APP).unwrap();
        Self { exe_dir }
    }

    fn exe(&self) -> PathBuf {
        self.exe_dir.path().join("minsheng-desktop.AppImage")
    }
}

#[test]
fn a_release_published_on_the_city_server_is_offered_and_applied() {
    let keys = Keys::new();
    let city = start_city(&keys);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outbox = Outbox::with_one_queued();
    let app = app();
    let package = elf_package();
    let published = rt.block_on(publish(
        &city,
        "9.2.0",
        &package,
        keys.sign(&package, Some("9.2.0")),
    ));

    let desktop = Desktop::new();
    let public = keys.public();
    let source = |exe: PathBuf| UpdateSource {
        server_url: &city.base,
        token: Some(city.officer.clone()),
        pubkey: Some(&public),
        executable: Some(exe),
    };
    let update = rt
        .block_on(check_with(app.handle(), source(desktop.exe())))
        .expect("check")
        .expect("the published release is offered");
    assert_eq!(update.version, "9.2.0");
    assert_eq!(update.body.as_deref(), Some(NOTES));
    assert_eq!(
        update.download_url.as_str(),
        format!(
            "{}/api/v1/releases/{}/file",
            city.base,
            published["id"].as_str().unwrap()
        )
    );
    let mut last = None;
    rt.block_on(install_with(&update, Some(&city.officer), |p| {
        last = Some(p);
    }))
    .expect("installed");
    assert_eq!(std::fs::read(desktop.exe()).unwrap(), package);
    assert_eq!(last.map(|p| p.downloaded), Some(package.len() as u64));
    outbox.assert_guarded_and_untouched();

    // The stored package altered on the server after publishing (same length): the
    // desktop's own signature check refuses it and the installed app stays as it was.
    let postgres = std::env::var("MINSHENG_TEST_BACKEND").as_deref() == Ok("postgres");
    city.exec(if postgres {
        "UPDATE release_chunks SET data = decode(repeat('00', octet_length(data)), 'hex')"
    } else {
        "UPDATE release_chunks SET data = zeroblob(length(data))"
    });
    let refused = |code: &str| {
        let tampered = Desktop::new();
        let update = rt
            .block_on(check_with(app.handle(), source(tampered.exe())))
            .expect("check")
            .expect("still offered");
        let err = rt
            .block_on(install_with(&update, Some(&city.officer), |_| {}))
            .unwrap_err();
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["code"], code, "{json}");
        assert_eq!(std::fs::read(tampered.exe()).unwrap(), OLD_APP);
        outbox.assert_guarded_and_untouched();
    };
    refused("UPDATE_SIGNATURE_INVALID");
    // Cut short: the server announces the full size and the body ends early.
    city.exec("UPDATE release_chunks SET data = substr(data, 1, 100)");
    refused("UPDATE_DOWNLOAD_INCOMPLETE");
}

#[test]
fn a_desktop_at_the_published_version_is_offered_nothing() {
    let keys = Keys::new();
    let city = start_city(&keys);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = app();
    let current = env!("CARGO_PKG_VERSION");
    let package = elf_package();
    rt.block_on(publish(
        &city,
        current,
        &package,
        keys.sign(&package, Some(current)),
    ));
    let desktop = Desktop::new();
    let public = keys.public();
    let offered = rt
        .block_on(check_with(
            app.handle(),
            UpdateSource {
                server_url: &city.base,
                token: Some(city.officer.clone()),
                pubkey: Some(&public),
                executable: Some(desktop.exe()),
            },
        ))
        .expect("check");
    assert!(offered.is_none(), "no downgrade and no reinstall");
    assert_eq!(std::fs::read(desktop.exe()).unwrap(), OLD_APP);
}
