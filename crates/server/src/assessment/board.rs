//! Score boards (红黑榜): counts per unit or officer for a period, from the facts
//! tables (SQL) or recomputed from the timelines, scored, ranked, with movement since
//! the previous period, filtered to what the caller may see.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::org::OrgTree;
use minsheng_domain::role::{Actor, Role};
use serde::{Deserialize, Serialize};

use super::period::{Period, PeriodKind, PeriodView};
use super::replay::replay;
use super::score::{outcome, rank, rates, red_black, Ranked, Rates, Weights, LIST_SIZE};
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::assessment::{CaseFacts, Counts, StintGroup, Via};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Level {
    /// 科所队 (handling units).
    Station,
    /// 分局/县局/支队: the sum of their stations.
    Branch,
    Officer,
}

impl Level {
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        match s {
            "station" | "unit" => Ok(Self::Station),
            "branch" => Ok(Self::Branch),
            "officer" => Ok(Self::Officer),
            _ => Err(ApiError::BadRequest(format!(
                "参数 level 的值“{s}”无效（station、branch 或 officer）"
            ))),
        }
    }
}

/// Where the counts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Source {
    /// The facts tables maintained by the worker (what dashboards use).
    Facts,
    /// Every timeline replayed now (slow; proves the facts path).
    Timeline,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScoreRow {
    /// City-wide rank among the ranked rows of the level (see `unranked`).
    pub rank: Option<u32>,
    pub previous_rank: Option<u32>,
    /// previousRank − rank: positive moved up; None when new on the board.
    pub movement: Option<i64>,
    #[schema(value_type = String)]
    pub unit_id: UnitId,
    pub unit_name: String,
    #[schema(value_type = Option<String>)]
    pub officer_id: Option<UserId>,
    pub officer_name: Option<String>,
    pub counts: Counts,
    pub rates: Rates,
    pub score: Option<f64>,
    /// Why the row has no rank (样本不足，不参与排名 …); None when ranked.
    #[serde(default)]
    pub unranked: Option<String>,
    /// The cases behind this row: `GET` this path (add `&metric=...`).
    pub explain: String,
}

/// A row as the 红黑榜 publishes it: rank, movement, name and score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoardEntry {
    pub rank: Option<u32>,
    pub previous_rank: Option<u32>,
    pub movement: Option<i64>,
    #[schema(value_type = String)]
    pub unit_id: UnitId,
    pub unit_name: String,
    #[schema(value_type = Option<String>)]
    pub officer_id: Option<UserId>,
    pub officer_name: Option<String>,
    pub score: Option<f64>,
}

impl From<&ScoreRow> for BoardEntry {
    fn from(r: &ScoreRow) -> Self {
        Self {
            rank: r.rank,
            previous_rank: r.previous_rank,
            movement: r.movement,
            unit_id: r.unit_id,
            unit_name: r.unit_name.clone(),
            officer_id: r.officer_id,
            officer_name: r.officer_name.clone(),
            score: r.score,
        }
    }
}

/// The 红黑榜 of a board (`minsheng_domain::assessment::red_black`). Station and branch
/// lists are city-wide (published to every role); officer lists cover the rows the
/// caller may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedBlack {
    pub period: PeriodView,
    /// The period contains today (Beijing): screens say 本周/本月/本年.
    pub current: bool,
    pub level: Level,
    /// Decided replies a row needs in the period to be ranked.
    pub min_volume: u64,
    /// Best first.
    pub red: Vec<BoardEntry>,
    /// Worst first.
    pub black: Vec<BoardEntry>,
}

/// The caller's figures for the period: the sum of the board rows they may see.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub counts: Counts,
    pub rates: Rates,
}

impl Totals {
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a ScoreRow>) -> Self {
        let mut counts = Counts::default();
        for r in rows {
            counts.add(&r.counts);
        }
        Self {
            rates: rates(&counts),
            counts,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScoreBoard {
    pub period: PeriodView,
    pub previous: PeriodView,
    pub level: Level,
    pub source: Source,
    pub as_of: DateTime<Utc>,
    pub weights: Weights,
    /// Rows the caller may see: ranked best first, then the unranked.
    pub rows: Vec<ScoreRow>,
    /// Sum of `rows`.
    pub totals: Totals,
    pub lists: RedBlack,
}

/// Facts of every case, replayed from the timelines now.
pub fn recompute_all(s: &AppState) -> Result<Vec<CaseFacts>, ApiError> {
    let org = s.org();
    let cfg = s.config();
    let mut out = Vec::new();
    s.store.for_each_case_timeline(&mut |c, t| {
        out.push(replay(&c, &t, &org, &cfg));
        Ok(())
    })?;
    Ok(out)
}

/// Counts per key (unit id or officer id) for one period.
fn counts(
    s: &AppState,
    p: Period,
    group: StintGroup,
    now: DateTime<Utc>,
    replayed: Option<&[CaseFacts]>,
) -> Result<HashMap<String, Counts>, ApiError> {
    let (from, to) = (p.from(), p.to());
    let mut map: HashMap<String, Counts> = HashMap::new();
    match replayed {
        None => map.extend(s.store.period_counts(from, to, now, group, Via::Rollups)?),
        Some(all) => {
            let handling: HashMap<_, _> = all
                .iter()
                .map(|f| (f.case.case_id, f.case.handling_unit))
                .collect();
            for f in all {
                for st in f
                    .stints
                    .iter()
                    .filter(|x| x.dispatched_at >= from && x.dispatched_at < to)
                {
                    let key = match group {
                        StintGroup::Unit => Some(st.unit_id.to_string()),
                        StintGroup::Officer => st.officer_id.map(|o| o.to_string()),
                    };
                    if let Some(k) = key {
                        map.entry(k).or_default().add(&outcome(st, now));
                    }
                }
                let merged_in = f.case.merged_at.is_some_and(|m| m >= from && m < to);
                if group == StintGroup::Unit && merged_in {
                    let master = f
                        .case
                        .duplicate_of
                        .and_then(|d| handling.get(&d).copied().flatten());
                    if let Some(u) = master {
                        map.entry(u.to_string()).or_default().duplicates += 1;
                    }
                }
            }
        }
    }
    // 责任倒查: decided records deduct (from the records, whatever the source).
    crate::accountability::add_to_counts(s, from, to, group, &mut map)?;
    Ok(map)
}

fn roll_up_to_branches(org: &OrgTree, m: HashMap<String, Counts>) -> HashMap<String, Counts> {
    let mut out: HashMap<String, Counts> = HashMap::new();
    for (k, c) in m {
        let branch = k
            .parse::<UnitId>()
            .ok()
            .and_then(|u| org.default_supervisor(u));
        if let Some(b) = branch {
            out.entry(b.to_string()).or_default().add(&c);
        }
    }
    out
}

pub fn weights(s: &AppState) -> Result<Weights, ApiError> {
    Ok(match s.store.assessment_setting("weights")? {
        Some(v) => serde_json::from_str(&v)?,
        None => Weights::default(),
    })
}

/// Whether the caller may see figures of `unit` (and of `officer`, for officer rows).
pub fn may_see(actor: &Actor, org: &OrgTree, unit: UnitId, officer: Option<UserId>) -> bool {
    match actor.role {
        r if r.sees_everything() => true,
        Role::Supervisor => org.supervises(actor.unit_id, unit),
        Role::UnitHead => unit == actor.unit_id,
        Role::Officer => unit == actor.unit_id && officer.is_none_or(|o| o == actor.user_id),
        _ => false,
    }
}

/// Assessment is for handling and supervising staff and the city; not for 回访员.
pub fn check_reader(actor: &Actor) -> Result<(), ApiError> {
    if actor
        .role
        .can(minsheng_domain::capability::Capability::Assessment)
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

pub struct BoardRequest {
    pub period: Period,
    pub level: Level,
    pub source: Source,
}

pub fn board(
    s: &AppState,
    actor: Option<&Actor>,
    req: &BoardRequest,
    now: DateTime<Utc>,
) -> Result<ScoreBoard, ApiError> {
    let org = s.org();
    let w = weights(s)?;
    let replayed = match req.source {
        Source::Facts => None,
        Source::Timeline => Some(recompute_all(s)?),
    };
    let group = if req.level == Level::Officer {
        StintGroup::Officer
    } else {
        StintGroup::Unit
    };
    let prev = req.period.previous();
    // The two periods are independent scans: run them on two connections at once.
    let (cur, before) = std::thread::scope(|sc| {
        let earlier = sc.spawn(|| counts(s, prev, group, now, replayed.as_deref()));
        let cur = counts(s, req.period, group, now, replayed.as_deref());
        let before = earlier.join().unwrap_or_else(|_| {
            Err(ApiError::Internal(
                "assessment worker thread panicked".into(),
            ))
        });
        (cur, before)
    });
    let (mut cur, mut before) = (cur?, before?);
    if req.level == Level::Branch {
        cur = roll_up_to_branches(&org, cur);
        before = roll_up_to_branches(&org, before);
    }
    let prev_ranks: HashMap<String, u32> = rank(before, &w)
        .into_iter()
        .filter_map(|r| r.rank.map(|k| (r.key, k)))
        .collect();
    let users: HashMap<UserId, (String, UnitId)> = if req.level == Level::Officer {
        s.store
            .list_users(None)?
            .into_iter()
            .map(|u| (u.id, (u.display_name, u.unit_id)))
            .collect()
    } else {
        HashMap::new()
    };
    let date = req.period.start.format("%Y-%m-%d");
    let kind = req.period.kind.code();
    // Every row of the level, with whether the caller may see it.
    let mut all: Vec<(Ranked<String>, ScoreRow, bool)> = Vec::new();
    for r in rank(cur, &w) {
        let (unit_id, officer) = if req.level == Level::Officer {
            let Ok(o) = r.key.parse::<UserId>() else {
                continue;
            };
            let Some((name, unit)) = users.get(&o) else {
                continue;
            };
            (*unit, Some((o, name.clone())))
        } else {
            let Ok(u) = r.key.parse::<UnitId>() else {
                continue;
            };
            (u, None)
        };
        let visible =
            actor.is_none_or(|a| may_see(a, &org, unit_id, officer.as_ref().map(|o| o.0)));
        let previous_rank = prev_ranks.get(&r.key).copied();
        let who = officer
            .as_ref()
            .map_or_else(|| format!("unit={unit_id}"), |o| format!("officer={}", o.0));
        let row = ScoreRow {
            rank: r.rank,
            previous_rank,
            movement: match (previous_rank, r.rank) {
                (Some(p), Some(c)) => Some(i64::from(p) - i64::from(c)),
                _ => None,
            },
            unit_id,
            unit_name: org.get(unit_id).map(|u| u.name.clone()).unwrap_or_default(),
            officer_id: officer.as_ref().map(|o| o.0),
            officer_name: officer.map(|o| o.1),
            rates: rates(&r.counts),
            counts: r.counts,
            score: r.score,
            unranked: r.unranked.map(str::to_owned),
            explain: format!("/api/v1/assessment/explain?period={kind}&date={date}&{who}"),
        };
        all.push((r, row, visible));
    }
    // Unit lists are published city-wide; officer lists stay within the caller's scope.
    let published: Vec<&(Ranked<String>, ScoreRow, bool)> = all
        .iter()
        .filter(|x| req.level != Level::Officer || x.2)
        .collect();
    let ranked: Vec<Ranked<String>> = published.iter().map(|x| x.0.clone()).collect();
    let (red, black) = red_black(&ranked, LIST_SIZE);
    let entries = |ix: Vec<usize>| -> Vec<BoardEntry> {
        ix.into_iter()
            .map(|i| BoardEntry::from(&published[i].1))
            .collect()
    };
    let lists = RedBlack {
        period: req.period.view(),
        current: is_current(req.period, now),
        level: req.level,
        min_volume: w.min_volume,
        red: entries(red),
        black: entries(black),
    };
    let rows: Vec<ScoreRow> = all.into_iter().filter(|x| x.2).map(|x| x.1).collect();
    Ok(ScoreBoard {
        period: req.period.view(),
        previous: prev.view(),
        level: req.level,
        source: req.source,
        as_of: now,
        weights: w,
        totals: Totals::of(&rows),
        rows,
        lists,
    })
}

/// Whether `p` is the period of its kind containing `now` (Beijing).
pub fn is_current(p: Period, now: DateTime<Utc>) -> bool {
    Period::containing(p.kind, super::period::bj_date(now)) == p
}

/// The period of `kind` containing `date` (default: today in Beijing).
pub fn period_of(
    kind: Option<&str>,
    date: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Period, ApiError> {
    let kind = kind.map_or(Ok(PeriodKind::Month), PeriodKind::parse)?;
    let d = match date {
        Some(d) if !d.is_empty() => super::period::parse_date(d)?,
        _ => super::period::bj_date(now),
    };
    Ok(Period::containing(kind, d))
}
