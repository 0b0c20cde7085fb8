//! Contract checks of SMS outbox and templates, follow-ups, inbound SMS, staff notifications (`NotifyStore`).

mod followups;
mod outbox;
mod staff;

pub use followups::*;
pub use outbox::*;
pub use staff::*;

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! notify_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            sms_templates_round_trip,
            enqueue_is_idempotent_by_event_key,
            limited_enqueues_stop_at_the_limit_and_resubmissions_pass,
            a_claim_leases_due_messages_and_counts_the_attempt,
            concurrent_claims_never_take_the_same_message,
            a_failed_send_is_retried_then_dead_lettered_and_requeued,
            inbound_replies_are_stored_once_per_message_id,
            service_events_open_their_round_once,
            followup_rounds_are_answered_once_and_expire_to_phone_tasks,
            notifications_count_unread_and_mark_read,
            notify_prefs_round_trip,
            notify_cursor_round_trip,
            followup_candidates_follow_the_case,
            deadline_hits_until_reminded,
            changes_after_reads_the_change_log_with_entries,
        );
    };
}
