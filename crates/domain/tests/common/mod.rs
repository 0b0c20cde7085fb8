//! Shared fixtures for the workflow tests: a small org tree, one actor per role in the
//! right unit, and a builder that drives a fresh case into any state through real
//! `apply` calls (never by writing fields), so every fixture is reachable.
#![allow(dead_code)] // each test file uses a different subset

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use minsheng_domain::calendar::{beijing, Calendar};
use minsheng_domain::case::{
    Case, CaseFlags, CaseState, Category, Channel, RequestType, Satisfaction, Urgency,
};
use minsheng_domain::ids::{CaseId, UnitId, UserId};
use minsheng_domain::org::{OrgTree, PoliceLine, Unit, UnitKind, UnitLevel};
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::sla::SlaRules;
use minsheng_domain::workflow::{
    apply, intake, Action, ActionKind, Assignee, ComplaintVerdict, Ctx, DispatchOrder,
    FollowUpChannel, InvestigatingDept, MasterAnswer, NewCase,
};
use minsheng_domain::DomainError;
use uuid::Uuid;

/// Beijing local time, `"2026-11-26 10:00"`.
pub fn bj(s: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("fixture time");
    beijing()
        .from_local_datetime(&naive)
        .single()
        .expect("unambiguous")
        .with_timezone(&Utc)
}

/// Formats an instant as Beijing local time, for readable assertions.
pub fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&beijing())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A Thursday morning with no holiday near it.
pub fn base_time() -> DateTime<Utc> {
    bj("2026-11-26 09:30")
}

/// Every step of the builder happens this long after the previous one.
pub const STEP_MINUTES: i64 = 10;

pub struct Units {
    pub root: UnitId,
    pub office: UnitId,
    pub leadership: UnitId,
    /// 督察支队: an investigating line department.
    pub inspection: UnitId,
    /// 治安支队: supervises the 治安 line (all police stations here).
    pub public_order: UnitId,
    pub branch_a: UnitId,
    pub a1: UnitId,
    pub a2: UnitId,
    pub branch_b: UnitId,
    pub b1: UnitId,
    pub b2: UnitId,
}

pub struct Actors {
    pub clerk: Actor,
    pub follow_up: Actor,
    pub admin: Actor,
    /// 纪检督察 (reads 涉警投诉, never acts on a case).
    pub inspector: Actor,
    pub system: Actor,
    pub leader: Actor,
    pub sup_a: Actor,
    pub sup_b: Actor,
    pub sup_inspection: Actor,
    pub sup_public_order: Actor,
    pub officer_a1: Actor,
    pub head_a1: Actor,
    pub officer_a2: Actor,
    pub head_a2: Actor,
    pub officer_b1: Actor,
    pub head_b1: Actor,
    pub officer_b2: Actor,
    pub head_b2: Actor,
}

pub struct World {
    pub org: OrgTree,
    pub cal: Calendar,
    pub sla: SlaRules,
    pub u: Units,
    pub a: Actors,
}

fn unit_id(n: u128) -> UnitId {
    UnitId::from_uuid(Uuid::from_u128(0x1000 + n))
}

fn user_id(n: u128) -> UserId {
    UserId::from_uuid(Uuid::from_u128(0x2000 + n))
}

fn unit(
    id: UnitId,
    name: &str,
    level: UnitLevel,
    parent: Option<UnitId>,
    kind: UnitKind,
    line: Option<PoliceLine>,
) -> Unit {
    Unit {
        id,
        code: format!("U{}", id.as_uuid().as_u128()),
        name: name.to_owned(),
        level,
        parent,
        kind,
        police_line: line,
        jurisdiction: minsheng_domain::org::Jurisdiction::default(),
        active: true,
    }
}

fn actor(n: u128, name: &str, role: Role, unit_id: UnitId) -> Actor {
    Actor {
        user_id: user_id(n),
        name: name.to_owned(),
        role,
        unit_id,
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    pub fn new() -> Self {
        use PoliceLine as L;
        use UnitKind as K;
        use UnitLevel as V;
        let u = Units {
            root: unit_id(1),
            office: unit_id(2),
            leadership: unit_id(3),
            inspection: unit_id(4),
            public_order: unit_id(5),
            branch_a: unit_id(10),
            a1: unit_id(11),
            a2: unit_id(12),
            branch_b: unit_id(20),
            b1: unit_id(21),
            b2: unit_id(22),
        };
        let st = Some(L::PublicOrder);
        let units = vec![
            unit(u.root, "济南市公安局", V::City, None, K::CityBureau, None),
            unit(
                u.office,
                "民生警务平台办公室",
                V::City,
                Some(u.root),
                K::PlatformOffice,
                None,
            ),
            unit(
                u.leadership,
                "市局领导",
                V::City,
                Some(u.root),
                K::Leadership,
                None,
            ),
            unit(
                u.inspection,
                "督察支队",
                V::Branch,
                Some(u.root),
                K::LineDepartment,
                Some(L::Inspection),
            ),
            unit(
                u.public_order,
                "治安支队",
                V::Branch,
                Some(u.root),
                K::LineDepartment,
                st,
            ),
            unit(
                u.branch_a,
                "历下分局",
                V::Branch,
                Some(u.root),
                K::Branch,
                None,
            ),
            unit(
                u.a1,
                "甲一派出所",
                V::Station,
                Some(u.branch_a),
                K::PoliceStation,
                st,
            ),
            unit(
                u.a2,
                "甲二派出所",
                V::Station,
                Some(u.branch_a),
                K::PoliceStation,
                st,
            ),
            unit(
                u.branch_b,
                "市中分局",
                V::Branch,
                Some(u.root),
                K::Branch,
                None,
            ),
            unit(
                u.b1,
                "乙一派出所",
                V::Station,
                Some(u.branch_b),
                K::PoliceStation,
                st,
            ),
            unit(
                u.b2,
                "乙二派出所",
                V::Station,
                Some(u.branch_b),
                K::PoliceStation,
                st,
            ),
        ];
        let org = OrgTree::new(units).expect("fixture org tree is valid");
        let a = Actors {
            clerk: actor(1, "受理员小王", Role::Clerk, u.office),
            follow_up: actor(2, "回访员小李", Role::FollowUp, u.office),
            admin: actor(3, "管理员", Role::Admin, u.office),
            inspector: actor(9, "纪检督察员", Role::Inspector, u.inspection),
            system: Actor::system(u.office),
            leader: actor(4, "张局长", Role::Leader, u.leadership),
            sup_a: actor(5, "历下督办员", Role::Supervisor, u.branch_a),
            sup_b: actor(6, "市中督办员", Role::Supervisor, u.branch_b),
            sup_inspection: actor(7, "督察员", Role::Supervisor, u.inspection),
            sup_public_order: actor(8, "治安督办员", Role::Supervisor, u.public_order),
            officer_a1: actor(11, "甲一民警", Role::Officer, u.a1),
            head_a1: actor(12, "甲一所长", Role::UnitHead, u.a1),
            officer_a2: actor(13, "甲二民警", Role::Officer, u.a2),
            head_a2: actor(14, "甲二所长", Role::UnitHead, u.a2),
            officer_b1: actor(21, "乙一民警", Role::Officer, u.b1),
            head_b1: actor(22, "乙一所长", Role::UnitHead, u.b1),
            officer_b2: actor(23, "乙二民警", Role::Officer, u.b2),
            head_b2: actor(24, "乙二所长", Role::UnitHead, u.b2),
        };
        Self {
            org,
            cal: Calendar::builtin(),
            sla: SlaRules::default(),
            u,
            a,
        }
    }

    pub fn ctx(&self, now: DateTime<Utc>) -> Ctx<'_> {
        Ctx {
            now,
            org: &self.org,
            calendar: &self.cal,
            sla: &self.sla,
            categories: &[],
        }
    }

    pub fn all_actors(&self) -> Vec<&Actor> {
        let a = &self.a;
        vec![
            &a.clerk,
            &a.follow_up,
            &a.admin,
            &a.inspector,
            &a.system,
            &a.leader,
            &a.sup_a,
            &a.sup_b,
            &a.sup_inspection,
            &a.sup_public_order,
            &a.officer_a1,
            &a.head_a1,
            &a.officer_a2,
            &a.head_a2,
            &a.officer_b1,
            &a.head_b1,
            &a.officer_b2,
            &a.head_b2,
        ]
    }

    pub fn stations(&self) -> [UnitId; 4] {
        [self.u.a1, self.u.a2, self.u.b1, self.u.b2]
    }

    pub fn officer_of(&self, unit: UnitId) -> &Actor {
        let a = &self.a;
        [&a.officer_a1, &a.officer_a2, &a.officer_b1, &a.officer_b2]
            .into_iter()
            .find(|x| x.unit_id == unit)
            .expect("a station of the fixture")
    }

    /// Who answers for a co-unit: a station's officer, or a line department's 督办员.
    pub fn co_actor(&self, unit: UnitId) -> &Actor {
        if unit == self.u.public_order {
            &self.a.sup_public_order
        } else {
            self.officer_of(unit)
        }
    }

    pub fn head_of(&self, unit: UnitId) -> &Actor {
        let a = &self.a;
        [&a.head_a1, &a.head_a2, &a.head_b1, &a.head_b2]
            .into_iter()
            .find(|x| x.unit_id == unit)
            .expect("a station of the fixture")
    }

    /// The branch supervisor over a station.
    pub fn supervisor_of(&self, station: UnitId) -> &Actor {
        if self.org.is_within(station, self.u.branch_a) {
            &self.a.sup_a
        } else {
            &self.a.sup_b
        }
    }

    /// An ordinary complaint (5 working days to reply) for `unit`, no co-units.
    pub fn order(&self, unit: UnitId) -> DispatchOrder {
        assert!(self.org.get(unit).is_some(), "a unit of the fixture");
        DispatchOrder {
            handling_unit: unit,
            supervising_unit: None,
            co_units: Vec::new(),
            category: Category::new("噪音扰民").expect("category"),
            request_type: RequestType::Complaint,
            urgency: Urgency::Ordinary,
            flags: CaseFlags::default(),
        }
    }

    pub fn order_with(&self, unit: UnitId, co: &[UnitId], flags: CaseFlags) -> DispatchOrder {
        DispatchOrder {
            co_units: co.to_vec(),
            flags,
            ..self.order(unit)
        }
    }

    #[allow(clippy::unused_self)] // a method so every fixture reads `w.…`
    pub fn new_case(&self, received_at: DateTime<Utc>) -> NewCase {
        NewCase {
            id: None,
            channel: Channel::MayorHotline,
            request_type: RequestType::Complaint,
            category: Some("噪音扰民".into()),
            title: "夜间施工噪音扰民".into(),
            content: "小区旁工地每晚十一点后仍在施工，影响休息。".into(),
            citizen_name: "王先生".into(),
            citizen_phone: Some("13812345678".into()),
            citizen_id_card: Some("11010519491231002X".into()),
            address: Some("历下区泉城路1号".into()),
            district: Some("历下区".into()),
            received_at: Some(received_at),
            urgency: Urgency::Ordinary,
            flags: CaseFlags::default(),
            leader_instruction: None,
        }
    }
}

/// A case being driven through the workflow, with its own clock.
pub struct Run<'w> {
    pub w: &'w World,
    pub case: Case,
    pub now: DateTime<Utc>,
}

impl<'w> Run<'w> {
    /// A fresh 待受理 case taken in by the clerk at `at`.
    pub fn intake_at(w: &'w World, at: DateTime<Utc>) -> Self {
        let case = intake(&w.new_case(at), &w.a.clerk, at).expect("fixture intake");
        assert!(case.invariant_violations().is_empty());
        Self { w, case, now: at }
    }

    pub fn new(w: &'w World) -> Self {
        Self::intake_at(w, base_time())
    }

    /// What `actor` doing `action` one step from now would give, without committing it.
    pub fn attempt(&self, actor: &Actor, action: &Action) -> Result<Case, DomainError> {
        let now = self.now + Duration::minutes(STEP_MINUTES);
        let out = apply(&self.case, actor, action, &self.w.ctx(now));
        if let Ok(c) = &out {
            assert_eq!(c.invariant_violations(), Vec::<String>::new(), "{action:?}");
        }
        out
    }

    /// Advances the clock one step and applies the action, which must succeed.
    pub fn act(&mut self, actor: &Actor, action: Action) -> &mut Self {
        let next = self.attempt(actor, &action).unwrap_or_else(|e| {
            panic!(
                "{} by {} in {:?} refused: {e:?}",
                action.kind().code(),
                actor.name,
                self.case.state
            )
        });
        self.now += Duration::minutes(STEP_MINUTES);
        self.case = next;
        self
    }

    /// Applies the action expecting the given refusal; the case stays as it was.
    pub fn refuse(&self, actor: &Actor, action: &Action, expected: &DomainError) {
        let got = self.attempt(actor, action);
        assert_eq!(
            got.as_ref().err(),
            Some(expected),
            "{action:?} by {}",
            actor.name
        );
    }

    pub fn handling(&self) -> UnitId {
        self.case.handling_unit.expect("case has a handling unit")
    }

    /// Drives a fresh case to `target` along the ordinary path, dispatching with `order`.
    /// Sensitive orders get the branch supervisor's sign-off; co-units give opinions
    /// right after sign-in; the 督察 supervisor investigates at level 3.
    pub fn drive(&mut self, target: CaseState, order: &DispatchOrder) -> &mut Self {
        use CaseState as S;
        assert_eq!(self.case.state, S::PendingAcceptance, "drive starts fresh");
        let w = self.w;
        match target {
            S::PendingAcceptance => return self,
            S::Rejected => {
                return self.act(
                    &w.a.clerk,
                    Action::Reject {
                        reason: "不属于公安职责".into(),
                    },
                )
            }
            S::Transferred => {
                return self.act(
                    &w.a.clerk,
                    Action::TransferOut {
                        department: "市住建局".into(),
                        reason: "属于住建部门职责".into(),
                    },
                )
            }
            S::Merged => {
                let master = CaseId::mint(self.now - Duration::days(1));
                return self.act(&w.a.clerk, Action::LinkDuplicate { master });
            }
            _ => {}
        }
        self.act(&w.a.clerk, Action::Dispatch(order.clone()));
        if target == S::PendingSignIn {
            return self;
        }
        let h = order.handling_unit;
        self.act(w.officer_of(h), Action::SignIn);
        for co in &order.co_units {
            self.act(
                w.co_actor(*co),
                Action::CoUnitOpinion {
                    text: "已核实，同意主办单位意见".into(),
                },
            );
        }
        if target == S::InProgress {
            return self;
        }
        self.act(
            w.officer_of(h),
            Action::SubmitReply {
                text: "已责令工地夜间停工，并将持续巡查。".into(),
            },
        );
        if target == S::PendingReview {
            return self;
        }
        self.act(
            w.head_of(h),
            Action::Approve {
                comment: None,
                verdict: None,
            },
        );
        if order.flags.is_sensitive() {
            self.act(
                w.supervisor_of(h),
                Action::Approve {
                    comment: Some("同意".into()),
                    verdict: order
                        .flags
                        .police_complaint
                        .then_some(ComplaintVerdict::Unsubstantiated),
                },
            );
        }
        if target == S::Completed {
            return self;
        }
        if target == S::Archived {
            return self.act(&w.a.follow_up, answer(Satisfaction::Satisfied));
        }
        self.act(&w.a.follow_up, answer(Satisfaction::Unsatisfied));
        if target == S::FollowUpL2 {
            return self;
        }
        self.act(
            w.head_of(h),
            Action::RecordRehandle {
                result: "所长带队上门，工地已承诺整改。".into(),
            },
        );
        self.act(&w.a.follow_up, answer(Satisfaction::Unsatisfied));
        if target == S::FollowUpL3 {
            return self;
        }
        self.act(
            &w.a.leader,
            Action::LeaderSignOff {
                opinion: "请督察支队调查。".into(),
            },
        );
        self.act(
            &w.a.sup_inspection,
            Action::RecordInvestigation {
                department: InvestigatingDept::Inspection,
                finding: "民警处置程序合规。".into(),
                verdict: order
                    .flags
                    .police_complaint
                    .then_some(ComplaintVerdict::Unsubstantiated),
            },
        );
        self.act(&w.a.follow_up, answer(Satisfaction::Unsatisfied));
        if target == S::DifficultSupervision {
            return self;
        }
        assert_eq!(target, S::Concluded);
        self.act(
            &w.a.leader,
            Action::Conclude {
                decision: "经研究，依法终结。".into(),
            },
        )
    }
}

/// A fresh case driven to `target` with an ordinary order to station A1.
pub fn case_in(w: &World, target: CaseState) -> Run<'_> {
    let mut r = Run::new(w);
    r.drive(target, &w.order(w.u.a1));
    assert_eq!(r.case.state, target);
    r
}

pub fn answer(satisfaction: Satisfaction) -> Action {
    Action::FollowUpAnswer {
        satisfaction,
        channel: FollowUpChannel::Phone,
        note: None,
    }
}

/// A valid-looking payload for `kind` on `case` (the state may still refuse it).
pub fn sample_action(w: &World, kind: ActionKind, case: &Case, now: DateTime<Utc>) -> Action {
    use ActionKind as K;
    let other = if case.handling_unit == Some(w.u.b1) {
        w.u.a2
    } else {
        w.u.b1
    };
    match kind {
        K::Dispatch => Action::Dispatch(w.order(w.u.a1)),
        K::Redispatch => Action::Redispatch {
            order: w.order(other),
            reason: "辖区划分有误".into(),
        },
        K::Reject => Action::Reject {
            reason: "诉求内容不明确".into(),
        },
        K::TransferOut => Action::TransferOut {
            department: "市城管局".into(),
            reason: "城管职责".into(),
        },
        K::LinkDuplicate => Action::LinkDuplicate {
            master: CaseId::mint(now - Duration::days(2)),
        },
        K::SignIn => Action::SignIn,
        K::Assign => {
            let unit = case.handling_unit.unwrap_or(w.u.a1);
            Action::Assign {
                officer: Assignee {
                    id: w.officer_of(unit).user_id,
                    unit,
                    role: Role::Officer,
                },
            }
        }
        K::Return => Action::Return {
            reason: "不属于本辖区".into(),
        },
        K::CoUnitOpinion => Action::CoUnitOpinion {
            text: "同意".into(),
        },
        K::SubmitReply => Action::SubmitReply {
            text: "已处理完毕".into(),
        },
        K::Approve => Action::Approve {
            comment: None,
            verdict: (case.flags.police_complaint && !case.sign_offs.is_empty())
                .then_some(ComplaintVerdict::Unsubstantiated),
        },
        K::SendBack => Action::SendBack {
            reason: "答复不完整".into(),
        },
        K::RequestExtension => Action::RequestExtension {
            reason: "需要调取监控".into(),
            until: case.deadlines.reply.unwrap_or(now).max(now) + Duration::days(3),
        },
        K::ApproveExtension => Action::ApproveExtension { comment: None },
        K::RejectExtension => Action::RejectExtension {
            reason: "理由不充分".into(),
        },
        K::Urge => Action::Urge {
            message: "请尽快办理".into(),
        },
        K::Consult => Action::Consult {
            participants: vec!["甲一所长".into(), "城管执法队".into()],
            summary: "联合整治".into(),
        },
        K::AddNote => Action::AddNote {
            text: "群众再次来电".into(),
        },
        K::FollowUpAnswer => answer(Satisfaction::Satisfied),
        K::RecordRehandle => Action::RecordRehandle {
            result: "已重新处理".into(),
        },
        K::LeaderSignOff => Action::LeaderSignOff {
            opinion: "请彻查".into(),
        },
        K::RecordInvestigation => Action::RecordInvestigation {
            department: InvestigatingDept::Inspection,
            finding: "程序合规".into(),
            verdict: case
                .flags
                .police_complaint
                .then_some(ComplaintVerdict::Unsubstantiated),
        },
        K::SupervisionNotice => Action::SupervisionNotice {
            notice: "限期办结".into(),
        },
        K::Conclude => Action::Conclude {
            decision: "依法终结".into(),
        },
        K::Archive => Action::Archive {
            reason: "回访满意".into(),
        },
        K::AdoptMasterReply => Action::AdoptMasterReply {
            master: case
                .duplicate_of
                .unwrap_or_else(|| CaseId::mint(now - Duration::days(2))),
            answer: MasterAnswer {
                reply: minsheng_domain::case::Reply {
                    text: "主件答复：已处理完毕".into(),
                    by: w.officer_of(w.u.a1).user_id,
                    at: now,
                },
                sign_offs: vec![minsheng_domain::case::SignOff {
                    step: minsheng_domain::case::SignOffStep::UnitHead,
                    by: w.head_of(w.u.a1).user_id,
                    name: "甲一所长".into(),
                    role: Role::UnitHead,
                    unit: w.u.a1,
                    at: now,
                    comment: None,
                }],
                handling_unit: w.u.a1,
                supervising_unit: None,
                category: case.category.clone(),
                flags: CaseFlags::default(),
            },
        },
    }
}

/// The states a successful `kind` from `from` may lead to (independent of `rule()`).
pub fn expected_targets(kind: ActionKind, from: CaseState) -> Vec<CaseState> {
    use ActionKind as K;
    use CaseState as S;
    match kind {
        K::Dispatch | K::Redispatch => vec![S::PendingSignIn],
        K::Reject => vec![S::Rejected],
        K::TransferOut => vec![S::Transferred],
        K::LinkDuplicate => vec![S::Merged],
        K::SignIn | K::SendBack => vec![S::InProgress],
        K::Return => vec![S::PendingAcceptance],
        K::SubmitReply => vec![S::PendingReview],
        K::Approve => vec![S::PendingReview, S::Completed],
        K::FollowUpAnswer => vec![
            S::Archived,
            match from {
                S::Completed => S::FollowUpL2,
                S::FollowUpL2 => S::FollowUpL3,
                _ => S::DifficultSupervision,
            },
        ],
        K::Conclude => vec![S::Concluded],
        K::Archive => vec![S::Archived],
        K::AdoptMasterReply => vec![S::Completed],
        K::Assign
        | K::CoUnitOpinion
        | K::RequestExtension
        | K::ApproveExtension
        | K::RejectExtension
        | K::Urge
        | K::Consult
        | K::AddNote
        | K::RecordRehandle
        | K::LeaderSignOff
        | K::RecordInvestigation
        | K::SupervisionNotice => vec![from],
    }
}
