//! Cross-validation on a fixed fold assignment (shared with the Python baseline).

use std::collections::BTreeMap;

use crate::dataset::LabeledText;
use crate::engine::{Engine, TrainConfig};
use crate::error::Result;
use crate::metrics::{classification, ClassMetrics};

/// Out-of-fold prediction for every row; `folds[i]` is row i's test fold.
pub fn cross_validate(
    config: &TrainConfig,
    rows: &[LabeledText],
    folds: &[usize],
) -> Result<Vec<String>> {
    let k = folds.iter().copied().max().map_or(0, |m| m + 1);
    let mut predicted = vec![String::new(); rows.len()];
    for fold in 0..k {
        let train: Vec<&LabeledText> = rows
            .iter()
            .zip(folds)
            .filter(|(_, f)| **f != fold)
            .map(|(r, _)| r)
            .collect();
        let texts: Vec<(&str, &str)> = train
            .iter()
            .map(|r| (r.title.as_str(), r.detail.as_str()))
            .collect();
        let labels = BTreeMap::from([(
            "label".to_string(),
            train.iter().map(|r| Some(r.label.clone())).collect(),
        )]);
        let engine = Engine::train(config.clone(), &texts, &labels)?;
        for (i, row) in rows.iter().enumerate() {
            if folds[i] == fold {
                predicted[i] = engine.predict("label", &row.title, &row.detail)?;
            }
        }
    }
    Ok(predicted)
}

/// Cross-validates and scores in one call.
pub fn cv_metrics(
    config: &TrainConfig,
    rows: &[LabeledText],
    folds: &[usize],
) -> Result<ClassMetrics> {
    let predicted = cross_validate(config, rows, folds)?;
    let truth: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    Ok(classification(&truth, &predicted))
}

/// One labelled pair of `duplicate_pairs.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabeledPair {
    pub source: String,
    pub id_a: String,
    pub id_b: String,
    pub duplicate: bool,
}

pub fn read_pairs(path: &std::path::Path) -> Result<Vec<LabeledPair>> {
    let rows = crate::dataset::read_rows(path)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let get = |k: &str| r.get(k).cloned().unwrap_or_default();
            LabeledPair {
                source: get("source"),
                id_a: get("id_a"),
                id_b: get("id_b"),
                duplicate: get("duplicate").trim() == "1",
            }
        })
        .collect())
}

/// Messages of `corpus_messages.csv` keyed by (source, id) → title + detail.
pub fn read_corpus(path: &std::path::Path) -> Result<BTreeMap<(String, String), String>> {
    let rows = crate::dataset::read_rows(path)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let get = |k: &str| r.get(k).cloned().unwrap_or_default();
            (
                (get("source"), get("id")),
                format!("{}\n{}", get("title"), get("detail")),
            )
        })
        .collect())
}

/// Similarity of every pair, the measure `DuplicateIndex::candidates`
/// reports (0 when a message is missing from the corpus).
pub fn duplicate_scores(
    config: &crate::duplicates::DuplicateConfig,
    pairs: &[LabeledPair],
    corpus: &BTreeMap<(String, String), String>,
) -> Vec<f32> {
    let index = crate::duplicates::DuplicateIndex::new(config.clone());
    pairs
        .iter()
        .map(|p| {
            match (
                corpus.get(&(p.source.clone(), p.id_a.clone())),
                corpus.get(&(p.source.clone(), p.id_b.clone())),
            ) {
                (Some(a), Some(b)) => index.text_similarity(a, b),
                _ => 0.0,
            }
        })
        .collect()
}

/// Share of pairs whose b is returned by an index lookup of a (among all
/// messages of the pair's source) with similarity ≥ `config.min_score` —
/// the end-to-end view including LSH retrieval misses.
pub fn retrieved_through_index(
    config: &crate::duplicates::DuplicateConfig,
    pairs: &[LabeledPair],
    corpus: &BTreeMap<(String, String), String>,
) -> Vec<bool> {
    use crate::duplicates::DuplicateIndex;
    let mut indexes: BTreeMap<&str, DuplicateIndex> = BTreeMap::new();
    for ((source, id), text) in corpus {
        indexes
            .entry(source.as_str())
            .or_insert_with(|| DuplicateIndex::new(config.clone()))
            .insert(id, None, text, 0);
    }
    pairs
        .iter()
        .map(|p| {
            let (Some(index), Some(text)) = (
                indexes.get(p.source.as_str()),
                corpus.get(&(p.source.clone(), p.id_a.clone())),
            ) else {
                return false;
            };
            index
                .candidates_excluding(None, text, 1000, Some(&p.id_a))
                .iter()
                .any(|c| c.case_id == p.id_b)
        })
        .collect()
}

/// The threshold that maximises F1 on (score, truth) pairs.
pub fn best_threshold(scores: &[f32], truth: &[bool]) -> f32 {
    let mut candidates: Vec<f32> = scores.iter().copied().filter(|s| *s > 0.0).collect();
    candidates.sort_by(f32::total_cmp);
    candidates.dedup();
    let mut best = (f64::NEG_INFINITY, 0.5f32);
    for t in candidates {
        let predicted: Vec<bool> = scores.iter().map(|s| *s >= t).collect();
        let f1 = crate::metrics::pairs(truth, &predicted).f1;
        if f1 > best.0 {
            best = (f1, t);
        }
    }
    best.1
}

/// Out-of-fold duplicate decisions: per fold, the threshold is chosen on the
/// other folds' pairs.
pub fn cross_validate_pairs(scores: &[f32], truth: &[bool], folds: &[usize]) -> Vec<bool> {
    let k = folds.iter().copied().max().map_or(0, |m| m + 1);
    let mut predicted = vec![false; scores.len()];
    for fold in 0..k {
        let (train_s, train_t): (Vec<f32>, Vec<bool>) = (0..scores.len())
            .filter(|&i| folds[i] != fold)
            .map(|i| (scores[i], truth[i]))
            .unzip();
        let threshold = best_threshold(&train_s, &train_t);
        for i in (0..scores.len()).filter(|&i| folds[i] == fold) {
            predicted[i] = scores[i] >= threshold;
        }
    }
    predicted
}
