//! The update flow (issue 17) through the real Tauri updater plugin on the mock runtime,
//! against a stub city server on 127.0.0.1:0 that serves a dynamic manifest and a
//! package with the route shapes of the server contract. Packages are signed here with
//! the `minisign` crate the way `tauri signer` signs them (trusted comment
//! `timestamp:…\tfile:…\tversion:…`); the app's updater config is the committed
//! `tauri.conf.json` one. On Linux an unbundled build installs like an AppImage: the
//! updater replaces the file at `executable_path` (a temp file here).
//!
//! Every case also holds an encrypted client cache with one queued offline action and
//! checks it is byte-for-byte untouched afterwards.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use minsheng_client::cache::Profile;
use minsheng_client::{DbKey, LocalCache};
use minsheng_domain::case::{CaseFlags, Channel, RequestType, Urgency};
use minsheng_domain::workflow::NewCase;
use serde_json::{json, Value};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::App;

use crate::commands::updates::{
    check_queue, check_with, install_with, offer_of, UpdateProgress, UpdateSource,
};

const TOKEN: &str = "stub-access-token";
const NOTES: &str = "修复断网重连后同步卡住的问题；新增“版本发布”管理页面。";

/// The package the stub serves: an ELF executable (what an AppImage is).
pub(crate) fn elf_package() -> Vec<u8> {
    std::fs::read("/bin/true").expect("/bin/true")
}

/// The trusted comment `tauri signer` writes, before the version.
const TRUSTED: &str = "timestamp:1796000000\tfile:minsheng-desktop.AppImage";

pub(crate) struct Keys {
    pk: minisign::PublicKey,
    sk: minisign::SecretKey,
}

impl Keys {
    pub(crate) fn new() -> Self {
        let kp = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
        Self {
            pk: kp.pk,
            sk: kp.sk,
        }
    }

    /// The app's public key string: base64 of the `.pub` file.
    pub(crate) fn public(&self) -> String {
        b64(&self.pk.to_box().unwrap().to_string())
    }

    /// A `.sig` string (base64 of the `.minisig`) over `bytes`, signed for `version`
    /// (`None`: no version in the trusted comment, as signatures before Tauri 2.9).
    pub(crate) fn sign(&self, bytes: &[u8], version: Option<&str>) -> String {
        let trusted = match version {
            Some(v) => format!("{TRUSTED}\tversion:{v}"),
            None => TRUSTED.to_owned(),
        };
        let sig = minisign::sign(
            None,
            &self.sk,
            Cursor::new(bytes),
            Some(&trusted),
            Some("signature from tauri secret key"),
        )
        .unwrap();
        b64(&sig.to_string())
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// What the stub answers, and what it saw.
#[derive(Default)]
struct Stub {
    /// `None`: 204 (nothing newer).
    manifest: Option<Value>,
    package: Vec<u8>,
    /// Serve only the first half of the package (a cut connection).
    truncate: bool,
    paths: Vec<String>,
}

type Shared = Arc<Mutex<Stub>>;

fn authorised(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {TOKEN}"))
}

async fn manifest(AxState(s): AxState<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let mut s = s.lock().unwrap();
    s.paths.push(uri.path().to_owned());
    if !authorised(&headers) {
        return (StatusCode::UNAUTHORIZED, "{}").into_response();
    }
    match &s.manifest {
        Some(m) => axum::Json(m.clone()).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn file(AxState(s): AxState<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let mut s = s.lock().unwrap();
    s.paths.push(uri.path().to_owned());
    if !authorised(&headers) {
        return (StatusCode::UNAUTHORIZED, "{}").into_response();
    }
    let mut bytes = s.package.clone();
    if s.truncate {
        bytes.truncate(bytes.len() / 2);
    }
    (
        [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
        bytes,
    )
        .into_response()
}

/// Starts the stub on 127.0.0.1:0 inside `rt`; returns its base URL.
fn start_stub(rt: &tokio::runtime::Runtime, state: Shared) -> String {
    let app = axum::Router::new()
        .route(
            "/api/v1/updates/{target}/{bundle}/{current}",
            axum::routing::get(manifest),
        )
        .route("/api/v1/releases/{id}/file", axum::routing::get(file))
        .with_state(state);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// The mock app with the updater plugin configured as `tauri.conf.json` says.
pub(crate) fn app() -> App<MockRuntime> {
    let conf: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tauri.conf.json"))
            .unwrap(),
    )
    .unwrap();
    let updater = conf["plugins"]["updater"].clone();
    assert_eq!(updater["requireSignedVersion"], true, "{updater}");
    assert_eq!(updater["pubkey"], "", "the real key is a build-time value");
    let mut ctx = mock_context(noop_assets());
    ctx.config_mut().plugins.0.insert("updater".into(), updater);
    ctx.package_info_mut().version = env!("CARGO_PKG_VERSION").parse().unwrap();
    mock_builder()
        .plugin(tauri_plugin_updater::Builder::new().build())
        .build(ctx)
        .unwrap()
}

/// An encrypted client cache holding one queued offline intake.
pub(crate) struct Outbox {
    _dir: tempfile::TempDir,
    path: PathBuf,
    key: [u8; 32],
    bytes: Vec<u8>,
}

impl Outbox {
    pub(crate) fn with_one_queued() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        let key = [7u8; 32];
        {
            let mut cache = LocalCache::open(&path, &DbKey::from_bytes(key)).unwrap();
            cache
                .set_profile(&Profile {
                    id: "0190f0a0-0000-7000-8000-000000000001".parse().unwrap(),
                    username: "officer".into(),
                    display_name: "张警官".into(),
                    role: "officer".into(),
                    role_name: "承办民警".into(),
                    unit_id: "0190f0a0-0000-7000-8000-000000000002".parse().unwrap(),
                    unit_name: Some("泉城路派出所".into()),
                    active: true,
                })
                .unwrap();
            cache
                .queue_intake(
                    NewCase {
                        id: None,
                        channel: Channel::HomeVisit,
                        request_type: RequestType::HelpRequest,
                        category: Some("噪音扰民".into()),
                        title: "楼上夜间装修噪音".into(),
                        content: "每晚十点后仍在施工".into(),
                        citizen_name: "李女士".into(),
                        citizen_phone: Some("13812345678".into()),
                        citizen_id_card: None,
                        address: None,
                        district: None,
                        received_at: None,
                        urgency: Urgency::Ordinary,
                        flags: CaseFlags::default(),
                        leader_instruction: None,
                    },
                    chrono::Utc::now(),
                )
                .unwrap();
            assert_eq!(cache.pending_count().unwrap(), 1);
        }
        let bytes = std::fs::read(&path).unwrap();
        Self {
            _dir: dir,
            path,
            key,
            bytes,
        }
    }

    fn queued(&self) -> u64 {
        LocalCache::open(&self.path, &DbKey::from_bytes(self.key))
            .unwrap()
            .pending_count()
            .unwrap()
    }

    /// Installing without the user's yes is refused with the count; the file is as it was.
    pub(crate) fn assert_guarded_and_untouched(&self) {
        assert_eq!(
            std::fs::read(&self.path).unwrap(),
            self.bytes,
            "the cache file changed"
        );
        let queued = self.queued();
        assert_eq!(queued, 1);
        let refused = check_queue(queued, false).unwrap_err();
        let json = serde_json::to_value(&refused).unwrap();
        assert_eq!(json["code"], "UPDATE_QUEUE_NOT_EMPTY", "{json}");
        assert!(
            json["message"]
                .as_str()
                .unwrap()
                .starts_with("还有 1 条操作未同步"),
            "{json}"
        );
        assert!(check_queue(queued, true).is_ok());
        assert!(check_queue(0, false).is_ok());
    }
}

/// One case: a stub, a mock app, the file an AppImage update replaces, a queued outbox.
struct Case {
    rt: tokio::runtime::Runtime,
    stub: Shared,
    base: String,
    app: App<MockRuntime>,
    exe_dir: tempfile::TempDir,
    keys: Keys,
    outbox: Outbox,
}

const OLD_APP: &[u8] = b"\x7fELF the currently installed app";

impl Case {
    fn new() -> Self {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let stub: Shared = Arc::default();
        let base = start_stub(&rt, stub.clone());
        // In the system temp dir: the updater backs the app up there (same mount).
        let exe_dir = tempfile::tempdir().unwrap();
        std::fs::write(exe_dir.path().join("minsheng-desktop.AppImage"), OLD_APP).unwrap();
        Self {
            rt,
            stub,
            base,
            app: app(),
            exe_dir,
            keys: Keys::new(),
            outbox: Outbox::with_one_queued(),
        }
    }

    fn exe(&self) -> PathBuf {
        self.exe_dir.path().join("minsheng-desktop.AppImage")
    }

    /// The stub offers `package` as `version`, signed with `signature`.
    fn offer(&self, version: &str, package: Vec<u8>, signature: String) {
        let mut s = self.stub.lock().unwrap();
        s.manifest = Some(json!({
            "version": version,
            "notes": NOTES,
            "pub_date": "2026-12-07T10:00:00Z",
            "url": format!("{}/api/v1/releases/0190f0a0-0000-7000-8000-0000000000aa/file", self.base),
            "signature": signature,
        }));
        s.package = package;
    }

    fn check(&self, pubkey: Option<&str>) -> Result<Option<tauri_plugin_updater::Update>, Value> {
        let source = UpdateSource {
            server_url: &self.base,
            token: Some(TOKEN.to_owned()),
            pubkey,
            executable: Some(self.exe()),
        };
        self.rt
            .block_on(check_with(self.app.handle(), source))
            .map_err(|e| serde_json::to_value(e).unwrap())
    }

    fn check_offered(&self) -> tauri_plugin_updater::Update {
        self.check(Some(&self.keys.public()))
            .expect("check")
            .expect("an update is offered")
    }

    fn install(
        &self,
        update: &tauri_plugin_updater::Update,
    ) -> (Result<(), Value>, Vec<UpdateProgress>) {
        let mut progress = Vec::new();
        let result = self
            .rt
            .block_on(install_with(update, Some(TOKEN), |p| progress.push(p)))
            .map_err(|e| serde_json::to_value(e).unwrap());
        (result, progress)
    }

    fn assert_app_unchanged(&self) {
        assert_eq!(
            std::fs::read(self.exe()).unwrap(),
            OLD_APP,
            "the app was replaced"
        );
        self.outbox.assert_guarded_and_untouched();
    }
}

#[test]
fn a_valid_signed_update_is_offered_with_its_notes_and_applied() {
    let c = Case::new();
    let package = elf_package();
    c.offer(
        "9.1.0",
        package.clone(),
        c.keys.sign(&package, Some("9.1.0")),
    );

    let update = c.check_offered();
    let offer = offer_of(&update);
    assert_eq!(offer.version, "9.1.0");
    assert_eq!(offer.current_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(offer.notes, NOTES);
    assert_eq!(offer.published_at.as_deref(), Some("2026-12-07T10:00:00Z"));

    let (result, progress) = c.install(&update);
    result.expect("installed");
    assert_eq!(
        std::fs::read(c.exe()).unwrap(),
        package,
        "the new package is in place"
    );
    let last = progress.last().expect("progress was reported");
    assert_eq!(last.downloaded, package.len() as u64);
    assert_eq!(last.total, Some(package.len() as u64));

    // The manifest route of this desktop, then the file, both with the session's token.
    let paths = c.stub.lock().unwrap().paths.clone();
    assert_eq!(
        paths,
        [
            format!(
                "/api/v1/updates/linux-x86_64/appimage/{}",
                env!("CARGO_PKG_VERSION")
            ),
            "/api/v1/releases/0190f0a0-0000-7000-8000-0000000000aa/file".to_owned(),
        ]
    );
    c.outbox.assert_guarded_and_untouched();
}

#[test]
fn a_bad_signature_is_refused_and_nothing_is_installed() {
    let c = Case::new();
    let package = elf_package();
    // Signed by another key (a package from anyone but the city's release key).
    let stranger = Keys::new();
    c.offer(
        "9.1.0",
        package.clone(),
        stranger.sign(&package, Some("9.1.0")),
    );
    let (result, _) = c.install(&c.check_offered());
    let err = result.unwrap_err();
    assert_eq!(err["code"], "UPDATE_SIGNATURE_INVALID", "{err}");
    assert_eq!(err["message"], "更新包签名校验失败，已拒绝安装");
    c.assert_app_unchanged();

    // Signed by the right key, but the bytes were tampered with on the way.
    let mut tampered = package.clone();
    *tampered.last_mut().unwrap() ^= 0xff;
    c.offer("9.1.0", tampered, c.keys.sign(&package, Some("9.1.0")));
    let (result, _) = c.install(&c.check_offered());
    assert_eq!(result.unwrap_err()["code"], "UPDATE_SIGNATURE_INVALID");
    c.assert_app_unchanged();
}

#[test]
fn a_downgrade_or_a_replayed_old_signature_is_not_installed() {
    let c = Case::new();
    let package = elf_package();
    // Older or the same version: not offered at all.
    for version in ["0.0.9", env!("CARGO_PKG_VERSION")] {
        c.offer(
            version,
            package.clone(),
            c.keys.sign(&package, Some(version)),
        );
        assert!(
            c.check(Some(&c.keys.public())).unwrap().is_none(),
            "{version} offered"
        );
    }
    // Nothing newer: the server answers 204.
    c.stub.lock().unwrap().manifest = None;
    assert!(c.check(Some(&c.keys.public())).unwrap().is_none());

    // An old, genuinely signed package announced as a new version.
    c.offer(
        "9.1.0",
        package.clone(),
        c.keys.sign(&package, Some("0.0.9")),
    );
    let (result, _) = c.install(&c.check_offered());
    assert_eq!(result.unwrap_err()["code"], "UPDATE_SIGNATURE_INVALID");
    c.assert_app_unchanged();

    // A signature that does not say which version it was made for.
    c.offer("9.1.0", package.clone(), c.keys.sign(&package, None));
    let (result, _) = c.install(&c.check_offered());
    assert_eq!(result.unwrap_err()["code"], "UPDATE_SIGNATURE_INVALID");
    c.assert_app_unchanged();
}

#[test]
fn a_truncated_download_is_refused() {
    let c = Case::new();
    let package = elf_package();
    c.offer(
        "9.1.0",
        package.clone(),
        c.keys.sign(&package, Some("9.1.0")),
    );
    c.stub.lock().unwrap().truncate = true;
    let (result, progress) = c.install(&c.check_offered());
    assert_eq!(result.unwrap_err()["code"], "UPDATE_SIGNATURE_INVALID");
    assert_eq!(
        progress.last().map(|p| p.downloaded),
        Some(package.len() as u64 / 2)
    );
    c.assert_app_unchanged();
}

#[test]
fn a_signed_package_that_is_no_installer_is_refused() {
    let c = Case::new();
    let text = "not an executable".as_bytes().to_vec();
    c.offer("9.1.0", text.clone(), c.keys.sign(&text, Some("9.1.0")));
    let (result, _) = c.install(&c.check_offered());
    assert_eq!(result.unwrap_err()["code"], "UPDATE_PACKAGE_INVALID");
    c.assert_app_unchanged();
}

#[test]
fn without_a_public_key_nothing_is_checked() {
    let c = Case::new();
    let package = elf_package();
    c.offer(
        "9.1.0",
        package.clone(),
        c.keys.sign(&package, Some("9.1.0")),
    );
    for key in [None, Some("")] {
        let Err(err) = c.check(key) else {
            panic!("checked without a key")
        };
        assert_eq!(err["code"], "UPDATE_NOT_CONFIGURED", "{err}");
        assert_eq!(err["message"], "此版本未配置更新签名公钥，不能在线更新");
    }
    assert!(c.stub.lock().unwrap().paths.is_empty(), "asked the server");
    c.assert_app_unchanged();
}

#[test]
fn an_unreachable_server_reads_as_offline() {
    let c = Case::new();
    let source = UpdateSource {
        // Nothing listens on port 9 of localhost (discard).
        server_url: "http://127.0.0.1:9",
        token: Some(TOKEN.to_owned()),
        pubkey: Some(&c.keys.public()),
        executable: Some(c.exe()),
    };
    let Err(err) = c.rt.block_on(check_with(c.app.handle(), source)) else {
        panic!("an unreachable server answered")
    };
    assert_eq!(err.code(), "OFFLINE", "{err}");
    c.assert_app_unchanged();
}

/// `scripts/sign-release.sh` (the minisign CLI) makes the `.sig` the updater accepts, with
/// the version in its trusted comment; the public key is `base64(<key>.pub)`.
#[test]
fn the_release_script_signs_what_the_updater_accepts() {
    let c = Case::new();
    let dir = tempfile::tempdir().unwrap();
    let run = |cmd: &mut std::process::Command| {
        let out = cmd
            .output()
            .expect("minisign CLI (scripts/setup.sh installs it)");
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (public, secret) = (dir.path().join("rel.pub"), dir.path().join("rel.key"));
    run(std::process::Command::new("minisign")
        .args(["-G", "-W", "-p"])
        .arg(&public)
        .arg("-s")
        .arg(&secret));
    let package = dir.path().join("民生警务平台_9.1.0_amd64.AppImage");
    std::fs::write(&package, elf_package()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/sign-release.sh");
    run(std::process::Command::new("bash")
        .arg(script)
        .arg(&secret)
        .arg(&package)
        .arg("9.1.0"));
    let sig =
        std::fs::read_to_string(dir.path().join("民生警务平台_9.1.0_amd64.AppImage.sig")).unwrap();
    let pubkey = b64(&std::fs::read_to_string(&public).unwrap());

    // Announced as another version than it was signed for: refused.
    c.offer("9.2.0", elf_package(), sig.clone());
    let update = c.check(Some(&pubkey)).unwrap().expect("offered");
    let (result, _) = c.install(&update);
    assert_eq!(result.unwrap_err()["code"], "UPDATE_SIGNATURE_INVALID");
    c.assert_app_unchanged();

    c.offer("9.1.0", elf_package(), sig);
    let update = c.check(Some(&pubkey)).unwrap().expect("offered");
    let (result, _) = c.install(&update);
    result.expect("installed");
    assert_eq!(std::fs::read(c.exe()).unwrap(), elf_package());
    c.outbox.assert_guarded_and_untouched();
}
