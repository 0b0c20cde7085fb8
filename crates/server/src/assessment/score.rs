//! Scoring: how a stint counts, the rates, the composite score and the ranking.
//!
//! A stint counts in the period in which it was dispatched, evaluated as of `now`:
//! * sign-in is *decided* once the unit signed in or the sign-in deadline passed
//!   (before the stint ended by 退办/改派); it is *late* if signed after the deadline
//!   or not signed by then. Reply (已办结, reply published) likewise against the reply
//!   deadline as moved by approved extensions. Undecided stints are in no denominator.
//! * overdue = late on sign-in or on reply.
//! * rehandled = the first follow-up answer was 不满意 (the case went to L2 re-handling);
//!   satisfaction = the latest answer is 满意 or 基本满意; both over answered stints.
//!
//! Composite score (0–100): the weighted mean, over the components that have data,
//! of sign-in on-time rate, reply on-time rate, satisfaction rate, 1 − return rate and
//! 1 − re-handle rate, times 100; minus deductions per overdue stint, return and
//! re-handle (capped at `maxDeduction`), never below 0. Rounded to 2 decimals.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::storage::assessment::{Counts, Stint};

/// Admin-set weights and deductions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Weights {
    pub sign_in_on_time: f64,
    pub reply_on_time: f64,
    pub satisfaction: f64,
    /// Weight of (1 − return rate).
    pub no_return: f64,
    /// Weight of (1 − re-handle rate).
    pub no_rehandle: f64,
    pub deduct_per_overdue: f64,
    pub deduct_per_return: f64,
    pub deduct_per_rehandle: f64,
    pub max_deduction: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            sign_in_on_time: 15.0,
            reply_on_time: 25.0,
            satisfaction: 40.0,
            no_return: 10.0,
            no_rehandle: 10.0,
            deduct_per_overdue: 0.5,
            deduct_per_return: 0.0,
            deduct_per_rehandle: 0.0,
            max_deduction: 20.0,
        }
    }
}

impl Weights {
    pub fn validate(&self) -> Result<(), ApiError> {
        let all = [
            self.sign_in_on_time,
            self.reply_on_time,
            self.satisfaction,
            self.no_return,
            self.no_rehandle,
            self.deduct_per_overdue,
            self.deduct_per_return,
            self.deduct_per_rehandle,
            self.max_deduction,
        ];
        let weights = all[..5].iter().sum::<f64>();
        if all.iter().any(|v| !v.is_finite() || *v < 0.0 || *v > 100.0) || weights <= 0.0 {
            return Err(ApiError::BadRequest(
                "权重和扣分必须在 0–100 之间，且权重之和大于 0".into(),
            ));
        }
        Ok(())
    }
}

/// What one stint contributes, as of `now` (see `Stint::counts_at`).
pub fn outcome(s: &Stint, now: DateTime<Utc>) -> Counts {
    s.counts_at(now)
}

/// Rates in percent (2 decimals); None when the denominator is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rates {
    pub sign_in_on_time: Option<f64>,
    pub reply_on_time: Option<f64>,
    pub return_rate: Option<f64>,
    pub rehandle_rate: Option<f64>,
    pub satisfaction: Option<f64>,
    pub duplicate_share: Option<f64>,
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn pct(v: Option<f64>) -> Option<f64> {
    v.map(|x| round2(x * 100.0))
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

struct Fractions {
    sign_in: Option<f64>,
    reply: Option<f64>,
    returns: Option<f64>,
    rehandle: Option<f64>,
    satisfaction: Option<f64>,
}

fn fractions(c: &Counts) -> Fractions {
    Fractions {
        sign_in: ratio(c.sign_in_decided - c.sign_in_late, c.sign_in_decided),
        reply: ratio(c.reply_decided - c.reply_late, c.reply_decided),
        returns: ratio(c.returned, c.received),
        rehandle: ratio(c.rehandled, c.answered),
        satisfaction: ratio(c.satisfied, c.answered),
    }
}

pub fn rates(c: &Counts) -> Rates {
    let f = fractions(c);
    Rates {
        sign_in_on_time: pct(f.sign_in),
        reply_on_time: pct(f.reply),
        return_rate: pct(f.returns),
        rehandle_rate: pct(f.rehandle),
        satisfaction: pct(f.satisfaction),
        duplicate_share: pct(ratio(c.duplicates, c.received + c.duplicates)),
    }
}

/// The composite score; None when no component has data.
pub fn score(c: &Counts, w: &Weights) -> Option<f64> {
    let f = fractions(c);
    let parts = [
        (w.sign_in_on_time, f.sign_in),
        (w.reply_on_time, f.reply),
        (w.satisfaction, f.satisfaction),
        (w.no_return, f.returns.map(|r| 1.0 - r)),
        (w.no_rehandle, f.rehandle.map(|r| 1.0 - r)),
    ];
    let (num, den) = parts
        .iter()
        .filter_map(|(w, v)| v.map(|v| (w * v, *w)))
        .fold((0.0, 0.0), |(n, d), (a, b)| (n + a, d + b));
    if den <= 0.0 {
        return None;
    }
    let deduction = (c.overdue as f64 * w.deduct_per_overdue
        + c.returned as f64 * w.deduct_per_return
        + c.rehandled as f64 * w.deduct_per_rehandle)
        .min(w.max_deduction);
    Some(round2((num / den * 100.0 - deduction).max(0.0)))
}

/// Competition ranks (equal scores share a rank) for scores sorted descending.
pub fn ranks(sorted_scores: &[f64]) -> Vec<u32> {
    let mut out = Vec::with_capacity(sorted_scores.len());
    for (i, s) in sorted_scores.iter().enumerate() {
        let r = match (i, out.last()) {
            (0, _) | (_, None) => 1,
            (_, Some(&prev)) if (sorted_scores[i - 1] - s).abs() < 1e-9 => prev,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        out.push(r);
    }
    out
}
