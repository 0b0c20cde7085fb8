//! Online-only screens (analytics, assessment, alerts, reports, notifications, 回访):
//! a narrow passthrough to the server's `/api/v1` with the session's token.
//!
//! Only the listed path prefixes pass, so the webview cannot use this door to reach
//! case writes that must go through the offline queue. Offline every call fails with
//! `OFFLINE` and the UI shows its offline state.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tauri::{AppHandle, Manager, Runtime, State};

use super::{accountability, online_admin, online_supervisors};
use crate::session_slot::SessionSlot;
use crate::Error;

/// Paths (under `/api/v1`) the UI may GET.
const GET_PREFIXES: &[&str] = &[
    "/assessment/",
    "/analytics",
    "/alerts",
    "/reports",
    "/dashboard",
    "/notifications",
    "/followups",
    "/knowledge",
    "/intelligence/",
    "/config",
    "/units",
];

/// Paths the UI may POST to: marking notifications read, generating a report, adding
/// a standard reply to the knowledge base and changing the category list (admin; the
/// server checks the role).
const POST_PATHS: &[&str] = &[
    "/notifications/read",
    "/reports",
    "/knowledge",
    "/config/categories",
    "/units",
];

/// POST routes of one record, `prefix{uuid}suffix`: a window-service 回访 answered on the
/// phone (`/followups/{id}/answer`; a case's 回访 is a queued case action instead).
/// A standard reply marked as reviewed (`/knowledge/{id}/review`).
const POST_ID_ROUTES: &[(&str, &str)] = &[("/followups/", "/answer"), ("/knowledge/", "/review")];

/// Paths the UI may PUT to: the caller's own notification preferences; the SLA rules
/// (admin; the server checks the role).
const PUT_PATHS: &[&str] = &["/notifications/preferences", "/config/sla"];

/// PUT routes of one record: editing a standard reply (`/knowledge/{id}`).
const PUT_ID_ROUTES: &[(&str, &str)] = &[("/knowledge/", "")];

/// PATCH routes of one record: a unit changed by the admin (`/units/{id}`).
const PATCH_ID_ROUTES: &[(&str, &str)] = &[("/units/", "")];

/// DELETE routes of one record: retiring a standard reply (`/knowledge/{id}`).
const DELETE_ID_ROUTES: &[(&str, &str)] = &[("/knowledge/", "")];

/// Downloads: Excel exports only.
const DOWNLOAD_SUFFIX: &str = ".xlsx";

/// `path` with its query string removed.
fn route_of(path: &str) -> &str {
    path.split(['?', '#']).next().unwrap_or(path)
}

/// Rejects anything that is not a plain absolute path (no scheme, no `..`, no spaces).
/// The path part may not be percent-encoded at all: URL parsing treats `%2e` as a dot
/// segment (`/alerts/%2e%2e/cases` is `/cases` on the wire), and `%2f`/`%5c` would be
/// separators to a decoding server. Every allowed route is plain ASCII with UUID ids;
/// encoded values belong in the query string only.
fn check_shape(path: &str) -> Result<(), Error> {
    let route = route_of(path);
    let plain = route.starts_with('/')
        && !route.starts_with("//")
        && !route.contains("..")
        && !route.contains('\\')
        && !route.contains('%')
        && !path.chars().any(char::is_whitespace);
    if plain {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!("不允许的地址：{path}")))
    }
}

/// True when `route` is `prefix` itself or continues it at a path or name boundary.
pub(super) fn under(route: &str, prefix: &str) -> bool {
    route.strip_prefix(prefix).is_some_and(|rest| {
        prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/') || rest.starts_with('.')
    })
}

/// Validates a GET path against the allowlist.
pub(crate) fn check_get(path: &str) -> Result<(), Error> {
    check_shape(path)?;
    let route = route_of(path);
    if GET_PREFIXES.iter().any(|p| under(route, p))
        || online_admin::allows_get(route)
        || online_supervisors::allows_get(route)
        || accountability::allows_get(route)
    {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "该地址不在统计与通知接口范围内：{route}"
        )))
    }
}

/// A UUID in its hyphenated form (`8-4-4-4-12` hex digits).
fn is_uuid(id: &str) -> bool {
    id.len() == 36
        && id.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// True when `route` is `prefix{id}suffix` with a well-formed UUID as the id.
pub(super) fn id_route(route: &str, (prefix, suffix): (&str, &str)) -> bool {
    route
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix))
        .is_some_and(is_uuid)
}

/// Validates a POST path: exact routes, or one record's route with a UUID id.
pub(crate) fn check_post(path: &str) -> Result<(), Error> {
    check_shape(path)?;
    let route = route_of(path);
    if POST_PATHS.contains(&route)
        || POST_ID_ROUTES.iter().any(|r| id_route(route, *r))
        || online_admin::allows_post(route)
        || online_supervisors::allows_post(route)
        || accountability::allows_post(route)
    {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "不允许提交到该地址：{route}"
        )))
    }
}

/// `/config/calendar/{year}` with a four-digit year (one year's holiday calendar).
fn is_calendar_year(route: &str) -> bool {
    route
        .strip_prefix("/config/calendar/")
        .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
}

/// Validates a PUT path: exact routes, one record's route with a UUID id, or a year's
/// holiday calendar.
pub(crate) fn check_put(path: &str) -> Result<(), Error> {
    check_shape(path)?;
    let route = route_of(path);
    if PUT_PATHS.contains(&route)
        || PUT_ID_ROUTES.iter().any(|r| id_route(route, *r))
        || is_calendar_year(route)
        || online_admin::allows_put(route)
    {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!("不允许修改该地址：{route}")))
    }
}

/// Validates a PATCH path: one record's route with a UUID id (no query).
pub(crate) fn check_patch(path: &str) -> Result<(), Error> {
    check_shape(path)?;
    let route = route_of(path);
    if route == path
        && (PATCH_ID_ROUTES.iter().any(|r| id_route(route, *r))
            || online_supervisors::allows_patch(route))
    {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!("不允许修改该地址：{route}")))
    }
}

/// Validates a DELETE path: one record's route with a UUID id (no query).
pub(crate) fn check_delete(path: &str) -> Result<(), Error> {
    check_shape(path)?;
    let route = route_of(path);
    if route == path && DELETE_ID_ROUTES.iter().any(|r| id_route(route, *r)) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!("不允许删除该地址：{route}")))
    }
}

/// Validates a download path: an allowed GET ending in `.xlsx`.
pub(crate) fn check_download(path: &str) -> Result<(), Error> {
    check_get(path)?;
    if route_of(path).ends_with(DOWNLOAD_SUFFIX) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "只能下载 Excel 文件：{path}"
        )))
    }
}

/// A safe file name from the UI's suggestion: no directories, no reserved characters,
/// always ending in `.xlsx`.
pub(crate) fn safe_file_name(suggested: &str) -> String {
    let cleaned: String = suggested
        .chars()
        .map(|c| {
            if c.is_control() || r#"/\:*?"<>|"#.contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_matches('.');
    let stem = trimmed
        .strip_suffix(DOWNLOAD_SUFFIX)
        .unwrap_or(trimmed)
        .trim();
    let stem = if stem.is_empty() { "导出" } else { stem };
    // Keep names well under file-system limits (255 bytes; a CJK char is 3 bytes).
    let stem: String = stem.chars().take(60).collect();
    format!("{stem}{DOWNLOAD_SUFFIX}")
}

/// `dir/name`, or `dir/stem (2).xlsx` ... when that exists: never overwrite a saved export.
pub(crate) fn free_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let stem = name.strip_suffix(DOWNLOAD_SUFFIX).unwrap_or(name);
    (2..10_000)
        .map(|n| dir.join(format!("{stem} ({n}){DOWNLOAD_SUFFIX}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

fn io_error(e: &std::io::Error, what: &Path) -> Error {
    Error::Client {
        code: "LOCAL_IO".to_owned(),
        message: format!("无法保存文件 {}：{e}", what.display()),
    }
}

/// GET `/api/v1{path}` (with its query) and return the JSON body.
#[tauri::command]
pub async fn online_get(slot: State<'_, SessionSlot>, path: String) -> Result<Value, Error> {
    check_get(&path)?;
    let session = slot.get()?;
    Ok(session.api_get(&path).await?)
}

/// POST `body` to `/api/v1{path}` and return the JSON answer.
#[tauri::command]
pub async fn online_post(
    slot: State<'_, SessionSlot>,
    path: String,
    body: Value,
) -> Result<Value, Error> {
    check_post(&path)?;
    let session = slot.get()?;
    Ok(session.api_post(&path, &body).await?)
}

/// PUT `body` to `/api/v1{path}` (通知偏好, editing a standard reply) and return the
/// JSON answer.
#[tauri::command]
pub async fn online_put(
    slot: State<'_, SessionSlot>,
    path: String,
    body: Value,
) -> Result<Value, Error> {
    check_put(&path)?;
    Ok(slot.get()?.api_put(&path, &body).await?)
}

/// PATCH `body` to `/api/v1{path}` (the admin changing a unit) and return the JSON answer.
#[tauri::command]
pub async fn online_patch(
    slot: State<'_, SessionSlot>,
    path: String,
    body: Value,
) -> Result<Value, Error> {
    check_patch(&path)?;
    Ok(slot.get()?.api_patch(&path, &body).await?)
}

/// DELETE `/api/v1{path}` (retiring a standard reply) and return the JSON answer.
#[tauri::command]
pub async fn online_delete(slot: State<'_, SessionSlot>, path: String) -> Result<Value, Error> {
    check_delete(&path)?;
    Ok(slot.get()?.api_delete(&path).await?)
}

/// Downloads an Excel export into the user's download directory (`$MINSHENG_DOWNLOAD_DIR`
/// overrides it, for tests and kiosks) and returns the saved file's path.
#[tauri::command]
pub async fn online_download<R: Runtime>(
    app: AppHandle<R>,
    slot: State<'_, SessionSlot>,
    path: String,
    file_name: String,
) -> Result<String, Error> {
    check_download(&path)?;
    let session = slot.get()?;
    let bytes = session.api_get_bytes(&path).await?;
    save_download(&app, &safe_file_name(&file_name), &bytes)
}

/// Writes `bytes` as `name` into the downloads folder (or `MINSHENG_DOWNLOAD_DIR`), never
/// over an existing file; returns the path written.
pub(crate) fn save_download<R: Runtime>(
    app: &AppHandle<R>,
    name: &str,
    bytes: &[u8],
) -> Result<String, Error> {
    let dir = match std::env::var_os(DOWNLOAD_DIR_ENV).filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => app
            .path()
            .download_dir()
            .map_err(|e| Error::DataDir(e.to_string()))?,
    };
    std::fs::create_dir_all(&dir).map_err(|e| io_error(&e, &dir))?;
    let target = free_path(&dir, name);
    std::fs::write(&target, bytes).map_err(|e| io_error(&e, &target))?;
    Ok(target.to_string_lossy().into_owned())
}

/// Environment variable that overrides the download directory.
pub const DOWNLOAD_DIR_ENV: &str = "MINSHENG_DOWNLOAD_DIR";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_analytics_and_notification_reads() {
        for ok in [
            "/assessment/scores?period=month&level=station",
            "/assessment/explain?unit=x&metric=overdue",
            "/analytics?by=category",
            "/analytics/cases?category=%E5%99%AA",
            "/alerts",
            "/reports/abc",
            "/dashboard",
            "/notifications?limit=20",
            "/followups?status=phoneTask",
            "/followups/stats",
        ] {
            assert!(check_get(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn allows_the_knowledge_base_reads() {
        for ok in ["/knowledge", "/knowledge?category=%E5%99%AA%E9%9F%B3&q=KTV"] {
            assert!(check_get(ok).is_ok(), "{ok}");
        }
        for bad in ["/knowledgex", "/knowledge/../cases", "/knowledge ?q=x"] {
            assert!(check_get(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn allows_the_configuration_and_its_admin_writes_only() {
        assert!(check_get("/config").is_ok());
        assert!(check_put("/config/sla").is_ok());
        assert!(check_put("/config/calendar/2027").is_ok());
        for bad in [
            "/config/calendar/27",
            "/config/calendar/2027/x",
            "/config/calendar/20a7",
            "/config/calendar/%32027",
            "/config/slax",
            "/configx",
        ] {
            assert!(check_put(bad).is_err(), "{bad}");
        }
        assert!(check_post("/config/sla").is_err());
        assert!(check_post("/config/categories").is_ok());
        assert!(check_get("/units").is_ok());
        assert!(check_post("/units").is_ok());
        let unit = "/units/0190f0a0-0000-7000-8000-0000000000a1";
        assert!(check_patch(unit).is_ok());
        for bad in [
            "/units/x",
            "/units/0190f0a0-0000-7000-8000-0000000000a1/x",
            "/users/0190f0a0-0000-7000-8000-0000000000a1",
            "/units/0190f0a0-0000-7000-8000-0000000000a1?x=1",
        ] {
            assert!(check_patch(bad).is_err(), "{bad}");
        }
        assert!(check_get("/configx").is_err());
    }

    #[test]
    fn allows_the_intelligence_accuracy_read() {
        assert!(check_get("/intelligence/accuracy").is_ok());
        for bad in [
            "/intelligence",
            "/intelligencex/accuracy",
            "/intelligence/../cases",
        ] {
            assert!(check_get(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn writes_the_knowledge_base_one_standard_reply_at_a_time() {
        let id = "0190f0a0-0000-7000-8000-00000000c001";
        assert!(check_post("/knowledge").is_ok());
        assert!(check_post(&format!("/knowledge/{id}/review")).is_ok());
        assert!(check_put(&format!("/knowledge/{id}")).is_ok());
        assert!(check_delete(&format!("/knowledge/{id}")).is_ok());
        for bad in [
            "/knowledge/x/review".to_owned(),
            "/knowledge//review".to_owned(),
            format!("/knowledge/{id}"),
            format!("/knowledge/{id}/review/x"),
            format!("/knowledge/{id}/../../cases/{id}/review"),
            "/knowledgex".to_owned(),
        ] {
            assert!(check_post(&bad).is_err(), "post {bad}");
        }
        for bad in [
            "/knowledge".to_owned(),
            "/knowledge/x".to_owned(),
            format!("/knowledge/{id}/review"),
            format!("/knowledge/{id}/"),
            "/knowledge/0190f0a0-0000-7000-8000-00000000c00g".to_owned(),
        ] {
            assert!(check_put(&bad).is_err(), "put {bad}");
        }
        for bad in [
            "/knowledge".to_owned(),
            "/knowledge/x".to_owned(),
            format!("/knowledge/{id}/review"),
            format!("/knowledge/{id}?x=1"),
            format!("/followups/{id}"),
            format!("/cases/{id}"),
            "/notifications/preferences".to_owned(),
        ] {
            assert!(check_delete(&bad).is_err(), "delete {bad}");
        }
    }

    #[test]
    fn refuses_other_reads_and_tricks() {
        for bad in [
            "/cases",
            "/sync/pull",
            "/auth/login",
            "/alertsx",
            "/dashboardAdmin",
            "/assessment",
            "//evil.example/alerts",
            "/alerts/../cases",
            "http://evil/alerts",
            "alerts",
            "/alerts ?x",
            // Percent-encoded dot segments and separators, any case, also double-encoded.
            "/alerts/%2e%2e/cases",
            "/alerts/%2E%2E/cases",
            "/alerts/%2e%2E/sync/pull",
            "/alerts/.%2e/cases",
            "/alerts/%2e./cases",
            "/knowledge/%2e%2e%2fcases",
            "/knowledge%2F%2E.%2Fcases",
            "/followups/%2fcases",
            "/followups%2F%2E%2E%2Fcases",
            "/alerts/%5c%2e%2e%5ccases",
            "/alerts/%252e%252e/cases",
            "/assessment/%2e%2e/%2e%2e/auth/me?x=1",
        ] {
            assert!(check_get(bad).is_err(), "{bad}");
        }
        // Encoded values stay allowed where they belong: in the query string.
        for ok in [
            "/analytics/cases?category=%E5%99%AA%E9%9F%B3",
            "/knowledge?q=%2e%2e%2f",
        ] {
            assert!(check_get(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn encoded_traversal_is_refused_for_writes_and_downloads() {
        let id = "0190f0a0-0000-7000-8000-000000000003";
        assert!(check_post(&format!("/followups/{id}/answer%2f")).is_err());
        assert!(check_post("/knowledge%2f").is_err());
        assert!(check_put("/notifications/preferences%2F%2e%2e").is_err());
        assert!(check_put(&format!("/knowledge/{id}%2f")).is_err());
        assert!(check_delete(&format!("/knowledge/{id}%2F%2e%2e")).is_err());
        assert!(check_download("/reports/%2e%2e/%2e%2e/cases.xlsx").is_err());
        assert!(check_download("/assessment/%2E%2E/export.xlsx").is_err());
    }

    #[test]
    fn posts_only_to_exact_routes() {
        assert!(check_post("/notifications/read").is_ok());
        assert!(check_post("/reports").is_ok());
        assert!(check_post("/reports/1").is_err());
        assert!(check_post("/cases/1/commands").is_err());
        assert!(check_post("/assessment/weights").is_err());
    }

    #[test]
    fn posts_a_phone_answer_to_one_followup_round_only() {
        let id = "0190f0a0-0000-7000-8000-000000000003";
        assert!(check_post(&format!("/followups/{id}/answer")).is_ok());
        for bad in [
            "/followups/answer".to_owned(),
            "/followups//answer".to_owned(),
            "/followups/not-a-uuid/answer".to_owned(),
            format!("/followups/{id}/phone"),
            format!("/followups/{id}/answer/x"),
            format!("/followups/{id}/../../cases/{id}/answer"),
            format!("/followups/{id}/x/answer"),
            "/followups/0190f0a0-0000-7000-8000-00000000000g/answer".to_owned(),
            "/followups/0190f0a000000-7000-8000-000000000003/answer".to_owned(),
            format!("/followups/{id}"),
            "/followups".to_owned(),
        ] {
            assert!(check_post(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn puts_only_the_own_preferences() {
        assert!(check_put("/notifications/preferences").is_ok());
        assert!(check_put("/notifications/read").is_err());
        // (The admin console's PUTs are in `online_admin`.)
        assert!(check_put("/sms/outbox").is_err());
    }

    #[test]
    fn downloads_only_excel() {
        assert!(check_download("/assessment/scores.xlsx?period=week").is_ok());
        assert!(check_download("/reports/r1/export.xlsx").is_ok());
        assert!(check_download("/assessment/scores?period=week").is_err());
        assert!(check_download("/cases.xlsx").is_err());
    }

    #[test]
    fn file_names_are_flattened_and_end_in_xlsx() {
        assert_eq!(safe_file_name("考核排名 2026-11"), "考核排名 2026-11.xlsx");
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd.xlsx");
        assert_eq!(safe_file_name("月报.xlsx"), "月报.xlsx");
        assert_eq!(safe_file_name("  "), "导出.xlsx");
    }

    #[test]
    fn never_overwrites_an_earlier_export() {
        let dir = tempfile::tempdir().unwrap();
        let first = free_path(dir.path(), "周报.xlsx");
        assert_eq!(first, dir.path().join("周报.xlsx"));
        std::fs::write(&first, b"x").unwrap();
        let second = free_path(dir.path(), "周报.xlsx");
        assert_eq!(second, dir.path().join("周报 (2).xlsx"));
    }

    /// Through Tauri's real IPC path: the allowlist answers before the session is looked at.
    #[test]
    fn ipc_refuses_paths_outside_the_allowlist_and_needs_a_session() {
        use serde_json::json;
        use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
        use tauri::webview::InvokeRequest;

        let dir = tempfile::tempdir().unwrap();
        let app = crate::configure_full(
            mock_builder(),
            crate::ServerLink::new("http://127.0.0.1:9"),
            Some(crate::DataDir::new(dir.path())),
        )
        .build(mock_context(noop_assets()))
        .unwrap();
        let window = tauri::WebviewWindowBuilder::new(&app, "main", tauri::WebviewUrl::default())
            .build()
            .unwrap();
        let call = |cmd: &str, body: Value| {
            get_ipc_response(
                &window,
                InvokeRequest {
                    cmd: cmd.into(),
                    callback: tauri::ipc::CallbackFn(0),
                    error: tauri::ipc::CallbackFn(1),
                    url: "tauri://localhost".parse().unwrap(),
                    body: tauri::ipc::InvokeBody::Json(body),
                    headers: tauri::http::HeaderMap::default(),
                    invoke_key: INVOKE_KEY.to_string(),
                },
            )
            .map(|b| b.deserialize::<Value>().unwrap())
        };
        let refused = call("online_get", json!({ "path": "/cases" })).unwrap_err();
        assert_eq!(refused["code"], "INVALID_ARGUMENT");
        // Encoded dot segments would reach `/cases` after URL normalisation: refused
        // before the session is looked at, like any path outside the allowlist.
        for path in [
            "/alerts/%2e%2e/cases",
            "/alerts/%2E%2e/sync/pull",
            "/knowledge/.%2E/cases",
            "/followups%2F%2e%2e%2Fcases",
        ] {
            let refused = call("online_get", json!({ "path": path })).unwrap_err();
            assert_eq!(refused["code"], "INVALID_ARGUMENT", "{path}: {refused}");
        }
        let refused = call(
            "online_download",
            json!({ "path": "/reports/%2e%2e/%2e%2e/cases.xlsx", "fileName": "x" }),
        )
        .unwrap_err();
        assert_eq!(refused["code"], "INVALID_ARGUMENT");
        let refused = call("online_post", json!({ "path": "/sync/push", "body": {} })).unwrap_err();
        assert_eq!(refused["code"], "INVALID_ARGUMENT");
        let refused = call(
            "online_delete",
            json!({ "path": "/cases/0190f0a0-0000-7000-8000-000000000003" }),
        )
        .unwrap_err();
        assert_eq!(refused["code"], "INVALID_ARGUMENT");
        let no_session = call(
            "online_delete",
            json!({ "path": "/knowledge/0190f0a0-0000-7000-8000-00000000c001" }),
        )
        .unwrap_err();
        assert_eq!(no_session["code"], "NOT_SIGNED_IN");
        let no_session = call("online_get", json!({ "path": "/dashboard" })).unwrap_err();
        assert_eq!(no_session["code"], "NOT_SIGNED_IN");
        let no_session = call(
            "online_download",
            json!({ "path": "/reports/r1/export.xlsx", "fileName": "周报" }),
        )
        .unwrap_err();
        assert_eq!(no_session["code"], "NOT_SIGNED_IN");
    }
}
