//! Sessions, the login throttle's reservations, and the audit chain.

use chrono::Duration;
use minsheng_domain::audit::verify_audit_chain;
use minsheng_domain::role::Role;

use super::{at, user, City};
use crate::{AuditRecord, LoginLimits, Rotation, SessionRecord, Store};

fn session(id: &str, user: &crate::UserRecord, refresh: &str, family: &str) -> SessionRecord {
    let t = at(2026, 3, 2, 1, 0);
    SessionRecord {
        id: id.into(),
        user_id: user.id,
        access_hash: format!("access-{id}"),
        access_expires: t + Duration::minutes(15),
        refresh_hash: refresh.into(),
        refresh_expires: t + Duration::days(7),
        created_at: t,
        family: family.into(),
        family_expires: t + Duration::days(30),
    }
}

pub fn sessions_rotate_once_then_are_retired(store: &dyn Store) {
    let city = City::new();
    city.install(store);
    let u = user("lisi", Role::Clerk, &city.city);
    store.insert_user(&u).unwrap();
    let first = session("s1", &u, "r1", "fam");
    store.insert_session(&first).unwrap();
    assert_eq!(
        store.session_by_access("access-s1").unwrap().as_ref(),
        Some(&first)
    );
    assert_eq!(
        store.session_by_refresh("r1").unwrap().as_ref(),
        Some(&first)
    );

    let second = session("s2", &u, "r2", "fam");
    match store.rotate_session("r1", &second).unwrap() {
        Rotation::Rotated(old) => assert_eq!(old, first),
        other => panic!("a live refresh token rotates, got {other:?}"),
    }
    assert_eq!(store.session_by_refresh("r1").unwrap(), None);
    assert_eq!(
        store.session_by_refresh("r2").unwrap().as_ref(),
        Some(&second)
    );

    // The same token again: recognised as retired, nothing changes.
    let third = session("s3", &u, "r3", "fam");
    match store.rotate_session("r1", &third).unwrap() {
        Rotation::Retired(r) => {
            assert_eq!(r.family, "fam");
            assert_eq!(r.user_id, u.id);
        }
        other => panic!("a rotated token is retired, got {other:?}"),
    }
    assert_eq!(
        store.session_by_refresh("r3").unwrap(),
        None,
        "no session was added"
    );
    assert!(store.retired_refresh("r1").unwrap().is_some());
    assert!(matches!(
        store.rotate_session("never", &third).unwrap(),
        Rotation::Unknown
    ));

    // Ending the family ends its live sessions; other families stay.
    store
        .insert_session(&session("t1", &u, "q1", "other"))
        .unwrap();
    assert_eq!(store.delete_session_family("fam").unwrap(), 1);
    assert_eq!(store.session_by_refresh("r2").unwrap(), None);
    assert!(store.session_by_refresh("q1").unwrap().is_some());
    store.delete_user_sessions(u.id).unwrap();
    assert_eq!(store.session_by_refresh("q1").unwrap(), None);
}

pub fn login_reservations_respect_the_limits(store: &dyn Store) {
    let limits = LoginLimits {
        window_secs: 900,
        per_account: 3,
        per_address: 4,
        known_secs: 30 * 86_400,
    };
    let t = at(2026, 3, 2, 1, 0);
    // Three checks of one account from anywhere, then refused within the window.
    for i in 0..3 {
        let ip = format!("10.0.0.{i}");
        assert!(store
            .reserve_login_attempt("wangwu", &ip, t, &limits)
            .unwrap()
            .is_some());
    }
    assert!(store
        .reserve_login_attempt("wangwu", "10.0.0.9", t, &limits)
        .unwrap()
        .is_none());
    // After the window the account may try again.
    let later = t + Duration::seconds(901);
    let id = store
        .reserve_login_attempt("wangwu", "10.0.0.9", later, &limits)
        .unwrap();
    assert!(id.is_some());

    // One shared address: a fourth account is refused there once the address has four
    // attempts, unless that account logged in from it before (a colleague at the desk).
    store
        .reserve_login_attempt("colleague", "10.1.1.1", t, &limits)
        .unwrap()
        .unwrap();
    store
        .login_succeeded("colleague", "10.1.1.1", t, t - Duration::days(30))
        .unwrap();
    for acc in ["a1", "a2", "a3", "a4"] {
        assert!(store
            .reserve_login_attempt(acc, "10.1.1.1", t, &limits)
            .unwrap()
            .is_some());
    }
    assert!(store
        .reserve_login_attempt("a5", "10.1.1.1", t, &limits)
        .unwrap()
        .is_none());
    assert!(
        store
            .reserve_login_attempt("colleague", "10.1.1.1", t, &limits)
            .unwrap()
            .is_some(),
        "a known address does not lock its user out"
    );

    // A released reservation does not count.
    let r = store
        .reserve_login_attempt("zhao", "10.2.2.2", t, &limits)
        .unwrap()
        .unwrap();
    store.release_login_attempt(r).unwrap();
    for _ in 0..3 {
        assert!(store
            .reserve_login_attempt("zhao", "10.2.2.2", t, &limits)
            .unwrap()
            .is_some());
    }
}

pub fn audit_records_form_a_chain(store: &dyn Store) {
    let city = City::new();
    city.install(store);
    let u = user("admin1", Role::Admin, &city.city);
    store.insert_user(&u).unwrap();
    for (i, action) in ["login", "unmaskCitizen", "updateUser"].iter().enumerate() {
        store
            .audit(&AuditRecord {
                at: at(2026, 3, 2, 1, i as u32),
                user_id: u.id,
                action: (*action).into(),
                target: format!("t{i}"),
                detail: format!("详情{i}"),
            })
            .unwrap();
    }
    let chain = store.audit_chain().unwrap();
    assert_eq!(chain.len(), 3);
    assert_eq!(
        chain.iter().map(|l| l.action.as_str()).collect::<Vec<_>>(),
        ["login", "unmaskCitizen", "updateUser"],
        "oldest first"
    );
    assert!(verify_audit_chain(&chain).valid);
    let log = store.audit_log(2).unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|r| r.user_id == u.id));
}

/// Retired refresh hashes are remembered until their family's absolute end, then
/// forgotten by a later rotation.
pub fn retired_refresh_tokens_are_forgotten_after_their_family_ends(store: &dyn Store) {
    let city = City::new();
    city.install(store);
    let u = user("zhouqi", Role::Clerk, &city.city);
    store.insert_user(&u).unwrap();
    let first = session("s1", &u, "r1", "fam");
    store.insert_session(&first).unwrap();
    let second = session("s2", &u, "r2", "fam");
    assert!(matches!(
        store.rotate_session("r1", &second).unwrap(),
        Rotation::Rotated(_)
    ));
    let retired = store.retired_refresh("r1").unwrap().expect("remembered");
    assert_eq!(retired.family, "fam");
    assert_eq!(retired.user_id, u.id);
    assert_eq!(retired.retired_at, second.created_at);
    assert_eq!(retired.family_expires, first.family_expires);

    // A rotation in another family, after this family's end.
    let mut other = session("t1", &u, "q1", "other");
    other.family_expires = first.family_expires + Duration::days(30);
    store.insert_session(&other).unwrap();
    let mut late = session("t2", &u, "q2", "other");
    late.created_at = first.family_expires + Duration::seconds(1);
    late.access_expires = late.created_at + Duration::minutes(15);
    late.refresh_expires = late.created_at + Duration::days(7);
    late.family_expires = late.created_at + Duration::days(30);
    assert!(matches!(
        store.rotate_session("q1", &late).unwrap(),
        Rotation::Rotated(_)
    ));
    assert_eq!(
        store.retired_refresh("r1").unwrap(),
        None,
        "forgotten after the family's end"
    );
    assert!(matches!(
        store
            .rotate_session("r1", &session("s3", &u, "r3", "fam"))
            .unwrap(),
        Rotation::Unknown
    ));
    assert!(
        store.retired_refresh("q1").unwrap().is_some(),
        "a family not ended yet is remembered"
    );
}

/// Reservations made at the same moment from many requests (several server instances
/// in production) still stop at the limit.
pub fn concurrent_reservations_stop_at_the_limit(store: &dyn Store) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Barrier;
    const REQUESTS: usize = 12;
    let limits = LoginLimits {
        window_secs: 900,
        per_account: 3,
        per_address: 5,
        known_secs: 30 * 86_400,
    };
    let t = at(2026, 3, 2, 1, 0);
    // Each request as (account, address), all started at once.
    let race = |who: &dyn Fn(usize) -> (String, String)| -> usize {
        let granted = AtomicUsize::new(0);
        let barrier = Barrier::new(REQUESTS);
        std::thread::scope(|s| {
            for i in 0..REQUESTS {
                let (account, ip) = who(i);
                let (granted, barrier) = (&granted, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    if store
                        .reserve_login_attempt(&account, &ip, t, &limits)
                        .unwrap()
                        .is_some()
                    {
                        granted.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        granted.into_inner()
    };
    // Warm-up with unrelated requests, so the real ones are not spread out by the
    // backend opening connections for them.
    assert_eq!(
        race(&|i| (format!("warm{i}"), format!("10.7.0.{i}"))),
        REQUESTS
    );
    assert_eq!(
        race(&|i| ("target".into(), format!("10.9.0.{i}"))),
        3,
        "one account from many addresses: per account"
    );
    assert_eq!(
        race(&|i| (format!("acc{i}"), "10.8.8.8".into())),
        5,
        "many accounts from one address: per address"
    );
}

/// Audit records written at the same time by many requests form one unbroken chain.
pub fn concurrent_audit_writers_form_one_chain(store: &dyn Store) {
    let city = City::new();
    city.install(store);
    let u = user("admin2", Role::Admin, &city.city);
    store.insert_user(&u).unwrap();
    std::thread::scope(|s| {
        for w in 0..4 {
            let u = &u;
            s.spawn(move || {
                for i in 0..10 {
                    store
                        .audit(&AuditRecord {
                            at: at(2026, 3, 2, 1, i),
                            user_id: u.id,
                            action: "login".into(),
                            target: format!("w{w}-{i}"),
                            detail: String::new(),
                        })
                        .unwrap();
                }
            });
        }
    });
    let chain = store.audit_chain().unwrap();
    assert_eq!(chain.len(), 40);
    let report = verify_audit_chain(&chain);
    assert!(report.valid, "{:?}", report.problem);
    assert!(
        chain.windows(2).all(|w| w[0].id < w[1].id),
        "ids follow the chain"
    );
}

/// Worker locks: one holder per name; a waiter gets it when the holder lets go.
pub fn worker_locks_have_one_holder_at_a_time(store: &dyn Store) {
    let first = store.worker_lock("assessment", false).unwrap();
    assert!(first.is_some(), "a free lock is taken");
    assert!(
        store.worker_lock("assessment", false).unwrap().is_none(),
        "a held lock is refused without waiting"
    );
    let other = store.worker_lock("notify", false).unwrap();
    assert!(other.is_some(), "another name is independent");
    let released = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let lock = store.worker_lock("assessment", true).unwrap();
            assert!(lock.is_some());
            released.load(std::sync::atomic::Ordering::SeqCst)
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        released.store(true, std::sync::atomic::Ordering::SeqCst);
        drop(first);
        assert!(
            waiter.join().unwrap(),
            "the waiter got the lock only after it was released"
        );
    });
    assert!(store.worker_lock("assessment", false).unwrap().is_some());
}
