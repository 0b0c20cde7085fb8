//! Roles and the acting person.

use serde::{Deserialize, Serialize};

use crate::ids::{UnitId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// 受理员: platform office; accepts, dispatches, re-dispatches.
    Clerk,
    /// 承办民警: handles cases of their level-3 unit.
    Officer,
    /// 所队长: assigns, approves replies, requests extensions.
    UnitHead,
    /// 督办员: urges, approves extensions and sensitive sign-offs in their subtree/line.
    Supervisor,
    /// 市局领导: signs off sensitive replies and level-3 follow-ups.
    Leader,
    /// 回访员: phone follow-ups.
    FollowUp,
    /// 管理员: org tree, users, rules.
    Admin,
    /// 纪检督察: discipline and inspection; reads 涉警投诉 city-wide and keeps the
    /// accountability records (责任倒查). Never acts on a case.
    Inspector,
    /// The platform itself (SMS webhook, schedulers). Never a login.
    System,
}

impl Role {
    pub const ALL: &'static [Self] = &[
        Self::Clerk,
        Self::Officer,
        Self::UnitHead,
        Self::Supervisor,
        Self::Leader,
        Self::FollowUp,
        Self::Admin,
        Self::Inspector,
        Self::System,
    ];

    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Clerk => "受理员",
            Self::Officer => "承办民警",
            Self::UnitHead => "所队长",
            Self::Supervisor => "督办员",
            Self::Leader => "市局领导",
            Self::FollowUp => "回访员",
            Self::Admin => "管理员",
            Self::Inspector => "纪检督察",
            Self::System => "系统",
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            Self::Clerk => "clerk",
            Self::Officer => "officer",
            Self::UnitHead => "unitHead",
            Self::Supervisor => "supervisor",
            Self::Leader => "leader",
            Self::FollowUp => "followUp",
            Self::Admin => "admin",
            Self::Inspector => "inspector",
            Self::System => "system",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|r| r.code() == s || r.label_zh() == s)
    }

    /// Roles that may see citizens' full phone and ID numbers (each unmasking is audited).
    pub const fn sees_citizen_identity(self) -> bool {
        matches!(
            self,
            Self::Clerk | Self::Officer | Self::UnitHead | Self::FollowUp | Self::System
        )
    }

    /// Roles that see every case in the city.
    pub const fn sees_everything(self) -> bool {
        matches!(
            self,
            Self::Clerk | Self::Leader | Self::Admin | Self::System
        )
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// Who is acting, as established by authentication (never taken from the request body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actor {
    pub user_id: UserId,
    pub name: String,
    pub role: Role,
    pub unit_id: UnitId,
}

impl Actor {
    pub fn system(unit_id: UnitId) -> Self {
        Self {
            user_id: UserId::SYSTEM,
            name: "系统".into(),
            role: Role::System,
            unit_id,
        }
    }
}
