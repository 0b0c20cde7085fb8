// Hide the extra console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// jemalloc with its background thread gives freed pages back to the OS a few seconds after
/// use. With glibc's malloc the first sync of a large scope (20,000 cases decoded on the
/// async runtime's worker threads) left ~25 MB in per-thread arenas for the life of the app.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    minsheng_desktop::run();
}
