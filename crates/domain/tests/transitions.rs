//! Every transition of the workflow, allowed and refused, checked against SPEC section 4
//! written out literally below (`TABLE`: role × state × action, never read from the
//! production `rule()`), plus the named scenarios: lifecycle, sensitive sign-off, return, joint handling, extensions,
//! follow-up escalation, holiday deadlines, work lists, intake, timeline and masking.

mod common;

use chrono::Duration;
use common::{answer, base_time, bj, case_in, expected_targets, local, sample_action, Run, World};
use minsheng_domain::case::{
    CaseFlags, CaseState, FollowUpLevel, Satisfaction, SignOffStep, Urgency,
};
use minsheng_domain::citizen::Citizen;
use minsheng_domain::ids::{CaseId, EntryId};
use minsheng_domain::lists::{is_due_soon, is_overdue, lists_of, WorkList};
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::scope::can_see;
use minsheng_domain::timeline::{verify_chain, TimelineEntry, GENESIS};
use minsheng_domain::workflow::{
    allowed, allowed_actions, apply, intake, Action, ActionKind, Assignee, ComplaintVerdict,
    InvestigatingDept,
};
use minsheng_domain::DomainError;

// ---------------------------------------------------------------------------------
// Table-driven: every action × every state × every role.
// ---------------------------------------------------------------------------------

/// The actor of `role` who has standing on the table's case (lead A1, co-unit A2,
/// branch A, the 督察 investigator).
fn in_scope(w: &World, kind: ActionKind, role: Role) -> &Actor {
    let a = &w.a;
    match role {
        Role::Clerk => &a.clerk,
        Role::FollowUp => &a.follow_up,
        Role::Admin => &a.admin,
        Role::Inspector => &a.inspector,
        Role::System => &a.system,
        Role::Leader => &a.leader,
        Role::Supervisor if kind == ActionKind::RecordInvestigation => &a.sup_inspection,
        Role::Supervisor if kind == ActionKind::CoUnitOpinion => &a.sup_public_order,
        Role::Supervisor => &a.sup_a,
        Role::Officer if kind == ActionKind::CoUnitOpinion => &a.officer_a2,
        Role::Officer => &a.officer_a1,
        Role::UnitHead if kind == ActionKind::CoUnitOpinion => &a.head_a2,
        Role::UnitHead => &a.head_a1,
    }
}

/// SPEC §4 (with the roles of §2) written out literally, independent of `rule()`: for
/// every action, the roles that may take it and, per state, what happens when the actor
/// of that role who has standing on the table's case (see `in_scope`) tries it. A role
/// not listed for an action is refused with `RoleNotAllowed` in every state.
///
/// Columns, in this order (the `STATES` row below):
///   待受理 待签收 办理中 待审核 已办结 回访L2 回访L3 疑难督办 已归档 已终结 不予受理 已转出 已合并
/// Cells:
///   `+` allowed
///   `s` refused `IllegalTransition` (not from this state)
///   `o` refused `OutOfScope`: a role whose standing comes from the case's handling, co- or
///       supervising unit has none while the case has no handling unit (before dispatch,
///       or closed at intake); standing is checked before the state
///   `r` refused `RoleNotAllowed`: the table's case is not sensitive (SPEC §4: only
///       sensitive replies need a level-2 or city leader's sign-off), so only the unit
///       head reviews it
///   `x` refused `NoPendingExtension` (the table's case has no extension request)
///   `w` refused `NotAwaitingAnswer` (回访L2 waits for re-handling, 回访L3 for the
///       leader's sign-off and the investigation, before the citizen is asked again)
const STATES: [CaseState; 13] = [
    CaseState::PendingAcceptance,
    CaseState::PendingSignIn,
    CaseState::InProgress,
    CaseState::PendingReview,
    CaseState::Completed,
    CaseState::FollowUpL2,
    CaseState::FollowUpL3,
    CaseState::DifficultSupervision,
    CaseState::Archived,
    CaseState::Concluded,
    CaseState::Rejected,
    CaseState::Transferred,
    CaseState::Merged,
];

type Row = (Role, &'static str);

#[rustfmt::skip]
const TABLE: &[(ActionKind, &[Row])] = {
    use ActionKind as K;
    use Role::{Clerk, FollowUp, Admin, System, Leader, Supervisor, Officer, UnitHead};
    &[
        //                                  待受 待签 办理 待审 办结 回L2 回L3 疑难 归档 终结 不予 转出 合并
        // 受理员: accept / reject / merge intake, dispatch, re-dispatch (§2, §4 top row).
        (K::Dispatch,          &[(Clerk,      "+    s    s    s    s    s    s    s    s    s    s    s    s")]),
        (K::Redispatch,        &[(Clerk,      "s    +    +    s    s    s    s    s    s    s    s    s    s")]),
        (K::Reject,            &[(Clerk,      "+    s    s    s    s    s    s    s    s    s    s    s    s")]),
        (K::TransferOut,       &[(Clerk,      "+    s    s    s    s    s    s    s    s    s    s    s    s")]),
        (K::LinkDuplicate,     &[(Clerk,      "+    s    s    s    s    s    s    s    s    s    s    s    s")]),
        // 承办: sign in (待签收 → 办理中), 退办 from 待签收 / 办理中, submit reply (办理中 → 待审核).
        (K::SignIn,            &[(Officer,    "o    +    s    s    s    s    s    s    s    s    o    o    o"),
                                 (UnitHead,   "o    +    s    s    s    s    s    s    s    s    o    o    o")]),
        (K::Assign,            &[(UnitHead,   "o    +    +    s    s    +    s    s    s    s    o    o    o")]),
        (K::Return,            &[(Officer,    "o    +    +    s    s    s    s    s    s    s    o    o    o"),
                                 (UnitHead,   "o    +    +    s    s    s    s    s    s    s    o    o    o")]),
        // 联办: the co-units' opinions while the lead unit handles.
        (K::CoUnitOpinion,     &[(Officer,    "o    +    +    s    s    s    s    s    s    s    o    o    o"),
                                 (UnitHead,   "o    +    +    s    s    s    s    s    s    s    o    o    o"),
                                 (Supervisor, "o    +    +    s    s    s    s    s    s    s    o    o    o")]),
        (K::SubmitReply,       &[(Officer,    "o    s    +    s    s    s    s    s    s    s    o    o    o"),
                                 (UnitHead,   "o    s    +    s    s    s    s    s    s    s    o    o    o")]),
        // 待审核 → 已办结: the unit head approves; superiors only on sensitive cases.
        (K::Approve,           &[(UnitHead,   "o    s    s    +    s    s    s    s    s    s    o    o    o"),
                                 (Supervisor, "o    s    s    r    s    s    s    s    s    s    o    o    o"),
                                 (Leader,     "s    s    s    r    s    s    s    s    s    s    s    s    s")]),
        (K::SendBack,          &[(UnitHead,   "o    s    s    +    s    s    s    s    s    s    o    o    o"),
                                 (Supervisor, "o    s    s    r    s    s    s    s    s    s    o    o    o"),
                                 (Leader,     "s    s    s    r    s    s    s    s    s    s    s    s    s")]),
        // 延期: the unit head asks, a supervisor or leader decides.
        (K::RequestExtension,  &[(UnitHead,   "o    +    +    s    s    s    s    s    s    s    o    o    o")]),
        (K::ApproveExtension,  &[(Supervisor, "o    x    x    x    s    s    s    s    s    s    o    o    o"),
                                 (Leader,     "s    x    x    x    s    s    s    s    s    s    s    s    s")]),
        (K::RejectExtension,   &[(Supervisor, "o    x    x    x    s    s    s    s    s    s    o    o    o"),
                                 (Leader,     "s    x    x    x    s    s    s    s    s    s    s    s    s")]),
        // 催办 on a case someone is working on.
        (K::Urge,              &[(Supervisor, "o    +    +    +    s    +    +    +    s    s    o    o    o"),
                                 (Leader,     "s    +    +    +    s    +    +    +    s    s    s    s    s"),
                                 (Clerk,      "s    +    +    +    s    +    +    +    s    s    s    s    s")]),
        // 会商 while the case is open.
        (K::Consult,           &[(Officer,    "o    +    +    +    s    +    +    +    s    s    o    o    o"),
                                 (UnitHead,   "o    +    +    +    s    +    +    +    s    s    o    o    o"),
                                 (Supervisor, "o    +    +    +    s    +    +    +    s    s    o    o    o"),
                                 (Leader,     "+    +    +    +    s    +    +    +    s    s    s    s    s"),
                                 (Clerk,      "+    +    +    +    s    +    +    +    s    s    s    s    s")]),
        // Notes: every person in every state (the platform itself writes none).
        (K::AddNote,           &[(Officer,    "o    +    +    +    +    +    +    +    +    +    o    o    o"),
                                 (UnitHead,   "o    +    +    +    +    +    +    +    +    +    o    o    o"),
                                 (Supervisor, "o    +    +    +    +    +    +    +    +    +    o    o    o"),
                                 (Leader,     "+    +    +    +    +    +    +    +    +    +    +    +    +"),
                                 (Clerk,      "+    +    +    +    +    +    +    +    +    +    +    +    +"),
                                 (FollowUp,   "+    +    +    +    +    +    +    +    +    +    +    +    +"),
                                 (Admin,      "+    +    +    +    +    +    +    +    +    +    +    +    +")]),
        // 回访: the SMS answer (system) or the follow-up agent records satisfaction.
        (K::FollowUpAnswer,    &[(FollowUp,   "s    s    s    s    +    w    w    +    s    s    s    s    s"),
                                 (System,     "s    s    s    s    +    w    w    +    s    s    s    s    s")]),
        // 回访L2: unit head + supervisor re-handle.
        (K::RecordRehandle,    &[(UnitHead,   "o    s    s    s    s    +    s    s    s    s    o    o    o"),
                                 (Supervisor, "o    s    s    s    s    +    s    s    s    s    o    o    o")]),
        // 回访L3: the city leader signs off; 纪委/督察/法制 investigate.
        (K::LeaderSignOff,     &[(Leader,     "s    s    s    s    s    s    +    s    s    s    s    s    s")]),
        (K::RecordInvestigation,
                               &[(Supervisor, "s    s    s    s    s    s    +    s    s    s    s    s    s"),
                                 (Leader,     "s    s    s    s    s    s    +    s    s    s    s    s    s")]),
        // 疑难督办: supervision notice, closed by the leader's decision (终结).
        (K::SupervisionNotice, &[(Supervisor, "o    s    s    s    s    s    s    +    s    s    o    o    o"),
                                 (Leader,     "s    s    s    s    s    s    s    +    s    s    s    s    s")]),
        (K::Conclude,          &[(Leader,     "s    s    s    s    s    s    s    +    s    s    s    s    s")]),
        // 已办结 → 已归档 without waiting for the answer (e.g. unreachable citizen).
        (K::Archive,           &[(FollowUp,   "s    s    s    s    +    s    s    s    s    s    s    s    s"),
                                 (Clerk,      "s    s    s    s    +    s    s    s    s    s    s    s    s")]),
        // 首问负责: a duplicate takes its master's reply.
        (K::AdoptMasterReply,  &[(System,     "s    s    s    s    s    s    s    s    s    s    s    s    +")]),
    ]
};

/// The roles the literal table lets take `kind` (every action appears exactly once).
fn table_rows(kind: ActionKind) -> &'static [Row] {
    let rows: Vec<_> = TABLE.iter().filter(|(k, _)| *k == kind).collect();
    assert_eq!(rows.len(), 1, "{} must appear once in TABLE", kind.code());
    rows[0].1
}

fn table_roles(kind: ActionKind) -> Vec<Role> {
    table_rows(kind).iter().map(|(r, _)| *r).collect()
}

/// What the literal table expects for `role` taking `kind` in `state`.
fn expected_refusal(kind: ActionKind, role: Role, state: CaseState) -> Option<DomainError> {
    let Some((_, cells)) = table_rows(kind).iter().find(|(r, _)| *r == role) else {
        return Some(DomainError::RoleNotAllowed { action: kind, role });
    };
    let cells: Vec<char> = cells.chars().filter(|c| !c.is_whitespace()).collect();
    assert_eq!(cells.len(), STATES.len(), "{} / {role:?}", kind.code());
    let col = STATES.iter().position(|s| *s == state).expect("a state");
    match cells[col] {
        '+' => None,
        's' => Some(DomainError::IllegalTransition {
            action: kind,
            state,
        }),
        'o' => Some(DomainError::OutOfScope),
        'r' => Some(DomainError::RoleNotAllowed { action: kind, role }),
        'x' => Some(DomainError::NoPendingExtension),
        'w' => Some(DomainError::NotAwaitingAnswer),
        c => panic!("unknown cell {c:?} for {} / {role:?}", kind.code()),
    }
}

/// Refusals `allowed` also gives: role, standing, state, and the payload-independent
/// preconditions (pending extension, awaiting a follow-up answer).
fn is_permission_error(e: &DomainError) -> bool {
    matches!(
        e,
        DomainError::RoleNotAllowed { .. }
            | DomainError::OutOfScope
            | DomainError::IllegalTransition { .. }
            | DomainError::NoPendingExtension
            | DomainError::ExtensionPending
            | DomainError::NotAwaitingAnswer
    )
}

#[test]
fn the_literal_table_covers_every_action_and_state() {
    assert_eq!(STATES.as_slice(), CaseState::ALL, "column order");
    assert_eq!(TABLE.len(), ActionKind::ALL.len());
    for &kind in ActionKind::ALL {
        let rows = table_rows(kind);
        for (role, cells) in rows {
            let n = cells.chars().filter(|c| !c.is_whitespace()).count();
            assert_eq!(n, STATES.len(), "{} / {role:?}", kind.code());
        }
    }
}

#[test]
fn every_action_every_state_every_role() {
    let w = World::new();
    // Lead A1 with co-units A2 and the 治安 line department, so co-unit actions have an
    // officer, a unit head and a 督办员 in scope.
    let order = w.order_with(w.u.a1, &[w.u.a2, w.u.public_order], CaseFlags::default());
    let runs: Vec<Run<'_>> = CaseState::ALL
        .iter()
        .map(|s| {
            let mut r = Run::new(&w);
            r.drive(*s, &order);
            assert_eq!(r.case.state, *s);
            r
        })
        .collect();
    let mut combos = 0;
    for &kind in ActionKind::ALL {
        let mut oks = 0;
        for run in &runs {
            let state = run.case.state;
            let action = sample_action(&w, kind, &run.case, run.now);
            for &role in Role::ALL {
                combos += 1;
                let actor = in_scope(&w, kind, role);
                let got = run.attempt(actor, &action);
                let want = expected_refusal(kind, role, state);
                let label = format!("{} by {role:?} in {state:?}", kind.code());
                match (&got, &want) {
                    (Err(e), Some(w)) => assert_eq!(e, w, "{label}"),
                    (Ok(next), None) => {
                        oks += 1;
                        assert!(
                            expected_targets(kind, state).contains(&next.state),
                            "{label} went to {:?}",
                            next.state
                        );
                        assert_eq!(next.version, run.case.version, "{label}");
                    }
                    _ => panic!("{label}: got {got:?}, expected {want:?}"),
                }
                // `allowed` (the buttons) agrees with what apply does.
                let permitted = allowed(&run.case, actor, kind, &w.org);
                match &got {
                    Ok(_) => assert!(permitted, "{label}: ok but not allowed"),
                    Err(e) if is_permission_error(e) => {
                        assert!(!permitted, "{label}: refused {e:?} but allowed");
                    }
                    Err(_) => assert!(permitted, "{label}"),
                }
            }
        }
        let payload_only = matches!(
            kind,
            ActionKind::ApproveExtension | ActionKind::RejectExtension
        );
        assert!(
            oks > 0 || payload_only,
            "{} never succeeded in the table",
            kind.code()
        );
    }
    assert_eq!(
        combos,
        ActionKind::ALL.len() * CaseState::ALL.len() * Role::ALL.len()
    );
}

/// Officers/heads of another station and supervisors of another branch are out of
/// scope for every action their role may take, in every state.
#[test]
fn out_of_scope_actors_are_refused_everywhere() {
    let w = World::new();
    let order = w.order_with(w.u.a1, &[w.u.a2], CaseFlags::default());
    for &state in CaseState::ALL {
        let mut run = Run::new(&w);
        run.drive(state, &order);
        for &kind in ActionKind::ALL {
            let roles = table_roles(kind);
            let action = sample_action(&w, kind, &run.case, run.now);
            let mut outsiders = vec![&w.a.officer_b2, &w.a.head_b2, &w.a.sup_b];
            if kind == ActionKind::CoUnitOpinion {
                // The lead unit is not a co-unit.
                outsiders.extend([&w.a.officer_a1, &w.a.head_a1]);
            }
            if kind == ActionKind::RecordInvestigation {
                // A branch supervisor in scope of the case is not an investigator.
                outsiders.push(&w.a.sup_a);
            }
            for actor in outsiders {
                if !roles.contains(&actor.role) {
                    continue;
                }
                assert_eq!(
                    run.attempt(actor, &action).err(),
                    Some(DomainError::OutOfScope),
                    "{} by {} in {state:?}",
                    kind.code(),
                    actor.name
                );
                assert!(!allowed(&run.case, actor, kind, &w.org));
            }
        }
    }
}

#[test]
fn line_department_supervises_its_police_line() {
    let w = World::new();
    let run = case_in(&w, CaseState::InProgress);
    // 治安支队 oversees every 治安 station, wherever it sits in the tree.
    run.attempt(
        &w.a.sup_public_order,
        &Action::Urge {
            message: "请加快".into(),
        },
    )
    .expect("line department may urge");
    assert!(can_see(&w.a.sup_public_order, &run.case, &w.org));
    assert!(!can_see(&w.a.sup_b, &run.case, &w.org));
    assert!(!can_see(&w.a.officer_a2, &run.case, &w.org));
    assert!(can_see(&w.a.officer_a1, &run.case, &w.org));
    assert!(!can_see(&w.a.follow_up, &run.case, &w.org));
    assert!(can_see(
        &w.a.follow_up,
        &case_in(&w, CaseState::Completed).case,
        &w.org
    ));
}

// ---------------------------------------------------------------------------------
// Named scenarios.
// ---------------------------------------------------------------------------------

#[test]
fn normal_lifecycle_to_archive() {
    let w = World::new();
    let mut r = Run::new(&w);
    let officer = &w.a.officer_a1;
    assert_eq!(r.case.state, CaseState::PendingAcceptance);
    assert_eq!(
        allowed_actions(&r.case, &w.a.clerk, &w.org),
        vec![
            ActionKind::Dispatch,
            ActionKind::Reject,
            ActionKind::TransferOut,
            ActionKind::LinkDuplicate,
            ActionKind::Consult,
            ActionKind::AddNote,
        ]
    );
    assert!(allowed_actions(&r.case, officer, &w.org).is_empty());

    r.act(&w.a.clerk, Action::Dispatch(w.order(w.u.a1)));
    let c = &r.case;
    assert_eq!(c.state, CaseState::PendingSignIn);
    assert_eq!(c.handling_unit, Some(w.u.a1));
    assert_eq!(
        c.supervising_unit,
        Some(w.u.branch_a),
        "default: level-2 parent"
    );
    assert_eq!(c.dispatched_at, Some(r.now));
    // Dispatched Thu 09:40: 8 working hours to sign in, 5 working days to reply.
    assert_eq!(local(c.deadlines.sign_in.unwrap()), "2026-11-27 09:40");
    assert_eq!(local(c.deadlines.reply.unwrap()), "2026-12-03 09:40");
    assert!(c.deadlines.sign_in_warn.unwrap() < c.deadlines.sign_in.unwrap());
    assert!(c.deadlines.reply_warn.unwrap() < c.deadlines.reply.unwrap());
    assert_eq!(
        allowed_actions(c, officer, &w.org),
        vec![
            ActionKind::SignIn,
            ActionKind::Return,
            ActionKind::Consult,
            ActionKind::AddNote
        ]
    );

    r.act(officer, Action::SignIn);
    assert_eq!(r.case.state, CaseState::InProgress);
    assert_eq!(r.case.signed_in_at, Some(r.now));
    assert_eq!(r.case.assigned_officer, Some(officer.user_id));

    r.act(
        officer,
        Action::SubmitReply {
            text: "  已处理  ".into(),
        },
    );
    assert_eq!(r.case.state, CaseState::PendingReview);
    let reply = r.case.reply.clone().unwrap();
    assert_eq!(
        (reply.text.as_str(), reply.by, reply.at),
        ("已处理", officer.user_id, r.now)
    );
    // An officer cannot approve their own reply.
    r.refuse(
        officer,
        &Action::Approve {
            comment: None,
            verdict: None,
        },
        &DomainError::RoleNotAllowed {
            action: ActionKind::Approve,
            role: Role::Officer,
        },
    );

    r.act(
        &w.a.head_a1,
        Action::Approve {
            comment: Some("同意".into()),
            verdict: None,
        },
    );
    let c = &r.case;
    assert_eq!(c.state, CaseState::Completed);
    assert_eq!(c.completed_at, Some(r.now));
    assert_eq!(c.sign_offs.len(), 1);
    assert_eq!(c.sign_offs[0].step, SignOffStep::UnitHead);
    assert_eq!(c.sign_offs[0].by, w.a.head_a1.user_id);
    assert_eq!(c.sign_offs[0].comment.as_deref(), Some("同意"));
    assert_eq!(c.follow_up.level, Some(FollowUpLevel::L1));
    assert!(c.follow_up.awaiting_answer);
    assert_eq!(
        allowed_actions(c, &w.a.follow_up, &w.org),
        vec![
            ActionKind::AddNote,
            ActionKind::FollowUpAnswer,
            ActionKind::Archive
        ]
    );

    r.act(&w.a.system, answer(Satisfaction::Satisfied));
    let c = &r.case;
    assert_eq!(c.state, CaseState::Archived);
    assert_eq!(c.closed_at, Some(r.now));
    assert_eq!(c.follow_up.satisfaction, Some(Satisfaction::Satisfied));
    assert!(!c.follow_up.awaiting_answer);
    assert_eq!(c.version, 0, "the domain never bumps the version");
    // Closed: only notes remain possible, and they change nothing.
    assert_eq!(
        allowed_actions(c, &w.a.clerk, &w.org),
        vec![ActionKind::AddNote]
    );
    let before = r.case.clone();
    r.act(
        &w.a.admin,
        Action::AddNote {
            text: "归档后补充说明".into(),
        },
    );
    assert_eq!(r.case, before);
}

#[test]
fn sensitive_case_needs_unit_head_then_supervisor() {
    let w = World::new();
    let flags = CaseFlags {
        police_complaint: true,
        important: false,
    };
    let mut r = Run::new(&w);
    r.drive(CaseState::PendingReview, &w.order_with(w.u.a1, &[], flags));
    let approve = Action::Approve {
        comment: None,
        verdict: None,
    };
    // Superior first: wrong order.
    r.refuse(&w.a.sup_a, &approve, &DomainError::SignOffOrder);
    r.refuse(&w.a.leader, &approve, &DomainError::SignOffOrder);
    r.act(&w.a.head_a1, approve.clone());
    assert_eq!(
        r.case.state,
        CaseState::PendingReview,
        "unit head alone is not enough"
    );
    assert_eq!(r.case.sign_offs.len(), 1);
    assert!(r.case.completed_at.is_none());
    r.refuse(&w.a.head_a1, &approve, &DomainError::AlreadySigned);
    r.refuse(&w.a.sup_b, &approve, &DomainError::OutOfScope);
    r.refuse(&w.a.head_a2, &approve, &DomainError::OutOfScope);
    // 涉警投诉: the final sign-off must say whether the complaint is true.
    r.refuse(
        &w.a.sup_a,
        &approve,
        &DomainError::InvalidField {
            field: "verdict",
            reason: "涉警投诉须认定投诉是否属实（属实/部分属实/不属实）".into(),
        },
    );
    r.act(
        &w.a.sup_a,
        Action::Approve {
            comment: None,
            verdict: Some(ComplaintVerdict::Unsubstantiated),
        },
    );
    let c = &r.case;
    assert_eq!(c.state, CaseState::Completed);
    let steps: Vec<_> = c.sign_offs.iter().map(|s| (s.step, s.role)).collect();
    assert_eq!(
        steps,
        vec![
            (SignOffStep::UnitHead, Role::UnitHead),
            (SignOffStep::Superior, Role::Supervisor)
        ]
    );
    assert_eq!(c.sign_offs[1].unit, w.u.branch_a);
}

#[test]
fn important_case_signed_off_by_leader() {
    let w = World::new();
    let flags = CaseFlags {
        police_complaint: false,
        important: true,
    };
    let mut r = Run::new(&w);
    r.drive(CaseState::PendingReview, &w.order_with(w.u.b2, &[], flags));
    r.act(
        &w.a.head_b2,
        Action::Approve {
            comment: None,
            verdict: None,
        },
    );
    r.refuse(
        &w.a.leader,
        &Action::SendBack {
            reason: String::new(),
        },
        &DomainError::InvalidField {
            field: "reason",
            reason: "退回原因不能为空".into(),
        },
    );
    r.act(
        &w.a.leader,
        Action::Approve {
            comment: Some("同意答复".into()),
            verdict: None,
        },
    );
    assert_eq!(r.case.state, CaseState::Completed);
    assert_eq!(r.case.sign_offs[1].role, Role::Leader);
    assert_eq!(r.case.sign_offs[1].step, SignOffStep::Superior);
}

#[test]
fn ordinary_case_takes_no_superior_sign_off() {
    let w = World::new();
    let r = case_in(&w, CaseState::PendingReview);
    for (actor, kind, action) in [
        (
            &w.a.sup_a,
            ActionKind::Approve,
            Action::Approve {
                comment: None,
                verdict: None,
            },
        ),
        (
            &w.a.leader,
            ActionKind::SendBack,
            Action::SendBack {
                reason: "重写".into(),
            },
        ),
    ] {
        r.refuse(
            actor,
            &action,
            &DomainError::RoleNotAllowed {
                action: kind,
                role: actor.role,
            },
        );
        assert!(!allowed(&r.case, actor, kind, &w.org));
    }
}

#[test]
fn send_back_returns_reply_for_rework() {
    let w = World::new();
    let flags = CaseFlags {
        police_complaint: true,
        important: false,
    };
    let mut r = Run::new(&w);
    r.drive(CaseState::PendingReview, &w.order_with(w.u.a1, &[], flags));
    r.act(
        &w.a.head_a1,
        Action::Approve {
            comment: None,
            verdict: None,
        },
    );
    // The supervisor sends it back after the unit head signed: signatures restart.
    r.act(
        &w.a.sup_a,
        Action::SendBack {
            reason: "答复未说明整改时限".into(),
        },
    );
    assert_eq!(r.case.state, CaseState::InProgress);
    assert!(r.case.sign_offs.is_empty());
    assert_eq!(r.case.closing_note.as_deref(), Some("答复未说明整改时限"));
    r.act(
        &w.a.officer_a1,
        Action::SubmitReply {
            text: "补充：三日内整改。".into(),
        },
    );
    r.refuse(
        &w.a.sup_a,
        &Action::Approve {
            comment: None,
            verdict: None,
        },
        &DomainError::SignOffOrder,
    );
    r.act(
        &w.a.head_a1,
        Action::Approve {
            comment: None,
            verdict: None,
        },
    );
    r.act(
        &w.a.sup_a,
        Action::Approve {
            comment: None,
            verdict: Some(ComplaintVerdict::Substantiated),
        },
    );
    assert_eq!(r.case.state, CaseState::Completed);
    assert_eq!(r.case.reply.as_ref().unwrap().text, "补充：三日内整改。");
}

#[test]
fn return_with_reason_then_dispatch_to_another_station() {
    let w = World::new();
    let mut r = case_in(&w, CaseState::InProgress);
    r.refuse(
        &w.a.officer_a1,
        &Action::Return {
            reason: "   ".into(),
        },
        &DomainError::InvalidField {
            field: "reason",
            reason: "退办原因不能为空".into(),
        },
    );
    r.refuse(
        &w.a.officer_b1,
        &Action::Return {
            reason: "非本辖区".into(),
        },
        &DomainError::OutOfScope,
    );
    r.act(
        &w.a.officer_a1,
        Action::Return {
            reason: "地址属乙一派出所辖区".into(),
        },
    );
    let c = &r.case;
    assert_eq!(c.state, CaseState::PendingAcceptance);
    assert_eq!(c.return_count, 1);
    assert_eq!(c.closing_note.as_deref(), Some("地址属乙一派出所辖区"));
    assert!(c.handling_unit.is_none() && c.supervising_unit.is_none());
    assert!(c.assigned_officer.is_none() && c.signed_in_at.is_none());
    assert!(c.dispatched_at.is_none() && c.deadlines.reply.is_none());
    // A1 lost the case.
    r.refuse(&w.a.officer_a1, &Action::SignIn, &DomainError::OutOfScope);

    r.act(&w.a.clerk, Action::Dispatch(w.order(w.u.b1)));
    assert_eq!(r.case.handling_unit, Some(w.u.b1));
    assert_eq!(r.case.supervising_unit, Some(w.u.branch_b));
    assert_eq!(r.case.dispatched_at, Some(r.now));
    r.refuse(&w.a.officer_a1, &Action::SignIn, &DomainError::OutOfScope);
    r.act(&w.a.officer_b1, Action::SignIn);
    assert_eq!(r.case.assigned_officer, Some(w.a.officer_b1.user_id));
    assert_eq!(r.case.return_count, 1);
}

#[test]
fn redispatch_moves_a_case_between_stations() {
    let w = World::new();
    let mut r = case_in(&w, CaseState::InProgress);
    let old_deadline = r.case.deadlines.reply;
    r.refuse(
        &w.a.clerk,
        &Action::Redispatch {
            order: w.order(w.u.a1),
            reason: "改派".into(),
        },
        &DomainError::InvalidField {
            field: "handlingUnit",
            reason: "改派必须指定不同的承办单位".into(),
        },
    );
    r.refuse(
        &w.a.clerk,
        &Action::Redispatch {
            order: w.order(w.u.branch_b),
            reason: "改派".into(),
        },
        &DomainError::UnknownUnit(format!("承办单位 {}（必须是科所队）", w.u.branch_b)),
    );
    r.act(
        &w.a.clerk,
        Action::Redispatch {
            order: w.order(w.u.b2),
            reason: "辖区调整".into(),
        },
    );
    let c = &r.case;
    assert_eq!(c.state, CaseState::PendingSignIn);
    assert_eq!(c.handling_unit, Some(w.u.b2));
    assert_eq!(c.supervising_unit, Some(w.u.branch_b));
    assert!(c.assigned_officer.is_none() && c.signed_in_at.is_none());
    assert!(c.deadlines.reply > old_deadline, "deadlines restart");
    r.refuse(
        &w.a.sup_a,
        &Action::Urge {
            message: "快".into(),
        },
        &DomainError::OutOfScope,
    );
}

#[test]
fn joint_handling_needs_every_co_unit_opinion() {
    let w = World::new();
    let mut r = Run::new(&w);
    r.refuse(
        &w.a.clerk,
        &Action::Dispatch(w.order_with(w.u.a1, &[w.u.a1], CaseFlags::default())),
        &DomainError::UnknownUnit(format!(
            "联办单位 {}（必须是其他科所队、分局或警种支队）",
            w.u.a1
        )),
    );
    // The city bureau itself is no co-unit.
    r.refuse(
        &w.a.clerk,
        &Action::Dispatch(w.order_with(w.u.a1, &[w.u.root], CaseFlags::default())),
        &DomainError::UnknownUnit(format!(
            "联办单位 {}（必须是其他科所队、分局或警种支队）",
            w.u.root
        )),
    );
    r.act(
        &w.a.clerk,
        Action::Dispatch(w.order_with(w.u.a1, &[w.u.b1, w.u.a2, w.u.b1], CaseFlags::default())),
    );
    assert_eq!(r.case.co_units.len(), 2, "duplicates collapse");
    r.act(&w.a.officer_a1, Action::SignIn);
    let submit = Action::SubmitReply {
        text: "联合答复".into(),
    };
    r.refuse(
        &w.a.officer_a1,
        &submit,
        &DomainError::CoOpinionsMissing("甲二派出所、乙一派出所".into()),
    );
    // The co-unit may not submit the reply nor approve: it is not the lead.
    r.refuse(&w.a.officer_a2, &submit, &DomainError::OutOfScope);
    r.refuse(
        &w.a.officer_a1,
        &Action::CoUnitOpinion {
            text: "主办意见".into(),
        },
        &DomainError::OutOfScope,
    );
    r.act(
        &w.a.head_a2,
        Action::CoUnitOpinion {
            text: "甲二意见".into(),
        },
    );
    r.refuse(
        &w.a.officer_a1,
        &submit,
        &DomainError::CoOpinionsMissing("乙一派出所".into()),
    );
    // Co-units are in scope of their own branch's supervisor.
    r.act(
        &w.a.sup_b,
        Action::Urge {
            message: "请乙一派出所尽快提交意见".into(),
        },
    );
    assert_eq!(r.case.urge_count, 1);
    r.act(
        &w.a.officer_b1,
        Action::CoUnitOpinion {
            text: "乙一意见".into(),
        },
    );
    let op = r
        .case
        .co_units
        .iter()
        .find(|c| c.unit == w.u.b1)
        .and_then(|c| c.opinion.clone())
        .unwrap();
    assert_eq!(
        (op.text.as_str(), op.by, op.at),
        ("乙一意见", w.a.officer_b1.user_id, r.now)
    );
    r.act(&w.a.officer_a1, submit);
    assert_eq!(r.case.state, CaseState::PendingReview);
    // Opinions are closed once the reply is submitted.
    r.refuse(
        &w.a.officer_b1,
        &Action::CoUnitOpinion {
            text: "补充".into(),
        },
        &DomainError::IllegalTransition {
            action: ActionKind::CoUnitOpinion,
            state: CaseState::PendingReview,
        },
    );
}

#[test]
fn extension_approved_moves_reply_deadline() {
    let w = World::new();
    let mut r = case_in(&w, CaseState::InProgress);
    let reply = r.case.deadlines.reply.unwrap();
    let until = reply + Duration::days(7);
    r.refuse(
        &w.a.head_a1,
        &Action::RequestExtension {
            reason: "需调取监控".into(),
            until: reply,
        },
        &DomainError::InvalidField {
            field: "until",
            reason: "延期后的期限必须晚于当前答复期限".into(),
        },
    );
    // At most a year out: the working time up to the deadline is counted day by day.
    r.refuse(
        &w.a.head_a1,
        &Action::RequestExtension {
            reason: "需调取监控".into(),
            until: r.now + Duration::days(367),
        },
        &DomainError::InvalidField {
            field: "until",
            reason: "延期后的期限不能超过一年".into(),
        },
    );
    let request = Action::RequestExtension {
        reason: "需调取监控".into(),
        until,
    };
    r.refuse(
        &w.a.officer_a1,
        &request,
        &DomainError::RoleNotAllowed {
            action: ActionKind::RequestExtension,
            role: Role::Officer,
        },
    );
    r.refuse(&w.a.head_a2, &request, &DomainError::OutOfScope);
    r.act(&w.a.head_a1, request.clone());
    let ext = r.case.pending_extension.clone().unwrap();
    assert_eq!(
        (ext.until, ext.by, ext.at),
        (until, w.a.head_a1.user_id, r.now)
    );
    assert_eq!(
        r.case.deadlines.reply,
        Some(reply),
        "not moved until approved"
    );
    r.refuse(&w.a.head_a1, &request, &DomainError::ExtensionPending);

    let approve = Action::ApproveExtension {
        comment: Some("同意".into()),
    };
    r.refuse(&w.a.sup_b, &approve, &DomainError::OutOfScope);
    r.refuse(
        &w.a.head_a1,
        &approve,
        &DomainError::RoleNotAllowed {
            action: ActionKind::ApproveExtension,
            role: Role::UnitHead,
        },
    );
    r.act(&w.a.sup_a, approve.clone());
    let c = &r.case;
    assert_eq!(c.deadlines.reply, Some(until));
    let warn = c.deadlines.reply_warn.unwrap();
    assert!(warn > r.now && warn < until);
    assert_eq!(c.extensions_granted, 1);
    assert!(c.pending_extension.is_none());
    r.refuse(&w.a.leader, &approve, &DomainError::NoPendingExtension);
}

#[test]
fn extension_rejected_keeps_deadline() {
    let w = World::new();
    let mut r = case_in(&w, CaseState::PendingSignIn);
    let reply = r.case.deadlines.reply;
    r.act(
        &w.a.head_a1,
        Action::RequestExtension {
            reason: "人手不足".into(),
            until: reply.unwrap() + Duration::days(2),
        },
    );
    r.refuse(
        &w.a.leader,
        &Action::RejectExtension { reason: " ".into() },
        &DomainError::InvalidField {
            field: "reason",
            reason: "驳回原因不能为空".into(),
        },
    );
    r.act(
        &w.a.leader,
        Action::RejectExtension {
            reason: "理由不充分".into(),
        },
    );
    assert!(r.case.pending_extension.is_none());
    assert_eq!(r.case.deadlines.reply, reply);
    assert_eq!(r.case.extensions_granted, 0);
    r.refuse(
        &w.a.sup_a,
        &Action::RejectExtension {
            reason: "再驳回".into(),
        },
        &DomainError::NoPendingExtension,
    );
}

#[test]
fn extension_cannot_be_approved_after_return() {
    let w = World::new();
    let mut r = case_in(&w, CaseState::InProgress);
    let until = r.case.deadlines.reply.unwrap() + Duration::days(5);
    r.act(
        &w.a.head_a1,
        Action::RequestExtension {
            reason: "等待鉴定".into(),
            until,
        },
    );
    r.act(
        &w.a.officer_a1,
        Action::Return {
            reason: "非本所管辖".into(),
        },
    );
    assert!(r.case.pending_extension.is_none());
    let approve = Action::ApproveExtension { comment: None };
    r.refuse(
        &w.a.leader,
        &approve,
        &DomainError::IllegalTransition {
            action: ActionKind::ApproveExtension,
            state: CaseState::PendingAcceptance,
        },
    );
    // The returned case no longer has a supervising unit in scope.
    r.refuse(&w.a.sup_a, &approve, &DomainError::OutOfScope);
    r.act(&w.a.clerk, Action::Dispatch(w.order(w.u.a2)));
    r.refuse(&w.a.sup_a, &approve, &DomainError::NoPendingExtension);
    assert_ne!(r.case.deadlines.reply, Some(until));
}

#[test]
fn extension_pending_at_completion_is_dropped() {
    let w = World::new();
    let mut r = case_in(&w, CaseState::InProgress);
    let until = r.case.deadlines.reply.unwrap() + Duration::days(5);
    r.act(
        &w.a.head_a1,
        Action::RequestExtension {
            reason: "等待鉴定".into(),
            until,
        },
    );
    r.act(
        &w.a.officer_a1,
        Action::SubmitReply {
            text: "已办结".into(),
        },
    );
    assert!(
        r.case.pending_extension.is_some(),
        "still decidable in review"
    );
    // Approving the reply ends the handling, so the request is moot.
    r.act(
        &w.a.head_a1,
        Action::Approve {
            comment: None,
            verdict: None,
        },
    );
    assert_eq!(r.case.state, CaseState::Completed);
    assert!(r.case.pending_extension.is_none());
    assert!(r.case.invariant_violations().is_empty());
}

#[test]
fn follow_up_escalates_to_difficult_supervision_and_conclusion() {
    let w = World::new();
    let mut r = case_in(&w, CaseState::Completed);
    let fu = &w.a.follow_up;

    // L1 unsatisfied -> L2.
    r.act(fu, answer(Satisfaction::Unsatisfied));
    let c = &r.case;
    assert_eq!(c.state, CaseState::FollowUpL2);
    assert_eq!(c.follow_up.level, Some(FollowUpLevel::L2));
    assert_eq!(c.follow_up.satisfaction, Some(Satisfaction::Unsatisfied));
    assert!(!c.follow_up.awaiting_answer);
    assert_eq!(
        c.deadlines.follow_up_task,
        Some(w.cal.add_working_days(r.now, 5))
    );
    // The L2 re-handling has not been done: no answer to record yet.
    r.refuse(
        fu,
        &answer(Satisfaction::Satisfied),
        &DomainError::NotAwaitingAnswer,
    );
    let rehandle = Action::RecordRehandle {
        result: "所长上门沟通".into(),
    };
    r.refuse(
        &w.a.officer_a1,
        &rehandle,
        &DomainError::RoleNotAllowed {
            action: ActionKind::RecordRehandle,
            role: Role::Officer,
        },
    );
    r.refuse(&w.a.head_b1, &rehandle, &DomainError::OutOfScope);
    r.act(
        &w.a.head_a1,
        Action::Assign {
            officer: Assignee {
                id: w.a.officer_a1.user_id,
                unit: w.u.a1,
                role: Role::Officer,
            },
        },
    );
    r.act(&w.a.sup_a, rehandle.clone());
    assert!(r.case.follow_up.awaiting_answer);
    assert_eq!(
        r.case.follow_up.rehandle_result.as_deref(),
        Some("所长上门沟通")
    );
    r.refuse(
        &w.a.head_a1,
        &rehandle,
        &DomainError::IllegalTransition {
            action: ActionKind::RecordRehandle,
            state: CaseState::FollowUpL2,
        },
    );

    // L2 unsatisfied -> L3: needs both the leader's sign-off and an investigation.
    r.act(fu, answer(Satisfaction::Unsatisfied));
    let c = &r.case;
    assert_eq!(c.state, CaseState::FollowUpL3);
    assert_eq!(c.follow_up.level, Some(FollowUpLevel::L3));
    assert!(c.follow_up.rehandle_result.is_none());
    assert!(!c.follow_up.awaiting_answer && !c.follow_up.leader_signed);
    r.refuse(
        fu,
        &answer(Satisfaction::Unsatisfied),
        &DomainError::NotAwaitingAnswer,
    );
    r.act(
        &w.a.leader,
        Action::LeaderSignOff {
            opinion: "责成督察支队调查".into(),
        },
    );
    assert!(r.case.follow_up.leader_signed);
    assert!(
        !r.case.follow_up.awaiting_answer,
        "investigation still missing"
    );
    r.refuse(
        fu,
        &answer(Satisfaction::Unsatisfied),
        &DomainError::NotAwaitingAnswer,
    );
    let investigate = Action::RecordInvestigation {
        department: InvestigatingDept::Inspection,
        finding: "处置合规，沟通不足".into(),
        verdict: None,
    };
    r.refuse(&w.a.sup_a, &investigate, &DomainError::OutOfScope);
    r.refuse(
        &w.a.head_a1,
        &investigate,
        &DomainError::RoleNotAllowed {
            action: ActionKind::RecordInvestigation,
            role: Role::UnitHead,
        },
    );
    r.act(&w.a.sup_inspection, investigate);
    assert!(r.case.follow_up.awaiting_answer);
    assert!(r.case.follow_up.investigation.is_some());

    // L3 unsatisfied -> 疑难督办.
    r.act(fu, answer(Satisfaction::Unsatisfied));
    assert_eq!(r.case.state, CaseState::DifficultSupervision);
    assert_eq!(r.case.follow_up.level, Some(FollowUpLevel::Difficult));
    r.act(
        &w.a.sup_a,
        Action::SupervisionNotice {
            notice: "限五个工作日内化解".into(),
        },
    );
    r.act(
        &w.a.leader,
        Action::SupervisionNotice {
            notice: "专题研究".into(),
        },
    );
    assert_eq!(r.case.follow_up.supervision_notices, 2);
    // Unsatisfied again stays in 疑难督办.
    r.act(fu, answer(Satisfaction::Unsatisfied));
    assert_eq!(r.case.state, CaseState::DifficultSupervision);
    let conclude = Action::Conclude {
        decision: "经专题研究，依法终结".into(),
    };
    r.refuse(
        &w.a.sup_a,
        &conclude,
        &DomainError::RoleNotAllowed {
            action: ActionKind::Conclude,
            role: Role::Supervisor,
        },
    );
    r.act(&w.a.leader, conclude);
    let c = &r.case;
    assert_eq!(c.state, CaseState::Concluded);
    assert_eq!(c.closed_at, Some(r.now));
    assert_eq!(c.closing_note.as_deref(), Some("经专题研究，依法终结"));
    r.refuse(
        fu,
        &answer(Satisfaction::Satisfied),
        &DomainError::IllegalTransition {
            action: ActionKind::FollowUpAnswer,
            state: CaseState::Concluded,
        },
    );
}

#[test]
fn level_three_investigation_before_sign_off_also_waits_for_both() {
    let w = World::new();
    let mut r = case_in(&w, CaseState::FollowUpL3);
    r.act(
        &w.a.leader,
        Action::RecordInvestigation {
            department: InvestigatingDept::Discipline,
            finding: "未发现违纪".into(),
            verdict: None,
        },
    );
    assert!(!r.case.follow_up.awaiting_answer);
    r.act(
        &w.a.leader,
        Action::LeaderSignOff {
            opinion: "同意调查结论".into(),
        },
    );
    assert!(r.case.follow_up.awaiting_answer);
    r.act(&w.a.follow_up, answer(Satisfaction::BasicallySatisfied));
    assert_eq!(r.case.state, CaseState::Archived);
    assert_eq!(r.case.follow_up.level, Some(FollowUpLevel::L3));
}

#[test]
fn satisfied_at_level_two_archives() {
    let w = World::new();
    let mut r = case_in(&w, CaseState::FollowUpL2);
    r.act(
        &w.a.head_a1,
        Action::RecordRehandle {
            result: "已再次处理".into(),
        },
    );
    r.act(&w.a.system, answer(Satisfaction::Satisfied));
    assert_eq!(r.case.state, CaseState::Archived);
    assert!(r.case.closed_at.is_some());
}

#[test]
fn deadlines_skip_the_national_day_holiday() {
    let w = World::new();
    let received = bj("2026-09-30 10:00");
    let case = intake(&w.new_case(received), &w.a.clerk, received).unwrap();
    let dispatch = |urgency: Urgency| {
        let order = minsheng_domain::workflow::DispatchOrder {
            urgency,
            ..w.order(w.u.a1)
        };
        apply(
            &case,
            &w.a.clerk,
            &Action::Dispatch(order),
            &w.ctx(received),
        )
        .unwrap()
    };
    // Ordinary complaint: 8 working hours to sign in, 5 working days to reply.
    // 9/30 gives 7 h; Oct 1–7 are off; Sat Oct 10 is a make-up working day.
    let c = dispatch(Urgency::Ordinary);
    let d = c.deadlines;
    assert_eq!(local(d.sign_in.unwrap()), "2026-10-08 10:00");
    assert_eq!(local(d.sign_in_warn.unwrap()), "2026-09-30 16:00");
    assert_eq!(local(d.reply.unwrap()), "2026-10-13 10:00");
    assert_eq!(local(d.reply_warn.unwrap()), "2026-10-10 16:00");
    // During the holiday nothing runs late.
    assert!(!is_overdue(&c, bj("2026-10-05 12:00")));
    assert!(
        is_due_soon(&c, bj("2026-10-05 12:00")),
        "warned since 9/30 16:00"
    );
    assert!(is_overdue(&c, bj("2026-10-08 10:01")));
    // 特急: 1 working hour and 1 working day.
    let d = dispatch(Urgency::Critical).deadlines;
    assert_eq!(local(d.sign_in.unwrap()), "2026-09-30 11:00");
    assert_eq!(local(d.reply.unwrap()), "2026-10-08 10:00");
    // 紧急: 4 working hours, 3 working days.
    let d = dispatch(Urgency::Urgent).deadlines;
    assert_eq!(local(d.sign_in.unwrap()), "2026-09-30 14:00");
    assert_eq!(
        local(d.reply.unwrap()),
        "2026-10-10 10:00",
        "Sat 10-10 is a make-up day"
    );
}

#[test]
fn work_lists_at_chosen_instants() {
    use WorkList::{DueSoon, InProgress, Overdue, Unsigned};
    let w = World::new();
    let received = bj("2026-11-26 10:00");
    let mut r = Run::intake_at(&w, received);
    // Dispatch at exactly 10:00 (Thursday).
    r.case = apply(
        &r.case,
        &w.a.clerk,
        &Action::Dispatch(w.order(w.u.a1)),
        &w.ctx(received),
    )
    .unwrap();
    r.now = received;
    let c = &r.case;
    assert_eq!(local(c.deadlines.sign_in.unwrap()), "2026-11-27 10:00");
    assert_eq!(local(c.deadlines.sign_in_warn.unwrap()), "2026-11-26 16:00");
    assert_eq!(lists_of(c, bj("2026-11-26 12:00")), vec![Unsigned]);
    assert_eq!(lists_of(c, bj("2026-11-26 16:00")), vec![Unsigned, DueSoon]);
    assert_eq!(lists_of(c, bj("2026-11-27 10:00")), vec![Unsigned, DueSoon]);
    assert_eq!(lists_of(c, bj("2026-11-27 10:01")), vec![Unsigned, Overdue]);
    assert!(
        !is_due_soon(c, bj("2026-11-27 10:01")),
        "overdue is not due soon"
    );

    r.act(&w.a.officer_a1, Action::SignIn);
    let c = &r.case;
    // Reply: 5 working days from Thu 10:00 -> Thu 12-03 10:00; warning 600 min before.
    assert_eq!(local(c.deadlines.reply.unwrap()), "2026-12-03 10:00");
    assert_eq!(local(c.deadlines.reply_warn.unwrap()), "2026-12-01 16:00");
    // Signed in: the sign-in deadline no longer matters.
    assert_eq!(lists_of(c, bj("2026-11-28 12:00")), vec![InProgress]);
    assert_eq!(lists_of(c, bj("2026-12-01 15:59")), vec![InProgress]);
    assert_eq!(
        lists_of(c, bj("2026-12-01 16:30")),
        vec![InProgress, DueSoon]
    );
    assert_eq!(
        lists_of(c, bj("2026-12-03 10:01")),
        vec![InProgress, Overdue]
    );
    assert!(is_overdue(c, bj("2026-12-03 10:01")));

    // Awaiting review still counts against the reply deadline.
    r.act(
        &w.a.officer_a1,
        Action::SubmitReply {
            text: "已处理".into(),
        },
    );
    assert_eq!(
        lists_of(&r.case, bj("2026-12-04 09:00")),
        vec![InProgress, Overdue]
    );
    // Completed or closed cases are on no list, however late.
    r.act(
        &w.a.head_a1,
        Action::Approve {
            comment: None,
            verdict: None,
        },
    );
    assert!(lists_of(&r.case, bj("2027-01-01 09:00")).is_empty());
    assert!(!is_overdue(&r.case, bj("2027-01-01 09:00")));
    let rejected = case_in(&w, CaseState::Rejected);
    assert!(lists_of(&rejected.case, bj("2027-01-01 09:00")).is_empty());
    assert_eq!(WorkList::from_code("已逾期"), Some(Overdue));
    assert_eq!(WorkList::from_code("dueSoon"), Some(DueSoon));
}

// ---------------------------------------------------------------------------------
// Remaining actions, one by one.
// ---------------------------------------------------------------------------------

#[test]
fn reject_transfer_and_merge_close_the_case() {
    let w = World::new();
    let r = Run::new(&w);
    let rejected = r
        .attempt(
            &w.a.clerk,
            &Action::Reject {
                reason: "重复来电无新内容".into(),
            },
        )
        .unwrap();
    assert_eq!(rejected.state, CaseState::Rejected);
    assert_eq!(rejected.closing_note.as_deref(), Some("重复来电无新内容"));
    assert!(rejected.closed_at.is_some());
    r.refuse(
        &w.a.clerk,
        &Action::Reject {
            reason: String::new(),
        },
        &DomainError::InvalidField {
            field: "reason",
            reason: "不予受理原因不能为空".into(),
        },
    );
    r.refuse(
        &w.a.sup_a,
        &Action::Reject { reason: "x".into() },
        &DomainError::RoleNotAllowed {
            action: ActionKind::Reject,
            role: Role::Supervisor,
        },
    );

    let transferred = r
        .attempt(
            &w.a.clerk,
            &Action::TransferOut {
                department: "市住建局".into(),
                reason: "工地管理".into(),
            },
        )
        .unwrap();
    assert_eq!(transferred.state, CaseState::Transferred);
    assert_eq!(
        transferred.closing_note.as_deref(),
        Some("转市住建局：工地管理")
    );

    let master = CaseId::mint(base_time() - Duration::days(3));
    let merged = r
        .attempt(&w.a.clerk, &Action::LinkDuplicate { master })
        .unwrap();
    assert_eq!(merged.state, CaseState::Merged);
    assert_eq!(merged.duplicate_of, Some(master));
    r.refuse(
        &w.a.clerk,
        &Action::LinkDuplicate { master: r.case.id },
        &DomainError::InvalidField {
            field: "master",
            reason: "不能关联到自身".into(),
        },
    );
    // Once closed, intake actions are illegal.
    let closed = case_in(&w, CaseState::Merged);
    closed.refuse(
        &w.a.clerk,
        &Action::Dispatch(w.order(w.u.a1)),
        &DomainError::IllegalTransition {
            action: ActionKind::Dispatch,
            state: CaseState::Merged,
        },
    );
}

#[test]
fn assign_only_officers_of_the_handling_unit() {
    let w = World::new();
    let mut r = case_in(&w, CaseState::PendingSignIn);
    let assign = |id: &Actor, role: Role| Action::Assign {
        officer: Assignee {
            id: id.user_id,
            unit: id.unit_id,
            role,
        },
    };
    let bad = DomainError::InvalidField {
        field: "officer",
        reason: "只能指派本单位的民警".into(),
    };
    r.refuse(&w.a.head_a1, &assign(&w.a.officer_a2, Role::Officer), &bad);
    r.refuse(&w.a.head_a1, &assign(&w.a.clerk, Role::Clerk), &bad);
    r.refuse(
        &w.a.head_a2,
        &assign(&w.a.officer_a1, Role::Officer),
        &DomainError::OutOfScope,
    );
    r.refuse(
        &w.a.officer_a1,
        &assign(&w.a.officer_a1, Role::Officer),
        &DomainError::RoleNotAllowed {
            action: ActionKind::Assign,
            role: Role::Officer,
        },
    );
    r.act(&w.a.head_a1, assign(&w.a.officer_a1, Role::Officer));
    assert_eq!(r.case.assigned_officer, Some(w.a.officer_a1.user_id));
    assert_eq!(r.case.state, CaseState::PendingSignIn);
    // The head signing in keeps the assignment.
    r.act(&w.a.head_a1, Action::SignIn);
    assert_eq!(r.case.assigned_officer, Some(w.a.officer_a1.user_id));
    assert_eq!(r.case.signed_in_at, Some(r.now));
}

#[test]
fn submit_reply_validates_text() {
    let w = World::new();
    let r = case_in(&w, CaseState::InProgress);
    r.refuse(
        &w.a.officer_a1,
        &Action::SubmitReply { text: "\n ".into() },
        &DomainError::InvalidField {
            field: "text",
            reason: "答复内容不能为空".into(),
        },
    );
    r.refuse(
        &w.a.officer_a1,
        &Action::SubmitReply {
            text: "长".repeat(10_001),
        },
        &DomainError::InvalidField {
            field: "text",
            reason: "答复内容不能超过10000个字".into(),
        },
    );
    let p = case_in(&w, CaseState::PendingSignIn);
    p.refuse(
        &w.a.officer_a1,
        &Action::SubmitReply {
            text: "未签收先答复".into(),
        },
        &DomainError::IllegalTransition {
            action: ActionKind::SubmitReply,
            state: CaseState::PendingSignIn,
        },
    );
}

#[test]
fn urge_consult_and_notes_are_side_actions() {
    let w = World::new();
    let mut r = case_in(&w, CaseState::PendingSignIn);
    let before = r.case.clone();
    r.act(
        &w.a.clerk,
        Action::Urge {
            message: "请尽快签收".into(),
        },
    );
    r.act(
        &w.a.leader,
        Action::Urge {
            message: "领导关注".into(),
        },
    );
    assert_eq!(r.case.urge_count, 2);
    assert_eq!(r.case.state, before.state);
    r.refuse(
        &w.a.officer_a1,
        &Action::Urge {
            message: "x".into(),
        },
        &DomainError::RoleNotAllowed {
            action: ActionKind::Urge,
            role: Role::Officer,
        },
    );
    let fresh = Run::new(&w);
    fresh.refuse(
        &w.a.clerk,
        &Action::Urge {
            message: "未派单".into(),
        },
        &DomainError::IllegalTransition {
            action: ActionKind::Urge,
            state: CaseState::PendingAcceptance,
        },
    );

    r.refuse(
        &w.a.officer_a1,
        &Action::Consult {
            participants: vec![" ".into()],
            summary: "纪要".into(),
        },
        &DomainError::InvalidField {
            field: "participants",
            reason: "会商必须有参加人员".into(),
        },
    );
    let consulted = r
        .attempt(
            &w.a.officer_a1,
            &Action::Consult {
                participants: vec!["城管".into()],
                summary: "联合执法".into(),
            },
        )
        .unwrap();
    assert_eq!(consulted, r.case, "recorded on the timeline only");
    r.refuse(
        &w.a.follow_up,
        &Action::Consult {
            participants: vec!["x".into()],
            summary: "y".into(),
        },
        &DomainError::RoleNotAllowed {
            action: ActionKind::Consult,
            role: Role::FollowUp,
        },
    );
    r.refuse(
        &w.a.system,
        &Action::AddNote { text: "x".into() },
        &DomainError::RoleNotAllowed {
            action: ActionKind::AddNote,
            role: Role::System,
        },
    );
    r.refuse(
        &w.a.officer_b1,
        &Action::AddNote { text: "x".into() },
        &DomainError::OutOfScope,
    );
    r.refuse(
        &w.a.admin,
        &Action::AddNote {
            text: String::new(),
        },
        &DomainError::InvalidField {
            field: "text",
            reason: "备注不能为空".into(),
        },
    );
}

#[test]
fn archive_directly_from_completed() {
    let w = World::new();
    let r = case_in(&w, CaseState::Completed);
    for actor in [&w.a.follow_up, &w.a.clerk] {
        let c = r
            .attempt(
                actor,
                &Action::Archive {
                    reason: "多次联系不上，按满意归档".into(),
                },
            )
            .unwrap();
        assert_eq!(c.state, CaseState::Archived);
        assert!(!c.follow_up.awaiting_answer);
        assert_eq!(c.closed_at, Some(r.now + Duration::minutes(10)));
    }
    r.refuse(
        &w.a.leader,
        &Action::Archive { reason: "x".into() },
        &DomainError::RoleNotAllowed {
            action: ActionKind::Archive,
            role: Role::Leader,
        },
    );
    case_in(&w, CaseState::FollowUpL2).refuse(
        &w.a.follow_up,
        &Action::Archive { reason: "x".into() },
        &DomainError::IllegalTransition {
            action: ActionKind::Archive,
            state: CaseState::FollowUpL2,
        },
    );
}

// ---------------------------------------------------------------------------------
// Intake, timeline, masking.
// ---------------------------------------------------------------------------------

fn invalid_field(r: Result<impl std::fmt::Debug, DomainError>) -> &'static str {
    match r {
        Err(DomainError::InvalidField { field, .. }) => field,
        other => panic!("expected InvalidField, got {other:?}"),
    }
}

#[test]
fn intake_validates_the_request() {
    let w = World::new();
    let now = base_time();
    let clerk = &w.a.clerk;
    let ok = intake(&w.new_case(now), clerk, now).unwrap();
    assert_eq!(ok.state, CaseState::PendingAcceptance);
    assert_eq!(ok.created_by, clerk.user_id);
    assert_eq!(
        ok.category
            .as_ref()
            .map(minsheng_domain::case::Category::as_str),
        Some("噪音扰民")
    );
    assert!(ok.number.is_none() && ok.version == 0);
    assert!(ok.invariant_violations().is_empty());

    let mut n = w.new_case(now);
    n.title = "   ".into();
    assert_eq!(invalid_field(intake(&n, clerk, now)), "title");
    let mut n = w.new_case(now);
    n.content = String::new();
    assert_eq!(invalid_field(intake(&n, clerk, now)), "content");
    let mut n = w.new_case(now);
    n.citizen_phone = Some("12812345678".into());
    assert_eq!(invalid_field(intake(&n, clerk, now)), "phone");
    let mut n = w.new_case(now);
    n.citizen_id_card = Some("110105194912310021".into());
    assert_eq!(invalid_field(intake(&n, clerk, now)), "idCard");
    let mut n = w.new_case(now);
    n.received_at = Some(now + Duration::hours(1));
    assert_eq!(invalid_field(intake(&n, clerk, now)), "receivedAt");
    // A few minutes of device skew are tolerated.
    n.received_at = Some(now + Duration::minutes(5));
    assert!(intake(&n, clerk, now).is_ok());
    // Blank optional numbers are simply absent.
    let mut n = w.new_case(now);
    n.citizen_phone = Some(" ".into());
    n.citizen_id_card = Some(String::new());
    let c = intake(&n, clerk, now).unwrap();
    assert!(c.citizen.phone.is_none() && c.citizen.id_card.is_none());

    // Officers take intake on home visits only.
    let mut visit = w.new_case(now);
    visit.channel = minsheng_domain::case::Channel::HomeVisit;
    let c = intake(&visit, &w.a.officer_a1, now).unwrap();
    assert_eq!(c.created_by, w.a.officer_a1.user_id);
    assert!(intake(&visit, &w.a.head_b2, now).is_ok());
    let phone_in = w.new_case(now);
    for actor in [&w.a.officer_a1, &w.a.head_a1, &w.a.follow_up, &w.a.sup_a] {
        assert!(
            matches!(
                intake(&phone_in, actor, now),
                Err(DomainError::RoleNotAllowed { role, .. }) if role == actor.role
            ),
            "{}",
            actor.name
        );
    }
}

/// Records a real lifecycle on the timeline, one entry per transition.
fn recorded_timeline(w: &World) -> Vec<TimelineEntry> {
    let mut r = Run::new(w);
    let mut entries: Vec<TimelineEntry> = Vec::new();
    let mut record = |r: &Run<'_>, actor: &Actor, kind: &str, from: Option<CaseState>| {
        let e = TimelineEntry::next(
            entries.last(),
            EntryId::mint(r.now),
            r.case.id,
            r.now,
            None,
            actor,
            kind,
            from,
            r.case.state,
            serde_json::json!({ "state": r.case.state }),
        );
        entries.push(e);
    };
    record(&r, &w.a.clerk, "intake", None);
    let steps: Vec<(&Actor, Action)> = vec![
        (&w.a.clerk, Action::Dispatch(w.order(w.u.a1))),
        (&w.a.officer_a1, Action::SignIn),
        (
            &w.a.officer_a1,
            Action::SubmitReply {
                text: "已处理".into(),
            },
        ),
        (
            &w.a.head_a1,
            Action::Approve {
                comment: None,
                verdict: None,
            },
        ),
        (&w.a.follow_up, answer(Satisfaction::Satisfied)),
    ];
    for (actor, action) in steps {
        let from = r.case.state;
        r.act(actor, action.clone());
        record(&r, actor, action.kind().code(), Some(from));
    }
    entries
}

#[test]
fn timeline_chain_detects_tampering_and_deletion() {
    let w = World::new();
    let entries = recorded_timeline(&w);
    assert_eq!(entries.len(), 6);
    assert_eq!(entries[0].prev_hash, GENESIS);
    let ok = verify_chain(&entries);
    assert!(ok.valid, "{ok:?}");
    assert_eq!(ok.entries, 6);
    assert_eq!(ok.broken_at, None);
    assert_eq!(ok.head_hash.as_deref(), Some(entries[5].hash.as_str()));
    assert!(verify_chain(&[]).valid);

    // Edit one entry's detail: that entry no longer matches its hash.
    let mut tampered = entries.clone();
    tampered[2].detail = serde_json::json!({ "state": "archived" });
    let rep = verify_chain(&tampered);
    assert!(!rep.valid);
    assert_eq!(rep.broken_at, Some(3));
    assert!(rep.head_hash.is_none());
    // Re-sealing the edited entry breaks the link of the next one instead.
    tampered[2].hash = tampered[2].compute_hash();
    assert_eq!(verify_chain(&tampered).broken_at, Some(4));

    // Delete an entry: the chain breaks where it was.
    let mut deleted = entries.clone();
    deleted.remove(1);
    let rep = verify_chain(&deleted);
    assert!(!rep.valid);
    assert_eq!(rep.broken_at, Some(2));
    // Even renumbering the rest cannot hide it: the links no longer match.
    for (i, e) in deleted.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
    }
    let rep = verify_chain(&deleted);
    assert_eq!(rep.broken_at, Some(2));
    assert_eq!(
        rep.problem.as_deref(),
        Some("与前一条记录的链接不一致（记录被删除或插入）")
    );

    // Dropping the tail is undetectable by the chain alone; the stored head hash catches it.
    let truncated = verify_chain(&entries[..5]);
    assert!(truncated.valid);
    assert_ne!(truncated.head_hash, ok.head_hash);
}

#[test]
fn citizen_identity_is_masked_for_roles_without_need() {
    let w = World::new();
    let case = intake(&w.new_case(base_time()), &w.a.clerk, base_time()).unwrap();
    let c: &Citizen = &case.citizen;
    let masked = c.view(false);
    assert!(masked.masked);
    assert_eq!(masked.name, "王先生");
    assert_eq!(masked.phone.as_deref(), Some("138****5678"));
    assert_eq!(masked.id_card.as_deref(), Some("110105********002X"));
    let full = c.view(true);
    assert!(!full.masked);
    assert_eq!(full.phone.as_deref(), Some("13812345678"));
    assert_eq!(full.id_card.as_deref(), Some("11010519491231002X"));
    // Who needs the numbers: intake, handlers, follow-up; not supervisors or leaders.
    for (role, sees) in [
        (Role::Clerk, true),
        (Role::Officer, true),
        (Role::UnitHead, true),
        (Role::FollowUp, true),
        (Role::Supervisor, false),
        (Role::Leader, false),
        (Role::Admin, false),
    ] {
        assert_eq!(role.sees_citizen_identity(), sees, "{role:?}");
        let view = c.view(role.sees_citizen_identity());
        assert_eq!(view.phone.as_deref() == Some("138****5678"), !sees);
    }
    // A landline keeps its area code.
    let landline = minsheng_domain::citizen::Phone::parse("0531-86012345").unwrap();
    assert_eq!(landline.masked(), "053*****2345");
}
