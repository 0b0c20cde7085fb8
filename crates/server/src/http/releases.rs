//! Desktop releases over HTTP: the admin publishes (multipart: package, signature,
//! notes), lists and withdraws; every signed-in desktop asks for its update in the
//! Tauri updater's manifest format and downloads the package, streamed chunk by chunk
//! from the database. None of this is behind the sync version gate, so a desktop too
//! old to sync can always fetch its update. Rules in `crate::releases`.

use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use minsheng_store::releases::ReleaseRecord;
use serde::Serialize;

use crate::auth::Authed;
use crate::error::ApiError;
use crate::releases::{self, Upload};
use crate::state::SharedState;

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    publish_release,
    list_releases,
    withdraw_release,
    update_manifest,
    release_file
))]
pub struct ReleasesApi;

/// Routes with the short deadline.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/releases", get(list_releases))
        .route("/releases/{id}/withdraw", post(withdraw_release))
        .route("/updates/{target}/{bundle}/{current}", get(update_manifest))
}

/// The upload and the download: long deadline, the upload with its own body limit.
pub fn long_routes() -> Router<SharedState> {
    let limit = usize::try_from(releases::MAX_PACKAGE_BYTES).unwrap_or(usize::MAX) + 1024 * 1024;
    Router::new()
        .route(
            "/releases",
            post(publish_release).layer(axum::extract::DefaultBodyLimit::max(limit)),
        )
        .route("/releases/{id}/file", get(release_file))
}

/// A published desktop release.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseSummary {
    pub id: String,
    pub version: String,
    /// `linux-x86_64` or `windows-x86_64`.
    pub target: String,
    /// `deb`, `appimage`, `nsis` or `msi`.
    pub bundle: String,
    pub notes: String,
    pub file_name: String,
    pub size: u64,
    /// SHA-256 of the package, hex.
    pub sha256: String,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    pub withdrawn: bool,
}

impl From<ReleaseRecord> for ReleaseSummary {
    fn from(r: ReleaseRecord) -> Self {
        Self {
            id: r.id,
            version: r.version,
            target: r.target,
            bundle: r.bundle,
            notes: r.notes,
            file_name: r.file_name,
            size: r.size,
            sha256: r.sha256,
            published_at: r.published_at,
            published_by: r.published_by_name,
            withdrawn: r.withdrawn_at.is_some(),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReleaseList {
    pub items: Vec<ReleaseSummary>,
}

/// The multipart form of an upload (documentation only; read field by field).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ReleaseUpload {
    /// Semantic version, e.g. `0.2.0`.
    version: String,
    /// `linux-x86_64` or `windows-x86_64`.
    target: String,
    /// `deb`, `appimage`, `nsis` or `msi`.
    bundle: String,
    /// 更新说明 shown to users (1–4000 characters).
    notes: String,
    /// The package's `.sig` file content (base64 minisign signature, Tauri updater format).
    signature: String,
    /// The package.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn form_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("上传表单无法读取：{e}"))
}

async fn read_upload(mut form: Multipart) -> Result<Upload, ApiError> {
    let mut up = Upload {
        version: String::new(),
        target: String::new(),
        bundle: String::new(),
        notes: String::new(),
        signature: String::new(),
        file_name: String::new(),
        content: Vec::new(),
    };
    while let Some(field) = form.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            up.file_name = field.file_name().unwrap_or_default().to_owned();
            up.content = field.bytes().await.map_err(form_error)?.to_vec();
            continue;
        }
        let text = field.text().await.map_err(form_error)?;
        match name.as_str() {
            "version" => up.version = text,
            "target" => up.target = text,
            "bundle" => up.bundle = text,
            "notes" => up.notes = text,
            "signature" => up.signature = text,
            other => return Err(ApiError::BadRequest(format!("未知的表单字段 {other}"))),
        }
    }
    Ok(up)
}

/// 发布客户端版本 (admin): the package is accepted only when its signature verifies with
/// the city's updater key for the declared version, and the version is newer than every
/// release before it for the same target and bundle. Audited.
#[utoipa::path(post, path = "/api/v1/releases",
    request_body(content = ReleaseUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = ReleaseSummary),
              (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn publish_release(
    State(state): State<SharedState>,
    auth: Authed,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<ReleaseSummary>), ApiError> {
    if !auth
        .actor
        .role
        .can(minsheng_domain::capability::Capability::Administer)
    {
        return Err(ApiError::Forbidden);
    }
    let up = read_upload(form.map_err(form_error)?).await?;
    let rec = state
        .blocking(move |s| releases::publish(s, &auth.actor, up))
        .await?;
    Ok((StatusCode::CREATED, Json(rec.into())))
}

/// 版本发布: every release, newest first (admin).
#[utoipa::path(get, path = "/api/v1/releases",
    responses((status = 200, body = ReleaseList), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_releases(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<ReleaseList>, ApiError> {
    state
        .blocking(move |s| {
            let items = releases::list(s, &auth.actor)?;
            Ok(Json(ReleaseList {
                items: items.into_iter().map(Into::into).collect(),
            }))
        })
        .await
}

/// 撤回: the release is no longer offered or served (admin; audited).
#[utoipa::path(post, path = "/api/v1/releases/{id}/withdraw",
    params(("id" = String, Path, description = "release id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn withdraw_release(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .blocking(move |s| releases::withdraw(s, &auth.actor, &id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The Tauri updater's dynamic manifest.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpdateManifest {
    pub version: String,
    /// 更新说明.
    pub notes: String,
    /// RFC 3339.
    pub pub_date: DateTime<Utc>,
    /// Absolute address of the package.
    pub url: String,
    /// The package's signature (base64 minisign, checked by the desktop with its key).
    pub signature: String,
}

/// Where desktops reach this server: the configured public URL, else the request's Host.
fn base_url(state: &SharedState, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(url) = &state.settings.public_url {
        return Ok(url.clone());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .ok_or_else(|| ApiError::BadRequest("请求缺少 Host".into()))?;
    Ok(format!("http://{host}"))
}

/// 检查更新 (any signed-in user): 204 when nothing newer than `current` is offered for
/// this target and bundle; else the newest release, in the Tauri updater's format.
#[utoipa::path(get, path = "/api/v1/updates/{target}/{bundle}/{current}",
    params(("target" = String, Path, description = "linux-x86_64 or windows-x86_64"),
           ("bundle" = String, Path, description = "deb, appimage, nsis or msi"),
           ("current" = String, Path, description = "the desktop's version")),
    responses((status = 200, body = UpdateManifest), (status = 204, description = "up to date"),
              (status = 401, body = crate::error::ErrorBody)))]
pub async fn update_manifest(
    State(state): State<SharedState>,
    _auth: Authed,
    headers: HeaderMap,
    Path((target, bundle, current)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let base = base_url(&state, &headers)?;
    state
        .blocking(move |s| {
            Ok(match releases::offer(s, &target, &bundle, &current)? {
                None => StatusCode::NO_CONTENT.into_response(),
                Some(r) => Json(UpdateManifest {
                    url: format!("{base}/api/v1/releases/{}/file", r.id),
                    version: r.version,
                    notes: r.notes,
                    pub_date: r.published_at,
                    signature: r.signature,
                })
                .into_response(),
            })
        })
        .await
}

/// The package (any signed-in user), streamed from the database chunk by chunk.
#[utoipa::path(get, path = "/api/v1/releases/{id}/file",
    params(("id" = String, Path, description = "release id")),
    responses((status = 200, description = "the package", content_type = "application/octet-stream", body = Vec<u8>),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn release_file(
    State(state): State<SharedState>,
    _auth: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rec = {
        let id = id.clone();
        state
            .blocking(move |s| releases::downloadable(s, &id))
            .await?
    };
    // One chunk in memory per download, however many desktops update at once; a
    // database failure mid-way ends the body short, which the desktop's signature check
    // refuses.
    let chunks = futures_util::stream::unfold(Some((state, id, 0u64)), |next| async move {
        let (state, id, index) = next?;
        let key = id.clone();
        let chunk = state
            .blocking(move |s| Ok(s.store.release_chunk(&key, index)?))
            .await;
        match chunk {
            Ok(Some(bytes)) => Some((Ok(bytes), Some((state, id, index + 1)))),
            Ok(None) => None,
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    });
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, rec.size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                super::attachments::disposition(&rec.file_name),
            ),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}
