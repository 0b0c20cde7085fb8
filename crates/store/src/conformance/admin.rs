//! Contract checks of the user directory, the audit search, config, knowledge base and bulk imports (`AdminStore`, `ConfigStore`, `KnowledgeStore`, `BulkImportStore`).

use std::sync::Barrier;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::calendar::HolidayYear;
use minsheng_domain::config::{CategoryEntry, ConfigSnapshot};
use minsheng_domain::ids::UserId;
use minsheng_domain::role::Role;

use super::{actor, at, new_case, user, City};
use crate::admin::{AuditQuery, DeadLetterFate, TemplateSave, UserChange, UserQuery};
use crate::bulk::ImportStart;
use crate::knowledge::{KnowledgeQuery, StandardReply, StandardReplyEdit};
use crate::notify::{NewSms, OutboxStatus, SendResult, SmsTemplate};
use crate::{AuditRecord, DispatchFeedback, FeedbackCounts, SessionRecord, Store, StoreError};

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! admin_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            a_fresh_configuration_holds_the_builtin_defaults,
            each_config_change_bumps_the_version_by_one_and_is_audited,
            a_holiday_year_is_replaced_not_added,
            categories_round_trip_in_their_order,
            a_standard_reply_edit_on_a_stale_version_is_refused,
            standard_replies_are_listed_filtered_reviewed_and_retired,
            the_user_directory_filters_and_pages,
            a_user_change_sees_the_other_active_admins_and_is_audited,
            the_last_active_admin_survives_concurrent_changes,
            the_audit_log_is_searched_by_user_action_target_and_time_in_pages,
            an_sms_template_is_saved_with_its_audit,
            a_dead_letter_is_retried_or_discarded_with_its_audit,
            dispatch_feedback_is_counted_in_buckets,
            a_bulk_import_retried_with_the_same_key_answers_the_first_answer,
            a_bulk_import_retry_stores_only_the_rows_not_stored_yet,
            concurrent_config_changes_get_consecutive_versions,
            concurrent_edits_of_a_standard_reply_let_one_win,
            concurrent_attempts_of_a_bulk_import_agree,
        );
    };
}

fn minted(t: DateTime<Utc>) -> UserId {
    UserId::mint(t)
}

fn change(at: DateTime<Utc>, by: UserId, action: &str, target: &str) -> AuditRecord {
    AuditRecord::change(
        at,
        by,
        action,
        target,
        &serde_json::json!({ "before": null, "after": target }),
    )
}

fn by_user(u: UserId) -> AuditQuery {
    AuditQuery {
        user: Some(u),
        limit: 100,
        ..AuditQuery::default()
    }
}

fn by_action(a: &str) -> AuditQuery {
    AuditQuery {
        action: Some(a.into()),
        limit: 100,
        ..AuditQuery::default()
    }
}

fn empty_year(year: i32) -> HolidayYear {
    HolidayYear {
        year,
        source: format!("测试 {year}"),
        holidays: Vec::new(),
        makeup_workdays: Vec::new(),
    }
}

fn sorted_years(mut v: Vec<HolidayYear>) -> Vec<HolidayYear> {
    v.sort_by_key(|y| y.year);
    v
}

pub fn a_fresh_configuration_holds_the_builtin_defaults(store: &dyn Store) {
    let snap = store.config_snapshot().unwrap();
    let builtin = ConfigSnapshot::builtin();
    assert!(
        snap.version > 0,
        "the shipped defaults are a configuration a client (at 0) must fetch: {}",
        snap.version
    );
    assert_eq!(store.config_version().unwrap(), snap.version);
    assert_eq!(
        sorted_years(snap.holiday_years),
        sorted_years(builtin.holiday_years),
        "the shipped calendars"
    );
    assert_eq!(snap.sla, builtin.sla, "SPEC §4's rules, oldest first");
    assert_eq!(
        snap.categories, builtin.categories,
        "the default categories"
    );
}

pub fn each_config_change_bumps_the_version_by_one_and_is_audited(store: &dyn Store) {
    let admin = minted(at(2026, 1, 1, 0, 0));
    let v0 = store.config_version().unwrap();
    let t = at(2026, 3, 1, 8, 0);

    let year = empty_year(2040);
    let v1 = store
        .put_holiday_year(&year, &change(t, admin, "updateCalendar", "calendar/2040"))
        .unwrap();
    assert_eq!(v1, v0 + 1);
    assert_eq!(store.config_version().unwrap(), v1);

    let mut cats = ConfigSnapshot::builtin().categories;
    cats.push(CategoryEntry::active("测试类别"));
    let v2 = store
        .put_categories(
            &cats,
            &change(
                t + Duration::minutes(1),
                admin,
                "updateCategories",
                "categories",
            ),
        )
        .unwrap();
    assert_eq!(v2, v1 + 1);
    assert_eq!(store.config_version().unwrap(), v2);

    let before = store.config_snapshot().unwrap();
    let last = before.sla.last().expect("an SLA edition").clone();
    let mut rules = last.rules.clone();
    rules.warn_percent += 5;
    let from = at(2026, 4, 1, 0, 0);
    let sla = store
        .add_sla_version(
            &rules,
            from,
            &change(t + Duration::minutes(2), admin, "addSlaVersion", "sla"),
        )
        .unwrap();
    assert_eq!(
        sla.version,
        last.version + 1,
        "editions are numbered in order"
    );
    assert_eq!(sla.effective_from, from);
    assert_eq!(sla.rules, rules);

    let snap = store.config_snapshot().unwrap();
    assert_eq!(
        snap.version,
        v2 + 1,
        "the SLA edition bumped the version too"
    );
    assert_eq!(store.config_version().unwrap(), snap.version);
    assert!(snap.holiday_years.contains(&year));
    assert_eq!(snap.categories, cats);
    assert_eq!(snap.sla.len(), before.sla.len() + 1);
    assert_eq!(
        snap.sla.last(),
        Some(&sla),
        "oldest first: the new one last"
    );

    let page = store.search_audit(&by_user(admin)).unwrap();
    let actions: Vec<&str> = page
        .items
        .iter()
        .map(|r| r.record.action.as_str())
        .collect();
    assert_eq!(
        actions,
        vec!["addSlaVersion", "updateCategories", "updateCalendar"],
        "each change wrote its audit record (newest first)"
    );
    assert_eq!(
        page.items[2].record,
        change(t, admin, "updateCalendar", "calendar/2040")
    );
}

pub fn a_holiday_year_is_replaced_not_added(store: &dyn Store) {
    let admin = minted(at(2026, 1, 1, 0, 0));
    let before = store.config_snapshot().unwrap();
    let t = at(2026, 3, 1, 8, 0);
    store
        .put_holiday_year(
            &empty_year(2041),
            &change(t, admin, "updateCalendar", "calendar/2041"),
        )
        .unwrap();
    let mut replaced = empty_year(2041);
    replaced.source = "国务院办公厅通知（修订）".into();
    let v = store
        .put_holiday_year(
            &replaced,
            &change(t, admin, "updateCalendar", "calendar/2041"),
        )
        .unwrap();
    let snap = store.config_snapshot().unwrap();
    assert_eq!(snap.version, v);
    let of_year: Vec<&HolidayYear> = snap
        .holiday_years
        .iter()
        .filter(|y| y.year == 2041)
        .collect();
    assert_eq!(
        of_year,
        vec![&replaced],
        "one schedule per year, the new one"
    );
    assert_eq!(snap.holiday_years.len(), before.holiday_years.len() + 1);

    // A shipped year is replaced the same way.
    if let Some(shipped) = before.holiday_years.first() {
        let mut y = shipped.clone();
        y.source = "改".into();
        store
            .put_holiday_year(&y, &change(t, admin, "updateCalendar", "calendar"))
            .unwrap();
        let snap = store.config_snapshot().unwrap();
        let of_year: Vec<&HolidayYear> = snap
            .holiday_years
            .iter()
            .filter(|h| h.year == y.year)
            .collect();
        assert_eq!(of_year, vec![&y]);
        assert_eq!(snap.holiday_years.len(), before.holiday_years.len() + 1);
    }
}

pub fn categories_round_trip_in_their_order(store: &dyn Store) {
    let admin = minted(at(2026, 1, 1, 0, 0));
    let t = at(2026, 3, 1, 8, 0);
    let list = vec![
        CategoryEntry::active("治安管理"),
        CategoryEntry {
            name: "交通".into(),
            retired: true,
            renamed_to: Some("道路交通".into()),
        },
        CategoryEntry::active("道路交通"),
        CategoryEntry {
            name: "户政".into(),
            retired: true,
            renamed_to: None,
        },
        CategoryEntry::active("Alpha"),
    ];
    let v = store
        .put_categories(&list, &change(t, admin, "updateCategories", "categories"))
        .unwrap();
    let snap = store.config_snapshot().unwrap();
    assert_eq!(snap.version, v);
    assert_eq!(
        snap.categories, list,
        "in their order, retired ones included"
    );

    let mut reordered = list.clone();
    reordered.reverse();
    store
        .put_categories(
            &reordered,
            &change(t, admin, "updateCategories", "categories"),
        )
        .unwrap();
    assert_eq!(
        store.config_snapshot().unwrap().categories,
        reordered,
        "the list is replaced"
    );
}

fn reply(id: &str, category: &str, title: &str, body: &str) -> StandardReply {
    StandardReply {
        id: id.into(),
        category: category.into(),
        title: title.into(),
        body: body.into(),
        version: 1,
        reviewed_at: None,
        updated_by: None,
        updated_at: at(2026, 2, 1, 8, 0),
        retired: false,
    }
}

pub fn a_standard_reply_edit_on_a_stale_version_is_refused(store: &dyn Store) {
    let first = reply("kb-1", "噪音扰民", "A 夜间施工", "已责令停工。");
    store.insert_standard_reply(&first).unwrap();
    assert_eq!(store.standard_reply("kb-1").unwrap().as_ref(), Some(&first));
    assert!(store.standard_reply_versions("kb-1").unwrap().is_empty());

    let edit = StandardReplyEdit {
        category: "噪音扰民".into(),
        title: "A 夜间施工噪音".into(),
        body: "已责令停工并告知投诉人。".into(),
        updated_by: Some("editor-1".into()),
        updated_at: at(2026, 2, 2, 8, 0),
    };
    let second = store.update_standard_reply("kb-1", 1, &edit).unwrap();
    assert_eq!(second.version, 2);
    assert_eq!(second.title, edit.title);
    assert_eq!(second.body, edit.body);
    assert_eq!(second.updated_by, edit.updated_by);
    assert_eq!(second.updated_at, edit.updated_at);
    assert_eq!(
        store.standard_reply("kb-1").unwrap().as_ref(),
        Some(&second)
    );

    let stale = StandardReplyEdit {
        title: "基于旧版本的修改".into(),
        updated_at: at(2026, 2, 3, 8, 0),
        ..edit.clone()
    };
    let err = store.update_standard_reply("kb-1", 1, &stale).unwrap_err();
    assert!(
        matches!(err, StoreError::StaleVersion { current: 2 }),
        "refused with the current version: {err:?}"
    );
    assert_eq!(
        store.standard_reply("kb-1").unwrap().as_ref(),
        Some(&second),
        "a refused edit writes nothing"
    );

    let third_edit = StandardReplyEdit {
        category: "施工噪音".into(),
        body: "第三版。".into(),
        updated_by: Some("editor-2".into()),
        updated_at: at(2026, 2, 4, 8, 0),
        ..edit.clone()
    };
    let third = store.update_standard_reply("kb-1", 2, &third_edit).unwrap();
    assert_eq!(third.version, 3);
    assert_eq!(third.category, "施工噪音");

    let versions = store.standard_reply_versions("kb-1").unwrap();
    let listed: Vec<_> = versions
        .iter()
        .map(|v| {
            assert_eq!(v.id, "kb-1");
            (
                v.version,
                v.title.as_str(),
                v.body.as_str(),
                v.updated_by.as_deref(),
                v.updated_at,
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (1, "A 夜间施工", "已责令停工。", None, first.updated_at),
            (
                2,
                "A 夜间施工噪音",
                "已责令停工并告知投诉人。",
                Some("editor-1"),
                edit.updated_at
            ),
        ],
        "every replaced version, oldest first"
    );

    let err = store.update_standard_reply("kb-x", 1, &edit).unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND", "{err:?}");
}

pub fn standard_replies_are_listed_filtered_reviewed_and_retired(store: &dyn Store) {
    let rows = [
        reply("r1", "B 交通", "B 违停", "已通知交警。"),
        reply("r2", "A 噪音", "B 广场舞", "已协调音量。"),
        reply("r3", "A 噪音", "A 夜间施工", "已责令停工，100% 处理。"),
        reply("r4", "B 交通", "A 拥堵", "已增派警力。"),
    ];
    for r in &rows {
        store.insert_standard_reply(r).unwrap();
    }
    let err = store.insert_standard_reply(&rows[0]).unwrap_err();
    assert_eq!(err.code(), "ALREADY_EXISTS", "{err:?}");

    let ids = |q: &KnowledgeQuery| -> Vec<String> {
        store
            .list_standard_replies(q)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    let all = KnowledgeQuery {
        limit: 50,
        ..KnowledgeQuery::default()
    };
    assert_eq!(
        ids(&all),
        ["r3", "r2", "r4", "r1"],
        "by category then title"
    );
    assert_eq!(
        ids(&KnowledgeQuery {
            category: Some("B 交通".into()),
            ..all.clone()
        }),
        ["r4", "r1"]
    );
    assert_eq!(
        ids(&KnowledgeQuery {
            text: Some("停".into()),
            ..all.clone()
        }),
        ["r3", "r1"],
        "a substring of title or body"
    );
    assert_eq!(
        ids(&KnowledgeQuery {
            text: Some("%".into()),
            ..all.clone()
        }),
        ["r3"],
        "`%` is a character, not a wildcard"
    );
    assert_eq!(
        ids(&KnowledgeQuery {
            text: Some("_".into()),
            ..all.clone()
        }),
        Vec::<String>::new(),
        "`_` is a character, not a wildcard"
    );
    assert_eq!(
        ids(&KnowledgeQuery {
            limit: 2,
            ..all.clone()
        }),
        ["r3", "r2"]
    );

    let seen = at(2026, 3, 1, 9, 0);
    let reviewed = store
        .mark_standard_reply_reviewed("r2", seen)
        .unwrap()
        .unwrap();
    assert_eq!(reviewed.reviewed_at, Some(seen));
    assert_eq!(reviewed.version, 1, "reviewing keeps the text and version");
    assert_eq!(reviewed.title, rows[1].title);
    assert_eq!(
        store.mark_standard_reply_reviewed("nope", seen).unwrap(),
        None
    );

    let gone = at(2026, 3, 2, 9, 0);
    let retired = store
        .retire_standard_reply("r3", Some("admin-1"), gone)
        .unwrap()
        .unwrap();
    assert!(retired.retired);
    assert_eq!(retired.updated_by.as_deref(), Some("admin-1"));
    assert_eq!(retired.updated_at, gone);
    assert_eq!(
        store.retire_standard_reply("nope", None, gone).unwrap(),
        None
    );
    assert_eq!(ids(&all), ["r2", "r4", "r1"], "retired ones are not listed");
    assert_eq!(
        ids(&KnowledgeQuery {
            include_retired: true,
            ..all.clone()
        }),
        ["r3", "r2", "r4", "r1"],
        "unless asked for"
    );
    assert_eq!(store.standard_reply("r3").unwrap().as_ref(), Some(&retired));
}

fn create(store: &dyn Store, u: &crate::UserRecord, by: UserId) {
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

fn refuse_last_admin() -> StoreError {
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

fn template(name: &str, body: &str, at: DateTime<Utc>) -> SmsTemplate {
    SmsTemplate {
        code: "followUp".into(),
        name: name.into(),
        body: body.into(),
        provider_template_id: Some("SMS_1".into()),
        updated_at: at,
    }
}

pub fn an_sms_template_is_saved_with_its_audit(store: &dyn Store) {
    let admin = minted(at(2026, 1, 1, 0, 0));
    let t = at(2026, 3, 1, 8, 0);
    let first = template("回访", "您好，{caseNumber} 已办结。", t);
    let mut seen: Vec<Option<SmsTemplate>> = Vec::new();
    let saved = store
        .save_sms_template("followUp", &mut |old| {
            seen.push(old.cloned());
            Ok(TemplateSave {
                template: first.clone(),
                audit: change(t, admin, "updateSmsTemplate", "followUp"),
            })
        })
        .unwrap();
    assert_eq!(saved, first);
    let second = template(
        "回访",
        "您好，{caseNumber} 已办结，请回复 1-3。",
        t + Duration::hours(1),
    );
    store
        .save_sms_template("followUp", &mut |old| {
            seen.push(old.cloned());
            Ok(TemplateSave {
                template: second.clone(),
                audit: change(t, admin, "updateSmsTemplate", "followUp"),
            })
        })
        .unwrap();
    assert_eq!(
        seen,
        vec![None, Some(first.clone())],
        "the closure sees the stored one"
    );
    assert_eq!(
        store.count_audit(&by_action("updateSmsTemplate")).unwrap(),
        2
    );

    let err = store
        .save_sms_template("followUp", &mut |old| {
            seen.push(old.cloned());
            Err(StoreError::Invalid {
                code: "TEMPLATE_INVALID",
                message: "模板无效".into(),
            })
        })
        .unwrap_err();
    assert_eq!(err.code(), "TEMPLATE_INVALID");
    assert_eq!(seen.last(), Some(&Some(second.clone())));
    assert_eq!(
        store.count_audit(&by_action("updateSmsTemplate")).unwrap(),
        2,
        "a refused save writes nothing"
    );
    store
        .save_sms_template("followUp", &mut |old| {
            assert_eq!(old, Some(&second), "the refused save changed nothing");
            Ok(TemplateSave {
                template: second.clone(),
                audit: change(t, admin, "updateSmsTemplate", "followUp"),
            })
        })
        .unwrap();
}

pub fn a_dead_letter_is_retried_or_discarded_with_its_audit(store: &dyn Store) {
    let admin = minted(at(2026, 1, 1, 0, 0));
    let t = at(2026, 3, 1, 8, 0);
    for key in ["dl-1", "dl-2", "live"] {
        let sms = NewSms {
            event_key: key.into(),
            phone: "13912345678".into(),
            template: "followUp".into(),
            provider_template_id: None,
            params: serde_json::json!({ "key": key }),
            body: format!("短信 {key}"),
        };
        assert!(store.enqueue_sms(&sms, t).unwrap());
    }
    let claimed = store.claim_due_sms(t, 60, 10).unwrap();
    assert_eq!(claimed.len(), 3);
    let id_of = |key: &str| {
        claimed
            .iter()
            .find(|m| m.event_key == key)
            .map(|m| m.id.clone())
            .unwrap()
    };
    for key in ["dl-1", "dl-2"] {
        store
            .finish_sms(
                &id_of(key),
                &SendResult::Failed {
                    error: "号码停机".into(),
                    retry_at: t,
                    dead: true,
                },
                t,
            )
            .unwrap();
    }
    let audit = |what: &str| change(t, admin, "settleDeadLetter", what);

    assert_eq!(
        store
            .settle_dead_letter(&id_of("live"), &DeadLetterFate::Retry, &audit("live"), t)
            .unwrap(),
        None,
        "not a dead letter"
    );
    assert_eq!(
        store
            .settle_dead_letter("nope", &DeadLetterFate::Retry, &audit("nope"), t)
            .unwrap(),
        None
    );
    assert_eq!(
        store.count_audit(&by_action("settleDeadLetter")).unwrap(),
        0
    );

    let discard = DeadLetterFate::Discard {
        reason: "号码已注销".into(),
    };
    let gone = store
        .settle_dead_letter(&id_of("dl-1"), &discard, &audit("dl-1"), t)
        .unwrap()
        .unwrap();
    assert_eq!(gone.status, OutboxStatus::Discarded);
    assert_eq!(gone.discard_reason.as_deref(), Some("号码已注销"));
    assert_eq!(
        store
            .settle_dead_letter(&id_of("dl-1"), &DeadLetterFate::Retry, &audit("dl-1"), t)
            .unwrap(),
        None,
        "settled once"
    );

    let later = t + Duration::hours(2);
    let back = store
        .settle_dead_letter(
            &id_of("dl-2"),
            &DeadLetterFate::Retry,
            &audit("dl-2"),
            later,
        )
        .unwrap()
        .unwrap();
    assert_eq!(back.status, OutboxStatus::Pending);
    assert_eq!(back.attempts, 0, "attempts reset");
    assert_eq!(back.next_attempt_at, later);
    assert_eq!(back.discard_reason, None);
    assert_eq!(back.event_key, "dl-2");
    assert_eq!(
        store.count_audit(&by_action("settleDeadLetter")).unwrap(),
        2
    );
}

pub fn dispatch_feedback_is_counted_in_buckets(store: &dyn Store) {
    let city = City::new();
    let clerk = actor(Role::Clerk, &city.city);
    let origin = at(2026, 3, 2, 0, 0);
    let day = Duration::days(1);
    let fb = |at: DateTime<Utc>, cat: bool, unit: bool, rt: Option<&str>| {
        let (c, _) = new_case(&clerk, at, "反馈", "内容");
        DispatchFeedback {
            case_id: c.id,
            at,
            action: "dispatch".into(),
            suggested_category: Some(if cat { "治安" } else { "交通" }.into()),
            chosen_category: "治安".into(),
            suggested_unit: Some(if unit {
                city.station_a.id
            } else {
                city.station_b.id
            }),
            chosen_unit: city.station_a.id,
            suggested_request_type: rt.map(str::to_owned),
            chosen_request_type: "complaint".into(),
            model_version: Some(3),
        }
    };
    for f in [
        fb(origin - Duration::hours(1), true, true, Some("complaint")),
        fb(origin, true, true, Some("complaint")),
        fb(origin + Duration::hours(5), false, true, Some("report")),
        fb(origin + day + Duration::hours(1), true, false, None),
        fb(
            origin + day * 3 + Duration::hours(23),
            false,
            false,
            Some("complaint"),
        ),
    ] {
        store.record_dispatch_feedback(&f).unwrap();
    }
    let counts = |d: u64, c: u64, u: u64, r: u64| FeedbackCounts {
        dispatches: d,
        category_matched: c,
        unit_matched: u,
        request_type_matched: r,
    };
    assert_eq!(
        store
            .dispatch_feedback_buckets(origin, day.num_milliseconds())
            .unwrap(),
        vec![
            (0, counts(2, 1, 2, 1)),
            (1, counts(1, 1, 0, 0)),
            (3, counts(1, 0, 0, 1)),
        ],
        "rows from `origin` on, in buckets of the width; empty buckets left out"
    );
}

pub fn a_bulk_import_retried_with_the_same_key_answers_the_first_answer(store: &dyn Store) {
    let me = minted(at(2026, 1, 1, 0, 0));
    let other = minted(at(2026, 1, 1, 0, 1));
    let t = at(2026, 3, 1, 8, 0);
    assert!(matches!(
        store.begin_bulk_import(me, "k1", "hash-a", t).unwrap(),
        ImportStart::Open(rows) if rows.is_empty()
    ));
    assert!(
        matches!(
            store.begin_bulk_import(me, "k1", "hash-a", t).unwrap(),
            ImportStart::Open(rows) if rows.is_empty()
        ),
        "not answered yet: open again"
    );
    assert!(
        matches!(
            store.begin_bulk_import(me, "k1", "hash-b", t).unwrap(),
            ImportStart::Mismatch
        ),
        "the key names another request"
    );
    let first = serde_json::json!({ "stored": 3, "failed": [] });
    let second = serde_json::json!({ "stored": 0, "failed": [1] });
    assert_eq!(store.finish_bulk_import(me, "k1", &first).unwrap(), first);
    assert_eq!(
        store.finish_bulk_import(me, "k1", &second).unwrap(),
        first,
        "the first answer stays"
    );
    match store.begin_bulk_import(me, "k1", "hash-a", t).unwrap() {
        ImportStart::Done(answer) => assert_eq!(answer, first),
        other => panic!("a retry gets the first answer: {other:?}"),
    }
    assert!(matches!(
        store.begin_bulk_import(me, "k1", "hash-b", t).unwrap(),
        ImportStart::Mismatch
    ));
    assert!(
        matches!(
            store.begin_bulk_import(other, "k1", "hash-b", t).unwrap(),
            ImportStart::Open(rows) if rows.is_empty()
        ),
        "keys are per user"
    );
}

pub fn a_bulk_import_retry_stores_only_the_rows_not_stored_yet(store: &dyn Store) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let t = at(2026, 3, 1, 8, 0);
    let me = clerk.user_id;
    assert!(matches!(
        store.begin_bulk_import(me, "k1", "hash", t).unwrap(),
        ImportStart::Open(rows) if rows.is_empty()
    ));
    let (c0, e0) = new_case(&clerk, t, "第一行", "内容一");
    let (c2, e2) = new_case(&clerk, t, "第三行", "内容三");
    let stored = store
        .insert_import_cases(&org, me, "k1", vec![(0, c0, e0), (2, c2, e2)])
        .unwrap();
    assert_eq!(stored.iter().map(|(r, _)| *r).collect::<Vec<_>>(), [0, 2]);
    let (s0, s2) = (stored[0].1.clone(), stored[1].1.clone());
    assert!(s0.number.is_some(), "stored as `insert_cases` stores");

    // The first attempt failed after rows 0 and 2: a retry finds them.
    match store.begin_bulk_import(me, "k1", "hash", t).unwrap() {
        ImportStart::Open(rows) => assert_eq!(rows, vec![(0, s0.clone()), (2, s2.clone())]),
        other => panic!("open with the stored rows: {other:?}"),
    }
    // Row 0 again (the retry's own copy) is not stored twice; row 1 is new.
    let (again, e_again) = new_case(&clerk, t + Duration::minutes(1), "第一行", "内容一");
    let (c1, e1) = new_case(&clerk, t + Duration::minutes(1), "第二行", "内容二");
    let c1_id = c1.id;
    let again_id = again.id;
    let out = store
        .insert_import_cases(&org, me, "k1", vec![(0, again, e_again), (1, c1, e1)])
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0], (0, s0.clone()), "the case stored the first time");
    assert_eq!(out[1].0, 1);
    assert_eq!(out[1].1.id, c1_id);
    assert_eq!(
        store.case(again_id).unwrap(),
        None,
        "no second case for row 0"
    );
    assert_eq!(store.case(c1_id).unwrap().as_ref(), Some(&out[1].1));

    let answer = serde_json::json!({ "stored": 3 });
    assert_eq!(store.finish_bulk_import(me, "k1", &answer).unwrap(), answer);
    match store.begin_bulk_import(me, "k1", "hash", t).unwrap() {
        ImportStart::Done(a) => assert_eq!(a, answer),
        other => panic!("answered: {other:?}"),
    }
}

/// Runs `f(i)` on `n` threads started together; their results in thread order.
fn together<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let start = Barrier::new(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (start, f) = (&start, &f);
                scope.spawn(move || {
                    start.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

pub fn concurrent_config_changes_get_consecutive_versions(store: &dyn Store) {
    let admin = minted(at(2026, 1, 1, 0, 0));
    let v0 = store.config_version().unwrap();
    let sla0 = store.config_snapshot().unwrap().sla.len();
    let t = at(2026, 3, 1, 8, 0);
    let n = 9;
    let results = together(n, |i| {
        let audit = change(t, admin, "concurrentChange", &format!("change/{i}"));
        match i % 3 {
            0 => {
                let mut cats = ConfigSnapshot::builtin().categories;
                cats.push(CategoryEntry::active(&format!("类别{i}")));
                store.put_categories(&cats, &audit).map(|v| (v, None))
            }
            1 => store
                .put_holiday_year(&empty_year(2050 + i as i32), &audit)
                .map(|v| (v, None)),
            _ => {
                let mut rules = ConfigSnapshot::builtin().sla[0].rules.clone();
                rules.warn_percent = 10 + i as i64;
                store
                    .add_sla_version(&rules, at(2027, 1, 1, 0, 0), &audit)
                    .map(|e| (0, Some(e.version)))
            }
        }
    });
    let mut editions = Vec::new();
    for r in results {
        let (_, edition) = r.expect("every change is stored");
        editions.extend(edition);
    }
    let snap = store.config_snapshot().unwrap();
    assert_eq!(snap.version, v0 + n as i64, "one version per change");
    editions.sort_unstable();
    editions.dedup();
    assert_eq!(editions.len(), 3, "each SLA edition has its own number");
    assert_eq!(snap.sla.len(), sla0 + 3);
    assert_eq!(
        store.count_audit(&by_action("concurrentChange")).unwrap(),
        n as u64
    );
    for i in (1..n).step_by(3) {
        assert!(snap.holiday_years.iter().any(|y| y.year == 2050 + i as i32));
    }
}

pub fn concurrent_edits_of_a_standard_reply_let_one_win(store: &dyn Store) {
    store
        .insert_standard_reply(&reply("kb-c", "噪音扰民", "原题", "原文"))
        .unwrap();
    let n = 6;
    let results = together(n, |i| {
        let edit = StandardReplyEdit {
            category: "噪音扰民".into(),
            title: format!("修改 {i}"),
            body: format!("正文 {i}"),
            updated_by: Some(format!("editor-{i}")),
            updated_at: at(2026, 3, 1, 8, 0),
        };
        store.update_standard_reply("kb-c", 1, &edit)
    });
    let mut won = Vec::new();
    for r in results {
        match r {
            Ok(w) => won.push(w),
            Err(StoreError::StaleVersion { current: 2 }) => {}
            Err(e) => panic!("a losing edit is StaleVersion, not {e:?}"),
        }
    }
    assert_eq!(won.len(), 1, "one edit based on version 1 wins");
    assert_eq!(won[0].version, 2);
    assert_eq!(
        store.standard_reply("kb-c").unwrap().as_ref(),
        Some(&won[0])
    );
    assert_eq!(store.standard_reply_versions("kb-c").unwrap().len(), 1);
}

pub fn concurrent_attempts_of_a_bulk_import_agree(store: &dyn Store) {
    let me = minted(at(2026, 1, 1, 0, 0));
    let t = at(2026, 3, 1, 8, 0);
    let n = 6;
    for start in together(n, |_| store.begin_bulk_import(me, "k", "hash", t)) {
        assert!(
            matches!(start, Ok(ImportStart::Open(ref rows)) if rows.is_empty()),
            "every attempt finds the key open: {start:?}"
        );
    }
    let answers = together(n, |i| {
        store.finish_bulk_import(me, "k", &serde_json::json!({ "attempt": i }))
    });
    let answers: Vec<serde_json::Value> = answers.into_iter().map(Result::unwrap).collect();
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "every attempt answers the one stored answer: {answers:?}"
    );
    match store.begin_bulk_import(me, "k", "hash", t).unwrap() {
        ImportStart::Done(a) => assert_eq!(a, answers[0]),
        other => panic!("answered: {other:?}"),
    }
}
