//! The real OS keyring (Secret Service over D-Bus). Runs inside a D-Bus session with an
//! unlocked keyring (scripts/test.sh `with_keyring`, or `bash /tmp/wk.sh cargo test ...`).
//!
//! Without a keyring that answers, the test FAILS: a skipped keyring test is not a pass.
//! Set `MINSHENG_ALLOW_NO_KEYRING=1` to opt out explicitly on a machine that has no
//! Secret Service; the test then prints SKIPPED and returns.

use minsheng_client::{ClientError, CredentialStore, LocalCache};

/// A unique service per run: the keyring is shared by every process of the user.
fn unique_service(what: &str) -> String {
    format!("minsheng-client-test:{what}:{}", uuid::Uuid::now_v7())
}

/// The explicit opt-out: only `MINSHENG_ALLOW_NO_KEYRING=1` lets the test pass without
/// a keyring.
const ALLOW_NO_KEYRING: &str = "MINSHENG_ALLOW_NO_KEYRING";

/// Whether the Secret Service stores and returns a secret. When it does not, panics
/// unless the opt-out is set (then prints SKIPPED and returns false).
fn secret_service_available() -> bool {
    let problem = if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        "no D-Bus session".to_owned()
    } else {
        let probe = CredentialStore::with_service(&unique_service("probe")).expect("entry");
        match probe.save_refresh_token("probe") {
            Ok(()) => {
                probe.delete_all().expect("clean up probe");
                return true;
            }
            Err(e) => format!("Secret Service not usable here ({e})"),
        }
    };
    if std::env::var(ALLOW_NO_KEYRING).as_deref() == Ok("1") {
        eprintln!("SKIPPED ({ALLOW_NO_KEYRING}=1): {problem}");
        return false;
    }
    panic!(
        "{problem}: run under scripts/test.sh (with_keyring) or `bash /tmp/wk.sh cargo test ...`, \
         or set {ALLOW_NO_KEYRING}=1 to skip this test explicitly"
    );
}

#[test]
fn secrets_persist_in_the_os_keyring_and_open_the_cache() {
    if !secret_service_available() {
        return;
    }
    let service = unique_service("account");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    {
        let creds = CredentialStore::with_service(&service).unwrap();
        creds.save_refresh_token("refresh-abc").unwrap();
        let mut cache = LocalCache::open_with_credentials(&path, &creds).unwrap();
        cache.set_meta("who", "民警").unwrap();
    }
    // New Entry objects: values come from the keyring daemon, not from memory.
    let creds = CredentialStore::with_service(&service).unwrap();
    assert_eq!(
        creds.refresh_token().unwrap().unwrap().as_str(),
        "refresh-abc"
    );
    let cache = LocalCache::open_with_credentials(&path, &creds).unwrap();
    assert_eq!(cache.meta("who").unwrap().as_deref(), Some("民警"));
    drop(cache);

    // Another account's key does not open this file; its own key is never replaced.
    let other = CredentialStore::with_service(&unique_service("other")).unwrap();
    other.create_db_key().unwrap();
    let err = LocalCache::open_with_credentials(&path, &other)
        .err()
        .unwrap();
    assert!(matches!(err, ClientError::WrongKey), "{err:?}");

    // Logout forgets the token but keeps the key (queued work stays readable).
    creds.forget_refresh_token().unwrap();
    assert!(creds.refresh_token().unwrap().is_none());
    assert!(creds.db_key().unwrap().is_some());

    creds.delete_all().unwrap();
    other.delete_all().unwrap();
    let err = LocalCache::open_with_credentials(&path, &creds)
        .err()
        .unwrap();
    assert_eq!(err.code(), "CACHE_KEY_MISSING", "{err:?}");
}
