//! Organisation tree, users (admin) and the audit log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::org::{Jurisdiction, OrgTree, PoliceLine, Unit, UnitKind, UnitLevel};
use minsheng_domain::role::Role;
use serde::{Deserialize, Serialize};

use super::auth::UserView;
use super::{ApiJson, ApiQuery};
use crate::auth::{check_password_policy, hash_password, Authed};
use crate::error::ApiError;
use crate::state::{AppState, SharedState};
use crate::storage::{AuditRecord, UserRecord};

fn require_admin(auth: &Authed) -> Result<(), ApiError> {
    if auth.actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// The whole org tree (every signed-in user needs it to read unit names and route).
#[utoipa::path(get, path = "/api/v1/units", responses((status = 200, body = Vec<Unit>)))]
pub async fn list_units(State(state): State<SharedState>, _auth: Authed) -> Json<Vec<Unit>> {
    let org = state.org();
    let mut units: Vec<Unit> = org.units().cloned().collect();
    units.sort_by(|a, b| (a.level, &a.code).cmp(&(b.level, &b.code)));
    Json(units)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUnit {
    /// Unique unit code, 1–40 bytes after trimming (e.g. `JN-LX-QCL`).
    #[schema(min_length = 1, max_length = 40, pattern = r"\S")]
    pub code: String,
    /// 1–60 characters after trimming.
    #[schema(min_length = 1, max_length = 60, pattern = r"\S")]
    pub name: String,
    /// 1 市局, 2 分局/县局/支队, 3 科所队.
    #[schema(minimum = 1, maximum = 3)]
    pub level: u8,
    pub parent: Option<UnitId>,
    pub kind: UnitKind,
    pub police_line: Option<PoliceLine>,
    #[serde(default)]
    pub jurisdiction: Jurisdiction,
}

#[utoipa::path(post, path = "/api/v1/units", request_body = NewUnit,
    responses((status = 201, body = Unit), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_unit(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(req): ApiJson<NewUnit>,
) -> Result<(StatusCode, Json<Unit>), ApiError> {
    require_admin(&auth)?;
    state
        .blocking(move |s| {
            let now = s.now();
            let level = UnitLevel::try_from(req.level).map_err(ApiError::BadRequest)?;
            let name = req.name.trim();
            let code = req.code.trim();
            if name.is_empty() || code.is_empty() || name.chars().count() > 60 || code.len() > 40 {
                return Err(ApiError::BadRequest(
                    "单位名称和代码不能为空且不宜过长".into(),
                ));
            }
            let unit = Unit {
                id: UnitId::mint(now),
                code: code.to_owned(),
                name: name.to_owned(),
                level,
                parent: req.parent,
                kind: req.kind,
                police_line: req.police_line,
                jurisdiction: req.jurisdiction,
            };
            // Validate the tree with the new unit before writing anything.
            let mut all: Vec<Unit> = s.org().units().cloned().collect();
            if all.iter().any(|u| u.code == unit.code) {
                return Err(ApiError::AlreadyExists(format!("单位代码“{}”", unit.code)));
            }
            all.push(unit.clone());
            OrgTree::new(all)?;
            s.store.insert_units(std::slice::from_ref(&unit))?;
            s.reload_org()?;
            audit(s, &auth, "createUnit", &unit.code)?;
            Ok((StatusCode::CREATED, Json(unit)))
        })
        .await
}

fn audit(s: &AppState, auth: &Authed, action: &str, target: &str) -> Result<(), ApiError> {
    s.store.audit(&AuditRecord {
        at: s.now(),
        user_id: auth.actor.user_id,
        action: action.into(),
        target: target.into(),
        detail: String::new(),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserFilter {
    /// Only this unit's users (admins; others may name only their own unit).
    #[param(format = Uuid)]
    pub unit: Option<String>,
}

/// Users: admins see all; unit heads see their own unit (to assign officers).
#[utoipa::path(get, path = "/api/v1/users", params(UserFilter),
    responses((status = 200, body = Vec<UserView>), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_users(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(f): ApiQuery<UserFilter>,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let unit: Option<UnitId> = match f.unit.as_deref().filter(|u| !u.is_empty()) {
        Some(u) => Some(
            u.parse()
                .map_err(|_| ApiError::BadRequest(format!("单位 id 无效：{u}")))?,
        ),
        None => None,
    };
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUser {
    /// 3–32 letters, digits or `- _ .` (surrounding spaces are trimmed).
    #[schema(pattern = r"^\s*[A-Za-z0-9._-]{3,32}\s*$")]
    pub username: String,
    /// 1–30 characters after trimming.
    #[schema(min_length = 1, max_length = 30, pattern = r"\S")]
    pub display_name: String,
    /// A role code or its Chinese name (not `system`).
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

pub fn create_user_record(s: &AppState, req: &NewUser) -> Result<UserRecord, ApiError> {
    let username = req.username.trim();
    let valid_name = (3..=32).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid_name {
        return Err(ApiError::BadRequest(
            "用户名为3–32位字母、数字或 - _ .".into(),
        ));
    }
    let role = Role::from_code(&req.role)
        .filter(|r| *r != Role::System)
        .ok_or_else(|| ApiError::BadRequest(format!("未知角色：{}", req.role)))?;
    if s.org().get(req.unit_id).is_none() {
        return Err(ApiError::Domain(minsheng_domain::DomainError::UnknownUnit(
            req.unit_id.to_string(),
        )));
    }
    let display = req.display_name.trim();
    if display.is_empty() || display.chars().count() > 30 {
        return Err(ApiError::BadRequest("姓名不能为空且不超过30个字".into()));
    }
    let phone = req
        .phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .map(minsheng_domain::citizen::Phone::parse)
        .transpose()?;
    check_password_policy(&req.password)?;
    let rec = UserRecord {
        id: UserId::mint(s.now()),
        username: username.to_owned(),
        display_name: display.to_owned(),
        role,
        unit_id: req.unit_id,
        phone: phone.map(String::from),
        password_hash: hash_password(&req.password)?,
        active: true,
        created_at: s.now(),
        // Chosen by an admin (or the operator's CLI): the user replaces it at sign-in.
        password_changed_at: s.now(),
        must_change_password: true,
    };
    s.store.insert_user(&rec)?;
    Ok(rec)
}

#[utoipa::path(post, path = "/api/v1/users", request_body = NewUser,
    responses((status = 201, body = UserView), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_user(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(req): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    require_admin(&auth)?;
    state
        .blocking(move |s| {
            let rec = create_user_record(s, &req)?;
            audit(s, &auth, "createUser", &rec.username)?;
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

#[utoipa::path(patch, path = "/api/v1/users/{id}", params(("id" = uuid::Uuid, Path, description = "用户 id")), request_body = UserPatch,
    responses((status = 200, body = UserView), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_user(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<UserPatch>,
) -> Result<Json<UserView>, ApiError> {
    require_admin(&auth)?;
    let id: UserId = id.parse().map_err(|_| ApiError::NotFound("用户"))?;
    let change = crate::users::UserUpdate {
        display_name: p.display_name,
        role: p.role,
        unit_id: p.unit_id,
        active: p.active,
        password: p.password,
    };
    state
        .blocking(move |s| {
            let u = crate::users::update_user(s, &auth.actor, id, &change)?;
            Ok(Json(UserView::new(&u, &s.org())))
        })
        .await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    pub at: chrono::DateTime<chrono::Utc>,
    pub user_id: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[utoipa::path(get, path = "/api/v1/audit", responses((status = 200, body = Vec<AuditView>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn audit_log(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    require_admin(&auth)?;
    state
        .blocking(|s| {
            Ok(Json(
                s.store
                    .audit_log(500)?
                    .into_iter()
                    .map(|a| AuditView {
                        at: a.at,
                        user_id: a.user_id.to_string(),
                        action: a.action,
                        target: a.target,
                        detail: a.detail,
                    })
                    .collect(),
            ))
        })
        .await
}

/// Verifies the audit log's hash chain (等保: audit records protected from change): the
/// first record that was changed, removed or reordered, if any.
#[utoipa::path(get, path = "/api/v1/audit/verify",
    responses((status = 200, body = minsheng_domain::timeline::ChainReport), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn verify_audit(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<minsheng_domain::timeline::ChainReport>, ApiError> {
    require_admin(&auth)?;
    state
        .blocking(|s| {
            Ok(Json(minsheng_domain::audit::verify_audit_chain(
                &s.store.audit_chain()?,
            )))
        })
        .await
}
