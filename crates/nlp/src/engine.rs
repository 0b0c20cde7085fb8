//! The trained text classifiers: one shared vocabulary, one linear model per task.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analyzer::{Analyzer, AnalyzerConfig, FeatureHit};
use crate::error::{NlpError, Result};
use crate::linear::{softmax, LinearModel, SvmConfig};
use crate::vectorizer::{SparseVec, Vectorizer, VectorizerConfig};

/// Bumped whenever the model file layout changes.
/// 2: class-lexicon feature block (4 blocks).
/// 3: title-lexicon features and the rare-label lexicon priors (new fields
/// in the analyzer and train configs; bincode is positional, so a format-2
/// file does not decode as format 3 and is refused by its version).
pub const MODEL_FORMAT: u32 = 3;

/// A label with its score in [0, 1] (scores of one task sum to 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scored {
    pub label: String,
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub analyzer: AnalyzerConfig,
    pub vectorizer: VectorizerConfig,
    pub svm: SvmConfig,
    /// Sharpness of the softmax that turns margins into displayed scores.
    pub score_temperature: f32,
    /// Least weight of a rare label's class-lexicon feature when its term is
    /// in the title (half that in the body); 0 turns the priors off.
    #[serde(default)]
    pub lexicon_prior: f32,
    /// Labels with fewer training rows than this get the lexicon prior.
    #[serde(default)]
    pub rare_label_rows: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            analyzer: AnalyzerConfig::default(),
            vectorizer: VectorizerConfig::default(),
            svm: SvmConfig::default(),
            score_temperature: 3.0,
            lexicon_prior: 2.0,
            rare_label_rows: 15,
        }
    }
}

impl TrainConfig {
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.svm.seed = seed;
        self
    }
}

/// What is stored in `model.bin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSet {
    pub format: u32,
    pub config: TrainConfig,
    pub vectorizer: Vectorizer,
    /// Task name → model. Task names are [`crate::Task`] names or any
    /// label column used with `cv`/`train --label-column`.
    pub tasks: BTreeMap<String, LinearModel>,
}

/// A message to train on: title, detail.
pub type TextPair<'a> = (&'a str, &'a str);

/// Loaded models plus the segmenter, ready to classify.
#[derive(Debug)]
pub struct Engine {
    analyzer: Analyzer,
    set: ModelSet,
    packed: Packed,
}

/// Every task's weights interleaved feature-major, so scoring all tasks
/// touches each feature's weights once (one or two cache lines) instead of
/// once per task.
#[derive(Debug, Default)]
struct Packed {
    width: usize,
    /// Task name → first column in a row of `width`.
    offsets: Vec<(String, usize)>,
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl Packed {
    fn new(set: &ModelSet) -> Self {
        let width: usize = set.tasks.values().map(|m| m.labels.len()).sum();
        let dim = set.vectorizer.dim();
        let mut weights = vec![0.0; dim * width];
        let mut bias = Vec::with_capacity(width);
        let mut offsets = Vec::new();
        let mut offset = 0;
        for (name, model) in &set.tasks {
            let k = model.labels.len();
            for f in 0..dim.min(model.dim) {
                weights[f * width + offset..f * width + offset + k]
                    .copy_from_slice(&model.weights[f * k..f * k + k]);
            }
            bias.extend_from_slice(&model.bias);
            offsets.push((name.clone(), offset));
            offset += k;
        }
        Self {
            width,
            offsets,
            weights,
            bias,
        }
    }

    fn decision(&self, x: &SparseVec) -> Vec<f32> {
        let mut out = self.bias.clone();
        for (&f, &v) in x.idx.iter().zip(&x.val) {
            let start = f as usize * self.width;
            if let Some(row) = self.weights.get(start..start + self.width) {
                for (o, w) in out.iter_mut().zip(row) {
                    *o += v * w;
                }
            }
        }
        out
    }
}

impl Engine {
    /// Trains one model per task. `labels[task][i]` is the label of `texts[i]`
    /// for that task, or `None` when unknown (the row is then left out of
    /// that task but still counts for the vocabulary).
    pub fn train(
        config: TrainConfig,
        texts: &[TextPair<'_>],
        labels: &BTreeMap<String, Vec<Option<String>>>,
    ) -> Result<Self> {
        let analyzer = Analyzer::new(config.analyzer.clone());
        let hits: Vec<Vec<FeatureHit>> = texts
            .iter()
            .map(|(t, d)| {
                let mut out = Vec::new();
                analyzer.features(t, d, &mut out);
                out
            })
            .collect();
        let lexicon_features = crate::lexicon::feature_hashes();
        let vectorizer = Vectorizer::fit(config.vectorizer.clone(), &hits, &lexicon_features);
        let mut scratch = Vec::new();
        let rows: Vec<SparseVec> = hits
            .iter()
            .map(|h| vectorizer.transform(h, &mut scratch))
            .collect();
        let mut tasks = BTreeMap::new();
        for (task, task_labels) in labels {
            let mut model = train_task(task, &rows, task_labels, vectorizer.dim(), &config.svm)?;
            crate::lexicon::apply_priors(
                &mut model,
                &vectorizer,
                task_labels,
                config.lexicon_prior,
                config.rare_label_rows,
            );
            tasks.insert(task.clone(), model);
        }
        let set = ModelSet {
            format: MODEL_FORMAT,
            config,
            vectorizer,
            tasks,
        };
        let packed = Packed::new(&set);
        Ok(Self {
            analyzer,
            set,
            packed,
        })
    }

    pub fn from_set(mut set: ModelSet) -> Result<Self> {
        if set.format != MODEL_FORMAT {
            return Err(NlpError::UnsupportedFormat {
                found: set.format,
                supported: MODEL_FORMAT,
            });
        }
        set.vectorizer.rebuild_lookup();
        let packed = Packed::new(&set);
        Ok(Self {
            analyzer: Analyzer::new(set.config.analyzer.clone()),
            set,
            packed,
        })
    }

    pub fn set(&self) -> &ModelSet {
        &self.set
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    pub fn has_task(&self, task: &str) -> bool {
        self.set.tasks.contains_key(task)
    }

    /// TF-IDF row of a message (segment once, score every task).
    pub fn vectorize(&self, title: &str, detail: &str) -> SparseVec {
        let mut hits =
            Vec::with_capacity(4 * (title.len() + detail.len()).min(4 * crate::text::MAX_CHARS));
        self.analyzer.features(title, detail, &mut hits);
        self.set
            .vectorizer
            .transform(&hits, &mut Vec::with_capacity(hits.len()))
    }

    /// Labels of `task` sorted by score, best first.
    pub fn scores(&self, task: &str, row: &SparseVec) -> Result<Vec<Scored>> {
        let model = self
            .set
            .tasks
            .get(task)
            .ok_or_else(|| NlpError::MissingTask(task.to_string()))?;
        let probs = softmax(
            &model.decision(row),
            self.set.config.score_temperature * row.evidence,
        );
        let mut out: Vec<Scored> = model
            .labels
            .iter()
            .zip(probs)
            .map(|(label, score)| Scored {
                label: label.clone(),
                score,
            })
            .collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.label.cmp(&b.label))
        });
        Ok(out)
    }

    /// Scores of every task in one pass over the row (the fast path).
    pub fn scores_all(&self, row: &SparseVec) -> BTreeMap<&str, Vec<Scored>> {
        let decision = self.packed.decision(row);
        let mut out = BTreeMap::new();
        for (name, offset) in &self.packed.offsets {
            let Some(model) = self.set.tasks.get(name) else {
                continue;
            };
            let k = model.labels.len();
            let probs = softmax(
                &decision[*offset..offset + k],
                self.set.config.score_temperature * row.evidence,
            );
            let mut scored: Vec<Scored> = model
                .labels
                .iter()
                .zip(probs)
                .map(|(label, score)| Scored {
                    label: label.clone(),
                    score,
                })
                .collect();
            scored.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then_with(|| a.label.cmp(&b.label))
            });
            out.insert(name.as_str(), scored);
        }
        out
    }

    /// Best label of `task`.
    pub fn predict(&self, task: &str, title: &str, detail: &str) -> Result<String> {
        let row = self.vectorize(title, detail);
        Ok(self.scores(task, &row)?.swap_remove(0).label)
    }

    /// The words that pushed `label` of `task` up most for this message.
    pub fn explain(
        &self,
        task: &str,
        label: &str,
        title: &str,
        detail: &str,
        limit: usize,
    ) -> Vec<String> {
        let Some(model) = self.set.tasks.get(task) else {
            return Vec::new();
        };
        let Some(class) = model.labels.iter().position(|l| l == label) else {
            return Vec::new();
        };
        let row = self.vectorize(title, detail);
        let value: BTreeMap<u32, f32> = row
            .idx
            .iter()
            .copied()
            .zip(row.val.iter().copied())
            .collect();
        let mut contributions: BTreeMap<String, f32> = BTreeMap::new();
        for (hash, _, token) in self.analyzer.labelled_features(title, detail) {
            // Single characters rarely mean anything to a clerk.
            if token.chars().count() < 2 {
                continue;
            }
            let Some(col) = self.set.vectorizer.column(hash) else {
                continue;
            };
            let Some(v) = value.get(&col) else { continue };
            let c = v * model.weight(col as usize, class);
            let entry = contributions.entry(token).or_insert(f32::NEG_INFINITY);
            *entry = entry.max(c);
        }
        let mut ranked: Vec<(String, f32)> = contributions
            .into_iter()
            .filter(|(_, c)| *c > 0.0)
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut out: Vec<String> = Vec::new();
        for (token, _) in ranked {
            // Skip fragments of a word already shown ("噪音" after "噪音扰民").
            if out
                .iter()
                .any(|w| w.contains(&token) || token.contains(w.as_str()))
            {
                continue;
            }
            out.push(token);
            if out.len() == limit {
                break;
            }
        }
        out
    }
}

fn train_task(
    task: &str,
    rows: &[SparseVec],
    labels: &[Option<String>],
    dim: usize,
    svm: &SvmConfig,
) -> Result<LinearModel> {
    let mut names: Vec<String> = labels.iter().flatten().cloned().collect();
    names.sort();
    names.dedup();
    if names.len() < 2 {
        return Err(NlpError::NotEnoughData {
            task: task.to_string(),
            reason: format!("{} distinct labels", names.len()),
        });
    }
    let mut x = Vec::new();
    let mut y = Vec::new();
    for (row, label) in rows.iter().zip(labels) {
        if let Some(label) = label {
            x.push(row.clone());
            y.push(names.binary_search(label).unwrap_or(0));
        }
    }
    Ok(LinearModel::train(&x, &y, names, dim, svm))
}
