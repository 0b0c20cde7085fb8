//! Worker locks (`Store::worker_lock`) of the PostgreSQL backend: a session-level
//! advisory lock on a pooled connection kept by the guard. PostgreSQL releases it when
//! the guard unlocks, or when the connection ends with its instance. The key names the
//! schema too: independent cities in one database do not share locks.

use minsheng_store::WorkerLock;

use crate::{Conn, DbResult, PgStore};

/// Unlocks when dropped; the connection then goes back to the pool.
struct Held {
    conn: Conn,
    key: i64,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Err(e) = self
            .conn
            .execute("SELECT pg_advisory_unlock($1)", &[&self.key])
        {
            // The session still holds it: end the connection rather than pool it.
            tracing::warn!(error = %e, "worker lock not released; closing its connection");
            let _ = self
                .conn
                .execute("SELECT pg_terminate_backend(pg_backend_pid())", &[]);
        }
    }
}

/// A 64-bit FNV-1a of the schema and lock name (a lock namespace of its own).
pub(crate) fn key(schema: Option<&str>, name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ 0x776f_726b_6572; // "worker"
    for b in schema.unwrap_or("").bytes().chain([0]).chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

pub(crate) fn take(s: &PgStore, name: &str, wait: bool) -> DbResult<Option<WorkerLock>> {
    let mut conn = s.conn()?;
    let key = key(s.schema(), name);
    let got = if wait {
        conn.execute("SELECT pg_advisory_lock($1)", &[&key])?;
        true
    } else {
        conn.query_one("SELECT pg_try_advisory_lock($1)", &[&key])?
            .try_get(0)?
    };
    Ok(got.then(|| WorkerLock::new(Held { conn, key })))
}
