//! Contract checks of SMS outbox and templates, follow-ups, inbound SMS, staff notifications (`NotifyStore`).

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! notify_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;);
    };
}
