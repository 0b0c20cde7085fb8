//! A development SMS gateway: accepts sends (the `HttpGateway` protocol), keeps them in
//! memory, lists them, and posts citizen replies and delivery reports to the server's
//! webhook, signed like a real provider. `sms-devgw` runs it; tests start it in-process.
//!
//! `GET /` (a page: the messages, and a reply box per message) · `POST /send` · `GET /messages` · `POST /reply {from, text, messageId?, sentAt?}` ·
//! `POST /messages/{id}/report {status}` · `POST /down {down}` (simulate an outage).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::gateway::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// The page a developer (or a demo's "citizen") reads messages and types replies on.
async fn page() -> axum::response::Html<&'static str> {
    axum::response::Html(include_str!("devgw_page.html"))
}

#[derive(Clone)]
pub struct DevGatewayConfig {
    /// The server's inbound webhook, e.g. `http://127.0.0.1:8686/api/v1/sms/inbound`.
    pub webhook: String,
    pub secret: String,
    /// When set, `/send` requires `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

/// One accepted message. `deliveries` counts send calls with its `clientRef`: more than
/// one means the server sent the same outbox row twice.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DevMessage {
    pub id: String,
    pub client_ref: String,
    pub to: String,
    pub template_id: Option<String>,
    pub content: String,
    pub params: Value,
    pub deliveries: u32,
    pub received_at: DateTime<Utc>,
}

struct Inner {
    cfg: DevGatewayConfig,
    messages: Mutex<Vec<DevMessage>>,
    down: AtomicBool,
    /// Send calls refused while down.
    refused: AtomicU64,
    seq: AtomicU64,
    client: reqwest::Client,
}

#[derive(Clone)]
pub struct DevGateway {
    inner: Arc<Inner>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendReq {
    client_ref: String,
    to: String,
    #[serde(default)]
    template_id: Option<String>,
    #[serde(default)]
    params: Value,
    content: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyReq {
    pub from: String,
    pub text: String,
    #[serde(default)]
    pub message_id: Option<String>,
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
}

impl DevGateway {
    pub fn new(cfg: DevGatewayConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                cfg,
                messages: Mutex::new(Vec::new()),
                down: AtomicBool::new(false),
                refused: AtomicU64::new(0),
                seq: AtomicU64::new(0),
                client: reqwest::Client::new(),
            }),
        }
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(page))
            .route("/send", post(send))
            .route("/messages", get(list))
            .route("/reply", post(reply_http))
            .route("/messages/{id}/report", post(report_http))
            .route("/down", post(down_http))
            .with_state(self.clone())
    }

    /// Serves on `addr` (port 0 for any); returns the bound address.
    pub async fn spawn(&self, addr: &str) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let app = self.router();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(bound)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<DevMessage>> {
        self.inner
            .messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn messages(&self) -> Vec<DevMessage> {
        self.lock().clone()
    }

    /// While down, `/send` answers 503 (nothing is kept).
    pub fn set_down(&self, down: bool) {
        self.inner.down.store(down, Ordering::SeqCst);
    }

    pub fn refused(&self) -> u64 {
        self.inner.refused.load(Ordering::SeqCst)
    }

    /// Posts `body` to the webhook, signed; returns the server's status and JSON.
    pub async fn post_webhook(&self, body: &Value) -> Result<(u16, Value), String> {
        let raw = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        let ts = Utc::now().timestamp().to_string();
        let sig = sign(&self.inner.cfg.secret, &ts, &raw);
        let resp = self
            .inner
            .client
            .post(&self.inner.cfg.webhook)
            .header("content-type", "application/json")
            .header(TIMESTAMP_HEADER, ts)
            .header(SIGNATURE_HEADER, sig)
            .body(raw)
            .send()
            .await
            .map_err(|e| format!("webhook unreachable: {e}"))?;
        let status = resp.status().as_u16();
        let v = resp.json().await.unwrap_or(Value::Null);
        Ok((status, v))
    }

    /// A citizen reply from `from`; returns the webhook's status and answer.
    pub async fn reply(&self, r: &ReplyReq) -> Result<(u16, Value), String> {
        let id = r
            .message_id
            .clone()
            .unwrap_or_else(|| format!("mo-{}", self.inner.seq.fetch_add(1, Ordering::SeqCst) + 1));
        let mut body = json!({"type": "reply", "messageId": id, "from": r.from, "text": r.text});
        if let Some(at) = r.sent_at {
            body["sentAt"] = json!(at);
        }
        self.post_webhook(&body).await
    }

    /// A delivery report for one of our message ids (the server's `clientRef` works too).
    pub async fn report(&self, id: &str, status: &str) -> Result<(u16, Value), String> {
        let client_ref = self
            .lock()
            .iter()
            .find(|m| m.id == id || m.client_ref == id)
            .map(|m| m.client_ref.clone())
            .ok_or_else(|| format!("unknown message {id}"))?;
        self.post_webhook(&json!({"type": "status", "messageId": client_ref, "status": status}))
            .await
    }
}

async fn send(
    State(gw): State<DevGateway>,
    headers: HeaderMap,
    Json(req): Json<SendReq>,
) -> (StatusCode, Json<Value>) {
    if let Some(token) = &gw.inner.cfg.token {
        let ok = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {token}"));
        if !ok {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "bad token"})),
            );
        }
    }
    if gw.inner.down.load(Ordering::SeqCst) {
        gw.inner.refused.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "down"})),
        );
    }
    let mut msgs = gw.lock();
    if let Some(m) = msgs.iter_mut().find(|m| m.client_ref == req.client_ref) {
        m.deliveries += 1;
        return (StatusCode::OK, Json(json!({"id": m.id, "duplicate": true})));
    }
    let id = format!("mt-{}", gw.inner.seq.fetch_add(1, Ordering::SeqCst) + 1);
    tracing::info!(%id, to = %req.to, content = %req.content, "dev gateway: message");
    msgs.push(DevMessage {
        id: id.clone(),
        client_ref: req.client_ref,
        to: req.to,
        template_id: req.template_id,
        content: req.content,
        params: req.params,
        deliveries: 1,
        received_at: Utc::now(),
    });
    (StatusCode::OK, Json(json!({"id": id})))
}

async fn list(State(gw): State<DevGateway>) -> Json<Vec<DevMessage>> {
    Json(gw.messages())
}

fn relay(r: Result<(u16, Value), String>) -> (StatusCode, Json<Value>) {
    match r {
        Ok((status, body)) => (
            StatusCode::OK,
            Json(json!({"webhookStatus": status, "webhookBody": body})),
        ),
        Err(e) => (StatusCode::BAD_GATEWAY, Json(json!({"error": e}))),
    }
}

async fn reply_http(
    State(gw): State<DevGateway>,
    Json(req): Json<ReplyReq>,
) -> (StatusCode, Json<Value>) {
    relay(gw.reply(&req).await)
}

#[derive(Deserialize)]
struct ReportReq {
    status: String,
}

async fn report_http(
    State(gw): State<DevGateway>,
    Path(id): Path<String>,
    Json(req): Json<ReportReq>,
) -> (StatusCode, Json<Value>) {
    relay(gw.report(&id, &req.status).await)
}

#[derive(Deserialize)]
struct DownReq {
    down: bool,
}

async fn down_http(State(gw): State<DevGateway>, Json(req): Json<DownReq>) -> Json<Value> {
    gw.set_down(req.down);
    Json(json!({"down": req.down}))
}
