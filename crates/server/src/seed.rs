//! Demo data: a Jinan-like org tree and users from `data/demo/org.json`, and demo cases
//! whose texts come from the shared citizen-message corpus when it is present (else the
//! small fixture `data/demo/fallback_cases.json`). Every demo case is driven through the
//! real state machine with simulated times, so timelines and deadlines are genuine.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::case::{
    Case, CaseFlags, CaseState, Category, Channel, RequestType, Satisfaction, Urgency,
};
use minsheng_domain::ids::{EntryId, UnitId, UserId};
use minsheng_domain::org::{Jurisdiction, OrgTree, PoliceLine, Unit, UnitKind, UnitLevel};
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::{
    self, Action, DispatchOrder, FollowUpChannel, InvestigatingDept, NewCase,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

use crate::auth::hash_password;
use crate::error::ApiError;
use crate::state::{ctx, AppState};
use crate::storage::UserRecord;

const BUNDLED_ORG: &str = include_str!("../../../data/demo/org.json");
const BUNDLED_FALLBACK: &str = include_str!("../../../data/demo/fallback_cases.json");
pub const DEMO_PASSWORD: &str = "Demo@2026";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrgFile {
    units: Vec<OrgUnit>,
    users: Vec<OrgUser>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrgUnit {
    code: String,
    name: String,
    level: u8,
    parent: Option<String>,
    kind: UnitKind,
    police_line: Option<PoliceLine>,
    #[serde(default)]
    districts: Vec<String>,
    #[serde(default)]
    streets: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrgUser {
    username: String,
    display_name: String,
    role: String,
    unit: String,
    phone: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FallbackCase {
    title: String,
    content: String,
    channel: Channel,
    request_type: RequestType,
    category: String,
    district: String,
    address: String,
}

/// A request text to seed from.
struct Text {
    title: String,
    content: String,
    district: Option<String>,
    address: Option<String>,
    category: Option<String>,
    request_type: Option<RequestType>,
    channel: Option<Channel>,
}

fn load_org(path: Option<&Path>) -> Result<OrgFile, ApiError> {
    let raw = match path {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| ApiError::BadRequest(format!("读取 {}: {e}", p.display())))?,
        None => BUNDLED_ORG.to_owned(),
    };
    serde_json::from_str(&raw)
        .map_err(|e| ApiError::BadRequest(format!("组织机构文件格式错误：{e}")))
}

/// The actor used for imports from the command line: the platform itself.
pub fn system_actor(s: &AppState) -> Result<Actor, ApiError> {
    let org = s.org();
    let unit = org
        .units()
        .find(|u| u.kind == UnitKind::PlatformOffice)
        .or_else(|| org.units().find(|u| u.parent.is_none()))
        .ok_or(ApiError::NotFound("组织机构（请先 seed-demo 或导入单位）"))?;
    Ok(Actor::system(unit.id))
}

fn seed_org(s: &AppState, file: &OrgFile, now: DateTime<Utc>) -> Result<usize, ApiError> {
    if !s.store.units()?.is_empty() {
        return Ok(0);
    }
    let ids: HashMap<&str, UnitId> = file
        .units
        .iter()
        .map(|u| (u.code.as_str(), UnitId::mint(now)))
        .collect();
    let mut units = Vec::with_capacity(file.units.len());
    for u in &file.units {
        let parent = match &u.parent {
            Some(p) => Some(
                *ids.get(p.as_str())
                    .ok_or_else(|| ApiError::BadRequest(format!("上级单位代码不存在：{p}")))?,
            ),
            None => None,
        };
        units.push(Unit {
            id: ids[u.code.as_str()],
            code: u.code.clone(),
            name: u.name.clone(),
            level: UnitLevel::try_from(u.level).map_err(ApiError::BadRequest)?,
            parent,
            kind: u.kind,
            police_line: u.police_line,
            jurisdiction: Jurisdiction {
                districts: u.districts.clone(),
                streets: u.streets.clone(),
            },
        });
    }
    OrgTree::new(units.clone())?;
    s.store.insert_units(&units)?;
    s.reload_org()?;
    Ok(units.len())
}

fn seed_users(s: &AppState, file: &OrgFile, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let org = s.org();
    // One argon2id hash shared by the demo accounts keeps seeding fast; real accounts
    // created through the API or CLI each get their own salt.
    let hash = hash_password(DEMO_PASSWORD)?;
    let mut n = 0;
    for u in &file.users {
        if s.store.user_by_username(&u.username)?.is_some() {
            continue;
        }
        let unit = org.find_by_code(&u.unit).ok_or_else(|| {
            ApiError::BadRequest(format!("用户 {} 的单位不存在：{}", u.username, u.unit))
        })?;
        let role = Role::from_code(&u.role)
            .ok_or_else(|| ApiError::BadRequest(format!("未知角色：{}", u.role)))?;
        s.store.insert_user(&UserRecord {
            id: UserId::mint(now),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role,
            unit_id: unit.id,
            phone: u.phone.clone(),
            password_hash: hash.clone(),
            active: true,
            created_at: now,
        })?;
        n += 1;
    }
    Ok(n)
}

fn corpus_texts(path: &Path, limit: usize) -> Option<Vec<Text>> {
    let mut rdr = csv::Reader::from_path(path).ok()?;
    let headers = rdr.headers().ok()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (ti, di) = (col("title")?, col("detail")?);
    let mut police = Vec::new();
    let mut other = Vec::new();
    for rec in rdr.records().flatten() {
        let title = rec.get(ti).unwrap_or("").trim().to_owned();
        let content = rec.get(di).unwrap_or("").trim().to_owned();
        if title.is_empty() || content.is_empty() {
            continue;
        }
        let content: String = content.chars().take(3000).collect();
        let t = Text {
            title,
            content,
            district: None,
            address: None,
            category: None,
            request_type: None,
            channel: None,
        };
        if guess_category(&format!("{}{}", t.title, t.content)).0 == "其他公安事务" {
            other.push(t);
        } else {
            police.push(t);
        }
    }
    police.extend(other);
    police.truncate(limit);
    (!police.is_empty()).then_some(police)
}

fn fallback_texts() -> Result<Vec<Text>, ApiError> {
    let rows: Vec<FallbackCase> = serde_json::from_str(BUNDLED_FALLBACK)?;
    Ok(rows
        .into_iter()
        .map(|r| Text {
            title: r.title,
            content: r.content,
            district: Some(r.district),
            address: Some(r.address),
            category: Some(r.category),
            request_type: Some(r.request_type),
            channel: Some(r.channel),
        })
        .collect())
}

/// Keyword routing for demo data only (the NLP crate does the real suggestion).
fn guess_category(text: &str) -> (&'static str, UnitKind) {
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&["诈骗", "传销", "集资", "P2P", "p2p", "理财平台", "骗取"]) {
        ("诈骗与经济犯罪", UnitKind::EconomicCrime)
    } else if has(&["驾照", "驾驶证", "车管", "年检", "车牌", "行驶证"]) {
        ("车驾管", UnitKind::VehicleAdmin)
    } else if has(&["护照", "出入境", "通行证", "签注"]) {
        ("出入境", UnitKind::ExitEntry)
    } else if has(&[
        "交警",
        "红绿灯",
        "违停",
        "信号灯",
        "交通事故",
        "违章停车",
        "拥堵",
        "电动车",
    ]) {
        ("交通管理", UnitKind::TrafficBrigade)
    } else if has(&["噪音", "扰民", "广场舞"]) {
        ("噪音扰民", UnitKind::PoliceStation)
    } else if has(&["户口", "户籍", "身份证", "落户", "居住证"]) {
        ("户政管理", UnitKind::PoliceStation)
    } else if has(&["民警态度", "警察态度", "不作为", "乱执法", "民警"]) {
        ("民警作风与执法", UnitKind::PoliceStation)
    } else if has(&["个人信息", "网络", "黑客", "网上"]) && has(&["泄露", "攻击", "诈骗", "谣言"])
    {
        ("网络安全", UnitKind::CyberSecurity)
    } else if has(&[
        "盗窃",
        "偷",
        "抢劫",
        "打架",
        "殴打",
        "赌",
        "吸毒",
        "卖淫",
        "治安",
        "派出所",
        "报警",
        "110",
    ]) {
        ("治安管理", UnitKind::PoliceStation)
    } else {
        ("其他公安事务", UnitKind::PoliceStation)
    }
}

fn guess_request_type(text: &str) -> RequestType {
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&["举报"]) {
        RequestType::Report
    } else if has(&["投诉", "扰民", "不作为"]) {
        RequestType::Complaint
    } else if has(&["建议", "希望"]) {
        RequestType::Suggestion
    } else if has(&["求助", "帮助", "救"]) {
        RequestType::HelpRequest
    } else if has(&["感谢", "表扬"]) {
        RequestType::Praise
    } else {
        RequestType::Consultation
    }
}

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
        let Ok(next) = workflow::apply(&self.case, a, &action, &ctx(at, self.org, self.s)) else {
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
pub fn seed_demo(
    s: &AppState,
    org_path: Option<&Path>,
    corpus: Option<&Path>,
    n: usize,
) -> Result<String, ApiError> {
    let now = s.now();
    let file = load_org(org_path)?;
    let units = seed_org(s, &file, now)?;
    let users = seed_users(s, &file, now)?;
    let existing = s.store.count_cases(&crate::storage::CaseQuery {
        now,
        limit: 1,
        ..Default::default()
    })?;
    if existing > 0 {
        return Ok(format!(
            "units+{units} users+{users}; {existing} cases already present, none added"
        ));
    }
    let default_corpus = Path::new("../shared/data/corpus_messages.csv");
    let corpus = corpus.map(Path::to_path_buf).or_else(|| {
        default_corpus
            .exists()
            .then(|| default_corpus.to_path_buf())
    });
    let (texts, source) = match corpus.as_deref().and_then(|p| corpus_texts(p, n)) {
        Some(t) => (
            t,
            corpus.map(|p| p.display().to_string()).unwrap_or_default(),
        ),
        None => (
            fallback_texts()?,
            "data/demo/fallback_cases.json".to_owned(),
        ),
    };
    let cases = simulate(s, &texts, n, now)?;
    let count = cases.len();
    for chunk in cases.chunks(500) {
        s.store.insert_cases(&s.org(), chunk.to_vec())?;
    }
    Ok(format!("units+{units} users+{users} cases+{count} (texts from {source}); demo password {DEMO_PASSWORD}"))
}

fn simulate(
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
    let channels = Channel::ALL;
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
        let new = NewCase {
            id: None,
            channel: t
                .channel
                .unwrap_or(channels[rng.random_range(0..channels.len())]),
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
        };
        let case = workflow::intake(&new, &cast.clerk, received)?;
        let first = crate::http::intake_entry(&case, &cast.clerk, received, None);
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
