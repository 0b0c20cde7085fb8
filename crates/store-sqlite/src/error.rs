//! The backend's own error: SQLite, pool and JSON failures next to the contract's
//! errors, so `?` works on driver calls. At the contract's edge (`db`) it becomes a
//! `StoreError`; a driver failure is `StoreError::Backend`, never a driver type.

use minsheng_store::{StoreError, StoreResult};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DbError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

pub type DbResult<T> = Result<T, DbError>;

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Store(e) => e,
            DbError::Sqlite(_) | DbError::Pool(_) => StoreError::Backend(e.to_string()),
            DbError::Json(_) => StoreError::Internal(e.to_string()),
        }
    }
}

/// Runs one contract method's body and hands its error over as a `StoreError`.
pub fn db<T>(body: impl FnOnce() -> DbResult<T>) -> StoreResult<T> {
    body().map_err(StoreError::from)
}
