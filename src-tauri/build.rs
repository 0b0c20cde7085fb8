// The config lives at the repository root, so the capability files must be
// pointed at explicitly (tauri-build would otherwise look in ./capabilities).
fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("src-tauri/capabilities/**/*"),
    )
    .expect("failed to run tauri-build");
}
