//! Cases: insert, numbers, updates under the version check, lists in scope.

use minsheng_domain::case::CaseState;
use minsheng_domain::ids::CaseId;
use minsheng_domain::role::Role;
use minsheng_domain::scope::ListScope;
use minsheng_domain::timeline::TimelineEntry;

use super::{actor, at, dispatched, entry, new_case, City};
use crate::{CaseQuery, CaseUpdate, Store, StoreError};

/// The core contract's checks added after the first 19 (those are listed in
/// `conformance_tests!` itself), one `#[test]` each, from cases.rs, sessions.rs and
/// sync.rs.
#[macro_export]
macro_rules! core_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            pages_follow_the_keyset_cursor,
            text_search_takes_the_words_literally,
            filters_narrow_the_list,
            timelines_since_a_position_hold_only_the_newer_entries,
            callers_history_is_by_exact_phone_newest_first,
            merged_duplicates_are_found_by_their_masters_state,
            the_duplicate_index_and_the_training_history_select_their_cases,
            dispatch_feedback_is_counted_since_an_instant,
            moving_a_unit_rescopes_its_cases,
            retired_refresh_tokens_are_forgotten_after_their_family_ends,
            concurrent_reservations_stop_at_the_limit,
            concurrent_audit_writers_form_one_chain,
            concurrent_writers_never_let_a_pull_skip_a_change,
            one_command_pushed_twice_at_once_applies_once,
            a_pushed_intake_gets_its_number_and_enters_the_log,
        );
    };
}

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

fn ids_of(page: &crate::CasePage) -> Vec<CaseId> {
    page.items.iter().map(|s| s.id).collect()
}

/// The list is newest received first (ties by id, descending), and following `next`
/// visits every case once, in that order, in scoped and unscoped lists alike.
pub fn pages_follow_the_keyset_cursor(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    // Three cases share one received instant: the id breaks the tie.
    let times = [
        at(2026, 3, 2, 1, 0),
        at(2026, 3, 2, 2, 0),
        at(2026, 3, 2, 2, 0),
        at(2026, 3, 2, 2, 0),
        at(2026, 3, 2, 3, 0),
    ];
    let cases: Vec<_> = times
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let (c, e) = new_case(&clerk, *t, &format!("第{i}件"), "内容");
            (dispatched(c, &city.station_a), e)
        })
        .collect();
    let mut want: Vec<_> = cases.iter().map(|(c, _)| (c.received_at, c.id)).collect();
    want.sort();
    want.reverse();
    let want: Vec<_> = want.into_iter().map(|(_, id)| id).collect();
    store.insert_cases(&org, cases).unwrap();
    for scope in [
        ListScope::Everything,
        ListScope::Unit(city.station_a.id),
        ListScope::Unit(city.branch.id),
    ] {
        let mut q = CaseQuery {
            limit: 2,
            ..query(scope.clone(), at(2026, 3, 2, 4, 0))
        };
        let mut got = Vec::new();
        let mut pages = 0;
        loop {
            let page = store.list_cases(&q).unwrap();
            assert!(page.items.len() <= 2, "at most `limit` per page");
            got.extend(ids_of(&page));
            pages += 1;
            match page.next {
                Some(next) => q.after = Some(next),
                None => break,
            }
            assert!(pages <= 5, "the cursor moves on");
        }
        assert_eq!(got, want, "{scope:?}: every case once, newest first");
    }
}

/// The search text is a literal: `%` and `_` match themselves, not any text.
pub fn text_search_takes_the_words_literally(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let now = at(2026, 3, 2, 2, 0);
    let (pct, e1) = new_case(&clerk, now, "满意率100%的窗口", "内容");
    let (plain, e2) = new_case(&clerk, now, "满意率1000的窗口", "内容");
    let (under, e3) = new_case(&clerk, now, "编号a_b", "内容");
    let (other, e4) = new_case(&clerk, now, "编号axb", "内容");
    store
        .insert_cases(
            &org,
            vec![
                (pct.clone(), e1),
                (plain, e2),
                (under.clone(), e3),
                (other, e4),
            ],
        )
        .unwrap();
    let find = |text: &str| -> Vec<_> {
        let query = CaseQuery {
            text: Some(text.into()),
            ..query(ListScope::Everything, now)
        };
        ids_of(&store.list_cases(&query).unwrap())
    };
    assert_eq!(find("%"), vec![pct.id], "a short text with a wildcard");
    assert_eq!(find("00%的"), vec![pct.id], "a longer text with a wildcard");
    assert_eq!(find("_"), vec![under.id]);
    assert_eq!(find("a_b"), vec![under.id]);
    assert_eq!(
        store
            .count_cases(&CaseQuery {
                text: Some("%".into()),
                ..query(ListScope::Everything, now)
            })
            .unwrap(),
        1
    );
}

/// Category, channel, request type, received range and a unit's reach narrow the list.
pub fn filters_narrow_the_list(store: &dyn Store) {
    use minsheng_domain::case::{Category, Channel, RequestType};
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let (a, e1) = new_case(&clerk, at(2026, 3, 1, 2, 0), "甲", "内容");
    let mut a = dispatched(a, &city.station_a);
    a.category = Some(Category::new("噪音扰民").unwrap());
    let (b, e2) = new_case(&clerk, at(2026, 3, 2, 2, 0), "乙", "内容");
    let mut b = dispatched(b, &city.other_station);
    b.category = Some(Category::new("治安管理").unwrap());
    b.channel = Channel::PoliceHotline;
    b.request_type = RequestType::Consultation;
    store
        .insert_cases(&org, vec![(a.clone(), e1), (b.clone(), e2)])
        .unwrap();
    let now = at(2026, 3, 3, 0, 0);
    let find = |q: CaseQuery| ids_of(&store.list_cases(&q).unwrap());
    let all = || query(ListScope::Everything, now);
    assert_eq!(
        find(CaseQuery {
            category: Some("噪音扰民".into()),
            ..all()
        }),
        vec![a.id]
    );
    assert_eq!(
        find(CaseQuery {
            channel: Some(Channel::PoliceHotline),
            ..all()
        }),
        vec![b.id]
    );
    assert_eq!(
        find(CaseQuery {
            request_type: Some(RequestType::Complaint),
            ..all()
        }),
        vec![a.id]
    );
    assert_eq!(
        find(CaseQuery {
            received_from: Some(at(2026, 3, 2, 0, 0)),
            ..all()
        }),
        vec![b.id],
        "from is inclusive"
    );
    assert_eq!(
        find(CaseQuery {
            received_from: Some(at(2026, 3, 1, 2, 0)),
            received_to: Some(at(2026, 3, 2, 2, 0)),
            ..all()
        }),
        vec![a.id],
        "to is exclusive"
    );
    assert_eq!(
        find(CaseQuery {
            unit: Some(city.branch.id),
            ..all()
        }),
        vec![a.id],
        "a unit reaches its subtree's cases"
    );
    assert_eq!(
        find(CaseQuery {
            unit: Some(city.other_station.id),
            ..query(ListScope::Unit(city.city.id), now)
        }),
        vec![b.id],
        "a unit filter inside a scope"
    );
    assert_eq!(
        store
            .count_cases(&CaseQuery {
                overdue: Some(false),
                ..all()
            })
            .unwrap(),
        2,
        "cases without deadlines are not overdue"
    );
}

fn timeline_of(raw: &[Box<serde_json::value::RawValue>]) -> Vec<TimelineEntry> {
    raw.iter()
        .map(|r| serde_json::from_str(r.get()).expect("a stored entry"))
        .collect()
}

/// `timelines_json`: case by case, oldest first; with a change-log position, only the
/// entries each case gained after it.
pub fn timelines_since_a_position_hold_only_the_newer_entries(store: &dyn Store) {
    use super::note;
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let (a, e1) = new_case(&clerk, at(2026, 3, 2, 1, 0), "甲", "内容");
    let (b, e2) = new_case(&clerk, at(2026, 3, 2, 1, 1), "乙", "内容");
    store
        .insert_cases(&org, vec![(a.clone(), e1), (b.clone(), e2)])
        .unwrap();
    let known = store
        .changes_since(&ListScope::Everything, 0, 100)
        .unwrap()
        .next;
    for m in 0..2 {
        store
            .update_case(&org, a.id, None, &mut note(&clerk, at(2026, 3, 2, 2, m)))
            .unwrap();
    }
    let full_a = store.timeline(a.id).unwrap();
    let full_b = store.timeline(b.id).unwrap();
    assert_eq!(full_a.len(), 3);

    let all = store.timelines_json(&[b.id, a.id], None).unwrap();
    let mut want = full_b.clone();
    want.extend(full_a.iter().cloned());
    assert_eq!(timeline_of(&all), want, "case by case, in the order asked");

    let since = store.timelines_json(&[a.id, b.id], Some(known)).unwrap();
    assert_eq!(
        timeline_of(&since),
        full_a[1..].to_vec(),
        "only what was appended after the position"
    );
    assert_eq!(
        timeline_of(&store.timelines_json(&[a.id], Some(0)).unwrap()),
        full_a,
        "a position before the case: all of it"
    );
    let end = store
        .changes_since(&ListScope::Everything, 0, 100)
        .unwrap()
        .next;
    assert!(store
        .timelines_json(&[a.id, b.id], Some(end))
        .unwrap()
        .is_empty());
    let missing = minsheng_domain::ids::CaseId::mint(at(2026, 3, 2, 1, 0));
    assert!(store.timelines_json(&[missing], None).unwrap().is_empty());
}

/// The caller history at intake: the exact phone only, newest received first.
pub fn callers_history_is_by_exact_phone_newest_first(store: &dyn Store) {
    use minsheng_domain::citizen::Phone;
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    // new_case gives every citizen the phone 13912345678.
    let cases: Vec<_> = (0..3)
        .map(|i| {
            new_case(
                &clerk,
                at(2026, 3, 1 + i, 2, 0),
                &format!("第{i}件"),
                "内容",
            )
        })
        .collect();
    let ids: Vec<_> = cases.iter().map(|(c, _)| c.id).collect();
    let (mut other, e) = new_case(&clerk, at(2026, 3, 5, 2, 0), "别人", "内容");
    other.citizen.phone = Some(Phone::parse("13700000000").unwrap());
    store.insert_cases(&org, cases).unwrap();
    store.insert_cases(&org, vec![(other.clone(), e)]).unwrap();
    assert_eq!(
        store.case_ids_by_phone("13912345678", 10).unwrap(),
        vec![ids[2], ids[1], ids[0]]
    );
    assert_eq!(
        store.case_ids_by_phone("13912345678", 2).unwrap(),
        vec![ids[2], ids[1]],
        "at most `limit`"
    );
    assert_eq!(
        store.case_ids_by_phone("13700000000", 10).unwrap(),
        vec![other.id]
    );
    assert!(store
        .case_ids_by_phone("1391234567", 10)
        .unwrap()
        .is_empty());
}

/// Merged duplicates are found by their own state and their master's (首问负责).
pub fn merged_duplicates_are_found_by_their_masters_state(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let mk = |i: u32, state: CaseState, of: Option<CaseId>| {
        let (c, e) = new_case(&clerk, at(2026, 3, 2, 1, i), &format!("第{i}件"), "内容");
        let mut c = dispatched(c, &city.station_a);
        c.state = state;
        c.duplicate_of = of;
        (c, e)
    };
    let m1 = mk(0, CaseState::Completed, None);
    let m2 = mk(1, CaseState::InProgress, None);
    let (r1, r2) = (m1.0.id, m2.0.id);
    let d1 = mk(2, CaseState::Merged, Some(r1));
    let d2 = mk(3, CaseState::Merged, Some(r2));
    let not_merged = mk(4, CaseState::InProgress, Some(r1));
    let (d1_id, d2_id) = (d1.0.id, d2.0.id);
    store
        .insert_cases(&org, vec![m1, m2, d1, d2, not_merged])
        .unwrap();
    assert_eq!(
        store
            .duplicates_of_masters_in(CaseState::Merged, &[CaseState::Completed], 10)
            .unwrap(),
        vec![(d1_id, r1)]
    );
    let mut both = store
        .duplicates_of_masters_in(
            CaseState::Merged,
            &[CaseState::Completed, CaseState::InProgress],
            10,
        )
        .unwrap();
    both.sort();
    let mut want = vec![(d1_id, r1), (d2_id, r2)];
    want.sort();
    assert_eq!(both, want);
    assert_eq!(
        store
            .duplicates_of_masters_in(
                CaseState::Merged,
                &[CaseState::Completed, CaseState::InProgress],
                1,
            )
            .unwrap()
            .len(),
        1,
        "at most `limit`"
    );
    assert!(store
        .duplicates_of_masters_in(CaseState::Merged, &[CaseState::Archived], 10)
        .unwrap()
        .is_empty());
}

/// The duplicate index: open cases of any age, closed ones received since the instant,
/// merged ones never. The training history: dispatched cases (not merged or rejected)
/// and transferred-out ones, oldest first.
pub fn the_duplicate_index_and_the_training_history_select_their_cases(store: &dyn Store) {
    use minsheng_domain::case::Category;
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let old = at(2026, 1, 5, 2, 0);
    let recent = at(2026, 3, 5, 2, 0);
    let mk = |t, title: &str, state: CaseState, unit: bool| {
        let (c, e) = new_case(&clerk, t, title, "正文");
        let mut c = if unit {
            dispatched(c, &city.station_a)
        } else {
            c
        };
        c.state = state;
        c.category = unit.then(|| Category::new("治安管理").unwrap());
        c.district = Some("历下区".into());
        (c, e)
    };
    let old_open = mk(old, "旧的未结", CaseState::InProgress, true);
    let old_closed = mk(at(2026, 1, 6, 2, 0), "旧的已结", CaseState::Archived, true);
    let recent_closed = mk(recent, "新的已结", CaseState::Archived, true);
    let recent_merged = mk(at(2026, 3, 6, 2, 0), "新的合并", CaseState::Merged, true);
    let rejected = mk(at(2026, 3, 7, 2, 0), "不予受理", CaseState::Rejected, true);
    let transferred = mk(
        at(2026, 3, 8, 2, 0),
        "移交外单位",
        CaseState::Transferred,
        false,
    );
    let pending = mk(
        at(2026, 3, 9, 2, 0),
        "待受理",
        CaseState::PendingAcceptance,
        false,
    );
    let id = |c: &(minsheng_domain::case::Case, _)| c.0.id;
    let (io, ic, irc, _merged, irj, it, ip) = (
        id(&old_open),
        id(&old_closed),
        id(&recent_closed),
        id(&recent_merged),
        id(&rejected),
        id(&transferred),
        id(&pending),
    );
    store
        .insert_cases(
            &org,
            vec![
                old_open,
                old_closed,
                recent_closed,
                recent_merged,
                rejected,
                transferred,
                pending,
            ],
        )
        .unwrap();

    let mut indexed = Vec::new();
    let n = store
        .for_each_indexable_case(at(2026, 3, 1, 0, 0), &mut |c| indexed.push(c))
        .unwrap();
    assert_eq!(n as usize, indexed.len());
    let mut got: Vec<_> = indexed.iter().map(|c| c.id).collect();
    got.sort();
    let mut want = vec![io, irc, irj, it, ip];
    want.sort();
    assert_eq!(got, want, "open any age, closed recent, never merged");
    let first = indexed.iter().find(|c| c.id == io).unwrap();
    assert_eq!(first.text, "旧的未结\n正文");
    assert_eq!(first.phone.as_deref(), Some("13912345678"));
    assert_eq!(first.received_at, old);

    let mut history = Vec::new();
    let n = store
        .for_each_history_case(&mut |h| {
            history.push(h);
            Ok(())
        })
        .unwrap();
    assert_eq!(n as usize, history.len());
    assert_eq!(
        history.iter().map(|h| h.id).collect::<Vec<_>>(),
        vec![io, ic, irc, it],
        "dispatched and transferred, oldest first"
    );
    let h = &history[0];
    assert_eq!(h.title, "旧的未结");
    assert_eq!(h.content, "正文");
    assert_eq!(h.state, CaseState::InProgress);
    assert_eq!(h.category.as_deref(), Some("治安管理"));
    assert_eq!(h.request_type, "投诉");
    assert_eq!(h.handling_unit, Some(city.station_a.id));
    assert_eq!(h.district.as_deref(), Some("历下区"));
    assert!(h.number.is_some());

    // An error from the callback stops the walk and comes back.
    let err = store
        .for_each_history_case(&mut |_| Err(StoreError::Caller(Box::new(Refusal))))
        .unwrap_err();
    assert!(matches!(err, StoreError::Caller(_)), "{err:?}");
}

/// Feedback counts over the rows recorded at or after an instant.
pub fn dispatch_feedback_is_counted_since_an_instant(store: &dyn Store) {
    use crate::DispatchFeedback;
    let city = City::new();
    city.install(store);
    let case_id = minsheng_domain::ids::CaseId::mint(at(2026, 3, 2, 1, 0));
    let kept = DispatchFeedback {
        case_id,
        at: at(2026, 3, 2, 1, 0),
        action: "dispatch".into(),
        suggested_category: Some("治安管理".into()),
        chosen_category: "治安管理".into(),
        suggested_unit: Some(city.station_a.id),
        chosen_unit: city.station_a.id,
        suggested_request_type: Some("投诉".into()),
        chosen_request_type: "投诉".into(),
        model_version: Some(3),
    };
    let corrected = DispatchFeedback {
        at: at(2026, 3, 3, 1, 0),
        action: "redispatch".into(),
        chosen_category: "噪音扰民".into(),
        chosen_unit: city.station_b.id,
        chosen_request_type: "咨询".into(),
        model_version: None,
        ..kept.clone()
    };
    store.record_dispatch_feedback(&kept).unwrap();
    store.record_dispatch_feedback(&corrected).unwrap();
    let all = store.dispatch_feedback_counts(None).unwrap();
    assert_eq!(
        (
            all.dispatches,
            all.category_matched,
            all.unit_matched,
            all.request_type_matched
        ),
        (2, 1, 1, 1)
    );
    let later = store
        .dispatch_feedback_counts(Some(at(2026, 3, 3, 1, 0)))
        .unwrap();
    assert_eq!(
        (
            later.dispatches,
            later.category_matched,
            later.unit_matched,
            later.request_type_matched
        ),
        (1, 0, 0, 0),
        "since is inclusive"
    );
    assert_eq!(
        store
            .dispatch_feedback_counts(Some(at(2026, 3, 4, 0, 0)))
            .unwrap()
            .dispatches,
        0
    );
}

/// A station moved to another branch: its cases get the new branch's scope, the old
/// branch is told it lost them, and the audit record is written with the unit.
pub fn moving_a_unit_rescopes_its_cases(store: &dyn Store) {
    use crate::AuditRecord;
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let (a, e1) = new_case(&clerk, at(2026, 3, 2, 1, 0), "甲所的件", "内容");
    let mut a = dispatched(a, &city.station_a);
    // Seen through the handling unit's ancestors only.
    a.supervising_unit = None;
    let (b, e2) = new_case(&clerk, at(2026, 3, 2, 1, 1), "乙所的件", "内容");
    let b = dispatched(b, &city.station_b);
    store
        .insert_cases(&org, vec![(a.clone(), e1), (b.clone(), e2)])
        .unwrap();
    let branch = ListScope::Unit(city.branch.id);
    let other = ListScope::Unit(city.other_branch.id);
    let pos = store.changes_since(&branch, 0, 100).unwrap().next;

    let mut moved = city.station_a.clone();
    moved.parent = Some(city.other_branch.id);
    let mut units = city.units();
    units.retain(|u| u.id != moved.id);
    units.push(moved.clone());
    let new_org = minsheng_domain::org::OrgTree::new(units).unwrap();
    let admin = actor(Role::Admin, &city.city);
    let rec = AuditRecord {
        at: at(2026, 3, 2, 2, 0),
        user_id: admin.user_id,
        action: "updateUnit".into(),
        target: moved.id.to_string(),
        detail: "{}".into(),
    };
    let n = store
        .update_unit(&new_org, &moved, &[city.station_a.id], &rec)
        .unwrap();
    assert_eq!(n, 1, "one case changed scope");
    let back = store.units().unwrap();
    assert_eq!(
        back.iter().find(|u| u.id == moved.id),
        Some(&moved),
        "the unit is written"
    );
    assert_eq!(store.audit_log(1).unwrap(), vec![rec]);

    let now = at(2026, 3, 2, 3, 0);
    assert_eq!(
        ids_of(&store.list_cases(&query(other.clone(), now)).unwrap()),
        vec![a.id]
    );
    assert_eq!(
        ids_of(&store.list_cases(&query(branch.clone(), now)).unwrap()),
        vec![b.id]
    );
    let page = store.changes_since(&branch, pos, 100).unwrap();
    assert!(page.changed.is_empty());
    assert_eq!(page.removed, vec![a.id], "the old branch is told");
    let page = store.changes_since(&other, 0, 100).unwrap();
    assert_eq!(
        page.changed.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![a.id]
    );
    assert_eq!(page.changed[0], store.case(a.id).unwrap().unwrap());
}
