//! Which desktop clients this server can serve. Every desktop request carries
//! `X-Minsheng-Client: minsheng-desktop/x.y.z` and `X-Minsheng-Schema: N` (the version
//! of its local cache). On `/sync/*` an older client or a cache schema this server
//! does not know is answered 426 `CLIENT_TOO_OLD`; the client keeps its outbox.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::error::ApiError;

pub const CLIENT_HEADER: &str = "x-minsheng-client";
pub const SCHEMA_HEADER: &str = "x-minsheng-schema";
const CLIENT_PRODUCT: &str = "minsheng-desktop";

/// The oldest desktop release whose sync protocol this server speaks.
pub const MIN_CLIENT_VERSION: (u64, u64, u64) = (0, 1, 0);
/// The newest client cache schema whose commands this server understands (schemas 2
/// to 8 only changed local storage; the commands are unchanged).
pub const MAX_CLIENT_SCHEMA: u32 = 8;

/// A desktop client the sync endpoints accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncClient {
    pub version: (u64, u64, u64),
    pub schema: u32,
}

fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let v = v.trim().strip_prefix(CLIENT_PRODUCT)?.strip_prefix('/')?;
    // Pre-release or build suffixes ("0.2.0-beta.1") compare by their core version.
    let core = v.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let out = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(out)
}

/// Checks the two headers; missing or unreadable ones mean a client that predates sync.
pub fn check(client: Option<&str>, schema: Option<&str>) -> Result<SyncClient, ApiError> {
    let version = client
        .and_then(parse_version)
        .ok_or(ApiError::ClientTooOld)?;
    let schema: u32 = schema
        .and_then(|s| s.trim().parse().ok())
        .ok_or(ApiError::ClientTooOld)?;
    if version < MIN_CLIENT_VERSION || schema == 0 || schema > MAX_CLIENT_SCHEMA {
        return Err(ApiError::ClientTooOld);
    }
    Ok(SyncClient { version, schema })
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

impl<S: Send + Sync> FromRequestParts<S> for SyncClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        check(
            header(&parts.headers, CLIENT_HEADER),
            header(&parts.headers, SCHEMA_HEADER),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_current_and_newer_clients() {
        assert!(check(Some("minsheng-desktop/0.1.0"), Some("1")).is_ok());
        assert!(check(Some("minsheng-desktop/1.2.3-beta.1"), Some("1")).is_ok());
        let newest = MAX_CLIENT_SCHEMA.to_string();
        assert!(check(Some("minsheng-desktop/0.1.0"), Some(&newest)).is_ok());
    }

    #[test]
    fn refuses_old_unknown_or_malformed_clients() {
        let too_new = (MAX_CLIENT_SCHEMA + 1).to_string();
        for (c, s) in [
            (Some("minsheng-desktop/0.0.9"), Some("1")),
            (Some("minsheng-desktop/0.1.0"), Some(too_new.as_str())),
            (Some("minsheng-desktop/0.1.0"), Some("0")),
            (Some("minsheng-desktop/0.1"), Some("1")),
            (Some("other-app/9.9.9"), Some("1")),
            (None, Some("1")),
            (Some("minsheng-desktop/0.1.0"), None),
        ] {
            assert!(
                matches!(check(c, s), Err(ApiError::ClientTooOld)),
                "{c:?} {s:?}"
            );
        }
    }
}
