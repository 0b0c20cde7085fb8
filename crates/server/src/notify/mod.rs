//! The notify area (SPEC §6/§7).

use crate::state::SharedState;

/// Starts this area's background workers on the current tokio runtime (called by `serve`).
pub fn start_workers(_state: &SharedState) {}
