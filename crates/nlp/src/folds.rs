//! Cluster-aware k-fold splits: near-identical re-posts of one message are
//! grouped, and a group never sits on both sides of a split (otherwise a
//! test message is "predicted" from its own copy in the training folds).

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::text::{content_chars, normalize};

/// Character 3-gram Jaccard from which two messages count as re-posts of
/// one another (a re-post with a new title, a few words changed or a line
/// appended stays well above it; two texts of one template about different
/// places usually fall below it, and then they are separate groups anyway).
pub const NEAR_DUPLICATE_JACCARD: f64 = 0.5;

/// Sorted, deduplicated hashes of the character 3-grams of the content
/// characters (the whole text when it is shorter than 3 characters).
pub fn shingle_set(text: &str) -> Vec<u64> {
    let chars = content_chars(&normalize(text));
    let mut out: Vec<u64> = if chars.len() < 3 {
        if chars.is_empty() {
            Vec::new()
        } else {
            vec![crate::text::hash_chars(&chars)]
        }
    } else {
        chars.windows(3).map(crate::text::hash_chars).collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// Jaccard similarity of two sorted sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

/// Union-find over `n` items.
#[derive(Debug, Clone)]
pub struct Groups {
    parent: Vec<usize>,
}

impl Groups {
    pub fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    pub fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    pub fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }

    /// Group number of every item: the smallest item index in its group.
    pub fn labels(&mut self) -> Vec<usize> {
        (0..self.parent.len()).map(|i| self.find(i)).collect()
    }
}

/// Joins texts whose character 3-gram Jaccard is at least `threshold`
/// (all pairs; meant for labelled sets of a few thousand messages).
pub fn near_duplicate_groups(texts: &[String], threshold: f64) -> Groups {
    let sets: Vec<Vec<u64>> = texts.iter().map(|t| shingle_set(t)).collect();
    let mut groups = Groups::new(texts.len());
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            // Size filter: Jaccard ≤ min/max of the set sizes.
            let (a, b) = (sets[i].len(), sets[j].len());
            if (a.min(b) as f64) < threshold * a.max(b) as f64 {
                continue;
            }
            if jaccard(&sets[i], &sets[j]) >= threshold {
                groups.union(i, j);
            }
        }
    }
    groups
}

/// Stratified k-fold assignment that keeps each group in one fold: groups
/// are shuffled with the seed, then dealt largest first, each to the fold
/// that currently holds the fewest rows of the group's labels (ties: the
/// smaller fold, then the lower number), as scikit-learn's
/// `StratifiedGroupKFold(shuffle=True)` does.
pub fn grouped_stratified_folds(
    labels: &[String],
    groups: &[usize],
    folds: usize,
    seed: u64,
) -> Vec<usize> {
    let folds = folds.max(2);
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (row, &g) in groups.iter().enumerate() {
        members.entry(g).or_default().push(row);
    }
    let mut order: Vec<Vec<usize>> = members.into_values().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    order.shuffle(&mut rng);
    // Stable sort keeps the shuffled order among groups of equal size.
    order.sort_by_key(|rows| std::cmp::Reverse(rows.len()));
    let mut per_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut sizes = vec![0usize; folds];
    let mut assignment = vec![0; labels.len()];
    for rows in order {
        let mut cost = vec![0usize; folds];
        for &row in &rows {
            let counts = per_label
                .entry(labels[row].as_str())
                .or_insert_with(|| vec![0; folds]);
            for (c, n) in cost.iter_mut().zip(counts.iter()) {
                *c += n;
            }
        }
        let fold = (0..folds)
            .min_by_key(|&f| (cost[f], sizes[f], f))
            .unwrap_or(0);
        for &row in &rows {
            assignment[row] = fold;
            if let Some(counts) = per_label.get_mut(labels[row].as_str()) {
                counts[fold] += 1;
            }
            sizes[fold] += 1;
        }
    }
    assignment
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaccard_of_small_sets() {
        // {1,2,3} ∩ {2,3,4} = {2,3}; ∪ has 4 elements.
        assert!((jaccard(&[1, 2, 3], &[2, 3, 4]) - 0.5).abs() < 1e-12);
        assert!((jaccard(&[1], &[2])).abs() < 1e-12);
    }

    #[test]
    fn re_posts_share_a_group_and_a_fold() {
        let base =
            "A3区某小区楼下烧烤摊每天营业到凌晨三点，油烟和噪音严重影响居民休息，多次投诉无果。";
        let texts: Vec<String> = vec![
            base.to_string(),
            format!("再次反映：{base}"),
            "咨询A市身份证异地补办需要哪些材料".to_string(),
            "A7县某路口红绿灯坏了三天没人修，早晚高峰非常危险".to_string(),
        ];
        let g = near_duplicate_groups(&texts, NEAR_DUPLICATE_JACCARD).labels();
        assert_eq!(g[0], g[1]);
        assert_ne!(g[0], g[2]);
        assert_ne!(g[2], g[3]);

        // 40 rows in 20 pairs of re-posts, two labels: pairs stay together,
        // every fold gets 8 rows and both labels.
        let labels: Vec<String> = (0..40)
            .map(|i| if i % 4 < 2 { "a" } else { "b" }.to_string())
            .collect();
        let groups: Vec<usize> = (0..40).map(|i| i / 2).collect();
        let folds = grouped_stratified_folds(&labels, &groups, 5, 7);
        for pair in 0..20 {
            assert_eq!(folds[2 * pair], folds[2 * pair + 1]);
        }
        for f in 0..5 {
            let rows: Vec<usize> = (0..40).filter(|&i| folds[i] == f).collect();
            assert_eq!(rows.len(), 8);
            assert!(rows.iter().any(|&i| labels[i] == "a"));
            assert!(rows.iter().any(|&i| labels[i] == "b"));
        }
        assert_eq!(folds, grouped_stratified_folds(&labels, &groups, 5, 7));
    }
}
