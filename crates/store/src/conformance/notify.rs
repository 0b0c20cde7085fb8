//! Contract checks of SMS outbox and templates, follow-ups, inbound SMS, staff notifications (`NotifyStore`).

use std::collections::HashSet;
use std::sync::Barrier;

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::case::{Case, CaseState, FollowUpLevel, Reply};
use minsheng_domain::ids::UserId;
use minsheng_domain::role::Role;

use super::{actor, at, dispatched, entry, new_case, City};
use crate::notify::{
    FollowUpStatus, FollowUpSubject, InboundSms, NewFollowUp, NewSms, NotifyPrefs, OutboxStatus,
    SendResult, ServiceEvent, SmsTemplate, StaffNotification,
};
use crate::{CaseUpdate, Store};

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! notify_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            sms_templates_round_trip,
            enqueue_is_idempotent_by_event_key,
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

fn sms(key: &str, phone: &str) -> NewSms {
    NewSms {
        event_key: key.into(),
        phone: phone.into(),
        template: "staff.notice".into(),
        provider_template_id: Some("SMS_1".into()),
        params: serde_json::json!({ "title": "提醒", "n": 1 }),
        body: format!("【民生警务】{key}"),
    }
}

fn ids(v: &[crate::notify::OutboxMessage]) -> Vec<String> {
    v.iter().map(|m| m.id.clone()).collect()
}

fn find(store: &dyn Store, key: &str) -> crate::notify::OutboxMessage {
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

pub fn inbound_replies_are_stored_once_per_message_id(store: &dyn Store) {
    let t = at(2026, 3, 2, 2, 0);
    let m = InboundSms {
        message_id: "gw-1".into(),
        phone: "13912345678".into(),
        text: "1".into(),
        sent_at: t,
    };
    assert!(store.insert_inbound(&m, t + Duration::seconds(5)).unwrap());
    let dup = InboundSms {
        text: "3".into(),
        ..m.clone()
    };
    assert!(
        !store
            .insert_inbound(&dup, t + Duration::seconds(9))
            .unwrap(),
        "a redelivery of the same message id is not stored again"
    );
    let rec = store.inbound("gw-1").unwrap().expect("stored");
    assert_eq!(rec.text, "1");
    assert_eq!(rec.phone, m.phone);
    assert_eq!(rec.sent_at, t);
    assert_eq!(rec.arrived_at, t + Duration::seconds(5));
    assert_eq!(rec.outcome, "pending");
    assert_eq!((rec.followup_id, rec.detail), (None, None));
    assert_eq!(store.inbound("gw-x").unwrap(), None);

    // A second, earlier-sent reply arriving later: pending ones come oldest first.
    let early = InboundSms {
        message_id: "gw-2".into(),
        sent_at: t - Duration::minutes(10),
        ..m.clone()
    };
    assert!(store
        .insert_inbound(&early, t + Duration::seconds(20))
        .unwrap());
    let pending: Vec<String> = store
        .pending_inbound(t + Duration::minutes(1))
        .unwrap()
        .into_iter()
        .map(|r| r.message_id)
        .collect();
    assert_eq!(pending, vec!["gw-2".to_string(), "gw-1".to_string()]);
    let arrived_by_10s: Vec<String> = store
        .pending_inbound(t + Duration::seconds(10))
        .unwrap()
        .into_iter()
        .map(|r| r.message_id)
        .collect();
    assert_eq!(arrived_by_10s, vec!["gw-1".to_string()]);

    store
        .set_inbound_outcome("gw-1", Some("f-1"), "applied", Some("满意"))
        .unwrap();
    let rec = store.inbound("gw-1").unwrap().unwrap();
    assert_eq!(rec.outcome, "applied");
    assert_eq!(rec.followup_id.as_deref(), Some("f-1"));
    assert_eq!(rec.detail.as_deref(), Some("满意"));
    let pending: Vec<String> = store
        .pending_inbound(t + Duration::minutes(1))
        .unwrap()
        .into_iter()
        .map(|r| r.message_id)
        .collect();
    assert_eq!(pending, vec!["gw-2".to_string()]);
    let mut recent: Vec<String> = store
        .recent_inbound(10)
        .unwrap()
        .into_iter()
        .map(|r| r.message_id)
        .collect();
    recent.sort();
    assert_eq!(recent, vec!["gw-1".to_string(), "gw-2".to_string()]);
    assert_eq!(store.recent_inbound(1).unwrap().len(), 1);
}

fn service_event(id: &str, service: &str, phone: &str, t: DateTime<Utc>) -> ServiceEvent {
    ServiceEvent {
        id: id.into(),
        service: service.into(),
        phone: phone.into(),
        citizen_name: Some("李四".into()),
        unit_name: Some("甲派出所".into()),
        summary: None,
        occurred_at: t,
    }
}

fn service_round(e: &ServiceEvent, with_sms: bool, due: DateTime<Utc>) -> NewFollowUp {
    let key = format!("followup:service:{}", e.id);
    NewFollowUp {
        event_key: key.clone(),
        subject: FollowUpSubject::Service {
            event_id: e.id.clone(),
            service: e.service.clone(),
        },
        phone: with_sms.then(|| e.phone.clone()),
        due_at: due,
        sms: with_sms.then(|| NewSms {
            template: format!("service.{}", e.service),
            ..sms(&key, &e.phone)
        }),
    }
}

pub fn service_events_open_their_round_once(store: &dyn Store) {
    let t = at(2026, 3, 2, 2, 0);
    let a = service_event("110:A1", "110", "13900000011", t);
    let b = service_event("hz:B1", "household", "13900000012", t);
    let batch = vec![
        (a.clone(), service_round(&a, true, t + Duration::hours(48))),
        (b.clone(), service_round(&b, false, t + Duration::hours(48))),
    ];
    let inserted = store.insert_service_events(&batch, t).unwrap();
    assert_eq!(inserted, vec![a.clone(), b.clone()]);
    assert!(
        store.insert_service_events(&batch, t).unwrap().is_empty(),
        "a re-run inserts and opens nothing"
    );
    let rounds = store.followups(None, None, 10).unwrap();
    assert_eq!(rounds.len(), 2, "one round per event");
    let ra = rounds
        .iter()
        .find(|r| r.service_event_id.as_deref() == Some("110:A1"))
        .unwrap();
    assert_eq!(
        ra.status,
        FollowUpStatus::Awaiting,
        "its SMS asks the question"
    );
    assert_eq!(ra.service.as_deref(), Some("110"));
    assert_eq!((ra.case_id, ra.level.as_ref()), (None, None));
    assert_eq!(ra.created_at, t);
    assert_eq!(ra.due_at, t + Duration::hours(48));
    let rb = rounds
        .iter()
        .find(|r| r.service_event_id.as_deref() == Some("hz:B1"))
        .unwrap();
    assert_eq!(
        rb.status,
        FollowUpStatus::PhoneTask,
        "no SMS (no mobile): a phone task at once"
    );
    let out = store.outbox(None, 10).unwrap();
    assert_eq!(out.len(), 1, "only the round with a mobile queues an SMS");
    assert_eq!(out[0].event_key, ra.event_key);
    assert_eq!(store.followup(&ra.id).unwrap().as_ref(), Some(ra));
    assert_eq!(store.followup("no-such").unwrap(), None);
}

pub fn followup_rounds_are_answered_once_and_expire_to_phone_tasks(store: &dyn Store) {
    let t = at(2026, 3, 2, 2, 0);
    let phone = "13900000021";
    let e1 = service_event("cj:1", "vehicle", phone, t);
    let e2 = service_event("cj:2", "vehicle", "13900000022", t);
    let e3 = service_event("crj:3", "exitEntry", "13900000023", t);
    store
        .insert_service_events(
            &[
                (
                    e1.clone(),
                    service_round(&e1, true, t + Duration::hours(48)),
                ),
                (
                    e2.clone(),
                    service_round(&e2, true, t + Duration::hours(24)),
                ),
                (
                    e3.clone(),
                    service_round(&e3, true, t + Duration::hours(72)),
                ),
            ],
            t,
        )
        .unwrap();
    let round = |event: &str| {
        store
            .followups(None, None, 10)
            .unwrap()
            .into_iter()
            .find(|r| r.service_event_id.as_deref() == Some(event))
            .unwrap()
    };
    let r1 = round("cj:1");

    // The round a reply answers: asked at or before the reply was sent, to that number.
    assert_eq!(
        store
            .followup_for_reply(phone, t - Duration::minutes(1))
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .followup_for_reply(phone, t + Duration::hours(1))
            .unwrap()
            .map(|r| r.id),
        Some(r1.id.clone())
    );
    assert_eq!(
        store
            .followup_for_reply("13000000000", t + Duration::hours(1))
            .unwrap(),
        None
    );

    let ta = t + Duration::hours(2);
    assert!(store
        .answer_followup(&r1.id, Some("satisfied"), "1", ta)
        .unwrap());
    assert!(
        !store
            .answer_followup(&r1.id, Some("unsatisfied"), "3", ta)
            .unwrap(),
        "an answered round is not answered again"
    );
    let r1 = store.followup(&r1.id).unwrap().unwrap();
    assert_eq!(r1.status, FollowUpStatus::Answered);
    assert_eq!(r1.satisfaction.as_deref(), Some("satisfied"));
    assert_eq!(r1.answer_text.as_deref(), Some("1"));
    assert_eq!(r1.answered_at, Some(ta));
    assert!(!store
        .answer_followup_by_phone(&r1.id, "unsatisfied", "电话回访", ta)
        .unwrap());
    // A closed round still tells a late reply which round it was (recorded, no effect).
    assert_eq!(
        store
            .followup_for_reply(phone, t + Duration::hours(3))
            .unwrap()
            .map(|r| r.id),
        Some(r1.id.clone())
    );

    // Answered by phone before its SMS went out: the SMS is not sent.
    let r3 = round("crj:3");
    assert!(store
        .answer_followup_by_phone(&r3.id, "basicallySatisfied", "电话回访：基本满意", ta)
        .unwrap());
    assert!(!store
        .answer_followup_by_phone(&r3.id, "satisfied", "again", ta)
        .unwrap());
    assert_eq!(find(store, &r3.event_key).status, OutboxStatus::Cancelled);
    assert_eq!(
        store.followup(&r3.id).unwrap().unwrap().status,
        FollowUpStatus::Answered
    );

    // Past its due time an awaiting round becomes a phone task, once.
    let r2 = round("cj:2");
    assert!(store
        .expire_followups(t + Duration::hours(23))
        .unwrap()
        .is_empty());
    let expired = store.expire_followups(t + Duration::hours(24)).unwrap();
    assert_eq!(
        expired.iter().map(|r| &r.id).collect::<Vec<_>>(),
        vec![&r2.id]
    );
    assert_eq!(expired[0].status, FollowUpStatus::PhoneTask);
    assert!(store
        .expire_followups(t + Duration::hours(100))
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .followups(None, Some(FollowUpStatus::PhoneTask), 10)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        vec![r2.id.clone()]
    );
    // A phone task can still be answered by phone.
    assert!(store
        .answer_followup_by_phone(&r2.id, "unsatisfied", "电话回访：不满意", ta)
        .unwrap());

    let stats = store.followup_stats(None, None).unwrap();
    let vehicle = stats.iter().find(|s| s.group == "vehicle").unwrap();
    assert_eq!(
        (
            vehicle.sent,
            vehicle.answered,
            vehicle.satisfied,
            vehicle.unsatisfied
        ),
        (2, 2, 1, 1)
    );
    let exit = stats.iter().find(|s| s.group == "exitEntry").unwrap();
    assert_eq!((exit.sent, exit.basically_satisfied), (1, 1));
    assert!(store
        .followup_stats(Some(t + Duration::seconds(1)), None)
        .unwrap()
        .is_empty());
    assert!(
        store.followup_stats(None, Some(t)).unwrap().is_empty(),
        "`to` is exclusive"
    );
    assert_eq!(
        store
            .followup_stats(Some(t), Some(t + Duration::seconds(1)))
            .unwrap()
            .iter()
            .map(|s| s.sent)
            .sum::<u64>(),
        3
    );
}

fn note_for(user: UserId, key: &str, created_at: DateTime<Utc>) -> StaffNotification {
    StaffNotification {
        id: format!("n-{key}"),
        event_key: key.into(),
        user_id: user,
        kind: "dispatch".into(),
        case_id: None,
        title: "新派单".into(),
        body: format!("{key} 待签收"),
        created_at,
        read_at: None,
    }
}

pub fn notifications_count_unread_and_mark_read(store: &dyn Store) {
    let t = at(2026, 3, 2, 2, 0);
    let u1 = UserId::mint(t);
    let u2 = UserId::mint(t);
    let items = vec![
        (note_for(u1, "e1", t), Some(sms("staff:e1", "13900000031"))),
        (note_for(u1, "e2", t + Duration::minutes(1)), None),
        (note_for(u1, "e3", t + Duration::minutes(2)), None),
        (note_for(u2, "e4", t), None),
    ];
    let inserted = store.insert_notifications(&items, None, t).unwrap();
    assert_eq!(inserted.len(), 4);
    let again = store.insert_notifications(&items, None, t).unwrap();
    assert!(again.is_empty(), "an event key is notified once");
    assert_eq!(
        store
            .count_sms_since("staff:", None, DateTime::<Utc>::default())
            .unwrap(),
        1,
        "the SMS copy goes with the notification, once"
    );
    assert_eq!(store.unread_count(u1).unwrap(), 3);
    assert_eq!(store.unread_count(u2).unwrap(), 1);
    let mine = store.notifications(u1, false, 10).unwrap();
    assert_eq!(mine.len(), 3);
    assert!(mine.iter().all(|n| n.user_id == u1 && n.read_at.is_none()));
    assert!(
        mine.contains(&items[0].0),
        "a notification reads back as stored"
    );
    assert_eq!(store.notifications(u1, false, 2).unwrap().len(), 2);

    let tr = t + Duration::hours(1);
    assert_eq!(
        store
            .mark_notifications_read(
                u1,
                Some(["n-e1".to_string(), "n-e4".to_string()].as_slice()),
                tr
            )
            .unwrap(),
        1,
        "only the user's own notifications"
    );
    assert_eq!(store.unread_count(u1).unwrap(), 2);
    assert_eq!(store.unread_count(u2).unwrap(), 1);
    assert_eq!(
        store
            .mark_notifications_read(u1, Some(["n-e1".to_string()].as_slice()), tr)
            .unwrap(),
        0,
        "already read"
    );
    let unread: Vec<String> = store
        .notifications(u1, true, 10)
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(unread.len(), 2);
    assert!(!unread.contains(&"n-e1".to_string()));
    let read = store
        .notifications(u1, false, 10)
        .unwrap()
        .into_iter()
        .find(|n| n.id == "n-e1")
        .unwrap();
    assert_eq!(read.read_at, Some(tr));

    assert_eq!(store.mark_notifications_read(u1, None, tr).unwrap(), 2);
    assert_eq!(store.unread_count(u1).unwrap(), 0);
    assert!(store.notifications(u1, true, 10).unwrap().is_empty());
    assert_eq!(
        store.unread_count(u2).unwrap(),
        1,
        "another user's stay unread"
    );
}

pub fn notify_prefs_round_trip(store: &dyn Store) {
    let u = UserId::mint(at(2026, 3, 2, 2, 0));
    assert_eq!(store.notify_prefs(u).unwrap(), NotifyPrefs::default());
    let p = NotifyPrefs {
        sms: true,
        sms_kinds: vec!["dispatch".into(), "overdue".into()],
    };
    store.set_notify_prefs(u, &p).unwrap();
    assert_eq!(store.notify_prefs(u).unwrap(), p);
    let q = NotifyPrefs {
        sms: false,
        sms_kinds: Vec::new(),
    };
    store.set_notify_prefs(u, &q).unwrap();
    assert_eq!(store.notify_prefs(u).unwrap(), q, "replaced");
    assert_eq!(
        store
            .notify_prefs(UserId::mint(at(2026, 3, 2, 2, 0)))
            .unwrap(),
        NotifyPrefs::default()
    );
}

pub fn notify_cursor_round_trip(store: &dyn Store) {
    assert_eq!(
        store.notify_cursor().unwrap(),
        0,
        "a new database starts at the end of its (empty) change log"
    );
    store.set_notify_cursor(5).unwrap();
    assert_eq!(store.notify_cursor().unwrap(), 5);
    store.set_notify_cursor(12).unwrap();
    assert_eq!(store.notify_cursor().unwrap(), 12);
}

/// A case that finished handling (its reply published) and waits for the citizen's
/// answer at follow-up level 1.
fn completed(mut c: Case, now: DateTime<Utc>) -> Case {
    c.state = CaseState::Completed;
    c.deadlines.sign_in = Some(now);
    c.deadlines.reply = Some(now);
    c.reply = Some(Reply {
        text: "已处理".into(),
        by: c.created_by,
        at: now,
    });
    c.completed_at = Some(now);
    c.follow_up.level = Some(FollowUpLevel::L1);
    c.follow_up.awaiting_answer = true;
    c
}

fn case_round(c: &Case, level: &str, due: DateTime<Utc>) -> NewFollowUp {
    let key = format!("followup:{}:{level}:0", c.id);
    NewFollowUp {
        event_key: key.clone(),
        subject: FollowUpSubject::Case {
            case_id: c.id,
            level: level.into(),
            round: 0,
        },
        phone: Some("13912345678".into()),
        due_at: due,
        sms: Some(sms(&key, "13912345678")),
    }
}

pub fn followup_candidates_follow_the_case(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let t = at(2026, 3, 2, 2, 0);
    let (c, e) = new_case(&clerk, t, "路灯不亮", "小区门口路灯坏了一个月");
    let c = completed(dispatched(c, &city.station_a), t);
    let (other, e2) = new_case(&clerk, t, "噪音", "夜间施工");
    let other = dispatched(other, &city.station_b);
    store
        .insert_cases(&org, vec![(c.clone(), e), (other, e2)])
        .unwrap();
    assert_eq!(
        store.followup_candidates(10).unwrap(),
        vec![(c.id, "l1".to_string(), 0)],
        "a case waiting for the citizen without its round"
    );
    let round = case_round(&c, "l1", t + Duration::hours(48));
    assert!(store.open_followup(&round, t).unwrap());
    assert!(!store.open_followup(&round, t).unwrap(), "the round exists");
    let twin = NewFollowUp {
        event_key: "followup:other-key".into(),
        ..case_round(&c, "l1", t)
    };
    assert!(
        !store.open_followup(&twin, t).unwrap(),
        "one round per case, level and round"
    );
    assert_eq!(store.outbox(None, 10).unwrap().len(), 1);
    assert!(store.followup_candidates(10).unwrap().is_empty());
    assert_eq!(
        store.supersede_followups().unwrap(),
        0,
        "the case still waits"
    );
    let rounds = store.followups(Some(c.id), None, 10).unwrap();
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0].level.as_deref(), Some("l1"));

    // Unsatisfied by phone elsewhere: the case moves to level 2, re-handled first.
    store
        .update_case(&org, c.id, None, &mut |cur, last| {
            let mut next = cur.clone();
            next.state = CaseState::FollowUpL2;
            next.follow_up.level = Some(FollowUpLevel::L2);
            next.follow_up.awaiting_answer = false;
            let e = entry(
                Some(last),
                cur,
                &clerk,
                t + Duration::hours(1),
                "escalate",
                Some(cur.state),
                next.state,
            );
            Ok(CaseUpdate::Write(Box::new(next), Box::new(e)))
        })
        .unwrap();
    assert!(
        store.followup_candidates(10).unwrap().is_empty(),
        "not waiting yet"
    );
    assert_eq!(
        store.supersede_followups().unwrap(),
        1,
        "the level-1 round closes"
    );
    assert_eq!(store.supersede_followups().unwrap(), 0);
    assert_eq!(
        store.followup(&rounds[0].id).unwrap().unwrap().status,
        FollowUpStatus::Superseded
    );
    assert_eq!(
        find(store, &round.event_key).status,
        OutboxStatus::Cancelled,
        "its SMS not sent yet is cancelled"
    );

    store
        .update_case(&org, c.id, None, &mut |cur, last| {
            let mut next = cur.clone();
            next.follow_up.awaiting_answer = true;
            let e = entry(
                Some(last),
                cur,
                &clerk,
                t + Duration::hours(2),
                "rehandled",
                Some(cur.state),
                next.state,
            );
            Ok(CaseUpdate::Write(Box::new(next), Box::new(e)))
        })
        .unwrap();
    assert_eq!(
        store.followup_candidates(10).unwrap(),
        vec![(c.id, "l2".to_string(), 0)]
    );
}

pub fn deadline_hits_until_reminded(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let t = at(2026, 3, 2, 2, 0);
    let (c, e) = new_case(&clerk, t, "占道经营", "门口摆摊");
    let mut c = dispatched(c, &city.station_a);
    let sign_in = t + Duration::hours(2);
    c.deadlines.sign_in = Some(sign_in);
    c.deadlines.sign_in_warn = Some(t + Duration::hours(1));
    c.deadlines.reply = Some(t + Duration::days(5));
    c.deadlines.reply_warn = Some(t + Duration::days(4));
    store.insert_cases(&org, vec![(c.clone(), e)]).unwrap();

    assert!(store
        .deadline_hits(t + Duration::minutes(30), t, 10)
        .unwrap()
        .is_empty());
    let warn = store
        .deadline_hits(t + Duration::minutes(90), t, 10)
        .unwrap();
    assert_eq!(warn.len(), 1);
    assert_eq!(
        (warn[0].case_id, warn[0].kind.as_str(), warn[0].deadline),
        (c.id, "signInReminder", sign_in)
    );
    // Nothing is marked by looking: the same hit again.
    assert_eq!(
        store
            .deadline_hits(t + Duration::minutes(90), t, 10)
            .unwrap(),
        warn
    );
    let key = format!("signInReminder:{}:{}", c.id, sign_in.timestamp_millis());
    let officer = UserId::mint(t);
    store
        .insert_notifications(
            &[(note_for(officer, "remind-1", t), None)],
            Some(&key),
            t + Duration::minutes(90),
        )
        .unwrap();
    assert!(
        store
            .deadline_hits(t + Duration::minutes(90), t, 10)
            .unwrap()
            .is_empty(),
        "reminded once its notices are stored"
    );

    let overdue = store.deadline_hits(t + Duration::hours(3), t, 10).unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(
        (overdue[0].kind.as_str(), overdue[0].deadline),
        ("overdueSignIn", sign_in)
    );
    assert!(
        store
            .deadline_hits(
                t + Duration::hours(3),
                t + Duration::hours(2) + Duration::minutes(1),
                10
            )
            .unwrap()
            .is_empty(),
        "only deadlines reached since `since`"
    );
}

pub fn changes_after_reads_the_change_log_with_entries(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let t = at(2026, 3, 2, 2, 0);
    let start = store.notify_cursor().unwrap();
    let (a, ea) = new_case(&clerk, t, "甲", "内容");
    let (b, eb) = new_case(&clerk, t + Duration::minutes(1), "乙", "内容");
    store
        .insert_cases(&org, vec![(a.clone(), ea.clone())])
        .unwrap();
    store
        .insert_cases(&org, vec![(b.clone(), eb.clone())])
        .unwrap();

    let all = store.changes_after(start, t, 10).unwrap();
    assert_eq!(
        all.iter().map(|c| c.case_id).collect::<Vec<_>>(),
        vec![a.id, b.id],
        "oldest first"
    );
    assert!(all[0].seq < all[1].seq);
    assert_eq!(all[0].version, 1);
    assert_eq!(
        all[0].entry.as_ref(),
        Some(&ea[0]),
        "with its timeline entry"
    );
    assert_eq!(all[1].entry.as_ref(), Some(&eb[0]));

    let after_a = store.changes_after(all[0].seq, t, 10).unwrap();
    assert_eq!(
        after_a.iter().map(|c| c.case_id).collect::<Vec<_>>(),
        vec![b.id]
    );
    assert_eq!(store.changes_after(start, t, 1).unwrap().len(), 1);

    let late = store
        .changes_after(start, t + Duration::seconds(30), 10)
        .unwrap();
    assert_eq!(late.len(), 2);
    assert!(late[0].entry.is_none(), "recorded before `since`: left out");
    assert!(late[1].entry.is_some());

    store.set_notify_cursor(all[1].seq).unwrap();
    assert_eq!(store.notify_cursor().unwrap(), all[1].seq);
    assert!(store
        .changes_after(store.notify_cursor().unwrap(), t, 10)
        .unwrap()
        .is_empty());
}
