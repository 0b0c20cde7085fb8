//! The development SMS gateway on its own port, wired to the test server's webhook.
#![allow(dead_code)] // each test binary uses part of it

use minsheng_server::notify::devgw::{DevGateway, DevGatewayConfig, DevMessage};
use minsheng_server::notify::{self, GatewayConfig, NotifyConfig, PassReport};

use crate::support::TestServer;

pub const SECRET: &str = "test-webhook-secret";

pub fn config(gw_base: &str, max_attempts: u32) -> NotifyConfig {
    NotifyConfig {
        gateway: Some(GatewayConfig {
            url: format!("{gw_base}/send"),
            account: Some("dev".into()),
            token: Some("gw-token".into()),
            timeout: std::time::Duration::from_secs(5),
            provider: notify::Provider::Generic,
        }),
        webhook_secret: Some(SECRET.into()),
        max_attempts,
        ..NotifyConfig::default()
    }
}

/// Starts a gateway delivering citizen replies to `s`'s webhook and points the server's
/// notify worker at it; returns the gateway and its base URL.
pub async fn attach_gateway(s: &TestServer, max_attempts: u32) -> (DevGateway, String) {
    let gw = DevGateway::new(DevGatewayConfig {
        webhook: s.url("/sms/inbound"),
        secret: SECRET.into(),
        token: Some("gw-token".into()),
    });
    let addr = gw.spawn("127.0.0.1:0").await.expect("devgw");
    let gw_base = format!("http://{addr}");
    notify::configure(&s.state, config(&gw_base, max_attempts)).expect("configure");
    (gw, gw_base)
}

/// One pass of every notify worker.
pub async fn tick(s: &TestServer) -> PassReport {
    notify::run_once(&s.state).await.expect("notify pass")
}

/// Messages the gateway took for `phone`, in arrival order.
pub fn sent_to(gw: &DevGateway, phone: &str) -> Vec<DevMessage> {
    gw.messages()
        .into_iter()
        .filter(|m| m.to == phone)
        .collect()
}
