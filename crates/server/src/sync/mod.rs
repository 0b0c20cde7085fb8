//! The server side of desktop sync: pushed commands applied exactly once and
//! re-validated against current state (`push`), paged change pulls from a cursor over
//! the change log (`pull`), and the client-version gate (`version`).

pub mod pull;
pub mod push;
pub mod version;
