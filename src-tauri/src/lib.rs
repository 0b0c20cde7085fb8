//! Tauri shell of 民生警务平台: wires the commands and the shared state into a builder.
//!
//! `configure` is separate from `run` so tests can drive the same commands through
//! `tauri::test::mock_builder()` without opening a window.

pub mod commands;
mod error;
mod server_link;

#[cfg(test)]
mod ipc_tests;

pub use error::Error;
pub use server_link::{ServerLink, DEFAULT_SERVER_URL, SERVER_URL_ENV};

/// Registers the state and every command on `builder`, using the server URL from the environment.
pub fn configure<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    configure_with(builder, ServerLink::from_env())
}

/// Same as [`configure`] with an explicit server link (tests point it at a local server).
pub fn configure_with<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    link: ServerLink,
) -> tauri::Builder<R> {
    builder
        .manage(link)
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::server::server_health,
        ])
}

/// Starts the desktop application; returns when the last window closes.
pub fn run() {
    configure(tauri::Builder::default())
        .run(tauri::generate_context!())
        .expect("error while running the 民生警务平台 desktop application");
}
