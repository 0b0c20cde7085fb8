//! 等保 level 3: audit records are protected from change and kept at least 180 days.
//! The database refuses to change a record or to delete a young one; a change made
//! behind its back (triggers removed) is found by `GET /audit/verify`, at its place.

mod support;

use chrono::Utc;
use reqwest::StatusCode;
use support::TestServer;

#[tokio::test]
async fn audit_records_cannot_change_and_a_forged_one_is_found() {
    let s = TestServer::start_at(Utc::now()).await;
    let admin = s.login("admin").await;
    // Audited actions: an officer reveals a citizen's number a few times.
    let clerk = s.login("clerk").await;
    let case = s.intake(&clerk, "电动车被盗求助").await;
    for _ in 0..3 {
        let (st, body) = s.get(Some(&clerk), &format!("/cases/{case}/citizen")).await;
        assert_eq!(st, StatusCode::OK, "{body}");
    }
    let (st, report) = s.get(Some(&admin), "/audit/verify").await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert_eq!(report["valid"], true, "{report}");
    let entries = report["entries"].as_u64().unwrap();
    assert!(entries >= 3, "{report}");
    // Not for other roles.
    let (st, _) = s.get(Some(&clerk), "/audit/verify").await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let mut conn = s.raw_sql();
    let err = conn
        .exec("UPDATE audit_log SET detail = '伪造' WHERE id = 2")
        .unwrap_err();
    assert!(err.contains("AUDIT_IMMUTABLE"), "{err}");
    let err = conn.exec("DELETE FROM audit_log WHERE id = 1").unwrap_err();
    assert!(err.contains("AUDIT_RETENTION"), "{err}");
    // A record older than 180 days may go (the retention is a minimum, not a cap).
    let drop_seal = if s.is_postgres() {
        "DROP TRIGGER audit_log_sealed ON audit_log"
    } else {
        "DROP TRIGGER audit_log_sealed"
    };
    conn.exec(drop_seal).unwrap();
    let old = Utc::now().timestamp_millis() - 181 * 86_400_000;
    // Unchained (as rows written before the chain existed): NULL hashes on SQLite,
    // where the columns came later; empty ones on PostgreSQL, where they are NOT NULL.
    let unchained = if s.is_postgres() { "''" } else { "NULL" };
    conn.exec(&format!(
        "INSERT INTO audit_log(at, user_id, action, target, detail, prev_hash, hash) \
         VALUES ({old}, 'x', 'old', '', '', {unchained}, {unchained})"
    ))
    .unwrap();
    conn.exec("DELETE FROM audit_log WHERE action = 'old'")
        .unwrap();

    // Behind the database's back: the triggers gone, the second record edited.
    let drop_retention = if s.is_postgres() {
        "DROP TRIGGER audit_log_retention ON audit_log"
    } else {
        "DROP TRIGGER audit_log_retention"
    };
    conn.exec(drop_retention).unwrap();
    conn.exec("UPDATE audit_log SET detail = '伪造' WHERE id = 2")
        .unwrap();
    let (_, report) = s.get(Some(&admin), "/audit/verify").await;
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["brokenAt"], 2, "{report}");
    assert!(
        report["problem"].as_str().unwrap().contains("被修改"),
        "{report}"
    );
}
