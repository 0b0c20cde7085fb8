//! Secrets in the OS keyring (Secret Service on Linux, Keychain, Credential Manager):
//! the refresh token (never written to a file) and the cache's database key.
//!
//! One keyring service per server URL + username, so two accounts or two servers on
//! one machine never share a token or a cache key.

use keyring::Entry;
use zeroize::Zeroizing;

use crate::error::{ClientError, Result};

const REFRESH_ACCOUNT: &str = "refresh-token";
const DB_KEY_ACCOUNT: &str = "cache-key";

/// A 256-bit SQLCipher key; zeroed on drop and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct DbKey(Zeroizing<[u8; 32]>);

impl DbKey {
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
        Self(bytes)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn from_hex(s: &str) -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(s.trim(), &mut bytes[..])
            .map_err(|_| ClientError::Keyring("钥匙串中的缓存密钥格式不正确".into()))?;
        Ok(Self(bytes))
    }

    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(&self.0[..]))
    }
}

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(..)")
    }
}

/// The keyring service name for an account on a server.
pub fn service_name(server_url: &str, username: &str) -> String {
    format!(
        "minsheng-desktop:{}:{}",
        server_url.trim().trim_end_matches('/'),
        username.trim()
    )
}

/// The keyring entries of one account. Entries are created once and kept, which is
/// also what lets unit tests use keyring's mock (it does not share values between
/// `Entry` objects).
pub struct CredentialStore {
    service: String,
    refresh: Entry,
    db_key: Entry,
}

impl CredentialStore {
    pub fn for_account(server_url: &str, username: &str) -> Result<Self> {
        Self::with_service(&service_name(server_url, username))
    }

    pub fn with_service(service: &str) -> Result<Self> {
        Ok(Self {
            service: service.to_owned(),
            refresh: Entry::new(service, REFRESH_ACCOUNT)?,
            db_key: Entry::new(service, DB_KEY_ACCOUNT)?,
        })
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    pub fn refresh_token(&self) -> Result<Option<Zeroizing<String>>> {
        read(&self.refresh).map(|o| o.map(Zeroizing::new))
    }

    pub fn save_refresh_token(&self, token: &str) -> Result<()> {
        Ok(self.refresh.set_password(token)?)
    }

    /// Logout: the refresh token goes; the cache key stays so queued work survives.
    pub fn forget_refresh_token(&self) -> Result<()> {
        forget(&self.refresh)
    }

    pub fn db_key(&self) -> Result<Option<DbKey>> {
        read(&self.db_key)?
            .map(|hex| DbKey::from_hex(&Zeroizing::new(hex)))
            .transpose()
    }

    /// Makes and stores a new random key. Only for a cache file that does not exist yet.
    pub fn create_db_key(&self) -> Result<DbKey> {
        let key = DbKey::generate();
        self.db_key.set_password(&key.to_hex())?;
        Ok(key)
    }

    /// Removes both secrets (account removed from this machine, or test clean-up).
    pub fn delete_all(&self) -> Result<()> {
        forget(&self.refresh)?;
        forget(&self.db_key)
    }
}

fn read(entry: &Entry) -> Result<Option<String>> {
    match entry.get_password() {
        Ok(v) => Ok(Some(v)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn forget(entry: &Entry) -> Result<()> {
    match entry.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
pub(crate) fn use_mock_keyring() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_differ_per_server_and_user() {
        assert_eq!(
            service_name("https://city.example/", "officer"),
            service_name("https://city.example", "officer")
        );
        assert_ne!(
            service_name("https://a.example", "officer"),
            service_name("https://b.example", "officer")
        );
        assert_ne!(
            service_name("https://a.example", "officer"),
            service_name("https://a.example", "officer2")
        );
    }

    #[test]
    fn stores_refresh_token_and_key_in_the_keyring() {
        use_mock_keyring();
        let store = CredentialStore::with_service("minsheng-unit-test-creds").unwrap();
        assert!(store.refresh_token().unwrap().is_none());
        store.save_refresh_token("r-1").unwrap();
        assert_eq!(store.refresh_token().unwrap().unwrap().as_str(), "r-1");
        store.forget_refresh_token().unwrap();
        assert!(store.refresh_token().unwrap().is_none());

        assert!(store.db_key().unwrap().is_none());
        let key = store.create_db_key().unwrap();
        assert_eq!(store.db_key().unwrap(), Some(key));
        store.delete_all().unwrap();
        assert!(store.db_key().unwrap().is_none());
    }

    #[test]
    fn keys_are_random_and_not_printed() {
        let (a, b) = (DbKey::generate(), DbKey::generate());
        assert_ne!(a, b);
        assert_eq!(a.to_hex().len(), 64);
        assert_eq!(DbKey::from_hex(&a.to_hex()).unwrap(), a);
        assert_eq!(format!("{a:?}"), "DbKey(..)");
        assert_eq!(
            DbKey::from_hex("zz").unwrap_err().code(),
            "KEYRING_UNAVAILABLE"
        );
    }
}
