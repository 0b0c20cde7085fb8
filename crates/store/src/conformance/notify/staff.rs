//! Staff notifications, prefs, the notify cursor; candidates, deadline hits and the change log read by the notify workers.

use super::{find, sms};

use crate::conformance::{actor, at, dispatched, entry, new_case, City};
use crate::notify::{
    FollowUpStatus, FollowUpSubject, NewFollowUp, NotifyPrefs, OutboxStatus, StaffNotification,
};
use crate::{CaseUpdate, Store};
use chrono::{DateTime, Duration, Utc};
use minsheng_domain::case::{Case, CaseState, FollowUpLevel, Reply};
use minsheng_domain::ids::UserId;
use minsheng_domain::role::Role;

pub(crate) fn note_for(user: UserId, key: &str, created_at: DateTime<Utc>) -> StaffNotification {
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
pub(crate) fn completed(mut c: Case, now: DateTime<Utc>) -> Case {
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

pub(crate) fn case_round(c: &Case, level: &str, due: DateTime<Utc>) -> NewFollowUp {
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
