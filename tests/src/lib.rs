//! Shared harness of the cross-component tests: a real city server on 127.0.0.1:0
//! (`server`), a fault-injecting proxy in front of it (`proxy`), and client-side
//! stations over the real client crate (`station`), plus the convergence and
//! exactly-once checks every scenario ends with (`checks`). Also the load generator
//! of `province-load` (`province_load`), a benchmark rather than a test.

pub mod checks;
pub mod province_load;
pub mod proxy;
pub mod server;
pub mod station;
