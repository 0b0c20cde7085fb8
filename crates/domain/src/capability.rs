//! What each role may reach, stated once: the server's route guards and the desktop's
//! menu, work-bench cards and buttons read this, and the workflow-derived entries come
//! from the transition table itself (`workflow::rule`), so a change there moves both.
//!
//! Per-case permission stays with the state machine (`workflow::allowed_actions`): a
//! capability only says that a role has the screen or the button at all.

use serde::{Deserialize, Serialize};

use crate::role::Role;
use crate::workflow::{rule, ActionKind};

/// One thing a role can do somewhere in the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Capability {
    /// 新建诉求: register a request from any channel.
    Register,
    /// 受理分派: dispatch, reject, transfer out and link duplicates of new requests.
    Dispatch,
    /// 入户走访: register what a citizen said on a home visit (the only channel the
    /// front line registers itself).
    HomeVisit,
    /// 批量导入 of a channel's export.
    BulkImport,
    /// 知识库维护: edit and review the standard replies.
    EditKnowledge,
    /// 签收、答复: handle a case of the own unit.
    Handle,
    /// 审核签批: decide sign-offs and extension requests.
    Approve,
    /// 督办: the supervising view of a branch or the city (extensions, 督办通知).
    Supervise,
    /// 催办 running cases.
    Urge,
    /// 全局掌控、考核排名、预警 for the figures the role may see.
    Assessment,
    /// Every case and figure of the city, not one unit's or branch's.
    CityWide,
    /// 生成通报 (weekly and monthly reports) on demand.
    Reports,
    /// 回访队列: read the follow-up queue and its figures.
    ReadFollowUps,
    /// 电话回访: record citizens' answers by phone, window-service rounds included.
    AnswerFollowUps,
    /// 系统管理: users, units, weights and templates.
    Administer,
    /// 优秀监督员: the register (propose, confirm, retire), consultation rounds, answers.
    ManageSupervisors,
    /// 监督员走访/电话任务: the responsible unit's consultations of its supervisors.
    SupervisorTasks,
    /// 监督员之声: what the supervisors said (dashboard card and export).
    SupervisorFeedback,
    /// 责任倒查: the accountability records of substantiated 涉警投诉 (纪检督察 and
    /// 市局领导 only; the admin does not see them).
    Accountability,
}

impl Capability {
    pub const ALL: [Capability; 19] = [
        Self::Register,
        Self::Dispatch,
        Self::HomeVisit,
        Self::BulkImport,
        Self::EditKnowledge,
        Self::Handle,
        Self::Approve,
        Self::Supervise,
        Self::Urge,
        Self::Assessment,
        Self::CityWide,
        Self::Reports,
        Self::ReadFollowUps,
        Self::AnswerFollowUps,
        Self::Administer,
        Self::ManageSupervisors,
        Self::SupervisorTasks,
        Self::SupervisorFeedback,
        Self::Accountability,
    ];
}

/// Roles the transition table allows to take `kind` from some state.
fn may_act(role: Role, kind: ActionKind) -> bool {
    rule(kind).0.contains(&role)
}

impl Role {
    /// Whether this role has `c` at all (see the module note).
    pub fn can(self, c: Capability) -> bool {
        use Capability as C;
        use Role as R;
        if self == R::System {
            return false;
        }
        match c {
            C::Register | C::BulkImport | C::EditKnowledge => matches!(self, R::Clerk | R::Admin),
            C::Dispatch => may_act(self, ActionKind::Dispatch),
            C::HomeVisit => matches!(self, R::Officer | R::UnitHead),
            C::Handle => may_act(self, ActionKind::SubmitReply),
            C::Approve => {
                may_act(self, ActionKind::Approve) || may_act(self, ActionKind::ApproveExtension)
            }
            C::Supervise => may_act(self, ActionKind::ApproveExtension),
            C::Urge => may_act(self, ActionKind::Urge),
            C::Assessment => {
                self.sees_everything() || matches!(self, R::Supervisor | R::UnitHead | R::Officer)
            }
            C::CityWide | C::Reports => self.sees_everything(),
            C::ReadFollowUps => matches!(self, R::FollowUp | R::Leader | R::Admin | R::Clerk),
            C::AnswerFollowUps => matches!(self, R::FollowUp | R::Clerk),
            C::Administer => self == R::Admin,
            C::ManageSupervisors => matches!(self, R::Clerk | R::Admin),
            C::SupervisorTasks => matches!(self, R::UnitHead | R::Officer),
            C::SupervisorFeedback => matches!(self, R::Leader | R::Clerk | R::Admin),
            C::Accountability => matches!(self, R::Inspector | R::Leader),
        }
    }

    /// Every capability of this role, in `Capability::ALL` order.
    pub fn capabilities(self) -> Vec<Capability> {
        Capability::ALL
            .into_iter()
            .filter(|c| self.can(*c))
            .collect()
    }
}
