//! Two server instances on one database: two `PgStore`s (two pools) over one schema,
//! written to concurrently. What the single-store conformance suite cannot show: the
//! instances share one change log with gap-free positions in commit order, one run of
//! case numbers per day, one audit chain, and one login throttle.
//!
//! Needs `MINSHENG_TEST_DATABASE_URL` (run under `bash scripts/pg.sh run cargo test …`);
//! MINSHENG_ALLOW_NO_POSTGRES=1 skips explicitly.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Barrier;

use minsheng_domain::audit::verify_audit_chain;
use minsheng_domain::ids::CaseId;
use minsheng_domain::role::Role;
use minsheng_domain::scope::ListScope;
use minsheng_store::conformance::{actor, at, new_case, note, City};
use minsheng_store::{AuditRecord, LoginLimits, Store};

use crate::PgStore;

/// Two stores over one fresh schema; the schema is dropped with the pair.
struct Pair(Option<(PgStore, PgStore)>);

impl Drop for Pair {
    fn drop(&mut self) {
        if let Some((a, b)) = self.0.take() {
            drop(b);
            let _ = a.drop_schema();
        }
    }
}

fn pair() -> Option<Pair> {
    let Ok(url) = std::env::var("MINSHENG_TEST_DATABASE_URL") else {
        assert!(
            std::env::var("MINSHENG_ALLOW_NO_POSTGRES").as_deref() == Ok("1"),
            "MINSHENG_TEST_DATABASE_URL is not set: run under `bash scripts/pg.sh run cargo test …`"
        );
        return None;
    };
    let schema = format!("two_{}", uuid::Uuid::now_v7().simple());
    let a = PgStore::open_in(&url, Some(&schema)).expect("first instance");
    let b = PgStore::open_in(&url, Some(&schema)).expect("second instance");
    Some(Pair(Some((a, b))))
}

impl Pair {
    fn both(&self) -> (&PgStore, &PgStore) {
        let (a, b) = self.0.as_ref().expect("open");
        (a, b)
    }
}

#[test]
fn two_instances_share_one_change_log_in_commit_order() {
    const WRITERS: u32 = 3;
    const CASES: u32 = 10;
    let Some(instances) = pair() else { return };
    let (a, b) = instances.both();
    let city = City::new();
    let org = city.install(a);
    let clerk = actor(Role::Clerk, &city.city);
    let done = AtomicBool::new(false);
    let mut seen: HashMap<CaseId, u64> = HashMap::new();
    let mut pos = 0;
    let pull = |pos: &mut u64, seen: &mut HashMap<CaseId, u64>| loop {
        // The client pulls from either instance (a load balancer picks one).
        let via: &PgStore = if pos.is_multiple_of(2) { a } else { b };
        let page = via.changes_since(&ListScope::Everything, *pos, 4).unwrap();
        for c in &page.changed {
            seen.insert(c.id, c.version);
        }
        *pos = page.next;
        if !page.has_more {
            return;
        }
    };
    let ids: Vec<CaseId> = std::thread::scope(|s| {
        let mut writers = Vec::new();
        for (n, store) in [a, b].into_iter().enumerate() {
            for w in 0..WRITERS {
                let (org, clerk) = (&org, &clerk);
                writers.push(s.spawn(move || {
                    let mut ids = Vec::new();
                    for i in 0..CASES {
                        // All on one Beijing day (2 March, 10:00 onwards).
                        let when = at(2026, 3, 2, 2 + n as u32 * WRITERS + w, i);
                        let case = new_case(clerk, when, &format!("{n}-{w}-{i}"), "内容");
                        let id = case.0.id;
                        store.insert_cases(org, vec![case]).unwrap();
                        store
                            .update_case(org, id, None, &mut note(clerk, when))
                            .unwrap();
                        ids.push(id);
                    }
                    ids
                }));
            }
        }
        let puller = s.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                pull(&mut pos, &mut seen);
            }
        });
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
    pull(&mut pos, &mut seen);
    let total = ids.len();
    assert_eq!(total, (2 * WRITERS * CASES) as usize);
    assert_eq!(seen.len(), total, "every case reached the client");
    for id in &ids {
        assert_eq!(seen.get(id), Some(&2), "at its last version");
    }

    // Gap-free positions: one per write, 1..=N, and the counter at N.
    let mut conn = a.raw_connection().unwrap();
    let seqs: Vec<i64> = conn
        .query("SELECT seq FROM changes ORDER BY seq", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let writes = 2 * total as i64;
    assert_eq!(seqs, (1..=writes).collect::<Vec<_>>());
    let last: i64 = conn
        .query_one("SELECT last FROM sync_counter WHERE id = 1", &[])
        .unwrap()
        .get(0);
    assert_eq!(last, writes);

    // One run of case numbers for the day, whichever instance took the case.
    let numbers: BTreeSet<String> = ids
        .iter()
        .map(|id| b.case(*id).unwrap().unwrap().number.unwrap())
        .collect();
    let want: BTreeSet<String> = (1..=total).map(|n| format!("MS20260302{n:04}")).collect();
    assert_eq!(numbers, want);
}

#[test]
fn two_instances_append_to_one_audit_chain() {
    let Some(instances) = pair() else { return };
    let (a, b) = instances.both();
    let admin = actor(Role::Admin, &City::new().city);
    std::thread::scope(|s| {
        for (n, store) in [a, b, a, b].into_iter().enumerate() {
            let admin = &admin;
            s.spawn(move || {
                for i in 0..15 {
                    store
                        .audit(&AuditRecord {
                            at: at(2026, 3, 2, 1, i),
                            user_id: admin.user_id,
                            action: "login".into(),
                            target: format!("{n}-{i}"),
                            detail: String::new(),
                        })
                        .unwrap();
                }
            });
        }
    });
    let chain = b.audit_chain().unwrap();
    assert_eq!(chain.len(), 60);
    let report = verify_audit_chain(&chain);
    assert!(report.valid, "{:?}", report.problem);
}

#[test]
fn two_instances_share_one_login_throttle() {
    let Some(instances) = pair() else { return };
    let (a, b) = instances.both();
    let limits = LoginLimits {
        window_secs: 900,
        per_account: 3,
        per_address: 100,
        known_secs: 86_400,
    };
    let t = at(2026, 3, 2, 1, 0);
    // Warm both pools, so the real requests are not spread out by connecting.
    for store in [a, b] {
        std::thread::scope(|s| {
            for i in 0..8 {
                s.spawn(move || store.user_by_username(&format!("warm{i}")).unwrap());
            }
        });
    }
    let granted = AtomicUsize::new(0);
    let barrier = Barrier::new(16);
    std::thread::scope(|s| {
        for i in 0..16 {
            let store: &PgStore = if i % 2 == 0 { a } else { b };
            let (granted, barrier) = (&granted, &barrier);
            s.spawn(move || {
                barrier.wait();
                if store
                    .reserve_login_attempt("target", &format!("10.0.0.{i}"), t, &limits)
                    .unwrap()
                    .is_some()
                {
                    granted.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(granted.into_inner(), 3);
}

#[test]
fn two_instances_never_both_take_the_last_place_of_a_rate_limit() {
    use minsheng_store::notify::{LimitedEnqueue, NewSms, NotifyStore, SmsLimit};
    let Some(instances) = pair() else { return };
    let (a, b) = instances.both();
    let now = at(2026, 3, 2, 1, 0);
    let queued = AtomicUsize::new(0);
    let barrier = Barrier::new(16);
    std::thread::scope(|s| {
        for i in 0..16 {
            let store: &PgStore = if i % 2 == 0 { a } else { b };
            let (queued, barrier) = (&queued, &barrier);
            s.spawn(move || {
                let sms = NewSms {
                    event_key: format!("reminder:u{i}:1:k"),
                    phone: "13900000009".into(),
                    template: "reminder.documentReady".into(),
                    provider_template_id: None,
                    params: serde_json::json!({}),
                    body: "【民生警务】温馨提示".into(),
                };
                let limit = SmsLimit {
                    event_key_prefix: "reminder:".into(),
                    phone: Some("13900000009".into()),
                    since: now - chrono::Duration::hours(24),
                    max: 3,
                };
                barrier.wait();
                let r = store.enqueue_sms_within(&sms, &[limit], now).unwrap();
                if r == LimitedEnqueue::Queued(true) {
                    queued.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(
        queued.into_inner(),
        3,
        "three a day per number, across instances"
    );
}

#[test]
fn a_worker_lock_has_one_holder_across_instances_and_dies_with_its_connection() {
    let Some(instances) = pair() else { return };
    let (a, b) = instances.both();
    let held = a.worker_lock("assessment", false).unwrap().expect("free");
    assert!(b.worker_lock("assessment", false).unwrap().is_none());
    drop(held);
    let held = b
        .worker_lock("assessment", false)
        .unwrap()
        .expect("released");
    assert!(a.worker_lock("assessment", false).unwrap().is_none());
    // An instance that dies (its connections end) loses its locks.
    let mut admin = a.raw_connection().unwrap();
    let key = crate::worker_lock::key(a.schema(), "assessment");
    let ended = admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks
             WHERE locktype = 'advisory' AND objsubid = 1 AND granted
               AND ((classid::BIGINT << 32) | objid::BIGINT) = $1",
            &[&key],
        )
        .unwrap();
    assert_eq!(ended, 1, "one connection held the lock");
    std::mem::forget(held);
    let mut tries = 0;
    while a.worker_lock("assessment", false).unwrap().is_none() {
        tries += 1;
        assert!(tries < 50, "the lock outlived its connection");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn chinese_text_is_split_into_trigrams_that_the_search_index_holds() {
    let Some(instances) = pair() else { return };
    let (a, _) = instances.both();
    let mut c = a.raw_connection().unwrap();
    // Under a C locale pg_trgm finds no word characters in Chinese: no trigrams at all.
    let grams: Vec<String> = c
        .query_one("SELECT public.show_trgm('派出所门口'::TEXT)", &[])
        .unwrap()
        .get(0);
    assert!(
        grams.len() >= 3,
        "the test cluster's locale hides Chinese from pg_trgm: {grams:?}"
    );
}

/// Push batches through two instances that name the same two cases in opposite orders,
/// all at once: `claim` takes them in one order, so none deadlocks (PostgreSQL would
/// abort one of a deadlocked pair, failing its push), and every command applies once.
#[test]
fn crossed_push_batches_on_two_instances_never_deadlock() {
    use minsheng_domain::ids::CommandId;
    use minsheng_store::{CommandBatch, CommandKey, CommandTx};
    const ROUNDS: u32 = 15;
    let Some(instances) = pair() else { return };
    let (a, b) = instances.both();
    let city = City::new();
    let org = city.install(a);
    let clerk = actor(Role::Clerk, &city.city);
    let (x, ex) = new_case(&clerk, at(2026, 3, 2, 2, 0), "甲件", "内容");
    let (y, ey) = new_case(&clerk, at(2026, 3, 2, 2, 1), "乙件", "内容");
    a.insert_cases(&org, vec![(x.clone(), ex), (y.clone(), ey)])
        .unwrap();
    let barrier = Barrier::new(4);
    let failed = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for (t, (store, order)) in [
            (a, [x.id, y.id]),
            (b, [y.id, x.id]),
            (a, [y.id, x.id]),
            (b, [x.id, y.id]),
        ]
        .into_iter()
        .enumerate()
        {
            let (org, clerk, barrier, failed) = (&org, &clerk, &barrier, &failed);
            s.spawn(move || {
                for round in 0..ROUNDS {
                    let when = at(2026, 3, 2, 3, round);
                    let keys: Vec<CommandKey> = order
                        .iter()
                        .enumerate()
                        .map(|(i, case)| CommandKey {
                            id: CommandId::mint(when),
                            install_id: format!("install-{t}"),
                            user_id: clerk.user_id,
                            seq: u64::from(round) * 2 + i as u64 + 1,
                            case_id: Some(*case),
                            at: when,
                        })
                        .collect();
                    barrier.wait();
                    store
                        .run_batch(org, &mut |batch: &mut dyn CommandBatch| {
                            let ids: Vec<CommandId> = keys.iter().map(|k| k.id).collect();
                            batch.claim(&ids, &order)?;
                            for (k, case) in keys.iter().zip(order) {
                                batch.run_command(k, &mut |tx: &mut dyn CommandTx| {
                                    tx.update_case(case, &mut note(clerk, when))?;
                                    // Hold the first case a moment: without `claim` the
                                    // crossed batches would now deadlock.
                                    std::thread::sleep(std::time::Duration::from_millis(5));
                                    Ok("{}".into())
                                })?;
                            }
                            Ok(())
                        })
                        .unwrap_or_else(|e| {
                            // Recorded, not panicked: the others still meet at the barrier.
                            failed
                                .lock()
                                .unwrap()
                                .push(format!("batch {t} round {round}: {e}"));
                        });
                }
            });
        }
    });
    assert_eq!(
        failed.into_inner().unwrap(),
        Vec::<String>::new(),
        "no batch failed"
    );
    // Each case: its intake, then one note per command that named it.
    for c in [x.id, y.id] {
        assert_eq!(
            a.case(c).unwrap().unwrap().version,
            1 + 4 * u64::from(ROUNDS)
        );
    }
}
