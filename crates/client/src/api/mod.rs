//! Typed HTTP client for the city server's `/api/v1` (rustls). Every request carries
//! the client and cache-schema versions so the server can refuse a client it cannot
//! serve, and an `X-Request-Id` of its own (UUID v7) that the server puts on its log
//! lines for that request; every failure is typed (offline, auth expired, or the
//! server's `{code, message}`) and logged with that id (`tracing::warn!`), so one
//! user's failed sync can be followed from the desktop's log into the server's.

mod releases;
mod wire;

use std::sync::RwLock;
use std::time::Duration;

use minsheng_domain::ids::{CaseId, UnitId};
use minsheng_domain::org::Unit;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::NewCase;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

pub use minsheng_domain::sync::{
    CommandOutcome, CommandResult, PushCommand, PushRequest, PushResponse,
};
pub use releases::{updates_path, ReleaseSummary, ReleaseUpload};
pub use wire::{ActionRequest, CaseListQuery, CasePage, CaseSummary, PullPage, TokenResponse};

use crate::cache::migrations::SCHEMA_VERSION;
use crate::cache::{Profile, UserSummary};
use crate::error::{ClientError, Result};

pub const CLIENT_HEADER: &str = "X-Minsheng-Client";
pub const SCHEMA_HEADER: &str = "X-Minsheng-Schema";
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";

/// What a request was, kept on its answer for the log line of a failure.
#[derive(Debug, Clone)]
struct SentRequest {
    request_id: String,
    method: Method,
    path: String,
}

/// `minsheng-desktop/<version>`.
pub fn client_id() -> String {
    format!("minsheng-desktop/{}", env!("CARGO_PKG_VERSION"))
}

pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    access_token: RwLock<Option<String>>,
}

impl ApiClient {
    /// `base_url` is the server root, e.g. `https://city.example` (without `/api/v1`).
    pub fn new(base_url: &str) -> Result<Self> {
        let mut headers = HeaderMap::new();
        let header =
            |v: String| HeaderValue::from_str(&v).map_err(|e| ClientError::Protocol(e.to_string()));
        headers.insert(CLIENT_HEADER, header(client_id())?);
        headers.insert(SCHEMA_HEADER, header(SCHEMA_VERSION.to_string())?);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_mins(1))
            .build()
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        Ok(Self {
            http,
            base: format!("{}/api/v1", base_url.trim().trim_end_matches('/')),
            access_token: RwLock::new(None),
        })
    }

    pub fn set_access_token(&self, token: Option<String>) {
        *self
            .access_token
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = token;
    }

    fn token(&self) -> Option<String> {
        self.access_token
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Logs in; keeps the access token for later calls. The caller stores the
    /// refresh token in the keyring (`CredentialStore::save_refresh_token`).
    pub async fn login(&self, username: &str, password: &str) -> Result<TokenResponse> {
        let body = json!({ "username": username, "password": password });
        let t: TokenResponse = self.call(Method::POST, "/auth/login", Some(&body)).await?;
        self.set_access_token(Some(t.access_token.clone()));
        Ok(t)
    }

    /// Trades a refresh token for a new pair (the old refresh token stops working).
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenResponse> {
        let body = json!({ "refreshToken": refresh_token });
        let t: TokenResponse = self
            .call(Method::POST, "/auth/refresh", Some(&body))
            .await?;
        self.set_access_token(Some(t.access_token.clone()));
        Ok(t)
    }

    pub async fn me(&self) -> Result<Profile> {
        self.call(Method::GET, "/auth/me", None).await
    }

    pub async fn units(&self) -> Result<Vec<Unit>> {
        self.call(Method::GET, "/units", None).await
    }

    /// The case view JSON as the cache stores it (`CachedCase::from_view`).
    pub async fn case(&self, id: CaseId) -> Result<Value> {
        self.call(Method::GET, &format!("/cases/{id}"), None).await
    }

    pub async fn cases(&self, query: &CaseListQuery) -> Result<CasePage> {
        let rb = self.request(Method::GET, "/cases").query(query);
        decode(send(rb).await?).await
    }

    /// Registers a case online (`POST /cases`); returns the new case view.
    pub async fn create_case(&self, new: &NewCase) -> Result<Value> {
        let body = serde_json::to_value(new).map_err(|e| ClientError::Protocol(e.to_string()))?;
        self.call(Method::POST, "/cases", Some(&body)).await
    }

    /// Takes one action online; returns the updated case view.
    pub async fn act(&self, id: CaseId, req: &ActionRequest) -> Result<Value> {
        let body = serde_json::to_value(req).map_err(|e| ClientError::Protocol(e.to_string()))?;
        self.call(Method::POST, &format!("/cases/{id}/actions"), Some(&body))
            .await
    }

    /// Hands queued commands to the server (`POST /sync/push`).
    pub async fn push(&self, req: &PushRequest) -> Result<PushResponse> {
        let rb = self.request(Method::POST, "/sync/push").json(req);
        decode(send(rb).await?).await
    }

    /// One page of changes after `cursor` (`GET /sync/pull`), with the timeline entries
    /// appended after `timelines_since` (None: whole timelines).
    pub async fn pull(
        &self,
        cursor: Option<&str>,
        timelines_since: Option<&str>,
        limit: usize,
        install: &str,
        config_version: i64,
    ) -> Result<PullPage> {
        let limit = limit.to_string();
        let config_version = config_version.to_string();
        let mut query = vec![
            ("limit", limit.as_str()),
            ("installId", install),
            ("configVersion", config_version.as_str()),
        ];
        if let Some(c) = cursor {
            query.push(("cursor", c));
        }
        if let Some(b) = timelines_since {
            query.push(("timelinesSince", b));
        }
        let rb = self.request(Method::GET, "/sync/pull").query(&query);
        decode(send(rb).await?).await
    }

    /// The people of `unit` (a unit head or officer may list their own unit).
    pub async fn unit_users(&self, unit: UnitId) -> Result<Vec<UserSummary>> {
        let rb = self
            .request(Method::GET, "/users")
            .query(&[("unit", unit.to_string())]);
        decode(send(rb).await?).await
    }

    pub async fn timeline(&self, id: CaseId) -> Result<Vec<TimelineEntry>> {
        self.call(Method::GET, &format!("/cases/{id}/timeline"), None)
            .await
    }

    /// Ends the server session of the current access token (204, no body).
    pub async fn logout(&self) -> Result<()> {
        let resp = send(self.request(Method::POST, "/auth/logout")).await?;
        if resp.status().is_success() {
            Ok(())
        } else {
            decode::<Value>(resp).await.map(|_| ())
        }
    }

    /// Any JSON endpoint under `/api/v1` (online-only screens). `path` starts with `/`
    /// and may carry a query string.
    pub async fn get_json(&self, path: &str) -> Result<Value> {
        self.call(Method::GET, path, None).await
    }

    /// A binary download (an .xlsx export): the body bytes of a successful answer.
    pub async fn get_bytes(&self, path: &str) -> Result<Vec<u8>> {
        let resp = send(self.request(Method::GET, path)).await?;
        if !resp.status().is_success() {
            return decode::<Value>(resp).await.map(|_| Vec::new());
        }
        Ok(resp
            .bytes()
            .await
            .map_err(|e| ClientError::Offline(e.to_string()))?
            .to_vec())
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Result<Value> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `post_json` with an `Idempotency-Key`: the server answers a repeat of the same
    /// request under the same key with its first answer (bulk import).
    pub async fn post_json_once(&self, path: &str, body: &Value, key: &str) -> Result<Value> {
        let rb = self
            .request(Method::POST, path)
            .header("Idempotency-Key", key)
            .json(body);
        decode(send(rb).await?).await
    }

    /// A raw-bytes PUT (an attachment chunk); the answer is JSON.
    pub async fn put_bytes(&self, path: &str, body: &[u8]) -> Result<Value> {
        let rb = self
            .request(Method::PUT, path)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(body.to_vec());
        decode(send(rb).await?).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Result<Value> {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Result<Value> {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete_json(&self, path: &str) -> Result<Value> {
        self.call(Method::DELETE, path, None).await
    }

    /// A request to `path` with a fresh request id and the access token.
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let rb = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(REQUEST_ID_HEADER, uuid::Uuid::now_v7().to_string());
        match self.token() {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T> {
        let mut rb = self.request(method, path);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        decode(send(rb).await?).await
    }
}

async fn send(rb: RequestBuilder) -> Result<reqwest::Response> {
    let (http, request) = rb.build_split();
    let request = request.map_err(|e| ClientError::Protocol(e.to_string()))?;
    let sent = SentRequest {
        request_id: request
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        method: request.method().clone(),
        path: request.url().path().to_owned(),
    };
    match http.execute(request).await {
        Ok(mut resp) => {
            resp.extensions_mut().insert(sent);
            Ok(resp)
        }
        Err(e) => {
            tracing::warn!(
                request_id = %sent.request_id,
                method = %sent.method,
                path = %sent.path,
                error = %e,
                "request to the city server got no answer"
            );
            Err(if e.is_builder() {
                ClientError::Protocol(e.to_string())
            } else {
                // Refused, reset, DNS, TLS, timeout: to the user all mean "no link to the city".
                ClientError::Offline(e.to_string())
            })
        }
    }
}

async fn decode<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T> {
    let status = resp.status();
    let sent = resp.extensions().get::<SentRequest>().cloned();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| ClientError::Offline(e.to_string()))?;
    if status.is_success() {
        // 204 No Content (e.g. a password change) reads as JSON null.
        let json: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        return serde_json::from_slice(json).map_err(|e| ClientError::Protocol(e.to_string()));
    }
    let body: Option<wire::ErrorBody> = serde_json::from_slice(&bytes).ok();
    if let Some(sent) = &sent {
        tracing::warn!(
            request_id = %sent.request_id,
            method = %sent.method,
            path = %sent.path,
            status = status.as_u16(),
            code = body.as_ref().map_or("", |b| b.code.as_str()),
            "the city server refused a request"
        );
    }
    if status == StatusCode::UPGRADE_REQUIRED {
        return Err(ClientError::ClientTooOld {
            message: body.map_or_else(|| "客户端版本过旧，请升级".to_owned(), |b| b.message),
        });
    }
    if status == StatusCode::UNAUTHORIZED
        && body
            .as_ref()
            .is_none_or(|b| matches!(b.code.as_str(), "TOKEN_EXPIRED" | "UNAUTHENTICATED"))
    {
        return Err(ClientError::AuthExpired);
    }
    Err(match body {
        // The one wire code the sync engine acts on, typed here at the boundary.
        Some(b) if status == StatusCode::CONFLICT && b.code == "SYNC_RESET" => {
            ClientError::SyncReset { message: b.message }
        }
        Some(b) => ClientError::Server {
            status: status.as_u16(),
            code: b.code,
            message: b.message,
        },
        None => ClientError::Server {
            status: status.as_u16(),
            code: format!("HTTP_{}", status.as_u16()),
            message: format!("服务器错误（HTTP {}）", status.as_u16()),
        },
    })
}
