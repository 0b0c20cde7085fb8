//! Contract checks of the user directory, the audit search, config, knowledge base and bulk imports (`AdminStore`, `ConfigStore`, `KnowledgeStore`, `BulkImportStore`).

mod bulk;
mod config;
mod directory;
mod knowledge;
mod sms;

pub use bulk::*;
pub use config::*;
pub use directory::*;
pub use knowledge::*;
pub use sms::*;

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! admin_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            a_fresh_configuration_holds_the_builtin_defaults,
            each_config_change_bumps_the_version_by_one_and_is_audited,
            a_holiday_year_is_replaced_not_added,
            categories_round_trip_in_their_order,
            a_standard_reply_edit_on_a_stale_version_is_refused,
            standard_replies_are_listed_filtered_reviewed_and_retired,
            the_user_directory_filters_and_pages,
            a_user_change_sees_the_other_active_admins_and_is_audited,
            the_last_active_admin_survives_concurrent_changes,
            the_audit_log_is_searched_by_user_action_target_and_time_in_pages,
            an_sms_template_is_saved_with_its_audit,
            a_dead_letter_is_retried_or_discarded_with_its_audit,
            dispatch_feedback_is_counted_in_buckets,
            a_bulk_import_retried_with_the_same_key_answers_the_first_answer,
            a_bulk_import_retry_stores_only_the_rows_not_stored_yet,
            concurrent_config_changes_get_consecutive_versions,
            concurrent_edits_of_a_standard_reply_let_one_win,
            concurrent_attempts_of_a_bulk_import_agree,
        );
    };
}
