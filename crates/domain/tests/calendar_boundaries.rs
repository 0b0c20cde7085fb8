//! Deadlines across the 2025 → 2026 New Year on the official holiday calendar, and a year
//! whose calendar is not loaded.
//!
//! The expected dates come from the State Council's published schedules, written out
//! here (never read from the calendar under test):
//!
//! * 2025 (国办发明电〔2024〕12号): 元旦 is 1 January 2025 only. Wednesday 31 December
//!   2025 is an ordinary working day.
//! * 2026 (国办发明电〔2025〕7号): "元旦：1月1日（周四）至3日（周六）放假调休，共3天。
//!   1月4日（周日）上班。" Thursday 1 – Saturday 3 January 2026 are off; Sunday
//!   4 January 2026 is a make-up working day (调休上班); Monday 5 January works as usual.
//!
//! Office hours are 09:00–17:00 (8 working hours a working day); SPEC §4's defaults for
//! an ordinary complaint: sign in within 1 working day, reply within 5.
//!
//! SPEC §10: a year whose calendar is missing is "a visible warning, never a silent
//! guess": a deadline counted across it carries `calendar_missing`.

mod common;

use chrono::{Datelike, NaiveDate, Weekday};
use common::{bj, local, Run, World};
use minsheng_domain::calendar::{Calendar, OfficeHours};
use minsheng_domain::case::CaseState;
use minsheng_domain::workflow::Action;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

#[test]
fn new_year_2026_follows_the_official_schedule() {
    let cal = Calendar::builtin();
    // The calendar's weekdays are chrono's; the working days are the State Council's.
    let days = [
        ("2025-12-31", Weekday::Wed, true),
        ("2026-01-01", Weekday::Thu, false),
        ("2026-01-02", Weekday::Fri, false),
        ("2026-01-03", Weekday::Sat, false),
        ("2026-01-04", Weekday::Sun, true),
        ("2026-01-05", Weekday::Mon, true),
        // The next weekend is an ordinary one.
        ("2026-01-10", Weekday::Sat, false),
        ("2026-01-11", Weekday::Sun, false),
    ];
    for (date, weekday, works) in days {
        assert_eq!(d(date).weekday(), weekday, "{date}");
        assert_eq!(cal.is_working_day(d(date)), works, "{date}");
    }
    for date in ["2026-01-01", "2026-01-02", "2026-01-03"] {
        assert_eq!(cal.holiday_name(d(date)), Some("元旦"), "{date}");
    }
    assert_eq!(cal.holiday_name(d("2025-12-31")), None);
    assert_eq!(
        cal.holiday_name(d("2026-01-04")),
        None,
        "a make-up working day"
    );
}

#[test]
fn working_time_across_2025_12_31_to_2026_01_04() {
    let cal = Calendar::builtin();
    // Wed 12-31 15:00 + 8 working hours: 2 h on 12-31, nothing 1-1 .. 1-3, 6 h on Sun 1-4.
    assert_eq!(
        local(cal.add_working_hours(bj("2025-12-31 15:00"), 8)),
        "2026-01-04 15:00"
    );
    // Two working days from the opening of 12-31: all of 12-31 and all of Sun 1-4.
    assert_eq!(
        local(cal.add_working_days(bj("2025-12-31 09:00"), 2)),
        "2026-01-04 17:00"
    );
    // A third working day is Monday 1-5.
    assert_eq!(
        local(cal.add_working_days(bj("2025-12-31 09:00"), 3)),
        "2026-01-05 17:00"
    );
    // The holiday itself holds no working time; the make-up Sunday holds a full day.
    assert_eq!(
        cal.working_minutes_between(bj("2025-12-31 17:00"), bj("2026-01-04 09:00")),
        0
    );
    assert_eq!(
        cal.working_minutes_between(bj("2026-01-03 12:00"), bj("2026-01-04 12:00")),
        180
    );
    assert_eq!(
        cal.working_minutes_between(bj("2025-12-31 09:00"), bj("2026-01-05 09:00")),
        2 * 8 * 60
    );
    // Counting back from Sunday 1-4 10:00 by 2 working hours lands on 12-31 16:00.
    assert_eq!(
        local(cal.sub_working_minutes(bj("2026-01-04 10:00"), 120)),
        "2025-12-31 16:00"
    );
}

#[test]
fn a_case_dispatched_on_new_years_eve_is_due_on_the_make_up_sunday() {
    let w = World::new();
    // Received 15:30, dispatched one step (10 min) later: Wed 2025-12-31 15:40.
    let mut r = Run::intake_at(&w, bj("2025-12-31 15:30"));
    r.act(&w.a.clerk, Action::Dispatch(w.order(w.u.a1)));
    assert_eq!(r.case.state, CaseState::PendingSignIn);
    assert_eq!(local(r.case.dispatched_at.unwrap()), "2025-12-31 15:40");
    let dl = r.case.deadlines;
    // Sign in (1 working day = 8 h): 1 h 20 on 12-31, 6 h 40 on Sunday 1-4.
    assert_eq!(local(dl.sign_in.unwrap()), "2026-01-04 15:40");
    // Reply (complaint: 5 working days = 40 h): 1 h 20 on 12-31, then 1-4, 1-5, 1-6,
    // 1-7 (32 h), and 6 h 40 on Thursday 1-8.
    assert_eq!(local(dl.reply.unwrap()), "2026-01-08 15:40");
    assert_eq!(dl.calendar_missing, None, "2025 and 2026 are both loaded");
}

#[test]
fn a_year_without_a_calendar_is_flagged_instead_of_guessed() {
    let w = World::new();
    // The product ships 2025 and 2026 only.
    assert!(w.cal.has_year(2025) && w.cal.has_year(2026));
    assert!(!w.cal.has_year(2027));

    // Dispatched Wed 2026-12-30: the reply deadline (5 working days) runs into 2027.
    let mut r = Run::intake_at(&w, bj("2026-12-30 09:30"));
    r.act(&w.a.clerk, Action::Dispatch(w.order(w.u.a1)));
    let dl = r.case.deadlines;
    assert_eq!(dl.calendar_missing, Some(2027), "{dl:?}");
    assert!(dl.reply.unwrap() > bj("2027-01-01 00:00"));

    // Wholly inside a missing year.
    let mut r = Run::intake_at(&w, bj("2027-03-01 09:30"));
    r.act(&w.a.clerk, Action::Dispatch(w.order(w.u.a1)));
    assert_eq!(r.case.deadlines.calendar_missing, Some(2027));

    // Within a loaded year nothing is flagged.
    let mut r = Run::intake_at(&w, bj("2026-11-02 09:30"));
    r.act(&w.a.clerk, Action::Dispatch(w.order(w.u.a1)));
    assert_eq!(r.case.deadlines.calendar_missing, None);

    // A calendar with no year at all says so for any instant.
    let empty = Calendar::new(Vec::new(), OfficeHours::default()).expect("calendar");
    assert_eq!(
        empty.missing_year_between(bj("2026-06-01 09:00"), bj("2026-06-02 09:00")),
        Some(2026)
    );
    assert_eq!(
        w.cal
            .missing_year_between(bj("2026-12-30 09:00"), bj("2027-01-06 09:00")),
        Some(2027)
    );
    assert_eq!(
        w.cal
            .missing_year_between(bj("2025-12-30 09:00"), bj("2026-01-06 09:00")),
        None
    );
}
