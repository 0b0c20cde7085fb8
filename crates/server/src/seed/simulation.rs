//! Drives each demo case through the real state machine at simulated times.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::case::{
    Case, CaseFlags, CaseState, Category, Channel, LeaderInstruction, Satisfaction, Urgency,
};
use minsheng_domain::ids::{EntryId, UnitId};
use minsheng_domain::org::{OrgTree, PoliceLine, Unit, UnitKind};
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::{
    self, Action, ComplaintVerdict, DispatchOrder, FollowUpChannel, InvestigatingDept, NewCase,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::texts::{guess_category, guess_request_type, Text};
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::UserRecord;

/// People the simulation needs, by unit.
struct Cast {
    clerk: Actor,
    leader: Actor,
    followup: Actor,
    heads: HashMap<UnitId, Actor>,
    officers: HashMap<UnitId, Vec<Actor>>,
    supervisors: HashMap<UnitId, Actor>,
    investigator: Option<Actor>,
}

fn actor(u: &UserRecord) -> Actor {
    Actor {
        user_id: u.id,
        name: u.display_name.clone(),
        role: u.role,
        unit_id: u.unit_id,
    }
}

fn cast(s: &AppState) -> Result<Cast, ApiError> {
    let users = s.store.list_users(None)?;
    let find = |name: &str| {
        users
            .iter()
            .find(|u| u.username == name)
            .map(actor)
            .ok_or(ApiError::NotFound("演示用户"))
    };
    let org = s.org();
    let mut c = Cast {
        clerk: find("clerk")?,
        leader: find("leader")?,
        followup: find("followup")?,
        heads: HashMap::new(),
        officers: HashMap::new(),
        supervisors: HashMap::new(),
        investigator: None,
    };
    for u in users.iter().filter(|u| u.active) {
        match u.role {
            Role::UnitHead => {
                c.heads.entry(u.unit_id).or_insert_with(|| actor(u));
            }
            Role::Officer => c.officers.entry(u.unit_id).or_default().push(actor(u)),
            Role::Supervisor => {
                if org.get(u.unit_id).is_some_and(|x| {
                    x.kind == UnitKind::LineDepartment
                        && x.police_line == Some(PoliceLine::Inspection)
                }) {
                    c.investigator = Some(actor(u));
                }
                c.supervisors.entry(u.unit_id).or_insert_with(|| actor(u));
            }
            _ => {}
        }
    }
    // Demo accounts first, so `officer` is the one who signs in at their station.
    if let Ok(o) = find("officer") {
        let v = c.officers.entry(o.unit_id).or_default();
        v.retain(|x| x.user_id != o.user_id);
        v.insert(0, o);
    }
    Ok(c)
}

struct Sim<'a> {
    s: &'a AppState,
    org: &'a OrgTree,
    case: Case,
    entries: Vec<TimelineEntry>,
    now: DateTime<Utc>,
    at: DateTime<Utc>,
}

impl Sim<'_> {
    /// Applies an action `gap` after the previous step; false when that is in the future
    /// or the state machine refuses (the case simply stays where it is).
    fn step(&mut self, gap: Duration, a: &Actor, action: Action) -> bool {
        let at = self.at + gap;
        if at >= self.now {
            return false;
        }
        let Ok(next) = workflow::apply(&self.case, a, &action, &self.s.config().ctx(at, self.org))
        else {
            return false;
        };
        let detail = serde_json::to_value(&action).unwrap_or_default();
        let e = TimelineEntry::next(
            self.entries.last(),
            EntryId::mint(at),
            self.case.id,
            at,
            None,
            a,
            action.kind().code(),
            Some(self.case.state),
            next.state,
            detail,
        );
        self.entries.push(e);
        self.case = next;
        self.at = at;
        true
    }
}

fn mins(rng: &mut StdRng, lo: i64, hi: i64) -> Duration {
    Duration::minutes(rng.random_range(lo..=hi))
}

/// Who signs a 领导批示 in the demo.
const LEADERS: &[&str] = &["王副市长", "李副市长", "市委政法委张书记", "市政府秘书长"];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "军", "强", "丽", "涛", "明", "霞",
    "平", "刚", "桂英", "建华",
];

fn id_card(rng: &mut StdRng) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let body = format!(
        "370102{:04}{:02}{:02}{:03}",
        rng.random_range(1950..2005),
        rng.random_range(1..=12),
        rng.random_range(1..=28),
        rng.random_range(0..1000)
    );
    let sum: u32 = body
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    format!("{body}{}", C[(sum % 11) as usize])
}

/// Seeds org, users and `n` cases; idempotent per part. Returns a human report.
pub fn simulate(
    s: &AppState,
    texts: &[Text],
    n: usize,
    now: DateTime<Utc>,
) -> Result<Vec<(Case, Vec<TimelineEntry>)>, ApiError> {
    let org = s.org();
    let cast = cast(s)?;
    let mut rng = StdRng::seed_from_u64(20_261_126);
    let demo_station = org.find_by_code("JN-LX-QCL").map(|u| u.id);
    let handlers: Vec<&Unit> = org
        .units()
        .filter(|u| u.can_handle() && cast.heads.contains_key(&u.id))
        .collect();
    if handlers.is_empty() {
        return Err(ApiError::NotFound("可承办的单位"));
    }
    // 监督员 cases come from consultation rounds, never from a simulated hotline.
    let channels: Vec<Channel> = Channel::ALL
        .iter()
        .copied()
        .filter(|c| *c != Channel::Supervisor)
        .collect();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = &texts[i % texts.len()];
        let full = format!("{}{}", t.title, t.content);
        let (cat_guess, kind) = guess_category(&full);
        let category = t.category.clone().unwrap_or_else(|| cat_guess.to_owned());
        // Route: a unit of the right kind, preferring the district named in the text.
        let district_of = |u: &Unit| {
            u.jurisdiction
                .districts
                .iter()
                .any(|d| full.contains(d.as_str()) || t.district.as_deref() == Some(d.as_str()))
        };
        let mut candidates: Vec<&&Unit> = handlers
            .iter()
            .filter(|u| u.kind == kind && district_of(u))
            .collect();
        if candidates.is_empty() {
            candidates = handlers.iter().filter(|u| u.kind == kind).collect();
        }
        if candidates.is_empty() {
            candidates = handlers.iter().collect();
        }
        let mut unit = candidates[rng.random_range(0..candidates.len())];
        if let Some(demo) = demo_station.and_then(|d| handlers.iter().find(|u| u.id == d)) {
            if kind == UnitKind::PoliceStation && rng.random_bool(0.15) {
                unit = demo;
            }
        }
        let received = now - Duration::minutes(rng.random_range(30..(90 * 24 * 60)));
        let phone = format!(
            "1{}{:09}",
            ["38", "39", "58", "86", "37"][rng.random_range(0..5)],
            rng.random_range(0..1_000_000_000u64)
        )
        .chars()
        .take(11)
        .collect::<String>();
        let channel = t
            .channel
            .unwrap_or(channels[rng.random_range(0..channels.len())]);
        let new = NewCase {
            id: None,
            channel,
            request_type: t.request_type.unwrap_or_else(|| guess_request_type(&full)),
            category: None,
            title: t.title.chars().take(200).collect(),
            content: t.content.clone(),
            citizen_name: format!(
                "{}{}",
                SURNAMES[rng.random_range(0..SURNAMES.len())],
                GIVEN[rng.random_range(0..GIVEN.len())]
            ),
            citizen_phone: Some(phone),
            citizen_id_card: rng.random_bool(0.3).then(|| id_card(&mut rng)),
            address: t.address.clone(),
            district: t
                .district
                .clone()
                .or_else(|| unit.jurisdiction.districts.first().cloned()),
            received_at: Some(received),
            urgency: match rng.random_range(0..20) {
                0 => Urgency::Critical,
                1..=3 => Urgency::Urgent,
                _ => Urgency::Ordinary,
            },
            flags: CaseFlags {
                police_complaint: category == "民警作风与执法",
                important: rng.random_bool(0.03),
            },
            leader_instruction: (channel == Channel::LeaderInstruction).then(|| {
                LeaderInstruction {
                    leader: LEADERS[rng.random_range(0..LEADERS.len())].into(),
                    instruction: "请市公安局认真核实，依法妥善处理，及时答复群众。".into(),
                }
            }),
        };
        let case = workflow::intake(&new, &cast.clerk, received)?;
        let first = crate::cases::intake_entry(&case, &cast.clerk, received, None);
        let mut sim = Sim {
            s,
            org: &org,
            case,
            entries: vec![first],
            now,
            at: received,
        };
        drive(&mut sim, &cast, unit, &category, &mut rng);
        out.push((sim.case, sim.entries));
    }
    Ok(out)
}

/// Drives one case as far as a sampled target and the simulated clock allow.
fn drive(sim: &mut Sim<'_>, cast: &Cast, unit: &Unit, category: &str, rng: &mut StdRng) {
    let mut target: u32 = rng.random_range(0..100);
    // Old cases are mostly finished; only a few stay open (and overdue), as in real life.
    let age_days = (sim.now - sim.at).num_days();
    if age_days > 10 && target < 60 && rng.random_bool(0.9) {
        target = 60 + target % 40;
    }
    if target < 6 {
        return; // 待受理
    }
    if target < 9 {
        let action = if rng.random_bool(0.5) {
            Action::TransferOut {
                department: "市住建局".into(),
                reason: "不属于公安机关职责".into(),
            }
        } else {
            Action::Reject {
                reason: "诉求内容重复且已答复".into(),
            }
        };
        sim.step(mins(rng, 10, 120), &cast.clerk, action);
        return;
    }
    let Ok(cat) = Category::new(category) else {
        return;
    };
    let order = DispatchOrder {
        handling_unit: unit.id,
        supervising_unit: None,
        co_units: Vec::new(),
        category: cat,
        request_type: sim.case.request_type,
        urgency: sim.case.urgency,
        flags: sim.case.flags,
    };
    if !sim.step(mins(rng, 5, 180), &cast.clerk, Action::Dispatch(order)) || target < 18 {
        return;
    }
    let (Some(head), Some(officer)) = (
        cast.heads.get(&unit.id),
        cast.officers.get(&unit.id).and_then(|o| o.first()),
    ) else {
        return;
    };
    if target < 21 {
        sim.step(
            mins(rng, 30, 600),
            officer,
            Action::Return {
                reason: "不属于本单位辖区，请重新派单".into(),
            },
        );
        return;
    }
    if !sim.step(mins(rng, 10, 400), officer, Action::SignIn) || target < 40 {
        if target < 40 && rng.random_bool(0.2) {
            let sup = cast
                .supervisors
                .get(&sim.case.supervising_unit.unwrap_or(unit.id));
            if let Some(sup) = sup {
                sim.step(
                    mins(rng, 60, 2000),
                    sup,
                    Action::Urge {
                        message: "请尽快办理并答复群众".into(),
                    },
                );
            }
        }
        return;
    }
    let reply = format!(
        "经{}核查，已依法处理：{}。已与反映人取得联系并当面说明情况。",
        unit.name, "现场核实并整改"
    );
    if !sim.step(
        mins(rng, 600, 6000),
        officer,
        Action::SubmitReply { text: reply },
    ) || target < 45
    {
        return;
    }
    if !sim.step(
        mins(rng, 30, 900),
        head,
        Action::Approve {
            comment: Some("同意".into()),
            verdict: None,
        },
    ) {
        return;
    }
    if sim.case.state == CaseState::PendingReview {
        let superior = sim
            .case
            .supervising_unit
            .and_then(|u| cast.supervisors.get(&u))
            .unwrap_or(&cast.leader);
        if target < 48
            || !sim.step(
                mins(rng, 30, 900),
                superior,
                Action::Approve {
                    comment: Some("同意答复".into()),
                    verdict: sim
                        .case
                        .flags
                        .police_complaint
                        .then_some(ComplaintVerdict::Unsubstantiated),
                },
            )
        {
            return;
        }
    }
    if target < 60 {
        return; // 已办结, waiting for the citizen
    }
    let answer = |sat| Action::FollowUpAnswer {
        satisfaction: sat,
        channel: FollowUpChannel::Sms,
        note: None,
    };
    if target < 92 {
        let sat = if rng.random_bool(0.8) {
            Satisfaction::Satisfied
        } else {
            Satisfaction::BasicallySatisfied
        };
        sim.step(mins(rng, 60, 3000), &cast.followup, answer(sat));
        return;
    }
    if !sim.step(
        mins(rng, 60, 3000),
        &cast.followup,
        answer(Satisfaction::Unsatisfied),
    ) || target < 95
    {
        return;
    }
    if !sim.step(
        mins(rng, 600, 3000),
        head,
        Action::RecordRehandle {
            result: "所长带队再次上门，问题已解决".into(),
        },
    ) {
        return;
    }
    if target < 97 {
        sim.step(
            mins(rng, 60, 2000),
            &cast.followup,
            answer(Satisfaction::Satisfied),
        );
        return;
    }
    if !sim.step(
        mins(rng, 60, 2000),
        &cast.followup,
        answer(Satisfaction::Unsatisfied),
    ) {
        return;
    }
    sim.step(
        mins(rng, 60, 1000),
        &cast.leader,
        Action::LeaderSignOff {
            opinion: "请督察部门调查并限期整改".into(),
        },
    );
    if let Some(inv) = &cast.investigator {
        sim.step(
            mins(rng, 600, 3000),
            inv,
            Action::RecordInvestigation {
                department: InvestigatingDept::Inspection,
                finding: "民警处置程序存在瑕疵，已责令整改".into(),
                verdict: sim
                    .case
                    .flags
                    .police_complaint
                    .then_some(ComplaintVerdict::Unsubstantiated),
            },
        );
    }
    if target < 99 {
        sim.step(
            mins(rng, 60, 2000),
            &cast.followup,
            answer(Satisfaction::Satisfied),
        );
    } else {
        sim.step(
            mins(rng, 60, 2000),
            &cast.followup,
            answer(Satisfaction::Unsatisfied),
        );
    }
}
