//! The user directory, the last-admin rule and the audit search.

use super::{by_action, by_user, change, empty_year, minted};

use crate::admin::{AuditQuery, UserChange, UserQuery};
use crate::conformance::{at, user, City};
use crate::{AuditRecord, SessionRecord, Store, StoreError};
use chrono::Duration;
use minsheng_domain::config::ConfigSnapshot;
use minsheng_domain::ids::UserId;
use minsheng_domain::role::Role;
use std::sync::Barrier;
use std::time::Duration as StdDuration;

pub(crate) fn create(store: &dyn Store, u: &crate::UserRecord, by: UserId) {
    store
        .insert_user_audited(
            u,
            &change(
                u.created_at,
                by,
                "createUser",
                &format!("user/{}", u.username),
            ),
        )
        .unwrap();
}

pub fn the_user_directory_filters_and_pages(store: &dyn Store) {
    let city = City::new();
    city.install(store);
    let boss = minted(at(2026, 1, 1, 0, 0));
    let mut li = user("li.si", Role::Officer, &city.station_a);
    li.display_name = "李四".into();
    let mut wang = user("wang5", Role::Officer, &city.station_a);
    wang.active = false;
    let users = [
        user("admin1", Role::Admin, &city.city),
        li,
        wang,
        user("zhao6", Role::Clerk, &city.station_b),
        user("qian7", Role::Officer, &city.station_b),
    ];
    for u in &users {
        create(store, u, boss);
    }
    let v = store.config_version().unwrap();
    let err = store
        .insert_user_audited(
            &user("zhao6", Role::Officer, &city.station_a),
            &change(at(2026, 1, 2, 0, 0), boss, "createUser", "user/zhao6"),
        )
        .unwrap_err();
    assert_eq!(err.code(), "ALREADY_EXISTS", "{err:?}");
    assert_eq!(
        store.count_audit(&by_action("createUser")).unwrap(),
        5,
        "a refused account writes no audit record"
    );
    assert_eq!(store.config_version().unwrap(), v);

    let names = |q: &UserQuery| -> (Vec<String>, u64, Option<String>) {
        let p = store.search_users(q).unwrap();
        (
            p.items.into_iter().map(|u| u.username).collect(),
            p.total,
            p.next,
        )
    };
    let all = UserQuery {
        limit: 50,
        ..UserQuery::default()
    };
    let (got, total, next) = names(&all);
    assert_eq!(got, ["admin1", "li.si", "qian7", "wang5", "zhao6"]);
    assert_eq!((total, next), (5, None));
    let page = store.search_users(&all).unwrap();
    assert_eq!(
        page.items[1], users[1],
        "an account comes back field for field"
    );

    assert_eq!(
        names(&UserQuery {
            unit: Some(city.station_a.id),
            ..all.clone()
        }),
        (vec!["li.si".into(), "wang5".into()], 2, None)
    );
    assert_eq!(
        names(&UserQuery {
            role: Some(Role::Officer),
            ..all.clone()
        }),
        (
            vec!["li.si".into(), "qian7".into(), "wang5".into()],
            3,
            None
        )
    );
    assert_eq!(
        names(&UserQuery {
            active: Some(false),
            ..all.clone()
        }),
        (vec!["wang5".into()], 1, None)
    );
    assert_eq!(
        names(&UserQuery {
            text: Some("李".into()),
            ..all.clone()
        }),
        (vec!["li.si".into()], 1, None),
        "a substring of the display name"
    );
    assert_eq!(
        names(&UserQuery {
            text: Some("an".into()),
            ..all.clone()
        }),
        (vec!["qian7".into(), "wang5".into()], 2, None),
        "a substring of the username"
    );
    assert_eq!(
        names(&UserQuery {
            text: Some("_".into()),
            ..all.clone()
        }),
        (vec![], 0, None),
        "`_` is a character, not a wildcard"
    );
    assert_eq!(
        names(&UserQuery {
            role: Some(Role::Officer),
            active: Some(true),
            unit: Some(city.station_b.id),
            ..all.clone()
        }),
        (vec!["qian7".into()], 1, None),
        "filters combine"
    );

    // Pages of two, by username, each with the total of all pages.
    let mut q = UserQuery {
        limit: 2,
        ..UserQuery::default()
    };
    let (p1, t1, n1) = names(&q);
    assert_eq!((p1, t1), (vec!["admin1".into(), "li.si".into()], 5));
    assert_eq!(n1.as_deref(), Some("li.si"));
    q.after = n1;
    let (p2, t2, n2) = names(&q);
    assert_eq!((p2, t2), (vec!["qian7".into(), "wang5".into()], 5));
    assert_eq!(n2.as_deref(), Some("wang5"));
    q.after = n2;
    assert_eq!(names(&q), (vec!["zhao6".into()], 5, None), "the last page");
}

pub(crate) fn refuse_last_admin() -> StoreError {
    StoreError::Invalid {
        code: "LAST_ADMIN",
        message: "不能停用最后一个管理员".into(),
    }
}

pub fn a_user_change_sees_the_other_active_admins_and_is_audited(store: &dyn Store) {
    let city = City::new();
    city.install(store);
    let boss = minted(at(2026, 1, 1, 0, 0));
    let admin_a = user("admin-a", Role::Admin, &city.city);
    let admin_b = user("admin-b", Role::Admin, &city.city);
    let mut retired_admin = user("admin-old", Role::Admin, &city.city);
    retired_admin.active = false;
    let officer = user("officer", Role::Officer, &city.station_a);
    for u in [&admin_a, &admin_b, &retired_admin, &officer] {
        create(store, u, boss);
    }
    let now = at(2026, 3, 1, 8, 0);
    let session = SessionRecord {
        id: "s-officer".into(),
        user_id: officer.id,
        access_hash: "access-officer".into(),
        access_expires: now + Duration::minutes(15),
        refresh_hash: "refresh-officer".into(),
        refresh_expires: now + Duration::days(7),
        created_at: now,
        family: "fam-officer".into(),
        family_expires: now + Duration::days(30),
    };
    store.insert_session(&session).unwrap();

    // An officer moved: both active admins are "others"; the sessions end.
    let mut seen = None;
    let mut moved = officer.clone();
    moved.unit_id = city.station_b.id;
    moved.display_name = "调岗民警".into();
    let out = store
        .change_user(officer.id, &mut |cur, others| {
            seen = Some((cur.clone(), others));
            Ok(UserChange {
                user: moved.clone(),
                end_sessions: true,
                audit: change(now, admin_a.id, "updateUser", "user/officer"),
            })
        })
        .unwrap();
    assert_eq!(
        seen,
        Some((officer.clone(), 2)),
        "the account and the other active admins"
    );
    assert_eq!(out.as_ref(), Some(&moved));
    let found = store
        .search_users(&UserQuery {
            text: Some("officer".into()),
            limit: 10,
            ..UserQuery::default()
        })
        .unwrap();
    assert_eq!(found.items, vec![moved.clone()]);
    assert_eq!(
        store.session_by_access("access-officer").unwrap(),
        None,
        "its sessions ended"
    );
    assert_eq!(store.count_audit(&by_action("updateUser")).unwrap(), 1);

    // An admin deactivated while another one is active.
    let mut seen_others = None;
    let mut a_off = admin_a.clone();
    a_off.active = false;
    store
        .change_user(admin_a.id, &mut |_, others| {
            seen_others = Some(others);
            Ok(UserChange {
                user: a_off.clone(),
                end_sessions: true,
                audit: change(now, admin_b.id, "updateUser", "user/admin-a"),
            })
        })
        .unwrap();
    assert_eq!(seen_others, Some(1), "the inactive admin is not counted");

    // The last active admin: the closure refuses; nothing is written.
    let v = store.config_version().unwrap();
    let mut b_off = admin_b.clone();
    b_off.active = false;
    let err = store
        .change_user(admin_b.id, &mut |_, others| {
            if others == 0 {
                return Err(refuse_last_admin());
            }
            Ok(UserChange {
                user: b_off.clone(),
                end_sessions: true,
                audit: change(now, admin_b.id, "updateUser", "user/admin-b"),
            })
        })
        .unwrap_err();
    assert_eq!(err.code(), "LAST_ADMIN", "the closure's error comes back");
    let admins = store
        .search_users(&UserQuery {
            role: Some(Role::Admin),
            active: Some(true),
            limit: 10,
            ..UserQuery::default()
        })
        .unwrap();
    assert_eq!(admins.items, vec![admin_b.clone()], "nothing written");
    assert_eq!(store.count_audit(&by_action("updateUser")).unwrap(), 2);
    assert_eq!(store.config_version().unwrap(), v);

    let mut called = false;
    let none = store
        .change_user(minted(now), &mut |_, _| {
            called = true;
            Err(refuse_last_admin())
        })
        .unwrap();
    assert_eq!(none, None, "no such account");
    assert!(!called);
}

pub fn the_last_active_admin_survives_concurrent_changes(store: &dyn Store) {
    let city = City::new();
    city.install(store);
    let boss = minted(at(2026, 1, 1, 0, 0));
    let admin_a = user("admin-a", Role::Admin, &city.city);
    let admin_b = user("admin-b", Role::Admin, &city.city);
    create(store, &admin_a, boss);
    create(store, &admin_b, boss);
    let now = at(2026, 3, 1, 8, 0);

    // Each admin deactivates themself at the same time; the closure allows it only
    // while another admin is active, and dawdles so that both are inside at once
    // unless the store makes the second wait for the first.
    let start = Barrier::new(2);
    let outcomes: Vec<bool> = std::thread::scope(|scope| {
        let handles: Vec<_> = [&admin_a, &admin_b]
            .into_iter()
            .map(|u| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    let mut off = u.clone();
                    off.active = false;
                    let outcome = store.change_user(u.id, &mut |_, others| {
                        if others == 0 {
                            return Err(refuse_last_admin());
                        }
                        std::thread::sleep(StdDuration::from_millis(300));
                        Ok(UserChange {
                            user: off.clone(),
                            end_sessions: true,
                            audit: change(now, u.id, "updateUser", &u.username),
                        })
                    });
                    match outcome {
                        Ok(Some(_)) => true,
                        Err(e) if e.code() == "LAST_ADMIN" => false,
                        other => panic!("unexpected outcome: {other:?}"),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        outcomes.iter().filter(|ok| **ok).count(),
        1,
        "one deactivation passes, the other is refused: {outcomes:?}"
    );
    let admins = store
        .search_users(&UserQuery {
            role: Some(Role::Admin),
            active: Some(true),
            limit: 10,
            ..UserQuery::default()
        })
        .unwrap();
    assert_eq!(admins.total, 1, "one active admin is left");
}

pub fn the_audit_log_is_searched_by_user_action_target_and_time_in_pages(store: &dyn Store) {
    let city = City::new();
    city.install(store);
    let t0 = at(2026, 3, 1, 8, 0);
    let h = Duration::hours(1);
    let auditor = user("auditor", Role::Admin, &city.city);
    let stranger = minted(t0);
    let created = change(t0, auditor.id, "createUser", "user/auditor");
    store.insert_user_audited(&auditor, &created).unwrap();
    let cats = ConfigSnapshot::builtin().categories;
    let r1 = change(t0 + h, auditor.id, "updateCategories", "categories");
    let r2 = change(t0 + h * 2, stranger, "updateCategories", "categories");
    let r3 = change(t0 + h * 3, auditor.id, "updateCalendar", "calendar/2041");
    let r4 = change(t0 + h * 4, auditor.id, "updateCategories", "categories");
    let r5 = change(t0 + h * 5, stranger, "updateCalendar", "calendar/2042");
    store.put_categories(&cats, &r1).unwrap();
    store.put_categories(&cats, &r2).unwrap();
    store.put_holiday_year(&empty_year(2041), &r3).unwrap();
    store.put_categories(&cats, &r4).unwrap();
    store.put_holiday_year(&empty_year(2042), &r5).unwrap();

    let records = |q: &AuditQuery| -> Vec<AuditRecord> {
        store
            .search_audit(q)
            .unwrap()
            .items
            .into_iter()
            .map(|r| r.record)
            .collect()
    };
    let mine = store.search_audit(&by_user(auditor.id)).unwrap();
    assert_eq!(
        mine.items
            .iter()
            .map(|r| r.record.clone())
            .collect::<Vec<_>>(),
        vec![r4.clone(), r3.clone(), r1.clone(), created.clone()],
        "by user, newest first"
    );
    assert_eq!(mine.next, None);
    for row in &mine.items {
        assert_eq!(row.username.as_deref(), Some("auditor"));
        assert_eq!(
            row.display_name.as_deref(),
            Some(auditor.display_name.as_str())
        );
    }
    let theirs = store.search_audit(&by_user(stranger)).unwrap();
    assert_eq!(theirs.items.len(), 2);
    assert!(
        theirs
            .items
            .iter()
            .all(|r| r.username.is_none() && r.display_name.is_none()),
        "an actor that is no stored account has no name"
    );

    assert_eq!(
        records(&by_action("updateCalendar")),
        vec![r5.clone(), r3.clone()]
    );
    assert_eq!(
        records(&AuditQuery {
            action: Some("updateCategories".into()),
            user: Some(stranger),
            limit: 10,
            ..AuditQuery::default()
        }),
        vec![r2.clone()],
        "filters combine"
    );
    assert_eq!(
        records(&AuditQuery {
            target: Some("2041".into()),
            limit: 10,
            ..AuditQuery::default()
        }),
        vec![r3.clone()],
        "a substring of the target"
    );
    assert_eq!(
        records(&AuditQuery {
            target: Some("%".into()),
            limit: 10,
            ..AuditQuery::default()
        }),
        vec![],
        "`%` is a character, not a wildcard"
    );
    let window = AuditQuery {
        from: Some(t0 + h * 2),
        to: Some(t0 + h * 4),
        limit: 10,
        ..AuditQuery::default()
    };
    assert_eq!(
        records(&window),
        vec![r3.clone(), r2.clone()],
        "at or after `from`, before `to`"
    );
    assert_eq!(store.count_audit(&window).unwrap(), 2);

    // Keyset pages of two.
    let mut q = AuditQuery {
        user: Some(auditor.id),
        limit: 2,
        ..AuditQuery::default()
    };
    let p1 = store.search_audit(&q).unwrap();
    assert_eq!(
        p1.items
            .iter()
            .map(|r| r.record.clone())
            .collect::<Vec<_>>(),
        vec![r4.clone(), r3.clone()]
    );
    assert_eq!(p1.next, Some(p1.items[1].id));
    assert!(p1.items[0].id > p1.items[1].id);
    q.before = p1.next;
    let p2 = store.search_audit(&q).unwrap();
    assert_eq!(
        p2.items
            .iter()
            .map(|r| r.record.clone())
            .collect::<Vec<_>>(),
        vec![r1.clone(), created.clone()]
    );
    assert_eq!(p2.next, None, "the last page");
    assert!(p2.items[0].id < p1.items[1].id);
    assert_eq!(
        store.count_audit(&q).unwrap(),
        4,
        "the count ignores the cursor and the limit"
    );
}
