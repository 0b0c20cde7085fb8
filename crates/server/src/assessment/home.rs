//! Figures of the home screens, each computed once here and shown as given:
//! * the command dashboard (全局掌控) for a period: the 民生清单 now, the period's
//!   assessment totals in the caller's scope and its 红黑榜 — the same functions
//!   `GET /worklists` and `GET /assessment/scores` answer with;
//! * the 红黑榜 bulletin (每周、每月在平台主页公布通报): the lists of the last complete week
//!   and month — the periods the scheduled reports cover — published to every role on
//!   the 工作台 (a period in progress ranks few units: most replies are not yet due);
//! * the 回访 queue of the follow-up agents.

use chrono::{DateTime, Utc};
use minsheng_domain::capability::Capability;
use minsheng_domain::role::Actor;
use minsheng_domain::scope::list_scope;
use serde::{Deserialize, Serialize};

use super::alerts::visible_alerts;
use super::board::{
    board, check_reader, is_current, BoardRequest, Level, RedBlack, Source, Totals,
};
use super::period::{bj_date, Period, PeriodKind, PeriodView};
use super::reports::{brief, ReportBrief};
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::assessment::AlertRecord;
use minsheng_store::notify::FollowUpStatus;
use minsheng_store::WorkListCounts;

/// 民生清单 counts in the caller's scope now (`GET /worklists`, the dashboard).
pub fn worklist_counts(
    s: &AppState,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<WorkListCounts, ApiError> {
    Ok(s.store.worklist_counts(&list_scope(actor), now)?)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub period: PeriodView,
    /// The period contains today.
    pub current: bool,
    /// 民生清单 now (not of the period): open cases in scope, as `GET /worklists`.
    pub worklists: WorkListCounts,
    /// The period's assessment figures in the caller's scope: the sum of the station
    /// rows `GET /assessment/scores` shows them (逾期 there = `counts.overdue` here).
    /// None for roles without assessment.
    pub totals: Option<Totals>,
    /// The period's station 红黑榜, as `GET /assessment/scores` gives it.
    pub lists: RedBlack,
    pub latest_reports: Vec<ReportBrief>,
    pub alerts: Vec<AlertRecord>,
    /// Set while a year's holiday calendar that deadlines need is missing: deadlines
    /// into that year are provisional (shown to everyone; admins enter the calendar).
    pub calendar_warning: Option<crate::config::CalendarWarning>,
}

pub fn dashboard(
    s: &AppState,
    actor: &Actor,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Dashboard, ApiError> {
    let worklists = worklist_counts(s, actor, now)?;
    let req = BoardRequest {
        period,
        level: Level::Station,
        source: Source::Facts,
    };
    let b = board(s, Some(actor), &req, now)?;
    let reader = check_reader(actor).is_ok();
    let mut latest = Vec::new();
    if reader {
        for kind in [PeriodKind::Week, PeriodKind::Month] {
            latest.extend(s.store.reports(Some(kind.code()), 1)?.iter().map(brief));
        }
    }
    Ok(Dashboard {
        period: b.period,
        current: is_current(period, now),
        worklists,
        totals: reader.then_some(b.totals),
        lists: b.lists,
        latest_reports: latest,
        alerts: visible_alerts(s, actor, 20)?,
        calendar_warning: crate::config::calendar_warning(&s.config(), now),
    })
}

/// The published 红黑榜 of the last complete week and month (科所队, city-wide).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bulletin {
    pub week: RedBlack,
    pub month: RedBlack,
}

/// Every signed-in role may read it: the lists are published on the home page.
pub fn bulletin(s: &AppState, now: DateTime<Utc>) -> Result<Bulletin, ApiError> {
    let lists = |kind| -> Result<RedBlack, ApiError> {
        let req = BoardRequest {
            period: Period::containing(kind, bj_date(now)).previous(),
            level: Level::Station,
            source: Source::Facts,
        };
        Ok(board(s, None, &req, now)?.lists)
    };
    Ok(Bulletin {
        week: lists(PeriodKind::Week)?,
        month: lists(PeriodKind::Month)?,
    })
}

/// Open rounds counted at most (far above a day's follow-ups).
const QUEUE_SCAN: usize = 100_000;

/// The 回访 queue: open rounds (待回访) = phone tasks + rounds awaiting the SMS answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpQueue {
    /// 待回访: `phoneTasks + awaiting`.
    pub open: u64,
    /// 待电话回访: no SMS answer in time (or no mobile): a 回访员 phones.
    pub phone_tasks: u64,
    /// 等待短信回复.
    pub awaiting: u64,
    /// Open rounds past their due time.
    pub overdue: u64,
}

pub fn follow_up_queue(
    s: &AppState,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<FollowUpQueue, ApiError> {
    if !actor.role.can(Capability::ReadFollowUps) {
        return Err(ApiError::Forbidden);
    }
    let mut q = FollowUpQueue::default();
    let mut count = |status| -> Result<u64, ApiError> {
        let rows = s.store.followups(None, Some(status), QUEUE_SCAN)?;
        q.overdue += rows.iter().filter(|r| r.due_at < now).count() as u64;
        Ok(rows.len() as u64)
    };
    let phone_tasks = count(FollowUpStatus::PhoneTask)?;
    let awaiting = count(FollowUpStatus::Awaiting)?;
    q.phone_tasks = phone_tasks;
    q.awaiting = awaiting;
    q.open = phone_tasks + awaiting;
    Ok(q)
}
