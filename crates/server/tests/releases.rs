//! Desktop releases served by the city server (issue 17): packages are signed the way
//! a release manager signs them (minisign, the Tauri updater's format, with the version
//! in the trusted comment) by an independent signer, the `minisign` crate; the server
//! must accept exactly what verifies with the city's key for the declared version,
//! offer only newer releases, and hand back the bytes unchanged.

mod support;

use std::io::Cursor;

use base64::Engine;
use minisign::KeyPair;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::{bj, TestServer};

use minsheng_server::releases::UpdaterKey;
use minsheng_server::state::Settings;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A city's updater key pair; `public` is the string the desktops are built with.
struct Signer {
    keys: KeyPair,
    public: String,
}

impl Signer {
    fn new() -> Self {
        let keys = KeyPair::generate_unencrypted_keypair().expect("keys");
        let public = b64(&keys.pk.to_box().expect("box").into_string());
        Self { keys, public }
    }

    /// The `.sig` content for `bytes` with this trusted comment.
    fn sign_with_comment(&self, bytes: &[u8], trusted: &str) -> String {
        let sig = minisign::sign(
            Some(&self.keys.pk),
            &self.keys.sk,
            Cursor::new(bytes),
            Some(trusted),
            Some("signature from tauri secret key"),
        )
        .expect("sign");
        b64(&sig.into_string())
    }

    /// As the Tauri CLI signs a package for `version`.
    fn sign(&self, bytes: &[u8], version: &str) -> String {
        self.sign_with_comment(
            bytes,
            &format!("timestamp:1796000000\tfile:minsheng.deb\tversion:{version}"),
        )
    }
}

/// A package of `len` bytes whose content depends on `seed`.
fn package(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect()
}

async fn server(signer: Option<&Signer>) -> TestServer {
    let settings = Settings {
        access_ttl: chrono::Duration::days(365),
        refresh_ttl: chrono::Duration::days(400),
        session_absolute_secs: 400 * 24 * 3600,
        updater_key: signer.map(|s| UpdaterKey::parse(&s.public).expect("key")),
        ..Settings::default()
    };
    TestServer::start_with(bj("2026-12-07 10:00"), settings, 0).await
}

struct Release<'a> {
    version: &'a str,
    target: &'a str,
    bundle: &'a str,
    notes: &'a str,
    signature: String,
    bytes: Vec<u8>,
}

impl<'a> Release<'a> {
    fn deb(version: &'a str, signer: &Signer, bytes: Vec<u8>) -> Self {
        Self {
            version,
            target: "linux-x86_64",
            bundle: "deb",
            notes: "1. 修复离线同步后待办数量不更新的问题\n2. 新增打印答复函",
            signature: signer.sign(&bytes, version),
            bytes,
        }
    }
}

async fn upload(s: &TestServer, token: &str, r: &Release<'_>) -> (StatusCode, Value) {
    let form = Form::new()
        .text("version", r.version.to_owned())
        .text("target", r.target.to_owned())
        .text("bundle", r.bundle.to_owned())
        .text("notes", r.notes.to_owned())
        .text("signature", r.signature.clone())
        .part(
            "file",
            Part::bytes(r.bytes.clone())
                .file_name(format!("minsheng-desktop_{}_amd64.deb", r.version)),
        );
    let resp = reqwest::Client::new()
        .post(s.url("/releases"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = resp.status();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn download(url: &str, token: &str) -> (StatusCode, Vec<u8>) {
    let resp = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("download");
    let status = resp.status();
    (status, resp.bytes().await.expect("bytes").to_vec())
}

#[tokio::test]
async fn a_signed_release_is_published_offered_and_downloaded_intact() {
    let signer = Signer::new();
    let s = server(Some(&signer)).await;
    let admin = s.login("admin").await;
    let officer = s.login("officer").await;

    // 9 MiB: more than two of the store's chunks, so the download streams several.
    let bytes = package(9 * 1024 * 1024 + 17, 7);
    let release = Release::deb("0.2.0", &signer, bytes.clone());
    assert_eq!(
        upload(&s, &officer, &release).await.0,
        StatusCode::FORBIDDEN,
        "only the admin publishes"
    );
    let (st, body) = upload(&s, &admin, &release).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert_eq!(body["version"], "0.2.0");
    assert_eq!(body["size"], bytes.len() as u64);
    assert_eq!(body["sha256"], hex::encode(Sha256::digest(&bytes)));
    assert_eq!(body["fileName"], "minsheng-desktop_0.2.0_amd64.deb");
    assert_eq!(body["withdrawn"], false);

    let (st, list) = s.get(Some(&admin), "/releases").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        s.get(Some(&officer), "/releases").await.0,
        StatusCode::FORBIDDEN
    );

    // Any signed-in desktop asks for its update; nobody else.
    assert_eq!(
        s.get(None, "/updates/linux-x86_64/deb/0.1.0").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (st, manifest) = s
        .get(Some(&officer), "/updates/linux-x86_64/deb/0.1.0")
        .await;
    assert_eq!(st, StatusCode::OK, "{manifest}");
    assert_eq!(manifest["version"], "0.2.0");
    assert_eq!(manifest["notes"], release.notes);
    assert_eq!(manifest["signature"], release.signature);
    assert!(manifest["pub_date"].as_str().is_some());
    let url = manifest["url"].as_str().expect("url").to_owned();
    assert_eq!(
        url,
        s.url(&format!("/releases/{}/file", body["id"].as_str().unwrap()))
    );
    for current in ["0.2.0", "0.3.0"] {
        let (st, _) = s
            .get(
                Some(&officer),
                &format!("/updates/linux-x86_64/deb/{current}"),
            )
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "nothing newer than {current}");
    }
    assert_eq!(
        s.get(Some(&officer), "/updates/windows-x86_64/nsis/0.1.0")
            .await
            .0,
        StatusCode::NO_CONTENT,
        "a Linux package is not offered to Windows"
    );

    let (st, got) = download(&url, &officer).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(got.len(), bytes.len());
    assert!(got == bytes, "the package comes back byte for byte");
    // What the desktop does with it: the manifest's signature verifies over the bytes
    // with the city's public key (checked by the independent implementation).
    let sig_text = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(manifest["signature"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    minisign::verify(
        &signer.keys.pk,
        &minisign::SignatureBox::from_string(&sig_text).unwrap(),
        Cursor::new(&got),
        true,
        false,
        false,
    )
    .expect("the served package verifies");
    assert_eq!(
        s.sql_i64("SELECT count(*) FROM audit_log WHERE action = 'publishRelease'"),
        1
    );
}

#[tokio::test]
async fn forged_tampered_relabelled_and_older_packages_are_refused() {
    let signer = Signer::new();
    let s = server(Some(&signer)).await;
    let admin = s.login("admin").await;
    let bytes = package(4096, 1);

    let stranger = Signer::new();
    let mut forged = Release::deb("0.2.0", &signer, bytes.clone());
    forged.signature = stranger.sign(&bytes, "0.2.0");
    let mut tampered = Release::deb("0.2.0", &signer, bytes.clone());
    tampered.bytes[100] ^= 0xff;
    let mut truncated = Release::deb("0.2.0", &signer, bytes.clone());
    truncated.bytes.truncate(2048);
    // A genuine signature of 0.2.0 declared as 0.3.0 (replaying an old package).
    let mut relabelled = Release::deb("0.3.0", &signer, bytes.clone());
    relabelled.signature = signer.sign(&bytes, "0.2.0");
    let mut unversioned = Release::deb("0.2.0", &signer, bytes.clone());
    unversioned.signature =
        signer.sign_with_comment(&bytes, "timestamp:1796000000\tfile:minsheng.deb");
    let mut garbage = Release::deb("0.2.0", &signer, bytes.clone());
    garbage.signature = "not a signature".into();
    for (what, r) in [
        ("another key", &forged),
        ("changed byte", &tampered),
        ("truncated", &truncated),
        ("relabelled version", &relabelled),
        ("no signed version", &unversioned),
        ("garbage", &garbage),
    ] {
        let (st, body) = upload(&s, &admin, r).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
        assert_eq!(body["code"], "RELEASE_SIGNATURE_INVALID", "{what}");
        assert!(body["message"].as_str().unwrap().contains("签名"), "{what}");
    }

    let mut misfit = Release::deb("0.2.0", &signer, bytes.clone());
    misfit.target = "windows-x86_64";
    let mut bad_version = Release::deb("0.2", &signer, bytes.clone());
    bad_version.signature = signer.sign(&bytes, "0.2");
    let mut no_notes = Release::deb("0.2.0", &signer, bytes.clone());
    no_notes.notes = "  ";
    for (what, r) in [
        ("deb for windows", &misfit),
        ("version", &bad_version),
        ("notes", &no_notes),
    ] {
        let (st, body) = upload(&s, &admin, r).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
        assert_eq!(body["code"], "RELEASE_INVALID", "{what}");
    }
    let (_, list) = s.get(Some(&admin), "/releases").await;
    assert_eq!(
        list["items"],
        serde_json::json!([]),
        "a refused upload stores nothing"
    );
    assert_eq!(
        s.sql_i64("SELECT count(*) FROM release_chunks"),
        0,
        "no bytes of a refused upload are kept"
    );

    // Versions only grow per target and bundle: no downgrade, no reuse.
    let (st, _) = upload(&s, &admin, &Release::deb("0.3.0", &signer, bytes.clone())).await;
    assert_eq!(st, StatusCode::CREATED);
    for older in ["0.2.5", "0.3.0", "0.3.0-rc.1"] {
        let (st, body) = upload(&s, &admin, &Release::deb(older, &signer, package(100, 9))).await;
        assert_eq!(st, StatusCode::CONFLICT, "{older}: {body}");
        assert_eq!(body["code"], "RELEASE_NOT_NEWER", "{older}");
    }
    let mut appimage = Release::deb("0.2.0", &signer, bytes.clone());
    appimage.bundle = "appimage";
    assert_eq!(
        upload(&s, &admin, &appimage).await.0,
        StatusCode::CREATED,
        "another bundle has its own line of versions"
    );
}

#[tokio::test]
async fn a_withdrawn_release_is_neither_offered_nor_served() {
    let signer = Signer::new();
    let s = server(Some(&signer)).await;
    let admin = s.login("admin").await;
    let officer = s.login("officer").await;
    let (_, first) = upload(&s, &admin, &Release::deb("0.2.0", &signer, package(500, 2))).await;
    let (_, second) = upload(&s, &admin, &Release::deb("0.3.0", &signer, package(600, 3))).await;
    let second_id = second["id"].as_str().unwrap();
    let (_, m) = s
        .get(Some(&officer), "/updates/linux-x86_64/deb/0.1.0")
        .await;
    assert_eq!(m["version"], "0.3.0");

    let path = format!("/releases/{second_id}/withdraw");
    assert_eq!(
        s.post(Some(&officer), &path, &Value::Null).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.post(Some(&admin), &path, &Value::Null).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, m) = s
        .get(Some(&officer), "/updates/linux-x86_64/deb/0.1.0")
        .await;
    assert_eq!(m["version"], "0.2.0", "the newest release still offered");
    assert_eq!(
        m["url"],
        s.url(&format!("/releases/{}/file", first["id"].as_str().unwrap()))
    );
    let (st, _) = download(&s.url(&format!("/releases/{second_id}/file")), &officer).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, list) = s.get(Some(&admin), "/releases").await;
    assert_eq!(list["items"][0]["withdrawn"], true);
    assert_eq!(
        upload(&s, &admin, &Release::deb("0.3.0", &signer, package(10, 4)))
            .await
            .0,
        StatusCode::CONFLICT,
        "a withdrawn number is not reused"
    );
}

#[tokio::test]
async fn without_the_city_key_nothing_is_published() {
    let signer = Signer::new();
    let s = server(None).await;
    let admin = s.login("admin").await;
    let (st, body) = upload(&s, &admin, &Release::deb("0.2.0", &signer, package(10, 5))).await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "UPDATES_NOT_CONFIGURED");
}
