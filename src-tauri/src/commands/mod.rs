//! IPC commands, one module per area. Keep them out of the crate root (E0255 with `pub`).

pub mod app;
pub mod server;
