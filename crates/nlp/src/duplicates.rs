//! Duplicate detection at intake: MinHash signatures over character
//! 3-gram shingles, banded LSH for candidate retrieval, and an index by
//! caller phone.
//!
//! Memory per case is about 256 B of signature, 4 B per band of chain links
//! and a hash-map slot per band, so 1,000,000 cases fit in a few hundred MB;
//! a lookup touches only the buckets its own bands fall in.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use serde::{Deserialize, Serialize};

use crate::text::{is_noise_char, normalize};

/// Number of MinHash functions in a signature.
pub const SIGNATURE_LEN: usize = 128;
const NIL: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DuplicateConfig {
    /// LSH bands × rows per band (≤ [`SIGNATURE_LEN`] in total). 20 × 2
    /// retrieves a pair with 3-gram Jaccard 0.3 with probability 0.85,
    /// 0.5 with 0.997.
    pub bands: usize,
    pub rows_per_band: usize,
    /// Candidates below this text similarity are dropped (unless same phone).
    pub min_score: f32,
    /// Similarity from which two messages are judged the same matter
    /// (calibrated on labelled pairs by `minsheng-nlp train --pairs`).
    pub link_threshold: f32,
    /// Added to the ranking of a candidate from the same phone number.
    pub phone_bonus: f32,
    /// At most this many cases are read from one LSH bucket (newest first),
    /// so boilerplate texts shared by thousands of cases keep lookups bounded.
    pub max_bucket_scan: usize,
}

impl Default for DuplicateConfig {
    fn default() -> Self {
        Self {
            bands: 20,
            rows_per_band: 2,
            min_score: 0.3,
            link_threshold: 0.3,
            phone_bonus: 0.3,
            max_bucket_scan: 500,
        }
    }
}

/// A possible duplicate of the case being registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateCandidate {
    pub case_id: String,
    /// Ranking score: text similarity plus the phone bonus, capped at 1.
    pub score: f32,
    /// Estimated resemblance of the two texts in [0, 1].
    pub text_similarity: f32,
    pub same_phone: bool,
    pub received_at_unix: i64,
}

/// Index of open and recent cases. Not thread-safe by itself: wrap it in a
/// `RwLock` on the server.
#[derive(Debug, Clone)]
pub struct DuplicateIndex {
    config: DuplicateConfig,
    seeds: [u64; SIGNATURE_LEN],
    signatures: Vec<[u16; SIGNATURE_LEN]>,
    has_text: Vec<bool>,
    case_ids: Vec<Box<str>>,
    received: Vec<i64>,
    phones: Vec<u64>,
    alive: Vec<bool>,
    by_case: FxHashMap<u64, Vec<u32>>,
    /// Per band: band key → most recent slot, chained through `next`.
    heads: Vec<FxHashMap<u32, u32>>,
    next: Vec<u32>,
    by_phone: FxHashMap<u64, Vec<u32>>,
    live: usize,
}

impl Default for DuplicateIndex {
    fn default() -> Self {
        Self::new(DuplicateConfig::default())
    }
}

impl DuplicateIndex {
    pub fn new(mut config: DuplicateConfig) -> Self {
        config.rows_per_band = config.rows_per_band.clamp(1, SIGNATURE_LEN);
        config.bands = config.bands.clamp(1, SIGNATURE_LEN / config.rows_per_band);
        let mut seeds = [0u64; SIGNATURE_LEN];
        let mut state = 0x5EED_0FD0_C5C5_0001_u64;
        for s in &mut seeds {
            state = splitmix(state);
            *s = state;
        }
        let heads = vec![FxHashMap::default(); config.bands];
        Self {
            config,
            seeds,
            signatures: Vec::new(),
            has_text: Vec::new(),
            case_ids: Vec::new(),
            received: Vec::new(),
            phones: Vec::new(),
            alive: Vec::new(),
            by_case: FxHashMap::default(),
            heads,
            next: Vec::new(),
            by_phone: FxHashMap::default(),
            live: 0,
        }
    }

    pub fn config(&self) -> &DuplicateConfig {
        &self.config
    }

    /// Number of indexed (not removed) cases.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Adds a case, replacing an earlier entry with the same id.
    pub fn insert(
        &mut self,
        case_id: &str,
        phone: Option<&str>,
        text: &str,
        received_at_unix: i64,
    ) {
        self.remove(case_id);
        let slot = self.case_ids.len() as u32;
        let full = self.minhash(text);
        let phone_key = phone.and_then(phone_key).unwrap_or(0);
        self.case_ids.push(case_id.into());
        self.received.push(received_at_unix);
        self.phones.push(phone_key);
        self.alive.push(true);
        self.has_text.push(full.is_some());
        self.signatures
            .push(full.map_or([0; SIGNATURE_LEN], |f| compress(&f)));
        self.next
            .extend(std::iter::repeat_n(NIL, self.config.bands));
        if let Some(full) = full {
            for band in 0..self.config.bands {
                let key = self.band_key(&full, band);
                let previous = self.heads[band].insert(key, slot).unwrap_or(NIL);
                self.next[slot as usize * self.config.bands + band] = previous;
            }
        }
        if phone_key != 0 {
            self.by_phone.entry(phone_key).or_default().push(slot);
        }
        self.by_case
            .entry(hash_str(case_id))
            .or_default()
            .push(slot);
        self.live += 1;
    }

    /// Removes a case (closed long ago, merged, deleted). Returns whether it was indexed.
    pub fn remove(&mut self, case_id: &str) -> bool {
        let key = hash_str(case_id);
        let Some(slots) = self.by_case.get_mut(&key) else {
            return false;
        };
        let Some(pos) = slots
            .iter()
            .position(|&s| self.alive[s as usize] && &*self.case_ids[s as usize] == case_id)
        else {
            return false;
        };
        let slot = slots.swap_remove(pos);
        if slots.is_empty() {
            self.by_case.remove(&key);
        }
        // Band chains keep the dead slot (skipped on lookup); the phone
        // list is short, so drop it there.
        self.alive[slot as usize] = false;
        let phone = self.phones[slot as usize];
        if let Some(list) = self.by_phone.get_mut(&phone) {
            list.retain(|&s| s != slot);
            if list.is_empty() {
                self.by_phone.remove(&phone);
            }
        }
        self.live -= 1;
        true
    }

    /// Removes every case received before `cutoff_unix`; returns how many.
    pub fn remove_older_than(&mut self, cutoff_unix: i64) -> usize {
        let old: Vec<String> = (0..self.case_ids.len())
            .filter(|&s| self.alive[s] && self.received[s] < cutoff_unix)
            .map(|s| self.case_ids[s].to_string())
            .collect();
        old.iter().filter(|id| self.remove(id)).count()
    }

    /// Possible duplicates of a new message, best first: cases with a
    /// similar text (similarity ≥ `min_score`) or the same phone number.
    pub fn candidates(
        &self,
        phone: Option<&str>,
        text: &str,
        limit: usize,
    ) -> Vec<DuplicateCandidate> {
        self.candidates_excluding(phone, text, limit, None)
    }

    /// As [`Self::candidates`], leaving out one case id (the case itself when
    /// it is already indexed).
    pub fn candidates_excluding(
        &self,
        phone: Option<&str>,
        text: &str,
        limit: usize,
        exclude: Option<&str>,
    ) -> Vec<DuplicateCandidate> {
        let full = self.minhash(text);
        let phone_key = phone.and_then(phone_key).unwrap_or(0);
        let mut slots: FxHashSet<u32> = FxHashSet::default();
        if let Some(full) = &full {
            for band in 0..self.config.bands {
                let mut slot = self.heads[band]
                    .get(&self.band_key(full, band))
                    .copied()
                    .unwrap_or(NIL);
                let mut scanned = 0;
                while slot != NIL && scanned < self.config.max_bucket_scan {
                    slots.insert(slot);
                    scanned += 1;
                    slot = self.next[slot as usize * self.config.bands + band];
                }
            }
        }
        if phone_key != 0 {
            if let Some(list) = self.by_phone.get(&phone_key) {
                slots.extend(list.iter().copied());
            }
        }
        let query = full.map(|f| compress(&f));
        let mut out: Vec<DuplicateCandidate> = slots
            .into_iter()
            .filter(|&s| {
                self.alive[s as usize] && exclude.is_none_or(|e| &*self.case_ids[s as usize] != e)
            })
            .filter_map(|s| {
                let s = s as usize;
                let text_similarity = match &query {
                    Some(q) if self.has_text[s] => similarity(q, &self.signatures[s]),
                    _ => 0.0,
                };
                let same_phone = phone_key != 0 && self.phones[s] == phone_key;
                if text_similarity < self.config.min_score && !same_phone {
                    return None;
                }
                let bonus = if same_phone {
                    self.config.phone_bonus
                } else {
                    0.0
                };
                Some(DuplicateCandidate {
                    case_id: self.case_ids[s].to_string(),
                    score: (text_similarity + bonus).min(1.0),
                    text_similarity,
                    same_phone,
                    received_at_unix: self.received[s],
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| b.received_at_unix.cmp(&a.received_at_unix))
                .then_with(|| a.case_id.cmp(&b.case_id))
        });
        out.truncate(limit);
        out
    }

    /// Estimated similarity of two texts, the same measure `candidates` reports.
    pub fn text_similarity(&self, a: &str, b: &str) -> f32 {
        match (self.minhash(a), self.minhash(b)) {
            (Some(x), Some(y)) => similarity(&compress(&x), &compress(&y)),
            _ => 0.0,
        }
    }

    /// MinHash of the character 3-gram set of the content characters;
    /// `None` for a text with no content.
    fn minhash(&self, text: &str) -> Option<[u32; SIGNATURE_LEN]> {
        let chars: Vec<char> = normalize(text)
            .chars()
            .filter(|c| !is_noise_char(*c))
            .collect();
        if chars.is_empty() {
            return None;
        }
        let mut shingles: Vec<u64> = if chars.len() < 3 {
            vec![hash_chars(&chars)]
        } else {
            chars.windows(3).map(hash_chars).collect()
        };
        shingles.sort_unstable();
        shingles.dedup();
        let mut sig = [u32::MAX; SIGNATURE_LEN];
        for &sh in &shingles {
            // Multiply-shift hashing of the (already mixed) shingle hash:
            // one multiply per function instead of a full mix.
            let sh = splitmix(sh);
            for (slot, seed) in sig.iter_mut().zip(&self.seeds) {
                let h = (sh.wrapping_mul(*seed | 1) >> 32) as u32;
                if h < *slot {
                    *slot = h;
                }
            }
        }
        Some(sig)
    }

    fn band_key(&self, sig: &[u32; SIGNATURE_LEN], band: usize) -> u32 {
        let rows = self.config.rows_per_band;
        let mut h = FxHasher::default();
        sig[band * rows..(band + 1) * rows].hash(&mut h);
        h.finish() as u32
    }
}

/// Fraction of equal MinHash values ≈ Jaccard similarity of the shingle sets.
fn similarity(a: &[u16; SIGNATURE_LEN], b: &[u16; SIGNATURE_LEN]) -> f32 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f32 / SIGNATURE_LEN as f32
}

/// Keeps 16 bits of each value: equal values stay equal, unequal ones
/// collide with probability 1/65536, which barely moves the estimate.
fn compress(sig: &[u32; SIGNATURE_LEN]) -> [u16; SIGNATURE_LEN] {
    let mut out = [0u16; SIGNATURE_LEN];
    for (o, s) in out.iter_mut().zip(sig) {
        *o = (*s >> 16) as u16;
    }
    out
}

fn hash_chars(chars: &[char]) -> u64 {
    let mut h = FxHasher::default();
    chars.hash(&mut h);
    h.finish()
}

fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

/// Digits of a phone number (country prefix 86 dropped); masked or too
/// short numbers do not count.
fn phone_key(phone: &str) -> Option<u64> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let digits = digits
        .strip_prefix("86")
        .filter(|d| d.len() == 11)
        .unwrap_or(&digits);
    (digits.len() >= 7 && !phone.contains('*')).then(|| hash_str(digits) | 1)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "A市A3区中海国际社区三期与四期中间空地夜间施工噪音扰民，每天晚上十点到凌晨五点挖土机作业，严重影响居民休息。";

    #[test]
    fn finds_near_copy_and_same_phone() {
        let mut index = DuplicateIndex::default();
        index.insert("c1", Some("13800001111"), TEXT, 10);
        index.insert(
            "c2",
            None,
            "A7县交通信号灯时间太短，行人过马路来不及，建议延长绿灯时间。",
            20,
        );
        index.insert(
            "c3",
            Some("138-0000-1111"),
            "咨询身份证补办需要什么材料",
            30,
        );
        let near = format!("{TEXT}请尽快处理！");
        let found = index.candidates(None, &near, 5);
        assert_eq!(found[0].case_id, "c1");
        assert!(found[0].text_similarity > 0.8);
        assert_eq!(found.len(), 1);
        let by_phone = index.candidates(Some("+86 13800001111"), "完全不同的内容", 5);
        let ids: Vec<_> = by_phone.iter().map(|c| c.case_id.as_str()).collect();
        assert_eq!(ids.len(), 2, "{ids:?}");
        assert!(by_phone.iter().all(|c| c.same_phone));
    }

    #[test]
    fn remove_and_reinsert() {
        let mut index = DuplicateIndex::default();
        index.insert("c1", None, TEXT, 10);
        assert!(index.remove("c1"));
        assert!(!index.remove("c1"));
        assert!(index.candidates(None, TEXT, 5).is_empty());
        index.insert("c1", None, TEXT, 11);
        index.insert("c1", None, TEXT, 12);
        assert_eq!(index.len(), 1);
        assert_eq!(index.candidates(None, TEXT, 5).len(), 1);
        assert_eq!(index.remove_older_than(100), 1);
        assert!(index.is_empty());
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let mut index = DuplicateIndex::default();
        for (i, t) in ["", "  ", "a", "😀😀", &"长".repeat(100_000)]
            .iter()
            .enumerate()
        {
            index.insert(&i.to_string(), Some("***"), t, 0);
            let _ = index.candidates(Some(""), t, 3);
        }
        assert!(index.candidates(None, "", 3).is_empty());
    }
}
