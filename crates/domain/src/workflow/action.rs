//! Every action of the workflow (SPEC section 4) with its payload.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{CaseFlags, Category, Reply, RequestType, Satisfaction, SignOff, Urgency};
use crate::ids::{CaseId, UnitId, UserId};
use crate::role::Role;

/// Where a case goes at (re-)dispatch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DispatchOrder {
    pub handling_unit: UnitId,
    /// Defaults to the handling unit's level-2 parent.
    #[serde(default)]
    pub supervising_unit: Option<UnitId>,
    #[serde(default)]
    pub co_units: Vec<UnitId>,
    pub category: Category,
    pub request_type: RequestType,
    #[serde(default)]
    pub urgency: Urgency,
    #[serde(default)]
    pub flags: CaseFlags,
}

/// The officer a unit head assigns, resolved from the user directory by the caller
/// (server or client cache) so the domain can check the unit without I/O.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignee {
    pub id: UserId,
    pub unit: UnitId,
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FollowUpChannel {
    Sms,
    Phone,
    Visit,
}

/// Departments that investigate at level-3 follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InvestigatingDept {
    #[serde(rename = "纪委")]
    Discipline,
    #[serde(rename = "督察")]
    Inspection,
    #[serde(rename = "法制")]
    Legal,
}

/// The finding on a 涉警投诉 (complaint against the police): 属实 and 部分属实 open an
/// accountability record (责任倒查).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ComplaintVerdict {
    Substantiated,
    PartlySubstantiated,
    Unsubstantiated,
}

impl ComplaintVerdict {
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Substantiated => "属实",
            Self::PartlySubstantiated => "部分属实",
            Self::Unsubstantiated => "不属实",
        }
    }

    /// 属实 or 部分属实: someone is to be held accountable.
    pub const fn is_substantiated(self) -> bool {
        !matches!(self, Self::Unsubstantiated)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Action {
    Dispatch(DispatchOrder),
    Redispatch {
        order: DispatchOrder,
        reason: String,
    },
    Reject {
        reason: String,
    },
    TransferOut {
        department: String,
        reason: String,
    },
    LinkDuplicate {
        master: CaseId,
    },
    SignIn,
    Assign {
        officer: Assignee,
    },
    Return {
        reason: String,
    },
    CoUnitOpinion {
        text: String,
    },
    SubmitReply {
        text: String,
    },
    Approve {
        comment: Option<String>,
        /// 涉警投诉 only, and required at its final (superior) sign-off: whether the
        /// complaint against the police was found true.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verdict: Option<ComplaintVerdict>,
    },
    SendBack {
        reason: String,
    },
    RequestExtension {
        reason: String,
        until: DateTime<Utc>,
    },
    ApproveExtension {
        comment: Option<String>,
    },
    RejectExtension {
        reason: String,
    },
    Urge {
        message: String,
    },
    Consult {
        participants: Vec<String>,
        summary: String,
    },
    AddNote {
        text: String,
    },
    FollowUpAnswer {
        satisfaction: Satisfaction,
        channel: FollowUpChannel,
        note: Option<String>,
    },
    RecordRehandle {
        result: String,
    },
    LeaderSignOff {
        opinion: String,
    },
    RecordInvestigation {
        department: InvestigatingDept,
        finding: String,
        /// 涉警投诉 only (and required there): whether the complaint was found true.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verdict: Option<ComplaintVerdict>,
    },
    SupervisionNotice {
        notice: String,
    },
    Conclude {
        decision: String,
    },
    Archive {
        reason: String,
    },
    /// 首问负责: a merged duplicate takes its master's reply once the master is replied,
    /// goes to the master's handling unit and enters follow-up with its own caller.
    /// Taken by the system only (the server's duplicate worker).
    AdoptMasterReply {
        master: CaseId,
        answer: MasterAnswer,
    },
}

/// What a duplicate takes over from its replied master: the one authoritative reply
/// with its sign-offs, and where and how the matter was handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MasterAnswer {
    pub reply: Reply,
    pub sign_offs: Vec<SignOff>,
    pub handling_unit: UnitId,
    #[serde(default)]
    pub supervising_unit: Option<UnitId>,
    #[serde(default)]
    pub category: Option<Category>,
    pub flags: CaseFlags,
}

macro_rules! action_kinds {
    ($($variant:ident => ($code:literal, $zh:literal)),+ $(,)?) => {
        /// The action without payload: for tables, errors and the timeline.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "camelCase")]
        pub enum ActionKind { $($variant),+ }

        impl ActionKind {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            pub const fn code(self) -> &'static str { match self { $(Self::$variant => $code),+ } }
            pub const fn label_zh(self) -> &'static str { match self { $(Self::$variant => $zh),+ } }
        }

        impl Action {
            pub const fn kind(&self) -> ActionKind {
                match self { $(Self::$variant { .. } => ActionKind::$variant),+ }
            }
        }
    };
}

action_kinds! {
    Dispatch => ("dispatch", "派单"),
    Redispatch => ("redispatch", "改派"),
    Reject => ("reject", "不予受理"),
    TransferOut => ("transferOut", "转其他部门"),
    LinkDuplicate => ("linkDuplicate", "关联重复件"),
    SignIn => ("signIn", "签收"),
    Assign => ("assign", "指派民警"),
    Return => ("return", "退办"),
    CoUnitOpinion => ("coUnitOpinion", "联办意见"),
    SubmitReply => ("submitReply", "提交答复"),
    Approve => ("approve", "审核签批"),
    SendBack => ("sendBack", "审核退回"),
    RequestExtension => ("requestExtension", "申请延期"),
    ApproveExtension => ("approveExtension", "批准延期"),
    RejectExtension => ("rejectExtension", "驳回延期"),
    Urge => ("urge", "催办"),
    Consult => ("consult", "会商"),
    AddNote => ("addNote", "备注"),
    FollowUpAnswer => ("followUpAnswer", "回访结果"),
    RecordRehandle => ("recordRehandle", "重办结果"),
    LeaderSignOff => ("leaderSignOff", "领导签批"),
    RecordInvestigation => ("recordInvestigation", "调查结论"),
    SupervisionNotice => ("supervisionNotice", "督办通知"),
    Conclude => ("conclude", "终结"),
    Archive => ("archive", "归档"),
    AdoptMasterReply => ("adoptMasterReply", "同步主件答复"),
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label_zh())
    }
}
