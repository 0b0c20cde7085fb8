//! SQL of login sessions: live sessions (token hashes), their families (one per login)
//! and the refresh hashes rotated away, kept to recognise a replayed refresh token.

use crate::DbResult;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::{from_ms, ms, parse_id};
use minsheng_store::{RetiredRefresh, Rotation, SessionRecord};

/// Schema 11: session families and retired refresh hashes; password age on users.
pub(super) const MIGRATION: &str = r"
ALTER TABLE sessions ADD COLUMN family TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN family_expires INTEGER NOT NULL DEFAULT 0;
-- A session from before is a login of its own, ending when the default absolute
-- lifetime (12 h) after its last rotation ends, or when its refresh token does.
UPDATE sessions SET family = id,
    family_expires = MIN(refresh_expires, created_at + 12 * 3600 * 1000);
CREATE INDEX sessions_family ON sessions(family);
-- A refresh token hash exchanged for a new pair. Presenting it again means the token
-- was copied: the family is ended. Kept until the family could not be refreshed anyway.
CREATE TABLE retired_refresh (
    refresh_hash TEXT PRIMARY KEY,
    family TEXT NOT NULL,
    user_id TEXT NOT NULL,
    retired_at INTEGER NOT NULL,
    family_expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX retired_refresh_expires ON retired_refresh(family_expires);
-- 等保: periodic password change. The password of an existing account dates from its
-- creation at the latest.
ALTER TABLE users ADD COLUMN password_changed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
UPDATE users SET password_changed_at = created_at;
";

pub fn session_from_row(r: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id: r.get("id")?,
        user_id: parse_id(&r.get::<_, String>("user_id")?)?,
        access_hash: r.get("access_hash")?,
        access_expires: from_ms(r.get("access_expires")?),
        refresh_hash: r.get("refresh_hash")?,
        refresh_expires: from_ms(r.get("refresh_expires")?),
        created_at: from_ms(r.get("created_at")?),
        family: r.get("family")?,
        family_expires: from_ms(r.get("family_expires")?),
    })
}

pub fn insert(tx: &Transaction<'_>, s: &SessionRecord) -> DbResult<()> {
    tx.prepare_cached(
        "INSERT INTO sessions(id, user_id, access_hash, access_expires, refresh_hash,
            refresh_expires, created_at, family, family_expires)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        s.id,
        s.user_id.to_string(),
        s.access_hash,
        ms(s.access_expires),
        s.refresh_hash,
        ms(s.refresh_expires),
        ms(s.created_at),
        s.family,
        ms(s.family_expires)
    ])?;
    Ok(())
}

fn by_refresh(conn: &Connection, refresh_hash: &str) -> DbResult<Option<SessionRecord>> {
    Ok(conn
        .prepare_cached("SELECT * FROM sessions WHERE refresh_hash = ?1")?
        .query_row([refresh_hash], session_from_row)
        .optional()?)
}

pub fn session_by_refresh(
    conn: &Connection,
    refresh_hash: &str,
) -> DbResult<Option<SessionRecord>> {
    by_refresh(conn, refresh_hash)
}

pub fn retired(conn: &Connection, refresh_hash: &str) -> DbResult<Option<RetiredRefresh>> {
    Ok(conn
        .prepare_cached(
            "SELECT family, user_id, retired_at, family_expires FROM retired_refresh
             WHERE refresh_hash = ?1",
        )?
        .query_row([refresh_hash], |r| {
            Ok(RetiredRefresh {
                family: r.get(0)?,
                user_id: parse_id(&r.get::<_, String>(1)?)?,
                retired_at: from_ms(r.get(2)?),
                family_expires: from_ms(r.get(3)?),
            })
        })
        .optional()?)
}

/// Runs inside `BEGIN IMMEDIATE`: two exchanges of one token serialise, and the second
/// finds it retired.
pub fn rotate(
    tx: &Transaction<'_>,
    refresh_hash: &str,
    next: &SessionRecord,
) -> DbResult<Rotation> {
    tx.prepare_cached("DELETE FROM retired_refresh WHERE family_expires < ?1")?
        .execute([ms(next.created_at)])?;
    let Some(old) = by_refresh(tx, refresh_hash)? else {
        return Ok(match retired(tx, refresh_hash)? {
            Some(r) => Rotation::Retired(r),
            None => Rotation::Unknown,
        });
    };
    tx.prepare_cached("DELETE FROM sessions WHERE id = ?1")?
        .execute([&old.id])?;
    tx.prepare_cached(
        "INSERT INTO retired_refresh(refresh_hash, family, user_id, retired_at, family_expires)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        old.refresh_hash,
        old.family,
        old.user_id.to_string(),
        ms(next.created_at),
        ms(old.family_expires)
    ])?;
    insert(tx, next)?;
    Ok(Rotation::Rotated(old))
}

pub fn delete_family(tx: &Transaction<'_>, family: &str) -> DbResult<usize> {
    Ok(tx
        .prepare_cached("DELETE FROM sessions WHERE family = ?1")?
        .execute([family])?)
}
