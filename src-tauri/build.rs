fn main() {
    link_malloc_conf();
    // The config lives at the repository root, so the capability files must be
    // pointed at explicitly (tauri-build would otherwise look in ./capabilities).
    tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("src-tauri/capabilities/**/*"),
    )
    .expect("failed to run tauri-build");
}

/// Links jemalloc's options (src-tauri/malloc_conf.c) into the binary. As a plain object
/// passed to the linker, not an archive: jemalloc defines the symbol weakly itself, so the
/// linker would never pull a member of an archive to resolve it.
fn link_malloc_conf() {
    println!("cargo:rerun-if-changed=src-tauri/malloc_conf.c");
    // jemalloc is the allocator everywhere but MSVC (see Cargo.toml).
    if std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("msvc") {
        return;
    }
    let target = std::env::var("TARGET").unwrap_or_default();
    let mut build = cc::Build::new();
    build.file("src-tauri/malloc_conf.c");
    // Where tikv-jemalloc-sys keeps its `_rjem_` prefix (its NO_UNPREFIXED_MALLOC_TARGETS).
    if ["android", "dragonfly", "apple"]
        .iter()
        .any(|t| target.contains(t))
    {
        build.define("MINSHENG_JEMALLOC_PREFIXED", None);
    }
    for object in build.compile_intermediates() {
        println!("cargo:rustc-link-arg-bins={}", object.display());
    }
}
