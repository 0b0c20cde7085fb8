//! The operator's configuration of `serve` as a system service: a TOML file
//! (`--config FILE`, else env MINSHENG_CONFIG; the packages install
//! `/etc/minsheng/server.toml`) and secrets read from files.
//!
//! The file is one more source of the same settings the environment already carries:
//! each key stands for a `MINSHENG_*` variable, and a variable that is set wins over the
//! file (a command-line flag wins over both). Loading it, before anything else runs,
//! fills in the variables that are unset. Secrets never sit in the file or on the command
//! line: the file names a file that holds each one (`token_file = "/etc/minsheng/…"`), and
//! so can the environment (`MINSHENG_SMS_TOKEN_FILE`, e.g. systemd's
//! `%d/sms-token` from `LoadCredential=`). A secret written into the file itself is
//! refused, so it cannot end up world-readable by mistake.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::ApiError;

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "MINSHENG_CONFIG";

/// Variables that hold secrets: each may instead be given as `<NAME>_FILE`.
pub const SECRET_VARS: [&str; 5] = [
    "MINSHENG_DATABASE_URL",
    "MINSHENG_SMS_TOKEN",
    "MINSHENG_SMS_WEBHOOK_SECRET",
    "MINSHENG_SMS_ACCESS_KEY_SECRET",
    "MINSHENG_METRICS_TOKEN",
];

/// `/etc/minsheng/server.toml`, as the operator writes it (unknown keys are refused so
/// a misspelt key does not pass silently).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Address and port to listen on, e.g. `0.0.0.0:8686`.
    pub listen: Option<String>,
    /// SQLite database file (the default backend).
    pub db: Option<PathBuf>,
    /// PostgreSQL URL without a password (`postgres://minsheng@db.intranet/city`).
    pub database: Option<String>,
    /// File holding the full PostgreSQL URL, password included.
    pub database_url_file: Option<PathBuf>,
    pub pg_schema: Option<String>,
    /// Model directory written by `minsheng-nlp train`.
    pub model: Option<PathBuf>,
    /// The labelled base data set the server retrains from, with its own history.
    pub training_data: Option<PathBuf>,
    /// Hours between scheduled retrains (default 24; 0 = only when an admin asks).
    pub retrain_hours: Option<f64>,
    /// A retrain with fewer labelled rows is skipped (default 100).
    pub retrain_min_rows: Option<usize>,
    /// `text` or `json`.
    pub log_format: Option<String>,
    /// Write logs to daily files in this directory instead of stderr.
    pub log_dir: Option<PathBuf>,
    /// Daily log files kept in `log_dir` (default 30).
    pub log_keep_days: Option<u32>,
    /// The city's desktop updater public key (the Tauri updater's base64 string, or a
    /// minisign `.pub` file): releases are accepted only when signed with its secret key.
    pub updater_pubkey_file: Option<PathBuf>,
    /// How desktops reach this server (`http://minsheng.intranet:8686`), for download
    /// addresses in update manifests; default: the address each request came to.
    pub public_url: Option<String>,
    #[serde(default)]
    pub sms: SmsSection,
    #[serde(default)]
    pub metrics: MetricsSection,
}

/// `[sms]`: the SMS provider (see `notify::config`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSection {
    /// `generic` (an HTTP gateway) or `aliyun`.
    pub provider: Option<String>,
    pub url: Option<String>,
    pub account: Option<String>,
    pub token_file: Option<PathBuf>,
    pub webhook_secret_file: Option<PathBuf>,
    pub access_key_id: Option<String>,
    pub access_key_secret_file: Option<PathBuf>,
    pub sign_name: Option<String>,
    pub region: Option<String>,
    pub fallback_template: Option<String>,
    pub max_attempts: Option<u32>,
    // Refused when present: secrets belong in files.
    pub token: Option<toml::Value>,
    pub webhook_secret: Option<toml::Value>,
    pub access_key_secret: Option<toml::Value>,
}

/// `[metrics]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    /// File holding the bearer token that lets other machines scrape `/metrics`.
    pub token_file: Option<PathBuf>,
    // Refused when present.
    pub token: Option<toml::Value>,
}

fn invalid(message: String) -> ApiError {
    ApiError::Invalid {
        code: "SERVICE_CONFIG",
        message,
    }
}

impl ServiceConfig {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Self, ApiError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid(format!("无法读取配置文件 {}：{e}", path.display())))?;
        Self::parse(&text).map_err(|e| match e {
            ApiError::Invalid { message, .. } => {
                invalid(format!("配置文件 {} 有误：{message}", path.display()))
            }
            other => other,
        })
    }

    /// Parses the file's text and refuses secrets written into it.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let config: Self = toml::from_str(text).map_err(|e| invalid(e.message().to_string()))?;
        let inline = [
            ("sms.token", config.sms.token.is_some(), "sms.token_file"),
            (
                "sms.webhook_secret",
                config.sms.webhook_secret.is_some(),
                "sms.webhook_secret_file",
            ),
            (
                "sms.access_key_secret",
                config.sms.access_key_secret.is_some(),
                "sms.access_key_secret_file",
            ),
            (
                "metrics.token",
                config.metrics.token.is_some(),
                "metrics.token_file",
            ),
        ];
        if let Some((key, _, instead)) = inline.iter().find(|(_, present, _)| *present) {
            return Err(invalid(format!(
                "密钥 {key} 不得直接写在配置文件中，请改用 {instead}（存放密钥的文件）或环境变量"
            )));
        }
        if let Some(url) = &config.database {
            if url_has_password(url) {
                return Err(invalid(
                    "database 中不得包含密码，请改用 database_url_file（存放完整地址的文件）或环境变量 MINSHENG_DATABASE_URL".into(),
                ));
            }
        }
        if config.database.is_some() && config.database_url_file.is_some() {
            return Err(invalid("database 与 database_url_file 只能指定一个".into()));
        }
        if config.db.is_some() && (config.database.is_some() || config.database_url_file.is_some())
        {
            return Err(invalid(
                "db（SQLite 文件）与 database（PostgreSQL）只能指定一个".into(),
            ));
        }
        Ok(config)
    }

    /// The `MINSHENG_*` variables this file stands for. Secrets are given as `<NAME>_FILE`,
    /// read by `resolve_secret_files`.
    pub fn variables(&self) -> BTreeMap<&'static str, String> {
        let mut v = BTreeMap::new();
        let mut put = |name: &'static str, value: Option<String>| {
            if let Some(value) = value {
                v.insert(name, value);
            }
        };
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        put("MINSHENG_LISTEN", self.listen.clone());
        put("MINSHENG_DB", path(&self.db));
        put("MINSHENG_DATABASE_URL", self.database.clone());
        put("MINSHENG_DATABASE_URL_FILE", path(&self.database_url_file));
        put("MINSHENG_PG_SCHEMA", self.pg_schema.clone());
        put("MINSHENG_MODEL", path(&self.model));
        put("MINSHENG_TRAINING_DATA", path(&self.training_data));
        put(
            "MINSHENG_RETRAIN_HOURS",
            self.retrain_hours.map(|h| h.to_string()),
        );
        put(
            "MINSHENG_RETRAIN_MIN_ROWS",
            self.retrain_min_rows.map(|n| n.to_string()),
        );
        put("MINSHENG_LOG_FORMAT", self.log_format.clone());
        put("MINSHENG_LOG_DIR", path(&self.log_dir));
        put(
            "MINSHENG_LOG_KEEP_DAYS",
            self.log_keep_days.map(|d| d.to_string()),
        );
        put(
            "MINSHENG_UPDATER_PUBKEY_FILE",
            path(&self.updater_pubkey_file),
        );
        put("MINSHENG_PUBLIC_URL", self.public_url.clone());
        let sms = &self.sms;
        put("MINSHENG_SMS_PROVIDER", sms.provider.clone());
        put("MINSHENG_SMS_URL", sms.url.clone());
        put("MINSHENG_SMS_ACCOUNT", sms.account.clone());
        put("MINSHENG_SMS_TOKEN_FILE", path(&sms.token_file));
        put(
            "MINSHENG_SMS_WEBHOOK_SECRET_FILE",
            path(&sms.webhook_secret_file),
        );
        put("MINSHENG_SMS_ACCESS_KEY_ID", sms.access_key_id.clone());
        put(
            "MINSHENG_SMS_ACCESS_KEY_SECRET_FILE",
            path(&sms.access_key_secret_file),
        );
        put("MINSHENG_SMS_SIGN_NAME", sms.sign_name.clone());
        put("MINSHENG_SMS_REGION", sms.region.clone());
        put(
            "MINSHENG_SMS_FALLBACK_TEMPLATE",
            sms.fallback_template.clone(),
        );
        put(
            "MINSHENG_SMS_MAX_ATTEMPTS",
            sms.max_attempts.map(|n| n.to_string()),
        );
        put(
            "MINSHENG_METRICS_TOKEN_FILE",
            path(&self.metrics.token_file),
        );
        v
    }
}

fn url_has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

fn is_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// Loads the file named by `flag`, else by MINSHENG_CONFIG, and sets each variable it
/// stands for that the environment does not set already; then reads the secret files.
/// Call it first thing in `main`, while the process has one thread. Returns the file
/// loaded, if any.
pub fn apply(flag: Option<&Path>) -> Result<Option<PathBuf>, ApiError> {
    let path = flag.map(Path::to_path_buf).or_else(|| {
        std::env::var_os(CONFIG_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    if let Some(path) = &path {
        let config = ServiceConfig::load(path)?;
        for (name, value) in config.variables() {
            // A secret's file in the config must not override the secret given directly.
            let direct = name.strip_suffix("_FILE");
            if !is_set(name) && !direct.is_some_and(is_set) {
                std::env::set_var(name, value);
            }
        }
    }
    resolve_secret_files()?;
    Ok(path)
}

/// For each secret variable that is unset while `<NAME>_FILE` names a file: reads the
/// file (one value; a trailing newline is dropped) into the variable.
pub fn resolve_secret_files() -> Result<(), ApiError> {
    for name in SECRET_VARS {
        let file_var = format!("{name}_FILE");
        if is_set(name) || !is_set(&file_var) {
            continue;
        }
        let file = PathBuf::from(std::env::var_os(&file_var).unwrap_or_default());
        let value = std::fs::read_to_string(&file).map_err(|e| {
            invalid(format!(
                "无法读取密钥文件 {}（{file_var}）：{e}",
                file.display()
            ))
        })?;
        let value = value.trim_end_matches(['\n', '\r']);
        if value.is_empty() {
            return Err(invalid(format!(
                "密钥文件 {}（{file_var}）是空的",
                file.display()
            )));
        }
        std::env::set_var(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file_maps_to_the_variables() {
        let c = ServiceConfig::parse(
            r#"
            listen = "0.0.0.0:8686"
            database = "postgres://minsheng@db.intranet:5432/city"
            pg_schema = "jinan"
            model = "/var/lib/minsheng/model"
            log_format = "json"
            log_dir = "/var/log/minsheng"
            log_keep_days = 14
            [sms]
            provider = "generic"
            url = "http://sms.intranet/send"
            token_file = "/etc/minsheng/secrets/sms-token"
            [metrics]
            token_file = "/etc/minsheng/secrets/metrics-token"
            "#,
        )
        .unwrap();
        let v = c.variables();
        assert_eq!(v["MINSHENG_LISTEN"], "0.0.0.0:8686");
        assert_eq!(
            v["MINSHENG_DATABASE_URL"],
            "postgres://minsheng@db.intranet:5432/city"
        );
        assert_eq!(v["MINSHENG_PG_SCHEMA"], "jinan");
        assert_eq!(v["MINSHENG_LOG_KEEP_DAYS"], "14");
        assert_eq!(
            v["MINSHENG_SMS_TOKEN_FILE"],
            "/etc/minsheng/secrets/sms-token"
        );
        assert!(!v.contains_key("MINSHENG_SMS_TOKEN"));
    }

    #[test]
    fn secrets_in_the_file_are_refused() {
        for text in [
            "[sms]\ntoken = \"abc\"",
            "[sms]\nwebhook_secret = \"abc\"",
            "[sms]\naccess_key_secret = \"abc\"",
            "[metrics]\ntoken = \"abc\"",
            "database = \"postgres://city:s3cret@db/city\"",
        ] {
            let err = ServiceConfig::parse(text).unwrap_err();
            assert_eq!(err.code(), "SERVICE_CONFIG", "{text}");
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
        assert!(ServiceConfig::parse("database = \"postgres://city@db/c?x=a:b\"").is_ok());
    }

    #[test]
    fn misspelt_keys_and_two_databases_are_refused() {
        assert!(ServiceConfig::parse("lisen = \"0.0.0.0:1\"").is_err());
        assert!(ServiceConfig::parse("db = \"a.db\"\ndatabase = \"postgres://x@y/z\"").is_err());
    }
}
