//! The case state machine: which role may take which action from which state.
//! `apply` is pure: it returns the next case or a typed reason for refusing.

use chrono::{DateTime, Utc};

use crate::calendar::Calendar;
use crate::case::{Case, CaseState, CoUnit, FollowUpLevel, Opinion, Reply, SignOff, SignOffStep};
use crate::config::CategoryEntry;
use crate::error::DomainError;
use crate::ids::UnitId;
use crate::org::OrgTree;
use crate::role::{Actor, Role};
use crate::scope;
use crate::sla::SlaRules;
use crate::workflow::action::{Action, ActionKind, DispatchOrder};

/// What a transition needs besides the case: the time (passed in, never read here),
/// the org tree, the calendar, the SLA rules and the city's list of categories.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub now: DateTime<Utc>,
    pub org: &'a OrgTree,
    pub calendar: &'a Calendar,
    pub sla: &'a SlaRules,
    /// Every category the city has had (retired ones too: a client that dispatched
    /// offline before a category was retired is not refused for it). Empty: any name.
    pub categories: &'a [CategoryEntry],
}

/// Who acts relative to the case, which decides what a role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Anyone,
    LeadHandler,
    CoHandler,
    Handler,
    Supervisor,
    /// 纪委/督察/法制: investigate any level-3 follow-up, whatever unit handled it.
    Investigator,
}

/// The static table: roles allowed for each action, and the states it starts from.
pub fn rule(kind: ActionKind) -> (&'static [Role], &'static [CaseState]) {
    use ActionKind as A;
    use CaseState as S;
    use Role as R;
    const HANDLING: &[CaseState] = &[S::PendingSignIn, S::InProgress, S::PendingReview];
    const ACTIVE: &[CaseState] = &[
        S::PendingAcceptance,
        S::PendingSignIn,
        S::InProgress,
        S::PendingReview,
        S::FollowUpL2,
        S::FollowUpL3,
        S::DifficultSupervision,
    ];
    match kind {
        A::Dispatch | A::Reject | A::TransferOut | A::LinkDuplicate => {
            (&[R::Clerk], &[S::PendingAcceptance])
        }
        A::Redispatch => (&[R::Clerk], &[S::PendingSignIn, S::InProgress]),
        A::SignIn => (&[R::Officer, R::UnitHead], &[S::PendingSignIn]),
        A::Assign => (
            &[R::UnitHead],
            &[S::PendingSignIn, S::InProgress, S::FollowUpL2],
        ),
        A::Return => (
            &[R::Officer, R::UnitHead],
            &[S::PendingSignIn, S::InProgress],
        ),
        // A co-unit may be a 分局 or a line department (治安、交通管理): its 督办员 answers.
        A::CoUnitOpinion => (
            &[R::Officer, R::UnitHead, R::Supervisor],
            &[S::PendingSignIn, S::InProgress],
        ),
        A::SubmitReply => (&[R::Officer, R::UnitHead], &[S::InProgress]),
        A::Approve | A::SendBack => (
            &[R::UnitHead, R::Supervisor, R::Leader],
            &[S::PendingReview],
        ),
        A::RequestExtension => (&[R::UnitHead], &[S::PendingSignIn, S::InProgress]),
        A::ApproveExtension | A::RejectExtension => (&[R::Supervisor, R::Leader], HANDLING),
        A::Urge => (&[R::Supervisor, R::Leader, R::Clerk], &ACTIVE[1..]),
        A::Consult => (
            &[R::Officer, R::UnitHead, R::Supervisor, R::Leader, R::Clerk],
            ACTIVE,
        ),
        A::AddNote => (
            &[
                R::Officer,
                R::UnitHead,
                R::Supervisor,
                R::Leader,
                R::Clerk,
                R::FollowUp,
                R::Admin,
            ],
            CaseState::ALL,
        ),
        A::FollowUpAnswer => (
            &[R::FollowUp, R::System],
            &[
                S::Completed,
                S::FollowUpL2,
                S::FollowUpL3,
                S::DifficultSupervision,
            ],
        ),
        A::RecordRehandle => (&[R::UnitHead, R::Supervisor], &[S::FollowUpL2]),
        A::LeaderSignOff => (&[R::Leader], &[S::FollowUpL3]),
        A::RecordInvestigation => (&[R::Supervisor, R::Leader], &[S::FollowUpL3]),
        A::SupervisionNotice => (&[R::Supervisor, R::Leader], &[S::DifficultSupervision]),
        A::Conclude => (&[R::Leader], &[S::DifficultSupervision]),
        A::Archive => (&[R::FollowUp, R::Clerk], &[S::Completed]),
        A::AdoptMasterReply => (&[R::System], &[S::Merged]),
    }
}

fn standing_needed(kind: ActionKind, role: Role) -> Standing {
    use ActionKind as A;
    match (kind, role) {
        (A::CoUnitOpinion, _) => Standing::CoHandler,
        (A::Consult | A::AddNote, Role::Officer | Role::UnitHead) => Standing::Handler,
        (A::RecordInvestigation, Role::Supervisor) => Standing::Investigator,
        (_, Role::Officer | Role::UnitHead) => Standing::LeadHandler,
        (_, Role::Supervisor) => Standing::Supervisor,
        _ => Standing::Anyone,
    }
}

fn has_standing(s: Standing, actor: &Actor, case: &Case, org: &OrgTree) -> bool {
    match s {
        Standing::Anyone => true,
        Standing::LeadHandler => scope::is_lead_handler(actor, case),
        Standing::CoHandler => scope::is_co_handler(actor, case),
        Standing::Handler => scope::is_handler(actor, case),
        Standing::Supervisor => scope::supervises(actor, case, org),
        Standing::Investigator => is_investigator(actor.unit_id, org),
    }
}

/// Whether `actor` could take `kind` on `case` now (for showing buttons).
pub fn allowed(case: &Case, actor: &Actor, kind: ActionKind, org: &OrgTree) -> bool {
    check_permission(case, actor, kind, org).is_ok()
}

/// Every action `actor` may take on `case` now.
pub fn allowed_actions(case: &Case, actor: &Actor, org: &OrgTree) -> Vec<ActionKind> {
    ActionKind::ALL
        .iter()
        .copied()
        .filter(|k| allowed(case, actor, *k, org))
        .collect()
}

fn check_permission(
    case: &Case,
    actor: &Actor,
    kind: ActionKind,
    org: &OrgTree,
) -> Result<(), DomainError> {
    let (roles, states) = rule(kind);
    if !roles.contains(&actor.role) {
        return Err(DomainError::RoleNotAllowed {
            action: kind,
            role: actor.role,
        });
    }
    if !has_standing(standing_needed(kind, actor.role), actor, case, org) {
        return Err(DomainError::OutOfScope);
    }
    if !states.contains(&case.state) {
        return Err(DomainError::IllegalTransition {
            action: kind,
            state: case.state,
        });
    }
    if matches!(kind, ActionKind::Approve | ActionKind::SendBack) {
        check_reviewer(case, actor, kind)?;
    }
    precondition(case, kind)
}

/// Conditions on the case beyond its state that do not depend on the payload, checked
/// here so the buttons offered (`allowed_actions`) are exactly the ones that can work.
fn precondition(case: &Case, kind: ActionKind) -> Result<(), DomainError> {
    let awaiting = matches!(
        case.state,
        CaseState::Completed | CaseState::DifficultSupervision
    ) || case.follow_up.awaiting_answer;
    match kind {
        ActionKind::ApproveExtension | ActionKind::RejectExtension
            if case.pending_extension.is_none() =>
        {
            Err(DomainError::NoPendingExtension)
        }
        ActionKind::RequestExtension if case.pending_extension.is_some() => {
            Err(DomainError::ExtensionPending)
        }
        ActionKind::FollowUpAnswer if !awaiting => Err(DomainError::NotAwaitingAnswer),
        ActionKind::RecordRehandle if case.follow_up.awaiting_answer => {
            Err(DomainError::IllegalTransition {
                action: kind,
                state: case.state,
            })
        }
        _ => Ok(()),
    }
}

fn text(field: &'static str, label: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::InvalidField {
            field,
            reason: format!("{label}不能为空"),
        });
    }
    if v.chars().count() > max {
        return Err(DomainError::InvalidField {
            field,
            reason: format!("{label}不能超过{max}个字"),
        });
    }
    Ok(v.to_owned())
}

const REASON_MAX: usize = 1000;
const REPLY_MAX: usize = 10_000;
/// The furthest an extension may move the reply deadline: a year from now. The working
/// time up to it is counted day by day, so a deadline centuries out would hold a worker
/// for minutes (and overflow at the end of the calendar).
const EXTENSION_MAX_DAYS: i64 = 366;

/// Every problem `apply` finds with this action (the action form marks the field it
/// names); empty when the action applies. The same rules as `apply`, not a copy.
pub fn check_action(
    case: &Case,
    actor: &Actor,
    action: &Action,
    ctx: &Ctx<'_>,
) -> Vec<crate::workflow::FieldProblem> {
    match apply(case, actor, action, ctx) {
        Ok(_) => Vec::new(),
        Err(e) => vec![crate::workflow::FieldProblem::of(&e)],
    }
}

/// Applies `action` by `actor` to `case`. The returned case has the same version;
/// the store bumps it when it persists the change.
pub fn apply(
    case: &Case,
    actor: &Actor,
    action: &Action,
    ctx: &Ctx<'_>,
) -> Result<Case, DomainError> {
    let kind = action.kind();
    check_permission(case, actor, kind, ctx.org)?;
    let now = ctx.now;
    let mut c = case.clone();
    match action {
        Action::Dispatch(order) => dispatch(&mut c, order, ctx)?,
        Action::Redispatch { order, reason } => {
            text("reason", "改派原因", reason, REASON_MAX)?;
            if Some(order.handling_unit) == case.handling_unit {
                return Err(DomainError::InvalidField {
                    field: "handlingUnit",
                    reason: "改派必须指定不同的承办单位".into(),
                });
            }
            dispatch(&mut c, order, ctx)?;
        }
        Action::Reject { reason } => {
            c.closing_note = Some(text("reason", "不予受理原因", reason, REASON_MAX)?);
            close(&mut c, CaseState::Rejected, now);
        }
        Action::TransferOut { department, reason } => {
            let dept = text("department", "接收部门", department, 100)?;
            let reason = text("reason", "转办原因", reason, REASON_MAX)?;
            c.closing_note = Some(format!("转{dept}：{reason}"));
            close(&mut c, CaseState::Transferred, now);
        }
        Action::LinkDuplicate { master } => {
            if *master == case.id {
                return Err(DomainError::InvalidField {
                    field: "master",
                    reason: "不能关联到自身".into(),
                });
            }
            c.duplicate_of = Some(*master);
            close(&mut c, CaseState::Merged, now);
        }
        Action::AdoptMasterReply { master, answer } => {
            if case.duplicate_of != Some(*master) {
                return Err(DomainError::InvalidField {
                    field: "master",
                    reason: "该件并未关联到此主件".into(),
                });
            }
            if ctx.org.get(answer.handling_unit).is_none() {
                return Err(DomainError::UnknownUnit(answer.handling_unit.to_string()));
            }
            let steps: Vec<SignOffStep> = answer.sign_offs.iter().map(|x| x.step).collect();
            if steps != required_sign_offs(answer.flags) {
                return Err(DomainError::InvalidField {
                    field: "answer",
                    reason: "主件答复尚未完成审核签批，不能同步给重复件".into(),
                });
            }
            c.reply = Some(answer.reply.clone());
            c.sign_offs.clone_from(&answer.sign_offs);
            c.handling_unit = Some(answer.handling_unit);
            c.supervising_unit = answer.supervising_unit;
            c.category.clone_from(&answer.category);
            c.flags = answer.flags;
            c.state = CaseState::Completed;
            c.completed_at = Some(now);
            c.closed_at = None;
            c.follow_up.level = Some(FollowUpLevel::L1);
            c.follow_up.awaiting_answer = true;
        }
        Action::SignIn => {
            c.state = CaseState::InProgress;
            c.signed_in_at = Some(now);
            if c.assigned_officer.is_none() && actor.role == Role::Officer {
                c.assigned_officer = Some(actor.user_id);
            }
        }
        Action::Assign { officer } => {
            if Some(officer.unit) != case.handling_unit
                || !matches!(officer.role, Role::Officer | Role::UnitHead)
            {
                return Err(DomainError::InvalidField {
                    field: "officer",
                    reason: "只能指派本单位的民警".into(),
                });
            }
            c.assigned_officer = Some(officer.id);
        }
        Action::Return { reason } => {
            c.closing_note = Some(text("reason", "退办原因", reason, REASON_MAX)?);
            c.state = CaseState::PendingAcceptance;
            c.handling_unit = None;
            c.supervising_unit = None;
            c.co_units.clear();
            c.assigned_officer = None;
            c.deadlines = crate::case::Deadlines::default();
            c.pending_extension = None;
            c.signed_in_at = None;
            c.dispatched_at = None;
            c.return_count += 1;
        }
        Action::CoUnitOpinion { text: t } => {
            let t = text("text", "联办意见", t, REPLY_MAX)?;
            if let Some(co) = c.co_units.iter_mut().find(|co| co.unit == actor.unit_id) {
                co.opinion = Some(Opinion {
                    text: t,
                    by: actor.user_id,
                    at: now,
                });
            }
        }
        Action::SubmitReply { text: t } => {
            let t = text("text", "答复内容", t, REPLY_MAX)?;
            let missing: Vec<String> = c
                .co_units
                .iter()
                .filter(|co| co.opinion.is_none())
                .map(|co| {
                    ctx.org
                        .get(co.unit)
                        .map_or_else(|| co.unit.to_string(), |u| u.name.clone())
                })
                .collect();
            if !missing.is_empty() {
                return Err(DomainError::CoOpinionsMissing(missing.join("、")));
            }
            c.reply = Some(Reply {
                text: t,
                by: actor.user_id,
                at: now,
            });
            c.sign_offs.clear();
            c.state = CaseState::PendingReview;
        }
        Action::Approve { comment, verdict } => {
            approve(&mut c, actor, comment.as_deref(), ctx)?;
            check_verdict(case, *verdict, c.state == CaseState::Completed)?;
        }
        Action::SendBack { reason } => {
            c.closing_note = Some(text("reason", "退回原因", reason, REASON_MAX)?);
            c.sign_offs.clear();
            c.state = CaseState::InProgress;
        }
        Action::RequestExtension { reason, until } => {
            let reason = text("reason", "延期原因", reason, REASON_MAX)?;
            if c.pending_extension.is_some() {
                return Err(DomainError::ExtensionPending);
            }
            if c.deadlines.reply.is_some_and(|d| *until <= d) || *until <= now {
                return Err(DomainError::InvalidField {
                    field: "until",
                    reason: "延期后的期限必须晚于当前答复期限".into(),
                });
            }
            if *until > now + chrono::Duration::days(EXTENSION_MAX_DAYS) {
                return Err(DomainError::InvalidField {
                    field: "until",
                    reason: "延期后的期限不能超过一年".into(),
                });
            }
            c.pending_extension = Some(crate::case::ExtensionRequest {
                reason,
                until: *until,
                by: actor.user_id,
                at: now,
            });
        }
        Action::ApproveExtension { comment } => {
            if let Some(cm) = comment {
                text("comment", "审批意见", cm, REASON_MAX)?;
            }
            let ext = c
                .pending_extension
                .take()
                .ok_or(DomainError::NoPendingExtension)?;
            c.deadlines.reply = Some(ext.until);
            c.deadlines.reply_warn = Some(ctx.sla.warn_before(ctx.calendar, now, ext.until));
            c.deadlines.calendar_missing = ctx
                .calendar
                .missing_year_between(now, c.deadlines.sign_in.unwrap_or(now).max(ext.until));
            c.extensions_granted += 1;
        }
        Action::RejectExtension { reason } => {
            text("reason", "驳回原因", reason, REASON_MAX)?;
            c.pending_extension
                .take()
                .ok_or(DomainError::NoPendingExtension)?;
        }
        Action::Urge { message } => {
            text("message", "催办内容", message, REASON_MAX)?;
            c.urge_count += 1;
        }
        Action::Consult {
            participants,
            summary,
        } => {
            text("summary", "会商纪要", summary, REPLY_MAX)?;
            if participants.iter().all(|p| p.trim().is_empty()) {
                return Err(DomainError::InvalidField {
                    field: "participants",
                    reason: "会商必须有参加人员".into(),
                });
            }
        }
        Action::AddNote { text: t } => {
            text("text", "备注", t, REPLY_MAX)?;
        }
        Action::FollowUpAnswer {
            satisfaction, note, ..
        } => {
            if let Some(n) = note {
                if n.chars().count() > REPLY_MAX {
                    return Err(DomainError::InvalidField {
                        field: "note",
                        reason: "回访记录过长".into(),
                    });
                }
            }
            follow_up_answer(&mut c, *satisfaction, ctx)?;
        }
        Action::RecordRehandle { result } => {
            let r = text("result", "重办结果", result, REPLY_MAX)?;
            if c.follow_up.awaiting_answer {
                return Err(DomainError::IllegalTransition {
                    action: kind,
                    state: c.state,
                });
            }
            c.follow_up.rehandle_result = Some(r);
            c.follow_up.awaiting_answer = true;
        }
        Action::LeaderSignOff { opinion } => {
            text("opinion", "领导签批意见", opinion, REPLY_MAX)?;
            c.follow_up.leader_signed = true;
            c.follow_up.awaiting_answer = c.follow_up.investigation.is_some();
        }
        Action::RecordInvestigation {
            department,
            finding,
            verdict,
        } => {
            check_verdict(case, *verdict, true)?;
            let finding = text("finding", "调查结论", finding, REPLY_MAX)?;
            if actor.role == Role::Supervisor && !is_investigator(actor.unit_id, ctx.org) {
                return Err(DomainError::InvalidField {
                    field: "department",
                    reason: "只有纪委、督察、法制部门可以录入调查结论".into(),
                });
            }
            c.follow_up.investigation = Some(format!("{department:?}:{finding}"));
            c.follow_up.awaiting_answer = c.follow_up.leader_signed;
        }
        Action::SupervisionNotice { notice } => {
            text("notice", "督办通知", notice, REPLY_MAX)?;
            c.follow_up.supervision_notices += 1;
        }
        Action::Conclude { decision } => {
            c.closing_note = Some(text("decision", "终结决定", decision, REPLY_MAX)?);
            close(&mut c, CaseState::Concluded, now);
        }
        Action::Archive { reason } => {
            c.closing_note = Some(text("reason", "归档说明", reason, REASON_MAX)?);
            c.follow_up.awaiting_answer = false;
            close(&mut c, CaseState::Archived, now);
        }
    }
    Ok(c)
}

/// A category of the city's list (SPEC §10: the one list the forms, the server and the
/// assessment use).
fn known_category(name: &str, ctx: &Ctx<'_>) -> Result<(), DomainError> {
    if ctx.categories.is_empty() || ctx.categories.iter().any(|e| e.name == name) {
        Ok(())
    } else {
        Err(DomainError::UnknownCategory(name.to_owned()))
    }
}

fn close(c: &mut Case, state: CaseState, now: DateTime<Utc>) {
    c.state = state;
    c.closed_at = Some(now);
    c.pending_extension = None;
}

fn dispatch(c: &mut Case, order: &DispatchOrder, ctx: &Ctx<'_>) -> Result<(), DomainError> {
    known_category(order.category.as_str(), ctx)?;
    let org = ctx.org;
    let handling = org
        .get(order.handling_unit)
        .filter(|u| u.can_handle())
        .ok_or_else(|| {
            DomainError::UnknownUnit(format!("承办单位 {}（必须是科所队）", order.handling_unit))
        })?;
    if !handling.active {
        return Err(DomainError::UnknownUnit(format!(
            "承办单位“{}”已停用",
            handling.name
        )));
    }
    let supervising = match order.supervising_unit {
        Some(s) => {
            let u = org.get(s).filter(|u| u.can_supervise()).ok_or_else(|| {
                DomainError::UnknownUnit(format!("督办单位 {s}（必须是市局或分局/支队）"))
            })?;
            Some(u.id)
        }
        None => org.default_supervisor(handling.id),
    };
    let mut co: Vec<UnitId> = order.co_units.clone();
    co.sort();
    co.dedup();
    for u in &co {
        let joins = org.get(*u).is_some_and(|x| {
            x.active && (x.can_handle() || x.level == crate::org::UnitLevel::Branch)
        });
        if *u == handling.id || !joins {
            return Err(DomainError::UnknownUnit(format!(
                "联办单位 {u}（必须是其他科所队、分局或警种支队）"
            )));
        }
    }
    let from = ctx.now.max(c.received_at);
    c.handling_unit = Some(handling.id);
    c.supervising_unit = supervising;
    c.co_units = co
        .into_iter()
        .map(|unit| CoUnit {
            unit,
            opinion: None,
        })
        .collect();
    c.category = Some(order.category.clone());
    c.request_type = order.request_type;
    c.urgency = order.urgency;
    c.flags = order.flags;
    c.assigned_officer = None;
    c.signed_in_at = None;
    c.pending_extension = None;
    c.dispatched_at = Some(ctx.now);
    c.deadlines = ctx
        .sla
        .deadlines(ctx.calendar, from, order.urgency, order.request_type);
    c.state = CaseState::PendingSignIn;
    Ok(())
}

/// Reviewers: the lead unit's head; for sensitive cases also a supervisor in scope or a leader.
fn check_reviewer(c: &Case, actor: &Actor, kind: ActionKind) -> Result<(), DomainError> {
    let ok = match actor.role {
        Role::UnitHead => true, // lead-handler standing was already checked
        Role::Supervisor | Role::Leader => c.is_sensitive(),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(DomainError::RoleNotAllowed {
            action: kind,
            role: actor.role,
        })
    }
}

fn approve(
    c: &mut Case,
    actor: &Actor,
    comment: Option<&str>,
    ctx: &Ctx<'_>,
) -> Result<(), DomainError> {
    if let Some(cm) = comment {
        if cm.chars().count() > REASON_MAX {
            return Err(DomainError::InvalidField {
                field: "comment",
                reason: "审核意见过长".into(),
            });
        }
    }
    let step = if actor.role == Role::UnitHead {
        SignOffStep::UnitHead
    } else {
        SignOffStep::Superior
    };
    let has = |c: &Case, s: SignOffStep| c.sign_offs.iter().any(|x| x.step == s);
    if has(c, step) {
        return Err(DomainError::AlreadySigned);
    }
    if step == SignOffStep::Superior && !has(c, SignOffStep::UnitHead) {
        return Err(DomainError::SignOffOrder);
    }
    c.sign_offs.push(SignOff {
        step,
        by: actor.user_id,
        name: actor.name.clone(),
        role: actor.role,
        unit: actor.unit_id,
        at: ctx.now,
        comment: comment.map(str::to_owned),
    });
    if required_sign_offs(c.flags).iter().all(|s| has(c, *s)) {
        c.state = CaseState::Completed;
        c.completed_at = Some(ctx.now);
        c.pending_extension = None;
        c.follow_up.level = Some(FollowUpLevel::L1);
        c.follow_up.awaiting_answer = true;
    }
    Ok(())
}

/// A 涉警投诉 takes a verdict (属实/部分属实/不属实) where it is concluded — its final
/// sign-off, or the level-3 investigation — and nowhere else; other cases never take one.
fn check_verdict(
    case: &Case,
    verdict: Option<crate::workflow::ComplaintVerdict>,
    concludes: bool,
) -> Result<(), DomainError> {
    match (case.flags.police_complaint, concludes, verdict) {
        (true, true, None) => Err(DomainError::InvalidField {
            field: "verdict",
            reason: "涉警投诉须认定投诉是否属实（属实/部分属实/不属实）".into(),
        }),
        (false, _, Some(_)) => Err(DomainError::InvalidField {
            field: "verdict",
            reason: "只有涉警投诉需要认定是否属实".into(),
        }),
        (true, false, Some(_)) => Err(DomainError::InvalidField {
            field: "verdict",
            reason: "是否属实由最终签批（上级审核）认定".into(),
        }),
        _ => Ok(()),
    }
}

/// Whether `master` may take duplicates (首问负责): it must still be the live first report —
/// not merged into another case (link to that one instead), and not closed.
pub fn check_master(master: &Case) -> Result<(), DomainError> {
    let reason = match master.state {
        CaseState::Merged => "主件本身已合并到其他诉求件，请关联最初的主件",
        CaseState::Rejected | CaseState::Transferred => "主件已不予受理或转其他部门，不能作为主件",
        st if st.is_closed() => "主件已归档或终结，请按新诉求派单",
        _ => return Ok(()),
    };
    Err(DomainError::InvalidField {
        field: "master",
        reason: reason.into(),
    })
}

/// The sign-offs a reply needs, in order: the unit head, and for 涉警投诉/重要 also the
/// superior (supervisor or leader).
fn required_sign_offs(flags: crate::case::CaseFlags) -> &'static [SignOffStep] {
    if flags.is_sensitive() {
        &[SignOffStep::UnitHead, SignOffStep::Superior]
    } else {
        &[SignOffStep::UnitHead]
    }
}

fn follow_up_answer(
    c: &mut Case,
    sat: crate::case::Satisfaction,
    ctx: &Ctx<'_>,
) -> Result<(), DomainError> {
    let awaiting = match c.state {
        CaseState::Completed | CaseState::DifficultSupervision => true,
        _ => c.follow_up.awaiting_answer,
    };
    if !awaiting {
        return Err(DomainError::NotAwaitingAnswer);
    }
    c.follow_up.satisfaction = Some(sat);
    if sat.is_satisfied() {
        c.follow_up.awaiting_answer = false;
        close(c, CaseState::Archived, ctx.now);
        return Ok(());
    }
    let (state, level) = match c.state {
        CaseState::Completed => (CaseState::FollowUpL2, FollowUpLevel::L2),
        CaseState::FollowUpL2 => (CaseState::FollowUpL3, FollowUpLevel::L3),
        // Unsatisfied again in 疑难督办 keeps it there until a leader concludes.
        _ => (CaseState::DifficultSupervision, FollowUpLevel::Difficult),
    };
    c.state = state;
    c.follow_up.level = Some(level);
    c.follow_up.awaiting_answer = false;
    c.follow_up.rehandle_result = None;
    c.follow_up.leader_signed = false;
    c.follow_up.investigation = None;
    c.deadlines.follow_up_task = Some(
        ctx.calendar
            .add_working_days(ctx.now, ctx.sla.follow_up_task_days),
    );
    Ok(())
}

fn is_investigator(unit: UnitId, org: &OrgTree) -> bool {
    org.get(unit).is_some_and(crate::org::Unit::is_investigator)
}
