//! Contract checks of the 优秀监督员 register and consultation rounds (`SupervisorStore`).

use minsheng_domain::case::{CaseState, Satisfaction};
use minsheng_domain::citizen::Phone;
use minsheng_domain::ids::{CaseId, UserId};
use minsheng_domain::role::Role;
use minsheng_domain::supervisors::{ContactChannel, SupervisorKind, SupervisorStatus};

use crate::conformance::notify::sms;
use crate::conformance::{actor, at, new_case, City};
use crate::notify::OutboxStatus;
use crate::supervisors::{
    Consultation, ConsultationQuery, ConsultationStatus, RecordedAnswer, SupervisorQuery,
    SupervisorRecord, SupervisorRound,
};
use crate::{AuditRecord, Store, StoreError};

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! supervisors_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            supervisors_round_trip_and_change_by_version,
            requester_counts_follow_the_states_given,
            a_round_opens_once_and_answers_land_once,
        );
    };
}

fn record(id: &str, phone: &str, unit: minsheng_domain::ids::UnitId) -> SupervisorRecord {
    let t = at(2026, 3, 1, 2, 0);
    SupervisorRecord {
        id: id.into(),
        name: format!("监督员{id}"),
        phone: phone.into(),
        kind: SupervisorKind::Deputy,
        status: SupervisorStatus::Candidate,
        reason: "市人大代表".into(),
        unit_id: unit,
        contact_preferences: vec![ContactChannel::Phone, ContactChannel::Sms],
        address: Some("历下区某街道".into()),
        note: None,
        since: None,
        ended_at: None,
        proposed_at: t,
        proposed_by: Some(UserId::mint(t)),
        updated_at: t,
        version: 1,
    }
}

fn audit(action: &str) -> AuditRecord {
    AuditRecord {
        at: at(2026, 3, 1, 2, 0),
        user_id: UserId::mint(at(2026, 1, 1, 0, 0)),
        action: action.into(),
        target: "supervisors".into(),
        detail: "{}".into(),
    }
}

pub fn supervisors_round_trip_and_change_by_version(store: &dyn Store) {
    let city = City::new();
    city.install(store);
    let a = record(
        "0190a000-0000-7000-8000-000000000001",
        "13900000001",
        city.station_a.id,
    );
    let mut b = record(
        "0190a000-0000-7000-8000-000000000002",
        "13900000002",
        city.station_b.id,
    );
    b.status = SupervisorStatus::Engaged;
    b.since = Some(at(2026, 3, 2, 2, 0));
    b.proposed_by = None;
    b.proposed_at = at(2026, 3, 2, 2, 0);
    let audits = store.audit_log(1000).unwrap().len();
    store
        .insert_supervisors(&[a.clone(), b.clone()], &audit("supervisorCreate"))
        .unwrap();
    assert_eq!(
        store.audit_log(1000).unwrap().len(),
        audits + 1,
        "one audit record"
    );
    assert_eq!(store.supervisor(&a.id).unwrap(), Some(a.clone()));
    assert_eq!(store.supervisor("nobody").unwrap(), None);
    assert!(matches!(
        store.insert_supervisors(std::slice::from_ref(&a), &audit("again")),
        Err(StoreError::AlreadyExists(_))
    ));
    let all = store
        .supervisors(&SupervisorQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all, vec![b.clone(), a.clone()], "newest proposal first");
    let engaged = store
        .supervisors(&SupervisorQuery {
            status: Some(SupervisorStatus::Engaged),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(engaged, vec![b.clone()]);
    let of_a = store
        .supervisors(&SupervisorQuery {
            unit: Some(city.station_a.id),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(of_a, vec![a.clone()]);
    assert_eq!(
        store.supervisors_by_phone("13900000002").unwrap(),
        vec![b.clone()]
    );
    let mut phones = store.supervisor_phones().unwrap();
    phones.sort();
    assert_eq!(phones, vec!["13900000001", "13900000002"]);

    let mut next = a.clone();
    next.status = SupervisorStatus::Engaged;
    next.since = Some(at(2026, 3, 3, 2, 0));
    next.contact_preferences = vec![ContactChannel::Visit];
    next.version = 2;
    store
        .update_supervisor(&next, 1, &audit("supervisorConfirm"))
        .unwrap();
    assert_eq!(store.supervisor(&a.id).unwrap(), Some(next.clone()));
    let mut stale = next.clone();
    stale.version = 2;
    assert!(matches!(
        store.update_supervisor(&stale, 1, &audit("stale")),
        Err(StoreError::StaleVersion { current: 2 })
    ));
    let mut unknown = next.clone();
    unknown.id = "0190a000-0000-7000-8000-00000000000f".into();
    assert!(matches!(
        store.update_supervisor(&unknown, 1, &audit("unknown")),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store.supervisor(&a.id).unwrap(),
        Some(next),
        "refusals write nothing"
    );
}

pub fn requester_counts_follow_the_states_given(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let mut cases = Vec::new();
    // (phone, state, received in March 2026 or in 2024)
    for (phone, state, old) in [
        ("13900000011", CaseState::PendingAcceptance, false),
        ("13900000011", CaseState::Rejected, false),
        ("13900000011", CaseState::Archived, false),
        ("13900000011", CaseState::Rejected, true),
        ("13900000022", CaseState::Merged, false),
        ("13900000022", CaseState::Transferred, false),
        ("13900000033", CaseState::Rejected, false),
        ("13900000033", CaseState::Rejected, false),
    ] {
        let when = if old {
            at(2024, 5, 1, 2, 0)
        } else {
            at(2026, 3, 1, 2, 0)
        };
        let (mut c, entries) = new_case(&clerk, when, "小区噪音", "夜间施工噪音扰民");
        c.citizen.phone = Some(Phone::parse(phone).unwrap());
        c.state = state;
        c.received_at = when;
        cases.push((c, entries));
    }
    store.insert_cases(&org, cases).unwrap();
    let rows = store
        .requester_counts(
            at(2025, 3, 1, 0, 0),
            &[CaseState::Merged],
            &[CaseState::Rejected],
            2,
            10,
        )
        .unwrap();
    let got: Vec<(String, u64, u64)> = rows
        .into_iter()
        .map(|r| (r.phone, r.requests, r.unreasonable))
        .collect();
    assert_eq!(
        got,
        vec![
            ("13900000011".to_owned(), 3, 1),
            ("13900000033".to_owned(), 2, 2),
        ],
        "most requests first; the old case, the merged one and callers below 2 left out"
    );
}

fn consultation(
    id: &str,
    round: &SupervisorRound,
    sup: &SupervisorRecord,
    channel: ContactChannel,
) -> Consultation {
    Consultation {
        id: id.into(),
        round_id: round.id.clone(),
        period: round.period.clone(),
        supervisor_id: sup.id.clone(),
        supervisor_name: sup.name.clone(),
        phone: sup.phone.clone(),
        unit_id: sup.unit_id,
        channel,
        status: ConsultationStatus::Pending,
        opened_at: round.opened_at,
        answered_at: None,
        answered_by: None,
        satisfaction: None,
        text: None,
        suggestion: false,
        case_id: None,
    }
}

pub fn a_round_opens_once_and_answers_land_once(store: &dyn Store) {
    let city = City::new();
    city.install(store);
    let a = record(
        "0190a000-0000-7000-8000-00000000000a",
        "13900000101",
        city.station_a.id,
    );
    let b = record(
        "0190a000-0000-7000-8000-00000000000b",
        "13900000102",
        city.station_b.id,
    );
    store
        .insert_supervisors(&[a.clone(), b.clone()], &audit("supervisorCreate"))
        .unwrap();
    let opened_at = at(2026, 3, 1, 1, 0);
    let round = SupervisorRound {
        id: "0190a000-0000-7000-8000-0000000000r1".into(),
        period: "2026-03".into(),
        opened_at,
        opened_by: None,
        consultations: 0,
        answered: 0,
    };
    let ca = consultation("c-a", &round, &a, ContactChannel::Sms);
    let cb = consultation("c-b", &round, &b, ContactChannel::Visit);
    let survey = sms("supervisor:c-a", &a.phone);
    assert!(store
        .open_supervisor_round(
            &round,
            &[ca.clone(), cb.clone()],
            std::slice::from_ref(&survey)
        )
        .unwrap());
    let mut again = round.clone();
    again.id = "0190a000-0000-7000-8000-0000000000r2".into();
    let other_sms = sms("supervisor:c-x", &a.phone);
    assert!(
        !store
            .open_supervisor_round(&again, &[], std::slice::from_ref(&other_sms))
            .unwrap(),
        "one round per period"
    );
    let queued = store.outbox(None, 100).unwrap();
    assert_eq!(
        queued
            .iter()
            .map(|m| m.event_key.as_str())
            .collect::<Vec<_>>(),
        vec!["supervisor:c-a"],
        "the refused round queued nothing"
    );
    let rounds = store.supervisor_rounds(10).unwrap();
    assert_eq!(rounds.len(), 1);
    assert_eq!((rounds[0].consultations, rounds[0].answered), (2, 0));
    assert_eq!(store.consultation("c-a").unwrap(), Some(ca.clone()));
    let tasks = store
        .consultations(&ConsultationQuery {
            unit: Some(city.station_b.id),
            channels: vec![ContactChannel::Phone, ContactChannel::Visit],
            status: Some(ConsultationStatus::Pending),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(tasks, vec![cb.clone()]);
    let none = store
        .consultations(&ConsultationQuery {
            unit: Some(city.station_a.id),
            channels: vec![ContactChannel::Phone, ContactChannel::Visit],
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert!(none.is_empty(), "station A's only consultation is an SMS");

    let reply_at = opened_at + chrono::Duration::hours(2);
    assert_eq!(
        store.consultation_for_reply(&a.phone, reply_at).unwrap(),
        Some(ca.clone())
    );
    assert_eq!(
        store
            .consultation_for_reply(&a.phone, opened_at - chrono::Duration::hours(1))
            .unwrap(),
        None,
        "a reply sent before the survey answers nothing"
    );
    let answer = RecordedAnswer {
        satisfaction: Satisfaction::BasicallySatisfied,
        text: "巡逻可以再多一些".into(),
        suggestion: true,
        at: reply_at,
        by: None,
    };
    assert!(store
        .answer_consultation("c-a", &answer, "supervisor:c-a", Some(&audit("answer")))
        .unwrap());
    assert!(
        !store
            .answer_consultation("c-a", &answer, "supervisor:c-a", None)
            .unwrap(),
        "answered once"
    );
    assert_eq!(
        store.outbox(None, 100).unwrap()[0].status,
        OutboxStatus::Cancelled,
        "its SMS still waiting is cancelled"
    );
    let case_id = CaseId::mint(reply_at);
    store.link_consultation_case("c-a", case_id).unwrap();
    let got = store.consultation("c-a").unwrap().unwrap();
    assert_eq!(got.status, ConsultationStatus::Answered);
    assert_eq!(got.satisfaction, Some(Satisfaction::BasicallySatisfied));
    assert_eq!(got.text.as_deref(), Some("巡逻可以再多一些"));
    assert!(got.suggestion);
    assert_eq!(got.answered_at, Some(reply_at));
    assert_eq!(got.case_id, Some(case_id));
    assert_eq!(
        store.consultation_for_reply(&a.phone, reply_at).unwrap(),
        None
    );
    let in_march = store
        .consultations(&ConsultationQuery {
            answered_from: Some(at(2026, 2, 28, 16, 0)),
            answered_to: Some(at(2026, 3, 31, 16, 0)),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(in_march, vec![got]);
    assert_eq!(store.supervisor_rounds(10).unwrap()[0].answered, 1);
}
