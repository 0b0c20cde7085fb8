//! SQL of login sessions: live sessions (token hashes), their families (one per login)
//! and the refresh hashes rotated away, kept to recognise a replayed refresh token.

use minsheng_domain::ids::UserId;
use postgres::{GenericClient, Row, Transaction};

use crate::{from_ms, ms, parse_id, DbResult};
use minsheng_store::{RetiredRefresh, Rotation, SessionRecord};

const SESSION_COLS: &str = "id, user_id, access_hash, access_expires, refresh_hash, \
     refresh_expires, created_at, family, family_expires";

fn session_from_row(r: &Row) -> DbResult<SessionRecord> {
    Ok(SessionRecord {
        id: r.get("id"),
        user_id: parse_id(r.get::<_, &str>("user_id"))?,
        access_hash: r.get("access_hash"),
        access_expires: from_ms(r.get("access_expires")),
        refresh_hash: r.get("refresh_hash"),
        refresh_expires: from_ms(r.get("refresh_expires")),
        created_at: from_ms(r.get("created_at")),
        family: r.get("family"),
        family_expires: from_ms(r.get("family_expires")),
    })
}

pub(crate) fn insert(tx: &mut Transaction<'_>, s: &SessionRecord) -> DbResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO sessions({SESSION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ),
        &[
            &s.id,
            &s.user_id.to_string(),
            &s.access_hash,
            &ms(s.access_expires),
            &s.refresh_hash,
            &ms(s.refresh_expires),
            &ms(s.created_at),
            &s.family,
            &ms(s.family_expires),
        ],
    )?;
    Ok(())
}

/// Housekeeping after a login: sessions whose refresh token expired are useless. Rows
/// another transaction holds (being rotated or ended right now) are skipped rather
/// than waited for, so concurrent logins never queue or deadlock on each other's
/// housekeeping; the next login removes what was skipped.
pub(crate) fn forget_expired(tx: &mut Transaction<'_>, now: i64) -> DbResult<()> {
    tx.execute(
        "DELETE FROM sessions WHERE id IN (
             SELECT id FROM sessions WHERE refresh_expires < $1 FOR UPDATE SKIP LOCKED)",
        &[&now],
    )?;
    Ok(())
}

pub(crate) fn by_access(
    c: &mut impl GenericClient,
    access_hash: &str,
) -> DbResult<Option<SessionRecord>> {
    c.query_opt(
        &format!("SELECT {SESSION_COLS} FROM sessions WHERE access_hash = $1"),
        &[&access_hash],
    )?
    .as_ref()
    .map(session_from_row)
    .transpose()
}

pub(crate) fn by_refresh(
    c: &mut impl GenericClient,
    refresh_hash: &str,
) -> DbResult<Option<SessionRecord>> {
    c.query_opt(
        &format!("SELECT {SESSION_COLS} FROM sessions WHERE refresh_hash = $1"),
        &[&refresh_hash],
    )?
    .as_ref()
    .map(session_from_row)
    .transpose()
}

pub(crate) fn retired(
    c: &mut impl GenericClient,
    refresh_hash: &str,
) -> DbResult<Option<RetiredRefresh>> {
    c.query_opt(
        "SELECT family, user_id, retired_at, family_expires FROM retired_refresh
         WHERE refresh_hash = $1",
        &[&refresh_hash],
    )?
    .map(|r| {
        Ok(RetiredRefresh {
            family: r.get(0),
            user_id: parse_id(r.get::<_, &str>(1))?,
            retired_at: from_ms(r.get(2)),
            family_expires: from_ms(r.get(3)),
        })
    })
    .transpose()
}

/// Two exchanges of one token (two instances, or a double click) must not both rotate:
/// the old session is taken with `DELETE … RETURNING`, which locks its row, so the
/// second exchange waits for the first to commit, then deletes nothing and finds the
/// hash retired (READ COMMITTED: its next statement sees the first's commit).
pub(crate) fn rotate(
    tx: &mut Transaction<'_>,
    refresh_hash: &str,
    next: &SessionRecord,
) -> DbResult<Rotation> {
    // Forgotten retired hashes; rows locked by a concurrent rotation are left for later.
    tx.execute(
        "DELETE FROM retired_refresh WHERE refresh_hash IN (
             SELECT refresh_hash FROM retired_refresh WHERE family_expires < $1
             FOR UPDATE SKIP LOCKED)",
        &[&ms(next.created_at)],
    )?;
    let old = tx
        .query_opt(
            &format!("DELETE FROM sessions WHERE refresh_hash = $1 RETURNING {SESSION_COLS}"),
            &[&refresh_hash],
        )?
        .as_ref()
        .map(session_from_row)
        .transpose()?;
    let Some(old) = old else {
        return Ok(match retired(tx, refresh_hash)? {
            Some(r) => Rotation::Retired(r),
            None => Rotation::Unknown,
        });
    };
    tx.execute(
        "INSERT INTO retired_refresh(refresh_hash, family, user_id, retired_at, family_expires)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &old.refresh_hash,
            &old.family,
            &old.user_id.to_string(),
            &ms(next.created_at),
            &ms(old.family_expires),
        ],
    )?;
    insert(tx, next)?;
    Ok(Rotation::Rotated(old))
}

pub(crate) fn delete_family(tx: &mut Transaction<'_>, family: &str) -> DbResult<usize> {
    let n = tx.execute("DELETE FROM sessions WHERE family = $1", &[&family])?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

pub(crate) fn delete(tx: &mut Transaction<'_>, id: &str) -> DbResult<()> {
    tx.execute("DELETE FROM sessions WHERE id = $1", &[&id])?;
    Ok(())
}

pub(crate) fn delete_user(tx: &mut Transaction<'_>, user: UserId) -> DbResult<()> {
    tx.execute(
        "DELETE FROM sessions WHERE user_id = $1",
        &[&user.to_string()],
    )?;
    Ok(())
}
