//! The crate's single error type.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum NlpError {
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("CSV error in {path}: {source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("JSON error in {path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("model encoding failed: {0}")]
    ModelEncode(String),
    #[error("model format {found} is not supported (this build reads {supported})")]
    UnsupportedFormat { found: u32, supported: u32 },
    #[error("model in {path} has format {found}, newer than this build reads ({supported}): upgrade minsheng-nlp, or restore an older model version (model.vN.bin + manifest.vN.json)")]
    ModelTooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("model file {path} is corrupt ({reason}): retrain, or restore an older model version (model.vN.bin + manifest.vN.json)")]
    ModelCorrupt { path: PathBuf, reason: String },
    #[error("missing column {column} in {path}")]
    MissingColumn { path: PathBuf, column: String },
    #[error("task {0} has no model in this model directory")]
    MissingTask(String),
    #[error("not enough training data for {task}: {reason}")]
    NotEnoughData { task: String, reason: String },
    #[error("unknown task {0}")]
    UnknownTask(String),
}

pub type Result<T> = std::result::Result<T, NlpError>;

impl NlpError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
