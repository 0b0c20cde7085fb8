//! Chinese text intelligence for 民生警务平台: police relevance, category,
//! request type and handling-unit kind classifiers, handling-unit
//! suggestion against the org tree, and duplicate detection.
//!
//! See `crates/nlp/README.md` for the API the server uses.

pub mod analyzer;
pub mod dataset;
mod duplicate_scoring;
pub mod duplicates;
pub mod engine;
pub mod error;
pub mod evaluation;
pub mod folds;
pub mod intelligence;
pub mod lexicon;
pub mod linear;
pub mod location;
pub mod metrics;
pub mod model_dir;
pub mod org;
pub mod pair_evaluation;
pub mod text;
pub mod training;
pub mod vectorizer;

pub use dataset::{LabeledText, Task, TrainingRecord};
pub use duplicates::{DuplicateCandidate, DuplicateConfig, DuplicateIndex};
pub use engine::{Engine, Scored, TrainConfig};
pub use error::{NlpError, Result};
pub use intelligence::{Classification, Intelligence, Suggestion, UnitSuggestion};
pub use model_dir::{Manifest, ModelDir};
pub use org::{load_org_units, UnitProfile};
