//! Finding the district and street a message is about.

use crate::org::{short_place, UnitProfile};
use crate::text::normalize;

/// Where a message happens, as far as the org tree's names tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub district: Option<String>,
    pub street: Option<String>,
}

/// Characters that, right after an anonymised district name, show it is part
/// of a road/mountain/river name ("A1区路", "A3区大道") rather than a district.
const NAME_CONTINUATIONS: &[&str] = &["路", "山", "河", "坡", "大道"];

/// Place-name matcher built from the org tree.
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    /// (surface form, canonical district), longest first.
    districts: Vec<(String, String)>,
    /// (surface form, canonical street), longest first.
    streets: Vec<(String, String)>,
}

impl Gazetteer {
    pub fn new(units: &[UnitProfile]) -> Self {
        let mut districts = Vec::new();
        let mut streets = Vec::new();
        for unit in units {
            for d in &unit.districts {
                districts.push((normalize(d), d.clone()));
                if let Some(short) = short_place(d) {
                    districts.push((normalize(short), d.clone()));
                }
            }
            for s in &unit.streets {
                streets.push((normalize(s), s.clone()));
                if let Some(short) = short_place(s) {
                    streets.push((normalize(short), s.clone()));
                }
            }
        }
        for list in [&mut districts, &mut streets] {
            list.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
            list.dedup();
        }
        Self { districts, streets }
    }

    /// Looks in the address first, then the title, then the detail.
    pub fn locate(&self, address: Option<&str>, title: &str, detail: &str) -> Location {
        let mut location = Location::default();
        for text in [address.unwrap_or(""), title, detail] {
            let text = normalize(text);
            if location.street.is_none() {
                location.street = first_match(&self.streets, &text);
            }
            if location.district.is_none() {
                location.district = first_match(&self.districts, &text);
            }
        }
        location
    }
}

/// The earliest mention in `text`; among mentions at the same place, the longest.
fn first_match(names: &[(String, String)], text: &str) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for (surface, canonical) in names {
        let mut from = 0;
        while let Some(pos) = text[from..].find(surface.as_str()) {
            let at = from + pos;
            let after = &text[at + surface.len()..];
            let is_alias = surface.starts_with(|c: char| c.is_ascii_alphanumeric());
            if !(is_alias && NAME_CONTINUATIONS.iter().any(|c| after.starts_with(c))) {
                if best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, canonical));
                }
                break;
            }
            from = at + surface.len();
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// What kind of place a mention names; two mentions conflict only when
/// they are of the same kind (a city and a district of it do not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlaceKind {
    /// "A市", "B9市", "K市" (anonymised cities).
    City,
    /// "A3区", "A7县", "K3县" (anonymised districts and counties).
    District,
    /// An estate, village, school or hospital: "英祥春天小区", "涉外经济学院".
    Named,
}

/// A place named in a message, with its byte range in the normalised text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceMention {
    pub kind: PlaceKind,
    pub name: String,
    pub start: usize,
    pub end: usize,
}

/// Endings of estate, village, school and hospital names: the places that
/// one complaint template is re-used for.
const NAMED_PLACE_SUFFIXES: &[&str] = &[
    "小区",
    "花园",
    "家园",
    "公寓",
    "新村",
    "新城",
    "社区",
    "村",
    "学校",
    "中学",
    "小学",
    "幼儿园",
    "学院",
    "大学",
    "医院",
];

/// Characters that do not occur inside a place name (function words,
/// verbs of complaint, punctuation): a name is the run of other characters
/// right before its suffix.
const NOT_IN_NAMES: &str = "的在是我们了和与及到从对把被有个这那一该位于向给让也都就又还很请问为因所以其或而且但已将要能会可说着过吗呢吧啊您你他她它设置立反映投诉举报关希望建议咨询如何什么怎么为何市区县路街道镇乡";

/// Places named in `text` (normalised first): anonymised cities and
/// districts ("A市", "A3区"; "A1区路"-style road names are skipped) and
/// estate/school/hospital names (up to 5 name characters before a suffix
/// such as 小区 or 学校).
pub fn place_mentions(text: &str) -> Vec<PlaceMention> {
    let text = normalize(text);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(text.len(), |c| c.0);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        // Anonymised names: a capital letter, up to two digits, 市/区/县.
        if c.is_ascii_lowercase() && c <= 'm' && (i == 0 || !chars[i - 1].1.is_ascii_alphanumeric())
        {
            let mut j = i + 1;
            while j < chars.len() && j - i <= 2 && chars[j].1.is_ascii_digit() {
                j += 1;
            }
            if let Some(&(_, suffix)) = chars.get(j) {
                let kind = match suffix {
                    '市' => Some(PlaceKind::City),
                    '区' | '县' => Some(PlaceKind::District),
                    _ => None,
                };
                let after = &text[byte_at(j + 1)..];
                let road = NAME_CONTINUATIONS.iter().any(|c| after.starts_with(c));
                if let (Some(kind), false) = (kind, road) {
                    out.push(PlaceMention {
                        kind,
                        name: text[byte_at(i)..byte_at(j + 1)].to_string(),
                        start: byte_at(i),
                        end: byte_at(j + 1),
                    });
                    i = j + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    for suffix in NAMED_PLACE_SUFFIXES {
        for (at, _) in text.match_indices(suffix) {
            let Some(first) = chars.iter().position(|c| c.0 == at) else {
                continue;
            };
            let mut start = first;
            while start > 0
                && first - start < 5
                && !NOT_IN_NAMES.contains(chars[start - 1].1)
                && !crate::text::is_noise_char(chars[start - 1].1)
                && !chars[start - 1].1.is_ascii_digit()
            {
                start -= 1;
            }
            let end = at + suffix.len();
            // A bare suffix ("小区") or a one-character stem names no particular place.
            if first - start >= 2
                && !out
                    .iter()
                    .any(|m| m.start <= byte_at(start) && m.end >= end)
            {
                out.push(PlaceMention {
                    kind: PlaceKind::Named,
                    name: text[byte_at(start)..end].to_string(),
                    start: byte_at(start),
                    end,
                });
            }
        }
    }
    out.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    out
}

impl PlaceMention {
    /// The distinctive part: an estate or school name without its suffix
    /// ("英祥春天" of "英祥春天小区", so "我是英祥春天的业主" still mentions
    /// it); anonymised names whole.
    pub fn stem(&self) -> &str {
        if self.kind == PlaceKind::Named {
            if let Some(suffix) = NAMED_PLACE_SUFFIXES
                .iter()
                .find(|s| self.name.ends_with(*s))
            {
                let stem = &self.name[..self.name.len() - suffix.len()];
                if stem.chars().count() >= 2 {
                    return stem;
                }
            }
        }
        &self.name
    }
}

/// The title of a "title\ncontent" text: where a complaint template names
/// its estate, school or city.
pub fn title_of(text: &str) -> &str {
    crate::text::truncate_chars(text.split('\n').next().unwrap_or(""), 100)
}

/// True when each title names a place of the same kind that the other
/// message never mentions: "A4区英祥春天小区…" against "A5区魅力之城小区…".
/// One message naming an extra place, a city against one of its districts,
/// or an estate named once with and once without "小区" is no conflict.
pub fn places_conflict(text_a: &str, text_b: &str) -> bool {
    let (a, b) = (
        place_mentions(title_of(text_a)),
        place_mentions(title_of(text_b)),
    );
    let (full_a, full_b) = (normalize(text_a), normalize(text_b));
    [PlaceKind::City, PlaceKind::District, PlaceKind::Named]
        .into_iter()
        .any(|kind| {
            let only = |x: &[PlaceMention], other: &str| {
                x.iter()
                    .any(|m| m.kind == kind && !other.contains(m.stem()))
            };
            only(&a, &full_b) && only(&b, &full_a)
        })
}

/// The text with every place mention replaced by "□", to compare what two
/// messages say apart from where.
pub fn mask_places(text: &str, mentions: &[PlaceMention]) -> String {
    let text = normalize(text);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in mentions {
        if m.start < last || m.end > text.len() {
            continue;
        }
        out.push_str(&text[last..m.start]);
        out.push('□');
        last = m.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(districts: &[&str], streets: &[&str]) -> UnitProfile {
        UnitProfile {
            id: "u".into(),
            code: "u".into(),
            name: "u".into(),
            level: 3,
            parent: None,
            kind: "派出所".into(),
            police_line: None,
            districts: districts.iter().map(|s| (*s).to_string()).collect(),
            streets: streets.iter().map(|s| (*s).to_string()).collect(),
        }
    }

    #[test]
    fn finds_places_of_a_template() {
        let names = |t: &str| -> Vec<(PlaceKind, String)> {
            place_mentions(t)
                .into_iter()
                .map(|m| (m.kind, m.name))
                .collect()
        };
        assert_eq!(
            names("A4区英祥春天小区一楼被搞成商业门面，A1区路口也吵"),
            vec![
                (PlaceKind::District, "a4区".to_string()),
                (PlaceKind::Named, "英祥春天小区".to_string())
            ]
        );
        assert_eq!(
            names("B市到A市什么时候开通地铁"),
            vec![
                (PlaceKind::City, "b市".to_string()),
                (PlaceKind::City, "a市".to_string())
            ]
        );
        let a = "A4区英祥春天小区一楼被搞成商业门面，噪音扰民严重";
        let b = "A5区魅力之城小区一楼被搞成商业门面，噪音扰民严重";
        let c = "A市一楼商业门面噪音扰民\n我是英祥春天的业主，A4区，一楼商业门面";
        assert!(places_conflict(a, b));
        assert!(!places_conflict(a, c));
        assert!(!places_conflict(
            "B市到A市开通地铁",
            "B市到A市什么时候开通地铁？"
        ));
        assert!(places_conflict(
            "B市到A市开通地铁",
            "C市到A市什么时候开通地铁？"
        ));
        assert_eq!(
            mask_places(a, &place_mentions(a)),
            "□□一楼被搞成商业门面,噪音扰民严重"
        );
    }

    #[test]
    fn skips_road_names_made_from_district_aliases() {
        let g = Gazetteer::new(&[unit(&["A1区", "A3区"], &[])]);
        let loc = g.locate(None, "A1区路口红绿灯太短", "位于A3区的路口");
        assert_eq!(loc.district.as_deref(), Some("A3区"));
    }

    #[test]
    fn address_wins_and_short_names_match() {
        let g = Gazetteer::new(&[unit(&["历下区", "A1区"], &["泉城路街道"])]);
        let loc = g.locate(Some("历下泉城路100号"), "A3区", "");
        assert_eq!(loc.district.as_deref(), Some("历下区"));
        assert_eq!(loc.street.as_deref(), Some("泉城路街道"));
    }
}
