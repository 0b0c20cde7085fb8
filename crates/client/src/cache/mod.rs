//! The encrypted local cache (SQLCipher): the user's scope of cases, org units, the
//! profile, sync metadata and the outbox, in one file whose key lives in the keyring.

pub(crate) mod cases;
mod directory;
mod meta;
pub mod migrations;
mod query;
mod search;
mod stored_view;
mod timeline;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use minsheng_domain::config::Config;
use rusqlite::{Connection, ErrorCode, OptionalExtension};
use zeroize::Zeroizing;

use crate::credentials::{CredentialStore, DbKey};
use crate::error::{ClientError, Result};

pub(crate) use cases::{
    load as cases_load, upsert as cases_upsert, upsert_json as upsert_case_json,
};
pub use cases::{CachedCase, CaseRow};
pub use directory::UserSummary;
pub use meta::Profile;
pub(crate) use meta::{SERVER_EPOCH, TIMELINE_BASE};
pub use query::{LocalCasePage, LocalCaseQuery, LocalWorkListCounts};
pub(crate) use timeline::{timeline_of, PulledEntries};

/// WAL pages after which a commit copies them into the database file (SQLite's
/// default; a pull suspends it until its last page).
pub(crate) const WAL_AUTOCHECKPOINT: i64 = 1000;
/// Bytes a WAL file keeps after it has been checkpointed and is reused.
const JOURNAL_SIZE_LIMIT: i64 = 8 << 20;

pub struct LocalCache {
    pub(crate) conn: Connection,
    path: PathBuf,
    /// The key, kept to open the background checkpoint's own connection.
    key: DbKey,
    /// Holiday calendar and SLA rules: the server's, as of the last pull that brought
    /// them (the shipped defaults until then).
    pub(crate) config: Arc<Config>,
}

impl LocalCache {
    /// Opens (or creates) the cache with the account's key from the keyring. A new file
    /// gets a new random key; an existing file whose key is gone is an error, never a reset.
    pub fn open_with_credentials(path: &Path, creds: &CredentialStore) -> Result<Self> {
        let has_data = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
        let key = match creds.db_key()? {
            Some(k) => k,
            None if !has_data => creds.create_db_key()?,
            None => return Err(ClientError::KeyMissing),
        };
        Self::open(path, &key)
    }

    pub fn open(path: &Path, key: &DbKey) -> Result<Self> {
        let mut conn = keyed_connection(path, key)?;
        // With a wrong key the first read is where SQLCipher notices.
        if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            return Err(if is_not_a_database(&e) {
                ClientError::WrongKey
            } else {
                e.into()
            });
        }
        // WAL + FULL: a committed outbox command survives a crash and a power cut.
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;")?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT)?;
        // A pull may grow the WAL to its whole size; the file shrinks back when reused.
        conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)?;
        migrations::migrate(&mut conn)?;
        // Case updates set only their changed columns: a few dozen distinct statements.
        conn.set_prepared_statement_cache_capacity(128);
        let cache = Self {
            conn,
            path: path.to_owned(),
            key: key.clone(),
            config: Arc::new(Config::builtin()),
        };
        cache.ensure_install_id()?;
        let mut cache = cache;
        cache.config = Arc::new(cache.stored_config()?);
        Ok(cache)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A job that copies the WAL into the database file on a connection of its own: the
    /// pages a pull wrote reach the file without holding up the cache's users (a
    /// PASSIVE checkpoint blocks neither readers nor writers; one that finds the WAL
    /// busy leaves the rest to the next). Errors are left to the next checkpoint too.
    pub(crate) fn checkpoint_job(&self) -> impl FnOnce() + Send + 'static {
        let (path, key) = (self.path.clone(), self.key.clone());
        move || {
            let run = || -> Result<()> {
                let conn = keyed_connection(&path, &key)?;
                conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
                Ok(())
            };
            let _ = run();
        }
    }

    /// The cache's schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// The SQLCipher version linked in (empty if the build were plain SQLite).
    pub fn cipher_version(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA cipher_version", [], |r| r.get(0))
            .optional()?
            .unwrap_or_default())
    }
}

fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::NotADatabase)
}

/// A connection to the cache file with its key set (not yet checked: see `open`).
fn keyed_connection(path: &Path, key: &DbKey) -> Result<Connection> {
    let conn = Connection::open(path)?;
    // A wrong key is reported as a typed error; SQLCipher's own stderr log is noise.
    conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()))
        .optional()?;
    // Raw-key form: the key is already 256 random bits, so no passphrase KDF.
    let pragma = Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", key.to_hex().as_str()));
    conn.execute_batch(&pragma)?;
    Ok(conn)
}

pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn temp_cache() -> (tempfile::TempDir, LocalCache, DbKey) {
        let dir = tempfile::tempdir().unwrap();
        let key = DbKey::generate();
        let cache = LocalCache::open(&dir.path().join("cache.db"), &key).unwrap();
        (dir, cache, key)
    }

    #[test]
    fn file_is_encrypted_and_versioned() {
        let (dir, cache, _) = temp_cache();
        assert!(
            !cache.cipher_version().unwrap().is_empty(),
            "SQLCipher linked"
        );
        assert_eq!(cache.schema_version().unwrap(), migrations::SCHEMA_VERSION);
        drop(cache);
        let head = std::fs::read(dir.path().join("cache.db")).unwrap();
        assert!(
            !head.starts_with(b"SQLite format 3"),
            "header must be encrypted"
        );
    }

    #[test]
    fn wrong_key_is_a_typed_error_and_keeps_the_data() {
        let (dir, mut cache, key) = temp_cache();
        cache.set_meta("probe", "值").unwrap();
        drop(cache);
        let path = dir.path().join("cache.db");
        let err = LocalCache::open(&path, &DbKey::generate()).err().unwrap();
        assert!(matches!(err, ClientError::WrongKey), "{err:?}");
        assert_eq!(err.code(), "CACHE_KEY_WRONG");
        assert!(err.to_string().contains("密钥不正确"));
        let cache = LocalCache::open(&path, &key).unwrap();
        assert_eq!(cache.meta("probe").unwrap().as_deref(), Some("值"));
    }

    #[test]
    fn missing_key_for_existing_file_is_an_error_not_a_reset() {
        crate::credentials::use_mock_keyring();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        let creds = CredentialStore::with_service("minsheng-unit-test-missing-key").unwrap();
        let mut cache = LocalCache::open_with_credentials(&path, &creds).unwrap();
        cache.set_meta("probe", "x").unwrap();
        drop(cache);
        // A fresh mock entry is empty: the keyring "lost" the key.
        let other = CredentialStore::with_service("minsheng-unit-test-missing-key").unwrap();
        let err = LocalCache::open_with_credentials(&path, &other)
            .err()
            .unwrap();
        assert_eq!(err.code(), "CACHE_KEY_MISSING");
        assert!(other.db_key().unwrap().is_none(), "no new key was made");
        // The original key still opens the untouched data.
        let cache = LocalCache::open_with_credentials(&path, &creds).unwrap();
        assert_eq!(cache.meta("probe").unwrap().as_deref(), Some("x"));
    }

    #[test]
    fn newer_schema_is_refused() {
        let (dir, cache, key) = temp_cache();
        cache.conn.pragma_update(None, "user_version", 99).unwrap();
        drop(cache);
        let err = LocalCache::open(&dir.path().join("cache.db"), &key)
            .err()
            .unwrap();
        assert_eq!(err.code(), "CACHE_SCHEMA_TOO_NEW");
    }

    #[test]
    fn plain_sqlite_file_is_not_opened_as_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain.db");
        std::fs::write(
            &path,
            b"SQLite format 3\0 not really a database, but not ours",
        )
        .unwrap();
        let err = LocalCache::open(&path, &DbKey::generate()).err().unwrap();
        assert_eq!(err.code(), "CACHE_KEY_WRONG");
    }
}
