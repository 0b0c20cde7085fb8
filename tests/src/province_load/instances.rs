//! The server instances under load, each with one shared connection pool (as a load
//! balancer's backends would see the desktops' traffic), and the one way requests are
//! sent: reserved against the cap, timed until the whole body arrived, recorded.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use minsheng_client::api::{client_id, CLIENT_HEADER, SCHEMA_HEADER};
use minsheng_client::cache::migrations::SCHEMA_VERSION;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;

use super::metrics::{Endpoint, Recorder, Sample};

/// The desktop's own request timeout (`ApiClient`): a minute.
const REQUEST_TIMEOUT: Duration = Duration::from_mins(1);
/// Failed requests described on stderr (the rest are only counted).
const ERRORS_DESCRIBED: usize = 30;

pub struct Instance {
    pub index: u8,
    pub base: String,
    pub http: reqwest::Client,
}

impl Instance {
    pub fn new(index: u8, base: &str) -> Result<Self, String> {
        let mut headers = HeaderMap::new();
        let value = |v: String| HeaderValue::from_str(&v).map_err(|e| e.to_string());
        headers.insert(CLIENT_HEADER, value(client_id())?);
        headers.insert(SCHEMA_HEADER, value(SCHEMA_VERSION.to_string())?);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(5))
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            index,
            base: format!("{}/api/v1", base.trim_end_matches('/')),
            http,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// How a request ended, for the caller.
pub enum Outcome<T> {
    Ok(T),
    /// Non-2xx, no answer (status 0) or an unreadable 2xx body; already recorded.
    Failed,
    /// The request cap is reached: nothing was sent.
    NotSent,
}

/// Errors by endpoint and the server's error `code` (or the transport's reason).
#[derive(Default)]
pub struct ErrorLog {
    by_code: Mutex<BTreeMap<(Endpoint, String), usize>>,
}

impl ErrorLog {
    fn note(&self, endpoint: Endpoint, status: u16, code: String, detail: &str) {
        let mut m = self.by_code.lock().unwrap_or_else(PoisonError::into_inner);
        let described: usize = m.values().sum();
        if described < ERRORS_DESCRIBED {
            eprintln!("[load] {endpoint:?} failed: status {status} {code}: {detail}");
        }
        *m.entry((endpoint, format!("{status} {code}"))).or_insert(0) += 1;
    }

    pub fn counts(&self) -> BTreeMap<(Endpoint, String), usize> {
        self.by_code
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The server's error shape (`{"code": …, "message": …}`).
#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Sends `rb` to `instance` as one `endpoint` request and parses a 2xx body as `T`.
pub async fn send<T: DeserializeOwned>(
    rec: &Recorder,
    errors: &ErrorLog,
    instance: &Instance,
    endpoint: Endpoint,
    rb: reqwest::RequestBuilder,
) -> Outcome<T> {
    if !rec.reserve() {
        return Outcome::NotSent;
    }
    let started = Instant::now();
    rec.in_flight.fetch_add(1, Ordering::Relaxed);
    let answer = match rb.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            resp.bytes().await.map(|b| (status, b))
        }
        Err(e) => Err(e),
    };
    rec.in_flight.fetch_sub(1, Ordering::Relaxed);
    let micros = started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
    let mut sample = Sample {
        endpoint,
        instance: instance.index,
        status: 0,
        started_ms: rec.ms_since_start(started),
        micros,
        bytes: 0,
    };
    let body = match answer {
        Ok((status, body)) => {
            sample.status = status;
            sample.bytes = body.len() as u32;
            body
        }
        Err(e) => {
            let reason = if e.is_timeout() {
                "timeout"
            } else if e.is_connect() {
                "connect"
            } else {
                "transport"
            };
            rec.record(sample);
            errors.note(endpoint, 0, reason.into(), &e.to_string());
            return Outcome::Failed;
        }
    };
    if !sample.ok() {
        rec.record(sample);
        let e: ErrorBody = serde_json::from_slice(&body).unwrap_or(ErrorBody {
            code: String::new(),
            message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        });
        errors.note(endpoint, sample.status, e.code, &e.message);
        return Outcome::Failed;
    }
    let json: &[u8] = if body.is_empty() { b"null" } else { &body };
    match serde_json::from_slice::<T>(json) {
        Ok(v) => {
            rec.record(sample);
            Outcome::Ok(v)
        }
        Err(e) => {
            // An answer the desktop could not use is an error too.
            sample.status = 1;
            rec.record(sample);
            errors.note(endpoint, 1, "UNREADABLE_BODY".into(), &e.to_string());
            Outcome::Failed
        }
    }
}
