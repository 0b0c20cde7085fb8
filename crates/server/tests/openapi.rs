//! The OpenAPI document is generated from the code and describes the wire types.

mod support;

use reqwest::StatusCode;
use support::{bj, TestServer};

#[tokio::test]
async fn openapi_document_lists_routes_and_wire_schemas() {
    let s = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let (st, doc) = s.get(None, "/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/health",
        "/api/v1/auth/login",
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/actions",
        "/api/v1/cases/{id}/timeline/verify",
        "/api/v1/worklists/{list}",
        "/api/v1/intake/bulk",
        "/api/v1/units",
        "/api/v1/users",
    ] {
        assert!(paths.contains_key(p), "missing path {p}");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Action",
        "Case",
        "NewCase",
        "CaseState",
        "TimelineEntry",
        "ChainReport",
        "Unit",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(name), "missing schema {name}");
    }
    // Every action variant is documented with its `type` tag.
    let action = serde_json::to_string(&schemas["Action"]).unwrap();
    for tag in [
        "dispatch",
        "signIn",
        "submitReply",
        "approve",
        "return",
        "followUpAnswer",
        "conclude",
    ] {
        assert!(
            action.contains(&format!("\"{tag}\"")),
            "Action schema lacks {tag}"
        );
    }
}
