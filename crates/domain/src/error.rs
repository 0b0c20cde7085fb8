//! The one error type of the domain crate. Messages are Chinese (shown to users);
//! `code()` is the stable machine code programs match on.

use thiserror::Error;

use crate::case::CaseState;
use crate::org::UnitLevel;
use crate::role::Role;
use crate::workflow::ActionKind;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("当前状态“{state}”下不能执行“{action}”")]
    IllegalTransition {
        action: ActionKind,
        state: CaseState,
    },
    #[error("“{role}”无权执行“{action}”")]
    RoleNotAllowed { action: ActionKind, role: Role },
    #[error("该诉求件不在您的职责范围内")]
    OutOfScope,
    #[error("{reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("未知的{kind}：“{value}”")]
    UnknownValue { kind: &'static str, value: String },
    #[error("单位不存在或不可用：{0}")]
    UnknownUnit(String),
    #[error("联办单位尚未全部提交意见：{0}")]
    CoOpinionsMissing(String),
    #[error("需先由承办单位所队长审核")]
    SignOffOrder,
    #[error("您已签批过该答复")]
    AlreadySigned,
    #[error("没有待审批的延期申请")]
    NoPendingExtension,
    #[error("已有延期申请等待审批")]
    ExtensionPending,
    #[error("当前不在等待群众回访答复的阶段")]
    NotAwaitingAnswer,
    #[error("组织机构数据无效：{0}")]
    InvalidOrg(String),
    #[error("节假日日历无效：{0}")]
    InvalidCalendar(String),
    #[error("诉求类别“{0}”不在本市的类别表中")]
    UnknownCategory(String),
    #[error("诉求类别表无效：{0}")]
    InvalidCategories(String),
    /// A role posted at a unit of the wrong level (`staffing::check_posting`).
    #[error("“{role}”须设在{}，“{unit}”是{}", crate::staffing::level_name(*needed), crate::staffing::level_name(*level))]
    RoleUnitMismatch {
        role: Role,
        needed: UnitLevel,
        unit: String,
        level: UnitLevel,
    },
    /// The change would leave no active admin (`staffing::check_admin_remains`).
    #[error("系统至少要保留一名启用的管理员，不能停用最后一名管理员或更改其角色")]
    LastAdmin,
    /// An attachment refused (`attachment`): its own code and message.
    #[error(transparent)]
    Attachment(#[from] crate::attachment::AttachmentProblem),
    /// 责任倒查: a step its record's state does not allow (`accountability::apply`).
    #[error("责任倒查记录处于“{state}”，不能{step}")]
    AccountabilityStep {
        step: &'static str,
        state: &'static str,
    },
    /// 责任倒查: a step the role may not take (a 处分 is decided by 市局领导).
    #[error("“{role}”无权{step}")]
    AccountabilityRole { step: &'static str, role: Role },
}

impl DomainError {
    pub const fn code(&self) -> &'static str {
        match self {
            Self::IllegalTransition { .. } => "ILLEGAL_TRANSITION",
            Self::RoleNotAllowed { .. } => "ROLE_NOT_ALLOWED",
            Self::OutOfScope => "OUT_OF_SCOPE",
            Self::InvalidField { .. } => "INVALID_FIELD",
            Self::UnknownValue { .. } => "UNKNOWN_VALUE",
            Self::UnknownUnit(_) => "UNKNOWN_UNIT",
            Self::CoOpinionsMissing(_) => "CO_OPINIONS_MISSING",
            Self::SignOffOrder => "SIGN_OFF_ORDER",
            Self::AlreadySigned => "ALREADY_SIGNED",
            Self::NoPendingExtension => "NO_PENDING_EXTENSION",
            Self::ExtensionPending => "EXTENSION_PENDING",
            Self::NotAwaitingAnswer => "NOT_AWAITING_ANSWER",
            Self::InvalidOrg(_) => "INVALID_ORG",
            Self::InvalidCalendar(_) => "INVALID_CALENDAR",
            Self::UnknownCategory(_) => "CATEGORY_UNKNOWN",
            Self::InvalidCategories(_) => "INVALID_CATEGORIES",
            Self::RoleUnitMismatch { .. } => "ROLE_UNIT_MISMATCH",
            Self::LastAdmin => "LAST_ADMIN",
            Self::Attachment(p) => p.code(),
            Self::AccountabilityStep { .. } => "ACCOUNTABILITY_STEP",
            Self::AccountabilityRole { .. } => "ACCOUNTABILITY_ROLE",
        }
    }
}
