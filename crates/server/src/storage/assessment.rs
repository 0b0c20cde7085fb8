//! Storage of the assessment area (see `crate::assessment`).

/// Implemented by every backend; part of `Store`.
pub trait AssessmentStore {}
