//! Organisation tree (users: `super::users`; the audit log: `super::audit`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use minsheng_domain::ids::UnitId;
use minsheng_domain::org::{Jurisdiction, PoliceLine, Unit, UnitKind, UnitLevel};
use minsheng_domain::org_edit::UnitEdit;
use minsheng_domain::role::Role;
use serde::Deserialize;

use super::ApiJson;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::state::SharedState;
use crate::units::UnitChanged;

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
            let level = UnitLevel::try_from(req.level).map_err(ApiError::BadRequest)?;
            let name = req.name.trim();
            let code = req.code.trim();
            if name.is_empty() || code.is_empty() || name.chars().count() > 60 || code.len() > 40 {
                return Err(ApiError::BadRequest(
                    "单位名称和代码不能为空且不宜过长".into(),
                ));
            }
            let unit = Unit {
                id: UnitId::mint(s.now()),
                code: code.to_owned(),
                name: name.to_owned(),
                level,
                parent: req.parent,
                kind: req.kind,
                police_line: req.police_line,
                jurisdiction: req.jurisdiction,
                active: true,
            };
            let unit = crate::units::create_unit(s, &auth.actor, unit)?;
            Ok((StatusCode::CREATED, Json(unit)))
        })
        .await
}

/// Changes a unit (admins only): rename, re-code, move under another parent, kind,
/// police line, jurisdiction, disable or enable. A cycle, a parent that is not one level
/// up or a taken code is 422 `INVALID_ORG`; disabling a unit that still has people, open
/// cases or enabled units below is 422 `UNIT_IN_USE`. A move re-scopes the cases.
#[utoipa::path(patch, path = "/api/v1/units/{id}", request_body = UnitEdit,
    params(("id" = String, Path, description = "unit id")),
    responses((status = 200, body = UnitChanged), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_unit(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(edit): ApiJson<UnitEdit>,
) -> Result<Json<UnitChanged>, ApiError> {
    require_admin(&auth)?;
    let id: UnitId = id.parse().map_err(|_| ApiError::NotFound("单位"))?;
    let changed = state
        .blocking(move |s| crate::units::update_unit(s, &auth.actor, id, &edit))
        .await?;
    Ok(Json(changed))
}
