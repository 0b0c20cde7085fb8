//! Contract checks of facts, rollups, analytics, alerts, reports, settings (`AssessmentStore`).

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! assessment_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;);
    };
}
