//! Scope fixtures (SPEC §2 "sees" and §4 "legal only ... for listed roles"), with every
//! expectation written out literally:
//!
//! * a case at another station of the same branch (甲二派出所 under 历下分局): tells
//!   "own unit" (officer, unit head of 甲一) from "branch" (历下督办员) visibility;
//! * a joint-handling (联办) case led by 甲一 with 甲二 as co-unit: the co-unit sees it
//!   and gives its opinion, but only the lead unit signs in, replies and approves
//!   ("lead unit composes the one reply from the co-units' opinions");
//! * a case in another branch (乙一派出所 under 市中分局);
//! * the write actions dispatch / signIn / submitReply / approve across the roles.
//!
//! The fixture org (tests/common): 历下分局 {甲一, 甲二}, 市中分局 {乙一, 乙二}, all
//! 派出所 of the 治安 police line, which 治安支队 supervises city-wide.

mod common;

use common::{Run, World};
use minsheng_domain::case::{Case, CaseFlags, CaseState};
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::scope::can_see;
use minsheng_domain::workflow::{Action, ActionKind, ComplaintVerdict};
use minsheng_domain::DomainError;

/// The fixtures, each a case driven through real `apply` calls.
#[derive(Debug, Clone, Copy)]
enum Fixture {
    /// Handled by 甲二 (same branch as 甲一), ordinary.
    SameBranchOtherStation,
    /// Led by 甲一, 甲二 co-handles (联办).
    CoUnit,
    /// Handled by 乙一 (市中分局).
    OtherBranch,
    /// Handled by 甲二, flagged 涉警投诉 (needs the unit head and a superior).
    SensitiveAtOtherStation,
}

fn fixture(w: &World, f: Fixture, state: CaseState) -> Run<'_> {
    let order = match f {
        Fixture::SameBranchOtherStation => w.order(w.u.a2),
        Fixture::CoUnit => w.order_with(w.u.a1, &[w.u.a2], CaseFlags::default()),
        Fixture::OtherBranch => w.order(w.u.b1),
        Fixture::SensitiveAtOtherStation => w.order_with(
            w.u.a2,
            &[],
            CaseFlags {
                police_complaint: true,
                important: false,
            },
        ),
    };
    let mut r = Run::new(w);
    r.drive(state, &order);
    assert_eq!(r.case.state, state);
    r
}

/// Who is who, by the names a reader of SPEC §2 would use.
fn actor<'w>(w: &'w World, who: &str) -> &'w Actor {
    let a = &w.a;
    match who {
        "受理员" => &a.clerk,
        "回访员" => &a.follow_up,
        "管理员" => &a.admin,
        "市局领导" => &a.leader,
        "历下督办员" => &a.sup_a,
        "市中督办员" => &a.sup_b,
        "治安支队督办员" => &a.sup_public_order,
        "甲一民警" => &a.officer_a1,
        "甲一所长" => &a.head_a1,
        "甲二民警" => &a.officer_a2,
        "甲二所长" => &a.head_a2,
        "乙一民警" => &a.officer_b1,
        "乙一所长" => &a.head_b1,
        other => panic!("no actor {other}"),
    }
}

#[test]
fn who_sees_which_case() {
    use Fixture::{CoUnit, OtherBranch, SameBranchOtherStation};
    let w = World::new();
    // (fixture, viewer, sees) — a 待签收 case; SPEC §2's "sees" column.
    let rows: &[(Fixture, &str, bool)] = &[
        // Own unit only: a sibling station of the same branch does not see it.
        (SameBranchOtherStation, "甲二民警", true),
        (SameBranchOtherStation, "甲二所长", true),
        (SameBranchOtherStation, "甲一民警", false),
        (SameBranchOtherStation, "甲一所长", false),
        // Branch: the subtree's supervisor does; another branch's does not.
        (SameBranchOtherStation, "历下督办员", true),
        (SameBranchOtherStation, "市中督办员", false),
        // Own police line: the line department supervises every 治安 station.
        (SameBranchOtherStation, "治安支队督办员", true),
        // All.
        (SameBranchOtherStation, "受理员", true),
        (SameBranchOtherStation, "市局领导", true),
        (SameBranchOtherStation, "管理员", true),
        // Follow-up agents see cases in follow-up only.
        (SameBranchOtherStation, "回访员", false),
        // 联办: lead and co-unit both see it; nobody of another branch does.
        (CoUnit, "甲一民警", true),
        (CoUnit, "甲一所长", true),
        (CoUnit, "甲二民警", true),
        (CoUnit, "甲二所长", true),
        (CoUnit, "历下督办员", true),
        (CoUnit, "乙一民警", false),
        (CoUnit, "乙一所长", false),
        (CoUnit, "市中督办员", false),
        // Another branch.
        (OtherBranch, "乙一民警", true),
        (OtherBranch, "市中督办员", true),
        (OtherBranch, "历下督办员", false),
        (OtherBranch, "甲一民警", false),
        (OtherBranch, "甲二所长", false),
        (OtherBranch, "治安支队督办员", true),
    ];
    for (f, who, sees) in rows {
        let run = fixture(&w, *f, CaseState::PendingSignIn);
        assert_eq!(
            can_see(actor(&w, who), &run.case, &w.org),
            *sees,
            "{who} on {f:?}"
        );
    }
    // The follow-up agent sees the case once it is in follow-up.
    let done = fixture(&w, SameBranchOtherStation, CaseState::Completed);
    assert!(can_see(actor(&w, "回访员"), &done.case, &w.org));
}

/// The expected outcome of one row.
#[derive(Debug)]
enum Expect {
    /// Applied; the case is now in this state.
    To(CaseState),
    Refused(DomainError),
}

fn role_not_allowed(action: ActionKind, role: Role) -> Expect {
    Expect::Refused(DomainError::RoleNotAllowed { action, role })
}

fn check(w: &World, rows: &[(Fixture, CaseState, &str, Action, Expect)]) {
    for (f, state, who, action, expect) in rows {
        let run = fixture(w, *f, *state);
        let got = run.attempt(actor(w, who), action);
        let label = format!("{} by {who} on {f:?} in {state:?}", action.kind().code());
        match (expect, &got) {
            (Expect::To(s), Ok(c)) => assert_eq!(c.state, *s, "{label}"),
            (Expect::Refused(e), Err(g)) => assert_eq!(g, e, "{label}"),
            _ => panic!(
                "{label}: expected {expect:?}, got {:?}",
                got.map(|c: Case| c.state)
            ),
        }
    }
}

#[test]
fn dispatch_is_the_intake_clerks() {
    use CaseState::{PendingAcceptance as PA, PendingSignIn as PS};
    use Fixture::SameBranchOtherStation as F;
    let w = World::new();
    let d = || Action::Dispatch(w.order(w.u.a2));
    let k = ActionKind::Dispatch;
    check(
        &w,
        &[
            (F, PA, "受理员", d(), Expect::To(PS)),
            (F, PA, "甲二民警", d(), role_not_allowed(k, Role::Officer)),
            (F, PA, "甲二所长", d(), role_not_allowed(k, Role::UnitHead)),
            (
                F,
                PA,
                "历下督办员",
                d(),
                role_not_allowed(k, Role::Supervisor),
            ),
            (F, PA, "市局领导", d(), role_not_allowed(k, Role::Leader)),
            (F, PA, "回访员", d(), role_not_allowed(k, Role::FollowUp)),
            (F, PA, "管理员", d(), role_not_allowed(k, Role::Admin)),
            // Once dispatched it is not dispatched again (改派 is another action).
            (
                F,
                PS,
                "受理员",
                d(),
                Expect::Refused(DomainError::IllegalTransition {
                    action: k,
                    state: PS,
                }),
            ),
        ],
    );
}

#[test]
fn sign_in_is_the_handling_units() {
    use CaseState::{InProgress as IP, PendingSignIn as PS};
    use Fixture::{CoUnit, OtherBranch, SameBranchOtherStation as F};
    let w = World::new();
    let k = ActionKind::SignIn;
    let out = || Expect::Refused(DomainError::OutOfScope);
    check(
        &w,
        &[
            (F, PS, "甲二民警", Action::SignIn, Expect::To(IP)),
            (F, PS, "甲二所长", Action::SignIn, Expect::To(IP)),
            // A sibling station of the same branch has no standing.
            (F, PS, "甲一民警", Action::SignIn, out()),
            (F, PS, "甲一所长", Action::SignIn, out()),
            (OtherBranch, PS, "甲一民警", Action::SignIn, out()),
            // Nobody but the station signs in.
            (
                F,
                PS,
                "历下督办员",
                Action::SignIn,
                role_not_allowed(k, Role::Supervisor),
            ),
            (
                F,
                PS,
                "受理员",
                Action::SignIn,
                role_not_allowed(k, Role::Clerk),
            ),
            (
                F,
                PS,
                "市局领导",
                Action::SignIn,
                role_not_allowed(k, Role::Leader),
            ),
            // 联办: the lead unit signs in; the co-unit gives an opinion instead.
            (CoUnit, PS, "甲一民警", Action::SignIn, Expect::To(IP)),
            (CoUnit, PS, "甲二民警", Action::SignIn, out()),
            (CoUnit, PS, "甲二所长", Action::SignIn, out()),
            (
                CoUnit,
                PS,
                "甲二民警",
                Action::CoUnitOpinion {
                    text: "同意主办单位意见".into(),
                },
                Expect::To(PS),
            ),
            (
                CoUnit,
                PS,
                "甲一民警",
                Action::CoUnitOpinion {
                    text: "主办单位不是联办单位".into(),
                },
                out(),
            ),
        ],
    );
}

#[test]
fn submit_reply_is_the_lead_units() {
    use CaseState::{InProgress as IP, PendingReview as PR};
    use Fixture::{CoUnit, SameBranchOtherStation as F};
    let w = World::new();
    let k = ActionKind::SubmitReply;
    let reply = || Action::SubmitReply {
        text: "已责令整改并回复群众。".into(),
    };
    let out = || Expect::Refused(DomainError::OutOfScope);
    check(
        &w,
        &[
            (F, IP, "甲二民警", reply(), Expect::To(PR)),
            (F, IP, "甲二所长", reply(), Expect::To(PR)),
            (F, IP, "甲一民警", reply(), out()),
            (F, IP, "甲一所长", reply(), out()),
            (
                F,
                IP,
                "历下督办员",
                reply(),
                role_not_allowed(k, Role::Supervisor),
            ),
            (F, IP, "受理员", reply(), role_not_allowed(k, Role::Clerk)),
            (
                F,
                IP,
                "回访员",
                reply(),
                role_not_allowed(k, Role::FollowUp),
            ),
            // 联办: one reply, composed by the lead unit.
            (CoUnit, IP, "甲一民警", reply(), Expect::To(PR)),
            (CoUnit, IP, "甲二民警", reply(), out()),
            (CoUnit, IP, "甲二所长", reply(), out()),
        ],
    );
}

#[test]
fn approve_is_the_unit_heads_and_superiors_on_sensitive_cases() {
    use CaseState::{Completed as C, PendingReview as PR};
    use Fixture::{CoUnit, SameBranchOtherStation as F, SensitiveAtOtherStation as S};
    let w = World::new();
    let k = ActionKind::Approve;
    let ok = || Action::Approve {
        comment: None,
        verdict: None,
    };
    let out = || Expect::Refused(DomainError::OutOfScope);
    check(
        &w,
        &[
            (F, PR, "甲二所长", ok(), Expect::To(C)),
            (F, PR, "甲二民警", ok(), role_not_allowed(k, Role::Officer)),
            (F, PR, "甲一所长", ok(), out()),
            // An ordinary reply needs no superior: they may not approve it.
            (
                F,
                PR,
                "历下督办员",
                ok(),
                role_not_allowed(k, Role::Supervisor),
            ),
            (F, PR, "市局领导", ok(), role_not_allowed(k, Role::Leader)),
            (F, PR, "受理员", ok(), role_not_allowed(k, Role::Clerk)),
            // 联办: the lead unit's head signs, not the co-unit's.
            (CoUnit, PR, "甲一所长", ok(), Expect::To(C)),
            (CoUnit, PR, "甲二所长", ok(), out()),
            // Sensitive: the unit head first (the case stays in review), then a superior.
            (S, PR, "甲二所长", ok(), Expect::To(PR)),
            (
                S,
                PR,
                "历下督办员",
                ok(),
                Expect::Refused(DomainError::SignOffOrder),
            ),
            (
                S,
                PR,
                "市局领导",
                ok(),
                Expect::Refused(DomainError::SignOffOrder),
            ),
            (S, PR, "市中督办员", ok(), out()),
        ],
    );
    // After the unit head: the branch supervisor or the city leader completes it; a
    // supervisor of another branch still has no standing.
    for (who, expect) in [
        ("历下督办员", Some(C)),
        ("市局领导", Some(C)),
        ("治安支队督办员", Some(C)),
        ("市中督办员", None),
    ] {
        let mut r = fixture(&w, S, PR);
        r.act(actor(&w, "甲二所长"), ok());
        // A 涉警投诉 is concluded with its verdict (属实/部分属实/不属实), never without.
        let judged = Action::Approve {
            comment: None,
            verdict: Some(ComplaintVerdict::PartlySubstantiated),
        };
        let got = r.attempt(actor(&w, who), &judged);
        match expect {
            Some(s) => assert_eq!(got.map(|c| c.state), Ok(s), "{who}"),
            None => assert_eq!(got.err(), Some(DomainError::OutOfScope), "{who}"),
        }
        if expect.is_some() {
            let bare = r.attempt(actor(&w, who), &ok());
            assert_eq!(bare.unwrap_err().code(), "INVALID_FIELD", "{who}");
        }
    }
    // The unit head's first signature does not judge it; nor is an ordinary case judged.
    let r = fixture(&w, S, PR);
    let early = Action::Approve {
        comment: None,
        verdict: Some(ComplaintVerdict::Substantiated),
    };
    assert_eq!(
        r.attempt(actor(&w, "甲二所长"), &early).unwrap_err().code(),
        "INVALID_FIELD"
    );
    let r = fixture(&w, F, PR);
    assert_eq!(
        r.attempt(actor(&w, "甲二所长"), &early).unwrap_err().code(),
        "INVALID_FIELD"
    );
}
