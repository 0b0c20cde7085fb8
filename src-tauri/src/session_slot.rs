//! The signed-in session held in Tauri state, and where its cache lives.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use minsheng_client::Session;
use tauri::{AppHandle, Emitter, Runtime};

use crate::Error;

/// Environment variable that overrides where the encrypted cache is kept (tests, kiosks).
pub const DATA_DIR_ENV: &str = "MINSHENG_DATA_DIR";

/// Event carrying every change of the session's `SyncStatus`.
pub const SYNC_STATUS_EVENT: &str = "sync-status";

/// At most one session: the app is used by one officer at a time.
#[derive(Default)]
pub struct SessionSlot {
    session: Mutex<Option<Session>>,
    /// Ended when the session is replaced, so a signed-out session emits nothing.
    forwarder: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// Locked after inactivity: no command reaches the session until the password is
    /// given again (the sync keeps running underneath). Kept here, not in the web view,
    /// so reloading the page does not unlock it.
    locked: AtomicBool,
}

impl SessionSlot {
    /// The current session (cheap clone: an `Arc` inside); `Locked` while locked.
    pub fn get(&self) -> Result<Session, Error> {
        if self.is_locked() {
            return Err(Error::Locked);
        }
        self.unlocked()
    }

    /// The session even while locked (for unlocking it).
    pub fn unlocked(&self) -> Result<Session, Error> {
        self.session
            .lock()
            .map_err(|_| Error::NotSignedIn)?
            .clone()
            .ok_or(Error::NotSignedIn)
    }

    pub fn current(&self) -> Option<Session> {
        self.session.lock().ok().and_then(|s| s.clone())
    }

    /// Installs `session`, starts its background sync and forwards its status to the UI.
    pub fn install<R: Runtime>(&self, app: &AppHandle<R>, session: Session) {
        self.stop_forwarder();
        session.start_background();
        let mut rx = session.subscribe();
        let app = app.clone();
        let task = tauri::async_runtime::spawn(async move {
            // Emit the current value first so a UI that subscribed late is in step.
            let first = rx.borrow_and_update().clone();
            let _ = app.emit(SYNC_STATUS_EVENT, first);
            while rx.changed().await.is_ok() {
                let status = rx.borrow_and_update().clone();
                // A closed window is no reason to stop the session; ignore emit errors.
                let _ = app.emit(SYNC_STATUS_EVENT, status);
            }
        });
        if let Ok(mut f) = self.forwarder.lock() {
            *f = Some(task);
        }
        if let Ok(mut s) = self.session.lock() {
            *s = Some(session);
        }
    }

    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::SeqCst)
    }

    pub fn set_locked(&self, locked: bool) {
        self.locked.store(locked, Ordering::SeqCst);
    }

    /// Takes the session out (sign-out); the forwarder stops.
    pub fn take(&self) -> Option<Session> {
        self.set_locked(false);
        self.stop_forwarder();
        self.session.lock().ok().and_then(|mut s| s.take())
    }

    fn stop_forwarder(&self) {
        if let Some(task) = self.forwarder.lock().ok().and_then(|mut f| f.take()) {
            task.abort();
        }
    }
}

/// Where the per-user caches are kept.
#[derive(Debug, Clone)]
pub struct DataDir(PathBuf);

impl DataDir {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self(path.into())
    }

    /// The configured directory, else `$MINSHENG_DATA_DIR`, else the platform's app-data dir.
    pub fn of<R: Runtime>(app: &AppHandle<R>) -> Result<Self, Error> {
        use tauri::Manager;
        if let Some(dir) = app.try_state::<Self>() {
            return Ok(dir.inner().clone());
        }
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
            return Ok(Self(dir.into()));
        }
        app.path()
            .app_data_dir()
            .map(Self)
            .map_err(|e| Error::DataDir(e.to_string()))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}
