//! How the duplicate index sees a message: its character-bigram profile,
//! the places its title names, the term-frequency weight, the place check
//! behind `place_penalty`, and the phone key.

use crate::location::{place_mentions, title_of, PlaceKind};
use crate::text::{content_chars, normalize, truncate_chars};

/// Characters of a message that are indexed (after normalisation).
const INDEXED_CHARS: usize = 3000;

/// A message as the index sees it: bigram keys with counts, sorted by key,
/// and the places its title names (kind, bigram keys of the name's stem).
#[derive(Debug, Clone, Default)]
pub(crate) struct Profile {
    pub(crate) terms: Vec<(u64, u8)>,
    pub(crate) places: Vec<Place>,
}

/// A place named in a title: its kind and the bigram keys of its stem, so
/// "is it mentioned in the other text" is a lookup in that text's bigrams.
pub(crate) type Place = (u8, Box<[u64]>);

fn bigram_keys(chars: &[char]) -> Vec<u64> {
    if chars.len() == 1 {
        vec![1 << 42 | u64::from(chars[0])]
    } else {
        chars
            .windows(2)
            .map(|w| u64::from(w[0]) << 21 | u64::from(w[1]))
            .collect()
    }
}

pub(crate) fn profile(text: &str) -> Profile {
    let normalized = normalize(text);
    let chars = content_chars(truncate_chars(&normalized, INDEXED_CHARS));
    let mut keys = bigram_keys(&chars);
    keys.sort_unstable();
    let mut terms: Vec<(u64, u8)> = Vec::with_capacity(keys.len());
    for k in keys {
        match terms.last_mut() {
            Some((last, tf)) if *last == k => *tf = tf.saturating_add(1),
            _ => terms.push((k, 1)),
        }
    }
    let places = place_mentions(title_of(text))
        .into_iter()
        .map(|m| {
            let kind = match m.kind {
                PlaceKind::City => 0,
                PlaceKind::District => 1,
                PlaceKind::Named => 2,
            };
            let stem: Vec<char> = content_chars(m.stem());
            (kind, bigram_keys(&stem).into_boxed_slice())
        })
        .filter(|(_, keys)| !keys.is_empty())
        .collect();
    Profile { terms, places }
}

/// True when, for some kind of place, each title names one that the other
/// text does not contain (`contains_a(keys)`: all of a place's bigrams occur
/// in text a) — `location::places_conflict` on bigrams.
pub(crate) fn places_conflict(
    a: &[Place],
    contains_a: impl Fn(&[u64]) -> bool,
    b: &[Place],
    contains_b: impl Fn(&[u64]) -> bool,
) -> bool {
    (0..3).any(|kind| {
        a.iter().any(|(k, keys)| *k == kind && !contains_b(keys))
            && b.iter().any(|(k, keys)| *k == kind && !contains_a(keys))
    })
}

pub(crate) fn has_all(terms: &[(u64, u8)], keys: &[u64]) -> bool {
    keys.iter()
        .all(|k| terms.binary_search_by_key(k, |t| t.0).is_ok())
}

/// Sublinear term frequency, 1 + ln tf (1 for the common tf = 1).
pub(crate) fn tf_weight(tf: u8) -> f32 {
    if tf <= 1 {
        1.0
    } else {
        1.0 + f32::from(tf).ln()
    }
}

pub(crate) fn hash_str(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

/// Digits of a phone number (country prefix 86 dropped); masked or too
/// short numbers do not count.
pub(crate) fn phone_key(phone: &str) -> Option<u64> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let digits = digits
        .strip_prefix("86")
        .filter(|d| d.len() == 11)
        .unwrap_or(&digits);
    (digits.len() >= 7 && !phone.contains('*')).then(|| hash_str(digits) | 1)
}
