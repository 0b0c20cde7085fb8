//! 责任倒查's part of the online passthrough (`super::online`): the record list, one
//! record with its trail, and its steps. Online only on purpose: discipline records of
//! named officers must not sit in a desktop's offline cache (SQLCipher or not, a
//! desktop is shared at a station and can be lost); the passthrough hands the server's
//! JSON to the screen and keeps nothing. The server refuses every role but 纪检督察 and
//! 市局领导 (`ACCOUNTABILITY_FORBIDDEN`); this list only narrows what the webview may ask.

use super::online::id_route;

pub(super) fn allows_get(route: &str) -> bool {
    route == "/accountability" || id_route(route, ("/accountability/", ""))
}

pub(super) fn allows_post(route: &str) -> bool {
    id_route(route, ("/accountability/", "/steps"))
}

#[cfg(test)]
mod tests {
    use super::super::online::{check_get, check_post, check_put};

    const ID: &str = "0190f0a0-0000-7000-8000-00000000a001";

    #[test]
    fn reads_the_list_and_one_record_and_posts_its_steps_only() {
        assert!(check_get("/accountability?state=decided&offset=50&limit=50").is_ok());
        assert!(check_get(&format!("/accountability/{ID}")).is_ok());
        assert!(check_post(&format!("/accountability/{ID}/steps")).is_ok());
        for bad in [
            "/accountabilityx".to_owned(),
            format!("/accountability/{ID}/steps"),
            "/accountability/x".to_owned(),
            "/accountability/../cases".to_owned(),
        ] {
            assert!(check_get(&bad).is_err(), "{bad}");
        }
        assert!(check_post("/accountability").is_err());
        assert!(check_post("/accountability/x/steps").is_err());
        assert!(check_put(&format!("/accountability/{ID}/steps")).is_err());
    }
}
