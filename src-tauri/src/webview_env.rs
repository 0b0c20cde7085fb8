//! Web engine defaults that keep the desktop app's memory small (SPEC §9: the whole process
//! tree within an empty Tauri window + 80 MB with 20,000 cases cached).
//!
//! On Linux the web view is WebKitGTK, configured through environment variables read by the
//! web processes it spawns, so they are set here before the first window exists. Each one
//! is a default: a value already in the environment wins (`=0` / `=true` turns it back).
//! Measured with `scripts/measure-desktop.sh` (per-process table at the end of its report):
//!
//! * `WEBKIT_DISABLE_COMPOSITING_MODE=1`: no GPU compositing. On machines without a usable
//!   GPU (VMs, remote desktops, Xvfb) WebKit composites through Mesa's llvmpipe, which maps
//!   LLVM into both processes and keeps every layer as a texture in RAM: about 110 MB for
//!   this app. The UI (forms, lists, a few charts) paints fast enough without layers.
//! * `JSC_useJIT=false`: JavaScriptCore runs the UI in its interpreter. The JIT tiers kept
//!   ~20 MB of compiled code and profiling data (~10 MB with the baseline JIT alone) for a UI
//!   whose code runs a few times per screen; the first screen is as fast either way (the
//!   trade-off of Safari's Lockdown Mode).
//! * `JSC_largeHeapSize=4194304`: a page's JavaScript heap is collected after 4 MB of new
//!   objects instead of 32 MB. The UI keeps ~8 MB of live objects; with the default the heap
//!   of the case list held ~18 MB between collections. The extra collections take a few
//!   milliseconds each in the interpreter.
//!
//! Under WebDriver (tauri-driver sets `TAURI_AUTOMATION`) compositing stays on: WebKitGTK
//! 2.50's WebDriver never answers a screenshot of a non-composited view, which the end-to-end
//! tests take. `scripts/measure-desktop.sh` sets the product value explicitly.
//!
//! The empty window the app is measured against (scripts/perf/empty-app) applies the same
//! defaults from this file, so the comparison stays fair.

/// Set by tauri-driver for the app it launches.
const AUTOMATION_ENV: &str = "TAURI_AUTOMATION";

/// Defaults left out under WebDriver automation (see the module documentation).
const NOT_UNDER_AUTOMATION: &[&str] = &["WEBKIT_DISABLE_COMPOSITING_MODE"];

/// The variables and their default values, applied in this order.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    ("JSC_useJIT", "false"),
    ("JSC_largeHeapSize", "4194304"),
];

/// Sets each of [`DEFAULTS`] that the environment does not already define. Call it before
/// any thread is started (it changes the process environment).
pub fn apply_defaults() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let automated = std::env::var_os(AUTOMATION_ENV).is_some_and(|v| v == "true");
    for (name, value) in DEFAULTS {
        if automated && NOT_UNDER_AUTOMATION.contains(name) {
            continue;
        }
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}
