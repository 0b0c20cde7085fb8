//! An empty Tauri window: the memory and startup floor for the desktop app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// The same web engine defaults as the app (WebKitGTK environment), from the same file, so
// the floor and the app differ only by what the app itself loads.
#[path = "../../../../src-tauri/src/webview_env.rs"]
mod webview_env;

fn main() {
    webview_env::apply_defaults();
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("error while running the empty app");
}
