//! Contract checks of the user directory, the audit search, config, knowledge base and bulk imports (`AdminStore`, `ConfigStore`, `KnowledgeStore`, `BulkImportStore`).

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! admin_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;);
    };
}
