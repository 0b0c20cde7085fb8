//! Cross-validation on a fixed fold assignment (shared with the Python baseline).

use std::collections::BTreeMap;

use crate::dataset::LabeledText;
use crate::engine::{Engine, TrainConfig};
use crate::error::Result;
use crate::metrics::{classification, ClassMetrics};

pub use crate::pair_evaluation::{
    best_threshold, cross_validate_pairs, duplicate_scores, pair_groups, read_corpus, read_pairs,
    retrieved_through_index, template_pairs, LabeledPair, PairSettings,
};

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
