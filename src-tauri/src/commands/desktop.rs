//! The desktop around the window: pop-up notifications of the operating system.

use crate::Error;

/// Shown as the sender of every pop-up.
const APP_NAME: &str = "民生警务平台";

/// Shows a desktop notification (freedesktop notifications on Linux). Resolves to false when
/// the desktop has no notification service (kiosk sessions, CI): the UI then relies on its
/// in-app toast alone.
#[tauri::command]
pub async fn desktop_notify(title: String, body: String) -> Result<bool, Error> {
    let title: String = title.chars().take(120).collect();
    let body: String = body.chars().take(400).collect();
    // A D-Bus round trip: keep it off the async workers and the UI thread.
    tauri::async_runtime::spawn_blocking(move || {
        notify_rust::Notification::new()
            .appname(APP_NAME)
            .summary(&title)
            .body(&body)
            .show()
            .is_ok()
    })
    .await
    .map_err(|e| Error::Client {
        code: "DESKTOP_NOTIFY".to_owned(),
        message: format!("无法显示桌面通知：{e}"),
    })
}
