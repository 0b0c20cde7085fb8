//! Who may see and act on which case. The server applies these on every read and
//! write; the client uses them only to hide what would be refused anyway.
//!
//! One rule serves both single reads and list queries: a case is within the reach of
//! every unit in `scope_units(case)`. Stores keep those units per case (recomputed on
//! every write), so a scoped list is one indexed lookup by the caller's unit.

use crate::case::{Case, CaseState};
use crate::ids::UnitId;
use crate::org::{OrgTree, UnitKind, UnitLevel};
use crate::role::{Actor, Role};

/// Whether `actor` may read `case`.
pub fn can_see(actor: &Actor, case: &Case, org: &OrgTree) -> bool {
    match actor.role {
        r if r.sees_everything() => true,
        Role::FollowUp => case.state.is_follow_up_phase(),
        Role::Officer | Role::UnitHead => {
            is_handler(actor, case) || case.intake_unit == Some(actor.unit_id)
        }
        Role::Supervisor => scope_units(case, org).contains(&actor.unit_id),
        // Read-only: the complaints whose accountability they keep, city-wide.
        Role::Inspector => case.flags.police_complaint,
        _ => false,
    }
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

/// A supervisor's reach over the case (for acting): named as supervising unit, or the
/// handling/co unit lies in their subtree or police line.
pub fn supervises(actor: &Actor, case: &Case, org: &OrgTree) -> bool {
    if case.supervising_unit == Some(actor.unit_id) {
        return true;
    }
    case.handling_unit
        .into_iter()
        .chain(case.co_units.iter().map(|c| c.unit))
        .any(|u| org.supervises(actor.unit_id, u))
}

/// Every unit whose staff may see the case: handling and co units with all their
/// ancestors, the supervising unit, the line departments of their police lines, the
/// station that registered it on a home visit, and —
/// from level-3 follow-up on — the investigating units (纪委/督察/法制).
pub fn scope_units(case: &Case, org: &OrgTree) -> Vec<UnitId> {
    let mut out = Vec::new();
    let handlers = case
        .handling_unit
        .into_iter()
        .chain(case.co_units.iter().map(|c| c.unit));
    for h in handlers {
        out.push(h);
        out.extend(org.ancestors(h).map(|u| u.id));
        if let Some(line) = org.get(h).and_then(|u| u.police_line) {
            out.extend(
                org.units()
                    .filter(|u| u.kind == UnitKind::LineDepartment && u.police_line == Some(line))
                    .map(|u| u.id),
            );
        }
    }
    out.extend(case.supervising_unit);
    out.extend(case.intake_unit);
    if matches!(
        case.state,
        CaseState::FollowUpL3 | CaseState::DifficultSupervision
    ) {
        // Their supervisors sit at branch/line level; level-3 squads do not get the case.
        out.extend(
            org.units()
                .filter(|u| u.is_investigator() && u.level != UnitLevel::Station)
                .map(|u| u.id),
        );
    }
    out.sort();
    out.dedup();
    out
}

/// How a list query is restricted for a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    Everything,
    /// Cases in the follow-up phase.
    FollowUpPhase,
    /// Cases whose `scope_units` contain this unit.
    Unit(UnitId),
    Nothing,
}

pub fn list_scope(actor: &Actor) -> ListScope {
    match actor.role {
        r if r.sees_everything() => ListScope::Everything,
        Role::FollowUp => ListScope::FollowUpPhase,
        Role::Officer | Role::UnitHead | Role::Supervisor => ListScope::Unit(actor.unit_id),
        _ => ListScope::Nothing,
    }
}
