//! 责任倒查's state machine (`minsheng_domain::accountability`): who may take which step
//! from which state, what a step must carry, and the hash chain of a record's trail.
//! Expected values from issue 19: 纪检督察 establish, a 处分 is the leader's, 不予追责 too,
//! decided is final, only decided records count in the assessment.

use chrono::Utc;
use minsheng_domain::accountability::*;
use minsheng_domain::ids::{AccountabilityId, CaseId, UnitId, UserId};
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::workflow::ComplaintVerdict;

fn actor(role: Role) -> Actor {
    Actor {
        user_id: UserId::mint(Utc::now()),
        name: format!("{}甲", role.label_zh()),
        role,
        unit_id: UnitId::mint(Utc::now()),
    }
}

fn record(unit: UnitId) -> AccountabilityRecord {
    AccountabilityRecord {
        id: AccountabilityId::mint(Utc::now()),
        case_id: CaseId::mint(Utc::now()),
        case_number: Some("MS202612070001".into()),
        case_title: "反映民警执法态度粗暴".into(),
        unit_id: unit,
        verdict: ComplaintVerdict::Substantiated,
        source: VerdictSource::SignOff,
        verdict_text: "投诉属实".into(),
        opened_at: Utc::now(),
        state: AccountabilityState::Investigating,
        proposed_officers: Vec::new(),
        officers: Vec::new(),
        finding: None,
        decision: None,
        version: 1,
    }
}

fn establish(unit: UnitId) -> AccountabilityStep {
    AccountabilityStep::Establish {
        officers: vec![Involved {
            id: UserId::mint(Utc::now()),
            name: "民警张伟".into(),
            unit,
        }],
        finding: "出警时言语不当，态度生硬".into(),
    }
}

#[test]
fn establish_then_decide_by_the_right_roles() {
    let unit = UnitId::mint(Utc::now());
    let now = Utc::now();
    let r = record(unit);
    let (insp, leader) = (actor(Role::Inspector), actor(Role::Leader));
    // Nothing decided before the facts are established.
    let decide = AccountabilityStep::Decide {
        sanction: Sanction::AdmonitoryTalk,
        note: "诫勉谈话一次".into(),
    };
    assert_eq!(
        apply(&r, &insp, &decide, now).unwrap_err().code(),
        "ACCOUNTABILITY_STEP"
    );
    // Only the inspectors establish.
    assert_eq!(
        apply(&r, &leader, &establish(unit), now)
            .unwrap_err()
            .code(),
        "ACCOUNTABILITY_ROLE"
    );
    let r = apply(&r, &insp, &establish(unit), now).unwrap();
    assert_eq!(r.state, AccountabilityState::Established);
    // An amendment while undecided is fine.
    let r = apply(&r, &insp, &establish(unit), now).unwrap();
    // 记过 needs the leader; 诫勉谈话 the inspector may decide.
    let demerit = AccountabilityStep::Decide {
        sanction: Sanction::Demerit,
        note: "给予记过处分".into(),
    };
    assert_eq!(
        apply(&r, &insp, &demerit, now).unwrap_err().code(),
        "ACCOUNTABILITY_ROLE"
    );
    let d = apply(&r, &leader, &demerit, now).unwrap();
    assert_eq!(d.state, AccountabilityState::Decided);
    assert_eq!(d.decision.as_ref().unwrap().by, leader.user_id);
    assert!(d.counts_in_assessment());
    let d2 = apply(&r, &insp, &decide, now).unwrap();
    assert_eq!(
        d2.decision.unwrap().sanction,
        Some(Sanction::AdmonitoryTalk)
    );
    // Decided is final.
    assert_eq!(
        apply(&d, &insp, &establish(unit), now).unwrap_err().code(),
        "ACCOUNTABILITY_STEP"
    );
}

#[test]
fn other_roles_and_bad_payloads_are_refused() {
    let unit = UnitId::mint(Utc::now());
    let now = Utc::now();
    let r = record(unit);
    for role in [
        Role::Admin,
        Role::Clerk,
        Role::Officer,
        Role::UnitHead,
        Role::Supervisor,
        Role::FollowUp,
        Role::System,
    ] {
        assert_eq!(
            apply(&r, &actor(role), &establish(unit), now)
                .unwrap_err()
                .code(),
            "ACCOUNTABILITY_ROLE",
            "{role:?}"
        );
    }
    let insp = actor(Role::Inspector);
    let elsewhere = establish(UnitId::mint(now));
    assert_eq!(
        apply(&r, &insp, &elsewhere, now).unwrap_err().code(),
        "INVALID_FIELD"
    );
    let none = AccountabilityStep::Establish {
        officers: vec![],
        finding: "x".into(),
    };
    assert!(apply(&r, &insp, &none, now).is_err());
    // 不予追责 is the leader's.
    let dismiss = AccountabilityStep::Dismiss {
        reason: "系工作机制问题，非个人责任".into(),
    };
    assert_eq!(
        apply(&r, &insp, &dismiss, now).unwrap_err().code(),
        "ACCOUNTABILITY_ROLE"
    );
    let d = apply(&r, &actor(Role::Leader), &dismiss, now).unwrap();
    assert_eq!(d.state, AccountabilityState::Dismissed);
    assert!(!d.counts_in_assessment());
}

#[test]
fn the_trail_is_hash_chained() {
    let a = actor(Role::Inspector);
    let id = AccountabilityId::mint(Utc::now());
    let e1 = AccountabilityEntry::next(
        None,
        id,
        Utc::now(),
        &a,
        "open",
        None,
        AccountabilityState::Investigating,
        serde_json::json!({}),
    );
    let e2 = AccountabilityEntry::next(
        Some(&e1),
        id,
        Utc::now(),
        &a,
        "establish",
        Some(AccountabilityState::Investigating),
        AccountabilityState::Established,
        serde_json::json!({"finding": "x"}),
    );
    assert!(chain_is_valid(&[e1.clone(), e2.clone()]));
    let mut forged = e2;
    forged.detail = serde_json::json!({"finding": "y"});
    assert!(!chain_is_valid(&[e1, forged]));
}

#[test]
fn the_steps_offered_are_exactly_the_ones_apply_accepts() {
    let unit = UnitId::mint(Utc::now());
    let now = Utc::now();
    let samples = [
        establish(unit),
        AccountabilityStep::Decide {
            sanction: Sanction::AdmonitoryTalk,
            note: "诫勉谈话".into(),
        },
        AccountabilityStep::Dismiss {
            reason: "非个人责任".into(),
        },
    ];
    for state in AccountabilityState::ALL {
        for role in Role::ALL.iter().copied() {
            let r = AccountabilityRecord {
                state,
                ..record(unit)
            };
            let offered = allowed_steps(&r, role);
            for s in &samples {
                assert_eq!(
                    offered.contains(&s.code()),
                    apply(&r, &actor(role), s, now).is_ok(),
                    "{state:?} {role:?} {}",
                    s.code()
                );
            }
            // Every decision offered to a role is one it may take.
            for sanction in sanctions_for(role) {
                let decide = AccountabilityStep::Decide {
                    sanction,
                    note: "依纪处理".into(),
                };
                if state == AccountabilityState::Established {
                    assert!(
                        apply(&r, &actor(role), &decide, now).is_ok(),
                        "{role:?} {sanction:?}"
                    );
                }
            }
        }
    }
}
