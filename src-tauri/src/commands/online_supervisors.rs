//! The 优秀监督员 screen's part of the online passthrough (`super::online`): the register,
//! proposals and decisions (platform office), rounds, the responsible unit's phone and
//! visit tasks and their answers, the leader's 监督员之声 and its Excel export. Online
//! only; the server checks every role and scope, this list only keeps the webview to
//! the routes the screen uses.

use super::online::{id_route, under};

/// Reads (and, ending in `.xlsx`, the feedback export).
const GET_PREFIX: &str = "/supervisors";

/// A candidate by hand, a proposal run, a round opened now.
const POST_PATHS: &[&str] = &[
    "/supervisors",
    "/supervisors/proposals",
    "/supervisors/rounds",
];

/// One record's POST routes: a decision (confirm/decline/retire), an answer recorded.
const POST_ID_ROUTES: &[(&str, &str)] = &[
    ("/supervisors/", "/decision"),
    ("/supervisors/consultations/", "/answer"),
];

/// One supervisor's details edited.
const PATCH_ID_ROUTES: &[(&str, &str)] = &[("/supervisors/", "")];

pub(super) fn allows_get(route: &str) -> bool {
    under(route, GET_PREFIX)
}

pub(super) fn allows_post(route: &str) -> bool {
    POST_PATHS.contains(&route) || POST_ID_ROUTES.iter().any(|r| id_route(route, *r))
}

pub(super) fn allows_patch(route: &str) -> bool {
    PATCH_ID_ROUTES.iter().any(|r| id_route(route, *r))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0190a000-0000-7000-8000-000000000001";

    #[test]
    fn only_the_screens_routes_pass() {
        assert!(allows_get("/supervisors"));
        assert!(allows_get("/supervisors/feedback.xlsx"));
        assert!(!allows_get("/supervisorsx"));
        assert!(allows_post("/supervisors/proposals"));
        assert!(allows_post(&format!("/supervisors/{ID}/decision")));
        assert!(allows_post(&format!(
            "/supervisors/consultations/{ID}/answer"
        )));
        assert!(!allows_post(&format!("/supervisors/{ID}/phone")));
        assert!(!allows_post("/supervisors/x/decision"));
        assert!(allows_patch(&format!("/supervisors/{ID}")));
        assert!(!allows_patch(&format!("/supervisors/{ID}/decision")));
    }
}
