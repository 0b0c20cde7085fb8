//! SQL of staff accounts (the admin console's writes use these too).

use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::role::Role;
use postgres::{GenericClient, Row, Transaction};

use crate::{from_ms, ms, parse_id, DbError, DbResult};
use minsheng_store::{StoreError, UserRecord};

pub(crate) const USER_COLS: &str = "id, username, display_name, role, unit_id, phone, \
     password_hash, active, created_at, password_changed_at, must_change_password";

/// A row selected with `USER_COLS`.
pub(crate) fn user_from_row(r: &Row) -> DbResult<UserRecord> {
    let role: String = r.get("role");
    Ok(UserRecord {
        id: parse_id(r.get::<_, &str>("id"))?,
        username: r.get("username"),
        display_name: r.get("display_name"),
        role: Role::from_code(&role).unwrap_or(Role::Officer),
        unit_id: parse_id(r.get::<_, &str>("unit_id"))?,
        phone: r.get("phone"),
        password_hash: r.get("password_hash"),
        active: r.get("active"),
        created_at: from_ms(r.get("created_at")),
        password_changed_at: from_ms(r.get("password_changed_at")),
        must_change_password: r.get("must_change_password"),
    })
}

/// A user by id, on any connection (a push batch reads it in its own transaction).
pub(crate) fn user_by_id(c: &mut impl GenericClient, id: UserId) -> DbResult<Option<UserRecord>> {
    c.query_opt(
        &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
        &[&id.to_string()],
    )?
    .as_ref()
    .map(user_from_row)
    .transpose()
}

pub(crate) fn user_by_username(
    c: &mut impl GenericClient,
    username: &str,
) -> DbResult<Option<UserRecord>> {
    c.query_opt(
        &format!("SELECT {USER_COLS} FROM users WHERE username = $1"),
        &[&username],
    )?
    .as_ref()
    .map(user_from_row)
    .transpose()
}

pub(crate) fn list_users(
    c: &mut impl GenericClient,
    unit: Option<UnitId>,
) -> DbResult<Vec<UserRecord>> {
    let unit = unit.map(|u| u.to_string());
    c.query(
        &format!(
            "SELECT {USER_COLS} FROM users WHERE ($1::TEXT IS NULL OR unit_id = $1)
             ORDER BY username"
        ),
        &[&unit],
    )?
    .iter()
    .map(user_from_row)
    .collect()
}

/// Inserts an account (a taken username, or id, is `AlreadyExists`).
pub(crate) fn insert_user(tx: &mut Transaction<'_>, u: &UserRecord) -> DbResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO users({USER_COLS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ),
        &[
            &u.id.to_string(),
            &u.username,
            &u.display_name,
            &u.role.code(),
            &u.unit_id.to_string(),
            &u.phone,
            &u.password_hash,
            &u.active,
            &ms(u.created_at),
            &ms(u.password_changed_at),
            &u.must_change_password,
        ],
    )
    .map_err(|e| {
        let e = DbError::from(e);
        if e.is_unique_violation() {
            StoreError::AlreadyExists(format!("用户名“{}”", u.username)).into()
        } else {
            e
        }
    })?;
    Ok(())
}

/// Writes every field but the username and creation time; an unknown id is `NotFound`.
pub(crate) fn update_user(tx: &mut Transaction<'_>, u: &UserRecord) -> DbResult<()> {
    let n = tx.execute(
        "UPDATE users SET display_name = $2, role = $3, unit_id = $4, phone = $5,
           password_hash = $6, active = $7, password_changed_at = $8,
           must_change_password = $9 WHERE id = $1",
        &[
            &u.id.to_string(),
            &u.display_name,
            &u.role.code(),
            &u.unit_id.to_string(),
            &u.phone,
            &u.password_hash,
            &u.active,
            &ms(u.password_changed_at),
            &u.must_change_password,
        ],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("用户").into());
    }
    Ok(())
}
