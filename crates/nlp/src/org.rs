//! The org tree as the classifier sees it: units, their kind and jurisdiction.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{NlpError, Result};

/// One unit of the org tree. `id` is whatever the server uses to refer to
/// the unit; `kind` uses the unit-type vocabulary of the classifier
/// (派出所, 交警大队, 车管所, 出入境管理, 治安户政, 刑侦, 经侦反诈, 督察, 网安)
/// or an organisational kind (分局, 县局, 支队, 市局, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitProfile {
    pub id: String,
    pub code: String,
    pub name: String,
    pub level: u8,
    /// Id of the parent unit.
    pub parent: Option<String>,
    pub kind: String,
    pub police_line: Option<String>,
    pub districts: Vec<String>,
    pub streets: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrgFile {
    units: Vec<OrgUnit>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrgUnit {
    code: String,
    name: String,
    level: u8,
    parent: Option<String>,
    kind: String,
    police_line: Option<String>,
    #[serde(default)]
    districts: Vec<String>,
    #[serde(default)]
    streets: Vec<String>,
}

/// Reads `{"units":[{code,name,level,parent,kind,policeLine,districts,streets}]}`
/// (the demo org file); unit ids are the codes.
pub fn load_org_units(path: &Path) -> Result<Vec<UnitProfile>> {
    let bytes = std::fs::read(path).map_err(|e| NlpError::io(path, e))?;
    let file: OrgFile = serde_json::from_slice(&bytes).map_err(|source| NlpError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(file
        .units
        .into_iter()
        .map(|u| UnitProfile {
            id: u.code.clone(),
            code: u.code,
            name: u.name,
            level: u.level,
            parent: u.parent,
            kind: u.kind,
            police_line: u.police_line,
            districts: u.districts,
            streets: u.streets,
        })
        .collect())
}

/// Place names and unit names for the segmenter's dictionary.
pub fn place_words(units: &[UnitProfile]) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for unit in units {
        words.push(unit.name.clone());
        words.extend(unit.districts.iter().cloned());
        for street in &unit.streets {
            words.push(street.clone());
            if let Some(short) = short_place(street) {
                words.push(short.to_string());
            }
        }
    }
    words.sort();
    words.dedup();
    words
}

/// "泉城路街道" → "泉城路", "历下区" → "历下": how people usually write them.
/// Anonymised aliases ("A3区") and one-character stems are not shortened.
pub fn short_place(name: &str) -> Option<&str> {
    if name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    ["街道", "镇", "乡", "区", "县", "市"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .filter(|stem| stem.chars().count() >= 2)
}
