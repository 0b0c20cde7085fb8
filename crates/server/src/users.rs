//! Staff accounts changed by an admin: the change, the sessions it ends, and an audit
//! row saying what changed (before and after of each field; a password only as "reset").

use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::role::{Actor, Role};
use serde_json::{json, Map, Value};

use crate::auth::{check_password_policy, hash_password};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::{AuditRecord, UserRecord};

/// What an admin asks to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub unit_id: Option<UnitId>,
    pub active: Option<bool>,
    /// A new password the admin chose; the user must replace it at the next sign-in.
    pub password: Option<String>,
}

/// Applies `change` to the account `id`. A new role or unit, a deactivation or a
/// password reset ends the account's sessions. Audited as `updateUser` with the fields
/// that changed.
pub fn update_user(
    s: &AppState,
    admin: &Actor,
    id: UserId,
    change: &UserUpdate,
) -> Result<UserRecord, ApiError> {
    let before = s.store.user(id)?.ok_or(ApiError::NotFound("用户"))?;
    let mut u = before.clone();
    let mut end_sessions = false;
    if let Some(n) = change
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        n.clone_into(&mut u.display_name);
    }
    if let Some(r) = &change.role {
        u.role = Role::from_code(r)
            .filter(|r| *r != Role::System)
            .ok_or_else(|| ApiError::BadRequest(format!("未知角色：{r}")))?;
        end_sessions = true;
    }
    if let Some(unit) = change.unit_id {
        if s.org().get(unit).is_none() {
            return Err(ApiError::Domain(minsheng_domain::DomainError::UnknownUnit(
                unit.to_string(),
            )));
        }
        u.unit_id = unit;
        end_sessions = true;
    }
    if let Some(a) = change.active {
        u.active = a;
        end_sessions |= !a;
    }
    let reset = change.password.is_some();
    if let Some(pw) = &change.password {
        check_password_policy(pw)?;
        u.password_hash = hash_password(pw)?;
        u.password_changed_at = s.now();
        u.must_change_password = true;
        end_sessions = true;
    }
    s.store.update_user(&u)?;
    if end_sessions {
        s.store.delete_user_sessions(u.id)?;
    }
    s.store.audit(&AuditRecord {
        at: s.now(),
        user_id: admin.user_id,
        action: "updateUser".into(),
        target: u.username.clone(),
        detail: changes(s, &before, &u, reset).to_string(),
    })?;
    Ok(u)
}

/// `{"field": {"before": …, "after": …}, …}` for each field that differs, and
/// `"password": "reset"` for a reset (never the password or its hash).
fn changes(s: &AppState, before: &UserRecord, after: &UserRecord, reset: bool) -> Value {
    let mut out = Map::new();
    let mut field = |name: &str, b: Value, a: Value| {
        if b != a {
            out.insert(name.to_owned(), json!({ "before": b, "after": a }));
        }
    };
    field(
        "displayName",
        json!(before.display_name),
        json!(after.display_name),
    );
    field("role", json!(before.role.code()), json!(after.role.code()));
    let org = s.org();
    let unit =
        |id: UnitId| json!({ "id": id.to_string(), "name": org.get(id).map(|u| u.name.clone()) });
    field("unit", unit(before.unit_id), unit(after.unit_id));
    field("active", json!(before.active), json!(after.active));
    if reset {
        out.insert("password".to_owned(), json!("reset"));
    }
    Value::Object(out)
}
