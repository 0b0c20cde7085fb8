//! The configuration: defaults, versions, calendar years, categories (and the shared audit helpers).

use crate::admin::AuditQuery;
use crate::conformance::at;
use crate::{AuditRecord, Store};
use chrono::{DateTime, Duration, Utc};
use minsheng_domain::calendar::HolidayYear;
use minsheng_domain::config::{CategoryEntry, ConfigSnapshot};
use minsheng_domain::ids::UserId;

pub(crate) fn minted(t: DateTime<Utc>) -> UserId {
    UserId::mint(t)
}

pub(crate) fn change(at: DateTime<Utc>, by: UserId, action: &str, target: &str) -> AuditRecord {
    AuditRecord::change(
        at,
        by,
        action,
        target,
        &serde_json::json!({ "before": null, "after": target }),
    )
}

pub(crate) fn by_user(u: UserId) -> AuditQuery {
    AuditQuery {
        user: Some(u),
        limit: 100,
        ..AuditQuery::default()
    }
}

pub(crate) fn by_action(a: &str) -> AuditQuery {
    AuditQuery {
        action: Some(a.into()),
        limit: 100,
        ..AuditQuery::default()
    }
}

pub(crate) fn empty_year(year: i32) -> HolidayYear {
    HolidayYear {
        year,
        source: format!("测试 {year}"),
        holidays: Vec::new(),
        makeup_workdays: Vec::new(),
    }
}

pub(crate) fn sorted_years(mut v: Vec<HolidayYear>) -> Vec<HolidayYear> {
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
