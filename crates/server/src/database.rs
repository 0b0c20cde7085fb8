//! Which database a server command works on: the embedded SQLite file (the default) or
//! PostgreSQL (several server instances share one database). Nothing else in the server
//! knows which backend it talks to: both implement the storage contract.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use minsheng_store::Store;
use minsheng_store_postgres::PgStore;
use minsheng_store_sqlite::SqliteStore;

use crate::error::ApiError;

/// A database to open: `--db PATH` or `--database postgres://…` on the command line.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres {
        url: String,
        /// The schema that holds the tables (created if missing); `None` uses the
        /// connection's `search_path`.
        schema: Option<String>,
    },
}

impl Database {
    /// From the command line: exactly one of `--db` and `--database` (or the
    /// environment variable MINSHENG_DATABASE_URL, which keeps a password out of the
    /// process list; MINSHENG_DB and MINSHENG_PG_SCHEMA come from the service's
    /// configuration file).
    pub fn from_args(
        db: Option<PathBuf>,
        database: Option<String>,
        schema: Option<String>,
    ) -> Result<Self, ApiError> {
        let database = database.or_else(|| {
            std::env::var("MINSHENG_DATABASE_URL")
                .ok()
                .filter(|v| !v.is_empty())
        });
        let schema = schema.or_else(|| {
            std::env::var("MINSHENG_PG_SCHEMA")
                .ok()
                .filter(|v| !v.is_empty())
        });
        // MINSHENG_DB (the service's configuration) names the file when nothing else
        // names a database.
        let db = db.or_else(|| match database {
            Some(_) => None,
            None => std::env::var_os("MINSHENG_DB")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        });
        match (db, database) {
            (Some(path), None) => Ok(Self::Sqlite(path)),
            (None, Some(url)) if is_postgres_url(&url) => Ok(Self::Postgres { url, schema }),
            (None, Some(_)) => Err(ApiError::Invalid {
                code: "DATABASE_ARGS",
                message: "数据库地址须以 postgres:// 或 postgresql:// 开头".into(),
            }),
            (Some(_), Some(_)) => Err(ApiError::Invalid {
                code: "DATABASE_ARGS",
                message: "--db（SQLite 文件）与 --database（PostgreSQL）只能指定一个".into(),
            }),
            (None, None) => Err(ApiError::Invalid {
                code: "DATABASE_ARGS",
                message: "请指定数据库：--db 文件路径（SQLite）或 --database postgres://…".into(),
            }),
        }
    }

    /// Opens (creating and migrating) the database.
    pub fn open(&self) -> Result<Arc<dyn Store>, ApiError> {
        Ok(match self {
            Self::Sqlite(path) => Arc::new(SqliteStore::open(path)?),
            Self::Postgres { url, schema } => Arc::new(PgStore::open_in(url, schema.as_deref())?),
        })
    }

    /// The arguments that name this database on the server's command line.
    pub fn cli_args(&self) -> Vec<String> {
        match self {
            Self::Sqlite(path) => vec!["--db".into(), path.display().to_string()],
            Self::Postgres { url, schema } => {
                let mut v = vec!["--database".into(), url.clone()];
                if let Some(s) = schema {
                    v.extend(["--pg-schema".into(), s.clone()]);
                }
                v
            }
        }
    }
}

fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Shown in logs: the file, or the PostgreSQL host and database without the password.
impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres { url, schema } => {
                let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
                let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
                let host = host.split('?').next().unwrap_or(host);
                write!(f, "postgres://{host}")?;
                if let Some(s) = schema {
                    write!(f, " (schema {s})")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows_in_logs() {
        let d = Database::Postgres {
            url: "postgres://city:s3cret@db.example:5432/minsheng?sslmode=disable".into(),
            schema: None,
        };
        assert_eq!(d.to_string(), "postgres://db.example:5432/minsheng");
        assert!(!format!("{d:?}").contains("s3cret"));
    }

    #[test]
    fn exactly_one_database_is_named() {
        assert!(
            Database::from_args(Some("a.db".into()), Some("postgres://x".into()), None).is_err()
        );
        assert!(Database::from_args(None, Some("mysql://x".into()), None).is_err());
        assert_eq!(
            Database::from_args(Some("a.db".into()), None, None).unwrap(),
            Database::Sqlite("a.db".into())
        );
    }
}
