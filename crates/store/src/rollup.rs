//! The arithmetic of the assessment rollups, above the storage seam: what one case's
//! facts add to (or, rewritten, take away from) the per-day rollup rows. A backend
//! loads the old rows, hands them here with sign −1 and the new ones with +1, and
//! upserts the non-zero `RollupDeltas` it gets back; it keeps no rule of its own.
//!
//! Days are Beijing days (`minsheng_domain::calendar::beijing_day_of_ms`); scope keys
//! are 0 for everything, −1 for the follow-up phase, else a unit's interned key.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use minsheng_domain::calendar::{beijing_day_of_ms, beijing_hour_of_ms, monday_of};
use minsheng_domain::case::CaseState;

use crate::assessment::{Counts, Dimension, FactCase, Stint};
use crate::{from_ms, ms};

/// Scope key of the whole city.
pub const EVERYTHING: i64 = 0;
/// Scope key of the cases in the follow-up phase.
pub const FOLLOW_UP: i64 = -1;

/// Dimensions kept per case, with their stored codes.
pub const DIMS: [(Dimension, i64); 9] = [
    (Dimension::Category, 0),
    (Dimension::PoliceLine, 1),
    (Dimension::District, 2),
    (Dimension::Unit, 3),
    (Dimension::Branch, 4),
    (Dimension::Channel, 5),
    (Dimension::RequestType, 6),
    (Dimension::Hour, 7),
    (Dimension::State, 8),
];
/// One row per case per day: what the time dimensions sum.
pub const STATE_DIM: i64 = 8;

/// Early-warning cell kinds.
pub const WEEK_DISTRICT: i64 = 0;
pub const WEEK_UNIT: i64 = 1;
pub const WEEK_ANSWERS: i64 = 2;

/// A stint as stored (times in whole ms), so what a row adds when written is exactly
/// what it takes away when read back and rewritten.
pub fn stored(s: &Stint) -> Stint {
    let t = |x: DateTime<Utc>| from_ms(ms(x));
    Stint {
        dispatched_at: t(s.dispatched_at),
        sign_in_deadline: t(s.sign_in_deadline),
        signed_in_at: s.signed_in_at.map(t),
        reply_deadline: t(s.reply_deadline),
        completed_at: s.completed_at.map(t),
        ended_at: s.ended_at.map(t),
        ..s.clone()
    }
}

/// The columns of an `assess_cases` row that rollups read.
pub struct CaseRow {
    pub received_at: i64,
    pub category: Option<String>,
    pub channel: String,
    pub request_type: String,
    pub district: Option<String>,
    pub handling_unit: Option<String>,
    pub branch: Option<String>,
    pub police_line: Option<String>,
    pub state: String,
    pub closed: bool,
    pub answered_at: Option<i64>,
    pub first_satisfied: Option<bool>,
    pub duplicate_of: Option<String>,
    pub merged_at: Option<i64>,
    pub scope: String,
    pub dup_unit: Option<String>,
}

impl CaseRow {
    pub fn new(c: &FactCase, scope: String) -> Self {
        Self {
            received_at: ms(c.received_at),
            category: c.category.clone(),
            channel: c.channel.clone(),
            request_type: c.request_type.clone(),
            district: c.district.clone(),
            handling_unit: c.handling_unit.map(|u| u.to_string()),
            branch: c.branch.map(|u| u.to_string()),
            police_line: c.police_line.clone(),
            state: c.state.clone(),
            closed: c.closed,
            answered_at: c.answered_at.map(ms),
            first_satisfied: c.first_satisfied,
            duplicate_of: c.duplicate_of.map(|d| d.to_string()),
            merged_at: c.merged_at.map(ms),
            scope,
            dup_unit: None,
        }
    }

    /// The bucket key of a dimension ('' for none; read back as None).
    pub fn value(&self, d: Dimension) -> String {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        match d {
            Dimension::Category => text(&self.category),
            Dimension::PoliceLine => text(&self.police_line),
            Dimension::District => text(&self.district),
            Dimension::Unit => text(&self.handling_unit),
            Dimension::Branch => text(&self.branch),
            Dimension::Channel => self.channel.clone(),
            Dimension::RequestType => self.request_type.clone(),
            Dimension::Hour => beijing_hour_of_ms(self.received_at).to_string(),
            Dimension::State => self.state.clone(),
            Dimension::Day | Dimension::Week | Dimension::Month => String::new(),
        }
    }

    /// The scope keys whose analytics the case counts in.
    pub fn scope_keys(&self) -> impl Iterator<Item = i64> + '_ {
        let follow_up =
            CaseState::from_code(&self.state).is_some_and(CaseState::is_follow_up_phase);
        std::iter::once(EVERYTHING)
            .chain(follow_up.then_some(FOLLOW_UP))
            .chain(self.scope.split(' ').filter_map(|k| k.parse().ok()))
    }
}

/// Adds `v` times `sign` to `into`, element by element.
pub fn add<const N: usize>(into: &mut [i64; N], v: &[i64; N], sign: i64) {
    for (a, b) in into.iter_mut().zip(v) {
        *a += sign * b;
    }
}

fn signed(c: &Counts) -> [i64; 11] {
    c.to_array().map(|x| x as i64)
}

/// Changes to the rollup rows collected over one facts transaction, applied at its end
/// (rows of one day and unit are touched once however many cases changed).
#[derive(Default)]
pub struct RollupDeltas {
    units: HashMap<(i64, String), [i64; 11]>,
    officers: HashMap<(i64, String), [i64; 11]>,
    cases: HashMap<(i64, i64, i64, String), [i64; 5]>,
    weeks: HashMap<(i64, i64, String, String), [i64; 2]>,
}

impl RollupDeltas {
    /// Adds (`sign` 1) or takes away (−1) a stored stint.
    pub fn stint(&mut self, s: &Stint, sign: i64) {
        let day = beijing_day_of_ms(ms(s.dispatched_at));
        let c = signed(&s.final_counts());
        add(
            self.units.entry((day, s.unit_id.to_string())).or_default(),
            &c,
            sign,
        );
        if let Some(o) = s.officer_id {
            add(
                self.officers.entry((day, o.to_string())).or_default(),
                &c,
                sign,
            );
        }
    }

    pub fn duplicate(&mut self, merged_at: i64, unit: &str, sign: i64) {
        let mut c = [0; 11];
        c[10] = 1;
        add(
            self.units
                .entry((beijing_day_of_ms(merged_at), unit.to_owned()))
                .or_default(),
            &c,
            sign,
        );
    }

    pub fn case(&mut self, r: &CaseRow, sign: i64) {
        let day = beijing_day_of_ms(r.received_at);
        let b = [
            1,
            i64::from(r.closed),
            i64::from(r.first_satisfied.is_some()),
            i64::from(r.first_satisfied == Some(false)),
            i64::from(r.duplicate_of.is_some()),
        ];
        for scope in r.scope_keys() {
            for (d, code) in DIMS {
                add(
                    self.cases
                        .entry((scope, code, day, r.value(d)))
                        .or_default(),
                    &b,
                    sign,
                );
            }
        }
        if let Some(cat) = &r.category {
            let week = monday_of(day);
            if r.duplicate_of.is_none() {
                for (kind, area) in [(WEEK_DISTRICT, &r.district), (WEEK_UNIT, &r.handling_unit)] {
                    if let Some(a) = area {
                        add(
                            self.weeks
                                .entry((kind, week, cat.clone(), a.clone()))
                                .or_default(),
                            &[1, 0],
                            sign,
                        );
                    }
                }
            }
            if let (Some(at), Some(u)) = (r.answered_at, &r.handling_unit) {
                let unsatisfied = i64::from(r.first_satisfied == Some(false));
                add(
                    self.weeks
                        .entry((
                            WEEK_ANSWERS,
                            monday_of(beijing_day_of_ms(at)),
                            cat.clone(),
                            u.clone(),
                        ))
                        .or_default(),
                    &[1, unsatisfied],
                    sign,
                );
            }
        }
    }

    /// Unit rows (Beijing day of dispatch, unit id) → the 11 stint counts.
    pub fn units(&self) -> impl Iterator<Item = (&(i64, String), &[i64; 11])> {
        non_zero(&self.units)
    }

    /// Officer rows (Beijing day of dispatch, officer id) → the 11 stint counts.
    pub fn officers(&self) -> impl Iterator<Item = (&(i64, String), &[i64; 11])> {
        non_zero(&self.officers)
    }

    /// Analytics buckets (scope key, dimension code, Beijing day, value) → n, closed,
    /// answered, unsatisfied, duplicates.
    pub fn cases(&self) -> impl Iterator<Item = (&(i64, i64, i64, String), &[i64; 5])> {
        non_zero(&self.cases)
    }

    /// Early-warning cells (kind, Monday, category, area) → n, unsatisfied.
    pub fn weeks(&self) -> impl Iterator<Item = (&(i64, i64, String, String), &[i64; 2])> {
        non_zero(&self.weeks)
    }
}

/// Rows whose deltas are not all zero (a row rewritten unchanged nets out).
fn non_zero<K, const N: usize>(m: &HashMap<K, [i64; N]>) -> impl Iterator<Item = (&K, &[i64; N])> {
    m.iter().filter(|(_, v)| v.iter().any(|x| *x != 0))
}
