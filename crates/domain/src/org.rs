//! The three-level organisation tree with jurisdictions used for routing and scope.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::UnitId;

/// 1 市局, 2 分局/县局/支队, 3 科所队.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum UnitLevel {
    City = 1,
    Branch = 2,
    Station = 3,
}

impl TryFrom<u8> for UnitLevel {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        match v {
            1 => Ok(Self::City),
            2 => Ok(Self::Branch),
            3 => Ok(Self::Station),
            _ => Err(format!("单位层级必须是 1、2 或 3，收到 {v}")),
        }
    }
}

impl From<UnitLevel> for u8 {
    fn from(l: UnitLevel) -> Self {
        l as u8
    }
}

/// An enum whose wire form is its Chinese name. Its schema is written here, not derived:
/// the derive cannot read the renames through this macro and would list the Rust names.
macro_rules! zh_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($variant:ident => $zh:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $zh)] $variant),+
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::schema::string_enum(concat!($($doc),*).trim(), &[$($zh),+])
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub const fn label_zh(self) -> &'static str {
                match self { $(Self::$variant => $zh),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label_zh())
            }
        }

        impl std::str::FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.label_zh() == s || format!("{v:?}").eq_ignore_ascii_case(s))
                    .ok_or_else(|| DomainError::UnknownValue { kind: stringify!($name), value: s.to_owned() })
            }
        }
    };
}
pub(crate) use zh_enum;

zh_enum!(
    /// What a unit is; level-3 kinds are what routing predicts (派出所, 交警大队 ...).
    UnitKind {
        CityBureau => "市局",
        PlatformOffice => "平台办",
        Leadership => "市局领导",
        LineDepartment => "支队",
        Branch => "分局",
        CountyBureau => "县局",
        PoliceStation => "派出所",
        TrafficBrigade => "交警大队",
        VehicleAdmin => "车管所",
        ExitEntry => "出入境管理",
        HouseholdAdmin => "治安户政",
        CriminalInvestigation => "刑侦",
        EconomicCrime => "经侦反诈",
        Inspection => "督察",
        CyberSecurity => "网安",
        Discipline => "纪委",
        Legal => "法制",
    }
);

zh_enum!(
    /// 警种: the police line a unit belongs to; line departments supervise their line.
    PoliceLine {
        PublicOrder => "治安",
        Traffic => "交警",
        ExitEntry => "出入境",
        Criminal => "刑侦",
        Economic => "经侦",
        Cyber => "网安",
        Inspection => "督察",
        Legal => "法制",
        Discipline => "纪委",
    }
);

/// Streets and districts a unit covers; used for routing by address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Jurisdiction {
    #[serde(default)]
    pub districts: Vec<String>,
    #[serde(default)]
    pub streets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unit {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    pub level: UnitLevel,
    pub parent: Option<UnitId>,
    pub kind: UnitKind,
    pub police_line: Option<PoliceLine>,
    #[serde(default)]
    pub jurisdiction: Jurisdiction,
    /// False: disabled by the admin — no new work is dispatched to it; old cases keep it.
    #[serde(default = "enabled")]
    pub active: bool,
}

const fn enabled() -> bool {
    true
}

impl Unit {
    /// Units that can be the handling unit (承办单位) of a case.
    pub fn can_handle(&self) -> bool {
        self.level == UnitLevel::Station
    }

    /// 纪委 / 督察 / 法制: they investigate level-3 follow-ups.
    pub fn is_investigator(&self) -> bool {
        matches!(
            self.kind,
            UnitKind::Discipline | UnitKind::Inspection | UnitKind::Legal
        ) || matches!(
            self.police_line,
            Some(PoliceLine::Discipline | PoliceLine::Inspection | PoliceLine::Legal)
        )
    }

    /// Units whose staff may supervise (督办).
    pub fn can_supervise(&self) -> bool {
        matches!(self.level, UnitLevel::City | UnitLevel::Branch)
    }
}

/// The whole organisation, validated: every parent exists and there are no cycles.
#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    units: HashMap<UnitId, Unit>,
    children: HashMap<UnitId, Vec<UnitId>>,
}

impl OrgTree {
    pub fn new(units: Vec<Unit>) -> Result<Self, DomainError> {
        let mut map = HashMap::with_capacity(units.len());
        for u in units {
            let id = u.id;
            if map.insert(id, u).is_some() {
                return Err(DomainError::InvalidOrg(format!("单位 {id} 重复")));
            }
        }
        let mut children: HashMap<UnitId, Vec<UnitId>> = HashMap::new();
        for u in map.values() {
            if let Some(p) = u.parent {
                let parent = map.get(&p).ok_or_else(|| {
                    DomainError::InvalidOrg(format!("单位“{}”的上级不存在", u.name))
                })?;
                if parent.level > u.level {
                    return Err(DomainError::InvalidOrg(format!(
                        "单位“{}”的层级高于其上级“{}”",
                        u.name, parent.name
                    )));
                }
                children.entry(p).or_default().push(u.id);
            }
        }
        let tree = Self {
            units: map,
            children,
        };
        for id in tree.units.keys() {
            // A path longer than the unit count means a cycle.
            if tree.ancestors(*id).count() > tree.units.len() {
                return Err(DomainError::InvalidOrg("组织机构存在循环上下级关系".into()));
            }
        }
        Ok(tree)
    }

    pub fn get(&self, id: UnitId) -> Option<&Unit> {
        self.units.get(&id)
    }

    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    pub fn children(&self, id: UnitId) -> &[UnitId] {
        self.children.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Strict ancestors, nearest first (bounded so a corrupt tree cannot loop forever).
    pub fn ancestors(&self, id: UnitId) -> impl Iterator<Item = &Unit> {
        let limit = self.units.len() + 1;
        std::iter::successors(
            self.units
                .get(&id)
                .and_then(|u| u.parent)
                .and_then(|p| self.units.get(&p)),
            move |u| u.parent.and_then(|p| self.units.get(&p)),
        )
        .take(limit)
    }

    /// True when `unit` is `ancestor` itself or lies beneath it.
    pub fn is_within(&self, unit: UnitId, ancestor: UnitId) -> bool {
        unit == ancestor || self.ancestors(unit).any(|u| u.id == ancestor)
    }

    /// Every unit of the subtree rooted at `root`, the root included.
    pub fn subtree(&self, root: UnitId) -> Vec<UnitId> {
        let mut out = vec![root];
        let mut i = 0;
        while i < out.len() {
            out.extend_from_slice(self.children(out[i]));
            i += 1;
        }
        out
    }

    /// The default supervising unit of a handling unit: its level-2 ancestor.
    pub fn default_supervisor(&self, handling: UnitId) -> Option<UnitId> {
        self.ancestors(handling)
            .find(|u| u.level == UnitLevel::Branch)
            .map(|u| u.id)
    }

    /// Whether a supervisor sitting in `supervisor_unit` oversees `unit`:
    /// either the unit lies in its subtree or it is the line department of the unit's 警种.
    pub fn supervises(&self, supervisor_unit: UnitId, unit: UnitId) -> bool {
        if self.is_within(unit, supervisor_unit) {
            return true;
        }
        match (self.get(supervisor_unit), self.get(unit)) {
            (Some(s), Some(u)) => {
                s.kind == UnitKind::LineDepartment
                    && s.police_line.is_some()
                    && s.police_line == u.police_line
            }
            _ => false,
        }
    }

    pub fn find_by_code(&self, code: &str) -> Option<&Unit> {
        self.units.values().find(|u| u.code == code)
    }
}
