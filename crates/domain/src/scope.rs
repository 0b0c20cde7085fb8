//! Who may see and act on which case. The server applies these on every read and
//! write; the client uses them only to hide what would be refused anyway.

use crate::case::{Case, CaseState};
use crate::org::OrgTree;
use crate::role::{Actor, Role};

/// Whether `actor` may read `case`.
pub fn can_see(actor: &Actor, case: &Case, org: &OrgTree) -> bool {
    match actor.role {
        r if r.sees_everything() => true,
        Role::FollowUp => case.state.is_follow_up_phase(),
        Role::Officer | Role::UnitHead => is_handler(actor, case),
        Role::Supervisor => supervises(actor, case, org) || investigates(actor, case, org),
        _ => false,
    }
}

/// 纪委/督察/法制 supervisors see the cases they are asked to investigate (level 3 on).
fn investigates(actor: &Actor, case: &Case, org: &OrgTree) -> bool {
    matches!(
        case.state,
        CaseState::FollowUpL3 | CaseState::DifficultSupervision
    ) && org
        .get(actor.unit_id)
        .is_some_and(crate::org::Unit::is_investigator)
}

/// The actor's own unit is the handling unit or a co-handling unit.
pub fn is_handler(actor: &Actor, case: &Case) -> bool {
    case.handling_unit == Some(actor.unit_id) || is_co_handler(actor, case)
}

pub fn is_lead_handler(actor: &Actor, case: &Case) -> bool {
    case.handling_unit == Some(actor.unit_id)
}

pub fn is_co_handler(actor: &Actor, case: &Case) -> bool {
    case.co_units.iter().any(|c| c.unit == actor.unit_id)
}

/// A supervisor's reach: named as supervising unit, or the handling/co unit lies in
/// their subtree or police line.
pub fn supervises(actor: &Actor, case: &Case, org: &OrgTree) -> bool {
    if case.supervising_unit == Some(actor.unit_id) {
        return true;
    }
    case.handling_unit
        .into_iter()
        .chain(case.co_units.iter().map(|c| c.unit))
        .any(|u| org.supervises(actor.unit_id, u))
}

/// SQL-friendly description of a role's read scope, so list queries filter in the
/// database instead of loading cases to test `can_see` one by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    Everything,
    /// Cases in the follow-up phase.
    FollowUpPhase,
    /// Cases handled or co-handled by one of these units, or supervised by one of them.
    Units {
        handled_by: Vec<crate::ids::UnitId>,
        supervised_by: Option<crate::ids::UnitId>,
    },
    Nothing,
}

pub fn list_scope(actor: &Actor, org: &OrgTree) -> ListScope {
    match actor.role {
        r if r.sees_everything() => ListScope::Everything,
        Role::FollowUp => ListScope::FollowUpPhase,
        Role::Officer | Role::UnitHead => ListScope::Units {
            handled_by: vec![actor.unit_id],
            supervised_by: None,
        },
        Role::Supervisor => {
            let mut units = org.subtree(actor.unit_id);
            if let Some(me) = org.get(actor.unit_id) {
                if me.kind == crate::org::UnitKind::LineDepartment && me.police_line.is_some() {
                    units.extend(
                        org.units()
                            .filter(|u| u.police_line == me.police_line)
                            .map(|u| u.id),
                    );
                }
            }
            units.sort();
            units.dedup();
            ListScope::Units {
                handled_by: units,
                supervised_by: Some(actor.unit_id),
            }
        }
        _ => ListScope::Nothing,
    }
}
