//! The SMS provider boundary: an adapter trait, the generic HTTP adapter, and the
//! webhook signature (HMAC-SHA256 over `timestamp.body`).

use std::future::Future;
use std::pin::Pin;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::config::GatewayConfig;

/// One message as handed to a provider. `client_ref` is our outbox id: providers that
/// deduplicate on it make a resend after a crash harmless.
#[derive(Debug, Clone)]
pub struct OutgoingSms<'a> {
    pub client_ref: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub template_id: Option<&'a str>,
    pub params: &'a serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// Worth retrying (network, timeout, 5xx, 429).
    #[error("暂时失败：{0}")]
    Transient(String),
    /// Retrying will not help (refused number, bad template): dead-letter at once.
    #[error("被拒绝：{0}")]
    Permanent(String),
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<String, GatewayError>> + Send + 'a>>;

/// A provider adapter. Returns the provider's message id.
pub trait SmsGateway: Send + Sync {
    fn send<'a>(&'a self, sms: &'a OutgoingSms<'a>) -> SendFuture<'a>;
}

/// Generic JSON-over-HTTP provider (also what `sms-devgw` speaks):
/// `POST url {account, clientRef, to, templateId, params, content}` → `{"id": "..."}`.
pub struct HttpGateway {
    cfg: GatewayConfig,
    client: reqwest::Client,
}

impl HttpGateway {
    pub fn new(cfg: GatewayConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(cfg.timeout).build()?;
        Ok(Self { cfg, client })
    }
}

#[derive(Deserialize)]
struct SendAnswer {
    id: String,
}

impl SmsGateway for HttpGateway {
    fn send<'a>(&'a self, sms: &'a OutgoingSms<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            let body = serde_json::json!({
                "account": self.cfg.account,
                "clientRef": sms.client_ref,
                "to": sms.to,
                "templateId": sms.template_id,
                "params": sms.params,
                "content": sms.body,
            });
            let mut rb = self.client.post(&self.cfg.url).json(&body);
            if let Some(t) = &self.cfg.token {
                rb = rb.bearer_auth(t);
            }
            let resp = rb.send().await.map_err(|e| {
                GatewayError::Transient(format!("网关不可达（{}）", e.without_url()))
            })?;
            let status = resp.status();
            if status.is_success() {
                let a: SendAnswer = resp
                    .json()
                    .await
                    .map_err(|e| GatewayError::Transient(format!("网关应答无法解析（{e}）")))?;
                return Ok(a.id);
            }
            let text: String = resp
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            let msg = format!("HTTP {}：{text}", status.as_u16());
            if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
                Err(GatewayError::Transient(msg))
            } else {
                Err(GatewayError::Permanent(msg))
            }
        })
    }
}

pub const SIGNATURE_HEADER: &str = "x-sms-signature";
pub const TIMESTAMP_HEADER: &str = "x-sms-timestamp";

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("hmac takes any key length"));
    m.update(timestamp.as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// `sha256=<hex>` over `timestamp.body`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Constant-time check of a `sign` value.
pub fn verify(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(hex_sig) = signature.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(raw) = hex::decode(hex_sig) else {
        return false;
    };
    mac(secret, timestamp, body).verify_slice(&raw).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trip_and_tamper() {
        let s = sign("k", "1700000000", b"{\"a\":1}");
        assert!(verify("k", "1700000000", b"{\"a\":1}", &s));
        assert!(!verify("k", "1700000001", b"{\"a\":1}", &s));
        assert!(!verify("k", "1700000000", b"{\"a\":2}", &s));
        assert!(!verify("other", "1700000000", b"{\"a\":1}", &s));
        assert!(!verify("k", "1700000000", b"{\"a\":1}", "sha256=zz"));
        assert!(!verify("k", "1700000000", b"{\"a\":1}", ""));
    }
}
