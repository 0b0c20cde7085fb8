//! Labelled messages: the training record, CSV loading and k-fold splits.

use std::collections::BTreeMap;
use std::path::Path;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{NlpError, Result};

/// One labelled case. The server exports its history (including clerk
/// corrections) in this shape; any label may be missing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingRecord {
    pub title: String,
    pub detail: String,
    pub police_related: Option<bool>,
    pub category: Option<String>,
    pub request_type: Option<String>,
    pub unit_type: Option<String>,
    pub district: Option<String>,
}

/// The classification tasks a model directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    PoliceRelated,
    Category,
    RequestType,
    UnitType,
}

impl Task {
    pub const ALL: [Task; 4] = [
        Task::PoliceRelated,
        Task::Category,
        Task::RequestType,
        Task::UnitType,
    ];

    /// Task name, which is also its CSV column.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::PoliceRelated => "police_related",
            Task::Category => "category",
            Task::RequestType => "request_type",
            Task::UnitType => "unit_type",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Task::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| NlpError::UnknownTask(name.to_string()))
    }

    pub fn label_of(self, record: &TrainingRecord) -> Option<String> {
        match self {
            Task::PoliceRelated => record
                .police_related
                .map(|b| if b { "1" } else { "0" }.to_string()),
            Task::Category => record.category.clone(),
            Task::RequestType => record.request_type.clone(),
            Task::UnitType => record.unit_type.clone(),
        }
    }
}

/// A message with one label, for tasks outside [`Task`] (e.g. the 7-class
/// government categories) and for cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledText {
    pub title: String,
    pub detail: String,
    pub label: String,
}

/// Reads records with the columns of `police_labeled.csv` (extra columns
/// ignored, label columns optional, empty cells = unknown).
pub fn read_records(path: &Path) -> Result<Vec<TrainingRecord>> {
    let rows = read_rows(path)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let get = |name: &str| {
                row.get(name)
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            TrainingRecord {
                title: get("title").unwrap_or_default(),
                detail: get("detail").unwrap_or_default(),
                police_related: get("police_related").and_then(|v| parse_bool(&v)),
                category: get("category"),
                request_type: get("request_type"),
                unit_type: get("unit_type"),
                district: get("district"),
            }
        })
        .collect())
}

/// Writes records in the same columns [`read_records`] reads.
pub fn write_records(path: &Path, records: &[TrainingRecord]) -> Result<()> {
    let csv_err = |source| NlpError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut w = csv::Writer::from_path(path).map_err(csv_err)?;
    w.write_record([
        "title",
        "detail",
        "police_related",
        "category",
        "request_type",
        "unit_type",
        "district",
    ])
    .map_err(csv_err)?;
    for r in records {
        let police = r.police_related.map_or("", |b| if b { "1" } else { "0" });
        w.write_record([
            r.title.as_str(),
            r.detail.as_str(),
            police,
            r.category.as_deref().unwrap_or(""),
            r.request_type.as_deref().unwrap_or(""),
            r.unit_type.as_deref().unwrap_or(""),
            r.district.as_deref().unwrap_or(""),
        ])
        .map_err(csv_err)?;
    }
    w.flush().map_err(|e| NlpError::io(path, e))
}

/// Reads `title`, `detail` and one label column; rows with an empty label are skipped.
pub fn read_labeled(path: &Path, label_column: &str) -> Result<Vec<LabeledText>> {
    let rows = read_rows(path)?;
    if let Some(first) = rows.first() {
        if !first.contains_key(label_column) {
            return Err(NlpError::MissingColumn {
                path: path.to_path_buf(),
                column: label_column.to_string(),
            });
        }
    }
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let label = row.get(label_column)?.trim().to_string();
            (!label.is_empty()).then(|| LabeledText {
                title: row.get("title").cloned().unwrap_or_default(),
                detail: row.get("detail").cloned().unwrap_or_default(),
                label,
            })
        })
        .collect())
}

/// Every row as column → value.
pub fn read_rows(path: &Path) -> Result<Vec<BTreeMap<String, String>>> {
    let csv_err = |source| NlpError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(csv_err)?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    for needed in ["title", "detail"] {
        if !headers.iter().any(|h| h == needed) && !headers.iter().any(|h| h == "id_a") {
            return Err(NlpError::MissingColumn {
                path: path.to_path_buf(),
                column: needed.to_string(),
            });
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_err)?;
        rows.push(
            headers
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect(),
        );
    }
    Ok(rows)
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "true" | "是" | "yes" => Some(true),
        "0" | "false" | "否" | "no" => Some(false),
        _ => None,
    }
}

/// Stratified k-fold assignment: each label's rows are shuffled with the seed
/// and dealt round-robin, continuing across labels so fold sizes stay even.
pub fn stratified_folds(labels: &[String], folds: usize, seed: u64) -> Vec<usize> {
    let folds = folds.max(2);
    let mut by_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        by_label.entry(l.as_str()).or_default().push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut assignment = vec![0; labels.len()];
    let mut next = 0;
    for rows in by_label.values_mut() {
        rows.shuffle(&mut rng);
        for &row in rows.iter() {
            assignment[row] = next % folds;
            next += 1;
        }
    }
    assignment
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_and_deterministic() {
        let labels: Vec<String> = (0..100)
            .map(|i| if i % 4 == 0 { "a" } else { "b" }.to_string())
            .collect();
        let f1 = stratified_folds(&labels, 5, 7);
        assert_eq!(f1, stratified_folds(&labels, 5, 7));
        for fold in 0..5 {
            let a = (0..100)
                .filter(|&i| f1[i] == fold && labels[i] == "a")
                .count();
            assert_eq!(a, 5);
        }
    }
}
