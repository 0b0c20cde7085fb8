//! Duplicate detection at intake: an inverted index over the character
//! bigrams of every open or recent case, TF-IDF cosine re-ranking, a
//! place-name check against "same template, different place" texts, and an
//! index by caller phone.
//!
//! **Similarity.** Sublinear TF × IDF^`idf_power` over character bigrams of
//! the content characters, cosine. The IDF is the index's own (its live
//! document frequencies), so a phrase that thousands of cases share weighs
//! little and a rare name (a P2P platform, an estate) weighs a lot: the
//! measure that separates "same matter written differently" from "same
//! topic" on the labelled pairs. Two texts that each name a place of the
//! same kind the other does not (A4区英祥春天小区 / A5区魅力之城小区) have
//! their similarity multiplied by `place_penalty`.
//!
//! **Retrieval.** Term-at-a-time over the query's bigrams, rarest (heaviest)
//! first. A case that shares none of the bigrams read so far has a cosine of
//! at most ‖unread query weight‖ / ‖query‖ (Cauchy–Schwarz), so reading
//! stops once that bound is below `min_score`, or after `max_postings`
//! posting entries (newest first) to bound the worst case. The `rerank`
//! best partial scores are re-scored exactly. Partial scores divide by each
//! case's stored norm, refreshed with the current IDF whenever the index has
//! grown by a quarter, so cases indexed early are not favoured.
//!
//! Memory per case: its bigram list (5 B per distinct bigram) plus the same
//! in postings; ~2 KB for a 350-character message.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::duplicate_scoring::{has_all, hash_str, phone_key, places_conflict, profile, tf_weight};
use crate::duplicate_scoring::{Place, Profile};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DuplicateConfig {
    /// Bigram weight = (1 + ln tf) × idf^idf_power.
    pub idf_power: f32,
    /// Candidates below this text similarity are dropped (unless same phone).
    pub min_score: f32,
    /// Similarity from which two messages are judged the same matter
    /// (calibrated on labelled pairs by `minsheng-nlp train --pairs`).
    pub link_threshold: f32,
    /// Added to the ranking of a candidate from the same phone number.
    pub phone_bonus: f32,
    /// Factor on the similarity of two texts that name different places of
    /// the same kind (1 = no penalty).
    pub place_penalty: f32,
    /// At most this many posting entries are read per lookup.
    pub max_postings: usize,
    /// This many best partial scores are re-scored exactly.
    pub rerank: usize,
}

impl Default for DuplicateConfig {
    fn default() -> Self {
        Self {
            idf_power: 2.0,
            min_score: 0.05,
            link_threshold: 0.15,
            phone_bonus: 0.3,
            place_penalty: 0.5,
            max_postings: 200_000,
            rerank: 200,
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
    /// TF-IDF cosine of the two texts in [0, 1] (after the place penalty).
    pub text_similarity: f32,
    pub same_phone: bool,
    pub received_at_unix: i64,
}

/// Index of open and recent cases. Not thread-safe by itself: wrap it in a
/// `RwLock` on the server.
#[derive(Debug, Clone)]
pub struct DuplicateIndex {
    config: DuplicateConfig,
    term_ids: FxHashMap<u64, u32>,
    /// Live cases containing each term.
    df: Vec<u32>,
    /// Term → slots (oldest first; may hold removed slots until compaction).
    postings: Vec<Vec<u32>>,
    posting_tf: Vec<Vec<u8>>,
    /// Per slot: its terms (ids sorted) in `doc_terms`/`doc_tf` from `doc_start[slot]`.
    doc_start: Vec<usize>,
    doc_terms: Vec<u32>,
    doc_tf: Vec<u8>,
    /// Norm of the slot's vector under the IDF of the last refresh (for
    /// partial scores; see [`Self::refresh_norms`]).
    slot_norm: Vec<f32>,
    /// Live cases when the norms were last refreshed.
    norms_live: usize,
    places: Vec<Box<[Place]>>,
    case_ids: Vec<Box<str>>,
    received: Vec<i64>,
    phones: Vec<u64>,
    alive: Vec<bool>,
    by_case: FxHashMap<u64, Vec<u32>>,
    by_phone: FxHashMap<u64, Vec<u32>>,
    live: usize,
}

impl Default for DuplicateIndex {
    fn default() -> Self {
        Self::new(DuplicateConfig::default())
    }
}

impl DuplicateIndex {
    pub fn new(config: DuplicateConfig) -> Self {
        Self {
            config,
            term_ids: FxHashMap::default(),
            df: Vec::new(),
            postings: Vec::new(),
            posting_tf: Vec::new(),
            doc_start: vec![0],
            doc_terms: Vec::new(),
            doc_tf: Vec::new(),
            slot_norm: Vec::new(),
            norms_live: 0,
            places: Vec::new(),
            case_ids: Vec::new(),
            received: Vec::new(),
            phones: Vec::new(),
            alive: Vec::new(),
            by_case: FxHashMap::default(),
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
        let profile = profile(text);
        let slot = self.case_ids.len() as u32;
        let mut ids: Vec<(u32, u8)> = Vec::with_capacity(profile.terms.len());
        for &(key, tf) in &profile.terms {
            let next = self.df.len() as u32;
            let id = *self.term_ids.entry(key).or_insert(next);
            if id == next {
                self.df.push(0);
                self.postings.push(Vec::new());
                self.posting_tf.push(Vec::new());
            }
            self.df[id as usize] += 1;
            self.postings[id as usize].push(slot);
            self.posting_tf[id as usize].push(tf);
            ids.push((id, tf));
        }
        ids.sort_unstable();
        let norm = ids
            .iter()
            .map(|&(t, tf)| self.weight(t, tf).powi(2))
            .sum::<f32>()
            .sqrt();
        self.doc_terms.extend(ids.iter().map(|x| x.0));
        self.doc_tf.extend(ids.iter().map(|x| x.1));
        self.doc_start.push(self.doc_terms.len());
        self.slot_norm.push(norm.max(f32::MIN_POSITIVE));
        self.places.push(profile.places.into_boxed_slice());
        let phone_key = phone.and_then(phone_key).unwrap_or(0);
        self.case_ids.push(case_id.into());
        self.received.push(received_at_unix);
        self.phones.push(phone_key);
        self.alive.push(true);
        if phone_key != 0 {
            self.by_phone.entry(phone_key).or_default().push(slot);
        }
        self.by_case
            .entry(hash_str(case_id))
            .or_default()
            .push(slot);
        self.live += 1;
        if self.live > self.norms_live + self.norms_live / 4 + 64 {
            self.refresh_norms();
        }
    }

    /// Recomputes every slot's norm with the current IDF. Partial scores
    /// divide by the stored norm; a case inserted while the index was small
    /// has a norm from a flat IDF, far below its current one, so its partial
    /// scores were inflated and such early cases crowded the `rerank` set
    /// (measured with nlp-bench at 1M: see the commit). Done whenever the live
    /// count has grown by a quarter (amortised O(1) per insert) or halved.
    fn refresh_norms(&mut self) {
        let weights: Vec<f32> = self.df.iter().map(|&df| self.idf_weight(df)).collect();
        for slot in 0..self.case_ids.len() {
            let range = self.doc_start[slot]..self.doc_start[slot + 1];
            let norm = self.doc_terms[range.clone()]
                .iter()
                .zip(&self.doc_tf[range])
                .map(|(&t, &tf)| (tf_weight(tf) * weights[t as usize]).powi(2))
                .sum::<f32>()
                .sqrt();
            self.slot_norm[slot] = norm.max(f32::MIN_POSITIVE);
        }
        self.norms_live = self.live;
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
        let slot = slots.swap_remove(pos) as usize;
        if slots.is_empty() {
            self.by_case.remove(&key);
        }
        self.alive[slot] = false;
        for &t in &self.doc_terms[self.doc_start[slot]..self.doc_start[slot + 1]] {
            self.df[t as usize] -= 1;
        }
        let phone = self.phones[slot];
        if let Some(list) = self.by_phone.get_mut(&phone) {
            list.retain(|&s| s as usize != slot);
            if list.is_empty() {
                self.by_phone.remove(&phone);
            }
        }
        self.live -= 1;
        // Postings keep removed slots (skipped on lookup) until they are
        // the majority; then everything is rebuilt from the live cases.
        let dead = self.case_ids.len() - self.live;
        if dead > 1000 && dead > self.live {
            self.compact();
        }
        if self.live < self.norms_live / 2 {
            self.refresh_norms();
        }
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
        let query = self.query(&profile(text));
        let phone_key = phone.and_then(phone_key).unwrap_or(0);
        let mut slots = self.retrieve(&query);
        if phone_key != 0 {
            if let Some(list) = self.by_phone.get(&phone_key) {
                slots.extend(list.iter().copied());
            }
        }
        slots.sort_unstable();
        slots.dedup();
        let mut out: Vec<DuplicateCandidate> = slots
            .into_iter()
            .filter(|&s| {
                self.alive[s as usize] && exclude.is_none_or(|e| &*self.case_ids[s as usize] != e)
            })
            .filter_map(|s| {
                let s = s as usize;
                let text_similarity = self.similarity_to_slot(&query, s);
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

    /// Similarity of two texts with this index's IDF, the measure
    /// `candidates` reports (neither text needs to be indexed).
    pub fn text_similarity(&self, a: &str, b: &str) -> f32 {
        let (pa, pb) = (profile(a), profile(b));
        let (qa, qb) = (self.query(&pa), self.query(&pb));
        let mut dot = 0.0;
        let (mut i, mut j) = (0, 0);
        while i < qa.terms.len() && j < qb.terms.len() {
            match qa.terms[i].0.cmp(&qb.terms[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += qa.terms[i].1 * qb.terms[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        let cosine = dot / (qa.norm * qb.norm).max(f32::MIN_POSITIVE);
        let conflict = places_conflict(
            &pa.places,
            |k| has_all(&pa.terms, k),
            &pb.places,
            |k| has_all(&pb.terms, k),
        );
        self.penalise(cosine.clamp(0.0, 1.0), conflict)
    }

    /// Whether the titles of two texts name different places of the same
    /// kind (the check behind `place_penalty`).
    pub fn places_differ(a: &str, b: &str) -> bool {
        let (pa, pb) = (profile(a), profile(b));
        places_conflict(
            &pa.places,
            |k| has_all(&pa.terms, k),
            &pb.places,
            |k| has_all(&pb.terms, k),
        )
    }

    fn penalise(&self, similarity: f32, places_conflict: bool) -> f32 {
        if places_conflict {
            similarity * self.config.place_penalty
        } else {
            similarity
        }
    }

    fn idf(&self, df: u32) -> f32 {
        ((1.0 + self.live as f32) / (1.0 + df as f32)).ln() + 1.0
    }

    fn weight(&self, term: u32, tf: u8) -> f32 {
        tf_weight(tf) * self.idf_weight(self.df[term as usize])
    }

    /// idf^idf_power; integral powers (the usual 1–3) by multiplication,
    /// which is several times cheaper than `powf` on this hot path.
    fn idf_weight(&self, df: u32) -> f32 {
        let idf = self.idf(df);
        let p = self.config.idf_power;
        if p.fract() == 0.0 && (0.0..=8.0).contains(&p) {
            idf.powi(p as i32)
        } else {
            idf.powf(p)
        }
    }

    /// The query's weights: known terms as (term id, weight) sorted by id
    /// (unknown terms have the IDF of a term no case has), and its norm.
    /// Terms unknown to the index get pseudo ids past the vocabulary, so
    /// they still match between two queries in `text_similarity`.
    fn query(&self, profile: &Profile) -> Query {
        let profile = profile.clone();
        let unseen = self.idf_weight(0);
        let mut terms: Vec<(u32, f32, bool)> = profile
            .terms
            .iter()
            .map(|&(key, tf)| match self.term_ids.get(&key) {
                Some(&id) if self.df[id as usize] > 0 => (id, self.weight(id, tf), true),
                // Pseudo ids above every real id (real ids stay far below 2^31).
                _ => (
                    u32::MAX - (key % (1 << 31)) as u32,
                    tf_weight(tf) * unseen,
                    false,
                ),
            })
            .collect();
        terms.sort_unstable_by_key(|t| t.0);
        let norm = terms.iter().map(|t| t.1 * t.1).sum::<f32>().sqrt();
        Query {
            known: terms.iter().filter(|t| t.2).map(|t| (t.0, t.1)).collect(),
            terms: terms.iter().map(|t| (t.0, t.1)).collect(),
            norm,
            places: profile.places,
            profile_terms: profile.terms,
        }
    }

    /// Slots worth re-scoring: term-at-a-time over the heaviest query terms
    /// (see the module doc for the stopping rule).
    fn retrieve(&self, query: &Query) -> Vec<u32> {
        if query.norm <= 0.0 {
            return Vec::new();
        }
        let mut order: Vec<(u32, f32)> = query.known.clone();
        order.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut remaining: f32 = order.iter().map(|t| t.1 * t.1).sum();
        let mut budget = self.config.max_postings;
        let mut partial: FxHashMap<u32, f32> = FxHashMap::default();
        for (term, wq) in order {
            if remaining.max(0.0).sqrt() / query.norm < self.config.min_score || budget == 0 {
                break;
            }
            remaining -= wq * wq;
            let idf_w = self.idf_weight(self.df[term as usize]);
            let list = &self.postings[term as usize];
            let tfs = &self.posting_tf[term as usize];
            let from = list.len().saturating_sub(budget);
            budget -= list.len() - from;
            for (&slot, &tf) in list[from..].iter().zip(&tfs[from..]).rev() {
                let wd = tf_weight(tf) * idf_w / self.slot_norm[slot as usize];
                *partial.entry(slot).or_insert(0.0) += wq * wd;
            }
        }
        let mut ranked: Vec<(u32, f32)> = partial
            .into_iter()
            .filter(|&(s, _)| self.alive[s as usize])
            .collect();
        let keep = self.config.rerank.max(1);
        if ranked.len() > keep {
            ranked.select_nth_unstable_by(keep - 1, |a, b| b.1.total_cmp(&a.1));
            ranked.truncate(keep);
        }
        ranked.into_iter().map(|(s, _)| s).collect()
    }

    /// Exact similarity of the query to an indexed case with current IDF.
    fn similarity_to_slot(&self, query: &Query, slot: usize) -> f32 {
        let range = self.doc_start[slot]..self.doc_start[slot + 1];
        let (terms, tfs) = (&self.doc_terms[range.clone()], &self.doc_tf[range]);
        let mut norm = 0.0f32;
        let mut dot = 0.0f32;
        let mut j = 0;
        for (&t, &tf) in terms.iter().zip(tfs) {
            let w = self.weight(t, tf);
            norm += w * w;
            while j < query.known.len() && query.known[j].0 < t {
                j += 1;
            }
            if j < query.known.len() && query.known[j].0 == t {
                dot += w * query.known[j].1;
            }
        }
        let cosine = dot / (norm.sqrt() * query.norm).max(f32::MIN_POSITIVE);
        let slot_has = |keys: &[u64]| {
            keys.iter().all(|k| {
                self.term_ids
                    .get(k)
                    .is_some_and(|id| terms.binary_search(id).is_ok())
            })
        };
        let conflict = places_conflict(
            &query.places,
            |k| has_all(&query.profile_terms, k),
            &self.places[slot],
            slot_has,
        );
        self.penalise(cosine.clamp(0.0, 1.0), conflict)
    }

    /// Rebuilds postings and term lists from the live cases only.
    fn compact(&mut self) {
        let mut fresh = Self::new(self.config.clone());
        for slot in (0..self.case_ids.len()).filter(|&s| self.alive[s]) {
            let new_slot = fresh.case_ids.len() as u32;
            let range = self.doc_start[slot]..self.doc_start[slot + 1];
            for (&t, &tf) in self.doc_terms[range.clone()]
                .iter()
                .zip(&self.doc_tf[range])
            {
                let t = t as usize;
                if fresh.postings.len() <= t {
                    fresh.postings.resize(t + 1, Vec::new());
                    fresh.posting_tf.resize(t + 1, Vec::new());
                    fresh.df.resize(t + 1, 0);
                }
                fresh.postings[t].push(new_slot);
                fresh.posting_tf[t].push(tf);
                fresh.df[t] += 1;
                fresh.doc_terms.push(t as u32);
                fresh.doc_tf.push(tf);
            }
            fresh.doc_start.push(fresh.doc_terms.len());
            fresh.slot_norm.push(self.slot_norm[slot]);
            fresh.places.push(self.places[slot].clone());
            fresh.case_ids.push(self.case_ids[slot].clone());
            fresh.received.push(self.received[slot]);
            fresh.phones.push(self.phones[slot]);
            fresh.alive.push(true);
            if self.phones[slot] != 0 {
                fresh
                    .by_phone
                    .entry(self.phones[slot])
                    .or_default()
                    .push(new_slot);
            }
            fresh
                .by_case
                .entry(hash_str(&self.case_ids[slot]))
                .or_default()
                .push(new_slot);
            fresh.live += 1;
        }
        let width = self.df.len();
        fresh.postings.resize(width, Vec::new());
        fresh.posting_tf.resize(width, Vec::new());
        fresh.df.resize(width, 0);
        // Term ids are kept, so the key → id map carries over.
        fresh.term_ids = std::mem::take(&mut self.term_ids);
        fresh.norms_live = self.norms_live;
        *self = fresh;
    }
}

#[derive(Debug)]
struct Query {
    /// Terms present in the index, sorted by id.
    known: Vec<(u32, f32)>,
    /// All terms (unknown ones with pseudo ids), sorted by id.
    terms: Vec<(u32, f32)>,
    norm: f32,
    places: Vec<Place>,
    /// The query's bigram keys with counts, sorted by key.
    profile_terms: Vec<(u64, u8)>,
}

#[cfg(test)]
#[path = "duplicates_tests.rs"]
mod tests;
