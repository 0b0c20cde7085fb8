//! The org tree changed by an admin (SPEC §1, admin console): a new unit, or a change of
//! one (rename, re-code, move, kind, police line, jurisdiction, disable). Each change is
//! audited with before/after; a move or a new police line re-scopes the affected cases
//! in the same transaction, so every client's next pull brings the additions and the
//! removals. The tree rules themselves are the domain's (`org_edit`).

use minsheng_domain::case::CaseState;
use minsheng_domain::ids::UnitId;
use minsheng_domain::org::{OrgTree, Unit, UnitKind};
use minsheng_domain::org_edit::{changes_scope, edit_unit, UnitEdit};
use minsheng_domain::role::Actor;
use minsheng_domain::scope::ListScope;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::{AuditRecord, CaseQuery};

/// Adds a unit (validated as part of the whole tree first).
pub fn create_unit(s: &AppState, admin: &Actor, unit: Unit) -> Result<Unit, ApiError> {
    let mut all: Vec<Unit> = s.org().units().cloned().collect();
    if all.iter().any(|u| u.code == unit.code) {
        return Err(ApiError::AlreadyExists(format!("单位代码“{}”", unit.code)));
    }
    all.push(unit.clone());
    OrgTree::new(all)?;
    s.store.insert_units(std::slice::from_ref(&unit))?;
    s.reload_org()?;
    s.store.audit(&AuditRecord::change(
        s.now(),
        admin.user_id,
        "createUnit",
        &unit.code,
        &json!({ "before": null, "after": unit }),
    ))?;
    Ok(unit)
}

/// What a change did: the unit as it is now and how many cases changed scope.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnitChanged {
    pub unit: Unit,
    /// Cases whose visible units changed (a move or a new police line).
    pub rescoped_cases: usize,
}

/// A disabled unit must be empty of people and open work, and have no enabled units
/// below it: nothing may be stranded at a unit nobody can reach.
fn check_can_disable(s: &AppState, org: &OrgTree, u: &Unit) -> Result<(), ApiError> {
    let busy = |m: String| {
        Err(ApiError::Invalid {
            code: "UNIT_IN_USE",
            message: m,
        })
    };
    let people = s
        .store
        .list_users(Some(u.id))?
        .iter()
        .filter(|x| x.active)
        .count();
    if people > 0 {
        return busy(format!(
            "“{}”仍有 {people} 名在岗人员，请先调整其所在单位或停用账号",
            u.name
        ));
    }
    if org
        .children(u.id)
        .iter()
        .any(|c| org.get(*c).is_some_and(|c| c.active))
    {
        return busy(format!("“{}”下仍有启用的下级单位", u.name));
    }
    let open: Vec<CaseState> = CaseState::ALL
        .iter()
        .copied()
        .filter(|c| !c.is_closed())
        .collect();
    let q = CaseQuery {
        scope: Some(ListScope::Unit(u.id)),
        states: open,
        limit: 1,
        now: s.now(),
        ..CaseQuery::default()
    };
    let n = s.store.count_cases(&q)?;
    if n > 0 {
        return busy(format!(
            "“{}”仍有 {n} 件未办结的诉求，请先改派或办结",
            u.name
        ));
    }
    Ok(())
}

/// Applies `edit` to unit `id`.
pub fn update_unit(
    s: &AppState,
    admin: &Actor,
    id: UnitId,
    edit: &UnitEdit,
) -> Result<UnitChanged, ApiError> {
    let old_org = s.org();
    let before = old_org.get(id).cloned().ok_or(ApiError::NotFound("单位"))?;
    let units: Vec<Unit> = old_org.units().cloned().collect();
    let (org, after) = edit_unit(&units, id, edit)?;
    if before.active && !after.active {
        check_can_disable(s, &old_org, &before)?;
    }
    // The cases the unit and its subtree saw before are computed again on the new tree
    // after a move or a new line or kind; a line department that now supervises a line
    // also gains the cases of that line's units.
    let rescope: Vec<UnitId> = if changes_scope(&before, &after) {
        let mut v = old_org.subtree(id);
        if after.kind == UnitKind::LineDepartment && after.police_line.is_some() {
            v.extend(
                old_org
                    .units()
                    .filter(|u| u.police_line == after.police_line)
                    .map(|u| u.id),
            );
        }
        v.sort();
        v.dedup();
        v
    } else {
        Vec::new()
    };
    let rec = AuditRecord::change(
        s.now(),
        admin.user_id,
        "updateUnit",
        &after.code,
        &json!({ "before": before, "after": after }),
    );
    let rescoped_cases = s.store.update_unit(&org, &after, &rescope, &rec)?;
    s.reload_org()?;
    Ok(UnitChanged {
        unit: after,
        rescoped_cases,
    })
}
