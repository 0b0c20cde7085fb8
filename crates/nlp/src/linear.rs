//! One-vs-rest linear SVM (L2-regularised, squared hinge loss) trained by
//! dual coordinate descent — the algorithm of LIBLINEAR's default solver
//! (Hsieh et al., ICML 2008), which scikit-learn's LinearSVC also wraps.
//!
//! Written here because no maintained Rust crate trains linear models on
//! sparse, high-dimensional rows: linfa-logistic and smartcore take dense
//! matrices (300k TF-IDF columns × 700 rows would be 800 MB) and linfa-svm is a
//! kernel SMO solver. The solver is ~60 lines and deterministic given a seed.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::vectorizer::SparseVec;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SvmConfig {
    /// Inverse regularisation strength.
    pub c: f32,
    /// Reweight each one-vs-rest problem so both sides weigh the same
    /// (helps macro-F1 on rare classes).
    pub balanced: bool,
    /// Stop when the projected-gradient spread is below this.
    pub tolerance: f32,
    pub max_iter: usize,
    pub seed: u64,
}

impl Default for SvmConfig {
    fn default() -> Self {
        Self {
            c: 1.0,
            balanced: true,
            tolerance: 0.1,
            max_iter: 1000,
            seed: 42,
        }
    }
}

/// Weights laid out feature-major (`w[f * k + class]`) so that scoring one
/// message walks memory once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    pub labels: Vec<String>,
    pub dim: usize,
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

impl LinearModel {
    /// Trains on rows `x` with class indices `y` (into `labels`).
    #[allow(clippy::many_single_char_names)] // x, y, k, w, b: the paper's notation
    pub fn train(
        x: &[SparseVec],
        y: &[usize],
        labels: Vec<String>,
        dim: usize,
        config: &SvmConfig,
    ) -> Self {
        let k = labels.len();
        let mut weights = vec![0.0f32; dim * k];
        let mut bias = vec![0.0f32; k];
        let mut counts = vec![0usize; k];
        for &c in y {
            counts[c] += 1;
        }
        for class in 0..k {
            if counts[class] == 0 {
                bias[class] = -1.0;
                continue;
            }
            let signs: Vec<f32> = y
                .iter()
                .map(|&c| if c == class { 1.0 } else { -1.0 })
                .collect();
            let (pos_w, neg_w) = if config.balanced {
                let n = y.len() as f32;
                let pos = counts[class] as f32;
                (n / (2.0 * pos), n / (2.0 * (n - pos).max(1.0)))
            } else {
                (1.0, 1.0)
            };
            let costs: Vec<f32> = signs
                .iter()
                .map(|&s| config.c * if s > 0.0 { pos_w } else { neg_w })
                .collect();
            let (w, b) = solve_binary(x, &signs, &costs, dim, config, class as u64);
            for (f, wf) in w.iter().enumerate() {
                weights[f * k + class] = *wf;
            }
            bias[class] = b;
        }
        Self {
            labels,
            dim,
            weights,
            bias,
        }
    }

    /// Decision values, one per label.
    pub fn decision(&self, x: &SparseVec) -> Vec<f32> {
        let k = self.labels.len();
        let mut out = self.bias.clone();
        for (&f, &v) in x.idx.iter().zip(&x.val) {
            let f = f as usize;
            if f < self.dim {
                let row = &self.weights[f * k..f * k + k];
                for (o, w) in out.iter_mut().zip(row) {
                    *o += v * w;
                }
            }
        }
        out
    }

    pub fn weight(&self, feature: usize, class: usize) -> f32 {
        self.weights[feature * self.labels.len() + class]
    }
}

/// Dual CD for min ½‖w‖² + Σ Cᵢ max(0, 1 − yᵢ(w·xᵢ + b))², bias as a constant
/// feature of value 1 (regularised, as in LIBLINEAR).
#[allow(clippy::many_single_char_names)] // the paper's notation
fn solve_binary(
    x: &[SparseVec],
    y: &[f32],
    costs: &[f32],
    dim: usize,
    config: &SvmConfig,
    salt: u64,
) -> (Vec<f32>, f32) {
    let n = x.len();
    let mut w = vec![0.0f32; dim];
    let mut b = 0.0f32;
    let mut alpha = vec![0.0f32; n];
    let diag: Vec<f32> = costs.iter().map(|c| 0.5 / c).collect();
    let qd: Vec<f32> = x
        .iter()
        .zip(&diag)
        .map(|(xi, d)| xi.squared_norm() + 1.0 + d)
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    for _ in 0..config.max_iter {
        order.shuffle(&mut rng);
        let mut pg_max = f32::NEG_INFINITY;
        let mut pg_min = f32::INFINITY;
        for &i in &order {
            let xi = &x[i];
            let mut dot = b;
            for (&f, &v) in xi.idx.iter().zip(&xi.val) {
                dot += w[f as usize] * v;
            }
            let g = y[i] * dot - 1.0 + diag[i] * alpha[i];
            let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                let step = (alpha[i] - old) * y[i];
                for (&f, &v) in xi.idx.iter().zip(&xi.val) {
                    w[f as usize] += step * v;
                }
                b += step;
            }
        }
        if pg_max - pg_min < config.tolerance {
            break;
        }
    }
    (w, b)
}

/// Softmax over decision values, sharpened so that a margin of 1 reads as
/// confident; used only to present scores, not to decide.
pub fn softmax(decision: &[f32], temperature: f32) -> Vec<f32> {
    let max = decision.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = decision
        .iter()
        .map(|d| ((d - max) * temperature).exp())
        .collect();
    let sum: f32 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}
