//! Login, token refresh, logout, current user, password change.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::auth::{
    check_password_policy, hash_password, issue_login_tokens, must_change_password,
    refresh_session, reserve_password_check, verify_password, Authed,
};
use crate::error::ApiError;
use crate::state::SharedState;
use minsheng_store::{AuditRecord, UserRecord};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordChange {
    pub old_password: String,
    /// At least 8 characters with three of: upper case, lower case, digits, symbols
    /// (else 422); at most 128 bytes.
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// A user as shown to clients (never the hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    #[schema(value_type = String)]
    pub id: minsheng_domain::ids::UserId,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_name: String,
    #[schema(value_type = String)]
    pub unit_id: minsheng_domain::ids::UnitId,
    pub unit_name: Option<String>,
    pub active: bool,
}

impl UserView {
    pub fn new(u: &UserRecord, org: &minsheng_domain::org::OrgTree) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.code().to_owned(),
            role_name: u.role.label_zh().to_owned(),
            unit_id: u.unit_id,
            unit_name: org.get(u.unit_id).map(|x| x.name.clone()),
            active: u.active,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_expires_at: DateTime<Utc>,
    pub user: UserView,
    /// The password was set by an admin or is older than the maximum age (等保): the
    /// client keeps the user on the password change until it is done.
    pub must_change_password: bool,
}

impl TokenResponse {
    fn new(t: crate::auth::IssuedTokens, user: &UserRecord, s: &crate::state::AppState) -> Self {
        Self {
            access_expires_at: t.session.access_expires,
            refresh_expires_at: t.session.refresh_expires,
            must_change_password: must_change_password(s, user, t.session.created_at),
            access_token: t.access,
            refresh_token: t.refresh,
            user: UserView::new(user, &s.org()),
        }
    }
}

/// The signed-in user, and whether they must change their password now.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeView {
    #[serde(flatten)]
    pub user: UserView,
    pub must_change_password: bool,
}

/// A real argon2id hash, verified against when the user does not exist so the
/// response time does not reveal which usernames exist.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("不存在的用户-dummy").unwrap_or_default())
}

/// Logs in. Each password check is reserved first (per account, and per address for
/// accounts never logged in from it; see `auth::reserve_password_check`), so a burst of
/// parallel guesses computes at most the allowed number of hashes.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    state
        .blocking(move |s| {
            let now = s.now();
            let username = req.username.trim().to_owned();
            // Unknown usernames are reserved and hashed like real ones: neither the
            // throttle nor the response time tells which usernames exist.
            let check = reserve_password_check(s, &username, addr.ip(), now)?;
            let user = s.store.user_by_username(&username)?;
            let ok = match &user {
                Some(u) => verify_password(&req.password, &u.password_hash),
                None => {
                    let _ = verify_password(&req.password, dummy_hash());
                    false
                }
            };
            let Some(user) = user.filter(|_| ok) else {
                // The reservation stays as the failure record.
                tracing::warn!(username = %username, "login failed");
                return Err(ApiError::BadCredentials);
            };
            if !user.active {
                check.release(s)?;
                return Err(ApiError::AccountDisabled);
            }
            let detail = format!("ip:{}", check.ip());
            check.succeeded(s, now)?;
            let t = issue_login_tokens(s, &user, now);
            s.store.insert_session(&t.session)?;
            s.store.audit(&AuditRecord {
                at: now,
                user_id: user.id,
                action: "login".into(),
                target: user.username.clone(),
                detail,
            })?;
            Ok(Json(TokenResponse::new(t, &user, s)))
        })
        .await
}

/// Exchanges a refresh token for a new token pair; the old refresh token stops working.
/// Presenting an exchanged token again ends that login everywhere (401 `REFRESH_REUSED`);
/// a login older than its absolute lifetime answers 401 `SESSION_EXPIRED`.
#[utoipa::path(post, path = "/api/v1/auth/refresh", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn refresh(
    State(state): State<SharedState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    state
        .blocking(move |s| {
            let (t, user) = refresh_session(s, &req.refresh_token, s.now())?;
            Ok(Json(TokenResponse::new(t, &user, s)))
        })
        .await
}

/// Revokes the current session (both tokens).
#[utoipa::path(post, path = "/api/v1/auth/logout", responses((status = 204, description = "Session ended")))]
pub async fn logout(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<StatusCode, ApiError> {
    state
        .blocking(move |s| {
            s.store.delete_session(&auth.session_id)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/auth/me", responses((status = 200, body = MeView)))]
pub async fn me(State(state): State<SharedState>, auth: Authed) -> Json<MeView> {
    Json(MeView {
        must_change_password: must_change_password(&state, &auth.user, state.now()),
        user: UserView::new(&auth.user, &state.org()),
    })
}

/// Changes the caller's password and ends all their sessions. The old password is
/// checked through the same per-account reservation as a login: a wrong one counts as a
/// failed login attempt, and after the limit the answer is 429 without hashing.
#[utoipa::path(post, path = "/api/v1/auth/password", request_body = PasswordChange,
    responses((status = 204, description = "Password changed; every session ended"),
              (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody)))]
pub async fn change_password(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    auth: Authed,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let state2 = Arc::clone(&state);
    state2
        .blocking(move |s| {
            // The policy needs no hash, so a weak new password costs no attempt.
            check_password_policy(&req.new_password)?;
            let now = s.now();
            let check = reserve_password_check(s, &auth.user.username, addr.ip(), now)?;
            if !verify_password(&req.old_password, &auth.user.password_hash) {
                tracing::warn!(username = %auth.user.username, "password change: wrong old password");
                return Err(ApiError::BadCredentials);
            }
            check.succeeded(s, now)?;
            let mut u = auth.user.clone();
            u.password_hash = hash_password(&req.new_password)?;
            u.password_changed_at = now;
            u.must_change_password = false;
            s.store.update_user(&u)?;
            s.store.delete_user_sessions(u.id)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}
