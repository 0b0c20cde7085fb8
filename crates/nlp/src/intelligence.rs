//! What the server calls at intake and dispatch: classification plus
//! handling-unit and supervising-unit suggestions.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::{Engine, Scored};
use crate::error::Result;
use crate::location::Gazetteer;
use crate::model_dir::{Manifest, ModelDir};
use crate::org::UnitProfile;

/// Unit-kind label meaning "not a police matter".
pub const NOT_POLICE: &str = "非公安";
const SUGGESTED_UNITS: usize = 3;
const REASON_WORDS: usize = 4;

/// Classification of one message (cheap; no explanations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Classification {
    /// (is it a police matter, probability that it is).
    pub police_related: (bool, f32),
    pub category: Vec<Scored>,
    pub request_type: Vec<Scored>,
    pub unit_kind: Vec<Scored>,
}

/// A suggested handling unit with the evidence shown to the clerk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitSuggestion {
    pub unit_id: String,
    pub unit_name: String,
    pub score: f32,
    /// Words from the message that drove the suggestion (kind words first,
    /// then the place name that matched the unit's jurisdiction).
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    pub police_related: (bool, f32),
    pub category: Vec<Scored>,
    pub request_type: Vec<Scored>,
    pub unit_kind: Vec<Scored>,
    /// Best three, highest score first.
    pub handling_units: Vec<UnitSuggestion>,
    /// Id of the best handling unit's parent (its 分局/县局 or line 支队).
    pub supervising_unit: Option<String>,
    pub district: Option<String>,
    pub street: Option<String>,
    /// Words behind the top category, for the clerk.
    pub category_reasons: Vec<String>,
}

#[derive(Debug)]
pub struct Intelligence {
    engine: Engine,
    manifest: Option<Manifest>,
    units: Vec<UnitProfile>,
    gazetteer: Gazetteer,
}

impl Intelligence {
    /// Loads `model_dir` (written by `minsheng-nlp train`/`retrain`).
    pub fn load(model_dir: &Path, units: Vec<UnitProfile>) -> Result<Self> {
        let dir = ModelDir::load(model_dir)?;
        let mut me = Self::from_models(dir.engine, units);
        me.manifest = Some(dir.manifest);
        Ok(me)
    }

    pub fn from_models(engine: Engine, units: Vec<UnitProfile>) -> Self {
        let gazetteer = Gazetteer::new(&units);
        Self {
            engine,
            manifest: None,
            units,
            gazetteer,
        }
    }

    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Replaces the org tree (units renamed, jurisdictions changed).
    pub fn set_units(&mut self, units: Vec<UnitProfile>) {
        self.gazetteer = Gazetteer::new(&units);
        self.units = units;
    }

    /// Classifies a message for bulk feeds (12345 etc.). Tasks missing from
    /// the model yield empty lists and `police_related = (false, 0.0)`.
    pub fn classify(&self, title: &str, content: &str) -> Classification {
        let row = self.engine.vectorize(title, content);
        let mut all = self.engine.scores_all(&row);
        let mut scores = |task: &str| all.remove(task).unwrap_or_default();
        let police = scores("police_related");
        let p_police = police
            .iter()
            .find(|s| s.label == "1")
            .map_or(0.0, |s| s.score);
        Classification {
            // Strictly above one half: a text the model knows nothing about
            // scores exactly 0.5 and is not called a police matter.
            police_related: (p_police > 0.5, p_police),
            category: scores("category"),
            request_type: scores("request_type"),
            unit_kind: scores("unit_type"),
        }
    }

    /// Full suggestion for the dispatch screen.
    pub fn suggest(&self, title: &str, content: &str, address: Option<&str>) -> Suggestion {
        let c = self.classify(title, content);
        let location = self.gazetteer.locate(address, title, content);
        let place_reasons: Vec<&str> = location
            .street
            .iter()
            .chain(&location.district)
            .map(String::as_str)
            .collect();
        let police_kinds: Vec<&Scored> = c
            .unit_kind
            .iter()
            .filter(|s| s.label != NOT_POLICE)
            .collect();
        let total: f32 = police_kinds
            .iter()
            .map(|s| s.score)
            .sum::<f32>()
            .max(f32::EPSILON);
        let mut ranked: Vec<(f32, &UnitProfile, &str)> = Vec::new();
        for kind in &police_kinds {
            let p = kind.score / total;
            for unit in self.units.iter().filter(|u| u.kind == kind.label) {
                ranked.push((
                    p * jurisdiction_fit(
                        unit,
                        location.district.as_deref(),
                        location.street.as_deref(),
                    ),
                    unit,
                    &kind.label,
                ));
            }
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.code.cmp(&b.1.code)));
        ranked.truncate(SUGGESTED_UNITS);
        let handling_units: Vec<UnitSuggestion> = ranked
            .iter()
            .map(|(score, unit, kind)| {
                let mut reasons =
                    self.engine
                        .explain("unit_type", kind, title, content, REASON_WORDS);
                for place in &place_reasons {
                    if covers(unit, Some(place), Some(place)) {
                        reasons.push((*place).to_string());
                    }
                }
                if reasons.is_empty() {
                    // No word of the text stands out: the clerk still learns why — the
                    // kind of unit the model judged the matter to need.
                    reasons.push(format!("单位类型：{kind}"));
                }
                UnitSuggestion {
                    unit_id: unit.id.clone(),
                    unit_name: unit.name.clone(),
                    score: *score,
                    reasons,
                }
            })
            .collect();
        let supervising_unit = ranked
            .first()
            .and_then(|(_, unit, _)| self.supervisor_of(unit));
        let category_reasons = c
            .category
            .first()
            .map(|top| {
                self.engine
                    .explain("category", &top.label, title, content, REASON_WORDS)
            })
            .unwrap_or_default();
        Suggestion {
            police_related: c.police_related,
            category: c.category,
            request_type: c.request_type,
            unit_kind: c.unit_kind,
            handling_units,
            supervising_unit,
            district: location.district,
            street: location.street,
            category_reasons,
        }
    }

    /// The handling unit's parent; for a unit without one, the 支队 of its police line.
    pub fn supervisor_of(&self, unit: &UnitProfile) -> Option<String> {
        if let Some(parent) = &unit.parent {
            return Some(parent.clone());
        }
        let line = unit.police_line.as_deref()?;
        self.units
            .iter()
            .find(|u| u.id != unit.id && u.kind == "支队" && u.police_line.as_deref() == Some(line))
            .map(|u| u.id.clone())
    }
}

/// How well a unit's jurisdiction fits where the message happens:
/// street match > district match > unknown place > another district.
fn jurisdiction_fit(unit: &UnitProfile, district: Option<&str>, street: Option<&str>) -> f32 {
    if street.is_some() && unit.streets.iter().any(|s| Some(s.as_str()) == street) {
        return 1.0;
    }
    match district {
        Some(d) if unit.districts.iter().any(|x| x == d) => {
            // A unit covering half the city is a weaker match than the local one.
            if unit.districts.len() > 4 {
                0.75
            } else {
                0.85
            }
        }
        Some(_) if unit.districts.is_empty() => 0.3,
        Some(_) => 0.05,
        None if unit.districts.len() > 4 || unit.districts.is_empty() => 0.4,
        None => 0.3,
    }
}

fn covers(unit: &UnitProfile, district: Option<&str>, street: Option<&str>) -> bool {
    unit.districts.iter().any(|d| Some(d.as_str()) == district)
        || unit.streets.iter().any(|s| Some(s.as_str()) == street)
}
