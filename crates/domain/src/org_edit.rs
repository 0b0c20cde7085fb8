//! Changes an admin makes to the org tree (SPEC §1, admin console): rename, re-code,
//! move under another parent, change kind, police line or jurisdiction, disable or
//! enable. The level never changes (people are posted by level, `staffing`). The result
//! is checked as a whole tree: an unknown parent, a cycle, a parent below its child or a
//! duplicate code is refused and nothing changes.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::UnitId;
use crate::org::{Jurisdiction, OrgTree, PoliceLine, Unit, UnitKind};

/// What to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitEdit {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 40))]
    pub code: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 60))]
    pub name: Option<String>,
    /// The new parent (a move). Level-1 units have none and cannot be moved.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub parent: Option<UnitId>,
    pub kind: Option<UnitKind>,
    pub police_line: Option<PoliceLine>,
    /// True removes the police line (a unit of no line).
    #[serde(default)]
    pub clear_police_line: bool,
    pub jurisdiction: Option<Jurisdiction>,
    /// False disables the unit: no new work is dispatched to it; old cases keep it.
    pub active: Option<bool>,
}

/// The tree after `edit` of unit `id`, and the unit as changed.
pub fn edit_unit(
    units: &[Unit],
    id: UnitId,
    edit: &UnitEdit,
) -> Result<(OrgTree, Unit), DomainError> {
    let bad = |m: String| Err(DomainError::InvalidOrg(m));
    let Some(old) = units.iter().find(|u| u.id == id) else {
        return Err(DomainError::UnknownUnit(id.to_string()));
    };
    let mut u = old.clone();
    if let Some(name) = &edit.name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return bad("单位名称不能为空且不超过60个字".into());
        }
        name.clone_into(&mut u.name);
    }
    if let Some(code) = &edit.code {
        let code = code.trim();
        if code.is_empty() || code.len() > 40 {
            return bad("单位代码不能为空且不超过40个字符".into());
        }
        if units.iter().any(|x| x.id != id && x.code == code) {
            return bad(format!("单位代码“{code}”已被使用"));
        }
        code.clone_into(&mut u.code);
    }
    if let Some(parent) = edit.parent {
        if old.parent.is_none() {
            return bad(format!("“{}”是一级单位，不能移动", old.name));
        }
        let Some(p) = units.iter().find(|x| x.id == parent) else {
            return bad(format!("上级单位 {parent} 不存在"));
        };
        if p.level >= u.level {
            return bad(format!(
                "“{}”的上级必须是更高一级的单位，“{}”不是",
                u.name, p.name
            ));
        }
        u.parent = Some(parent);
    }
    if let Some(k) = edit.kind {
        u.kind = k;
    }
    if edit.clear_police_line {
        u.police_line = None;
    } else if let Some(l) = edit.police_line {
        u.police_line = Some(l);
    }
    if let Some(j) = &edit.jurisdiction {
        let clean = |v: &[String]| -> Vec<String> {
            let mut out: Vec<String> = v
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            out.sort();
            out.dedup();
            out
        };
        u.jurisdiction = Jurisdiction {
            districts: clean(&j.districts),
            streets: clean(&j.streets),
        };
    }
    if let Some(a) = edit.active {
        u.active = a;
    }
    let all: Vec<Unit> = units
        .iter()
        .map(|x| if x.id == id { u.clone() } else { x.clone() })
        .collect();
    let tree = OrgTree::new(all)?;
    Ok((tree, u))
}

/// Whether the change moves which cases a unit (or its line) sees: a move, or a new
/// police line or kind (line departments supervise their line's cases).
pub fn changes_scope(before: &Unit, after: &Unit) -> bool {
    before.parent != after.parent
        || before.police_line != after.police_line
        || before.kind != after.kind
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::UnitLevel;

    fn unit(n: u128, code: &str, level: UnitLevel, parent: Option<u128>) -> Unit {
        Unit {
            id: UnitId::from_uuid(uuid::Uuid::from_u128(n)),
            code: code.into(),
            name: format!("单位{code}"),
            level,
            parent: parent.map(|p| UnitId::from_uuid(uuid::Uuid::from_u128(p))),
            kind: UnitKind::PoliceStation,
            police_line: None,
            jurisdiction: Jurisdiction::default(),
            active: true,
        }
    }

    fn tree() -> Vec<Unit> {
        vec![
            unit(1, "JN", UnitLevel::City, None),
            unit(2, "LX", UnitLevel::Branch, Some(1)),
            unit(3, "SZ", UnitLevel::Branch, Some(1)),
            unit(4, "LX-A", UnitLevel::Station, Some(2)),
        ]
    }

    fn id(n: u128) -> UnitId {
        UnitId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn a_station_moves_to_another_branch() {
        let edit = UnitEdit {
            parent: Some(id(3)),
            name: Some(" 新名称 ".into()),
            ..UnitEdit::default()
        };
        let (org, u) = edit_unit(&tree(), id(4), &edit).unwrap();
        assert_eq!(u.parent, Some(id(3)));
        assert_eq!(u.name, "新名称");
        assert!(org.is_within(id(4), id(3)));
        assert!(changes_scope(&tree()[3], &u));
    }

    #[test]
    fn cycles_duplicates_and_bad_parents_are_refused() {
        let cases = [
            (
                2,
                UnitEdit {
                    parent: Some(id(4)),
                    ..UnitEdit::default()
                },
                "更高一级",
            ),
            (
                4,
                UnitEdit {
                    parent: Some(id(4)),
                    ..UnitEdit::default()
                },
                "更高一级",
            ),
            (
                4,
                UnitEdit {
                    parent: Some(id(9)),
                    ..UnitEdit::default()
                },
                "不存在",
            ),
            (
                1,
                UnitEdit {
                    parent: Some(id(2)),
                    ..UnitEdit::default()
                },
                "一级单位",
            ),
            (
                4,
                UnitEdit {
                    code: Some("SZ".into()),
                    ..UnitEdit::default()
                },
                "已被使用",
            ),
            (
                4,
                UnitEdit {
                    name: Some(" ".into()),
                    ..UnitEdit::default()
                },
                "不能为空",
            ),
        ];
        for (who, edit, says) in cases {
            let e = edit_unit(&tree(), id(who), &edit).unwrap_err();
            assert_eq!(e.code(), "INVALID_ORG", "{edit:?}");
            assert!(e.to_string().contains(says), "{e}");
        }
        assert_eq!(
            edit_unit(&tree(), id(9), &UnitEdit::default())
                .unwrap_err()
                .code(),
            "UNKNOWN_UNIT"
        );
    }
}
