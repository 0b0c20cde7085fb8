//! The server's JSON shapes the client reads and writes (mirrors of the server's
//! `TokenResponse`, `CasePageView`, `CaseSummary`, `ActionRequest`).

use chrono::{DateTime, Utc};
use minsheng_domain::case::{CaseState, Channel, RequestType};
use minsheng_domain::ids::{CaseId, UnitId};
use minsheng_domain::workflow::Action;
use serde::{Deserialize, Serialize};

use crate::cache::Profile;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_expires_at: DateTime<Utc>,
    pub user: Profile,
    /// Admin-set or too old (等保): the user must change the password first.
    #[serde(default)]
    pub must_change_password: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseListQuery {
    /// Comma-separated state codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Also count every match (the server says it costs more on a big scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_total: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseSummary {
    pub id: CaseId,
    pub number: Option<String>,
    pub title: String,
    pub channel: Channel,
    pub request_type: RequestType,
    pub category: Option<String>,
    pub state: CaseState,
    pub urgency: String,
    pub sensitive: bool,
    pub handling_unit: Option<UnitId>,
    pub supervising_unit: Option<UnitId>,
    pub received_at: DateTime<Utc>,
    pub sign_in_deadline: Option<DateTime<Utc>>,
    pub reply_deadline: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub version: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CasePage {
    pub items: Vec<CaseSummary>,
    pub next_cursor: Option<String>,
    pub total: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRequest {
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_at: Option<DateTime<Utc>>,
}

/// The server's one error shape.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// One page of `GET /sync/pull`. Case views and timeline entries stay raw JSON: the
/// cache stores them verbatim and reads only the columns it indexes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullPage {
    pub changes: Vec<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    pub timelines: Vec<Box<serde_json::value::RawValue>>,
    pub removed: Vec<CaseId>,
    pub next_cursor: String,
    pub has_more: bool,
    pub ack_seq: u64,
    /// The identity of the server's change log (new after a restore from backup).
    #[serde(default)]
    pub epoch: Option<String>,
    /// The server's configuration, when its version differs from the one asked with.
    #[serde(default)]
    pub config: Option<minsheng_domain::config::ConfigSnapshot>,
}
