//! The change log read by pulls and the exactly-once record of pushed commands.

use minsheng_domain::ids::{CaseId, CommandId};
use minsheng_domain::role::Role;
use minsheng_domain::scope::ListScope;

use super::{actor, at, dispatched, entry, new_case, note, City};
use crate::{CaseUpdate, CommandBatch, CommandKey, CommandTx, Store, StoreError};

/// Every change after `from`, following `next` until the log is exhausted.
fn drain(store: &dyn Store, scope: &ListScope, from: u64) -> (Vec<CaseId>, Vec<CaseId>, u64) {
    let (mut changed, mut removed, mut pos) = (Vec::new(), Vec::new(), from);
    loop {
        let page = store.changes_since(scope, pos, 2).unwrap();
        changed.extend(page.changed.iter().map(|c| c.id));
        removed.extend(page.removed.iter().copied());
        assert!(page.next >= pos, "positions never go back");
        pos = page.next;
        if !page.has_more {
            return (changed, removed, pos);
        }
    }
}

pub fn the_change_log_hands_each_write_out_once_in_order(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let epoch = store.sync_epoch().unwrap();
    let empty = store.change_log_head().unwrap();
    let cases: Vec<_> = (0..5)
        .map(|i| new_case(&clerk, at(2026, 3, 2, 2, i), &format!("第{i}件"), "内容"))
        .collect();
    let ids: Vec<_> = cases.iter().map(|(c, _)| c.id).collect();
    for c in cases {
        store.insert_cases(&org, vec![c]).unwrap();
    }
    let (changed, removed, end) = drain(store, &ListScope::Everything, 0);
    assert_eq!(changed, ids, "each case once, in commit order");
    assert!(removed.is_empty());
    // The head is the last position handed out: reading after it finds nothing.
    let head = store.change_log_head().unwrap();
    assert!(head > empty, "five writes moved the head");
    let (past, _, _) = drain(store, &ListScope::Everything, head);
    assert!(past.is_empty(), "nothing after the head");
    let (last, _, _) = drain(store, &ListScope::Everything, head - 1);
    assert_eq!(last, vec![ids[4]], "the head is the last write's position");
    // Nothing new: an empty page at the same position.
    let (again, _, end2) = drain(store, &ListScope::Everything, end);
    assert!(again.is_empty());
    assert_eq!(end2, end);
    // An update moves the case to the end of the log; an earlier cursor sees it once.
    store
        .update_case(&org, ids[1], None, &mut note(&clerk, at(2026, 3, 2, 4, 0)))
        .unwrap();
    let (after, _, _) = drain(store, &ListScope::Everything, end);
    assert_eq!(after, vec![ids[1]]);
    let (all, _, _) = drain(store, &ListScope::Everything, 0);
    assert_eq!(
        all,
        vec![ids[0], ids[2], ids[3], ids[4], ids[1]],
        "latest change wins the place"
    );
    assert_eq!(
        store.sync_epoch().unwrap(),
        epoch,
        "the epoch is stable while the database lives"
    );
}

pub fn a_cursor_beyond_the_log_is_a_sync_reset(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    store
        .insert_cases(
            &org,
            vec![new_case(&clerk, at(2026, 3, 2, 2, 0), "一件", "内容")],
        )
        .unwrap();
    let (_, _, end) = drain(store, &ListScope::Everything, 0);
    let err = store
        .changes_since(&ListScope::Everything, end + 1000, 10)
        .unwrap_err();
    assert!(matches!(err, StoreError::SyncReset), "{err:?}");
}

/// A station sees its own cases' changes; when a case moves to another station, the
/// first gets a removal and the second the case.
pub fn a_scope_sees_only_its_changes(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let t = at(2026, 3, 2, 2, 0);
    let (a, e) = new_case(&clerk, t, "甲所的件", "内容");
    let a = dispatched(a, &city.station_a);
    let (b, e2) = new_case(&clerk, t, "乙所的件", "内容");
    let b = dispatched(b, &city.station_b);
    store
        .insert_cases(&org, vec![(a.clone(), e), (b.clone(), e2)])
        .unwrap();
    let sa = ListScope::Unit(city.station_a.id);
    let sb = ListScope::Unit(city.station_b.id);
    let (ca, _, pos_a) = drain(store, &sa, 0);
    assert_eq!(ca, vec![a.id]);
    let (cb, _, pos_b) = drain(store, &sb, 0);
    assert_eq!(cb, vec![b.id]);
    let (branch, _, _) = drain(store, &ListScope::Unit(city.branch.id), 0);
    assert_eq!(branch, vec![a.id, b.id]);

    // Case a is transferred to station b.
    store
        .update_case(&org, a.id, None, &mut |cur, last| {
            let next = dispatched(cur.clone(), &city.station_b);
            let e = entry(
                Some(last),
                cur,
                &clerk,
                t,
                "dispatch",
                Some(cur.state),
                next.state,
            );
            Ok(CaseUpdate::Write(Box::new(next), Box::new(e)))
        })
        .unwrap();
    let (ca2, removed_a, _) = drain(store, &sa, pos_a);
    assert!(ca2.is_empty());
    assert_eq!(
        removed_a,
        vec![a.id],
        "the station that lost the case is told"
    );
    let (cb2, removed_b, _) = drain(store, &sb, pos_b);
    assert_eq!(cb2, vec![a.id]);
    assert!(removed_b.is_empty());
    // From the start (a new desktop, or one back after days: more changes than the
    // unit has cases), the same answer as from the cursors.
    assert_eq!(drain(store, &sa, 0).0, Vec::<CaseId>::new());
    assert_eq!(drain(store, &sa, 0).1, vec![a.id]);
    let (cb_all, removed_b_all, _) = drain(store, &sb, 0);
    assert_eq!(cb_all, vec![b.id, a.id], "oldest last change first");
    assert!(removed_b_all.is_empty());
    let (other, _, _) = drain(store, &ListScope::Unit(city.other_station.id), 0);
    assert!(other.is_empty(), "another branch's station sees nothing");
}

fn key(id: CommandId, seq: u64, case: CaseId, who: &minsheng_domain::role::Actor) -> CommandKey {
    CommandKey {
        id,
        install_id: "install-1".into(),
        user_id: who.user_id,
        seq,
        case_id: Some(case),
        at: at(2026, 3, 2, 3, 0),
    }
}

pub fn commands_are_processed_exactly_once(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let (c, e) = new_case(&clerk, at(2026, 3, 2, 2, 0), "一件", "内容");
    store.insert_cases(&org, vec![(c.clone(), e)]).unwrap();
    assert_eq!(store.ack_seq("install-1").unwrap(), None);
    let id = CommandId::mint(at(2026, 3, 2, 3, 0));
    let k = key(id, 1, c.id, &clerk);
    let mut runs = 0;
    for round in 0..2 {
        let mut outcome = None;
        store
            .run_batch(&org, &mut |b: &mut dyn CommandBatch| {
                let done = b.run_command(&k, &mut |tx: &mut dyn CommandTx| {
                    runs += 1;
                    tx.update_case(c.id, &mut note(&clerk, at(2026, 3, 2, 3, 0)))?;
                    Ok(format!("{{\"round\":{round}}}"))
                })?;
                outcome = Some(done);
                Ok(())
            })
            .unwrap();
        let done = outcome.unwrap();
        assert_eq!(done.result, "{\"round\":0}", "the first outcome, verbatim");
        assert_eq!(done.replayed, round == 1);
    }
    assert_eq!(runs, 1, "a command runs once");
    assert_eq!(store.case(c.id).unwrap().unwrap().version, 2);
    assert_eq!(store.ack_seq("install-1").unwrap(), Some(1));
    let stored = store.processed_command(id).unwrap().unwrap();
    assert_eq!(stored.user_id, clerk.user_id);
    assert_eq!(stored.result, "{\"round\":0}");
}

#[derive(Debug, thiserror::Error)]
#[error("拒绝")]
struct Refused;

pub fn a_failing_command_rolls_back_only_itself(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let (c, e) = new_case(&clerk, at(2026, 3, 2, 2, 0), "一件", "内容");
    store.insert_cases(&org, vec![(c.clone(), e)]).unwrap();
    let good = key(CommandId::mint(at(2026, 3, 2, 3, 0)), 1, c.id, &clerk);
    let bad = key(CommandId::mint(at(2026, 3, 2, 3, 1)), 2, c.id, &clerk);
    store
        .run_batch(&org, &mut |b: &mut dyn CommandBatch| {
            b.run_command(&good, &mut |tx: &mut dyn CommandTx| {
                tx.update_case(c.id, &mut note(&clerk, at(2026, 3, 2, 3, 0)))?;
                Ok("{}".into())
            })?;
            let err = b
                .run_command(&bad, &mut |tx: &mut dyn CommandTx| {
                    tx.update_case(c.id, &mut note(&clerk, at(2026, 3, 2, 3, 0)))?;
                    Err(StoreError::Caller(Box::new(Refused)))
                })
                .unwrap_err();
            assert!(matches!(err, StoreError::Caller(_)), "{err:?}");
            Ok(())
        })
        .unwrap();
    assert_eq!(
        store.case(c.id).unwrap().unwrap().version,
        2,
        "only the good command's write"
    );
    assert_eq!(store.timeline(c.id).unwrap().len(), 2);
    assert!(store.processed_command(good.id).unwrap().is_some());
    assert!(
        store.processed_command(bad.id).unwrap().is_none(),
        "the failed one is not recorded"
    );
    assert_eq!(store.ack_seq("install-1").unwrap(), Some(1));

    // An error out of the whole batch rolls the batch back.
    let third = key(CommandId::mint(at(2026, 3, 2, 3, 2)), 3, c.id, &clerk);
    let err = store
        .run_batch(&org, &mut |b: &mut dyn CommandBatch| {
            b.run_command(&third, &mut |tx: &mut dyn CommandTx| {
                tx.update_case(c.id, &mut note(&clerk, at(2026, 3, 2, 3, 0)))?;
                Ok("{}".into())
            })?;
            Err(StoreError::Caller(Box::new(Refused)))
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Caller(_)));
    assert_eq!(store.case(c.id).unwrap().unwrap().version, 2);
    assert!(store.processed_command(third.id).unwrap().is_none());
}

/// Writers committing concurrently (requests on several instances) while a client
/// pulls: the pull never skips a change, so it ends with every case at its latest
/// version. Positions are handed out in commit order; with positions in the order the
/// writes began, a pull could pass one that commits later and miss it for good.
pub fn concurrent_writers_never_let_a_pull_skip_a_change(store: &dyn Store) {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, Ordering};
    const WRITERS: u32 = 6;
    const CASES: u32 = 20;
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let done = AtomicBool::new(false);
    let mut seen: HashMap<CaseId, u64> = HashMap::new();
    let mut pos = 0;
    let pull = |pos: &mut u64, seen: &mut HashMap<CaseId, u64>| loop {
        let page = store
            .changes_since(&ListScope::Everything, *pos, 5)
            .unwrap();
        for c in &page.changed {
            let before = seen.insert(c.id, c.version).unwrap_or(0);
            assert!(c.version >= before, "a pull never goes back in time");
        }
        assert!(page.next >= *pos);
        *pos = page.next;
        if !page.has_more {
            return;
        }
    };
    let ids: Vec<CaseId> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (org, clerk) = (&org, &clerk);
                s.spawn(move || {
                    // Each case in its own transaction: an insert, and every other case
                    // updated once more.
                    let mut ids = Vec::new();
                    for i in 0..CASES {
                        let t = at(2026, 3, 2, 2 + w, i);
                        let (c, e) = new_case(clerk, t, &format!("第{w}-{i}件"), "内容");
                        let id = c.id;
                        store.insert_cases(org, vec![(c, e)]).unwrap();
                        if i % 2 == 1 {
                            store
                                .update_case(org, id, None, &mut note(clerk, t))
                                .unwrap();
                        }
                        ids.push(id);
                    }
                    ids
                })
            })
            .collect();
        let puller = s.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                pull(&mut pos, &mut seen);
            }
        });
        // Joined before any assertion, so a failed writer cannot leave the puller
        // running (the scope would wait for it forever).
        let results: Vec<_> = writers
            .into_iter()
            .map(std::thread::ScopedJoinHandle::join)
            .collect();
        done.store(true, Ordering::SeqCst);
        puller.join().unwrap();
        results
            .into_iter()
            .flat_map(|r| r.expect("a writer failed"))
            .collect()
    });
    // The client's next pull after the writers are done.
    pull(&mut pos, &mut seen);
    assert_eq!(seen.len(), ids.len(), "every case reached the client");
    for id in ids {
        let latest = store.case(id).unwrap().unwrap().version;
        assert_eq!(seen.get(&id), Some(&latest), "the pull saw the last change");
    }
}

/// The same command in two batches at the same moment (a retry racing the original on
/// another instance): it runs once, and both answer its first outcome.
pub fn one_command_pushed_twice_at_once_applies_once(store: &dyn Store) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Barrier;
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let (c, e) = new_case(&clerk, at(2026, 3, 2, 2, 0), "一件", "内容");
    store.insert_cases(&org, vec![(c.clone(), e)]).unwrap();
    for round in 0..4u32 {
        let k = key(
            CommandId::mint(at(2026, 3, 2, 3, round)),
            u64::from(round) + 1,
            c.id,
            &clerk,
        );
        let runs = AtomicUsize::new(0);
        let barrier = Barrier::new(2);
        let outcomes: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|t| {
                    let (k, org, clerk, runs, barrier) = (&k, &org, &clerk, &runs, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        let mut out = None;
                        store
                            .run_batch(org, &mut |b: &mut dyn CommandBatch| {
                                out = Some(b.run_command(k, &mut |tx: &mut dyn CommandTx| {
                                    runs.fetch_add(1, Ordering::SeqCst);
                                    tx.update_case(c.id, &mut note(clerk, at(2026, 3, 2, 4, 0)))?;
                                    Ok(format!("{{\"by\":{t}}}"))
                                })?);
                                Ok(())
                            })
                            .unwrap();
                        out.unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(runs.into_inner(), 1, "round {round}: the command ran once");
        assert_eq!(outcomes[0].result, outcomes[1].result, "one outcome");
        assert_eq!(
            outcomes.iter().filter(|o| o.replayed).count(),
            1,
            "the other batch replays it"
        );
        assert_eq!(
            store.case(c.id).unwrap().unwrap().version,
            2 + u64::from(round)
        );
    }
}

/// A case created offline and pushed gets its number from the server and enters the
/// change log; a pushed intake with a taken id fails alone.
pub fn a_pushed_intake_gets_its_number_and_enters_the_log(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let (c, e) = new_case(&clerk, at(2026, 3, 2, 2, 0), "入户走访登记", "内容");
    assert!(c.number.is_none());
    let k = key(CommandId::mint(at(2026, 3, 2, 3, 0)), 1, c.id, &clerk);
    let twin_key = key(CommandId::mint(at(2026, 3, 2, 3, 1)), 2, c.id, &clerk);
    let mut stored = None;
    store
        .run_batch(&org, &mut |b: &mut dyn CommandBatch| {
            b.run_command(&k, &mut |tx: &mut dyn CommandTx| {
                let s = tx.insert_case(c.clone(), e.clone())?;
                assert_eq!(tx.case(c.id)?.as_ref(), Some(&s), "read in the batch");
                stored = Some(s);
                Ok("{}".into())
            })?;
            let (mut twin, e2) = new_case(&clerk, at(2026, 3, 2, 2, 0), "同号", "内容");
            twin.id = c.id;
            let err = b
                .run_command(&twin_key, &mut |tx: &mut dyn CommandTx| {
                    tx.insert_case(twin.clone(), e2.clone())?;
                    Ok("{}".into())
                })
                .unwrap_err();
            assert_eq!(err.code(), "ALREADY_EXISTS", "{err:?}");
            assert_eq!(b.case(c.id)?.map(|c| c.title), Some("入户走访登记".into()));
            Ok(())
        })
        .unwrap();
    let stored = stored.unwrap();
    assert_eq!(stored.number.as_deref(), Some("MS202603020001"));
    assert_eq!(stored.version, 1);
    assert_eq!(store.case(c.id).unwrap().as_ref(), Some(&stored));
    assert!(store.processed_command(twin_key.id).unwrap().is_none());
    let page = store.changes_since(&ListScope::Everything, 0, 10).unwrap();
    assert_eq!(page.changed, vec![stored]);
}
