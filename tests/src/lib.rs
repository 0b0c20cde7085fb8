//! Shared harness of the cross-component tests (server + client in one process or
//! as child processes, fault-injecting proxy).
