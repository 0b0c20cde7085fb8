//! Training every task from labelled records (CLI `train`/`retrain`, server schedule).

use std::collections::BTreeMap;

use crate::dataset::{LabeledText, Task, TrainingRecord};
use crate::duplicates::DuplicateConfig;
use crate::engine::{Engine, TrainConfig};
use crate::error::Result;
use crate::evaluation::cv_metrics;
use crate::folds::{grouped_stratified_folds, near_duplicate_groups, NEAR_DUPLICATE_JACCARD};
use crate::model_dir::{Manifest, TaskInfo};

#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub config: TrainConfig,
    /// Compute k-fold metrics for the manifest (0 = skip).
    pub cv_folds: usize,
    pub sources: Vec<String>,
    pub duplicates: DuplicateConfig,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            config: TrainConfig::default(),
            cv_folds: 5,
            sources: Vec::new(),
            duplicates: DuplicateConfig::default(),
        }
    }
}

/// Trains the four tasks (each on the rows that carry its label) and
/// describes the result in a manifest (version set when saved).
pub fn train_all(records: &[TrainingRecord], options: &TrainOptions) -> Result<(Engine, Manifest)> {
    let texts: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r.title.as_str(), r.detail.as_str()))
        .collect();
    let mut labels = BTreeMap::new();
    for task in Task::ALL {
        let column: Vec<Option<String>> = records.iter().map(|r| task.label_of(r)).collect();
        if column.iter().flatten().next().is_some() {
            labels.insert(task.as_str().to_string(), column);
        }
    }
    let engine = Engine::train(options.config.clone(), &texts, &labels)?;
    let mut tasks = BTreeMap::new();
    for (task, column) in &labels {
        let rows: Vec<LabeledText> = records
            .iter()
            .zip(column)
            .filter_map(|(r, l)| {
                l.clone().map(|label| LabeledText {
                    title: r.title.clone(),
                    detail: r.detail.clone(),
                    label,
                })
            })
            .collect();
        let cv = if options.cv_folds >= 2 && rows.len() >= options.cv_folds * 2 {
            let truth: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
            let texts: Vec<String> = rows
                .iter()
                .map(|r| format!("{}\n{}", r.title, r.detail))
                .collect();
            let groups = near_duplicate_groups(&texts, NEAR_DUPLICATE_JACCARD).labels();
            let folds = grouped_stratified_folds(
                &truth,
                &groups,
                options.cv_folds,
                options.config.svm.seed,
            );
            Some(cv_metrics(&options.config, &rows, &folds)?)
        } else {
            None
        };
        let labels = engine
            .set()
            .tasks
            .get(task)
            .map(|m| m.labels.clone())
            .unwrap_or_default();
        tasks.insert(
            task.clone(),
            TaskInfo {
                labels,
                training_rows: rows.len(),
                cv,
            },
        );
    }
    let manifest = Manifest {
        format: crate::engine::MODEL_FORMAT,
        version: 0,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        training_rows: records.len(),
        sources: options.sources.clone(),
        seed: options.config.svm.seed,
        tasks,
        duplicates: options.duplicates.clone(),
        model_sha256: None,
    };
    Ok((engine, manifest))
}

/// Merges the base data set with the server's history: a history row with
/// the same title and detail as an earlier row replaces it (the clerk's
/// correction wins), later history rows win over earlier ones.
pub fn merge_history(
    base: Vec<TrainingRecord>,
    history: Vec<TrainingRecord>,
) -> Vec<TrainingRecord> {
    let mut position: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut out: Vec<TrainingRecord> = Vec::with_capacity(base.len() + history.len());
    for record in base.into_iter().chain(history) {
        let key = (
            record.title.trim().to_string(),
            record.detail.trim().to_string(),
        );
        if let Some(&at) = position.get(&key) {
            out[at] = record;
        } else {
            position.insert(key, out.len());
            out.push(record);
        }
    }
    out
}
