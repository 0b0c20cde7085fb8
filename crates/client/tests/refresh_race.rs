//! The UI and the sync loop meet an expired access token at the same moment, against
//! the real server (which ends a login whose rotated refresh token comes back) with the
//! real OS keyring (runs inside scripts/test.sh's D-Bus session; skipped elsewhere).

#[path = "../../server/tests/support/mod.rs"]
mod support;

use minsheng_client::{CredentialStore, Session, SessionConfig};
use minsheng_server::state::Settings;
use support::{TestServer, PASSWORD};

fn keyring_available() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        eprintln!("SKIPPED: no D-Bus session (run under scripts/test.sh)");
        return false;
    }
    let probe = CredentialStore::with_service(&format!(
        "minsheng-refresh-race-probe:{}",
        uuid::Uuid::now_v7()
    ))
    .expect("entry");
    match probe.save_refresh_token("probe") {
        Ok(()) => probe.delete_all().is_ok(),
        Err(e) => {
            eprintln!("SKIPPED: Secret Service not usable here ({e})");
            false
        }
    }
}

#[tokio::test]
async fn concurrent_calls_after_expiry_share_one_refresh_and_keep_the_login() {
    if !keyring_available() {
        return;
    }
    // Default settings: access tokens live 15 minutes of the server's manual clock.
    let start = chrono::Utc::now();
    let s = TestServer::start_with(start, Settings::default(), 0).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = SessionConfig::new(&s.base, dir.path());
    let session = Session::login(cfg, "officer", PASSWORD).await.unwrap();

    for round in 1..=3 {
        // Every call now fails with TOKEN_EXPIRED first and needs a refresh.
        s.clock.set(start + chrono::Duration::minutes(16 * round));
        let (me, units, sync) = tokio::join!(
            session.api_get("/auth/me"),
            session.api_get("/units"),
            session.sync_now(),
        );
        assert_eq!(
            me.unwrap()["username"],
            "officer",
            "round {round}: the UI's call"
        );
        assert!(units.unwrap().is_array(), "round {round}: the second call");
        sync.unwrap_or_else(|e| panic!("round {round}: the sync loop: {} {e}", e.code()));
    }
}
