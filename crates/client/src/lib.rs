//! Desktop client core of 民生警务平台: the encrypted offline cache of the user's
//! scope, the outbox of offline actions (validated by the same domain rules as the
//! server), credentials in the OS keyring, and the typed HTTP client.
//! The sync engine (push/pull against `/sync/*`) builds on these.

pub mod api;
pub mod cache;
pub mod credentials;
pub mod error;
pub mod outbox;
pub mod view;

pub use cache::LocalCache;
pub use credentials::{CredentialStore, DbKey};
pub use error::ClientError;
