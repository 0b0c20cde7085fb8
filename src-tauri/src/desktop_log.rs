//! The desktop's own log: one JSON object per line in a file per day under the app's log
//! directory (`MINSHENG_LOG_DIR` overrides it), the oldest removed beyond
//! `KEEP_DAYS`. Every request the client sends carries an `X-Request-Id` that it logs
//! when the request fails (`minsheng_client::api`), and the server logs the same id, so a
//! support officer follows one user's failed sync across both logs. The filter is
//! RUST_LOG's, by default `info`. Nothing here logs what a user typed or a citizen's data.

use std::path::PathBuf;

use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// The environment variable that moves the log directory.
pub const LOG_DIR_ENV: &str = "MINSHENG_LOG_DIR";
/// Daily files kept.
pub const KEEP_DAYS: usize = 14;

/// Installs the log (once; later calls keep the first). `platform_dir` is the app's log
/// directory from Tauri's path resolver; without it and without `MINSHENG_LOG_DIR` the
/// lines go to stderr. Returns the directory written to.
pub fn start(platform_dir: Option<PathBuf>) -> Option<PathBuf> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let dir = std::env::var_os(LOG_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or(platform_dir);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .json()
        .flatten_event(true);
    let files = dir.as_ref().and_then(|dir| {
        // The appender lists the directory to prune old files as it starts: on a first
        // start the directory must exist first, or it complains on stderr.
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("desktop log: cannot create {}: {e}", dir.display());
            return None;
        }
        tracing_appender::rolling::RollingFileAppender::builder()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("minsheng-desktop")
            .filename_suffix("log")
            .max_log_files(KEEP_DAYS)
            .build(dir)
            .map_err(|e| eprintln!("desktop log: cannot write to {}: {e}", dir.display()))
            .ok()
    });
    let written = match files {
        Some(files) => {
            let _ = builder.with_writer(files).finish().try_init();
            dir
        }
        None => {
            let _ = builder.with_writer(std::io::stderr).finish().try_init();
            None
        }
    };
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        "民生警务平台 desktop started"
    );
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_go_to_a_daily_json_file_with_the_request_id() {
        let dir = tempfile::tempdir().unwrap();
        std::env::remove_var(LOG_DIR_ENV);
        let written = start(Some(dir.path().to_path_buf()));
        assert_eq!(written.as_deref(), Some(dir.path()));
        tracing::warn!(
            request_id = "0193a1b2-test-7000-8000-000000000001",
            path = "/api/v1/sync/push",
            "request to the city server got no answer"
        );
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("minsheng-desktop."), "{name}");
        assert_eq!(
            files[0].extension().and_then(|e| e.to_str()),
            Some("log"),
            "{name}"
        );
        let text = std::fs::read_to_string(&files[0]).unwrap();
        let line = text
            .lines()
            .find(|l| l.contains("no answer"))
            .expect("the warning is in the file");
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["request_id"], "0193a1b2-test-7000-8000-000000000001");
        assert_eq!(v["level"], "WARN");
    }
}
