//! The storage contract as tests: every backend runs these against a fresh, empty
//! database (`conformance_tests!` in the backend's `tests/conformance.rs`), so the
//! SQLite and PostgreSQL backends are held to one behaviour. Expected values come from
//! the contract's documentation and the SPEC (case numbers per Beijing day, exactly-once
//! commands, change positions in commit order), never from a backend.

mod accountability;
mod admin;
mod assessment;
mod attachments;
mod cases;
mod notify;
mod ops;
mod releases;
mod sessions;
mod supervisors;
mod sync;

// The areas' checks are re-exported here as they are written (their macros name
// `$crate::conformance::<check>`).
pub use accountability::*;
pub use admin::*;
pub use assessment::*;
pub use attachments::*;
pub use cases::*;
pub use notify::*;
pub use ops::*;
pub use releases::*;
pub use sessions::*;
pub use supervisors::*;
pub use sync::*;

use chrono::{DateTime, TimeZone, Utc};
use minsheng_domain::case::{Case, CaseFlags, CaseState, Channel, RequestType, Urgency};
use minsheng_domain::ids::{EntryId, UnitId, UserId};
use minsheng_domain::org::{Jurisdiction, OrgTree, Unit, UnitKind, UnitLevel};
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::{intake, NewCase};

use crate::{Store, UserRecord};

/// Expands to one `#[test]` per contract check. `$open` is an expression that yields
/// `Option` of a value dereferencing to a fresh, empty store (it may hold a temp dir or
/// a schema that its `Drop` removes); `None` skips the check, which the backend's harness
/// only allows when told to explicitly (a skip is not a pass).
#[macro_export]
macro_rules! conformance_tests {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            units_round_trip,
            users_round_trip_and_unique_names,
            case_round_trip_with_its_timeline,
            case_numbers_count_per_beijing_day,
            a_taken_case_id_is_refused_and_nothing_is_written,
            an_update_bumps_the_version_and_appends_one_entry,
            a_stale_expected_version_is_a_conflict,
            a_refusal_inside_an_update_comes_back_unchanged_and_writes_nothing,
            lists_and_counts_follow_the_scope,
            text_search_matches_title_and_content,
            work_lists_agree_with_the_domain,
            sessions_rotate_once_then_are_retired,
            worker_locks_have_one_holder_at_a_time,
            login_reservations_respect_the_limits,
            audit_records_form_a_chain,
            the_change_log_hands_each_write_out_once_in_order,
            a_cursor_beyond_the_log_is_a_sync_reset,
            a_scope_sees_only_its_changes,
            commands_are_processed_exactly_once,
            a_failing_command_rolls_back_only_itself,
        );
        $crate::core_conformance!($open);
        $crate::notify_conformance!($open);
        $crate::assessment_conformance!($open);
        $crate::admin_conformance!($open);
        $crate::ops_conformance!($open);
        $crate::supervisors_conformance!($open);
        $crate::attachments_conformance!($open);
        $crate::accountability_conformance!($open);
        $crate::releases_conformance!($open);
    };
    (@each $open:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let Some(store) = $open else { return };
                $crate::conformance::$name(&*store);
            }
        )*
    };
}

/// A small city: the bureau, one branch with two stations, and a second branch with one.
pub struct City {
    pub city: Unit,
    pub branch: Unit,
    pub station_a: Unit,
    pub station_b: Unit,
    pub other_branch: Unit,
    pub other_station: Unit,
}

fn unit(code: &str, name: &str, level: UnitLevel, parent: Option<&Unit>, kind: UnitKind) -> Unit {
    Unit {
        id: UnitId::mint(at(2026, 1, 1, 0, 0)),
        code: code.into(),
        name: name.into(),
        level,
        parent: parent.map(|p| p.id),
        kind,
        police_line: None,
        jurisdiction: Jurisdiction::default(),
        active: true,
    }
}

impl City {
    pub fn new() -> Self {
        let city = unit(
            "370100",
            "济南市公安局",
            UnitLevel::City,
            None,
            UnitKind::CityBureau,
        );
        let branch = unit(
            "370102",
            "历下分局",
            UnitLevel::Branch,
            Some(&city),
            UnitKind::Branch,
        );
        let station_a = unit(
            "37010201",
            "甲派出所",
            UnitLevel::Station,
            Some(&branch),
            UnitKind::PoliceStation,
        );
        let station_b = unit(
            "37010202",
            "乙派出所",
            UnitLevel::Station,
            Some(&branch),
            UnitKind::PoliceStation,
        );
        let other_branch = unit(
            "370103",
            "市中分局",
            UnitLevel::Branch,
            Some(&city),
            UnitKind::Branch,
        );
        let other_station = unit(
            "37010301",
            "丙派出所",
            UnitLevel::Station,
            Some(&other_branch),
            UnitKind::PoliceStation,
        );
        Self {
            city,
            branch,
            station_a,
            station_b,
            other_branch,
            other_station,
        }
    }

    pub fn units(&self) -> Vec<Unit> {
        vec![
            self.city.clone(),
            self.branch.clone(),
            self.station_a.clone(),
            self.station_b.clone(),
            self.other_branch.clone(),
            self.other_station.clone(),
        ]
    }

    pub fn org(&self) -> OrgTree {
        OrgTree::new(self.units()).expect("the test city is a valid tree")
    }

    /// Stores the units and returns the tree.
    pub fn install(&self, store: &dyn Store) -> OrgTree {
        store.insert_units(&self.units()).expect("insert units");
        self.org()
    }
}

impl Default for City {
    fn default() -> Self {
        Self::new()
    }
}

/// A UTC instant.
pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid instant")
}

pub fn actor(role: Role, unit: &Unit) -> Actor {
    Actor {
        user_id: UserId::mint(at(2026, 1, 1, 0, 0)),
        name: format!("{}的{}", unit.name, role.label_zh()),
        role,
        unit_id: unit.id,
    }
}

pub fn user(username: &str, role: Role, unit: &Unit) -> UserRecord {
    let t = at(2026, 1, 1, 0, 0);
    UserRecord {
        id: UserId::mint(t),
        username: username.into(),
        display_name: format!("{username}的名字"),
        role,
        unit_id: unit.id,
        phone: Some("13800000000".into()),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        active: true,
        created_at: t,
        password_changed_at: t,
        must_change_password: false,
    }
}

/// A case received by `clerk` at `now` (not yet dispatched) with its intake entry.
pub fn new_case(
    clerk: &Actor,
    now: DateTime<Utc>,
    title: &str,
    content: &str,
) -> (Case, Vec<TimelineEntry>) {
    let new = NewCase {
        id: None,
        channel: Channel::MayorHotline,
        request_type: RequestType::Complaint,
        category: None,
        title: title.into(),
        content: content.into(),
        citizen_name: "张三".into(),
        citizen_phone: Some("13912345678".into()),
        citizen_id_card: None,
        address: None,
        district: None,
        received_at: None,
        urgency: Urgency::Ordinary,
        flags: CaseFlags::default(),
        leader_instruction: None,
    };
    let c = intake(&new, clerk, now).expect("a valid new case");
    let e = entry(None, &c, clerk, now, "intake", None, c.state);
    (c, vec![e])
}

/// The same case dispatched to `station` (supervised by its branch), as the workflow
/// would leave it; the store only persists what it is given.
pub fn dispatched(mut c: Case, station: &Unit) -> Case {
    c.handling_unit = Some(station.id);
    c.supervising_unit = station.parent;
    c.state = CaseState::PendingSignIn;
    c
}

pub fn entry(
    prev: Option<&TimelineEntry>,
    c: &Case,
    by: &Actor,
    now: DateTime<Utc>,
    kind: &str,
    from: Option<CaseState>,
    to: CaseState,
) -> TimelineEntry {
    TimelineEntry::next(
        prev,
        EntryId::mint(now),
        c.id,
        now,
        None,
        by,
        kind,
        from,
        to,
        serde_json::json!({ "kind": kind }),
    )
}

/// An update writing the case as it is with a note entry (one more version).
pub fn note(
    by: &Actor,
    now: DateTime<Utc>,
) -> impl FnMut(&Case, &TimelineEntry) -> crate::StoreResult<crate::CaseUpdate> + '_ {
    move |cur, last| {
        let e = entry(Some(last), cur, by, now, "note", Some(cur.state), cur.state);
        Ok(crate::CaseUpdate::Write(Box::new(cur.clone()), Box::new(e)))
    }
}

pub fn units_round_trip(store: &dyn Store) {
    let city = City::new();
    city.install(store);
    let mut got: Vec<String> = store.units().unwrap().into_iter().map(|u| u.code).collect();
    got.sort();
    let mut want: Vec<String> = city.units().into_iter().map(|u| u.code).collect();
    want.sort();
    assert_eq!(got, want);
    let back = store.units().unwrap();
    let a = back.iter().find(|u| u.id == city.station_a.id).unwrap();
    assert_eq!(a, &city.station_a, "a unit comes back field for field");
}

pub fn users_round_trip_and_unique_names(store: &dyn Store) {
    let city = City::new();
    city.install(store);
    let u = user("zhangsan", Role::Officer, &city.station_a);
    store.insert_user(&u).unwrap();
    assert_eq!(store.user(u.id).unwrap().as_ref(), Some(&u));
    assert_eq!(
        store.user_by_username("zhangsan").unwrap().as_ref(),
        Some(&u)
    );
    assert_eq!(store.user_by_username("nobody").unwrap(), None);

    let twin = user("zhangsan", Role::Clerk, &city.station_b);
    let err = store.insert_user(&twin).unwrap_err();
    assert_eq!(err.code(), "ALREADY_EXISTS", "{err:?}");
    assert_eq!(
        store.user(twin.id).unwrap(),
        None,
        "nothing of the refused user is stored"
    );

    let mut changed = u.clone();
    changed.display_name = "张三（调岗）".into();
    changed.unit_id = city.station_b.id;
    changed.active = false;
    store.update_user(&changed).unwrap();
    assert_eq!(store.user(u.id).unwrap().as_ref(), Some(&changed));
    let in_b: Vec<_> = store.list_users(Some(city.station_b.id)).unwrap();
    assert_eq!(in_b.iter().map(|u| u.id).collect::<Vec<_>>(), vec![u.id]);
    assert!(store
        .list_users(Some(city.station_a.id))
        .unwrap()
        .is_empty());
}
