//! Who may be posted where (SPEC §1 and §2), and the admin that must always remain.
//!
//! * 承办民警 and 所队长 work in a level-3 unit (科所队); 督办员 in a level-2 unit
//!   (分局/县局, or a 市局 line department such as 交警支队); 受理员, 市局领导, 回访员 and
//!   管理员 at level 1 (平台办, 市局领导). The admin console and the desktop's user form
//!   read this one table.
//! * The last active admin can neither be disabled nor given another role: nobody
//!   could manage users any more.

use crate::error::DomainError;
use crate::org::{Unit, UnitLevel};
use crate::role::Role;

/// The unit level a role is posted at; `None` for the platform's own `System` actor.
pub const fn posting_level(role: Role) -> Option<UnitLevel> {
    match role {
        Role::Officer | Role::UnitHead => Some(UnitLevel::Station),
        Role::Supervisor | Role::Inspector => Some(UnitLevel::Branch),
        Role::Clerk | Role::Leader | Role::FollowUp | Role::Admin => Some(UnitLevel::City),
        Role::System => None,
    }
}

/// How a level is named to users.
pub const fn level_name(level: UnitLevel) -> &'static str {
    match level {
        UnitLevel::City => "一级单位（市局）",
        UnitLevel::Branch => "二级单位（分局/县局/支队）",
        UnitLevel::Station => "三级单位（科所队）",
    }
}

/// Refuses a posting of `role` at `unit` whose level does not fit the role.
pub fn check_posting(role: Role, unit: &Unit) -> Result<(), DomainError> {
    match posting_level(role) {
        Some(needed) if needed == unit.level => Ok(()),
        Some(needed) => Err(DomainError::RoleUnitMismatch {
            role,
            needed,
            unit: unit.name.clone(),
            level: unit.level,
        }),
        None => Err(DomainError::UnknownValue {
            kind: "角色",
            value: role.code().to_owned(),
        }),
    }
}

/// An account's role and whether it is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub role: Role,
    pub active: bool,
}

impl Standing {
    pub const fn is_active_admin(self) -> bool {
        self.active && matches!(self.role, Role::Admin)
    }
}

/// Refuses a change from `before` to `after` that takes away the last active admin;
/// `other_active_admins` counts the active admins besides the account changed.
pub fn check_admin_remains(
    before: Standing,
    after: Standing,
    other_active_admins: u64,
) -> Result<(), DomainError> {
    if before.is_active_admin() && !after.is_active_admin() && other_active_admins == 0 {
        Err(DomainError::LastAdmin)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UnitId;
    use crate::org::{Jurisdiction, UnitKind};

    fn unit(level: UnitLevel) -> Unit {
        Unit {
            id: "0190f0a0-0000-7000-8000-000000000001"
                .parse::<UnitId>()
                .unwrap(),
            code: "X".into(),
            name: "测试单位".into(),
            level,
            parent: None,
            kind: UnitKind::ALL[0],
            police_line: None,
            jurisdiction: Jurisdiction::default(),
            active: true,
        }
    }

    #[test]
    fn every_role_fits_exactly_one_level() {
        let levels = [UnitLevel::City, UnitLevel::Branch, UnitLevel::Station];
        for role in Role::ALL.iter().copied().filter(|r| *r != Role::System) {
            let fits: Vec<_> = levels
                .into_iter()
                .filter(|l| check_posting(role, &unit(*l)).is_ok())
                .collect();
            assert_eq!(fits.len(), 1, "{role:?}: {fits:?}");
        }
        assert!(check_posting(Role::Officer, &unit(UnitLevel::Station)).is_ok());
        assert!(check_posting(Role::UnitHead, &unit(UnitLevel::Station)).is_ok());
        assert!(check_posting(Role::Supervisor, &unit(UnitLevel::Branch)).is_ok());
        for r in [Role::Clerk, Role::Leader, Role::FollowUp, Role::Admin] {
            assert!(check_posting(r, &unit(UnitLevel::City)).is_ok(), "{r:?}");
        }
        let e = check_posting(Role::Officer, &unit(UnitLevel::City)).unwrap_err();
        assert_eq!(e.code(), "ROLE_UNIT_MISMATCH");
        assert!(e.to_string().contains("三级单位"), "{e}");
        assert!(check_posting(Role::System, &unit(UnitLevel::City)).is_err());
    }

    #[test]
    fn the_last_active_admin_stays() {
        let admin = Standing {
            role: Role::Admin,
            active: true,
        };
        let disabled = Standing {
            active: false,
            ..admin
        };
        let clerk = Standing {
            role: Role::Clerk,
            active: true,
        };
        assert_eq!(
            check_admin_remains(admin, disabled, 0),
            Err(DomainError::LastAdmin)
        );
        assert_eq!(
            check_admin_remains(admin, clerk, 0),
            Err(DomainError::LastAdmin)
        );
        assert!(check_admin_remains(admin, disabled, 1).is_ok());
        assert!(check_admin_remains(admin, admin, 0).is_ok());
        // An inactive admin is no admin to keep; enabling one is always fine.
        assert!(check_admin_remains(disabled, clerk, 0).is_ok());
        assert!(check_admin_remains(disabled, admin, 0).is_ok());
        assert!(check_admin_remains(clerk, disabled, 0).is_ok());
    }
}
