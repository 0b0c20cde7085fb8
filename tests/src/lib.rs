//! Shared harness of the cross-component tests: a real city server on 127.0.0.1:0
//! (`server`), a fault-injecting proxy in front of it (`proxy`), and client-side
//! stations over the real client crate (`station`), plus the convergence and
//! exactly-once checks every scenario ends with (`checks`).

pub mod checks;
pub mod proxy;
pub mod server;
pub mod station;
