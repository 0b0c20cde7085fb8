//! Demo data: a Jinan-like org tree and users from `data/demo/org.json`, and demo cases
//! whose texts come from the shared citizen-message corpus when it is present (else the
//! small fixture `data/demo/fallback_cases.json`). Every demo case is driven through the
//! real state machine with simulated times, so timelines and deadlines are genuine.
mod knowledge;
mod simulation;
mod texts;

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::org::{Jurisdiction, OrgTree, PoliceLine, Unit, UnitKind, UnitLevel};
use minsheng_domain::role::Role;
use serde::Deserialize;

use crate::auth::hash_password;
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::UserRecord;

const BUNDLED_ORG: &str = include_str!("../../../../data/demo/org.json");
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

fn load_org(path: Option<&Path>) -> Result<OrgFile, ApiError> {
    let raw = match path {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| ApiError::BadRequest(format!("读取 {}: {e}", p.display())))?,
        None => BUNDLED_ORG.to_owned(),
    };
    serde_json::from_str(&raw)
        .map_err(|e| ApiError::BadRequest(format!("组织机构文件格式错误：{e}")))
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
            active: true,
        });
    }
    OrgTree::new(units.clone())?;
    s.store.insert_units(&units)?;
    s.reload_org()?;
    Ok(units.len())
}

/// A real city's org tree from a file in the demo's format (`data/demo/org.json`): the
/// units only (the file's users, if any, are not created: accounts get their own
/// passwords through `create-user` or the admin console). Refused once the database has
/// units: from then on the admin console edits the tree. Returns the units loaded.
pub fn load_org_tree(s: &AppState, path: &Path) -> Result<usize, ApiError> {
    if !s.store.units()?.is_empty() {
        return Err(ApiError::Invalid {
            code: "ORG_EXISTS",
            message: "数据库中已有组织机构，请在管理端修改".into(),
        });
    }
    let file = load_org(Some(path))?;
    seed_org(s, &file, s.clock.now())
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
            password_changed_at: now,
            must_change_password: false,
        })?;
        n += 1;
    }
    Ok(n)
}

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
    knowledge::seed_standard_replies(s, now)?;
    let existing = s.store.count_cases(&minsheng_store::CaseQuery {
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
    let (texts, source) = match corpus.as_deref().and_then(|p| texts::corpus_texts(p, n)) {
        Some(t) => (
            t,
            corpus.map(|p| p.display().to_string()).unwrap_or_default(),
        ),
        None => (
            texts::fallback_texts()?,
            "data/demo/fallback_cases.json".to_owned(),
        ),
    };
    let cases = simulation::simulate(s, &texts, n, now)?;
    let count = cases.len();
    for chunk in cases.chunks(500) {
        s.store.insert_cases(&s.org(), chunk.to_vec())?;
    }
    Ok(format!("units+{units} users+{users} cases+{count} (texts from {source}); demo password {DEMO_PASSWORD}"))
}
