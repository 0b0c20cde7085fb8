//! Cases: insert, numbers, updates under the version check, lists in scope.

use minsheng_domain::case::CaseState;
use minsheng_domain::role::Role;
use minsheng_domain::scope::ListScope;

use super::{actor, at, dispatched, entry, new_case, City};
use crate::{CaseQuery, CaseUpdate, Store, StoreError};

fn query(scope: ListScope, now: chrono::DateTime<chrono::Utc>) -> CaseQuery {
    CaseQuery {
        scope: Some(scope),
        limit: 50,
        now,
        ..CaseQuery::default()
    }
}

pub fn case_round_trip_with_its_timeline(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let now = at(2026, 3, 2, 2, 0);
    let (c, entries) = new_case(
        &clerk,
        now,
        "噪音扰民",
        "楼下饭店夜里十二点还在营业，油烟和噪音很大。",
    );
    let stored = store
        .insert_cases(&org, vec![(c.clone(), entries.clone())])
        .unwrap();
    assert_eq!(stored.len(), 1);
    let s = &stored[0];
    assert_eq!(s.version, 1, "one entry, version 1");
    assert!(s.number.is_some(), "the store assigns the case number");
    let back = store.case(c.id).unwrap().expect("stored");
    assert_eq!(&back, s, "the case reads back as it was stored");
    assert_eq!(store.timeline(c.id).unwrap(), entries);
    assert_eq!(
        store.case(minsheng_domain::ids::CaseId::mint(now)).unwrap(),
        None
    );
}

/// SPEC: case numbers are `MSyyyymmddNNNN`, counted per Beijing day of receipt.
pub fn case_numbers_count_per_beijing_day(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    // 15:59 UTC is 23:59 in Beijing on 1 March; 16:01 UTC is already 2 March there.
    let times = [
        at(2026, 3, 1, 15, 58),
        at(2026, 3, 1, 15, 59),
        at(2026, 3, 1, 16, 1),
    ];
    let mut numbers = Vec::new();
    for (i, t) in times.iter().enumerate() {
        let (c, e) = new_case(&clerk, *t, &format!("第{i}件"), "内容");
        let s = store.insert_cases(&org, vec![(c, e)]).unwrap();
        numbers.push(s[0].number.clone().unwrap());
    }
    assert_eq!(
        numbers,
        ["MS202603010001", "MS202603010002", "MS202603020001"]
    );
    // Several in one call are numbered in order.
    let batch: Vec<_> = (0..2)
        .map(|i| new_case(&clerk, at(2026, 3, 2, 1, i), &format!("批量{i}"), "内容"))
        .collect();
    let s = store.insert_cases(&org, batch).unwrap();
    let got: Vec<_> = s.iter().map(|c| c.number.clone().unwrap()).collect();
    assert_eq!(got, ["MS202603020002", "MS202603020003"]);
}

pub fn a_taken_case_id_is_refused_and_nothing_is_written(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let now = at(2026, 3, 2, 2, 0);
    let (c, e) = new_case(&clerk, now, "原件", "内容");
    store.insert_cases(&org, vec![(c.clone(), e)]).unwrap();
    let (mut twin, e2) = new_case(&clerk, now, "同号的另一件", "内容");
    twin.id = c.id;
    let fresh = new_case(&clerk, now, "同批的新件", "内容");
    let fresh_id = fresh.0.id;
    let err = store
        .insert_cases(&org, vec![fresh, (twin, e2)])
        .unwrap_err();
    assert_eq!(err.code(), "ALREADY_EXISTS", "{err:?}");
    assert_eq!(store.case(c.id).unwrap().unwrap().title, "原件");
    assert_eq!(store.case(fresh_id).unwrap(), None, "all or nothing");
}

pub fn an_update_bumps_the_version_and_appends_one_entry(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let t0 = at(2026, 3, 2, 2, 0);
    let (c, e) = new_case(&clerk, t0, "待派", "内容");
    store.insert_cases(&org, vec![(c.clone(), e)]).unwrap();
    let t1 = at(2026, 3, 2, 3, 0);
    let after = store
        .update_case(&org, c.id, Some(1), &mut |cur, last| {
            let next = dispatched(cur.clone(), &city.station_a);
            let e = entry(
                Some(last),
                cur,
                &clerk,
                t1,
                "dispatch",
                Some(cur.state),
                next.state,
            );
            Ok(CaseUpdate::Write(Box::new(next), Box::new(e)))
        })
        .unwrap();
    assert_eq!(after.version, 2);
    assert_eq!(after.state, CaseState::PendingSignIn);
    assert_eq!(store.case(c.id).unwrap().unwrap(), after);
    let tl = store.timeline(c.id).unwrap();
    assert_eq!(tl.len(), 2);
    assert_eq!(tl[1].kind, "dispatch");
    // `Unchanged` writes nothing.
    let same = store
        .update_case(&org, c.id, None, &mut |_, _| Ok(CaseUpdate::Unchanged))
        .unwrap();
    assert_eq!(same, after);
    assert_eq!(store.timeline(c.id).unwrap().len(), 2);
}

pub fn a_stale_expected_version_is_a_conflict(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let (c, e) = new_case(&clerk, at(2026, 3, 2, 2, 0), "待派", "内容");
    store.insert_cases(&org, vec![(c.clone(), e)]).unwrap();
    let mut ran = false;
    let err = store
        .update_case(&org, c.id, Some(7), &mut |_, _| {
            ran = true;
            Ok(CaseUpdate::Unchanged)
        })
        .unwrap_err();
    assert!(
        matches!(err, StoreError::VersionConflict { current: 1 }),
        "{err:?}"
    );
    assert!(!ran, "the closure does not run on a stale version");
    let missing = minsheng_domain::ids::CaseId::mint(at(2026, 3, 2, 2, 0));
    let err = store
        .update_case(&org, missing, None, &mut |_, _| Ok(CaseUpdate::Unchanged))
        .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND", "{err:?}");
}

#[derive(Debug, thiserror::Error)]
#[error("不允许")]
struct Refusal;

pub fn a_refusal_inside_an_update_comes_back_unchanged_and_writes_nothing(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let (c, e) = new_case(&clerk, at(2026, 3, 2, 2, 0), "待派", "内容");
    store.insert_cases(&org, vec![(c.clone(), e)]).unwrap();
    let err = store
        .update_case(&org, c.id, Some(1), &mut |_, _| {
            Err(StoreError::Caller(Box::new(Refusal)))
        })
        .unwrap_err();
    match err {
        StoreError::Caller(inner) => assert!(inner.downcast::<Refusal>().is_ok()),
        other => panic!("expected the caller's error back, got {other:?}"),
    }
    assert_eq!(store.case(c.id).unwrap().unwrap().version, 1);
    assert_eq!(store.timeline(c.id).unwrap().len(), 1);
}

/// A case dispatched to station A is in A's, its branch's and the city's lists, not in
/// station B's (same branch) or another branch's.
pub fn lists_and_counts_follow_the_scope(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let now = at(2026, 3, 2, 2, 0);
    let (c, e) = new_case(&clerk, now, "派到甲所", "内容");
    let c = dispatched(c, &city.station_a);
    store.insert_cases(&org, vec![(c.clone(), e)]).unwrap();
    let (p, e) = new_case(&clerk, now, "未派", "内容");
    store.insert_cases(&org, vec![(p.clone(), e)]).unwrap();
    let later = at(2026, 3, 2, 3, 0);
    let ids = |scope: ListScope| -> Vec<_> {
        store
            .list_cases(&query(scope, later))
            .unwrap()
            .items
            .into_iter()
            .map(|s| s.id)
            .collect()
    };
    assert_eq!(ids(ListScope::Unit(city.station_a.id)), vec![c.id]);
    assert_eq!(ids(ListScope::Unit(city.branch.id)), vec![c.id]);
    assert!(ids(ListScope::Unit(city.station_b.id)).is_empty());
    assert!(ids(ListScope::Unit(city.other_branch.id)).is_empty());
    assert!(ids(ListScope::Nothing).is_empty());
    let mut all = ids(ListScope::Everything);
    all.sort();
    let mut want = vec![c.id, p.id];
    want.sort();
    assert_eq!(all, want);
    assert_eq!(
        store
            .count_cases(&query(ListScope::Everything, later))
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .count_cases(&query(ListScope::Unit(city.station_b.id), later))
            .unwrap(),
        0
    );
    let states = CaseQuery {
        states: vec![CaseState::PendingSignIn],
        ..query(ListScope::Everything, later)
    };
    assert_eq!(store.count_cases(&states).unwrap(), 1);
}

pub fn text_search_matches_title_and_content(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let now = at(2026, 3, 2, 2, 0);
    let (a, e1) = new_case(&clerk, now, "电动车被盗", "昨晚停在小区楼下的电动车不见了");
    let (b, e2) = new_case(&clerk, now, "噪音", "广场舞音响太吵，影响休息");
    store
        .insert_cases(&org, vec![(a.clone(), e1), (b.clone(), e2)])
        .unwrap();
    let find = |text: &str| -> Vec<_> {
        let q = CaseQuery {
            text: Some(text.into()),
            ..query(ListScope::Everything, now)
        };
        store
            .list_cases(&q)
            .unwrap()
            .items
            .into_iter()
            .map(|s| s.id)
            .collect()
    };
    assert_eq!(find("电动车"), vec![a.id], "a word of the title");
    assert_eq!(find("广场舞"), vec![b.id], "a word of the content only");
    assert!(find("派出所").is_empty());
}

/// The work lists (未签收, 办理中, 即将逾期, 已逾期) a backend selects and counts are the
/// ones the domain's `lists_of` gives each case: the rule lives in the domain once and
/// a backend's filters must agree with it on every combination of state and deadlines.
pub fn work_lists_agree_with_the_domain(store: &dyn Store) {
    use chrono::Duration;
    use minsheng_domain::lists::{is_overdue, lists_of, WorkList};
    use std::collections::BTreeSet;

    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let now = at(2026, 3, 10, 2, 0);
    let past = Some(now - Duration::hours(1));
    let future = Some(now + Duration::hours(1));
    let states = [
        CaseState::PendingAcceptance,
        CaseState::PendingSignIn,
        CaseState::InProgress,
        CaseState::PendingReview,
        CaseState::Completed,
    ];
    let mut all = Vec::new();
    let mut n = 0;
    for state in states {
        for sign_in in [past, future, None] {
            for sign_in_warn in [past, future] {
                for reply in [past, future, None] {
                    for reply_warn in [past, future] {
                        n += 1;
                        let (c, e) =
                            new_case(&clerk, at(2026, 3, 1, 2, 0), &format!("第{n}件"), "内容");
                        let mut c = dispatched(c, &city.station_a);
                        c.state = state;
                        c.deadlines.sign_in = sign_in;
                        c.deadlines.sign_in_warn = sign_in_warn;
                        c.deadlines.reply = reply;
                        c.deadlines.reply_warn = reply_warn;
                        all.push((c, e));
                    }
                }
            }
        }
    }
    let cases: Vec<_> = all.iter().map(|(c, _)| c.clone()).collect();
    store.insert_cases(&org, all).unwrap();
    for list in [
        WorkList::Unsigned,
        WorkList::InProgress,
        WorkList::DueSoon,
        WorkList::Overdue,
    ] {
        let want: BTreeSet<_> = cases
            .iter()
            .filter(|c| lists_of(c, now).contains(&list))
            .map(|c| c.id)
            .collect();
        let q = CaseQuery {
            list: Some(list),
            limit: 1000,
            ..query(ListScope::Everything, now)
        };
        let got: BTreeSet<_> = store
            .list_cases(&q)
            .unwrap()
            .items
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(got, want, "{list:?}");
        assert_eq!(
            store.count_cases(&q).unwrap(),
            want.len() as u64,
            "{list:?} count"
        );
    }
    let counts = store.worklist_counts(&ListScope::Everything, now).unwrap();
    let count = |l: WorkList| {
        cases
            .iter()
            .filter(|c| lists_of(c, now).contains(&l))
            .count() as u64
    };
    assert_eq!(counts.unsigned, count(WorkList::Unsigned));
    assert_eq!(counts.in_progress, count(WorkList::InProgress));
    assert_eq!(counts.due_soon, count(WorkList::DueSoon));
    assert_eq!(counts.overdue, count(WorkList::Overdue));
    let q = CaseQuery {
        limit: 1000,
        ..query(ListScope::Everything, now)
    };
    for s in store.list_cases(&q).unwrap().items {
        let c = cases.iter().find(|c| c.id == s.id).unwrap();
        assert_eq!(
            s.overdue,
            is_overdue(c, now),
            "overdue flag of {:?}",
            c.deadlines
        );
    }
}
