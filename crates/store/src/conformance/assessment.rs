//! Contract checks of facts, rollups, analytics, alerts, reports, settings (`AssessmentStore`).
//!
//! Facts are built by hand (`CaseFacts`), and every expected count is worked out here
//! from `Stint::counts_at` and the contract's docs: the rollups must give what the
//! facts give, for periods of whole Beijing days, after facts are rewritten. Most checks
//! need no case in the store; the two that do (`changed_cases…`, `scoped_analytics…`)
//! insert them through `insert_cases`. Here: facts rewritten and duplicates moved;
//! `analytics`: buckets, Beijing days, week cells; `worker`: the position, the change
//! log, concurrent writers; `records`: alerts, reports, settings.

mod analytics;
mod records;
mod worker;

pub use analytics::*;
pub use records::*;
pub use worker::*;

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::ids::{CaseId, UserId};
use minsheng_domain::org::Unit;
use minsheng_domain::scope::ListScope;

use super::{at, City};
use crate::assessment::{
    AnalyticsFilter, AnalyticsQuery, BucketCounts, CaseFacts, Counts, Dimension, FactCase, Stint,
    StintGroup, Via,
};
use crate::Store;

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! assessment_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            the_facts_position_only_moves_forward,
            rewritten_facts_replace_and_rollups_net_out,
            a_duplicate_counts_for_its_masters_current_unit,
            a_period_splits_at_beijing_midnight,
            analytics_agree_via_rollups_and_facts,
            scoped_analytics_follow_the_case_scope,
            changed_cases_hand_out_each_changed_case_once,
            concurrent_rewrites_keep_the_rollups_exact,
            alerts_are_stored_once_and_pushed_once,
            reports_keep_the_first_unless_replaced,
            assessment_settings_round_trip,
        );
    };
}

/// Beijing wall-clock time (UTC+8) as an instant.
fn bj(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    at(2026, m, d, h, min) - Duration::hours(8)
}

/// Beijing day numbers (days since 1970-01-01): 2026-01-01 is 56 × 365 + 14 leap days.
const MAR_2: i64 = 20_454 + 31 + 28 + 1;
const MAR_3: i64 = MAR_2 + 1;

/// A case handled by `unit`, in progress, received at `received`.
fn fact(id: CaseId, received: DateTime<Utc>, unit: &Unit) -> FactCase {
    FactCase {
        case_id: id,
        received_at: received,
        category: Some("噪音扰民".into()),
        channel: "mayorHotline".into(),
        request_type: "complaint".into(),
        district: Some("历下区".into()),
        handling_unit: Some(unit.id),
        branch: unit.parent,
        police_line: None,
        state: "inProgress".into(),
        closed: false,
        answered_at: None,
        first_satisfied: None,
        duplicate_of: None,
        merged_at: None,
        scope_units: unit.parent.into_iter().chain([unit.id]).collect(),
    }
}

/// A stint dispatched at `t`: sign in within the hour, reply within three days; nothing
/// done yet.
fn stint(case: CaseId, n: u32, unit: &Unit, officer: Option<UserId>, t: DateTime<Utc>) -> Stint {
    Stint {
        case_id: case,
        n,
        unit_id: unit.id,
        officer_id: officer,
        dispatched_at: t,
        sign_in_deadline: t + Duration::hours(1),
        signed_in_at: None,
        reply_deadline: t + Duration::days(3),
        completed_at: None,
        ended_at: None,
        returned: false,
        first_satisfied: None,
        final_satisfied: None,
    }
}

fn facts(case: FactCase, stints: Vec<Stint>) -> CaseFacts {
    CaseFacts { case, stints }
}

/// Period counts, sorted by key.
fn period(
    store: &dyn Store,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
    group: StintGroup,
    via: Via,
) -> Vec<(String, Counts)> {
    let mut v = store.period_counts(from, to, now, group, via).unwrap();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Asserts both ways of reading a period give `want` (sorted by key).
fn assert_period(
    store: &dyn Store,
    range: (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
    group: StintGroup,
    mut want: Vec<(String, Counts)>,
    what: &str,
) {
    want.sort_by(|a, b| a.0.cmp(&b.0));
    for via in [Via::Rollups, Via::Facts] {
        assert_eq!(
            period(store, range, now, group, via),
            want,
            "{what} ({via:?}, {group:?})"
        );
    }
}

fn query(
    scope: ListScope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by: Dimension,
) -> AnalyticsQuery {
    AnalyticsQuery {
        scope,
        from,
        to,
        by,
        filter: AnalyticsFilter::default(),
    }
}

/// Analytics buckets, sorted by key.
fn buckets(store: &dyn Store, q: &AnalyticsQuery, via: Via) -> Vec<BucketCounts> {
    let mut v = store.analytics(q, via).unwrap();
    v.sort_by(|a, b| a.key.cmp(&b.key));
    v
}

fn b(key: Option<&str>, c: [u64; 5]) -> BucketCounts {
    BucketCounts {
        key: key.map(str::to_owned),
        count: c[0],
        closed: c[1],
        answered: c[2],
        unsatisfied: c[3],
        duplicates: c[4],
    }
}

/// Asserts both ways of reading analytics give `want` (sorted by key).
fn assert_buckets(store: &dyn Store, q: &AnalyticsQuery, mut want: Vec<BucketCounts>, what: &str) {
    want.sort_by(|a, b| a.key.cmp(&b.key));
    for via in [Via::Rollups, Via::Facts] {
        assert_eq!(
            buckets(store, q, via),
            want,
            "{what} ({via:?}, by {:?})",
            q.by
        );
    }
}

pub fn rewritten_facts_replace_and_rollups_net_out(store: &dyn Store) {
    let city = City::new();
    let (sa, sb) = (&city.station_a, &city.station_b);
    let officer = UserId::mint(bj(3, 1, 0, 0));
    let week = (bj(3, 2, 0, 0), bj(3, 9, 0, 0));
    let (a, b_id) = (CaseId::mint(bj(3, 2, 9, 0)), CaseId::mint(bj(3, 3, 10, 0)));

    // A: signed in and replied in time, the citizen satisfied.
    let mut a1 = stint(a, 1, sa, Some(officer), bj(3, 2, 9, 10));
    a1.signed_in_at = Some(bj(3, 2, 9, 30));
    a1.completed_at = Some(bj(3, 4, 16, 0));
    a1.first_satisfied = Some(true);
    a1.final_satisfied = Some(true);
    let case_a = facts(fact(a, bj(3, 2, 9, 0), sa), vec![a1.clone()]);

    // B as first derived: station A signs in late and returns it; station B does nothing.
    let mut b1 = stint(b_id, 1, sa, Some(officer), bj(3, 3, 10, 10));
    b1.signed_in_at = Some(bj(3, 3, 12, 0));
    b1.ended_at = Some(bj(3, 3, 13, 0));
    b1.returned = true;
    let mut b2 = stint(b_id, 2, sb, None, bj(3, 3, 14, 0));
    let mut fb = fact(b_id, bj(3, 3, 10, 0), sb);
    fb.category = Some("占道经营".into());
    let case_b = facts(fb.clone(), vec![b1.clone(), b2.clone()]);
    store.write_facts(&[case_a.clone(), case_b], 1).unwrap();
    assert_eq!(store.facts_position().unwrap(), 1);
    let late = Counts {
        received: 1,
        sign_in_decided: 1,
        sign_in_late: 1,
        reply_decided: 1,
        reply_late: 1,
        overdue: 1,
        ..Counts::default()
    };
    let after_all = bj(3, 20, 0, 0);
    assert_period(
        store,
        week,
        after_all,
        StintGroup::Unit,
        vec![
            (
                sa.id.to_string(),
                Counts {
                    received: 2,
                    sign_in_decided: 2,
                    sign_in_late: 1,
                    reply_decided: 1,
                    returned: 1,
                    answered: 1,
                    satisfied: 1,
                    overdue: 1,
                    ..Counts::default()
                },
            ),
            (sb.id.to_string(), late),
        ],
        "as first written",
    );

    // B derived again: both stations signed in in time; A rewritten unchanged.
    b1.signed_in_at = Some(bj(3, 3, 10, 40));
    b2.signed_in_at = Some(bj(3, 3, 14, 30));
    let mut fb2 = fb;
    fb2.category = Some("交通秩序".into());
    store
        .write_facts(&[facts(fb2, vec![b1.clone(), b2]), case_a], 2)
        .unwrap();
    assert_eq!(store.facts_position().unwrap(), 2);

    let station_a = Counts {
        received: 2,
        sign_in_decided: 2,
        reply_decided: 1,
        returned: 1,
        answered: 1,
        satisfied: 1,
        ..Counts::default()
    };
    // Station B's reply deadline (6 March 14:00) passed without a reply ...
    let station_b_final = Counts {
        received: 1,
        sign_in_decided: 1,
        reply_decided: 1,
        reply_late: 1,
        overdue: 1,
        ..Counts::default()
    };
    // ... but on 5 March it is still open: only the sign-in is decided.
    let mid = bj(3, 5, 0, 0);
    let station_b_mid = Counts {
        received: 1,
        sign_in_decided: 1,
        ..Counts::default()
    };
    let units = |b: Counts| vec![(sa.id.to_string(), station_a), (sb.id.to_string(), b)];
    assert_period(
        store,
        week,
        after_all,
        StintGroup::Unit,
        units(station_b_final),
        "rewritten",
    );
    assert_period(
        store,
        week,
        mid,
        StintGroup::Unit,
        units(station_b_mid),
        "rewritten, open",
    );
    for now in [after_all, mid] {
        assert_period(
            store,
            week,
            now,
            StintGroup::Officer,
            vec![(officer.to_string(), station_a)],
            "by officer",
        );
    }
    // One day alone, and a period not on day boundaries (the facts answer it).
    assert_period(
        store,
        (bj(3, 3, 0, 0), bj(3, 4, 0, 0)),
        after_all,
        StintGroup::Unit,
        vec![
            (
                sa.id.to_string(),
                Counts {
                    received: 1,
                    sign_in_decided: 1,
                    returned: 1,
                    ..Counts::default()
                },
            ),
            (sb.id.to_string(), station_b_final),
        ],
        "3 March",
    );
    assert_period(
        store,
        (bj(3, 2, 0, 1), bj(3, 9, 0, 0)),
        after_all,
        StintGroup::Unit,
        units(station_b_final),
        "from 00:01",
    );
    assert_period(
        store,
        (bj(3, 9, 0, 0), bj(3, 16, 0, 0)),
        after_all,
        StintGroup::Unit,
        vec![],
        "the next week",
    );

    // The stints are the rewritten ones.
    let stored = store.stints(&[sa.id], None, week.0, week.1).unwrap();
    assert_eq!(stored, vec![a1.clone(), b1.clone()]);
    assert_eq!(
        store.stints(&[], Some(officer), week.0, week.1).unwrap(),
        vec![a1, b1]
    );

    // The analytics buckets of the old category are gone.
    let q = query(ListScope::Everything, week.0, week.1, Dimension::Category);
    assert_buckets(
        store,
        &q,
        vec![
            b(Some("噪音扰民"), [1, 0, 0, 0, 0]),
            b(Some("交通秩序"), [1, 0, 0, 0, 0]),
        ],
        "categories after the rewrite",
    );
}

pub fn a_duplicate_counts_for_its_masters_current_unit(store: &dyn Store) {
    let city = City::new();
    let (sa, sb) = (&city.station_a, &city.station_b);
    let week = (bj(3, 2, 0, 0), bj(3, 9, 0, 0));
    let next_week = (bj(3, 9, 0, 0), bj(3, 16, 0, 0));
    let after_all = bj(3, 30, 0, 0);
    let (m, d) = (CaseId::mint(bj(3, 2, 9, 0)), CaseId::mint(bj(3, 3, 9, 0)));

    // The master at station A: signed in, never replied.
    let mut m1 = stint(m, 1, sa, None, bj(3, 2, 9, 10));
    m1.signed_in_at = Some(bj(3, 2, 9, 20));
    let master = fact(m, bj(3, 2, 9, 0), sa);
    let mut dup = fact(d, bj(3, 3, 9, 0), sa);
    dup.handling_unit = None;
    dup.branch = None;
    dup.state = "merged".into();
    dup.closed = true;
    dup.duplicate_of = Some(m);
    dup.merged_at = Some(bj(3, 3, 9, 30));
    store
        .write_facts(
            &[
                facts(master.clone(), vec![m1.clone()]),
                facts(dup.clone(), vec![]),
            ],
            1,
        )
        .unwrap();
    let overdue_reply = Counts {
        received: 1,
        sign_in_decided: 1,
        reply_decided: 1,
        reply_late: 1,
        overdue: 1,
        ..Counts::default()
    };
    assert_period(
        store,
        week,
        after_all,
        StintGroup::Unit,
        vec![(
            sa.id.to_string(),
            Counts {
                duplicates: 1,
                ..overdue_reply
            },
        )],
        "the duplicate counts for station A",
    );
    assert_eq!(
        store.duplicate_cases(&[sa.id], week.0, week.1).unwrap(),
        vec![d]
    );

    // Station A returns the master; station B handles it. Only the master is rewritten.
    m1.ended_at = Some(bj(3, 2, 15, 0));
    m1.returned = true;
    let mut m2 = stint(m, 2, sb, None, bj(3, 2, 15, 10));
    m2.signed_in_at = Some(bj(3, 2, 15, 30));
    m2.completed_at = Some(bj(3, 4, 10, 0));
    let mut moved = master;
    moved.handling_unit = Some(sb.id);
    moved.scope_units = vec![city.branch.id, sb.id];
    store.write_facts(&[facts(moved, vec![m1, m2])], 2).unwrap();
    let returned = Counts {
        received: 1,
        sign_in_decided: 1,
        returned: 1,
        ..Counts::default()
    };
    let replied = Counts {
        received: 1,
        sign_in_decided: 1,
        reply_decided: 1,
        ..Counts::default()
    };
    assert_period(
        store,
        week,
        after_all,
        StintGroup::Unit,
        vec![
            (sa.id.to_string(), returned),
            (
                sb.id.to_string(),
                Counts {
                    duplicates: 1,
                    ..replied
                },
            ),
        ],
        "the duplicate follows its master to station B",
    );
    assert!(store
        .duplicate_cases(&[sa.id], week.0, week.1)
        .unwrap()
        .is_empty());
    assert_eq!(
        store.duplicate_cases(&[sb.id], week.0, week.1).unwrap(),
        vec![d]
    );

    // The duplicate rewritten, linked a week later: its count moves to that week.
    dup.merged_at = Some(bj(3, 10, 9, 0));
    store.write_facts(&[facts(dup, vec![])], 3).unwrap();
    assert_period(
        store,
        week,
        after_all,
        StintGroup::Unit,
        vec![(sa.id.to_string(), returned), (sb.id.to_string(), replied)],
        "the first week without the duplicate",
    );
    assert_period(
        store,
        next_week,
        after_all,
        StintGroup::Unit,
        vec![(
            sb.id.to_string(),
            Counts {
                duplicates: 1,
                ..Counts::default()
            },
        )],
        "the next week with it",
    );
}
