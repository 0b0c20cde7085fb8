//! The city's configuration as data (SPEC §10): the holiday calendar per year and the
//! SLA rules, read by every role, changed by admins only, each change audited with
//! before/after and carried to the clients by their next pull (`sync::pull`).
//!
//! A new edition of the SLA rules applies to cases dispatched after it; a case already
//! dispatched keeps the deadlines it was given. A year's calendar applies at once.

pub mod schema;

use chrono::{DateTime, Utc};
use minsheng_domain::calendar::{HolidayYear, OfficeHours};
use minsheng_domain::config::{
    change_categories, CategoryChange, CategoryEntry, Config, ConfigSnapshot,
};
use minsheng_domain::role::Actor;
use minsheng_domain::sla::{SlaRules, SlaVersion};
use serde::Serialize;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::AuditRecord;

/// A year whose calendar is missing and is needed now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalendarWarning {
    pub year: i32,
    pub message: String,
}

/// The configuration as the admin screens show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigView {
    pub version: i64,
    /// The years whose official schedule is loaded, oldest first.
    pub holiday_years: Vec<HolidayYear>,
    /// Every edition of the SLA rules, oldest first; the last one is in force.
    #[schema(value_type = Vec<schema::SlaVersionDoc>)]
    pub sla: Vec<SlaVersion>,
    /// The city's 诉求类别 in order, retired ones included.
    pub categories: Vec<CategoryEntry>,
    /// Set while a year's calendar is missing that deadlines need (this year; next
    /// year from 1 November).
    pub calendar_warning: Option<CalendarWarning>,
}

/// The warning a missing calendar year gives, if any, for `now`.
pub fn calendar_warning(cfg: &Config, now: DateTime<Utc>) -> Option<CalendarWarning> {
    cfg.calendar_missing_soon(now).map(|year| CalendarWarning {
        year,
        message: format!(
            "{year}年节假日日历尚未配置：跨入该年的办理期限暂按周一至周五计算并标注“待定”，请管理员录入国务院公布的{year}年节假日安排"
        ),
    })
}

pub fn view(s: &AppState) -> Result<ConfigView, ApiError> {
    let snap = s.store.config_snapshot()?;
    let ConfigSnapshot {
        version,
        holiday_years,
        sla,
        categories,
    } = snap;
    Ok(ConfigView {
        version,
        holiday_years,
        sla,
        categories,
        calendar_warning: calendar_warning(&s.config(), s.now()),
    })
}

/// Adds or replaces the schedule of `year` (the path's year must be the body's).
pub fn put_holiday_year(
    s: &AppState,
    admin: &Actor,
    year: i32,
    body: HolidayYear,
) -> Result<ConfigView, ApiError> {
    if body.year != year {
        return Err(ApiError::Invalid {
            code: "CALENDAR_YEAR_MISMATCH",
            message: format!("路径中的年份 {year} 与日历内容的年份 {} 不一致", body.year),
        });
    }
    let mut body = body;
    body.source = body.source.trim().chars().take(200).collect();
    body.validate()?;
    let current = s.store.config_snapshot()?;
    let before = current
        .holiday_years
        .iter()
        .find(|y| y.year == year)
        .cloned();
    // The whole calendar must still compile with the new year in it.
    let mut years: Vec<HolidayYear> = current
        .holiday_years
        .into_iter()
        .filter(|y| y.year != year)
        .collect();
    years.push(body.clone());
    minsheng_domain::calendar::Calendar::new(years, OfficeHours::default())?;
    let rec = AuditRecord::change(
        s.now(),
        admin.user_id,
        "putHolidayYear",
        &year.to_string(),
        &json!({ "before": before, "after": body }),
    );
    s.store.put_holiday_year(&body, &rec)?;
    s.reload_config()?;
    view(s)
}

/// A new edition of the SLA rules, in force from now for cases dispatched from now.
pub fn put_sla(s: &AppState, admin: &Actor, rules: SlaRules) -> Result<SlaVersion, ApiError> {
    rules.validate()?;
    let cfg = s.config();
    let before = &cfg.sla.current().rules;
    if *before == rules {
        return Ok(cfg.sla.current().clone());
    }
    let now = s.now();
    let rec = AuditRecord::change(
        now,
        admin.user_id,
        "putSlaRules",
        "sla",
        &json!({ "before": before, "after": rules, "effectiveFrom": now }),
    );
    let v = s.store.add_sla_version(&rules, now, &rec)?;
    s.reload_config()?;
    Ok(v)
}

/// Adds, renames or retires a category. Names are never removed: old cases keep theirs.
pub fn change_category(
    s: &AppState,
    admin: &Actor,
    change: CategoryChange,
) -> Result<ConfigView, ApiError> {
    let before = s.store.config_snapshot()?.categories;
    let after = change_categories(&before, &change)?;
    let target = match &change {
        CategoryChange::Add(n) | CategoryChange::Retire { name: n, .. } => n.clone(),
        CategoryChange::Rename { from, .. } => from.clone(),
    };
    let rec = AuditRecord::change(
        s.now(),
        admin.user_id,
        "changeCategory",
        &target,
        &json!({ "before": before, "after": after }),
    );
    s.store.put_categories(&after, &rec)?;
    s.reload_config()?;
    view(s)
}
