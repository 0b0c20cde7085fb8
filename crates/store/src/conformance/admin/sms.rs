//! SMS templates and dead letters as the admin changes them; dispatch feedback.

use super::{by_action, change, minted};

use crate::admin::{DeadLetterFate, TemplateSave};
use crate::conformance::{actor, at, new_case, City};
use crate::notify::{NewSms, OutboxStatus, SendResult, SmsTemplate};
use crate::{DispatchFeedback, FeedbackCounts, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use minsheng_domain::role::Role;

pub(crate) fn template(name: &str, body: &str, at: DateTime<Utc>) -> SmsTemplate {
    SmsTemplate {
        code: "followUp".into(),
        name: name.into(),
        body: body.into(),
        provider_template_id: Some("SMS_1".into()),
        updated_at: at,
    }
}

pub fn an_sms_template_is_saved_with_its_audit(store: &dyn Store) {
    let admin = minted(at(2026, 1, 1, 0, 0));
    let t = at(2026, 3, 1, 8, 0);
    let first = template("回访", "您好，{caseNumber} 已办结。", t);
    let mut seen: Vec<Option<SmsTemplate>> = Vec::new();
    let saved = store
        .save_sms_template("followUp", &mut |old| {
            seen.push(old.cloned());
            Ok(TemplateSave {
                template: first.clone(),
                audit: change(t, admin, "updateSmsTemplate", "followUp"),
            })
        })
        .unwrap();
    assert_eq!(saved, first);
    let second = template(
        "回访",
        "您好，{caseNumber} 已办结，请回复 1-3。",
        t + Duration::hours(1),
    );
    store
        .save_sms_template("followUp", &mut |old| {
            seen.push(old.cloned());
            Ok(TemplateSave {
                template: second.clone(),
                audit: change(t, admin, "updateSmsTemplate", "followUp"),
            })
        })
        .unwrap();
    assert_eq!(
        seen,
        vec![None, Some(first.clone())],
        "the closure sees the stored one"
    );
    assert_eq!(
        store.count_audit(&by_action("updateSmsTemplate")).unwrap(),
        2
    );

    let err = store
        .save_sms_template("followUp", &mut |old| {
            seen.push(old.cloned());
            Err(StoreError::Invalid {
                code: "TEMPLATE_INVALID",
                message: "模板无效".into(),
            })
        })
        .unwrap_err();
    assert_eq!(err.code(), "TEMPLATE_INVALID");
    assert_eq!(seen.last(), Some(&Some(second.clone())));
    assert_eq!(
        store.count_audit(&by_action("updateSmsTemplate")).unwrap(),
        2,
        "a refused save writes nothing"
    );
    store
        .save_sms_template("followUp", &mut |old| {
            assert_eq!(old, Some(&second), "the refused save changed nothing");
            Ok(TemplateSave {
                template: second.clone(),
                audit: change(t, admin, "updateSmsTemplate", "followUp"),
            })
        })
        .unwrap();
}

pub fn a_dead_letter_is_retried_or_discarded_with_its_audit(store: &dyn Store) {
    let admin = minted(at(2026, 1, 1, 0, 0));
    let t = at(2026, 3, 1, 8, 0);
    for key in ["dl-1", "dl-2", "live"] {
        let sms = NewSms {
            event_key: key.into(),
            phone: "13912345678".into(),
            template: "followUp".into(),
            provider_template_id: None,
            params: serde_json::json!({ "key": key }),
            body: format!("短信 {key}"),
        };
        assert!(store.enqueue_sms(&sms, t).unwrap());
    }
    let claimed = store.claim_due_sms(t, 60, 10).unwrap();
    assert_eq!(claimed.len(), 3);
    let id_of = |key: &str| {
        claimed
            .iter()
            .find(|m| m.event_key == key)
            .map(|m| m.id.clone())
            .unwrap()
    };
    for key in ["dl-1", "dl-2"] {
        store
            .finish_sms(
                &id_of(key),
                &SendResult::Failed {
                    error: "号码停机".into(),
                    retry_at: t,
                    dead: true,
                },
                t,
            )
            .unwrap();
    }
    let audit = |what: &str| change(t, admin, "settleDeadLetter", what);

    assert_eq!(
        store
            .settle_dead_letter(&id_of("live"), &DeadLetterFate::Retry, &audit("live"), t)
            .unwrap(),
        None,
        "not a dead letter"
    );
    assert_eq!(
        store
            .settle_dead_letter("nope", &DeadLetterFate::Retry, &audit("nope"), t)
            .unwrap(),
        None
    );
    assert_eq!(
        store.count_audit(&by_action("settleDeadLetter")).unwrap(),
        0
    );

    let discard = DeadLetterFate::Discard {
        reason: "号码已注销".into(),
    };
    let gone = store
        .settle_dead_letter(&id_of("dl-1"), &discard, &audit("dl-1"), t)
        .unwrap()
        .unwrap();
    assert_eq!(gone.status, OutboxStatus::Discarded);
    assert_eq!(gone.discard_reason.as_deref(), Some("号码已注销"));
    assert_eq!(
        store
            .settle_dead_letter(&id_of("dl-1"), &DeadLetterFate::Retry, &audit("dl-1"), t)
            .unwrap(),
        None,
        "settled once"
    );

    let later = t + Duration::hours(2);
    let back = store
        .settle_dead_letter(
            &id_of("dl-2"),
            &DeadLetterFate::Retry,
            &audit("dl-2"),
            later,
        )
        .unwrap()
        .unwrap();
    assert_eq!(back.status, OutboxStatus::Pending);
    assert_eq!(back.attempts, 0, "attempts reset");
    assert_eq!(back.next_attempt_at, later);
    assert_eq!(back.discard_reason, None);
    assert_eq!(back.event_key, "dl-2");
    assert_eq!(
        store.count_audit(&by_action("settleDeadLetter")).unwrap(),
        2
    );
}

pub fn dispatch_feedback_is_counted_in_buckets(store: &dyn Store) {
    let city = City::new();
    let clerk = actor(Role::Clerk, &city.city);
    let origin = at(2026, 3, 2, 0, 0);
    let day = Duration::days(1);
    let fb = |at: DateTime<Utc>, cat: bool, unit: bool, rt: Option<&str>| {
        let (c, _) = new_case(&clerk, at, "反馈", "内容");
        DispatchFeedback {
            case_id: c.id,
            at,
            action: "dispatch".into(),
            suggested_category: Some(if cat { "治安" } else { "交通" }.into()),
            chosen_category: "治安".into(),
            suggested_unit: Some(if unit {
                city.station_a.id
            } else {
                city.station_b.id
            }),
            chosen_unit: city.station_a.id,
            suggested_request_type: rt.map(str::to_owned),
            chosen_request_type: "complaint".into(),
            model_version: Some(3),
        }
    };
    for f in [
        fb(origin - Duration::hours(1), true, true, Some("complaint")),
        fb(origin, true, true, Some("complaint")),
        fb(origin + Duration::hours(5), false, true, Some("report")),
        fb(origin + day + Duration::hours(1), true, false, None),
        fb(
            origin + day * 3 + Duration::hours(23),
            false,
            false,
            Some("complaint"),
        ),
    ] {
        store.record_dispatch_feedback(&f).unwrap();
    }
    let counts = |d: u64, c: u64, u: u64, r: u64| FeedbackCounts {
        dispatches: d,
        category_matched: c,
        unit_matched: u,
        request_type_matched: r,
    };
    assert_eq!(
        store
            .dispatch_feedback_buckets(origin, day.num_milliseconds())
            .unwrap(),
        vec![
            (0, counts(2, 1, 2, 1)),
            (1, counts(1, 1, 0, 0)),
            (3, counts(1, 0, 0, 1)),
        ],
        "rows from `origin` on, in buckets of the width; empty buckets left out"
    );
}
