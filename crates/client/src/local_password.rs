//! The password checked on this computer, without the server: reopening a cached session
//! after a restart and unlocking the app after the idle timeout (等保: a session is
//! authenticated again after inactivity, online or not).
//!
//! An online sign-in stores an argon2id hash of the password in the encrypted cache
//! (its key sits in the OS keyring); nothing readable leaves the cache. Five wrong
//! passwords in a row remove the hash, so only an online sign-in opens the account
//! again (a stolen laptop cannot be guessed into offline).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;

use crate::cache::LocalCache;
use crate::error::{ClientError, Result};

const VERIFIER: &str = "local_password";
const FAILURES: &str = "local_password_failures";
/// Wrong passwords in a row before only an online sign-in helps.
pub const MAX_FAILURES: u32 = 5;

impl LocalCache {
    /// Remembers `password` as the one to check offline (after an online sign-in).
    pub fn remember_password(&mut self, password: &str) -> Result<()> {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| ClientError::Corrupt(e.to_string()))?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| ClientError::Corrupt(e.to_string()))?
            .to_string();
        self.set_meta(VERIFIER, &hash)?;
        self.delete_meta(FAILURES)
    }

    /// Checks `password` against the remembered one. `WrongPassword` says how many tries
    /// are left; after `MAX_FAILURES` the hash is gone and `LoginRequired` follows.
    pub fn check_password(&mut self, password: &str) -> Result<()> {
        let Some(hash) = self.meta(VERIFIER)? else {
            return Err(ClientError::LoginRequired);
        };
        let ok = PasswordHash::new(&hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        if ok {
            return self.delete_meta(FAILURES);
        }
        let failures = self
            .meta(FAILURES)?
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
            + 1;
        if failures >= MAX_FAILURES {
            self.delete_meta(VERIFIER)?;
            self.delete_meta(FAILURES)?;
            return Err(ClientError::LoginRequired);
        }
        self.set_meta(FAILURES, &failures.to_string())?;
        Err(ClientError::WrongPassword {
            left: MAX_FAILURES - failures,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::cache::tests::temp_cache;
    use crate::error::ClientError;

    use super::MAX_FAILURES;

    #[test]
    fn the_right_password_opens_and_five_wrong_ones_end_offline_access() {
        let (_dir, mut cache, _key) = temp_cache();
        assert!(matches!(
            cache.check_password("Minsheng#2026"),
            Err(ClientError::LoginRequired)
        ));
        cache.remember_password("Minsheng#2026").unwrap();
        cache.check_password("Minsheng#2026").unwrap();
        for left in (1..MAX_FAILURES).rev() {
            match cache.check_password("wrong") {
                Err(ClientError::WrongPassword { left: l }) => assert_eq!(l, left),
                other => panic!("expected WrongPassword, got {other:?}"),
            }
        }
        // A success in between resets the count; five wrong in a row end it.
        cache.check_password("Minsheng#2026").unwrap();
        for _ in 1..MAX_FAILURES {
            assert!(cache.check_password("wrong").is_err());
        }
        assert!(matches!(
            cache.check_password("wrong"),
            Err(ClientError::LoginRequired)
        ));
        assert!(matches!(
            cache.check_password("Minsheng#2026"),
            Err(ClientError::LoginRequired)
        ));
    }
}
