//! Accuracy, macro-F1 and pair precision/recall.

use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassMetrics {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
}

/// Macro-F1 over the labels present in either truth or prediction, as
/// scikit-learn's `f1_score(average="macro")` computes it.
pub fn classification(truth: &[String], predicted: &[String]) -> ClassMetrics {
    let n = truth.len();
    let correct = truth.iter().zip(predicted).filter(|(t, p)| t == p).count();
    let labels: BTreeSet<&String> = truth.iter().chain(predicted).collect();
    let mut f1_sum = 0.0;
    for label in &labels {
        let tp = truth
            .iter()
            .zip(predicted)
            .filter(|(t, p)| t == label && p == label)
            .count() as f64;
        let fp = truth
            .iter()
            .zip(predicted)
            .filter(|(t, p)| t != label && p == label)
            .count() as f64;
        let fn_ = truth
            .iter()
            .zip(predicted)
            .filter(|(t, p)| t == label && p != label)
            .count() as f64;
        let denom = 2.0 * tp + fp + fn_;
        f1_sum += if denom > 0.0 { 2.0 * tp / denom } else { 0.0 };
    }
    ClassMetrics {
        n,
        accuracy: if n == 0 {
            0.0
        } else {
            correct as f64 / n as f64
        },
        macro_f1: if labels.is_empty() {
            0.0
        } else {
            f1_sum / labels.len() as f64
        },
    }
}

/// Recall and precision of one class.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassRecall {
    pub label: String,
    /// Rows whose true label is this class.
    pub support: usize,
    pub recall: f64,
    pub precision: f64,
}

/// Per-class recall and precision, rarest class first.
pub fn per_class(truth: &[String], predicted: &[String]) -> Vec<ClassRecall> {
    let labels: BTreeSet<&String> = truth.iter().collect();
    let mut out: Vec<ClassRecall> = labels
        .into_iter()
        .map(|label| {
            let support = truth.iter().filter(|t| *t == label).count();
            let said = predicted.iter().filter(|p| *p == label).count();
            let tp = truth
                .iter()
                .zip(predicted)
                .filter(|(t, p)| *t == label && *p == label)
                .count();
            ClassRecall {
                label: label.clone(),
                support,
                recall: tp as f64 / support.max(1) as f64,
                precision: if said == 0 {
                    0.0
                } else {
                    tp as f64 / said as f64
                },
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.support
            .cmp(&b.support)
            .then_with(|| a.label.cmp(&b.label))
    });
    out
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairMetrics {
    pub n: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

pub fn pairs(truth: &[bool], predicted: &[bool]) -> PairMetrics {
    let tp = truth
        .iter()
        .zip(predicted)
        .filter(|(t, p)| **t && **p)
        .count() as f64;
    let fp = truth
        .iter()
        .zip(predicted)
        .filter(|(t, p)| !**t && **p)
        .count() as f64;
    let fn_ = truth
        .iter()
        .zip(predicted)
        .filter(|(t, p)| **t && !**p)
        .count() as f64;
    let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let recall = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 0.0 };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    PairMetrics {
        n: truth.len(),
        precision,
        recall,
        f1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_f1_matches_hand_computation() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
        let m = classification(&s(&["a", "a", "b", "b"]), &s(&["a", "b", "b", "b"]));
        assert!((m.accuracy - 0.75).abs() < 1e-9);
        // a: p=1 r=.5 f=.667; b: p=.667 r=1 f=.8
        assert!((m.macro_f1 - f64::midpoint(2.0 / 3.0, 0.8)).abs() < 1e-9);
        let c = per_class(
            &s(&["a", "a", "b", "b", "b"]),
            &s(&["a", "b", "b", "b", "a"]),
        );
        // a: 1 of 2 found, 1 of 2 "a" predictions right; b: 2 of 3, 2 of 3.
        assert_eq!((c[0].label.as_str(), c[0].support), ("a", 2));
        assert!((c[0].recall - 0.5).abs() < 1e-9 && (c[0].precision - 0.5).abs() < 1e-9);
        assert!((c[1].recall - 2.0 / 3.0).abs() < 1e-9);
    }
}
