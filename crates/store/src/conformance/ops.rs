//! What operators watch (`OpsStore`): the recorded schema version and the queue depths.

use chrono::Duration;
use minsheng_domain::ids::UserId;

use crate::conformance::at;
use crate::conformance::notify::{note_for, sms};
use crate::notify::SendResult;
use crate::ops::QueueDepths;
use crate::Store;

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! ops_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            the_database_records_the_schema_version_of_the_code,
            queue_depths_count_waiting_messages_and_unread_notices,
        );
    };
}

pub fn the_database_records_the_schema_version_of_the_code(store: &dyn Store) {
    assert_eq!(
        store.database_schema_version().unwrap(),
        store.schema_version(),
        "a freshly opened store is migrated to the version its code knows"
    );
}

pub fn queue_depths_count_waiting_messages_and_unread_notices(store: &dyn Store) {
    assert_eq!(
        store.queue_depths().unwrap(),
        QueueDepths::default(),
        "an empty database has nothing waiting"
    );
    let now = at(2026, 3, 2, 2, 0);
    for i in 0..6 {
        assert!(store
            .enqueue_sms(&sms(&format!("depth:{i}"), "13900000041"), now)
            .unwrap());
    }
    // Three claimed: one is sent, one dead-lettered, one stays in the sending state.
    let claimed = store.claim_due_sms(now, 60, 3).unwrap();
    assert_eq!(claimed.len(), 3);
    store
        .finish_sms(
            &claimed[0].id,
            &SendResult::Sent {
                provider_id: "p-1".into(),
            },
            now,
        )
        .unwrap();
    store
        .finish_sms(
            &claimed[1].id,
            &SendResult::Failed {
                error: "号码无效".into(),
                retry_at: now,
                dead: true,
            },
            now,
        )
        .unwrap();
    let u1 = UserId::mint(now);
    let u2 = UserId::mint(now);
    let notes = vec![
        (note_for(u1, "depth-n1", now), None),
        (note_for(u1, "depth-n2", now + Duration::minutes(1)), None),
        (note_for(u2, "depth-n3", now), None),
    ];
    assert_eq!(
        store.insert_notifications(&notes, None, now).unwrap().len(),
        3
    );
    assert_eq!(
        store
            .mark_notifications_read(u1, Some(&["n-depth-n1".to_owned()]), now)
            .unwrap(),
        1
    );
    assert_eq!(
        store.queue_depths().unwrap(),
        QueueDepths {
            sms_pending: 3,
            sms_sending: 1,
            sms_dead: 1,
            notifications_unread: 2,
        }
    );
}
