//! The admin console's part of the online passthrough (`super::online`): 用户管理,
//! 审计日志, 考核权重, 短信模板, 短信死信队列 and 分派建议模型 are online only, so their reads and
//! writes go through the same allowlisted door. The server refuses every other role
//! (403); this list only keeps the webview away from routes the console does not use.

use super::online::{id_route, under};

/// Reads (and, ending in `.xlsx`, downloads: the audit log's export).
const GET_PREFIXES: &[&str] = &["/users/search", "/audit", "/sms/templates", "/sms/outbox"];

/// Creating an account; retraining the suggestion model or rolling it back.
const POST_PATHS: &[&str] = &[
    "/users",
    "/intelligence/model/retrain",
    "/intelligence/model/rollback",
];

/// One record's POST routes: a password reset, a dead letter retried or discarded.
const POST_ID_ROUTES: &[(&str, &str)] = &[
    ("/users/", "/password"),
    ("/sms/outbox/", "/retry"),
    ("/sms/outbox/", "/discard"),
];

/// The assessment weights.
const PUT_PATHS: &[&str] = &["/assessment/weights"];

/// One account's edit and its activity.
const PUT_ID_ROUTES: &[(&str, &str)] = &[("/users/", ""), ("/users/", "/active")];

/// A template code as the server accepts it (`followup.l1`): letters, digits and
/// `. _ -`, not starting with a dot (never a `.` or `..` path segment).
fn is_template_code(code: &str) -> bool {
    (1..=60).contains(&code.len())
        && !code.starts_with('.')
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `/sms/templates/{code}{suffix}`.
fn template_route(route: &str, suffix: &str) -> bool {
    route
        .strip_prefix("/sms/templates/")
        .and_then(|rest| rest.strip_suffix(suffix))
        .is_some_and(is_template_code)
}

pub(super) fn allows_get(route: &str) -> bool {
    GET_PREFIXES.iter().any(|p| under(route, p))
}

pub(super) fn allows_post(route: &str) -> bool {
    POST_PATHS.contains(&route)
        || POST_ID_ROUTES.iter().any(|r| id_route(route, *r))
        || template_route(route, "/preview")
}

pub(super) fn allows_put(route: &str) -> bool {
    PUT_PATHS.contains(&route)
        || PUT_ID_ROUTES.iter().any(|r| id_route(route, *r))
        || template_route(route, "")
}

#[cfg(test)]
mod tests {
    use super::super::online::{check_delete, check_download, check_get, check_post, check_put};

    const ID: &str = "0190f0a0-0000-7000-8000-00000000a001";

    #[test]
    fn the_console_reads_its_lists() {
        for ok in [
            "/users/search?role=officer&q=%E5%BC%A0&active=true&cursor=lx-01&limit=50",
            "/audit/search?user=clerk&action=login&from=2026-11-01T00%3A00%3A00Z&cursor=120",
            "/audit/actions",
            "/audit/verify",
            "/sms/templates",
            "/sms/outbox?status=dead&limit=1000",
            "/assessment/weights",
            "/intelligence/accuracy",
            "/intelligence/model",
        ] {
            assert!(check_get(ok).is_ok(), "{ok}");
        }
        for bad in [
            "/users",
            format!("/users/{ID}").as_str(),
            "/users/searchx",
            "/auditx",
            "/audit/../cases",
            "/audit/%2e%2e/cases",
            "/sms/inbound",
            "/sms/templatesx",
            "/sms/outboxes",
        ] {
            assert!(check_get(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_audit_export_downloads_through_the_excel_door() {
        assert!(check_download("/audit/export.xlsx?action=login&target=%E5%BC%A0").is_ok());
        assert!(check_download("/audit/search?x=1").is_err());
        assert!(check_download("/audit/%2e%2e/cases.xlsx").is_err());
    }

    #[test]
    fn the_console_writes_one_record_at_a_time() {
        assert!(check_post("/users").is_ok());
        assert!(check_post(&format!("/users/{ID}/password")).is_ok());
        assert!(check_post(&format!("/sms/outbox/{ID}/retry")).is_ok());
        assert!(check_post(&format!("/sms/outbox/{ID}/discard")).is_ok());
        assert!(check_post("/sms/templates/followup.l1/preview").is_ok());
        assert!(check_post("/intelligence/model/retrain").is_ok());
        assert!(check_post("/intelligence/model/rollback").is_ok());
        assert!(check_put(&format!("/users/{ID}")).is_ok());
        assert!(check_put(&format!("/users/{ID}/active")).is_ok());
        assert!(check_put("/sms/templates/followup.l1").is_ok());
        assert!(check_put("/sms/templates/reminder.documentReady").is_ok());
        assert!(check_put("/assessment/weights").is_ok());
        for bad in [
            "/users/x/password".to_owned(),
            format!("/users/{ID}"),
            format!("/users/{ID}/active"),
            format!("/users/{ID}/password/x"),
            "/sms/outbox/dead/retry".to_owned(),
            format!("/sms/outbox/{ID}/send"),
            "/sms/templates/followup.l1".to_owned(),
            "/sms/templates/./preview".to_owned(),
            "/sms/templates/../preview".to_owned(),
            "/sms/templates/a%2fb/preview".to_owned(),
            "/sms/templates//preview".to_owned(),
            "/sms/inbound".to_owned(),
            "/users/search".to_owned(),
            "/intelligence/model".to_owned(),
            "/intelligence/model/retrainx".to_owned(),
            "/intelligence/accuracy".to_owned(),
        ] {
            assert!(check_post(&bad).is_err(), "post {bad}");
        }
        for bad in [
            "/users".to_owned(),
            "/users/x".to_owned(),
            format!("/users/{ID}/password"),
            format!("/users/{ID}/active/x"),
            "/sms/templates/".to_owned(),
            "/sms/templates/.hidden".to_owned(),
            "/sms/templates/a b".to_owned(),
            "/sms/templates/followup.l1/preview".to_owned(),
            "/assessment/weightsx".to_owned(),
            "/assessment/scores".to_owned(),
        ] {
            assert!(check_put(&bad).is_err(), "put {bad}");
        }
        // Nothing of the console deletes.
        for bad in [format!("/users/{ID}"), format!("/sms/outbox/{ID}")] {
            assert!(check_delete(&bad).is_err(), "delete {bad}");
        }
    }
}
