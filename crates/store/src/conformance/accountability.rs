//! 责任倒查 storage (`AccountabilityStore`, `CaseUpdate::WriteAndOpen`): a record is
//! opened with the case's write, at most once per case; steps bump its version and
//! append to its trail; lists filter and page; the assessment reads decided records by
//! the instant of their decision.

use minsheng_domain::accountability::{
    self as acc, AccountabilityEntry, AccountabilityRecord, AccountabilityState,
    AccountabilityStep, Involved, Opening, Sanction, VerdictSource,
};
use minsheng_domain::case::Case;
use minsheng_domain::ids::{AccountabilityId, UserId};
use minsheng_domain::org::OrgTree;
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::ComplaintVerdict;

use crate::accountability::{AccountabilityOpening, AccountabilityQuery};
use crate::conformance::{actor, at, dispatched, entry, new_case, City};
use crate::{CaseUpdate, Store, StoreError};

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! accountability_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            a_case_write_opens_one_accountability_record,
            accountability_steps_bump_the_version_and_append_to_the_trail,
            accountability_lists_filter_page_and_feed_the_assessment,
        );
    };
}

fn opening(c: &Case, by: &Actor, now: chrono::DateTime<chrono::Utc>) -> AccountabilityOpening {
    let record = acc::open(
        AccountabilityId::mint(now),
        c,
        Opening {
            verdict: ComplaintVerdict::Substantiated,
            source: VerdictSource::SignOff,
            verdict_text: "投诉属实",
        },
        now,
    )
    .expect("a dispatched case");
    let entry = AccountabilityEntry::next(
        None,
        record.id,
        now,
        by,
        "open",
        None,
        record.state,
        serde_json::json!({}),
    );
    AccountabilityOpening { record, entry }
}

/// Stores a dispatched case and writes it once more with an opening.
fn opened(
    store: &dyn Store,
    city: &City,
    org: &OrgTree,
    title: &str,
    hour: u32,
) -> (Case, AccountabilityRecord) {
    let clerk = actor(Role::Clerk, &city.city);
    let t0 = at(2026, 3, 2, hour, 0);
    let (c, e) = new_case(&clerk, t0, title, "反映民警执法不规范");
    let c = dispatched(c, &city.station_a);
    store.insert_cases(org, vec![(c.clone(), e)]).unwrap();
    let leader = actor(Role::Leader, &city.city);
    let t1 = at(2026, 3, 2, hour, 30);
    let mut open_with = |cur: &Case, last: &TimelineEntry| {
        let e = entry(
            Some(last),
            cur,
            &leader,
            t1,
            "approve",
            Some(cur.state),
            cur.state,
        );
        Ok(CaseUpdate::WriteAndOpen(
            Box::new(cur.clone()),
            Box::new(e),
            Box::new(opening(cur, &leader, t1)),
        ))
    };
    let after = store.update_case(org, c.id, None, &mut open_with).unwrap();
    let rec = store.accountability_of_case(c.id).unwrap().expect("opened");
    (after, rec)
}

pub fn a_case_write_opens_one_accountability_record(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let (c, rec) = opened(store, &city, &org, "民警态度粗暴", 2);
    assert_eq!(c.version, 2, "the case is written too");
    assert_eq!(store.timeline(c.id).unwrap().len(), 2);
    assert_eq!(rec.version, 1);
    assert_eq!(rec.state, AccountabilityState::Investigating);
    assert_eq!(rec.unit_id, city.station_a.id);
    assert_eq!(
        store.accountability_record(rec.id).unwrap(),
        Some(rec.clone())
    );
    assert_eq!(store.accountability_trail(rec.id).unwrap().len(), 1);
    // A second opening for the same case writes the case but opens nothing more.
    let leader = actor(Role::Leader, &city.city);
    let t2 = at(2026, 3, 3, 2, 0);
    store
        .update_case(&org, c.id, None, &mut |cur, last| {
            let e = entry(
                Some(last),
                cur,
                &leader,
                t2,
                "recordInvestigation",
                Some(cur.state),
                cur.state,
            );
            Ok(CaseUpdate::WriteAndOpen(
                Box::new(cur.clone()),
                Box::new(e),
                Box::new(opening(cur, &leader, t2)),
            ))
        })
        .unwrap();
    assert_eq!(store.timeline(c.id).unwrap().len(), 3);
    let page = store
        .accountability_records(&AccountabilityQuery {
            limit: 50,
            ..AccountabilityQuery::default()
        })
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].id, rec.id, "the first record stays");
    assert_eq!(store.accountability_trail(rec.id).unwrap().len(), 1);
    // A refused case write opens nothing.
    let clerk = actor(Role::Clerk, &city.city);
    let (other, _) = new_case(&clerk, t2, "另一件", "内容");
    let other = dispatched(other, &city.station_a);
    let e = entry(None, &other, &clerk, t2, "intake", None, other.state);
    store
        .insert_cases(&org, vec![(other.clone(), vec![e])])
        .unwrap();
    let refused = store.update_case(&org, other.id, Some(99), &mut |cur, last| {
        let e = entry(Some(last), cur, &leader, t2, "approve", None, cur.state);
        Ok(CaseUpdate::WriteAndOpen(
            Box::new(cur.clone()),
            Box::new(e),
            Box::new(opening(cur, &leader, t2)),
        ))
    });
    assert!(matches!(refused, Err(StoreError::VersionConflict { .. })));
    assert_eq!(store.accountability_of_case(other.id).unwrap(), None);
}

fn step(
    store: &dyn Store,
    rec: &AccountabilityRecord,
    by: &Actor,
    s: &AccountabilityStep,
    expected: Option<u64>,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::StoreResult<AccountabilityRecord> {
    store.update_accountability(rec.id, expected, &mut |cur, last| {
        let next = acc::apply(cur, by, s, now).map_err(|e| StoreError::Internal(e.to_string()))?;
        let e = AccountabilityEntry::next(
            Some(last),
            cur.id,
            now,
            by,
            s.code(),
            Some(cur.state),
            next.state,
            serde_json::to_value(s).unwrap_or_default(),
        );
        Ok((next, e))
    })
}

fn establish(city: &City) -> AccountabilityStep {
    AccountabilityStep::Establish {
        officers: vec![Involved {
            id: UserId::mint(at(2026, 1, 1, 0, 0)),
            name: "民警甲".into(),
            unit: city.station_a.id,
        }],
        finding: "出警时言语不当".into(),
    }
}

pub fn accountability_steps_bump_the_version_and_append_to_the_trail(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let (_, rec) = opened(store, &city, &org, "民警推诿", 2);
    let inspector = actor(Role::Inspector, &city.branch);
    let t = at(2026, 3, 4, 2, 0);
    let r2 = step(store, &rec, &inspector, &establish(&city), Some(1), t).unwrap();
    assert_eq!(r2.version, 2);
    assert_eq!(r2.state, AccountabilityState::Established);
    assert_eq!(
        store.accountability_record(rec.id).unwrap(),
        Some(r2.clone())
    );
    // A stale version is refused and writes nothing.
    let stale = step(store, &rec, &inspector, &establish(&city), Some(1), t);
    assert!(matches!(
        stale,
        Err(StoreError::StaleVersion { current: 2 })
    ));
    // A refusal inside the closure writes nothing either.
    let early = AccountabilityStep::Dismiss { reason: "x".into() };
    assert!(step(store, &r2, &inspector, &early, None, t).is_err());
    let trail = store.accountability_trail(rec.id).unwrap();
    assert_eq!(trail.len(), 2);
    assert!(acc::chain_is_valid(&trail), "the stored trail verifies");
    assert_eq!(
        store
            .accountability_trail(AccountabilityId::mint(t))
            .unwrap(),
        Vec::new()
    );
    assert!(matches!(
        step(
            store,
            &AccountabilityRecord {
                id: AccountabilityId::mint(t),
                ..r2
            },
            &inspector,
            &establish(&city),
            None,
            t
        ),
        Err(StoreError::NotFound(_))
    ));
}

pub fn accountability_lists_filter_page_and_feed_the_assessment(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let (_, a) = opened(store, &city, &org, "甲件 民警态度差", 2);
    let (_, b) = opened(store, &city, &org, "乙件 民警不作为", 3);
    let (_, c) = opened(store, &city, &org, "丙件 民警吃拿卡要", 4);
    let q = |state, text: Option<&str>, offset, limit| AccountabilityQuery {
        state,
        units: Vec::new(),
        text: text.map(str::to_owned),
        offset,
        limit,
    };
    let page = store.accountability_records(&q(None, None, 0, 2)).unwrap();
    assert_eq!(page.total, 3);
    let ids: Vec<_> = page.items.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![c.id, b.id], "newest opened first");
    let rest = store.accountability_records(&q(None, None, 2, 2)).unwrap();
    assert_eq!(
        rest.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![a.id]
    );
    let found = store
        .accountability_records(&q(None, Some("不作为"), 0, 10))
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].id, b.id);
    let elsewhere = store
        .accountability_records(&AccountabilityQuery {
            units: vec![city.station_b.id],
            limit: 10,
            ..AccountabilityQuery::default()
        })
        .unwrap();
    assert_eq!(elsewhere.total, 0);

    let inspector = actor(Role::Inspector, &city.branch);
    let leader = actor(Role::Leader, &city.city);
    let decided_at = at(2026, 3, 10, 2, 0);
    let b2 = step(store, &b, &inspector, &establish(&city), None, decided_at).unwrap();
    let decide = AccountabilityStep::Decide {
        sanction: Sanction::Warning,
        note: "给予警告处分".into(),
    };
    step(store, &b2, &leader, &decide, None, decided_at).unwrap();
    let by_state = store
        .accountability_records(&q(Some(AccountabilityState::Decided), None, 0, 10))
        .unwrap();
    assert_eq!(
        by_state.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![b.id]
    );
    let got = |from, to| {
        store
            .accountability_decided(AccountabilityState::Decided, from, to)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(got(at(2026, 3, 1, 0, 0), at(2026, 4, 1, 0, 0)), vec![b.id]);
    assert_eq!(
        got(decided_at, at(2026, 3, 11, 0, 0)),
        vec![b.id],
        "from is inclusive"
    );
    assert!(
        got(at(2026, 3, 1, 0, 0), decided_at).is_empty(),
        "to is exclusive"
    );
}
