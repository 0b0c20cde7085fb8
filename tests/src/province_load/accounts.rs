//! Who the desktops are: the city's accounts (read once through the admin API), shared
//! by desktops as a station's machines share a login, and one login per account on
//! first use, its access token then used by every desktop of the account.

use std::sync::Arc;

use minsheng_domain::ids::UnitId;
use minsheng_domain::org::{Unit, UnitKind};
use minsheng_domain::role::Role;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::json;

use super::args::LoadArgs;
use super::desktop::LoadContext;
use super::instances::{send, Instance, Outcome};
use super::metrics::Endpoint;

/// The scope a desktop syncs, by its account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DesktopKind {
    /// Officer or unit head: the station's cases.
    Station,
    /// A 分局/支队 supervisor: the district's.
    Supervisor,
    /// Clerk, follow-up or leader: the whole city (follow-up: the follow-up phase).
    City,
}

pub struct Account {
    pub username: String,
    pub role: Role,
    pub unit: UnitId,
    pub kind: DesktopKind,
    session: tokio::sync::Mutex<Session>,
}

/// The account's login as its desktops share it.
#[derive(Default)]
struct Session {
    token: Option<String>,
    /// The last failed login: no new attempt for `LOGIN_RETRY_AFTER`.
    failed_at: Option<std::time::Instant>,
}

/// How long an account's desktops wait after a failed login before one tries again.
const LOGIN_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

impl Account {
    /// The account's access token, logging in on first use (once, however many of its
    /// desktops ask at the same time; at most `--login-concurrency` accounts at once).
    /// None: the login failed (recorded), or failed a moment ago; the desktop tries
    /// again later, as a person would.
    pub async fn token(&self, ctx: &LoadContext, instance: &Instance) -> Option<String> {
        let mut session = self.session.lock().await;
        if let Some(t) = &session.token {
            return Some(t.clone());
        }
        if session
            .failed_at
            .is_some_and(|at| at.elapsed() < LOGIN_RETRY_AFTER)
        {
            return None;
        }
        let _turn = ctx.logins.acquire().await.ok()?;
        let rb = instance
            .http
            .post(instance.url("/auth/login"))
            .json(&json!({"username": self.username, "password": ctx.password}));
        match send::<Token>(&ctx.rec, &ctx.errors, instance, Endpoint::Login, rb).await {
            Outcome::Ok(t) => {
                session.token = Some(t.access_token.clone());
                Some(t.access_token)
            }
            Outcome::Failed | Outcome::NotSent => {
                session.failed_at = Some(std::time::Instant::now());
                None
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    pub access_token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRow {
    username: String,
    role: String,
    unit_id: UnitId,
    active: bool,
}

/// The accounts and stations the plan is made of.
pub struct Directory {
    pub accounts: Vec<Arc<Account>>,
    /// Police stations (派出所): where intakes are dispatched.
    pub stations: Vec<UnitId>,
    /// Each unit's parent (a station's 分局): whose cases a supervisor oversees.
    pub parents: std::collections::HashMap<UnitId, UnitId>,
}

/// A setup request (not part of the measured load): any failure ends the run.
pub async fn setup_json<T: serde::de::DeserializeOwned>(
    rb: reqwest::RequestBuilder,
    what: &str,
) -> Result<T, String> {
    let resp = rb.send().await.map_err(|e| format!("{what}: {e}"))?;
    if let Some(peer) = resp.remote_addr() {
        if !super::args::is_loopback_peer(peer) {
            return Err(format!(
                "{what}: answered from {peer}, not loopback: refused"
            ));
        }
    }
    let status = resp.status();
    let body = resp.text().await.map_err(|e| format!("{what}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{what}: {status}: {body}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("{what}: {e}"))
}

pub async fn login(instance: &Instance, username: &str, password: &str) -> Result<String, String> {
    let rb = instance
        .http
        .post(instance.url("/auth/login"))
        .json(&json!({"username": username, "password": password}));
    let t: Token = setup_json(rb, &format!("login {username}")).await?;
    Ok(t.access_token)
}

/// Reads every active account and unit through the admin API.
pub async fn read_directory(instance: &Instance, password: &str) -> Result<Directory, String> {
    let admin = login(instance, "admin", password).await?;
    let users: Vec<UserRow> = setup_json(
        instance
            .http
            .get(instance.url("/users"))
            .bearer_auth(&admin),
        "GET /users",
    )
    .await?;
    let units: Vec<Unit> = setup_json(
        instance
            .http
            .get(instance.url("/units"))
            .bearer_auth(&admin),
        "GET /units",
    )
    .await?;
    let mut accounts = Vec::new();
    for u in users.into_iter().filter(|u| u.active) {
        let Some(role) = Role::from_code(&u.role) else {
            continue;
        };
        let kind = match role {
            Role::Officer | Role::UnitHead => DesktopKind::Station,
            Role::Supervisor => DesktopKind::Supervisor,
            Role::Clerk | Role::FollowUp | Role::Leader => DesktopKind::City,
            _ => continue,
        };
        accounts.push(Arc::new(Account {
            username: u.username,
            role,
            unit: u.unit_id,
            kind,
            session: tokio::sync::Mutex::default(),
        }));
    }
    accounts.sort_by(|a, b| a.username.cmp(&b.username));
    let stations = units
        .iter()
        .filter(|u| u.active && u.can_handle() && u.kind == UnitKind::PoliceStation)
        .map(|u| u.id)
        .collect::<Vec<_>>();
    if stations.is_empty() {
        return Err("no police station in the org tree".into());
    }
    let parents = units
        .iter()
        .filter_map(|u| Some((u.id, u.parent?)))
        .collect();
    Ok(Directory {
        accounts,
        stations,
        parents,
    })
}

/// One simulated desktop installation, decided before the run.
pub struct DesktopPlan {
    pub index: usize,
    pub account: Arc<Account>,
    pub instance: usize,
    /// When it starts (its snapshot), after the load began; its pulls keep this phase.
    pub start_after: std::time::Duration,
    /// When its burst of queued commands is pushed (None: it never pushes).
    pub push_after: Option<std::time::Duration>,
    pub burst: usize,
    /// Starts with a full pull; else from the cursor held before the load (warm).
    pub snapshot: bool,
}

/// Assigns the desktops to accounts (round robin within each kind), instances (round
/// robin: a load balancer) and start times (evenly over the ramp, in random order).
pub fn plan(
    args: &LoadArgs,
    dir: &Directory,
    instances: usize,
) -> Result<Vec<DesktopPlan>, String> {
    let of = |k: DesktopKind| -> Vec<Arc<Account>> {
        dir.accounts
            .iter()
            .filter(|a| a.kind == k)
            .cloned()
            .collect()
    };
    let mut rng = StdRng::seed_from_u64(args.seed);
    let (mut station, supervisor, city) = (
        of(DesktopKind::Station),
        of(DesktopKind::Supervisor),
        of(DesktopKind::City),
    );
    // Mix the units so that the first desktops to start are not all one district's.
    station.shuffle(&mut rng);
    let stations = args.desktops - args.city_desktops - args.supervisor_desktops;
    for (n, pool, what) in [
        (stations, &station, "officer or unit head"),
        (args.supervisor_desktops, &supervisor, "supervisor"),
        (args.city_desktops, &city, "clerk, follow-up or leader"),
    ] {
        if n > 0 && pool.is_empty() {
            return Err(format!("no {what} account for the desktops"));
        }
    }
    let mut who: Vec<Arc<Account>> = Vec::with_capacity(args.desktops);
    who.extend((0..stations).map(|i| station[i % station.len()].clone()));
    who.extend((0..args.supervisor_desktops).map(|i| supervisor[i % supervisor.len()].clone()));
    who.extend((0..args.city_desktops).map(|i| city[i % city.len()].clone()));
    let mut slots: Vec<usize> = (0..args.desktops).collect();
    slots.shuffle(&mut rng);
    let ramp = args.ramp.min(args.duration);
    let n = args.desktops.max(1) as f64;
    Ok(who
        .into_iter()
        .zip(slots)
        .enumerate()
        .map(|(index, (account, slot))| {
            let start_after = ramp.mul_f64(slot as f64 / n);
            let snapshot = rng.random_bool(args.snapshot_share);
            let pushes = rng.random_bool(args.push_share);
            let push_after = pushes.then(|| {
                let from = start_after.as_secs_f64();
                let to = args.duration.as_secs_f64().max(from + 0.001);
                std::time::Duration::from_secs_f64(rng.random_range(from..to))
            });
            DesktopPlan {
                index,
                account,
                instance: index % instances,
                start_after,
                push_after,
                burst: rng.random_range(args.burst_min..=args.burst_max),
                snapshot,
            }
        })
        .collect())
}
