//! Early warning (预警).
//!
//! Rule, evaluated for the current Beijing week (to date) and the week before:
//! * **Volume** — for each category × district and category × handling unit, `x` =
//!   cases received this week, `λ` = mean weekly count over the previous 8 weeks
//!   (floored at 1, so a quiet cell does not alarm on a handful of cases). Alert when
//!   `x ≥ 5` and the Poisson upper tail `P(X ≥ x | λ) < 0.001`.
//! * **Dissatisfaction** — for each category × handling unit, `u` of `n` first
//!   follow-up answers this week were 不满意; the baseline rate over the previous
//!   8 weeks is `p₀ = (U + 1) / (N + 2)` (Laplace-smoothed). Alert when `u ≥ 3` and
//!   `z = (u − n·p₀) / √(n·p₀·(1 − p₀)) ≥ 3`.
//!
//! Both are one-sided tests of "this week is above the cell's own baseline": volume
//! treats weekly counts as Poisson with the baseline mean as rate; dissatisfaction
//! treats this week's answers as binomial draws at the baseline rate (normal
//! approximation). Duplicates are left out of volume (they are the same request again).
//!
//! An alert goes to the unit concerned (the handling unit; for a district, the
//! level-2 units whose jurisdiction lists it) and every unit above it (`units`), so the
//! unit and its supervisors see it on their dashboards; city-wide roles see all alerts.
//! It is also *pushed* once (`push_pending`): one staff notification (kind `alert`) per
//! unit head and supervisor of those units, with an SMS copy for those whose
//! notification preferences ask for it. The same alert seen again on a later pass
//! (same kind, area, category and week) keeps its id and is not pushed again.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use minsheng_domain::ids::UnitId;
use minsheng_domain::org::{OrgTree, UnitLevel};

use super::period::{bj_date, date_of_day, day_number, Period, PeriodKind};
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::assessment::{AlertRecord, Via, WeekCell};

pub const BASELINE_WEEKS: i64 = 8;
pub const MIN_VOLUME: u64 = 5;
pub const VOLUME_P: f64 = 0.001;
pub const MIN_UNSATISFIED: u64 = 3;
pub const DISSATISFACTION_Z: f64 = 3.0;

/// `P(X ≥ x)` for `X ~ Poisson(lambda)`.
pub fn poisson_tail(x: u64, lambda: f64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    // 1 − P(X ≤ x−1), summing the pmf iteratively (x is a weekly count: small).
    let mut term = (-lambda).exp();
    let mut cdf = term;
    for k in 1..x {
        term *= lambda / k as f64;
        cdf += term;
    }
    (1.0 - cdf).max(0.0)
}

/// Binomial z-score of `u` unsatisfied out of `n` against the smoothed baseline.
pub fn dissatisfaction_z(u: u64, n: u64, base_u: u64, base_n: u64) -> (f64, f64) {
    let p0 = (base_u as f64 + 1.0) / (base_n as f64 + 2.0);
    let n = n as f64;
    let sd = (n * p0 * (1.0 - p0)).sqrt();
    let z = if sd > 0.0 {
        (u as f64 - n * p0) / sd
    } else {
        0.0
    };
    (z, p0)
}

type CellKey = (String, String);

fn index(cells: &[WeekCell]) -> HashMap<CellKey, HashMap<i64, (u64, u64)>> {
    let mut m: HashMap<CellKey, HashMap<i64, (u64, u64)>> = HashMap::new();
    for c in cells {
        m.entry((c.category.clone(), c.area.clone()))
            .or_default()
            .insert(c.week, (c.count, c.unsatisfied));
    }
    m
}

fn with_supervisors(org: &OrgTree, units: &[UnitId]) -> Vec<UnitId> {
    let mut out: Vec<UnitId> = Vec::new();
    for u in units {
        out.push(*u);
        out.extend(org.ancestors(*u).map(|a| a.id));
    }
    out.sort();
    out.dedup();
    out
}

fn district_units(org: &OrgTree, district: &str) -> Vec<UnitId> {
    org.units()
        .filter(|u| {
            u.level == UnitLevel::Branch && u.jurisdiction.districts.iter().any(|d| d == district)
        })
        .map(|u| u.id)
        .collect()
}

fn unit_name(org: &OrgTree, id: &str) -> String {
    id.parse::<UnitId>()
        .ok()
        .and_then(|u| org.get(u))
        .map_or_else(|| id.to_owned(), |u| u.name.clone())
}

/// Evaluates the rule for the week containing `now` and the week before; stores alerts.
pub fn evaluate(s: &AppState, now: DateTime<Utc>) -> Result<Vec<AlertRecord>, ApiError> {
    let org = s.org();
    let this_week = day_number(Period::containing(PeriodKind::Week, bj_date(now)).start);
    let first = this_week - 7 * (BASELINE_WEEKS + 1);
    let cells = s.store.week_cells(first, this_week, Via::Rollups)?;
    let mut alerts = Vec::new();
    for week in [this_week - 7, this_week] {
        let week_label = date_of_day(week).format("%Y-%m-%d").to_string();
        let baseline_weeks = (1..=BASELINE_WEEKS).map(|i| week - 7 * i);
        for (area_kind, cells) in [("district", &cells.by_district), ("unit", &cells.by_unit)] {
            for ((category, area), weeks) in index(cells) {
                let x = weeks.get(&week).map_or(0, |c| c.0);
                if x < MIN_VOLUME {
                    continue;
                }
                let total: u64 = baseline_weeks
                    .clone()
                    .filter_map(|w| weeks.get(&w))
                    .map(|c| c.0)
                    .sum();
                let mean = total as f64 / BASELINE_WEEKS as f64;
                let p = poisson_tail(x, mean.max(1.0));
                if p >= VOLUME_P {
                    continue;
                }
                let (targets, name) = if area_kind == "district" {
                    (district_units(&org, &area), area.clone())
                } else {
                    (
                        area.parse::<UnitId>().ok().into_iter().collect(),
                        unit_name(&org, &area),
                    )
                };
                alerts.push(AlertRecord {
                    id: uuid::Uuid::now_v7().to_string(),
                    kind: "volume".into(),
                    area_kind: area_kind.into(),
                    message: format!(
                        "{name}“{category}”类诉求本周{x}件，前{BASELINE_WEEKS}周周均{mean:.1}件，显著上升（泊松检验 p={p:.1e}）"
                    ),
                    area,
                    area_name: name,
                    category,
                    week: week_label.clone(),
                    observed: x,
                    baseline: mean,
                    statistic: p,
                    raised_at: now,
                    units: with_supervisors(&org, &targets),
                });
            }
        }
        for ((category, area), weeks) in index(&cells.dissatisfaction_by_unit) {
            let (n, u) = weeks.get(&week).copied().unwrap_or((0, 0));
            if u < MIN_UNSATISFIED {
                continue;
            }
            let (bn, bu) = baseline_weeks
                .clone()
                .filter_map(|w| weeks.get(&w))
                .fold((0, 0), |(a, b), c| (a + c.0, b + c.1));
            let (z, p0) = dissatisfaction_z(u, n, bu, bn);
            if z < DISSATISFACTION_Z {
                continue;
            }
            let name = unit_name(&org, &area);
            let targets: Vec<UnitId> = area.parse::<UnitId>().ok().into_iter().collect();
            alerts.push(AlertRecord {
                id: uuid::Uuid::now_v7().to_string(),
                kind: "dissatisfaction".into(),
                area_kind: "unit".into(),
                message: format!(
                    "{name}“{category}”类诉求本周回访不满意{u}/{n}件，前{BASELINE_WEEKS}周不满意率{:.1}%，显著上升（z={z:.1}）",
                    p0 * 100.0
                ),
                area,
                area_name: name,
                category,
                week: week_label.clone(),
                observed: u,
                baseline: p0,
                statistic: z,
                raised_at: now,
                units: with_supervisors(&org, &targets),
            });
        }
    }
    Ok(s.store.upsert_alerts(&alerts)?)
}

/// Pushes the alerts not pushed yet to their units' staff; returns the notifications
/// created. A notification's key is the alert and the user, so a crash between
/// delivering and marking the alert pushed never notifies anyone twice.
pub fn push_pending(s: &AppState) -> Result<usize, ApiError> {
    let mut n = 0;
    for a in s.store.alerts_to_push(100)? {
        n += crate::notify::staff::alert(s, &a)?;
        s.store.mark_alert_pushed(&a.id, s.now())?;
    }
    Ok(n)
}

/// Alerts pushed to the caller's unit (all for city-wide roles), newest first.
pub fn visible_alerts(
    s: &AppState,
    actor: &minsheng_domain::role::Actor,
    limit: usize,
) -> Result<Vec<AlertRecord>, ApiError> {
    use minsheng_domain::role::Role;
    if actor.role.sees_everything() {
        return Ok(s.store.alerts(None, limit)?);
    }
    match actor.role {
        Role::Supervisor | Role::UnitHead | Role::Officer => {
            Ok(s.store.alerts(Some(&[actor.unit_id]), limit)?)
        }
        _ => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_tail_matches_known_values() {
        // P(X >= 1 | 1) = 1 - e^-1
        assert!((poisson_tail(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        // P(X >= 10 | 1) ≈ 1.114e-7
        let p = poisson_tail(10, 1.0);
        assert!(p > 1.0e-7 && p < 1.2e-7, "{p}");
        assert!(poisson_tail(3, 3.0) > 0.5);
    }

    #[test]
    fn dissatisfaction_needs_a_real_jump() {
        // 4 of 5 unsatisfied against 1 of 40 before: far above baseline.
        assert!(dissatisfaction_z(4, 5, 1, 40).0 > 3.0);
        // 3 of 30 against 10 of 100 before: the usual rate.
        assert!(dissatisfaction_z(3, 30, 10, 100).0 < 1.0);
    }
}
