//! Desktop client core of 民生警务平台: the encrypted offline cache of the user's
//! scope, the outbox of offline actions (validated by the same domain rules as the
//! server), credentials in the OS keyring, and the typed HTTP client.
//! The sync engine (`sync`) pushes the outbox and pulls changes; `session` ties it all
//! together for the desktop app.

pub mod api;
pub mod attachments;
pub mod cache;
pub mod credentials;
pub mod error;
pub mod local_password;
pub mod outbox;
pub mod session;
pub mod sync;
pub mod view;

pub use cache::LocalCache;
pub use credentials::{CredentialStore, DbKey};
pub use error::ClientError;
pub use session::{Session, SessionConfig};
pub use sync::{SyncEngine, SyncReport, SyncStatus};
