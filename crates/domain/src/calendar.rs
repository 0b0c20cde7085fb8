//! Working-day calendar: Chinese public holidays and 调休 make-up working days from
//! yearly data files, office hours in Asia/Shanghai (UTC+8, no DST), and arithmetic
//! in working minutes so deadlines and countdowns agree everywhere.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// One year's official schedule, as published by the State Council.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HolidayYear {
    pub year: i32,
    #[serde(default)]
    pub source: String,
    pub holidays: Vec<Holiday>,
    #[serde(default)]
    pub makeup_workdays: Vec<NaiveDate>,
}

impl HolidayYear {
    /// One year's schedule on its own: every date in the year, no date twice (in two
    /// holidays, or a holiday that is also a make-up working day), named holidays, and
    /// make-up working days that fall on a weekend (a weekday works anyway).
    pub fn validate(&self) -> Result<(), DomainError> {
        let bad = |m: String| Err(DomainError::InvalidCalendar(m));
        if !(2000..=2100).contains(&self.year) {
            return bad(format!("年份 {} 超出范围（2000–2100）", self.year));
        }
        let mut seen: BTreeMap<NaiveDate, &str> = BTreeMap::new();
        for h in &self.holidays {
            let name = h.name.trim();
            if name.is_empty() || name.chars().count() > 20 {
                return bad("节日名称不能为空且不超过20字".into());
            }
            if h.dates.is_empty() {
                return bad(format!("{name} 没有日期"));
            }
            for d in &h.dates {
                if d.year() != self.year {
                    return bad(format!("{d} 不属于 {} 年", self.year));
                }
                if let Some(other) = seen.insert(*d, name) {
                    return bad(format!("{d} 同时属于 {other} 和 {name}，假日日期重叠"));
                }
            }
        }
        let mut makeup = BTreeSet::new();
        for d in &self.makeup_workdays {
            if d.year() != self.year {
                return bad(format!("调休上班日 {d} 不属于 {} 年", self.year));
            }
            if seen.contains_key(d) {
                return bad(format!("{d} 既是假日又是调休上班日"));
            }
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                return bad(format!("调休上班日 {d} 不是周末"));
            }
            if !makeup.insert(*d) {
                return bad(format!("调休上班日 {d} 重复"));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Holiday {
    pub name: String,
    pub dates: Vec<NaiveDate>,
}

/// Daily office window in local time, e.g. 09:00–17:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfficeHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for OfficeHours {
    fn default() -> Self {
        Self {
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
        }
    }
}

impl OfficeHours {
    pub fn minutes_per_day(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }
}

/// Asia/Shanghai has had no daylight saving since 1991, so a fixed offset is exact.
pub fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
/// Beijing's offset from UTC in milliseconds.
pub const BEIJING_OFFSET_MS: i64 = 8 * 3_600_000;

/// The Beijing day number (days since 1970-01-01, counted in Beijing time) of an
/// instant given in milliseconds. Every per-day count (rollups, case numbers, reports)
/// buckets by this day.
pub const fn beijing_day_of_ms(t_ms: i64) -> i64 {
    (t_ms + BEIJING_OFFSET_MS).div_euclid(DAY_MS)
}

/// The Beijing day number of an instant.
pub fn beijing_day(t: DateTime<Utc>) -> i64 {
    beijing_day_of_ms(t.timestamp_millis())
}

/// The hour (0–23) in Beijing of an instant given in milliseconds.
pub const fn beijing_hour_of_ms(t_ms: i64) -> i64 {
    (t_ms + BEIJING_OFFSET_MS).rem_euclid(DAY_MS) / 3_600_000
}

/// The Monday of the week containing Beijing day `day` (1970-01-01 was a Thursday).
pub const fn monday_of(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}

/// The instant, in milliseconds, at which Beijing day `day` begins.
pub const fn beijing_day_start_ms(day: i64) -> i64 {
    day * DAY_MS - BEIJING_OFFSET_MS
}

/// `yyyymm` of Beijing day `day`.
pub fn month_of_day(day: i64) -> i64 {
    use chrono::Datelike;
    let d = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + chrono::Duration::days(day);
    i64::from(d.year()) * 100 + i64::from(d.month())
}

pub const BUILTIN_YEARS: &[&str] = &[
    include_str!("../data/holidays/2025.json"),
    include_str!("../data/holidays/2026.json"),
];

#[derive(Debug, Clone)]
pub struct Calendar {
    holidays: BTreeMap<NaiveDate, String>,
    makeup: BTreeSet<NaiveDate>,
    years: BTreeSet<i32>,
    hours: OfficeHours,
    tz: FixedOffset,
}

impl Calendar {
    pub fn new(years: Vec<HolidayYear>, hours: OfficeHours) -> Result<Self, DomainError> {
        if hours.minutes_per_day() <= 0 {
            return Err(DomainError::InvalidField {
                field: "officeHours",
                reason: "下班时间必须晚于上班时间".into(),
            });
        }
        let mut cal = Self {
            holidays: BTreeMap::new(),
            makeup: BTreeSet::new(),
            years: BTreeSet::new(),
            hours,
            tz: beijing(),
        };
        for y in years {
            cal.add_year(y)?;
        }
        Ok(cal)
    }

    /// Parses yearly JSON files (see `data/holidays/*.json`).
    pub fn from_json(files: &[&str], hours: OfficeHours) -> Result<Self, DomainError> {
        let years = files
            .iter()
            .map(|f| {
                serde_json::from_str::<HolidayYear>(f)
                    .map_err(|e| DomainError::InvalidCalendar(format!("节假日文件格式错误：{e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(years, hours)
    }

    /// The calendars shipped with the product (2025 and 2026) and 09:00–17:00 office hours.
    pub fn builtin() -> Self {
        Self::from_json(BUILTIN_YEARS, OfficeHours::default())
            .unwrap_or_else(|e| panic!("built-in holiday files are invalid: {e}"))
    }

    pub fn add_year(&mut self, y: HolidayYear) -> Result<(), DomainError> {
        y.validate()?;
        if self.years.contains(&y.year) {
            return Err(DomainError::InvalidCalendar(format!(
                "{} 年的日历重复",
                y.year
            )));
        }
        for h in &y.holidays {
            for d in &h.dates {
                self.holidays.insert(*d, h.name.clone());
            }
        }
        self.makeup.extend(y.makeup_workdays.iter().copied());
        self.years.insert(y.year);
        Ok(())
    }

    /// Whether the official schedule of `year` is loaded. Without it the calendar counts
    /// Monday–Friday, which is a guess: see [`Calendar::missing_year_between`].
    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The first year from `a` to `b` (Beijing dates, either order) whose schedule is not
    /// loaded: a deadline counted across it assumes Monday–Friday and must say so.
    pub fn missing_year_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Option<i32> {
        let (a, b) = (self.local(a.min(b)).year(), self.local(a.max(b)).year());
        (a..=b).find(|y| !self.years.contains(y))
    }

    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn office_hours(&self) -> OfficeHours {
        self.hours
    }

    pub fn holiday_name(&self, d: NaiveDate) -> Option<&str> {
        self.holidays.get(&d).map(String::as_str)
    }

    /// Make-up days work, holidays rest, otherwise Monday–Friday work.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.makeup.contains(&d) {
            return true;
        }
        if self.holidays.contains_key(&d) {
            return false;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    fn local(&self, t: DateTime<Utc>) -> chrono::NaiveDateTime {
        t.with_timezone(&self.tz).naive_local()
    }

    fn utc(&self, t: chrono::NaiveDateTime) -> DateTime<Utc> {
        self.tz.from_local_datetime(&t).single().map_or_else(
            || DateTime::from_naive_utc_and_offset(t, Utc),
            |x| x.with_timezone(&Utc),
        )
    }

    /// Adds `minutes` of working time to `start`. A start outside office hours counts
    /// from the next opening. Zero minutes returns the start unchanged.
    pub fn add_working_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        if minutes <= 0 {
            return start;
        }
        // Exact durations, not whole minutes: a start at 16:59:30 has 30 seconds of the
        // day left, and rounding them away made a deadline up to a minute late.
        let mut left = Duration::minutes(minutes);
        let mut cur = self.local(start);
        // Bounded: ten years of days is far beyond any deadline.
        for _ in 0..3660 {
            let day = cur.date();
            let open = day.and_time(self.hours.start);
            let close = day.and_time(self.hours.end);
            if self.is_working_day(day) && cur < close {
                let from = cur.max(open);
                let avail = close - from;
                if left <= avail {
                    return self.utc(from + left);
                }
                left -= avail;
            }
            cur = (day + Duration::days(1)).and_time(NaiveTime::MIN);
        }
        self.utc(cur)
    }

    pub fn add_working_hours(&self, start: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
        self.add_working_minutes(start, hours * 60)
    }

    /// N working days = N full office days of working time.
    pub fn add_working_days(&self, start: DateTime<Utc>, days: i64) -> DateTime<Utc> {
        self.add_working_minutes(start, days * self.hours.minutes_per_day())
    }

    /// Working minutes from `a` to `b`; negative when `b` is before `a`.
    pub fn working_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b < a {
            return -self.working_minutes_between(b, a);
        }
        let (a, b) = (self.local(a), self.local(b));
        // Summed exactly, rounded down once at the end (not per day).
        let mut total = Duration::zero();
        let mut day = a.date();
        while day <= b.date() {
            if self.is_working_day(day) {
                let open = day.and_time(self.hours.start).max(a);
                let close = day.and_time(self.hours.end).min(b);
                if close > open {
                    total += close - open;
                }
            }
            day += Duration::days(1);
        }
        total.num_minutes()
    }

    /// Subtracts working minutes (used for "due soon" warning instants before a deadline).
    pub fn sub_working_minutes(&self, end: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        if minutes <= 0 {
            return end;
        }
        let mut left = Duration::minutes(minutes);
        let mut cur = self.local(end);
        for _ in 0..3660 {
            let day = cur.date();
            let open = day.and_time(self.hours.start);
            let close = day.and_time(self.hours.end);
            if self.is_working_day(day) && cur > open {
                let to = cur.min(close);
                let avail = to - open;
                if left <= avail {
                    return self.utc(to - left);
                }
                left -= avail;
            }
            cur = day.and_time(NaiveTime::MIN) - Duration::seconds(1);
            cur = cur.date().and_time(self.hours.end);
        }
        self.utc(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        // Local Beijing time in tests for readability.
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        beijing()
            .from_local_datetime(&naive)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn local(t: DateTime<Utc>) -> String {
        t.with_timezone(&beijing())
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    #[test]
    fn beijing_days_hours_and_weeks() {
        // 2026-03-01 23:59 and 2026-03-02 00:00 in Beijing are 15:59 and 16:00 UTC.
        let before = at("2026-03-01 23:59");
        let after = at("2026-03-02 00:00");
        assert_eq!(before, Utc.with_ymd_and_hms(2026, 3, 1, 15, 59, 0).unwrap());
        // 2026-03-01 is day 20513 since 1970-01-01 (56 years, 14 of them leap, + 59 days).
        assert_eq!(beijing_day(before), 20_513);
        assert_eq!(beijing_day(after), 20_514);
        assert_eq!(beijing_hour_of_ms(before.timestamp_millis()), 23);
        assert_eq!(beijing_hour_of_ms(after.timestamp_millis()), 0);
        assert_eq!(beijing_day_start_ms(20_514), after.timestamp_millis());
        // 2026-03-04 is a Wednesday; its week began on Monday 2026-03-02.
        assert_eq!(monday_of(beijing_day(at("2026-03-04 12:00"))), 20_514);
        assert_eq!(monday_of(20_514), 20_514);
        assert_eq!(month_of_day(20_513), 202_603);
        assert_eq!(month_of_day(20_512), 202_602);
        // Before 1970 the day number is negative and still floors.
        assert_eq!(beijing_day_of_ms(-1), 0, "1970-01-01 07:59:59.999 Beijing");
        assert_eq!(beijing_day_of_ms(-BEIJING_OFFSET_MS - 1), -1);
    }

    #[test]
    fn holidays_and_makeup_days() {
        let c = Calendar::builtin();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!c.is_working_day(d("2026-10-01")));
        assert!(
            c.is_working_day(d("2026-10-10")),
            "Saturday make-up day works"
        );
        assert!(c.is_working_day(d("2026-02-14")));
        assert!(!c.is_working_day(d("2026-02-16")));
        assert!(!c.is_working_day(d("2026-11-28")), "plain Saturday");
        assert!(c.is_working_day(d("2026-11-26")));
        assert_eq!(c.holiday_name(d("2025-01-29")), Some("春节"));
    }

    #[test]
    fn working_time_keeps_the_seconds_of_the_start() {
        let c = Calendar::builtin();
        let at_s = |s: &str| {
            let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
            beijing()
                .from_local_datetime(&naive)
                .unwrap()
                .with_timezone(&Utc)
        };
        let local_s = |t: DateTime<Utc>| {
            t.with_timezone(&beijing())
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        // Thu 2026-11-26 (a working day), office 09:00–17:00.
        assert_eq!(
            local_s(c.add_working_minutes(at_s("2026-11-26 10:00:30"), 60)),
            "2026-11-26 11:00:30"
        );
        // 30 s left today, the other 30 s from Friday's opening.
        assert_eq!(
            local_s(c.add_working_minutes(at_s("2026-11-26 16:59:30"), 1)),
            "2026-11-27 09:00:30"
        );
        // 16 working hours from 16:59:30: 30 s on Thu, 8 h on Fri, the weekend off, Mon 09:00
        // + 7 h 59 min 30 s.
        assert_eq!(
            local_s(c.add_working_hours(at_s("2026-11-26 16:59:30"), 16)),
            "2026-11-30 16:59:30"
        );
        // The deadline is exactly as far from the start as the working time allows.
        let start = at_s("2026-11-26 13:17:42");
        assert_eq!(
            c.working_minutes_between(start, c.add_working_minutes(start, 960)),
            960
        );
    }

    #[test]
    fn adds_working_time_across_national_day() {
        let c = Calendar::builtin();
        // Tue 2026-09-29 16:00 + 3 working days: 1h on 9/29, 8h on 9/30, then Oct 1–7 off,
        // Oct 8 (Thu) 8h, Oct 9 (Fri) remaining 7h -> 16:00.
        assert_eq!(
            local(c.add_working_days(at("2026-09-29 16:00"), 3)),
            "2026-10-09 16:00"
        );
        // Start at night counts from next opening.
        assert_eq!(
            local(c.add_working_hours(at("2026-11-26 20:00"), 1)),
            "2026-11-27 10:00"
        );
        // Friday afternoon + 4h lands on Monday.
        assert_eq!(
            local(c.add_working_hours(at("2026-11-27 15:00"), 4)),
            "2026-11-30 11:00"
        );
    }

    #[test]
    fn minutes_between_is_inverse_of_add() {
        let c = Calendar::builtin();
        let start = at("2026-09-30 10:17");
        for m in [0, 1, 59, 480, 481, 2000, 10000] {
            let end = c.add_working_minutes(start, m);
            assert_eq!(c.working_minutes_between(start, end), m, "m={m}");
            assert_eq!(c.working_minutes_between(end, start), -m);
        }
    }

    #[test]
    fn subtract_working_minutes() {
        let c = Calendar::builtin();
        assert_eq!(
            local(c.sub_working_minutes(at("2026-10-08 10:00"), 120)),
            "2026-09-30 16:00"
        );
        let end = at("2026-11-30 11:00");
        let back = c.sub_working_minutes(end, 240);
        assert_eq!(local(back), "2026-11-27 15:00");
    }

    #[test]
    fn rejects_bad_files() {
        assert!(Calendar::from_json(&["{"], OfficeHours::default()).is_err());
        let clash = r#"{"year":2026,"holidays":[{"name":"x","dates":["2026-01-01"]}],"makeupWorkdays":["2026-01-01"]}"#;
        assert!(Calendar::from_json(&[clash], OfficeHours::default()).is_err());
        let wrong_year = r#"{"year":2026,"holidays":[{"name":"x","dates":["2025-01-01"]}]}"#;
        assert!(Calendar::from_json(&[wrong_year], OfficeHours::default()).is_err());
    }
}
