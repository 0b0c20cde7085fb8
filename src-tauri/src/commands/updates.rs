//! Updates served by the city server (issue 17). Police desktops have no internet: the
//! city server hosts the manifest and the signed packages
//! (`/api/v1/updates/{target}/{bundle}/{current}`), and Tauri's updater downloads,
//! verifies (minisign, with the public key built into this binary) and installs them.
//!
//! The intranet server speaks plain http (`dangerousInsecureTransportProtocol`): what
//! protects a package is its signature, made offline with the release key, and
//! `requireSignedVersion` (the version in the signed trusted comment must be the
//! announced one, so an old signed package cannot be replayed as a "new" version).
//!
//! Installing never touches the offline cache or its outbox; queued actions survive the
//! restart and are pushed afterwards. Because installing restarts the app, the user
//! confirms first when actions are still queued.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tauri_plugin_updater::{Update, UpdaterExt};

use crate::session_slot::SessionSlot;
use crate::Error;

/// The base64 minisign public key (`base64(<key>.pub)`), given when the release is built.
/// Not committed: a build without it reports [`Error::UpdateNotConfigured`].
pub const UPDATER_PUBKEY: Option<&str> = option_env!("MINSHENG_UPDATER_PUBKEY");

/// Emitted with an [`UpdateOffer`] when the background check finds a newer release.
pub const UPDATE_AVAILABLE_EVENT: &str = "update-available";
/// Emitted with [`UpdateProgress`] while a package downloads.
pub const UPDATE_PROGRESS_EVENT: &str = "update-progress";

/// How often a signed-in, online desktop asks again.
const CHECK_EVERY: Duration = Duration::from_hours(4);
/// How often the background task looks whether a check is due (sign-in, reconnect).
const WATCH_TICK: Duration = Duration::from_secs(30);
/// After a failed check (the sync status may say online while this route fails).
const RETRY_AFTER: Duration = Duration::from_mins(10);

/// A newer release the server offers, as the update dialog shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOffer {
    pub version: String,
    pub current_version: String,
    /// The admin's Chinese release notes.
    pub notes: String,
    /// RFC 3339, when the server published it.
    pub published_at: Option<String>,
}

/// Download progress: bytes so far and the announced size (if the server sent one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProgress {
    pub downloaded: u64,
    pub total: Option<u64>,
}

/// The offer kept between the check and the install, and what the user postponed.
#[derive(Default)]
pub struct UpdateSlot {
    pending: Mutex<Option<Update>>,
    /// Versions the user answered 稍后 to: not announced again in this run.
    dismissed: Mutex<Vec<String>>,
}

impl UpdateSlot {
    fn keep(&self, update: Option<Update>) {
        if let Ok(mut p) = self.pending.lock() {
            *p = update;
        }
    }

    fn pending(&self) -> Option<Update> {
        self.pending.lock().ok().and_then(|p| p.clone())
    }

    fn is_dismissed(&self, version: &str) -> bool {
        self.dismissed
            .lock()
            .is_ok_and(|d| d.iter().any(|v| v == version))
    }
}

/// Where updates come from for one check: the server, the session's token, the key.
pub(crate) struct UpdateSource<'a> {
    pub server_url: &'a str,
    pub token: Option<String>,
    /// `None` or empty: this build cannot verify anything.
    pub pubkey: Option<&'a str>,
    /// The file an AppImage update replaces (tests point it at a temp file); `None`:
    /// the running AppImage or executable, as the updater decides.
    pub executable: Option<PathBuf>,
}

/// `linux-x86_64` / `windows-x86_64` (the server's target names).
pub(crate) fn target() -> &'static str {
    if cfg!(windows) {
        "windows-x86_64"
    } else {
        "linux-x86_64"
    }
}

/// The installer kind this copy came from; an unbundled build on Linux updates like
/// an AppImage (the updater replaces the executable file), on Windows like NSIS.
pub(crate) fn bundle() -> &'static str {
    use tauri::utils::config::BundleType;
    match tauri::utils::platform::bundle_type() {
        Some(BundleType::Deb) => "deb",
        Some(BundleType::Msi) => "msi",
        Some(BundleType::Nsis) => "nsis",
        Some(BundleType::AppImage) => "appimage",
        _ if cfg!(windows) => "nsis",
        _ => "appimage",
    }
}

/// Maps the updater's failures onto the app's stable codes.
pub(crate) fn map_error(e: tauri_plugin_updater::Error) -> Error {
    use tauri_plugin_updater::Error as U;
    match e {
        U::Minisign(_)
        | U::Base64(_)
        | U::SignatureUtf8(_)
        | U::SignedVersionMismatch { .. }
        | U::MissingSignedVersion => Error::UpdateSignatureInvalid,
        U::InvalidUpdaterFormat | U::BinaryNotFoundInArchive => Error::UpdatePackageInvalid,
        // The body ended short of its Content-Length: a cut download, not an offline server.
        U::Reqwest(e) if e.is_body() || e.is_decode() => Error::UpdateDownloadIncomplete,
        U::Reqwest(e) => offline(&e.to_string()),
        U::Network(m) => offline(&m),
        U::ReleaseNotFound => offline("市局服务器没有给出有效的更新信息"),
        other => Error::UpdateFailed(other.to_string()),
    }
}

fn offline(detail: &str) -> Error {
    minsheng_client::ClientError::Offline(detail.to_owned()).into()
}

/// Asks `source` for a release newer than this app; keeps nothing (see [`UpdateSlot`]).
pub(crate) async fn check_with<R: Runtime>(
    app: &AppHandle<R>,
    source: UpdateSource<'_>,
) -> Result<Option<Update>, Error> {
    let pubkey = source
        .pubkey
        .filter(|k| !k.trim().is_empty())
        .ok_or(Error::UpdateNotConfigured)?;
    let current = app.package_info().version.to_string();
    let url = format!(
        "{}/api/v1/updates/{}/{}/{current}",
        source.server_url.trim_end_matches('/'),
        target(),
        bundle(),
    );
    let url = url
        .parse()
        .map_err(|_| Error::InvalidServerUrl(source.server_url.to_owned()))?;
    let mut builder = app
        .updater_builder()
        .pubkey(pubkey)
        .endpoints(vec![url])
        .map_err(map_error)?
        .header(
            minsheng_client::api::CLIENT_HEADER,
            minsheng_client::api::client_id(),
        )
        .map_err(map_error)?;
    if let Some(token) = &source.token {
        builder = builder
            .header("Authorization", format!("Bearer {token}"))
            .map_err(map_error)?;
    }
    if let Some(exe) = &source.executable {
        builder = builder.executable_path(exe);
    }
    builder
        .build()
        .map_err(map_error)?
        .check()
        .await
        .map_err(map_error)
}

/// What the dialog shows of `update`.
pub(crate) fn offer_of(update: &Update) -> UpdateOffer {
    UpdateOffer {
        version: update.version.clone(),
        current_version: update.current_version.clone(),
        notes: update.body.clone().unwrap_or_default(),
        published_at: update.date.and_then(|d| {
            chrono::DateTime::from_timestamp(d.unix_timestamp(), d.nanosecond())
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        }),
    }
}

/// Installing restarts the app: with actions queued it needs the user's yes.
pub(crate) fn check_queue(queued: u64, confirmed: bool) -> Result<(), Error> {
    if queued > 0 && !confirmed {
        Err(Error::UpdateQueueNotEmpty(queued))
    } else {
        Ok(())
    }
}

/// Downloads, verifies and installs `update` (with a fresh token), reporting progress.
/// A package that fails its signature is never written anywhere.
pub(crate) async fn install_with(
    update: &Update,
    token: Option<&str>,
    mut on_progress: impl FnMut(UpdateProgress),
) -> Result<(), Error> {
    let mut update = update.clone();
    if let Some(token) = token {
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| Error::UpdateFailed("无效的登录令牌".into()))?;
        update.headers.insert("Authorization", value);
    }
    let mut downloaded = 0u64;
    update
        .download_and_install(
            |chunk, total| {
                downloaded += chunk as u64;
                on_progress(UpdateProgress { downloaded, total });
            },
            || {},
        )
        .await
        .map_err(map_error)
}

/// Probes the server with the session (refreshing its token) and, when something newer
/// is offered, lets the updater fetch and parse it.
async fn check_session<R: Runtime>(
    app: &AppHandle<R>,
    session: &minsheng_client::Session,
) -> Result<Option<Update>, Error> {
    if UPDATER_PUBKEY.is_none_or(|k| k.trim().is_empty()) {
        return Err(Error::UpdateNotConfigured);
    }
    let current = app.package_info().version.to_string();
    let (offered, token) = session.update_probe(target(), bundle(), &current).await?;
    if !offered {
        return Ok(None);
    }
    let source = UpdateSource {
        server_url: session.server_url(),
        token,
        pubkey: UPDATER_PUBKEY,
        executable: None,
    };
    check_with(app, source).await
}

/// 检查更新: the offer, or `None` when this is the newest version.
#[tauri::command]
pub async fn update_check<R: Runtime>(
    app: AppHandle<R>,
    slot: State<'_, SessionSlot>,
    updates: State<'_, UpdateSlot>,
) -> Result<Option<UpdateOffer>, Error> {
    let session = slot.get()?;
    let update = check_session(&app, &session).await?;
    let offer = update.as_ref().map(offer_of);
    updates.keep(update);
    Ok(offer)
}

/// 稍后: the background check does not announce this version again in this run.
#[tauri::command]
pub fn update_dismiss(updates: State<'_, UpdateSlot>, version: String) {
    if let Ok(mut d) = updates.dismissed.lock() {
        if !d.contains(&version) {
            d.push(version);
        }
    }
}

/// 立即更新: refuses while actions are queued unless `confirm_queued`; then downloads
/// (emitting [`UPDATE_PROGRESS_EVENT`]), verifies, installs and restarts.
#[tauri::command]
pub async fn update_install<R: Runtime>(
    app: AppHandle<R>,
    slot: State<'_, SessionSlot>,
    updates: State<'_, UpdateSlot>,
    confirm_queued: bool,
) -> Result<(), Error> {
    let session = slot.get()?;
    check_queue(session.status().queued, confirm_queued)?;
    let update = updates.pending().ok_or(Error::UpdateNotChecked)?;
    // The offer may be hours old: refresh the token the download is sent with.
    let current = app.package_info().version.to_string();
    let (_, token) = session.update_probe(target(), bundle(), &current).await?;
    install_with(&update, token.as_deref(), |p| {
        let _ = app.emit(UPDATE_PROGRESS_EVENT, p);
    })
    .await?;
    updates.keep(None);
    app.request_restart();
    Ok(())
}

/// The background check: soon after sign-in (or reconnecting), then every
/// [`CHECK_EVERY`] while online; announces a new version once per run and version
/// unless the user postponed it. Errors are logged, never shown: 检查更新 shows them.
pub fn watch<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        // Who was checked last, and when the next check is due.
        let mut last: Option<(String, Instant)> = None;
        let mut announced: Vec<String> = Vec::new();
        loop {
            tokio::time::sleep(WATCH_TICK).await;
            let Some(session) = app.state::<SessionSlot>().current() else {
                last = None;
                continue;
            };
            let who = format!("{}|{}", session.server_url(), session.profile().username);
            let due = last
                .as_ref()
                .is_none_or(|(w, next)| *w != who || Instant::now() >= *next);
            if !due || !session.status().online {
                continue;
            }
            match check_session(&app, &session).await {
                Ok(update) => {
                    last = Some((who, Instant::now() + CHECK_EVERY));
                    let Some(update) = update else { continue };
                    let updates = app.state::<UpdateSlot>();
                    let offer = offer_of(&update);
                    updates.keep(Some(update));
                    if !updates.is_dismissed(&offer.version) && !announced.contains(&offer.version)
                    {
                        announced.push(offer.version.clone());
                        let _ = app.emit(UPDATE_AVAILABLE_EVENT, offer);
                    }
                }
                Err(Error::UpdateNotConfigured) => {
                    tracing::info!("no updater public key in this build: updates are off");
                    return;
                }
                Err(e) => {
                    tracing::warn!(code = e.code(), error = %e, "update check failed");
                    // Offline or refused: try again in a while, not every tick.
                    last = Some((who, Instant::now() + RETRY_AFTER));
                }
            }
        }
    });
}
