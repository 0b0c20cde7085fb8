//! Sign-in (online, or from the cache within the offline validity window) and sign-out.

use minsheng_client::cache::Profile;
use minsheng_client::session::LastUser;
use minsheng_client::{Session, SessionConfig, SyncStatus};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::session_slot::{DataDir, SessionSlot};
use crate::{Error, ServerLink};

/// What the UI learns at sign-in.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub profile: Profile,
    pub status: SyncStatus,
    /// Opened from the cache without reaching the server.
    pub offline: bool,
    /// The server asks for a new password before anything else (admin-set, or older
    /// than the maximum age); the UI keeps the user on the password form until done.
    pub must_change_password: bool,
    /// Locked after inactivity (`auth_lock`): the UI shows only the unlock form.
    pub locked: bool,
}

impl SessionInfo {
    pub fn of(session: &Session) -> Self {
        let status = session.status();
        Self {
            profile: session.profile(),
            offline: !status.online,
            must_change_password: session.must_change_password(),
            locked: false,
            status,
        }
    }
}

fn config(server_url: &str, link: &ServerLink, dir: &DataDir) -> Result<SessionConfig, Error> {
    // An empty address from the form means "the one this app was started with".
    let url = if server_url.trim().is_empty() {
        link.url().to_owned()
    } else {
        server_url.trim().trim_end_matches('/').to_owned()
    };
    ServerLink::new(&url).endpoint("/api/v1/health")?;
    Ok(SessionConfig::new(&url, dir.path()))
}

/// The last user who signed in on this machine (prefills the form; no secret).
#[tauri::command]
pub fn auth_last_user<R: Runtime>(app: AppHandle<R>) -> Option<LastUser> {
    Session::last_user(DataDir::of(&app).ok()?.path())
}

#[tauri::command]
pub async fn auth_login<R: Runtime>(
    app: AppHandle<R>,
    slot: State<'_, SessionSlot>,
    link: State<'_, ServerLink>,
    server_url: String,
    username: String,
    password: String,
) -> Result<SessionInfo, Error> {
    let cfg = config(&server_url, &link, &DataDir::of(&app)?)?;
    let session = Session::login(cfg, username.trim(), &password).await?;
    let info = SessionInfo::of(&session);
    slot.install(&app, session);
    Ok(info)
}

/// Reopens the cached session of `username` (online if the server answers, else offline).
#[tauri::command]
pub async fn auth_resume<R: Runtime>(
    app: AppHandle<R>,
    slot: State<'_, SessionSlot>,
    link: State<'_, ServerLink>,
    server_url: String,
    username: String,
    password: String,
) -> Result<SessionInfo, Error> {
    let cfg = config(&server_url, &link, &DataDir::of(&app)?)?;
    let session = Session::resume(cfg, username.trim(), &password).await?;
    let info = SessionInfo::of(&session);
    slot.install(&app, session);
    Ok(info)
}

/// Locks the app after inactivity (the UI's idle timer): every command answers
/// `LOCKED` until `auth_unlock`; the background sync goes on.
#[tauri::command]
pub fn auth_lock(slot: State<'_, SessionSlot>) -> Result<(), Error> {
    slot.unlocked()?;
    slot.set_locked(true);
    Ok(())
}

/// Unlocks with the password of the last online sign-in (checked on this computer, so
/// it works offline). Too many wrong passwords end the session: sign in online again
/// (the cache and its queued work stay).
#[tauri::command]
pub fn auth_unlock(slot: State<'_, SessionSlot>, password: String) -> Result<(), Error> {
    let session = slot.unlocked()?;
    match session.unlock(&password) {
        Ok(()) => {
            slot.set_locked(false);
            Ok(())
        }
        Err(minsheng_client::ClientError::LoginRequired) => {
            slot.take();
            Err(minsheng_client::ClientError::LoginRequired.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// The session the shell already holds (after a reload of the web view), if any.
#[tauri::command]
pub fn auth_current(slot: State<'_, SessionSlot>) -> Option<SessionInfo> {
    slot.current().as_ref().map(|s| SessionInfo {
        locked: slot.is_locked(),
        ..SessionInfo::of(s)
    })
}

/// Without `force`, refuses with `PENDING_COMMANDS` while anything is queued (the
/// session stays signed in); otherwise deletes the keyring entries and the cache.
#[tauri::command]
pub async fn auth_sign_out(slot: State<'_, SessionSlot>, force: bool) -> Result<(), Error> {
    let session = slot.get()?;
    session.sign_out(force).await?;
    slot.take();
    Ok(())
}

/// Changes the password (online; the server checks the old one, the policy and the
/// throttle, and revokes every session of the account), then signs in again with the
/// new one so this desktop keeps working: the cache and its queued work stay.
#[tauri::command]
pub async fn auth_change_password<R: Runtime>(
    app: AppHandle<R>,
    slot: State<'_, SessionSlot>,
    old_password: String,
    new_password: String,
) -> Result<SessionInfo, Error> {
    let session = slot.get()?;
    let body = serde_json::json!({ "oldPassword": old_password, "newPassword": new_password });
    session.api_post("/auth/password", &body).await?;
    let cfg = SessionConfig::new(session.server_url(), DataDir::of(&app)?.path());
    let username = session.profile().username;
    let fresh = Session::login(cfg, &username, &new_password).await?;
    let info = SessionInfo::of(&fresh);
    slot.install(&app, fresh);
    Ok(info)
}
