//! Passwords (argon2id), opaque bearer tokens stored as SHA-256 hashes, throttling,
//! and the extractor that turns a request into an authenticated `Actor`.

use std::net::IpAddr;
use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use minsheng_domain::role::Actor;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::{AppState, SharedState};
use minsheng_store::{
    AuditRecord, LoginAttemptId, RetiredRefresh, Rotation, SessionRecord, UserRecord,
};

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(ApiError::internal)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(ApiError::internal)?
        .to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Password policy for new and changed passwords.
pub fn check_password_policy(password: &str) -> Result<(), ApiError> {
    let long = password.chars().count() >= 8;
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if long && classes.iter().filter(|b| **b).count() >= 3 && password.len() <= 128 {
        Ok(())
    } else {
        Err(ApiError::Domain(
            minsheng_domain::DomainError::InvalidField {
                field: "password",
                reason: "密码至少8位，且包含大写字母、小写字母、数字、符号中的三种".into(),
            },
        ))
    }
}

/// A password check reserved by `reserve_password_check`. Dropping it without calling
/// `succeeded` or `release` leaves the reservation as a failed attempt (also when the
/// process dies while hashing), so a check is counted before it is made.
#[must_use = "a reservation left alone counts as a failed attempt"]
pub struct PasswordCheck {
    id: LoginAttemptId,
    account: String,
    ip: String,
}

/// Reserves one password check for `account` from `ip` before any hash is computed;
/// `ApiError::Throttled` when the account (or, for an account never logged in from
/// this address, the address) used up its attempts within the window.
///
/// Why not a per-address lockout: a station's desktops share one NAT address, so
/// blocking the address blocks every colleague. The per-account limit bounds guesses
/// at one password from anywhere (no per (address, account) limit is needed on top of
/// it); the far larger per-address limit bounds spraying many accounts, yet it never
/// refuses an account that logged in from this address recently, so colleagues keep
/// working while one of them (or an attacker) is throttled.
pub fn reserve_password_check(
    state: &AppState,
    account: &str,
    ip: IpAddr,
    now: DateTime<Utc>,
) -> Result<PasswordCheck, ApiError> {
    let ip = ip.to_canonical().to_string();
    let limits = state.settings.login_limits();
    match state
        .store
        .reserve_login_attempt(account, &ip, now, &limits)?
    {
        Some(id) => Ok(PasswordCheck {
            id,
            account: account.to_owned(),
            ip,
        }),
        None => {
            tracing::warn!(account, %ip, "password check throttled");
            Err(ApiError::Throttled(limits.window_secs))
        }
    }
}

impl PasswordCheck {
    /// The password was right: resets the account's failures, remembers the address.
    pub fn succeeded(self, state: &AppState, now: DateTime<Utc>) -> Result<(), ApiError> {
        let forget_before = now - Duration::seconds(state.settings.known_address_secs);
        Ok(state
            .store
            .login_succeeded(&self.account, &self.ip, now, forget_before)?)
    }

    /// The password was right but nothing follows (disabled account): not a failure.
    pub fn release(self, state: &AppState) -> Result<(), ApiError> {
        Ok(state.store.release_login_attempt(self.id)?)
    }

    /// The client address as recorded (for the audit log).
    pub fn ip(&self) -> &str {
        &self.ip
    }
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The tokens handed to the client once; only their hashes are kept.
pub struct IssuedTokens {
    pub access: String,
    pub refresh: String,
    pub session: SessionRecord,
}

/// The tokens of a new login: a new session family, which can be refreshed until
/// `now + Settings::session_absolute_secs` and no longer.
pub fn issue_login_tokens(state: &AppState, user: &UserRecord, now: DateTime<Utc>) -> IssuedTokens {
    let family_expires = now + Duration::seconds(state.settings.session_absolute_secs);
    issue_tokens(state, user, now, random_token(), family_expires)
}

/// The next pair of a family; neither token outlives the family's absolute end.
fn issue_tokens(
    state: &AppState,
    user: &UserRecord,
    now: DateTime<Utc>,
    family: String,
    family_expires: DateTime<Utc>,
) -> IssuedTokens {
    let access = random_token();
    let refresh = random_token();
    let session = SessionRecord {
        id: random_token(),
        user_id: user.id,
        access_hash: token_hash(&access),
        access_expires: (now + state.settings.access_ttl).min(family_expires),
        refresh_hash: token_hash(&refresh),
        refresh_expires: (now + state.settings.refresh_ttl).min(family_expires),
        created_at: now,
        family,
        family_expires,
    };
    IssuedTokens {
        access,
        refresh,
        session,
    }
}

/// Exchanges a refresh token for the next pair of its family (the old token stops
/// working and is remembered as retired).
///
/// * A retired token presented again was copied (only one party can hold the current
///   one): every session of its family ends, the event is audited, and the answer is
///   `RefreshReused`. No grace window: the desktop makes its refreshes single-flight
///   (`minsheng_client` `SyncEngine`), so a legitimate client never sends a retired
///   token, and a window would hand a thief who replays quickly a live pair.
/// * A family past its absolute end answers `SessionExpired`: sign in again.
pub fn refresh_session(
    state: &AppState,
    refresh_token: &str,
    now: DateTime<Utc>,
) -> Result<(IssuedTokens, UserRecord), ApiError> {
    let hash = token_hash(refresh_token);
    let Some(live) = state.store.session_by_refresh(&hash)? else {
        return match state.store.retired_refresh(&hash)? {
            Some(retired) => Err(end_reused_family(state, &retired, now)?),
            None => Err(ApiError::TokenExpired),
        };
    };
    if live.family_expires <= now {
        state.store.delete_session_family(&live.family)?;
        return Err(ApiError::SessionExpired(
            state.settings.session_absolute_secs,
        ));
    }
    if live.refresh_expires <= now {
        state.store.delete_session(&live.id)?;
        return Err(ApiError::TokenExpired);
    }
    let user = state
        .store
        .user(live.user_id)?
        .ok_or(ApiError::Unauthenticated)?;
    if !user.active {
        return Err(ApiError::AccountDisabled);
    }
    let t = issue_tokens(state, &user, now, live.family, live.family_expires);
    match state.store.rotate_session(&hash, &t.session)? {
        Rotation::Rotated(_) => Ok((t, user)),
        // Exchanged by a concurrent request since the lookup: the same reuse.
        Rotation::Retired(retired) => Err(end_reused_family(state, &retired, now)?),
        Rotation::Unknown => Err(ApiError::TokenExpired),
    }
}

/// Ends every session of a family whose retired refresh token came back; audits it.
/// Returns the error to answer with.
fn end_reused_family(
    state: &AppState,
    retired: &RetiredRefresh,
    now: DateTime<Utc>,
) -> Result<ApiError, ApiError> {
    let ended = state.store.delete_session_family(&retired.family)?;
    let target = state
        .store
        .user(retired.user_id)?
        .map_or_else(|| retired.user_id.to_string(), |u| u.username);
    tracing::warn!(%target, ended, "retired refresh token presented again: login ended");
    state.store.audit(&AuditRecord {
        at: now,
        user_id: retired.user_id,
        action: "refreshReuse".into(),
        target,
        detail: format!(
            "endedSessions:{ended} retiredAt:{}",
            retired.retired_at.to_rfc3339()
        ),
    })?;
    Ok(ApiError::RefreshReused)
}

/// 等保 periodic change: an admin-chosen password, or one older than
/// `Settings::password_max_age_days`, must be replaced (login still works).
pub fn must_change_password(state: &AppState, user: &UserRecord, now: DateTime<Utc>) -> bool {
    user.must_change_password
        || now - user.password_changed_at > Duration::days(state.settings.password_max_age_days)
}

/// An authenticated request: the actor plus the session it came with.
#[derive(Debug, Clone)]
pub struct Authed {
    pub actor: Actor,
    pub user: UserRecord,
    pub session_id: String,
}

impl FromRequestParts<SharedState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthenticated)?
            .to_owned();
        let state = Arc::clone(state);
        state
            .blocking(move |s| {
                let session = s
                    .store
                    .session_by_access(&token_hash(&token))?
                    .ok_or(ApiError::Unauthenticated)?;
                if session.access_expires <= s.now() {
                    return Err(ApiError::TokenExpired);
                }
                let user = s
                    .store
                    .user(session.user_id)?
                    .ok_or(ApiError::Unauthenticated)?;
                if !user.active {
                    return Err(ApiError::AccountDisabled);
                }
                let actor = Actor {
                    user_id: user.id,
                    name: user.display_name.clone(),
                    role: user.role,
                    unit_id: user.unit_id,
                };
                Ok(Self {
                    actor,
                    user,
                    session_id: session.id,
                })
            })
            .await
    }
}

/// The admin console's routes: the domain's `Administer` capability (SPEC §2).
pub fn require_administer(actor: &minsheng_domain::role::Actor) -> Result<(), ApiError> {
    if actor
        .role
        .can(minsheng_domain::capability::Capability::Administer)
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}
