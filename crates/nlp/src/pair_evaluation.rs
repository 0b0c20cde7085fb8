//! Evaluation of duplicate detection on labelled pairs: similarity of each
//! pair, cluster-aware folds, settings chosen inside the training folds, the
//! "same template, different place" breakdown and recall through the index.

use std::collections::BTreeMap;
use std::path::Path;

use crate::duplicates::{DuplicateConfig, DuplicateIndex};
use crate::error::Result;
use crate::folds::{jaccard, near_duplicate_groups, shingle_set, Groups, NEAR_DUPLICATE_JACCARD};
use crate::location::{mask_places, place_mentions, places_conflict};

/// One labelled pair of `duplicate_pairs.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabeledPair {
    pub source: String,
    pub id_a: String,
    pub id_b: String,
    pub duplicate: bool,
}

pub fn read_pairs(path: &Path) -> Result<Vec<LabeledPair>> {
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
pub fn read_corpus(path: &Path) -> Result<BTreeMap<(String, String), String>> {
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

type Corpus = BTreeMap<(String, String), String>;

fn texts<'a>(p: &LabeledPair, corpus: &'a Corpus) -> Option<(&'a str, &'a str)> {
    Some((
        corpus.get(&(p.source.clone(), p.id_a.clone()))?,
        corpus.get(&(p.source.clone(), p.id_b.clone()))?,
    ))
}

/// An index of the whole corpus (its IDF is the corpus's, as an index of
/// every open case would have), keyed "source/id".
fn corpus_index(config: &DuplicateConfig, corpus: &Corpus) -> DuplicateIndex {
    let mut index = DuplicateIndex::new(config.clone());
    for ((source, id), text) in corpus {
        index.insert(&format!("{source}/{id}"), None, text, 0);
    }
    index
}

/// Similarity of every pair, the measure `DuplicateIndex::candidates`
/// reports, with the corpus as the indexed cases (0 when a message is missing).
pub fn duplicate_scores(
    config: &DuplicateConfig,
    pairs: &[LabeledPair],
    corpus: &Corpus,
) -> Vec<f32> {
    let index = corpus_index(config, corpus);
    pairs
        .iter()
        .map(|p| texts(p, corpus).map_or(0.0, |(a, b)| index.text_similarity(a, b)))
        .collect()
}

/// Whether b is among the `limit` best candidates an index of the whole
/// corpus returns for a (similarity ≥ `min_score`, a itself left out): the
/// end-to-end view including retrieval misses.
pub fn retrieved_through_index(
    config: &DuplicateConfig,
    pairs: &[LabeledPair],
    corpus: &Corpus,
    limit: usize,
) -> Vec<bool> {
    let index = corpus_index(config, corpus);
    pairs
        .iter()
        .map(|p| {
            let Some((a, _)) = texts(p, corpus) else {
                return false;
            };
            let own = format!("{}/{}", p.source, p.id_a);
            let want = format!("{}/{}", p.source, p.id_b);
            index
                .candidates_excluding(None, a, limit, Some(&own))
                .iter()
                .any(|c| c.case_id == want)
        })
        .collect()
}

/// Pairs whose texts differ mainly by a place name: each title names a place
/// of the same kind that the other message never mentions (location
/// extraction, [`places_conflict`]), and
/// with every place name masked their character 3-gram Jaccard is at least
/// [`NEAR_DUPLICATE_JACCARD`].
pub fn template_pairs(pairs: &[LabeledPair], corpus: &Corpus) -> Vec<bool> {
    pairs
        .iter()
        .map(|p| {
            let Some((a, b)) = texts(p, corpus) else {
                return false;
            };
            places_conflict(a, b)
                && jaccard(
                    &shingle_set(&mask_places(a, &place_mentions(a))),
                    &shingle_set(&mask_places(b, &place_mentions(b))),
                ) >= NEAR_DUPLICATE_JACCARD
        })
        .collect()
}

/// Fold groups for pairs: messages linked by a positive pair or by a
/// near-identical text form one matter, and every pair goes with the matter
/// of its first message, so re-posts of a matter never sit on both sides.
pub fn pair_groups(pairs: &[LabeledPair], corpus: &Corpus) -> Vec<usize> {
    let mut ids: BTreeMap<(String, String), usize> = BTreeMap::new();
    for p in pairs {
        for id in [&p.id_a, &p.id_b] {
            let n = ids.len();
            ids.entry((p.source.clone(), id.clone())).or_insert(n);
        }
    }
    let mut ordered: Vec<((String, String), usize)> = ids.clone().into_iter().collect();
    ordered.sort_by_key(|x| x.1);
    let texts: Vec<String> = ordered
        .iter()
        .map(|(k, _)| corpus.get(k).cloned().unwrap_or_default())
        .collect();
    let mut groups: Groups = near_duplicate_groups(&texts, NEAR_DUPLICATE_JACCARD);
    for p in pairs.iter().filter(|p| p.duplicate) {
        groups.union(
            ids[&(p.source.clone(), p.id_a.clone())],
            ids[&(p.source.clone(), p.id_b.clone())],
        );
    }
    let labels = groups.labels();
    pairs
        .iter()
        .map(|p| labels[ids[&(p.source.clone(), p.id_a.clone())]])
        .collect()
}

/// The threshold that maximises F1 on (score, truth) pairs, with that F1.
pub fn best_threshold_f1(scores: &[f32], truth: &[bool]) -> (f32, f64) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let positives = truth.iter().filter(|t| **t).count() as f64;
    let (mut tp, mut taken) = (0.0, 0.0);
    let mut best = (0.5f32, f64::NEG_INFINITY);
    for (k, &i) in order.iter().enumerate() {
        tp += f64::from(u8::from(truth[i]));
        taken += 1.0;
        // Only cut between different scores (and never at zero).
        let next_differs = order.get(k + 1).is_none_or(|&j| scores[j] < scores[i]);
        if next_differs && scores[i] > 0.0 {
            let f1 = 2.0 * tp / (taken + positives);
            if f1 > best.1 {
                best = (scores[i], f1);
            }
        }
    }
    best
}

/// The threshold that maximises F1 on (score, truth) pairs.
pub fn best_threshold(scores: &[f32], truth: &[bool]) -> f32 {
    best_threshold_f1(scores, truth).0
}

/// Candidate settings for cross-validation: the IDF power and place penalty
/// grid; each fold picks one (and a threshold) on its training pairs.
#[derive(Debug, Clone)]
pub struct PairSettings {
    pub config: DuplicateConfig,
    pub scores: Vec<f32>,
}

impl PairSettings {
    pub fn grid(pairs: &[LabeledPair], corpus: &Corpus) -> Vec<PairSettings> {
        let mut out = Vec::new();
        for idf_power in [1.0, 2.0, 3.0] {
            for place_penalty in [0.1, 0.0] {
                let config = DuplicateConfig {
                    idf_power,
                    place_penalty,
                    ..DuplicateConfig::default()
                };
                let scores = duplicate_scores(&config, pairs, corpus);
                out.push(PairSettings { config, scores });
            }
        }
        out
    }
}

/// Out-of-fold duplicate decisions: per fold, the settings and threshold
/// with the best F1 on the other folds' pairs. Returns the decisions and,
/// per fold, the chosen (settings index, threshold).
pub fn cross_validate_pairs(
    settings: &[PairSettings],
    truth: &[bool],
    folds: &[usize],
) -> (Vec<bool>, Vec<(usize, f32)>) {
    let k = folds.iter().copied().max().map_or(0, |m| m + 1);
    let mut predicted = vec![false; truth.len()];
    let mut chosen = Vec::new();
    for fold in 0..k {
        let train: Vec<usize> = (0..truth.len()).filter(|&i| folds[i] != fold).collect();
        let train_truth: Vec<bool> = train.iter().map(|&i| truth[i]).collect();
        let mut best = (0usize, 0.5f32, f64::NEG_INFINITY);
        for (s, setting) in settings.iter().enumerate() {
            let train_scores: Vec<f32> = train.iter().map(|&i| setting.scores[i]).collect();
            let (threshold, f1) = best_threshold_f1(&train_scores, &train_truth);
            if f1 > best.2 {
                best = (s, threshold, f1);
            }
        }
        for i in (0..truth.len()).filter(|&i| folds[i] == fold) {
            predicted[i] = settings[best.0].scores[i] >= best.1;
        }
        chosen.push((best.0, best.1));
    }
    (predicted, chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_threshold_by_hand() {
        // Scores 0.9 0.8 0.3 0.2 with truth T T F T: cutting at 0.2 gives
        // tp=3 fp=1 fn=0 → F1 = 6/7 ≈ 0.857; at 0.8 → 4/5 = 0.8.
        let (t, f1) = best_threshold_f1(&[0.9, 0.8, 0.3, 0.2], &[true, true, false, true]);
        assert!((t - 0.2).abs() < 1e-6);
        assert!((f1 - 6.0 / 7.0).abs() < 1e-9);
    }
}
