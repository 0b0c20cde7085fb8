//! Inbound replies, service events and follow-up rounds.

use super::{find, sms};

use crate::conformance::at;
use crate::notify::{
    FollowUpStatus, FollowUpSubject, InboundSms, NewFollowUp, NewSms, OutboxStatus, ServiceEvent,
};
use crate::Store;
use chrono::{DateTime, Duration, Utc};

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

pub(crate) fn service_event(
    id: &str,
    service: &str,
    phone: &str,
    t: DateTime<Utc>,
) -> ServiceEvent {
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

pub(crate) fn service_round(e: &ServiceEvent, with_sms: bool, due: DateTime<Utc>) -> NewFollowUp {
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
