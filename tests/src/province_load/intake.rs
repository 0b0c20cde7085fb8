//! The platform office's side: clerks register citizens' messages at a steady rate
//! (open loop: a slow answer does not slow the next intake) and dispatch each to a
//! police station. And the check that every intake reached the desktops: a city-level
//! desktop that synced before the load pulls from its cursor at the end, through the
//! last instance (intakes alternate between the instances, so most were made through
//! another one), and must see each new case once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use minsheng_domain::ids::{CaseId, UnitId};
use minsheng_domain::role::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::accounts::{login, setup_json, Account, Directory};
use super::desktop::{CaseHead, LoadContext, PageHead, WarmStart};
use super::instances::{send, Instance, Outcome};
use super::metrics::Endpoint;

/// The largest pull page the server gives (`MAX_PULL_LIMIT`): the checker's pages.
const CHECK_PAGE: usize = 2000;

/// Citizens' messages as the 12345 hotline forwards them (the number keeps each new).
const MESSAGES: [(&str, &str); 4] = [
    (
        "小区门口车辆乱停乱放堵塞消防通道",
        "市民反映：小区门口每天晚上车辆乱停乱放，堵塞消防通道，物业劝说无效，希望派出所和交警到现场处理。",
    ),
    (
        "夜间烧烤店噪音扰民",
        "市民反映：楼下烧烤店每晚营业至凌晨两三点，顾客喧哗声很大，家中老人孩子无法休息，多次反映未解决。",
    ),
    (
        "电动车在楼道充电存在安全隐患",
        "市民反映：单元楼道内长期有人给电动车充电，电线私拉乱接，存在火灾隐患，希望有关部门上门检查。",
    ),
    (
        "接到疑似诈骗电话询问如何处理",
        "市民反映：接到自称客服的电话要求转账退款，已挂断，担心个人信息泄露，希望民警告知防范措施。",
    ),
];

/// The cases the clerks created (their ids, from the 201 answers).
#[derive(Default)]
pub struct IntakeLog {
    created: Mutex<Vec<CaseId>>,
}

impl IntakeLog {
    pub fn created(&self) -> Vec<CaseId> {
        self.created
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[derive(Deserialize)]
struct Created {
    id: CaseId,
}

fn body(i: u64) -> serde_json::Value {
    let (title, content) = MESSAGES[(i % MESSAGES.len() as u64) as usize];
    json!({
        "channel": "12345市长热线",
        "requestType": "投诉",
        "title": format!("{title}（压测第{i}件）"),
        "content": format!("{content}（编号 {i}）"),
        "citizenName": "王女士",
        "citizenPhone": format!("138{:08}", i % 100_000_000),
        "address": "历下区泉城路街道某小区",
        "district": "历下区"
    })
}

/// One intake and its dispatch, as a clerk does them.
async fn intake_one(
    ctx: Arc<LoadContext>,
    log: Arc<IntakeLog>,
    clerk: Arc<Account>,
    station: UnitId,
    i: u64,
) {
    let instance = &ctx.instances[i as usize % ctx.instances.len()];
    let Some(token) = clerk.token(&ctx, instance).await else {
        return;
    };
    let rb = instance
        .http
        .post(instance.url("/cases"))
        .bearer_auth(&token)
        .json(&body(i));
    let Outcome::Ok(case) =
        send::<Created>(&ctx.rec, &ctx.errors, instance, Endpoint::Intake, rb).await
    else {
        return;
    };
    log.created
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(case.id);
    let action = json!({"action": {"type": "dispatch", "handlingUnit": station,
        "category": "治安管理", "requestType": "投诉", "urgency": "普通", "flags": {}}});
    let rb = instance
        .http
        .post(instance.url(&format!("/cases/{}/actions", case.id)))
        .bearer_auth(&token)
        .json(&action);
    let _ = send::<serde::de::IgnoredAny>(&ctx.rec, &ctx.errors, instance, Endpoint::Dispatch, rb)
        .await;
}

/// Intakes at `per_second` until the load window ends, round robin over the clerks,
/// the instances and the stations; returns when every started intake is answered.
pub async fn run(ctx: Arc<LoadContext>, dir: &Directory, per_second: f64, log: Arc<IntakeLog>) {
    let clerks: Vec<Arc<Account>> = dir
        .accounts
        .iter()
        .filter(|a| a.role == Role::Clerk)
        .cloned()
        .collect();
    if per_second <= 0.0 || clerks.is_empty() {
        return;
    }
    tokio::time::sleep_until(ctx.rec.started.into()).await;
    let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut started = tokio::task::JoinSet::new();
    let mut i = 0u64;
    loop {
        every.tick().await;
        if std::time::Instant::now() >= ctx.end || ctx.rec.cap_reached() {
            break;
        }
        let clerk = clerks[i as usize % clerks.len()].clone();
        let station = dir.stations[(i as usize * 7919) % dir.stations.len()];
        started.spawn(intake_one(ctx.clone(), log.clone(), clerk, station, i));
        i += 1;
    }
    while started.join_next().await.is_some() {}
}

/// A city-level desktop outside the measured load, holding a cursor from before it.
pub struct Checker {
    username: String,
    token: String,
    cursor: String,
    pub snapshot_cases: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntakeCheck {
    pub checker: String,
    pub instance: String,
    pub intakes_created: usize,
    pub seen_once: usize,
    pub missing: usize,
    pub seen_more_than_once: usize,
    /// Every case the pull returned (intakes and the cases the pushes changed).
    pub changes_seen: usize,
    pub pages: usize,
}

impl IntakeCheck {
    pub fn passed(&self) -> bool {
        self.missing == 0 && self.seen_more_than_once == 0 && self.seen_once == self.intakes_created
    }
}

/// Pulls every page from `cursor` (None: a snapshot); returns the cases (oldest change
/// first), the end cursor and the number of pages.
async fn pull_everything(
    instance: &Instance,
    token: &str,
    cursor: Option<String>,
) -> Result<(Vec<CaseHead>, String, usize), String> {
    let since = cursor.clone();
    let mut cursor = cursor;
    let (mut ids, mut pages) = (Vec::new(), 0);
    loop {
        let mut query = vec![("limit", CHECK_PAGE.to_string())];
        query.extend(cursor.clone().map(|c| ("cursor", c)));
        query.extend(since.clone().map(|c| ("timelinesSince", c)));
        let rb = instance
            .http
            .get(instance.url("/sync/pull"))
            .query(&query)
            .bearer_auth(token);
        let page: PageHead = setup_json(rb, "checker pull").await?;
        pages += 1;
        ids.extend(page.changes);
        if !page.has_more {
            return Ok((ids, page.next_cursor, pages));
        }
        cursor = Some(page.next_cursor);
    }
}

impl Checker {
    /// Signs in (its own session) and syncs the whole city before the load starts; what
    /// it got is also where the warm desktops start.
    pub async fn prime(
        instance: &Instance,
        username: &str,
        password: &str,
        dir: &Directory,
    ) -> Result<(Self, WarmStart), String> {
        let token = login(instance, username, password).await?;
        let (cases, cursor, _) = pull_everything(instance, &token, None).await?;
        let checker = Self {
            username: username.to_owned(),
            token,
            cursor: cursor.clone(),
            snapshot_cases: cases.len(),
        };
        Ok((checker, WarmStart::new(cursor, cases, &dir.parents)))
    }

    /// After the load: one pull from the cursor; each created case must be in it once.
    pub async fn verify(
        &self,
        instance: &Instance,
        created: &[CaseId],
    ) -> Result<IntakeCheck, String> {
        let (ids, _, pages) =
            pull_everything(instance, &self.token, Some(self.cursor.clone())).await?;
        let mut count: HashMap<CaseId, usize> = HashMap::with_capacity(ids.len());
        for c in &ids {
            *count.entry(c.id).or_insert(0) += 1;
        }
        let seen = |id: &CaseId| count.get(id).copied().unwrap_or(0);
        Ok(IntakeCheck {
            checker: self.username.clone(),
            instance: instance.base.clone(),
            intakes_created: created.len(),
            seen_once: created.iter().filter(|id| seen(id) == 1).count(),
            missing: created.iter().filter(|id| seen(id) == 0).count(),
            seen_more_than_once: created.iter().filter(|id| seen(id) > 1).count(),
            changes_seen: ids.len(),
            pages,
        })
    }
}
