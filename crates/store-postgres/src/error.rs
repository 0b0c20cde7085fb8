//! The backend's own error: PostgreSQL, pool and JSON failures (and SQLite's, when a
//! city's SQLite file is copied here) next to the contract's errors, so `?` works on
//! driver calls. At the contract's edge (`db`) it becomes a
//! `StoreError`; a driver failure is `StoreError::Backend`, never a driver type.

use minsheng_store::{StoreError, StoreResult};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DbError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("postgres: {}", pg_detail(.0))]
    Postgres(#[from] postgres::Error),
    #[error("pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// Reading a SQLite file to copy it here (`copy_from_sqlite`).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

pub type DbResult<T> = Result<T, DbError>;

/// A database error with its SQLSTATE and message (the driver's own display says only
/// "db error"); other driver errors as they display.
fn pg_detail(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{} {}: {}", d.code().code(), d.severity(), d.message()),
        None => e.to_string(),
    }
}

impl DbError {
    /// The SQLSTATE of a database error (e.g. `23505` unique violation).
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Self::Postgres(e) => e.code().map(postgres::error::SqlState::code),
            _ => None,
        }
    }

    /// A unique or primary-key violation.
    pub fn is_unique_violation(&self) -> bool {
        self.sqlstate() == Some("23505")
    }
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Store(e) => e,
            DbError::Postgres(_) | DbError::Pool(_) | DbError::Sqlite(_) => {
                StoreError::Backend(e.to_string())
            }
            DbError::Json(_) => StoreError::Internal(e.to_string()),
        }
    }
}

/// Runs one contract method's body and hands its error over as a `StoreError`.
pub fn db<T>(body: impl FnOnce() -> DbResult<T>) -> StoreResult<T> {
    body().map_err(StoreError::from)
}
