//! Analytics buckets and week cells, via the rollups and via the facts.

use chrono::{DateTime, Utc};
use minsheng_domain::ids::{CaseId, UnitId};
use minsheng_domain::role::Role;
use minsheng_domain::scope::{scope_units, ListScope};

use super::{
    assert_buckets, assert_period, b, bj, buckets, fact, facts, query, stint, MAR_2, MAR_3,
};
use crate::assessment::{Counts, Dimension, StintGroup, Via, WeekCell};
use crate::conformance::{actor, at, dispatched, new_case, City};
use crate::Store;

pub fn a_period_splits_at_beijing_midnight(store: &dyn Store) {
    let city = City::new();
    let sa = &city.station_a;
    // 23:59 on 2 March and 00:01 on 3 March, Beijing time (15:59 and 16:01 UTC).
    let (t_late, t_early) = (bj(3, 2, 23, 59), bj(3, 3, 0, 1));
    assert_eq!(t_late, at(2026, 3, 2, 15, 59));
    let (l, e) = (CaseId::mint(t_late), CaseId::mint(t_early));
    store
        .write_facts(
            &[
                facts(fact(l, t_late, sa), vec![stint(l, 1, sa, None, t_late)]),
                facts(fact(e, t_early, sa), vec![stint(e, 1, sa, None, t_early)]),
            ],
            1,
        )
        .unwrap();
    // Nothing was ever done: every deadline missed.
    let one = Counts {
        received: 1,
        sign_in_decided: 1,
        sign_in_late: 1,
        reply_decided: 1,
        reply_late: 1,
        overdue: 1,
        ..Counts::default()
    };
    let now = bj(3, 20, 0, 0);
    let key = sa.id.to_string();
    let day2 = (bj(3, 2, 0, 0), bj(3, 3, 0, 0));
    let day3 = (bj(3, 3, 0, 0), bj(3, 4, 0, 0));
    assert_period(
        store,
        day2,
        now,
        StintGroup::Unit,
        vec![(key.clone(), one)],
        "2 March",
    );
    assert_period(
        store,
        day3,
        now,
        StintGroup::Unit,
        vec![(key.clone(), one)],
        "3 March",
    );
    let mut two = one;
    two.add(&one);
    assert_period(
        store,
        (day2.0, day3.1),
        now,
        StintGroup::Unit,
        vec![(key, two)],
        "both days",
    );

    let (from, to) = (day2.0, day3.1);
    let by = |d: Dimension| query(ListScope::Everything, from, to, d);
    let (d2, d3) = (MAR_2.to_string(), MAR_3.to_string());
    assert_buckets(
        store,
        &by(Dimension::Day),
        vec![b(Some(&d2), [1, 0, 0, 0, 0]), b(Some(&d3), [1, 0, 0, 0, 0])],
        "by day",
    );
    assert_buckets(
        store,
        &by(Dimension::Hour),
        vec![
            b(Some("23"), [1, 0, 0, 0, 0]),
            b(Some("0"), [1, 0, 0, 0, 0]),
        ],
        "by hour",
    );
    // 2 March 2026 was a Monday.
    assert_buckets(
        store,
        &by(Dimension::Week),
        vec![b(Some(&d2), [2, 0, 0, 0, 0])],
        "by week",
    );
    assert_buckets(
        store,
        &by(Dimension::Month),
        vec![b(Some("202603"), [2, 0, 0, 0, 0])],
        "by month",
    );
    let day_only = query(ListScope::Everything, day3.0, day3.1, Dimension::Hour);
    assert_buckets(
        store,
        &day_only,
        vec![b(Some("0"), [1, 0, 0, 0, 0])],
        "3 March by hour",
    );
    // Drill-down: newest first; by hour of day.
    assert_eq!(
        store.analytics_cases(&by(Dimension::Day), 10).unwrap(),
        vec![e, l]
    );
    let mut at_23 = by(Dimension::Day);
    at_23.filter.hour = Some(23);
    assert_eq!(store.analytics_cases(&at_23, 10).unwrap(), vec![l]);
}

pub fn analytics_agree_via_rollups_and_facts(store: &dyn Store) {
    let city = City::new();
    let (sa, sb, so) = (&city.station_a, &city.station_b, &city.other_station);
    let id = |t: DateTime<Utc>| CaseId::mint(t);
    // 1: unsatisfied at first; 2: closed, satisfied; 3: elsewhere, open; 4: a duplicate
    // of 1; 5: no category, no district. Plus two just outside the week.
    let mut c1 = fact(id(bj(3, 2, 9, 0)), bj(3, 2, 9, 0), sa);
    c1.state = "completed".into();
    c1.answered_at = Some(bj(3, 4, 9, 0));
    c1.first_satisfied = Some(false);
    c1.police_line = Some("治安".into());
    let mut c2 = fact(id(bj(3, 2, 14, 0)), bj(3, 2, 14, 0), sb);
    c2.channel = "wechat".into();
    c2.request_type = "help".into();
    c2.state = "archived".into();
    c2.closed = true;
    c2.answered_at = Some(bj(3, 5, 9, 0));
    c2.first_satisfied = Some(true);
    let mut c3 = fact(id(bj(3, 4, 8, 0)), bj(3, 4, 8, 0), so);
    c3.category = Some("占道经营".into());
    c3.district = Some("市中区".into());
    let mut c4 = fact(id(bj(3, 6, 20, 0)), bj(3, 6, 20, 0), sa);
    c4.handling_unit = None;
    c4.branch = None;
    c4.state = "merged".into();
    c4.closed = true;
    c4.duplicate_of = Some(c1.case_id);
    c4.merged_at = Some(bj(3, 6, 21, 0));
    let mut c5 = fact(id(bj(3, 7, 10, 0)), bj(3, 7, 10, 0), sa);
    c5.category = None;
    c5.district = None;
    c5.state = "pendingSignIn".into();
    let before = fact(id(bj(3, 1, 23, 59)), bj(3, 1, 23, 59), sa);
    let after = fact(id(bj(3, 9, 0, 0)), bj(3, 9, 0, 0), sa);
    let all = [&c1, &c2, &c3, &c4, &c5, &before, &after];
    let written: Vec<_> = all.iter().map(|c| facts((*c).clone(), vec![])).collect();
    store.write_facts(&written, 1).unwrap();

    let (from, to) = (bj(3, 2, 0, 0), bj(3, 9, 0, 0));
    let every = |d: Dimension| query(ListScope::Everything, from, to, d);
    assert_buckets(
        store,
        &every(Dimension::Category),
        vec![
            b(Some("噪音扰民"), [3, 2, 2, 1, 1]),
            b(Some("占道经营"), [1, 0, 0, 0, 0]),
            b(None, [1, 0, 0, 0, 0]),
        ],
        "everything",
    );
    assert_buckets(
        store,
        &every(Dimension::District),
        vec![
            b(Some("历下区"), [3, 2, 2, 1, 1]),
            b(Some("市中区"), [1, 0, 0, 0, 0]),
            b(None, [1, 0, 0, 0, 0]),
        ],
        "everything",
    );
    let follow_up = query(ListScope::FollowUpPhase, from, to, Dimension::Category);
    assert_buckets(
        store,
        &follow_up,
        vec![b(Some("噪音扰民"), [2, 1, 2, 1, 0])],
        "follow-up phase",
    );
    let nothing = query(ListScope::Nothing, from, to, Dimension::Category);
    assert_buckets(store, &nothing, vec![], "nothing");

    // Every dimension, both scopes: the rollups give what the facts give.
    for scope in [ListScope::Everything, ListScope::FollowUpPhase] {
        for d in [
            Dimension::Category,
            Dimension::PoliceLine,
            Dimension::District,
            Dimension::Unit,
            Dimension::Branch,
            Dimension::Channel,
            Dimension::RequestType,
            Dimension::Day,
            Dimension::Week,
            Dimension::Month,
            Dimension::Hour,
            Dimension::State,
        ] {
            let q = query(scope.clone(), from, to, d);
            let facts = buckets(store, &q, Via::Facts);
            assert!(!facts.is_empty(), "{scope:?} by {d:?}");
            assert_eq!(
                buckets(store, &q, Via::Rollups),
                facts,
                "{scope:?} by {d:?}"
            );
        }
    }

    // Filters (the rollups cannot answer them: both read the facts).
    let mut noise = every(Dimension::Unit);
    noise.filter.category = Some("噪音扰民".into());
    assert_buckets(
        store,
        &noise,
        vec![
            b(Some(&sa.id.to_string()), [1, 0, 1, 1, 0]),
            b(Some(&sb.id.to_string()), [1, 1, 1, 0, 0]),
            b(None, [1, 1, 0, 0, 1]),
        ],
        "noise by unit",
    );
    let mut in_branch = every(Dimension::Category);
    in_branch.filter.unit = Some(city.branch.id);
    assert_buckets(
        store,
        &in_branch,
        vec![
            b(Some("噪音扰民"), [2, 1, 2, 1, 0]),
            b(None, [1, 0, 0, 0, 0]),
        ],
        "the branch's stations",
    );
    assert_eq!(
        store.analytics_cases(&noise, 10).unwrap(),
        vec![c4.case_id, c2.case_id, c1.case_id],
        "newest first"
    );
    assert_eq!(
        store.analytics_cases(&noise, 2).unwrap(),
        vec![c4.case_id, c2.case_id]
    );

    // Early-warning cells of the week (duplicates and cases without a category are not
    // volume; answers count in the week they were given).
    let cell = |category: &str, area: String, count: u64, unsatisfied: u64| WeekCell {
        week: MAR_2,
        category: category.into(),
        area,
        count,
        unsatisfied,
    };
    let sorted = |mut v: Vec<WeekCell>| {
        v.sort_by(|a, b| (&a.category, &a.area).cmp(&(&b.category, &b.area)));
        v
    };
    for via in [Via::Rollups, Via::Facts] {
        let w = store.week_cells(MAR_2, MAR_2, via).unwrap();
        assert_eq!(
            sorted(w.by_district),
            sorted(vec![
                cell("噪音扰民", "历下区".into(), 2, 0),
                cell("占道经营", "市中区".into(), 1, 0),
            ]),
            "{via:?}"
        );
        assert_eq!(
            sorted(w.by_unit),
            sorted(vec![
                cell("噪音扰民", sa.id.to_string(), 1, 0),
                cell("噪音扰民", sb.id.to_string(), 1, 0),
                cell("占道经营", so.id.to_string(), 1, 0),
            ]),
            "{via:?}"
        );
        assert_eq!(
            sorted(w.dissatisfaction_by_unit),
            sorted(vec![
                cell("噪音扰民", sa.id.to_string(), 1, 1),
                cell("噪音扰民", sb.id.to_string(), 1, 0),
            ]),
            "{via:?}"
        );
    }
}

/// Needs cases in the store (the facts path of a scoped query reads the case scope).
pub fn scoped_analytics_follow_the_case_scope(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let t = bj(3, 2, 10, 0);
    let (c, e) = new_case(&clerk, t, "噪音扰民", "楼下饭店夜里营业，噪音很大。");
    let c = dispatched(c, &city.station_a);
    store.insert_cases(&org, vec![(c.clone(), e)]).unwrap();
    let mut f = fact(c.id, c.received_at, &city.station_a);
    f.scope_units = scope_units(&c, &org);
    store
        .write_facts(
            &[facts(f, vec![stint(c.id, 1, &city.station_a, None, t)])],
            1,
        )
        .unwrap();

    let (from, to) = (bj(3, 2, 0, 0), bj(3, 3, 0, 0));
    let unit = |u: UnitId| query(ListScope::Unit(u), from, to, Dimension::Unit);
    let one = vec![b(Some(&city.station_a.id.to_string()), [1, 0, 0, 0, 0])];
    assert_buckets(store, &unit(city.station_a.id), one.clone(), "its station");
    assert_buckets(store, &unit(city.branch.id), one, "its branch");
    assert_buckets(
        store,
        &unit(city.other_station.id),
        vec![],
        "another station",
    );
    assert_eq!(
        store.analytics_cases(&unit(city.station_a.id), 10).unwrap(),
        vec![c.id]
    );
    assert!(store
        .analytics_cases(&unit(city.station_b.id), 10)
        .unwrap()
        .is_empty());
}
