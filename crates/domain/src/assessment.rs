//! Assessment scoring rules (SPEC §7, 一网考): the raw counts of a unit or officer, the
//! rates, the composite score, who is ranked, the ranks, and the 红黑榜. Pure: the
//! server sums the counts (from its facts) and every screen shows what these rules make
//! of them, so a figure has one definition.
//!
//! * Rates are percentages over the stints whose outcome is decided (see `Counts`).
//! * Composite score (0–100): the weighted mean, over the components that have data, of
//!   sign-in on-time rate, reply on-time rate, satisfaction rate, 1 − return rate and
//!   1 − re-handle rate, times 100; minus deductions per overdue stint, return and
//!   re-handle (capped at `maxDeduction`) and per decided 责任倒查 record (not capped),
//!   never below 0. Rounded to 2 decimals.
//! * Ranked: a row with a score and at least `minVolume` stints whose reply is decided
//!   (replied — 办结 — or past its reply deadline) in the period. Below that a score
//!   says little (one on-time case scores 100), so the row is listed as
//!   “样本不足，不参与排名” and takes no rank. Ranks are competition ranks (equal scores
//!   share a rank).
//! * 红黑榜: the best and the worst ranked rows, at most `LIST_SIZE` each; the lists never
//!   share a row, and a row is on the black list only when its rank is worse than
//!   that of every row on the red list.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// Default minimum of decided replies in a period before a row is ranked.
pub const DEFAULT_MIN_VOLUME: u64 = 5;
/// Rows on each of the red and black lists.
pub const LIST_SIZE: usize = 5;
/// Why a row below the minimum volume has no rank.
pub const TOO_FEW: &str = "样本不足，不参与排名";
/// Why a row without any scored component has no rank.
pub const NO_SCORE: &str = "无考核数据，不参与排名";

/// Raw counts behind every assessment rate; summed per unit or officer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Stints dispatched to the unit in the period (受理/接收).
    pub received: u64,
    /// Stints whose sign-in is decided (signed in, or the deadline passed) / of them late.
    pub sign_in_decided: u64,
    pub sign_in_late: u64,
    /// Stints whose reply is decided (replied, or the deadline passed) / of them late.
    pub reply_decided: u64,
    pub reply_late: u64,
    /// 退办.
    pub returned: u64,
    /// Stints whose reply got a follow-up answer.
    pub answered: u64,
    /// First answer unsatisfied: the case had to be re-handled (回访不满意后重办).
    pub rehandled: u64,
    /// Latest answer satisfied or basically satisfied.
    pub satisfied: u64,
    /// Stints late on sign-in or reply (逾期: the period's stints that missed a deadline,
    /// whether or not they were finished later).
    pub overdue: u64,
    /// Later requests linked as duplicates of cases the unit handles.
    pub duplicates: u64,
    /// 责任倒查 records decided (已处理) in the period against the unit or the officer
    /// (not in the facts rollups: added from the records when a board is built).
    #[serde(default)]
    pub accountability: u64,
}

impl Counts {
    pub fn add(&mut self, o: &Self) {
        let sum = self.to_array();
        let mut out = [0; 11];
        for ((x, a), b) in out.iter_mut().zip(sum).zip(o.to_array()) {
            *x = a + b;
        }
        let accountability = self.accountability + o.accountability;
        *self = Self {
            accountability,
            ..Self::from_array(out)
        };
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The rollup fields in declaration order (for signed arithmetic on rollup rows);
    /// `accountability` is not a rollup field.
    pub const fn to_array(&self) -> [u64; 11] {
        [
            self.received,
            self.sign_in_decided,
            self.sign_in_late,
            self.reply_decided,
            self.reply_late,
            self.returned,
            self.answered,
            self.rehandled,
            self.satisfied,
            self.overdue,
            self.duplicates,
        ]
    }

    pub const fn from_array(a: [u64; 11]) -> Self {
        Self {
            received: a[0],
            sign_in_decided: a[1],
            sign_in_late: a[2],
            reply_decided: a[3],
            reply_late: a[4],
            returned: a[5],
            answered: a[6],
            rehandled: a[7],
            satisfied: a[8],
            overdue: a[9],
            duplicates: a[10],
            accountability: 0,
        }
    }

    /// The volume the minimum for ranking is measured in: stints whose reply is decided.
    pub const fn volume(&self) -> u64 {
        self.reply_decided
    }
}

fn default_min_volume() -> u64 {
    DEFAULT_MIN_VOLUME
}

/// Default deduction per decided 责任倒查 record.
pub const DEFAULT_DEDUCT_PER_ACCOUNTABILITY: f64 = 2.0;

fn default_deduct_per_accountability() -> f64 {
    DEFAULT_DEDUCT_PER_ACCOUNTABILITY
}

/// Admin-set weights, deductions and the minimum volume for ranking. Every weight and
/// deduction is 0–100 and the five weights do not sum to 0 (else 400).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Weights {
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub sign_in_on_time: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub reply_on_time: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub satisfaction: f64,
    /// Weight of (1 − return rate).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub no_return: f64,
    /// Weight of (1 − re-handle rate).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub no_rehandle: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub deduct_per_overdue: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub deduct_per_return: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub deduct_per_rehandle: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub max_deduction: f64,
    /// Deducted per 责任倒查 record decided (已处理) in the period, on top of — not
    /// capped by — `maxDeduction`: discipline is not a routine lateness.
    #[serde(default = "default_deduct_per_accountability")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub deduct_per_accountability: f64,
    /// Decided replies a row needs in the period to be ranked (default `DEFAULT_MIN_VOLUME`).
    #[serde(default = "default_min_volume")]
    #[cfg_attr(feature = "openapi", schema(maximum = 1000))]
    pub min_volume: u64,
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
            deduct_per_accountability: DEFAULT_DEDUCT_PER_ACCOUNTABILITY,
            min_volume: DEFAULT_MIN_VOLUME,
        }
    }
}

impl Weights {
    pub fn validate(&self) -> Result<(), DomainError> {
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
            self.deduct_per_accountability,
        ];
        let weights = all[..5].iter().sum::<f64>();
        if all.iter().any(|v| !v.is_finite() || *v < 0.0 || *v > 100.0) || weights <= 0.0 {
            return Err(DomainError::InvalidField {
                field: "weights",
                reason: "权重和扣分必须在 0–100 之间，且权重之和大于 0".into(),
            });
        }
        if self.min_volume > 1000 {
            return Err(DomainError::InvalidField {
                field: "minVolume",
                reason: "参与排名的最少件数必须在 0–1000 之间".into(),
            });
        }
        Ok(())
    }
}

/// Rates in percent (2 decimals); None when the denominator is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        .min(w.max_deduction)
        + c.accountability as f64 * w.deduct_per_accountability;
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

/// One row of a board after scoring.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked<K> {
    pub key: K,
    pub counts: Counts,
    pub score: Option<f64>,
    /// None when the row is not ranked (`unranked` says why).
    pub rank: Option<u32>,
    /// `TOO_FEW` or `NO_SCORE` for rows without a rank.
    pub unranked: Option<&'static str>,
}

/// Scores and ranks rows; rows whose counts are all zero are left out. The answer is
/// ordered ranked rows first (best first; equal scores by received descending, then
/// key), then the unranked ones (by score, received, key).
pub fn rank<K: Ord>(rows: impl IntoIterator<Item = (K, Counts)>, w: &Weights) -> Vec<Ranked<K>> {
    let mut out: Vec<Ranked<K>> = rows
        .into_iter()
        .filter(|(_, c)| !c.is_empty())
        .map(|(key, counts)| {
            let score = score(&counts, w);
            let unranked = match score {
                None => Some(NO_SCORE),
                Some(_) if counts.volume() < w.min_volume => Some(TOO_FEW),
                Some(_) => None,
            };
            Ranked {
                key,
                counts,
                score,
                rank: None,
                unranked,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.unranked
            .is_some()
            .cmp(&b.unranked.is_some())
            .then(b.score.unwrap_or(-1.0).total_cmp(&a.score.unwrap_or(-1.0)))
            .then(b.counts.received.cmp(&a.counts.received))
            .then(a.key.cmp(&b.key))
    });
    let scores: Vec<f64> = out
        .iter()
        .filter(|r| r.unranked.is_none())
        .filter_map(|r| r.score)
        .collect();
    for (r, k) in out.iter_mut().zip(ranks(&scores)) {
        r.rank = Some(k);
    }
    out
}

/// 红黑榜 of rows ordered as `rank` orders them: indexes of the red list (best first)
/// and of the black list (worst first). Only ranked rows take part; with fewer than
/// `2n` of them the red list takes at most half (rounded up) and the black list the
/// rest up to `n`; a row joins the black list only when its rank is worse than the
/// rank of every row on the red list, so the lists never overlap nor tie.
pub fn red_black<K>(rows: &[Ranked<K>], n: usize) -> (Vec<usize>, Vec<usize>) {
    let ranked: Vec<(usize, u32)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.rank.map(|k| (i, k)))
        .collect();
    let red_n = n.min(ranked.len().div_ceil(2));
    let red: Vec<usize> = ranked[..red_n].iter().map(|(i, _)| *i).collect();
    let Some(&(_, worst_red)) = ranked[..red_n].last() else {
        return (red, Vec::new());
    };
    let black_n = n.min(ranked.len() - red_n);
    let black: Vec<usize> = ranked[red_n..]
        .iter()
        .filter(|(_, k)| *k > worst_red)
        .rev()
        .take(black_n)
        .map(|(i, _)| *i)
        .collect();
    (red, black)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(received: u64, decided: u64, late: u64) -> Counts {
        Counts {
            received,
            reply_decided: decided,
            reply_late: late,
            ..Counts::default()
        }
    }

    #[test]
    fn rows_below_the_minimum_volume_take_no_rank() {
        let w = Weights::default();
        let rows = vec![
            ("a", counts(6, 5, 1)),
            ("b", counts(2, 2, 0)),
            ("c", counts(8, 6, 0)),
            ("d", Counts::default()),
            ("e", counts(1, 0, 0)),
        ];
        let r = rank(rows, &w);
        let keys: Vec<_> = r.iter().map(|x| (x.key, x.rank, x.unranked)).collect();
        assert_eq!(
            keys,
            vec![
                ("c", Some(1), None),
                ("a", Some(2), None),
                ("b", None, Some(TOO_FEW)),
                // Received but nothing decided: return rate alone scores it.
                ("e", None, Some(TOO_FEW)),
            ]
        );
        let w0 = Weights {
            min_volume: 0,
            ..Weights::default()
        };
        assert!(rank(vec![("b", counts(2, 2, 0))], &w0)[0].rank == Some(1));
        let none = rank(
            vec![(
                "x",
                Counts {
                    duplicates: 1,
                    ..Counts::default()
                },
            )],
            &w0,
        );
        assert_eq!(none[0].unranked, Some(NO_SCORE));
    }

    fn ranked(scores: &[f64]) -> Vec<Ranked<usize>> {
        let rs = ranks(scores);
        scores
            .iter()
            .zip(rs)
            .enumerate()
            .map(|(i, (s, k))| Ranked {
                key: i,
                counts: Counts::default(),
                score: Some(*s),
                rank: Some(k),
                unranked: None,
            })
            .collect()
    }

    #[test]
    fn red_and_black_lists_never_overlap_nor_tie() {
        // Twelve rows: five best, five worst.
        let many: Vec<f64> = (0..12).map(|i| 100.0 - f64::from(i)).collect();
        assert_eq!(
            red_black(&ranked(&many), 5),
            (vec![0, 1, 2, 3, 4], vec![11, 10, 9, 8, 7])
        );
        // One row: red only. Three: two red, one black.
        assert_eq!(red_black(&ranked(&[90.0]), 5), (vec![0], vec![]));
        assert_eq!(
            red_black(&ranked(&[90.0, 80.0, 70.0]), 5),
            (vec![0, 1], vec![2])
        );
        // Everyone tied: nobody is worse than the red list.
        assert_eq!(
            red_black(&ranked(&[100.0; 25]), 5),
            (vec![0, 1, 2, 3, 4], vec![])
        );
        // A tie across the boundary stays off the black list.
        assert_eq!(
            red_black(&ranked(&[99.0, 95.0, 95.0, 60.0]), 5),
            (vec![0, 1], vec![3])
        );
        // Unranked rows take no part.
        let mut rows = ranked(&[90.0, 80.0]);
        rows.push(Ranked {
            key: 9,
            counts: Counts::default(),
            score: Some(10.0),
            rank: None,
            unranked: Some(TOO_FEW),
        });
        assert_eq!(red_black(&rows, 5), (vec![0], vec![1]));
        assert_eq!(red_black::<usize>(&[], 5), (vec![], vec![]));
    }

    #[test]
    fn weights_are_validated() {
        assert!(Weights::default().validate().is_ok());
        let bad = Weights {
            reply_on_time: -1.0,
            ..Weights::default()
        };
        assert_eq!(bad.validate().unwrap_err().code(), "INVALID_FIELD");
        let w: Weights = serde_json::from_str(
            r#"{"signInOnTime":15,"replyOnTime":25,"satisfaction":40,"noReturn":10,"noRehandle":10,
                "deductPerOverdue":0.5,"deductPerReturn":0,"deductPerRehandle":0,"maxDeduction":20}"#,
        )
        .unwrap();
        assert_eq!(
            w.min_volume, DEFAULT_MIN_VOLUME,
            "stored weights without it"
        );
    }
}
