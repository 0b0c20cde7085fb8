//! Storage of the notify area (see `crate::notify`).

/// Implemented by every backend; part of `Store`.
pub trait NotifyStore {}
