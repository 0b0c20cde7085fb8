//! Versioned model directories: `manifest.json` + `model.bin`.
//!
//! A new training run writes into a directory; when the directory already
//! holds a model, the new one gets the next version number and the old
//! files are kept as `model.v{N}.bin` / `manifest.v{N}.json` so a bad
//! retrain can be rolled back by copying them back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::duplicates::DuplicateConfig;
use crate::engine::{Engine, ModelSet, MODEL_FORMAT};
use crate::error::{NlpError, Result};
use crate::metrics::ClassMetrics;

pub const MANIFEST_FILE: &str = "manifest.json";
pub const MODEL_FILE: &str = "model.bin";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskInfo {
    pub labels: Vec<String>,
    /// Rows with a label for this task.
    pub training_rows: usize,
    /// k-fold cross-validated metrics computed at training time, if asked.
    pub cv: Option<ClassMetrics>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: u32,
    /// 1 for the first model in a directory, +1 for each retrain into it.
    pub version: u64,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub training_rows: usize,
    /// Where the training data came from (file names), for audit.
    pub sources: Vec<String>,
    pub seed: u64,
    pub tasks: BTreeMap<String, TaskInfo>,
    pub duplicates: DuplicateConfig,
    /// SHA-256 of `model.bin` (hex), written by [`ModelDir::save`] and
    /// checked on load; absent in manifests from before format 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_sha256: Option<String>,
}

/// A loaded model directory.
#[derive(Debug)]
pub struct ModelDir {
    pub manifest: Manifest,
    pub engine: Engine,
}

impl ModelDir {
    /// Loads the directory's current model. A model written by a newer
    /// build ([`NlpError::ModelTooNew`]), an older format
    /// ([`NlpError::UnsupportedFormat`]) or a model file that does not match
    /// its manifest's checksum or does not decode ([`NlpError::ModelCorrupt`])
    /// is refused.
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_files(dir, &dir.join(MANIFEST_FILE), &dir.join(MODEL_FILE))
    }

    /// Loads an archived version of the directory (kept by [`Self::save`]),
    /// with the same checks as [`Self::load`].
    pub fn load_version(dir: &Path, version: u64) -> Result<Self> {
        let (manifest, model) = archived_files(dir, version);
        Self::load_files(dir, &manifest, &model)
    }

    /// Makes archived `version` the current model again: it is checked,
    /// then saved as the next version (so every reader that watches the
    /// version number picks it up), with "rollback to v{version}" added to
    /// its sources. Returns the new current manifest.
    pub fn restore(dir: &Path, version: u64) -> Result<Manifest> {
        let old = Self::load_version(dir, version)?;
        let mut manifest = old.manifest;
        manifest.sources.push(format!("rollback to v{version}"));
        Self::save(dir, &old.engine, manifest)
    }

    /// Manifests of the archived versions, newest first (unreadable ones skipped).
    pub fn archived(dir: &Path) -> Vec<Manifest> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut out: Vec<Manifest> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let v: u64 = name
                    .strip_prefix("manifest.v")?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()?;
                let manifest = read_manifest_file(&e.path()).ok()?;
                (manifest.version == v && archived_files(dir, v).1.exists()).then_some(manifest)
            })
            .collect();
        out.sort_by_key(|m| std::cmp::Reverse(m.version));
        out
    }

    fn load_files(dir: &Path, manifest_path: &Path, path: &Path) -> Result<Self> {
        let manifest = read_manifest_file(manifest_path)?;
        let path = path.to_path_buf();
        if manifest.format > MODEL_FORMAT {
            return Err(NlpError::ModelTooNew {
                path: dir.to_path_buf(),
                found: manifest.format,
                supported: MODEL_FORMAT,
            });
        }
        if manifest.format < MODEL_FORMAT {
            return Err(NlpError::UnsupportedFormat {
                found: manifest.format,
                supported: MODEL_FORMAT,
            });
        }
        let bytes = std::fs::read(&path).map_err(|e| NlpError::io(&path, e))?;
        if let Some(expected) = &manifest.model_sha256 {
            let actual = sha256_hex(&bytes);
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(NlpError::ModelCorrupt {
                    path,
                    reason: format!(
                        "SHA-256 {actual} does not match {expected} in {MANIFEST_FILE}"
                    ),
                });
            }
        }
        let corrupt = |reason: String| NlpError::ModelCorrupt {
            path: path.clone(),
            reason,
        };
        let (set, used): (ModelSet, usize) =
            bincode::serde::decode_from_slice(&bytes, bincode::config::standard())
                .map_err(|e| corrupt(format!("does not decode: {e}")))?;
        if used != bytes.len() {
            return Err(corrupt(format!(
                "{} trailing bytes after the model",
                bytes.len() - used
            )));
        }
        if set.format > MODEL_FORMAT {
            return Err(NlpError::ModelTooNew {
                path: dir.to_path_buf(),
                found: set.format,
                supported: MODEL_FORMAT,
            });
        }
        Ok(Self {
            manifest,
            engine: Engine::from_set(set)?,
        })
    }

    /// Writes the model; `manifest.version` is replaced by the next free
    /// version number of the directory. Files are written to temporary names
    /// and renamed, so a reader never sees half a model.
    pub fn save(dir: &Path, engine: &Engine, mut manifest: Manifest) -> Result<Manifest> {
        std::fs::create_dir_all(dir).map_err(|e| NlpError::io(dir, e))?;
        manifest.version = 1;
        if let Ok(previous) = read_manifest(dir) {
            manifest.version = previous.version + 1;
            let v = previous.version;
            let (manifest_archive, model_archive) = archived_files(dir, v);
            for (name, archived) in [
                (MODEL_FILE, model_archive),
                (MANIFEST_FILE, manifest_archive),
            ] {
                let from = dir.join(name);
                if from.exists() {
                    std::fs::copy(&from, archived).map_err(|e| NlpError::io(&from, e))?;
                }
            }
        }
        let model = bincode::serde::encode_to_vec(engine.set(), bincode::config::standard())
            .map_err(|e| NlpError::ModelEncode(e.to_string()))?;
        manifest.format = MODEL_FORMAT;
        manifest.model_sha256 = Some(sha256_hex(&model));
        write_atomic(&dir.join(MODEL_FILE), &model)?;
        let json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| NlpError::ModelEncode(e.to_string()))?;
        write_atomic(&dir.join(MANIFEST_FILE), &json)?;
        Ok(manifest)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    read_manifest_file(&dir.join(MANIFEST_FILE))
}

/// The manifest and model files of archived `version` in `dir`.
fn archived_files(dir: &Path, version: u64) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("manifest.v{version}.json")),
        dir.join(format!("model.v{version}.bin")),
    )
}

fn read_manifest_file(path: &Path) -> Result<Manifest> {
    let path = path.to_path_buf();
    let bytes = std::fs::read(&path).map_err(|e| NlpError::io(&path, e))?;
    serde_json::from_slice(&bytes).map_err(|source| NlpError::Json { path, source })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp: PathBuf = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| NlpError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| NlpError::io(path, e))
}
