//! Staff accounts: the unit's people (unit heads assign officers) and, for the admin,
//! the directory and every change to an account (rules and audit in `crate::users`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use minsheng_domain::capability::Capability;
use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::role::Role;
use serde::{Deserialize, Serialize};

use super::auth::UserView;
use super::notify::require_can;
use super::{ApiJson, ApiQuery};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::state::{AppState, SharedState};
use crate::users::{self, NewAccount, UserUpdate};
use minsheng_store::admin::UserQuery;
use minsheng_store::UserRecord;

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_users,
    search_users,
    create_user,
    update_user,
    edit_user,
    set_user_active,
    reset_user_password,
))]
pub struct UsersApi;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route("/users/search", get(search_users))
        .route("/users/{id}", patch(update_user).put(edit_user))
        .route("/users/{id}/active", put(set_user_active))
        .route("/users/{id}/password", post(reset_user_password))
}

fn parse_unit(raw: Option<&str>) -> Result<Option<UnitId>, ApiError> {
    match raw.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => {
            Ok(Some(u.parse().map_err(|_| {
                ApiError::BadRequest(format!("单位 id 无效：{u}"))
            })?))
        }
        None => Ok(None),
    }
}

fn user_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("用户"))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserFilter {
    /// Only this unit's users (admins; others may name only their own unit).
    #[param(format = Uuid)]
    pub unit: Option<String>,
}

/// Users: admins see all; unit heads and officers their own unit (to assign officers).
#[utoipa::path(get, path = "/api/v1/users", params(UserFilter),
    responses((status = 200, body = Vec<UserView>), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_users(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(f): ApiQuery<UserFilter>,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let unit = parse_unit(f.unit.as_deref())?;
    let unit = match auth.actor.role {
        Role::Admin => unit,
        Role::UnitHead | Role::Officer if unit.is_none_or(|u| u == auth.actor.unit_id) => {
            Some(auth.actor.unit_id)
        }
        _ => return Err(ApiError::Forbidden),
    };
    state
        .blocking(move |s| {
            let org = s.org();
            Ok(Json(
                s.store
                    .list_users(unit)?
                    .iter()
                    .map(|u| UserView::new(u, &org))
                    .collect(),
            ))
        })
        .await
}

/// An account as the admin's directory shows it (never the password hash).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    #[schema(value_type = uuid::Uuid)]
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The role's Chinese name.
    pub role_name: String,
    #[schema(value_type = uuid::Uuid)]
    pub unit_id: UnitId,
    pub unit_name: Option<String>,
    /// The staff member's own phone (for SMS copies of notifications), if any.
    pub phone: Option<String>,
    pub active: bool,
    /// Set by an admin-chosen password: replaced at the next sign-in.
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
    pub password_changed_at: DateTime<Utc>,
}

impl AccountView {
    fn new(u: &UserRecord, s: &AppState) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            role_name: u.role.label_zh().to_owned(),
            unit_id: u.unit_id,
            unit_name: s.org().get(u.unit_id).map(|x| x.name.clone()),
            phone: u.phone.clone(),
            active: u.active,
            must_change_password: u.must_change_password,
            created_at: u.created_at,
            password_changed_at: u.password_changed_at,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectoryParams {
    /// Only this unit's accounts.
    #[param(format = Uuid)]
    pub unit: Option<String>,
    /// Only this role (its code).
    pub role: Option<Role>,
    /// Part of the username or the display name.
    #[param(max_length = 50)]
    pub q: Option<String>,
    /// Only active (`true`) or disabled (`false`) accounts.
    pub active: Option<bool>,
    /// `nextCursor` of the previous page.
    #[param(max_length = 64)]
    pub cursor: Option<String>,
    /// Page size, clamped to 1–200 (default 50).
    pub limit: Option<usize>,
}

/// One page of the directory, by username.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountPage {
    pub items: Vec<AccountView>,
    /// Accounts matching the filters (all pages).
    pub total: u64,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The admin's user directory: filtered by unit, role, name and activity, in pages.
#[utoipa::path(get, path = "/api/v1/users/search", params(DirectoryParams),
    responses((status = 200, body = AccountPage), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn search_users(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<DirectoryParams>,
) -> Result<Json<AccountPage>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    let q = UserQuery {
        unit: parse_unit(p.unit.as_deref())?,
        role: p.role,
        text: p
            .q
            .map(|t| t.trim().chars().take(50).collect::<String>())
            .filter(|t| !t.is_empty()),
        active: p.active,
        after: p.cursor.filter(|c| !c.is_empty()),
        limit: p.limit.unwrap_or(50).clamp(1, 200),
    };
    state
        .blocking(move |s| {
            let page = users::search(s, &q)?;
            Ok(Json(AccountPage {
                items: page.items.iter().map(|u| AccountView::new(u, s)).collect(),
                total: page.total,
                next_cursor: page.next,
            }))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUser {
    /// 3–32 letters, digits or `- _ .` (surrounding spaces are trimmed); 409 when taken.
    #[schema(pattern = r"^\s*[A-Za-z0-9._-]{3,32}\s*$")]
    pub username: String,
    /// 1–30 characters after trimming.
    #[schema(min_length = 1, max_length = 30, pattern = r"\S")]
    pub display_name: String,
    /// A role code or its Chinese name (not `system`); it must fit the unit's level
    /// (422 `ROLE_UNIT_MISMATCH`).
    #[schema(
        pattern = r"^(clerk|officer|unitHead|supervisor|leader|followUp|admin|受理员|承办民警|所队长|督办员|市局领导|回访员|管理员)$"
    )]
    pub role: String,
    #[schema(value_type = uuid::Uuid)]
    pub unit_id: UnitId,
    /// Mobile or landline (blank: none; else 422 when invalid).
    pub phone: Option<String>,
    /// At least 8 characters with three of: upper case, lower case, digits, symbols
    /// (else 422); at most 128 bytes.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

/// Creates an account (the operator's CLI too, audited as the system).
pub fn create_user_record(s: &AppState, req: &NewUser) -> Result<UserRecord, ApiError> {
    users::create(s, None, &account(req))
}

fn account(req: &NewUser) -> NewAccount {
    NewAccount {
        username: req.username.clone(),
        display_name: req.display_name.clone(),
        role: req.role.clone(),
        unit_id: req.unit_id,
        phone: req.phone.clone(),
        password: req.password.clone(),
    }
}

/// Creates an account (admin); its password must be changed at the first sign-in.
#[utoipa::path(post, path = "/api/v1/users", request_body = NewUser,
    responses((status = 201, body = UserView), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_user(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(req): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    require_can(&auth, Capability::Administer)?;
    state
        .blocking(move |s| {
            let rec = users::create(s, Some(&auth.actor), &account(&req))?;
            Ok((StatusCode::CREATED, Json(UserView::new(&rec, &s.org()))))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserPatch {
    /// Unchanged when blank.
    pub display_name: Option<String>,
    /// A role code or its Chinese name (not `system`); ends the user's sessions.
    #[schema(
        pattern = r"^(clerk|officer|unitHead|supervisor|leader|followUp|admin|受理员|承办民警|所队长|督办员|市局领导|回访员|管理员)$"
    )]
    pub role: Option<String>,
    /// Ends the user's sessions.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub unit_id: Option<UnitId>,
    pub active: Option<bool>,
    /// Admin password reset; ends the user's sessions, and the user must change it at
    /// the next sign-in. Same policy as at creation (else 422).
    #[schema(min_length = 8, max_length = 128)]
    pub password: Option<String>,
}

async fn change(
    state: SharedState,
    auth: Authed,
    id: String,
    change: UserUpdate,
    action: &'static str,
) -> Result<Json<AccountView>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    let id = user_id(&id)?;
    state
        .blocking(move |s| {
            let u = users::update(s, &auth.actor, id, &change, action)?;
            Ok(Json(AccountView::new(&u, s)))
        })
        .await
}

/// Changes any of an account's fields (admin); the role must fit the unit (422
/// `ROLE_UNIT_MISMATCH`) and the last active admin stays one (409 `LAST_ADMIN`).
#[utoipa::path(patch, path = "/api/v1/users/{id}", params(("id" = uuid::Uuid, Path, description = "用户 id")), request_body = UserPatch,
    responses((status = 200, body = UserView), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_user(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<UserPatch>,
) -> Result<Json<UserView>, ApiError> {
    let update = UserUpdate {
        display_name: p.display_name,
        role: p.role,
        unit_id: p.unit_id,
        active: p.active,
        password: p.password,
    };
    require_can(&auth, Capability::Administer)?;
    let id = user_id(&id)?;
    state
        .blocking(move |s| {
            let u = users::update(s, &auth.actor, id, &update, "updateUser")?;
            Ok(Json(UserView::new(&u, &s.org())))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountEdit {
    /// 1–30 characters after trimming.
    #[schema(min_length = 1, max_length = 30, pattern = r"\S")]
    pub display_name: String,
    /// The role code; it must fit the unit's level (422 `ROLE_UNIT_MISMATCH`).
    pub role: Role,
    #[schema(value_type = uuid::Uuid)]
    pub unit_id: UnitId,
}

/// Edits an account's name, role and unit (admin, 系统管理 › 用户管理). A new role or
/// unit ends the account's sessions; the last active admin keeps the admin role (409
/// `LAST_ADMIN`). Audited as `updateUser` with before and after.
#[utoipa::path(put, path = "/api/v1/users/{id}", params(("id" = uuid::Uuid, Path, description = "用户 id")), request_body = AccountEdit,
    responses((status = 200, body = AccountView), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn edit_user(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(e): ApiJson<AccountEdit>,
) -> Result<Json<AccountView>, ApiError> {
    if e.display_name.trim().is_empty() {
        return Err(ApiError::BadRequest("姓名不能为空".into()));
    }
    let update = UserUpdate {
        display_name: Some(e.display_name),
        role: Some(e.role.code().to_owned()),
        unit_id: Some(e.unit_id),
        ..UserUpdate::default()
    };
    change(state, auth, id, update, "updateUser").await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActiveChange {
    pub active: bool,
}

/// Disables (ends its sessions) or enables an account (admin). The last active admin
/// cannot be disabled (409 `LAST_ADMIN`). Audited as `disableUser` / `enableUser`.
#[utoipa::path(put, path = "/api/v1/users/{id}/active", params(("id" = uuid::Uuid, Path, description = "用户 id")), request_body = ActiveChange,
    responses((status = 200, body = AccountView), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn set_user_active(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(a): ApiJson<ActiveChange>,
) -> Result<Json<AccountView>, ApiError> {
    let action = if a.active {
        "enableUser"
    } else {
        "disableUser"
    };
    let update = UserUpdate {
        active: Some(a.active),
        ..UserUpdate::default()
    };
    change(state, auth, id, update, action).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordReset {
    /// At least 8 characters with three of: upper case, lower case, digits, symbols
    /// (else 422); at most 128 bytes.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

/// Sets a new password chosen by the admin: the account's sessions end and the user
/// must change it at the next sign-in. Audited as `resetUserPassword` (never the
/// password).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", params(("id" = uuid::Uuid, Path, description = "用户 id")), request_body = PasswordReset,
    responses((status = 200, body = AccountView), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn reset_user_password(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<PasswordReset>,
) -> Result<Json<AccountView>, ApiError> {
    let update = UserUpdate {
        password: Some(r.password),
        ..UserUpdate::default()
    };
    change(state, auth, id, update, "resetUserPassword").await
}
