//! What the facts worker relies on: the position, the changed cases, and writers that
//! run at once (several server instances) leaving the rollups equal to the facts.

use chrono::Duration;
use minsheng_domain::ids::{CaseId, UserId};
use minsheng_domain::role::Role;
use minsheng_domain::scope::ListScope;

use super::{bj, buckets, fact, facts, period, query, stint};
use crate::assessment::{CaseFacts, Counts, Dimension, StintGroup, Via, WeekCell};
use crate::conformance::{actor, new_case, note, City};
use crate::Store;

pub fn the_facts_position_only_moves_forward(store: &dyn Store) {
    assert_eq!(
        store.facts_position().unwrap(),
        0,
        "a new store starts at 0"
    );
    store.write_facts(&[], 7).unwrap();
    assert_eq!(store.facts_position().unwrap(), 7);
    store.write_facts(&[], 3).unwrap();
    assert_eq!(
        store.facts_position().unwrap(),
        7,
        "a writer with an older position does not move it back"
    );
    store.write_facts(&[], 9).unwrap();
    assert_eq!(store.facts_position().unwrap(), 9);
}

/// Needs cases in the store (the change log and the cases' timelines).
pub fn changed_cases_hand_out_each_changed_case_once(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let (c1, e1) = new_case(&clerk, bj(3, 2, 9, 0), "第一件", "内容");
    let (c2, e2) = new_case(&clerk, bj(3, 2, 9, 5), "第二件", "内容");
    store
        .insert_cases(&org, vec![(c1.clone(), e1), (c2.clone(), e2)])
        .unwrap();
    let (ids, pos) = store.changed_cases(0, 100).unwrap();
    assert_eq!(ids, vec![c1.id, c2.id]);
    assert!(pos > 0);
    assert_eq!(store.changed_cases(pos, 100).unwrap(), (vec![], pos));
    let (first, p1) = store.changed_cases(0, 1).unwrap();
    assert_eq!(first, vec![c1.id], "at most `limit` log rows");
    assert!(p1 > 0 && p1 < pos);

    // Two updates of one case: listed once.
    for _ in 0..2 {
        store
            .update_case(&org, c1.id, None, &mut note(&clerk, bj(3, 2, 10, 0)))
            .unwrap();
    }
    let (ids, next) = store.changed_cases(pos, 100).unwrap();
    assert_eq!(ids, vec![c1.id]);
    assert!(next > pos);

    let unknown = CaseId::mint(bj(3, 2, 9, 0));
    let got = store
        .cases_with_timelines(&[c2.id, unknown, c1.id])
        .unwrap();
    let want: Vec<_> = [c2.id, c1.id]
        .iter()
        .map(|id| {
            (
                store.case(*id).unwrap().unwrap(),
                store.timeline(*id).unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want, "the known cases, in the order asked");
    assert_eq!(got[1].1.len(), 3, "intake and two notes");
    let mut seen = Vec::new();
    let n = store
        .for_each_case_timeline(&mut |c, t| {
            assert_eq!(t, store.timeline(c.id).unwrap());
            seen.push(c.id);
            Ok(())
        })
        .unwrap();
    assert_eq!(n, 2);
    seen.sort();
    let mut want = vec![c1.id, c2.id];
    want.sort();
    assert_eq!(seen, want);
}

/// Four writers rewrite the same cases at once, each time differently (other unit, day,
/// category, outcome; a duplicate of one of them): whatever version of each case is
/// left, the rollups must say what the facts say, and the totals are known.
pub fn concurrent_rewrites_keep_the_rollups_exact(store: &dyn Store) {
    let city = City::new();
    let units = [&city.station_a, &city.station_b];
    let officer = UserId::mint(bj(3, 1, 0, 0));
    let ids: Vec<CaseId> = (0..4).map(|i| CaseId::mint(bj(3, 2, 8, i))).collect();
    // Version `v` of case `i` (cases 0–2 with two stints each; case 3 a duplicate of 0).
    let version = |i: usize, v: usize| -> CaseFacts {
        let id = ids[i];
        let unit = units[v % 2];
        let t = bj(3, 2 + (i + v % 3) as u32, 9, 0);
        let mut c = fact(id, t, unit);
        c.category = Some(["噪音扰民", "占道经营", "交通秩序"][v % 3].into());
        c.closed = v % 2 == 1;
        c.answered_at = (v % 3 != 1).then(|| t + Duration::days(2));
        c.first_satisfied = c.answered_at.map(|_| v.is_multiple_of(2));
        if i == 3 {
            c.handling_unit = None;
            c.branch = None;
            c.duplicate_of = Some(ids[0]);
            c.merged_at = Some(t + Duration::minutes(30));
            return facts(c, vec![]);
        }
        let mut first = stint(id, 1, unit, Some(officer), t + Duration::minutes(10));
        if v.is_multiple_of(2) {
            first.signed_in_at = Some(t + Duration::minutes(20));
        }
        let second = stint(id, 2, units[(v + 1) % 2], None, t + Duration::hours(2));
        facts(c, vec![first, second])
    };
    std::thread::scope(|s| {
        for k in 0..4usize {
            let version = &version;
            s.spawn(move || {
                for r in 0..12usize {
                    let mut batch: Vec<_> = (0..4).map(|i| version(i, (k + r + i) % 6)).collect();
                    if k % 2 == 1 {
                        batch.reverse();
                    }
                    let position = (k * 100 + r) as u64;
                    store.write_facts(&batch, position).expect("write facts");
                }
            });
        }
    });
    assert_eq!(
        store.facts_position().unwrap(),
        311,
        "the furthest position"
    );

    let week = (bj(3, 2, 0, 0), bj(3, 9, 0, 0));
    let now = bj(3, 20, 0, 0);
    for group in [StintGroup::Unit, StintGroup::Officer] {
        let facts = period(store, week, now, group, Via::Facts);
        assert_eq!(
            period(store, week, now, group, Via::Rollups),
            facts,
            "{group:?}"
        );
        if group == StintGroup::Unit {
            let mut total = Counts::default();
            for (_, c) in &facts {
                total.add(c);
            }
            assert_eq!(total.received, 6, "three cases of two stints");
            assert_eq!(total.duplicates, 1, "one duplicate");
        }
    }
    for d in [
        Dimension::Category,
        Dimension::Unit,
        Dimension::Day,
        Dimension::State,
    ] {
        let q = query(ListScope::Everything, week.0, week.1, d);
        let facts = buckets(store, &q, Via::Facts);
        assert_eq!(buckets(store, &q, Via::Rollups), facts, "by {d:?}");
        assert_eq!(facts.iter().map(|b| b.count).sum::<u64>(), 4, "four cases");
        assert_eq!(facts.iter().map(|b| b.duplicates).sum::<u64>(), 1);
    }
    let sorted = |mut v: Vec<WeekCell>| {
        v.sort_by(|a, b| (a.week, &a.category, &a.area).cmp(&(b.week, &b.category, &b.area)));
        v
    };
    let (w0, w1) = (super::MAR_2 - 7, super::MAR_2 + 7);
    let r = store.week_cells(w0, w1, Via::Rollups).unwrap();
    let f = store.week_cells(w0, w1, Via::Facts).unwrap();
    assert_eq!(sorted(r.by_district), sorted(f.by_district));
    assert_eq!(sorted(r.by_unit), sorted(f.by_unit));
    assert_eq!(
        sorted(r.dissatisfaction_by_unit),
        sorted(f.dissatisfaction_by_unit)
    );
}
