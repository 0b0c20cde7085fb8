//! TF-IDF over hashed features, one L2-normalised block per message part.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::analyzer::{Block, FeatureHit, BLOCKS};

/// A sparse row: feature indices with their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    pub idx: Vec<u32>,
    pub val: Vec<f32>,
    /// How much of the message the vocabulary knows, in [0, 1]: 0 for a text
    /// with no known feature (empty, emoji, markup, another script), 1 from
    /// [`FULL_EVIDENCE_HITS`] known feature occurrences covering at least half
    /// of the message's features. Scores are shrunk towards uniform by it.
    pub evidence: f32,
}

/// Known feature occurrences from which a message counts as fully evidenced
/// (a one-line title of ~8 characters yields about this many).
pub const FULL_EVIDENCE_HITS: f32 = 20.0;

impl SparseVec {
    pub fn squared_norm(&self) -> f32 {
        self.val.iter().map(|v| v * v).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorizerConfig {
    /// Keep a feature only if it occurs in at least this many training messages.
    pub min_df: u32,
    /// Use 1 + ln(tf) instead of raw counts.
    pub sublinear_tf: bool,
    /// Weight of each block after its own L2 normalisation.
    pub block_weights: [f32; BLOCKS],
}

impl Default for VectorizerConfig {
    fn default() -> Self {
        Self {
            min_df: 2,
            sublinear_tf: true,
            block_weights: [1.0, 1.0, 1.0, 1.0],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vectorizer {
    config: VectorizerConfig,
    /// Feature hash → column. Stored as pairs so the file is compact and ordered.
    columns: Vec<(u64, u32)>,
    idf: Vec<f32>,
    #[serde(skip)]
    lookup: FxHashMap<u64, u32>,
}

impl Vectorizer {
    /// Learns the vocabulary and IDF (smoothed as in scikit-learn).
    /// `always` are features kept whatever their document frequency (the
    /// class-lexicon features, whose weights may be set from a prior).
    pub fn fit(config: VectorizerConfig, docs: &[Vec<FeatureHit>], always: &[u64]) -> Self {
        let mut df: FxHashMap<u64, u32> = FxHashMap::default();
        let mut seen: Vec<u64> = Vec::new();
        for doc in docs {
            seen.clear();
            seen.extend(doc.iter().map(|h| h.hash));
            seen.sort_unstable();
            seen.dedup();
            for &h in &seen {
                *df.entry(h).or_insert(0) += 1;
            }
        }
        for &h in always {
            df.entry(h).or_insert(0);
        }
        let mut kept: Vec<(u64, u32)> = df
            .into_iter()
            .filter(|&(h, d)| d >= config.min_df || always.contains(&h))
            .collect();
        // Sorted so that column numbers do not depend on hash-map order.
        kept.sort_unstable_by_key(|&(h, _)| h);
        let n = docs.len() as f32;
        let idf = kept
            .iter()
            .map(|&(_, d)| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)
            .collect();
        let columns: Vec<(u64, u32)> = kept
            .iter()
            .enumerate()
            .map(|(i, &(h, _))| (h, i as u32))
            .collect();
        let mut v = Self {
            config,
            columns,
            idf,
            lookup: FxHashMap::default(),
        };
        v.rebuild_lookup();
        v
    }

    /// Must be called after deserialising.
    pub fn rebuild_lookup(&mut self) {
        self.lookup = self.columns.iter().copied().collect();
    }

    pub fn dim(&self) -> usize {
        self.idf.len()
    }

    pub fn column(&self, hash: u64) -> Option<u32> {
        self.lookup.get(&hash).copied()
    }

    /// Turns feature hits into a TF-IDF row. `scratch` is reused between calls.
    pub fn transform(&self, hits: &[FeatureHit], scratch: &mut Vec<(u8, u32)>) -> SparseVec {
        scratch.clear();
        scratch.extend(
            hits.iter()
                .filter_map(|h| self.column(h.hash).map(|c| (h.block as u8, c))),
        );
        scratch.sort_unstable();
        let known = scratch.len() as f32;
        let coverage = if hits.is_empty() {
            0.0
        } else {
            known / hits.len() as f32
        };
        let mut out = SparseVec {
            idx: Vec::with_capacity(scratch.len()),
            val: Vec::with_capacity(scratch.len()),
            evidence: (known / FULL_EVIDENCE_HITS).min(1.0) * (2.0 * coverage).min(1.0),
        };
        let mut block_start = 0;
        let mut i = 0;
        while i < scratch.len() {
            let (block, col) = scratch[i];
            let mut j = i;
            while j < scratch.len() && scratch[j] == (block, col) {
                j += 1;
            }
            let tf = (j - i) as f32;
            // Most features occur once: skip the logarithm for them.
            let tf = if self.config.sublinear_tf && j - i > 1 {
                1.0 + tf.ln()
            } else {
                tf
            };
            out.idx.push(col);
            out.val.push(tf * self.idf[col as usize]);
            let block_ends = j == scratch.len() || scratch[j].0 != block;
            if block_ends {
                let weight = self.config.block_weights[block as usize];
                let slice = &mut out.val[block_start..];
                let norm = slice.iter().map(|v| v * v).sum::<f32>().sqrt();
                if norm > 0.0 {
                    for v in slice {
                        *v *= weight / norm;
                    }
                }
                block_start = out.val.len();
            }
            i = j;
        }
        out
    }
}

/// For explanations: the block a hit came from is already in the hash, so a
/// caller only needs the column.
pub fn block_name(block: Block) -> &'static str {
    match block {
        Block::TitleWord => "标题",
        Block::BodyWord => "词",
        Block::BodyChar => "字",
        Block::Lexicon => "类词",
    }
}
