//! Which role has which screen or button at all, written out from SPEC §2 (受理员 …
//! 管理员) and the server's route guards, not computed from the code under test.

use minsheng_domain::capability::Capability as C;
use minsheng_domain::role::Role as R;

#[test]
fn each_role_has_exactly_the_capabilities_spec_2_gives_it() {
    let table: &[(R, &[C])] = &[
        (
            R::Clerk,
            &[
                C::Register,
                C::Dispatch,
                C::BulkImport,
                C::EditKnowledge,
                C::Urge,
                C::Assessment,
                C::CityWide,
                C::Reports,
                C::ReadFollowUps,
                C::AnswerFollowUps,
                // 优秀监督员 (SPEC §11): the platform office keeps the register.
                C::ManageSupervisors,
                C::SupervisorFeedback,
            ],
        ),
        (
            R::Officer,
            &[C::HomeVisit, C::Handle, C::Assessment, C::SupervisorTasks],
        ),
        (
            R::UnitHead,
            &[
                C::HomeVisit,
                C::Handle,
                C::Approve,
                C::Assessment,
                C::SupervisorTasks,
            ],
        ),
        (
            R::Supervisor,
            &[C::Approve, C::Supervise, C::Urge, C::Assessment],
        ),
        (
            R::Leader,
            &[
                C::Approve,
                C::Supervise,
                C::Urge,
                C::Assessment,
                C::CityWide,
                C::Reports,
                C::ReadFollowUps,
                C::SupervisorFeedback,
                C::Accountability,
            ],
        ),
        (R::FollowUp, &[C::ReadFollowUps, C::AnswerFollowUps]),
        (
            R::Admin,
            &[
                C::Register,
                C::BulkImport,
                C::EditKnowledge,
                C::Assessment,
                C::CityWide,
                C::Reports,
                C::ReadFollowUps,
                C::Administer,
                C::ManageSupervisors,
                C::SupervisorFeedback,
            ],
        ),
        (R::Inspector, &[C::Accountability]),
        (R::System, &[]),
    ];
    for (role, expected) in table {
        let mut want = expected.to_vec();
        want.sort();
        let mut got = role.capabilities();
        got.sort();
        assert_eq!(got, want, "{role:?}");
    }
}
