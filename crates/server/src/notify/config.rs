//! Runtime configuration of the notify area: SMS gateway, webhook secret, retry policy.
//! Read from env vars (or `serve` flags); secrets never appear in `Debug` or logs.

use std::time::Duration;

/// Which provider protocol the gateway speaks.
#[derive(Clone, Default)]
pub enum Provider {
    /// Generic JSON over HTTP with a bearer token (also what `sms-devgw` speaks).
    #[default]
    Generic,
    /// 阿里云短信 `SendSms`: template code + named params, HMAC-SHA1 signed form.
    Aliyun(AliyunConfig),
}

/// Credentials and defaults of the Aliyun-style adapter (`notify::aliyun`).
#[derive(Clone)]
pub struct AliyunConfig {
    pub access_key_id: String,
    /// Only ever used as the signing key; never sent, logged or printed.
    pub access_key_secret: String,
    /// The registered SMS signature (签名), e.g. 济南公安.
    pub sign_name: String,
    pub region: String,
    /// Provider template for our templates that have no provider template id; its
    /// single variable `content` gets the whole text.
    pub fallback_template: Option<String>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Generic => f.write_str("Generic"),
            Self::Aliyun(a) => f
                .debug_struct("Aliyun")
                .field("access_key_id", &a.access_key_id)
                .field("access_key_secret", &"***")
                .field("sign_name", &a.sign_name)
                .field("region", &a.region)
                .field("fallback_template", &a.fallback_template)
                .finish(),
        }
    }
}

/// Where and how to reach the SMS provider.
#[derive(Clone)]
pub struct GatewayConfig {
    /// Full URL of the provider's send endpoint (e.g. `http://127.0.0.1:8787/send`).
    pub url: String,
    pub account: Option<String>,
    /// Sent as `Authorization: Bearer …` (generic provider).
    pub token: Option<String>,
    pub timeout: Duration,
    pub provider: Provider,
}

impl std::fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("url", &self.url)
            .field("account", &self.account)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .field("provider", &self.provider)
            .finish()
    }
}

/// The default endpoint of the Aliyun-style provider.
pub const ALIYUN_URL: &str = "https://dysmsapi.aliyuncs.com/";

#[derive(Clone)]
pub struct NotifyConfig {
    /// None: messages stay queued until a gateway is configured.
    pub gateway: Option<GatewayConfig>,
    /// Shared secret of the inbound webhook (HMAC-SHA256); None refuses every call.
    pub webhook_secret: Option<String>,
    /// Attempts before a message becomes a dead letter.
    pub max_attempts: u32,
    /// Retry delay after the n-th failure: base * 2^(n-1), at most `backoff_max_secs`.
    pub backoff_base_secs: i64,
    pub backoff_max_secs: i64,
    /// Working days without an SMS answer before the round becomes a phone task.
    pub no_reply_working_days: i64,
    /// Rows handled per pass and per kind of work.
    pub batch: usize,
    /// Pause between background passes (system clock only).
    pub interval: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            gateway: None,
            webhook_secret: None,
            max_attempts: 8,
            backoff_base_secs: 30,
            backoff_max_secs: 3600,
            no_reply_working_days: 3,
            batch: 100,
            interval: Duration::from_secs(5),
        }
    }
}

impl std::fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyConfig")
            .field("gateway", &self.gateway)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "***"),
            )
            .field("max_attempts", &self.max_attempts)
            .field("backoff_base_secs", &self.backoff_base_secs)
            .field("backoff_max_secs", &self.backoff_max_secs)
            .field("no_reply_working_days", &self.no_reply_working_days)
            .finish_non_exhaustive()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_num<T: std::str::FromStr>(name: &str) -> Option<T> {
    env(name).and_then(|v| v.trim().parse().ok())
}

/// The provider chosen by `MINSHENG_SMS_PROVIDER` (`generic`, the default, or `aliyun`
/// with `MINSHENG_SMS_ACCESS_KEY_ID`, `MINSHENG_SMS_ACCESS_KEY_SECRET`,
/// `MINSHENG_SMS_SIGN_NAME`, optional `MINSHENG_SMS_REGION` and
/// `MINSHENG_SMS_FALLBACK_TEMPLATE`). Err names what is missing (never a value).
pub fn provider_from_env() -> Result<Provider, String> {
    match env("MINSHENG_SMS_PROVIDER").as_deref().map(str::trim) {
        None | Some("generic") => Ok(Provider::Generic),
        Some("aliyun") => {
            let need = |k: &str| env(k).ok_or_else(|| format!("缺少环境变量 {k}"));
            Ok(Provider::Aliyun(AliyunConfig {
                access_key_id: need("MINSHENG_SMS_ACCESS_KEY_ID")?,
                access_key_secret: need("MINSHENG_SMS_ACCESS_KEY_SECRET")?,
                sign_name: need("MINSHENG_SMS_SIGN_NAME")?,
                region: env("MINSHENG_SMS_REGION").unwrap_or_else(|| "cn-hangzhou".into()),
                fallback_template: env("MINSHENG_SMS_FALLBACK_TEMPLATE"),
            }))
        }
        Some(other) => Err(format!(
            "MINSHENG_SMS_PROVIDER 的值“{other}”无效（generic 或 aliyun）"
        )),
    }
}

impl NotifyConfig {
    /// `MINSHENG_SMS_PROVIDER` (see `provider_from_env`), `MINSHENG_SMS_URL` (default
    /// for aliyun: its public endpoint), `MINSHENG_SMS_ACCOUNT`, `MINSHENG_SMS_TOKEN`,
    /// `MINSHENG_SMS_WEBHOOK_SECRET`, `MINSHENG_SMS_MAX_ATTEMPTS`,
    /// `MINSHENG_FOLLOWUP_NO_REPLY_DAYS`. A provider configured wrongly leaves no
    /// gateway (messages wait in the outbox) and logs what is missing.
    pub fn from_env() -> Self {
        let d = Self::default();
        let provider = provider_from_env()
            .map_err(|e| tracing::error!(error = %e, "SMS provider not configured"))
            .ok();
        let url = match &provider {
            Some(Provider::Aliyun(_)) => {
                Some(env("MINSHENG_SMS_URL").unwrap_or_else(|| ALIYUN_URL.into()))
            }
            Some(Provider::Generic) => env("MINSHENG_SMS_URL"),
            None => None,
        };
        Self {
            gateway: url.zip(provider).map(|(url, provider)| GatewayConfig {
                url,
                account: env("MINSHENG_SMS_ACCOUNT"),
                token: env("MINSHENG_SMS_TOKEN"),
                timeout: Duration::from_secs(10),
                provider,
            }),
            webhook_secret: env("MINSHENG_SMS_WEBHOOK_SECRET"),
            max_attempts: env_num("MINSHENG_SMS_MAX_ATTEMPTS").unwrap_or(d.max_attempts),
            no_reply_working_days: env_num("MINSHENG_FOLLOWUP_NO_REPLY_DAYS")
                .unwrap_or(d.no_reply_working_days),
            ..d
        }
    }

    /// Command-line overrides of the gateway URL and account (the token stays from env).
    #[must_use]
    pub fn with_gateway(mut self, url: Option<String>, account: Option<String>) -> Self {
        if let Some(url) = url.filter(|u| !u.trim().is_empty()) {
            let old = self.gateway.take();
            self.gateway = Some(GatewayConfig {
                url,
                account: old.as_ref().and_then(|g| g.account.clone()),
                token: old
                    .as_ref()
                    .and_then(|g| g.token.clone())
                    .or_else(|| env("MINSHENG_SMS_TOKEN")),
                timeout: Duration::from_secs(10),
                provider: old.map(|g| g.provider).unwrap_or_default(),
            });
        }
        if let (Some(g), Some(a)) = (self.gateway.as_mut(), account) {
            g.account = Some(a);
        }
        self
    }

    /// Delay before the next attempt after `attempts` failed ones.
    pub fn backoff_secs(&self, attempts: u32) -> i64 {
        let exp = attempts.saturating_sub(1).min(20);
        self.backoff_base_secs
            .saturating_mul(1_i64 << exp)
            .min(self.backoff_max_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let c = NotifyConfig::default();
        assert_eq!(c.backoff_secs(1), 30);
        assert_eq!(c.backoff_secs(2), 60);
        assert_eq!(c.backoff_secs(3), 120);
        assert_eq!(c.backoff_secs(30), 3600);
    }

    #[test]
    fn debug_hides_secrets() {
        let c = NotifyConfig {
            webhook_secret: Some("s3cret".into()),
            gateway: Some(GatewayConfig {
                url: "http://x".into(),
                account: None,
                token: Some("tok3n".into()),
                timeout: Duration::from_secs(1),
                provider: Provider::Aliyun(AliyunConfig {
                    access_key_id: "LTAIid".into(),
                    access_key_secret: "k3y-secret".into(),
                    sign_name: "济南公安".into(),
                    region: "cn-hangzhou".into(),
                    fallback_template: None,
                }),
            }),
            ..NotifyConfig::default()
        };
        let s = format!("{c:?}");
        assert!(
            !s.contains("s3cret") && !s.contains("tok3n") && !s.contains("k3y-secret"),
            "{s}"
        );
        assert!(s.contains("LTAIid") && s.contains("Aliyun"), "{s}");
    }
}
