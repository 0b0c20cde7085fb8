//! Staff accounts as the admin keeps them: created and changed under the posting rule
//! (`domain::staffing`: a role fits one unit level) and the last-admin rule, each change
//! written with its audit row (before and after of every field that changed; a password
//! only as "reset") in one transaction, so nothing is ever half-written.

use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::staffing::{self, Standing};
use minsheng_domain::DomainError;
use serde_json::{json, Map, Value};

use crate::auth::{check_password_policy, hash_password};
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::admin::{UserChange, UserPage, UserQuery};
use minsheng_store::{AuditRecord, UserRecord};

/// Longest display name (characters).
pub const DISPLAY_NAME_MAX: usize = 30;

/// A new account as the admin (or the operator's CLI) asks for it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    /// A role code or its Chinese name.
    pub role: String,
    pub unit_id: UnitId,
    pub phone: Option<String>,
    pub password: String,
}

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

fn role_of(code: &str) -> Result<Role, ApiError> {
    Role::from_code(code.trim())
        .filter(|r| *r != Role::System)
        .ok_or_else(|| ApiError::BadRequest(format!("未知角色：{code}")))
}

fn display_name(raw: &str) -> Result<String, ApiError> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > DISPLAY_NAME_MAX {
        return Err(ApiError::BadRequest(format!(
            "姓名不能为空且不超过{DISPLAY_NAME_MAX}个字"
        )));
    }
    Ok(n.to_owned())
}

/// The posting rule against the current org tree: the unit exists and fits the role.
fn check_posting(s: &AppState, role: Role, unit: UnitId) -> Result<(), ApiError> {
    let org = s.org();
    let u = org
        .get(unit)
        .ok_or_else(|| DomainError::UnknownUnit(unit.to_string()))?;
    Ok(staffing::check_posting(role, u)?)
}

/// Creates an account (must change its password at the first sign-in), audited as
/// `createUser` by `by` (the operator's CLI: the system).
pub fn create(s: &AppState, by: Option<&Actor>, req: &NewAccount) -> Result<UserRecord, ApiError> {
    let username = req.username.trim();
    let valid_name = (3..=32).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid_name {
        return Err(ApiError::BadRequest(
            "用户名为3–32位字母、数字或 - _ .".into(),
        ));
    }
    let role = role_of(&req.role)?;
    let display = display_name(&req.display_name)?;
    check_posting(s, role, req.unit_id)?;
    let phone = req
        .phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .map(minsheng_domain::citizen::Phone::parse)
        .transpose()?;
    check_password_policy(&req.password)?;
    let now = s.now();
    let rec = UserRecord {
        id: UserId::mint(now),
        username: username.to_owned(),
        display_name: display,
        role,
        unit_id: req.unit_id,
        phone: phone.map(String::from),
        password_hash: hash_password(&req.password)?,
        active: true,
        created_at: now,
        // Chosen by an admin (or the operator's CLI): the user replaces it at sign-in.
        password_changed_at: now,
        must_change_password: true,
    };
    let audit = AuditRecord {
        at: now,
        user_id: by.map_or(UserId::SYSTEM, |a| a.user_id),
        action: "createUser".into(),
        target: rec.username.clone(),
        detail: changes(s, None, &rec, false).to_string(),
    };
    s.store.insert_user_audited(&rec, &audit)?;
    Ok(rec)
}

/// Applies `change` to the account `id`, audited as `action` (`updateUser`,
/// `resetUserPassword`, `disableUser` …). A new role or unit, a deactivation or a
/// password reset ends the account's sessions. Refused, with nothing written, when the
/// posting no longer fits or the last active admin would go.
pub fn update(
    s: &AppState,
    admin: &Actor,
    id: UserId,
    change: &UserUpdate,
    action: &str,
) -> Result<UserRecord, ApiError> {
    // Everything that needs no stored state is checked (and the hash computed) first.
    let display = change
        .display_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(display_name)
        .transpose()?;
    let role = change.role.as_deref().map(role_of).transpose()?;
    if let Some(u) = change.unit_id {
        if s.org().get(u).is_none() {
            return Err(DomainError::UnknownUnit(u.to_string()).into());
        }
    }
    let hash = match &change.password {
        Some(pw) => {
            check_password_policy(pw)?;
            Some(hash_password(pw)?)
        }
        None => None,
    };
    let now = s.now();
    let updated = s.store.change_user(id, &mut |before, other_admins| {
        let mut u = before.clone();
        if let Some(n) = &display {
            n.clone_into(&mut u.display_name);
        }
        if let Some(r) = role {
            u.role = r;
        }
        if let Some(unit) = change.unit_id {
            u.unit_id = unit;
        }
        if let Some(a) = change.active {
            u.active = a;
        }
        if let Some(h) = &hash {
            h.clone_into(&mut u.password_hash);
            u.password_changed_at = now;
            u.must_change_password = true;
        }
        if (u.role, u.unit_id) != (before.role, before.unit_id) {
            check_posting(s, u.role, u.unit_id)?;
        }
        let standing = |x: &UserRecord| Standing {
            role: x.role,
            active: x.active,
        };
        staffing::check_admin_remains(standing(before), standing(&u), other_admins)?;
        let end_sessions = u.role != before.role
            || u.unit_id != before.unit_id
            || (before.active && !u.active)
            || hash.is_some();
        let audit = AuditRecord {
            at: now,
            user_id: admin.user_id,
            action: action.to_owned(),
            target: u.username.clone(),
            detail: changes(s, Some(before), &u, hash.is_some()).to_string(),
        };
        Ok(UserChange {
            user: u,
            end_sessions,
            audit,
        })
    })?;
    updated.ok_or(ApiError::NotFound("用户"))
}

/// The directory page for `q` (the caller checked the role).
pub fn search(s: &AppState, q: &UserQuery) -> Result<UserPage, ApiError> {
    Ok(s.store.search_users(q)?)
}

/// `{"field": {"before": …, "after": …}, …}` for each field that differs (all of them,
/// with `before` null, for a new account), and `"password": "reset"` for a reset (never
/// the password or its hash).
fn changes(s: &AppState, before: Option<&UserRecord>, after: &UserRecord, reset: bool) -> Value {
    let org = s.org();
    let unit =
        |id: UnitId| json!({ "id": id.to_string(), "name": org.get(id).map(|u| u.name.clone()) });
    let fields = |u: &UserRecord| {
        [
            ("displayName", json!(u.display_name)),
            ("role", json!(u.role.code())),
            ("unit", unit(u.unit_id)),
            ("active", json!(u.active)),
        ]
    };
    let old = before.map(fields);
    let mut out = Map::new();
    for (i, (name, a)) in fields(after).into_iter().enumerate() {
        let b = old.as_ref().map_or(Value::Null, |o| o[i].1.clone());
        if b != a {
            out.insert(name.to_owned(), json!({ "before": b, "after": a }));
        }
    }
    if reset {
        out.insert("password".to_owned(), json!("reset"));
    }
    Value::Object(out)
}
