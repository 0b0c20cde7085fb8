//! Log output of the server's commands (stderr): readable text, or one JSON object per
//! line for a log collector (`--log-format json`, env MINSHENG_LOG_FORMAT). The filter
//! is RUST_LOG's, by default `info,tower_http=warn`.
//!
//! A JSON line carries the event's fields at the top level (`timestamp`, `level`,
//! `target`, `message`, …) and the request it belongs to under `span` (`method`, `path`,
//! `request_id`: see `http::request_id`).

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// The filter when RUST_LOG is unset or unreadable.
pub const DEFAULT_FILTER: &str = "info,tower_http=warn";

/// The environment variable read when `--log-format` is not given.
pub const FORMAT_ENV: &str = "MINSHENG_LOG_FORMAT";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!(
                "{FORMAT_ENV}={other}：日志格式只能是 text 或 json / expected text or json"
            )),
        }
    }
}

impl LogFormat {
    /// `flag` when given, else MINSHENG_LOG_FORMAT when set and not empty, else text.
    pub fn chosen(flag: Option<Self>) -> Result<Self, String> {
        match flag {
            Some(f) => Ok(f),
            None => match std::env::var(FORMAT_ENV) {
                Ok(v) if !v.trim().is_empty() => v.parse(),
                _ => Ok(Self::Text),
            },
        }
    }
}

/// RUST_LOG's filter, else `DEFAULT_FILTER`.
pub fn filter_from_env() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| DEFAULT_FILTER.into())
}

/// The subscriber of `format` writing through `writer` (tests capture with their own).
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.finish()),
        LogFormat::Json => Box::new(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .finish(),
        ),
    }
}

/// The environment variable naming a directory for daily log files (else stderr).
pub const DIR_ENV: &str = "MINSHENG_LOG_DIR";
/// Daily files kept in that directory (default `DEFAULT_KEEP_DAYS`).
pub const KEEP_ENV: &str = "MINSHENG_LOG_KEEP_DAYS";
pub const DEFAULT_KEEP_DAYS: usize = 30;

/// Installs the process's subscriber; also takes `log` records. Lines go to stderr (the
/// journal, under systemd), or when MINSHENG_LOG_DIR names a directory to
/// `minsheng-server.YYYY-MM-DD.log` files there, a new one each day and the oldest
/// removed beyond MINSHENG_LOG_KEEP_DAYS.
pub fn init(format: LogFormat) -> Result<(), String> {
    let dir = std::env::var_os(DIR_ENV).filter(|v| !v.is_empty());
    // Fails only when one is installed already; the first one stays.
    let Some(dir) = dir else {
        let _ = subscriber(format, filter_from_env(), std::io::stderr).try_init();
        return Ok(());
    };
    let keep = match std::env::var(KEEP_ENV) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{KEEP_ENV}={v}：保留天数须为正整数"))?,
        _ => DEFAULT_KEEP_DAYS,
    };
    let files = tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("minsheng-server")
        .filename_suffix("log")
        .max_log_files(keep)
        .build(&dir)
        .map_err(|e| {
            format!(
                "无法写入日志目录 {}：{e}",
                std::path::Path::new(&dir).display()
            )
        })?;
    let _ = subscriber(format, filter_from_env(), files).try_init();
    Ok(())
}
