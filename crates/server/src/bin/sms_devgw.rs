//! `sms-devgw`: the development SMS gateway. Shows every message the server sends and
//! posts citizen replies to the server's webhook, signed with the shared secret.
//!
//! ```text
//! sms-devgw --listen 127.0.0.1:8787 --webhook http://127.0.0.1:8686/api/v1/sms/inbound --secret S
//! curl -s 127.0.0.1:8787/messages
//! curl -s 127.0.0.1:8787/reply -H 'content-type: application/json' -d '{"from":"13812345678","text":"1"}'
//! ```
//! Point the server at it with `MINSHENG_SMS_URL=http://127.0.0.1:8787/send` and the
//! same `MINSHENG_SMS_WEBHOOK_SECRET`.

use std::process::ExitCode;

use clap::Parser;
use minsheng_server::notify::devgw::{DevGateway, DevGatewayConfig};

#[derive(Parser)]
#[command(name = "sms-devgw", version, about = "民生警务平台 开发用短信网关")]
struct Cli {
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: String,
    /// The server's inbound webhook.
    #[arg(long, default_value = "http://127.0.0.1:8686/api/v1/sms/inbound")]
    webhook: String,
    /// Webhook shared secret (else env MINSHENG_SMS_WEBHOOK_SECRET).
    #[arg(long)]
    secret: Option<String>,
    /// Bearer token required on /send (else env MINSHENG_SMS_TOKEN; none = open).
    #[arg(long)]
    token: Option<String>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let Some(secret) = cli.secret.or_else(|| env("MINSHENG_SMS_WEBHOOK_SECRET")) else {
        eprintln!("错误 / error: --secret or MINSHENG_SMS_WEBHOOK_SECRET is required");
        return ExitCode::FAILURE;
    };
    let gw = DevGateway::new(DevGatewayConfig {
        webhook: cli.webhook,
        secret,
        token: cli.token.or_else(|| env("MINSHENG_SMS_TOKEN")),
    });
    let run = async {
        let addr = gw.spawn(&cli.listen).await?;
        println!("sms-devgw listening on http://{addr} (send: POST /send, list: GET /messages, reply: POST /reply)");
        let _ = tokio::signal::ctrl_c().await;
        Ok::<(), std::io::Error>(())
    };
    match tokio::runtime::Runtime::new().and_then(|rt| rt.block_on(run)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            ExitCode::FAILURE
        }
    }
}
