//! Idempotent bulk imports; concurrent admin changes.

use super::{by_action, change, empty_year, minted, reply};

use crate::bulk::ImportStart;
use crate::conformance::{actor, at, new_case, City};
use crate::knowledge::StandardReplyEdit;
use crate::{Store, StoreError};
use chrono::Duration;
use minsheng_domain::config::{CategoryEntry, ConfigSnapshot};
use minsheng_domain::role::Role;
use std::sync::Barrier;

pub fn a_bulk_import_retried_with_the_same_key_answers_the_first_answer(store: &dyn Store) {
    let me = minted(at(2026, 1, 1, 0, 0));
    let other = minted(at(2026, 1, 1, 0, 1));
    let t = at(2026, 3, 1, 8, 0);
    assert!(matches!(
        store.begin_bulk_import(me, "k1", "hash-a", t).unwrap(),
        ImportStart::Open(rows) if rows.is_empty()
    ));
    assert!(
        matches!(
            store.begin_bulk_import(me, "k1", "hash-a", t).unwrap(),
            ImportStart::Open(rows) if rows.is_empty()
        ),
        "not answered yet: open again"
    );
    assert!(
        matches!(
            store.begin_bulk_import(me, "k1", "hash-b", t).unwrap(),
            ImportStart::Mismatch
        ),
        "the key names another request"
    );
    let first = serde_json::json!({ "stored": 3, "failed": [] });
    let second = serde_json::json!({ "stored": 0, "failed": [1] });
    assert_eq!(store.finish_bulk_import(me, "k1", &first).unwrap(), first);
    assert_eq!(
        store.finish_bulk_import(me, "k1", &second).unwrap(),
        first,
        "the first answer stays"
    );
    match store.begin_bulk_import(me, "k1", "hash-a", t).unwrap() {
        ImportStart::Done(answer) => assert_eq!(answer, first),
        other => panic!("a retry gets the first answer: {other:?}"),
    }
    assert!(matches!(
        store.begin_bulk_import(me, "k1", "hash-b", t).unwrap(),
        ImportStart::Mismatch
    ));
    assert!(
        matches!(
            store.begin_bulk_import(other, "k1", "hash-b", t).unwrap(),
            ImportStart::Open(rows) if rows.is_empty()
        ),
        "keys are per user"
    );
}

pub fn a_bulk_import_retry_stores_only_the_rows_not_stored_yet(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let t = at(2026, 3, 1, 8, 0);
    let me = clerk.user_id;
    assert!(matches!(
        store.begin_bulk_import(me, "k1", "hash", t).unwrap(),
        ImportStart::Open(rows) if rows.is_empty()
    ));
    let (c0, e0) = new_case(&clerk, t, "第一行", "内容一");
    let (c2, e2) = new_case(&clerk, t, "第三行", "内容三");
    let stored = store
        .insert_import_cases(&org, me, "k1", vec![(0, c0, e0), (2, c2, e2)])
        .unwrap();
    assert_eq!(stored.iter().map(|(r, _)| *r).collect::<Vec<_>>(), [0, 2]);
    let (s0, s2) = (stored[0].1.clone(), stored[1].1.clone());
    assert!(s0.number.is_some(), "stored as `insert_cases` stores");

    // The first attempt failed after rows 0 and 2: a retry finds them.
    match store.begin_bulk_import(me, "k1", "hash", t).unwrap() {
        ImportStart::Open(rows) => assert_eq!(rows, vec![(0, s0.clone()), (2, s2.clone())]),
        other => panic!("open with the stored rows: {other:?}"),
    }
    // Row 0 again (the retry's own copy) is not stored twice; row 1 is new.
    let (again, e_again) = new_case(&clerk, t + Duration::minutes(1), "第一行", "内容一");
    let (c1, e1) = new_case(&clerk, t + Duration::minutes(1), "第二行", "内容二");
    let c1_id = c1.id;
    let again_id = again.id;
    let out = store
        .insert_import_cases(&org, me, "k1", vec![(0, again, e_again), (1, c1, e1)])
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0], (0, s0.clone()), "the case stored the first time");
    assert_eq!(out[1].0, 1);
    assert_eq!(out[1].1.id, c1_id);
    assert_eq!(
        store.case(again_id).unwrap(),
        None,
        "no second case for row 0"
    );
    assert_eq!(store.case(c1_id).unwrap().as_ref(), Some(&out[1].1));

    let answer = serde_json::json!({ "stored": 3 });
    assert_eq!(store.finish_bulk_import(me, "k1", &answer).unwrap(), answer);
    match store.begin_bulk_import(me, "k1", "hash", t).unwrap() {
        ImportStart::Done(a) => assert_eq!(a, answer),
        other => panic!("answered: {other:?}"),
    }
}

/// Runs `f(i)` on `n` threads started together; their results in thread order.
pub(crate) fn together<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let start = Barrier::new(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (start, f) = (&start, &f);
                scope.spawn(move || {
                    start.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

pub fn concurrent_config_changes_get_consecutive_versions(store: &dyn Store) {
    let admin = minted(at(2026, 1, 1, 0, 0));
    let v0 = store.config_version().unwrap();
    let sla0 = store.config_snapshot().unwrap().sla.len();
    let t = at(2026, 3, 1, 8, 0);
    let n = 9;
    let results = together(n, |i| {
        let audit = change(t, admin, "concurrentChange", &format!("change/{i}"));
        match i % 3 {
            0 => {
                let mut cats = ConfigSnapshot::builtin().categories;
                cats.push(CategoryEntry::active(&format!("类别{i}")));
                store.put_categories(&cats, &audit).map(|v| (v, None))
            }
            1 => store
                .put_holiday_year(&empty_year(2050 + i as i32), &audit)
                .map(|v| (v, None)),
            _ => {
                let mut rules = ConfigSnapshot::builtin().sla[0].rules.clone();
                rules.warn_percent = 10 + i as i64;
                store
                    .add_sla_version(&rules, at(2027, 1, 1, 0, 0), &audit)
                    .map(|e| (0, Some(e.version)))
            }
        }
    });
    let mut editions = Vec::new();
    for r in results {
        let (_, edition) = r.expect("every change is stored");
        editions.extend(edition);
    }
    let snap = store.config_snapshot().unwrap();
    assert_eq!(snap.version, v0 + n as i64, "one version per change");
    editions.sort_unstable();
    editions.dedup();
    assert_eq!(editions.len(), 3, "each SLA edition has its own number");
    assert_eq!(snap.sla.len(), sla0 + 3);
    assert_eq!(
        store.count_audit(&by_action("concurrentChange")).unwrap(),
        n as u64
    );
    for i in (1..n).step_by(3) {
        assert!(snap.holiday_years.iter().any(|y| y.year == 2050 + i as i32));
    }
}

pub fn concurrent_edits_of_a_standard_reply_let_one_win(store: &dyn Store) {
    store
        .insert_standard_reply(&reply("kb-c", "噪音扰民", "原题", "原文"))
        .unwrap();
    let n = 6;
    let results = together(n, |i| {
        let edit = StandardReplyEdit {
            category: "噪音扰民".into(),
            title: format!("修改 {i}"),
            body: format!("正文 {i}"),
            updated_by: Some(format!("editor-{i}")),
            updated_at: at(2026, 3, 1, 8, 0),
        };
        store.update_standard_reply("kb-c", 1, &edit)
    });
    let mut won = Vec::new();
    for r in results {
        match r {
            Ok(w) => won.push(w),
            Err(StoreError::StaleVersion { current: 2 }) => {}
            Err(e) => panic!("a losing edit is StaleVersion, not {e:?}"),
        }
    }
    assert_eq!(won.len(), 1, "one edit based on version 1 wins");
    assert_eq!(won[0].version, 2);
    assert_eq!(
        store.standard_reply("kb-c").unwrap().as_ref(),
        Some(&won[0])
    );
    assert_eq!(store.standard_reply_versions("kb-c").unwrap().len(), 1);
}

pub fn concurrent_attempts_of_a_bulk_import_agree(store: &dyn Store) {
    let me = minted(at(2026, 1, 1, 0, 0));
    let t = at(2026, 3, 1, 8, 0);
    let n = 6;
    for start in together(n, |_| store.begin_bulk_import(me, "k", "hash", t)) {
        assert!(
            matches!(start, Ok(ImportStart::Open(ref rows)) if rows.is_empty()),
            "every attempt finds the key open: {start:?}"
        );
    }
    let answers = together(n, |i| {
        store.finish_bulk_import(me, "k", &serde_json::json!({ "attempt": i }))
    });
    let answers: Vec<serde_json::Value> = answers.into_iter().map(Result::unwrap).collect();
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "every attempt answers the one stored answer: {answers:?}"
    );
    match store.begin_bulk_import(me, "k", "hash", t).unwrap() {
        ImportStart::Done(a) => assert_eq!(a, answers[0]),
        other => panic!("answered: {other:?}"),
    }
}
