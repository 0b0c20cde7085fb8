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
