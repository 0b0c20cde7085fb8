//! SMS templates and the outbox.

use crate::conformance::at;
use crate::notify::{LimitedEnqueue, NewSms, OutboxStatus, SendResult, SmsLimit, SmsTemplate};
use crate::Store;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;
use std::sync::Barrier;

pub(crate) fn sms(key: &str, phone: &str) -> NewSms {
    NewSms {
        event_key: key.into(),
        phone: phone.into(),
        template: "staff.notice".into(),
        provider_template_id: Some("SMS_1".into()),
        params: serde_json::json!({ "title": "提醒", "n": 1 }),
        body: format!("【民生警务】{key}"),
    }
}

pub(crate) fn ids(v: &[crate::notify::OutboxMessage]) -> Vec<String> {
    v.iter().map(|m| m.id.clone()).collect()
}

pub(crate) fn find(store: &dyn Store, key: &str) -> crate::notify::OutboxMessage {
    store
        .outbox(None, 1000)
        .unwrap()
        .into_iter()
        .find(|m| m.event_key == key)
        .unwrap_or_else(|| panic!("{key} is in the outbox"))
}

pub fn sms_templates_round_trip(store: &dyn Store) {
    let t = SmsTemplate {
        code: "test.hello".into(),
        name: "测试模板".into(),
        body: "【济南公安】{name}您好".into(),
        provider_template_id: Some("SMS_42".into()),
        updated_at: at(2026, 3, 2, 2, 0),
    };
    store.upsert_sms_template(&t).unwrap();
    assert_eq!(store.sms_template("test.hello").unwrap().as_ref(), Some(&t));
    assert!(store.sms_templates().unwrap().contains(&t));

    let edited = SmsTemplate {
        body: "【济南公安】{name}您好，新的内容".into(),
        provider_template_id: None,
        updated_at: at(2026, 3, 3, 2, 0),
        ..t.clone()
    };
    store.upsert_sms_template(&edited).unwrap();
    assert_eq!(
        store.sms_template("test.hello").unwrap().as_ref(),
        Some(&edited),
        "an upsert replaces the template of that code"
    );
    let all = store.sms_templates().unwrap();
    assert_eq!(all.iter().filter(|x| x.code == "test.hello").count(), 1);
    assert_eq!(store.sms_template("no.such").unwrap(), None);
}

pub fn enqueue_is_idempotent_by_event_key(store: &dyn Store) {
    let now = at(2026, 3, 2, 2, 0);
    let first = sms("notice:a_b:1", "13900000001");
    assert!(store.enqueue_sms(&first, now).unwrap());
    let mut again = sms("notice:a_b:1", "13900000002");
    again.body = "另一条".into();
    assert!(
        !store
            .enqueue_sms(&again, now + Duration::minutes(1))
            .unwrap(),
        "the same event key is queued once"
    );
    let all = store.outbox(None, 100).unwrap();
    assert_eq!(all.len(), 1);
    let m = &all[0];
    assert_eq!(m.event_key, first.event_key);
    assert_eq!(m.phone, first.phone);
    assert_eq!(m.body, first.body, "the first enqueue is kept");
    assert_eq!(m.template, first.template);
    assert_eq!(m.provider_template_id, first.provider_template_id);
    assert_eq!(m.params, first.params);
    assert_eq!(m.status, OutboxStatus::Pending);
    assert_eq!(m.attempts, 0);
    assert_eq!(m.created_at, now);
    assert_eq!(m.next_attempt_at, now, "due at once");
    assert_eq!(
        (
            m.sent_at.as_ref(),
            m.last_error.as_ref(),
            m.provider_id.as_ref()
        ),
        (None, None, None)
    );

    // Rate-limit counts: by key prefix (a plain prefix: `_` is no wildcard), phone, time.
    assert!(store
        .enqueue_sms(&sms("notice:axb:2", "13900000001"), now)
        .unwrap());
    assert!(store
        .enqueue_sms(
            &sms("notice:a_b:3", "13900000003"),
            now + Duration::hours(2)
        )
        .unwrap());
    let epoch = DateTime::<Utc>::default();
    assert_eq!(store.count_sms_since("notice:", None, epoch).unwrap(), 3);
    assert_eq!(
        store.count_sms_since("notice:a_b:", None, epoch).unwrap(),
        2
    );
    assert_eq!(
        store
            .count_sms_since("notice:a_b:", Some("13900000001"), epoch)
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .count_sms_since("notice:", None, now + Duration::hours(1))
            .unwrap(),
        1,
        "only rows created at or after `since`"
    );
    assert_eq!(
        store
            .count_sms_since("notice:", None, now + Duration::hours(2))
            .unwrap(),
        1,
        "`since` itself counts"
    );
    assert_eq!(store.count_sms_since("other:", None, epoch).unwrap(), 0);
}

pub fn limited_enqueues_stop_at_the_limit_and_resubmissions_pass(store: &dyn Store) {
    let now = at(2026, 3, 2, 2, 0);
    let limits = |phone: &str| {
        [
            SmsLimit {
                event_key_prefix: "reminder:u1:".into(),
                phone: None,
                since: now - Duration::hours(1),
                max: 3,
            },
            SmsLimit {
                event_key_prefix: "reminder:".into(),
                phone: Some(phone.into()),
                since: now - Duration::hours(24),
                max: 2,
            },
        ]
    };
    let put = |key: &str, phone: &str| {
        store
            .enqueue_sms_within(&sms(key, phone), &limits(phone), now)
            .unwrap()
    };
    assert_eq!(
        put("reminder:u1:a", "13900000001"),
        LimitedEnqueue::Queued(true)
    );
    assert_eq!(
        put("reminder:u1:b", "13900000001"),
        LimitedEnqueue::Queued(true)
    );
    // The number has its two: refused by the second limit, nothing written.
    assert_eq!(
        put("reminder:u1:c", "13900000001"),
        LimitedEnqueue::Limited(1)
    );
    // A resubmission of a queued one is not refused and not queued again.
    assert_eq!(
        put("reminder:u1:a", "13900000001"),
        LimitedEnqueue::Queued(false)
    );
    assert_eq!(
        put("reminder:u1:d", "13900000002"),
        LimitedEnqueue::Queued(true)
    );
    // The sender has their three this hour: refused by the first limit.
    assert_eq!(
        put("reminder:u1:e", "13900000003"),
        LimitedEnqueue::Limited(0)
    );
    let epoch = DateTime::<Utc>::default();
    assert_eq!(store.count_sms_since("reminder:", None, epoch).unwrap(), 3);
    // Rows before `since` do not count.
    let later = now + Duration::hours(2);
    assert_eq!(
        store
            .enqueue_sms_within(
                &sms("reminder:u1:f", "13900000003"),
                &[SmsLimit {
                    event_key_prefix: "reminder:u1:".into(),
                    phone: None,
                    since: later - Duration::hours(1),
                    max: 3,
                }],
                later,
            )
            .unwrap(),
        LimitedEnqueue::Queued(true)
    );
}

pub fn a_claim_leases_due_messages_and_counts_the_attempt(store: &dyn Store) {
    let now = at(2026, 3, 2, 2, 0);
    for i in 0..3 {
        store
            .enqueue_sms(&sms(&format!("k{i}"), "13900000001"), now)
            .unwrap();
    }
    assert!(
        store
            .claim_due_sms(now - Duration::seconds(1), 60, 10)
            .unwrap()
            .is_empty(),
        "nothing is due before its next attempt"
    );
    let first = store.claim_due_sms(now, 60, 2).unwrap();
    assert_eq!(first.len(), 2, "at most `limit`");
    for m in &first {
        assert_eq!(m.status, OutboxStatus::Sending);
        assert_eq!(m.attempts, 1, "the claim counts the attempt");
    }
    let second = store.claim_due_sms(now, 60, 10).unwrap();
    assert_eq!(second.len(), 1, "the leased ones are not claimed again");
    assert!(!ids(&first).contains(&second[0].id));
    assert!(store
        .claim_due_sms(now + Duration::seconds(30), 60, 10)
        .unwrap()
        .is_empty());
    // Leases run out: a worker that died holding them does not lose the messages.
    let again = store
        .claim_due_sms(now + Duration::seconds(61), 60, 10)
        .unwrap();
    let mut got = ids(&again);
    got.sort();
    let mut want: Vec<String> = ids(&first).into_iter().chain(ids(&second)).collect();
    want.sort();
    assert_eq!(got, want);
    assert!(again.iter().all(|m| m.attempts == 2));
    assert_eq!(
        store.outbox(Some(OutboxStatus::Sending), 10).unwrap().len(),
        3
    );
    assert!(store
        .outbox(Some(OutboxStatus::Pending), 10)
        .unwrap()
        .is_empty());
}

/// Several server instances send from one outbox: concurrent claims never hand out the
/// same message twice, and together they take every due message.
pub fn concurrent_claims_never_take_the_same_message(store: &dyn Store) {
    const MESSAGES: usize = 60;
    const WORKERS: usize = 4;
    let now = at(2026, 3, 2, 2, 0);
    for i in 0..MESSAGES {
        store
            .enqueue_sms(&sms(&format!("c{i:03}"), "13900000001"), now)
            .unwrap();
    }
    let barrier = Barrier::new(WORKERS);
    let claimed: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WORKERS)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let mut mine = Vec::new();
                    loop {
                        let got = store.claim_due_sms(now, 600, 3).unwrap();
                        if got.is_empty() {
                            return mine;
                        }
                        mine.extend(ids(&got));
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let all: Vec<&String> = claimed.iter().flatten().collect();
    let unique: HashSet<&String> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "a message was claimed twice");
    assert_eq!(all.len(), MESSAGES, "every due message is claimed");
    assert!(store
        .outbox(None, 1000)
        .unwrap()
        .iter()
        .all(|m| m.attempts == 1 && m.status == OutboxStatus::Sending));
}

pub fn a_failed_send_is_retried_then_dead_lettered_and_requeued(store: &dyn Store) {
    let t0 = at(2026, 3, 2, 2, 0);
    store.enqueue_sms(&sms("r1", "13900000001"), t0).unwrap();
    let m = store.claim_due_sms(t0, 60, 1).unwrap().remove(0);
    let retry_at = t0 + Duration::minutes(5);
    store
        .finish_sms(
            &m.id,
            &SendResult::Failed {
                error: "网关超时".into(),
                retry_at,
                dead: false,
            },
            t0,
        )
        .unwrap();
    let back = find(store, "r1");
    assert_eq!(back.status, OutboxStatus::Pending, "a failure is retried");
    assert_eq!(back.next_attempt_at, retry_at);
    assert_eq!(back.last_error.as_deref(), Some("网关超时"));
    assert_eq!(back.attempts, 1);
    assert!(
        store
            .claim_due_sms(t0 + Duration::minutes(1), 60, 1)
            .unwrap()
            .is_empty(),
        "not before its retry time"
    );
    let m = store.claim_due_sms(retry_at, 60, 1).unwrap().remove(0);
    assert_eq!(m.attempts, 2);
    store
        .finish_sms(
            &m.id,
            &SendResult::Failed {
                error: "号码无效".into(),
                retry_at: retry_at + Duration::minutes(5),
                dead: true,
            },
            retry_at,
        )
        .unwrap();
    let dead = find(store, "r1");
    assert_eq!(dead.status, OutboxStatus::Dead, "dead-lettered");
    assert_eq!(dead.last_error.as_deref(), Some("号码无效"));
    assert!(
        store
            .claim_due_sms(t0 + Duration::days(30), 60, 10)
            .unwrap()
            .is_empty(),
        "a dead letter is never claimed"
    );
    assert_eq!(
        ids(&store.outbox(Some(OutboxStatus::Dead), 10).unwrap()),
        vec![m.id.clone()]
    );

    let t1 = t0 + Duration::hours(1);
    assert!(store.requeue_sms(&m.id, t1).unwrap());
    let requeued = find(store, "r1");
    assert_eq!(requeued.status, OutboxStatus::Pending);
    assert_eq!(requeued.next_attempt_at, t1);
    assert!(!store.requeue_sms(&m.id, t1).unwrap(), "only a dead letter");
    assert!(!store.requeue_sms("no-such-id", t1).unwrap());

    let m = store.claim_due_sms(t1, 60, 1).unwrap().remove(0);
    store
        .finish_sms(
            &m.id,
            &SendResult::Sent {
                provider_id: "P-777".into(),
            },
            t1,
        )
        .unwrap();
    let sent = find(store, "r1");
    assert_eq!(sent.status, OutboxStatus::Sent);
    assert_eq!(sent.provider_id.as_deref(), Some("P-777"));
    assert_eq!(sent.sent_at, Some(t1));
    // A late finish of the same message (an expired lease) changes nothing.
    store
        .finish_sms(
            &m.id,
            &SendResult::Failed {
                error: "late".into(),
                retry_at: t1,
                dead: true,
            },
            t1,
        )
        .unwrap();
    assert_eq!(find(store, "r1").status, OutboxStatus::Sent);
    assert!(store
        .claim_due_sms(t1 + Duration::days(1), 60, 10)
        .unwrap()
        .is_empty());

    // Delivery reports, by the provider's id or ours.
    assert!(store.sms_delivery_report("P-777", "delivered").unwrap());
    assert_eq!(
        find(store, "r1").delivery_status.as_deref(),
        Some("delivered")
    );
    assert!(store.sms_delivery_report(&m.id, "failed").unwrap());
    assert_eq!(find(store, "r1").delivery_status.as_deref(), Some("failed"));
    assert!(!store.sms_delivery_report("unknown", "delivered").unwrap());
}
