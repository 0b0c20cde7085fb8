//! The case (诉求件) and its vocabulary.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::citizen::Citizen;
use crate::error::DomainError;
use crate::ids::{CaseId, UnitId, UserId};
use crate::org::zh_enum;
use crate::role::Role;

zh_enum!(
    /// 渠道: where a request came from.
    Channel {
        MayorHotline => "12345市长热线",
        SupervisionHotline => "政务监督热线",
        LeaderInstruction => "领导批示",
        LettersVisits => "来信来访",
        ChiefMailbox => "局长信箱",
        OnlinePetition => "网上信访",
        PoliceHotline => "民生警务热线",
        MobileOnline => "手机版在线服务",
        HomeVisit => "入户走访",
        WindowService => "窗口服务",
        Emergency110 => "110接处警",
        Supervisor => "监督员",
    }
);

zh_enum!(
    /// 诉求类型.
    RequestType {
        Consultation => "咨询",
        HelpRequest => "求助",
        Complaint => "投诉",
        Report => "举报",
        Suggestion => "建议",
        Praise => "表扬",
    }
);

zh_enum!(
    /// 紧急程度.
    Urgency {
        Ordinary => "普通",
        Urgent => "紧急",
        Critical => "特急",
    }
);

#[allow(clippy::derivable_impls)] // the variants come from a macro
impl Default for Urgency {
    fn default() -> Self {
        Self::Ordinary
    }
}

/// 诉求类别: admin-editable, so a validated name rather than an enum.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Category(String);

impl Category {
    pub const DEFAULTS: &'static [&'static str] = &[
        "治安管理",
        "噪音扰民",
        "交通管理",
        "车驾管",
        "户政管理",
        "出入境",
        "诈骗与经济犯罪",
        "刑事案件",
        "民警作风与执法",
        "网络安全",
        "其他公安事务",
    ];
    /// Used at intake for requests that do not concern the police.
    pub const NON_POLICE: &'static str = "非公安";

    pub fn new(name: &str) -> Result<Self, DomainError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 20 {
            return Err(DomainError::InvalidField {
                field: "category",
                reason: "诉求类别不能为空且不超过20个字".into(),
            });
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Category {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<Category> for String {
    fn from(c: Category) -> Self {
        c.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CaseState {
    /// 待受理: received, not yet dispatched (also after a return).
    PendingAcceptance,
    /// 待签收: dispatched to a handling unit.
    PendingSignIn,
    /// 办理中.
    InProgress,
    /// 待审核: reply submitted, waiting for sign-offs.
    PendingReview,
    /// 已办结: reply published; level-1 follow-up (SMS) under way.
    Completed,
    /// 回访L2: citizen unsatisfied; unit head + supervisor re-handle.
    FollowUpL2,
    /// 回访L3: still unsatisfied; city leader signs off, 纪委/督察/法制 investigate.
    FollowUpL3,
    /// 疑难督办.
    DifficultSupervision,
    /// 已归档.
    Archived,
    /// 已终结: difficult case closed by decision.
    Concluded,
    /// 不予受理.
    Rejected,
    /// 已转其他部门.
    Transferred,
    /// 已合并: linked as duplicate of an earlier case.
    Merged,
}

impl CaseState {
    pub const ALL: &'static [Self] = &[
        Self::PendingAcceptance,
        Self::PendingSignIn,
        Self::InProgress,
        Self::PendingReview,
        Self::Completed,
        Self::FollowUpL2,
        Self::FollowUpL3,
        Self::DifficultSupervision,
        Self::Archived,
        Self::Concluded,
        Self::Rejected,
        Self::Transferred,
        Self::Merged,
    ];

    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::PendingAcceptance => "待受理",
            Self::PendingSignIn => "待签收",
            Self::InProgress => "办理中",
            Self::PendingReview => "待审核",
            Self::Completed => "已办结",
            Self::FollowUpL2 => "回访二级(重办)",
            Self::FollowUpL3 => "回访三级(领导督办)",
            Self::DifficultSupervision => "疑难督办",
            Self::Archived => "已归档",
            Self::Concluded => "已终结",
            Self::Rejected => "不予受理",
            Self::Transferred => "已转其他部门",
            Self::Merged => "已合并",
        }
    }

    pub fn code(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|st| st.code() == s || st.label_zh() == s)
    }

    /// No further workflow happens.
    pub const fn is_closed(self) -> bool {
        matches!(
            self,
            Self::Archived | Self::Concluded | Self::Rejected | Self::Transferred | Self::Merged
        )
    }

    /// A handling unit is working on it against deadlines.
    pub const fn is_handling(self) -> bool {
        matches!(
            self,
            Self::PendingSignIn | Self::InProgress | Self::PendingReview
        )
    }

    /// A published reply exists and the follow-up (回访) is the concern.
    pub const fn is_follow_up_phase(self) -> bool {
        matches!(
            self,
            Self::Completed
                | Self::FollowUpL2
                | Self::FollowUpL3
                | Self::DifficultSupervision
                | Self::Archived
                | Self::Concluded
        )
    }

    /// States that must carry a handling unit.
    pub const fn needs_handling_unit(self) -> bool {
        self.is_handling()
            || matches!(
                self,
                Self::Completed
                    | Self::FollowUpL2
                    | Self::FollowUpL3
                    | Self::DifficultSupervision
                    | Self::Archived
                    | Self::Concluded
            )
    }
}

impl std::fmt::Display for CaseState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// 涉警投诉 / 重要: either makes a case sensitive (needs a second sign-off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseFlags {
    #[serde(default)]
    pub police_complaint: bool,
    #[serde(default)]
    pub important: bool,
}

impl CaseFlags {
    pub const fn is_sensitive(self) -> bool {
        self.police_complaint || self.important
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deadlines {
    pub sign_in: Option<DateTime<Utc>>,
    /// From this instant the sign-in is 即将逾期.
    pub sign_in_warn: Option<DateTime<Utc>>,
    pub reply: Option<DateTime<Utc>>,
    pub reply_warn: Option<DateTime<Utc>>,
    /// Deadline of the current follow-up task (L2/L3).
    pub follow_up_task: Option<DateTime<Utc>>,
    /// A year these deadlines cross whose holiday calendar was not loaded when they were
    /// counted: they assume Monday–Friday there and are shown as provisional until the
    /// calendar of that year is entered (SPEC §10: a missing year is never a silent guess).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_missing: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoUnit {
    pub unit: UnitId,
    pub opinion: Option<Opinion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Opinion {
    pub text: String,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reply {
    pub text: String,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

/// One signature on a reply (签批).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignOff {
    pub step: SignOffStep,
    pub by: UserId,
    pub name: String,
    pub role: Role,
    pub unit: UnitId,
    pub at: DateTime<Utc>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SignOffStep {
    /// 所队长审核 — every reply.
    UnitHead,
    /// 分局督办员或市局领导签批 — sensitive replies only.
    Superior,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExtensionRequest {
    pub reason: String,
    pub until: DateTime<Utc>,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Unsatisfied,
}

impl Satisfaction {
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Satisfied => "满意",
            Self::BasicallySatisfied => "基本满意",
            Self::Unsatisfied => "不满意",
        }
    }

    pub const fn is_satisfied(self) -> bool {
        !matches!(self, Self::Unsatisfied)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FollowUpLevel {
    L1,
    L2,
    L3,
    Difficult,
}

/// Progress of 回访 after the reply was published.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUp {
    pub level: Option<FollowUpLevel>,
    /// The citizen's answer is what the case waits for now.
    pub awaiting_answer: bool,
    pub satisfaction: Option<Satisfaction>,
    pub rehandle_result: Option<String>,
    pub leader_signed: bool,
    pub investigation: Option<String>,
    pub supervision_notices: u32,
}

/// 领导批示: which leader instructed and what (channel 领导批示 only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaderInstruction {
    /// The leader's name and post, e.g. 王市长.
    pub leader: String,
    /// The instruction as written (批示内容).
    pub instruction: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Case {
    pub id: CaseId,
    /// Assigned by the server (`MS202611260001`); absent for cases created offline until synced.
    pub number: Option<String>,
    /// Bumped by the server on every change; the sync protocol's base version.
    pub version: u64,
    pub channel: Channel,
    pub request_type: RequestType,
    pub category: Option<Category>,
    pub title: String,
    pub content: String,
    pub citizen: Citizen,
    pub address: Option<String>,
    pub district: Option<String>,
    pub received_at: DateTime<Utc>,
    pub urgency: Urgency,
    pub flags: CaseFlags,
    pub handling_unit: Option<UnitId>,
    pub supervising_unit: Option<UnitId>,
    pub co_units: Vec<CoUnit>,
    pub assigned_officer: Option<UserId>,
    pub state: CaseState,
    pub deadlines: Deadlines,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub signed_in_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reply: Option<Reply>,
    pub sign_offs: Vec<SignOff>,
    pub pending_extension: Option<ExtensionRequest>,
    pub extensions_granted: u32,
    pub duplicate_of: Option<CaseId>,
    pub follow_up: FollowUp,
    pub return_count: u32,
    pub urge_count: u32,
    /// Why it was rejected, transferred or concluded.
    pub closing_note: Option<String>,
    pub created_by: UserId,
    /// The station whose officer recorded the request on a home visit (入户走访); it keeps
    /// seeing the case it registered.
    #[serde(default)]
    pub intake_unit: Option<UnitId>,
    /// 领导批示 cases: the leader and the instruction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_instruction: Option<LeaderInstruction>,
}

impl Case {
    pub fn is_sensitive(&self) -> bool {
        self.flags.is_sensitive()
    }

    /// Broken rules, if any; used by tests and by the server as a last guard before writing.
    pub fn invariant_violations(&self) -> Vec<String> {
        let mut v = Vec::new();
        let s = self.state;
        if s.needs_handling_unit() && self.handling_unit.is_none() {
            v.push(format!("{s} 状态必须有承办单位"));
        }
        if s == CaseState::PendingAcceptance && self.handling_unit.is_some() {
            v.push("待受理的诉求不应有承办单位".into());
        }
        if let Some(h) = self.handling_unit {
            if self.co_units.iter().any(|c| c.unit == h) {
                v.push("主办单位不能同时是联办单位".into());
            }
        }
        let mut units: Vec<_> = self.co_units.iter().map(|c| c.unit).collect();
        units.sort();
        units.dedup();
        if units.len() != self.co_units.len() {
            v.push("联办单位重复".into());
        }
        if (s.is_follow_up_phase() || s == CaseState::PendingReview) && self.reply.is_none() {
            v.push(format!("{s} 状态必须有答复"));
        }
        if s.is_follow_up_phase() && self.completed_at.is_none() {
            v.push(format!("{s} 状态必须有办结时间"));
        }
        for d in [self.deadlines.sign_in, self.deadlines.reply]
            .into_iter()
            .flatten()
        {
            if d < self.received_at {
                v.push("期限早于受理时间".into());
            }
        }
        if s.is_handling() && (self.deadlines.sign_in.is_none() || self.deadlines.reply.is_none()) {
            v.push("办理中的诉求必须有签收和答复期限".into());
        }
        if s == CaseState::Merged && self.duplicate_of.is_none() {
            v.push("已合并的诉求必须指向主件".into());
        }
        if self.duplicate_of == Some(self.id) {
            v.push("诉求不能是自己的重复件".into());
        }
        if s != CaseState::PendingReview && !s.is_follow_up_phase() && !self.sign_offs.is_empty() {
            v.push("未提交答复却有签批".into());
        }
        if self.pending_extension.is_some() && !s.is_handling() {
            v.push("非办理状态不应有待批延期".into());
        }
        if s.is_closed() && self.closed_at.is_none() {
            v.push(format!("{s} 状态必须有关闭时间"));
        }
        v
    }
}
