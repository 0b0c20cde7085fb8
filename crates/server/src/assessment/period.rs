//! Assessment periods: Beijing calendar weeks (Monday first), months and years.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use minsheng_domain::calendar::beijing;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum PeriodKind {
    Week,
    Month,
    Year,
}

impl PeriodKind {
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        match s {
            "week" | "周" => Ok(Self::Week),
            "month" | "月" => Ok(Self::Month),
            "year" | "年" => Ok(Self::Year),
            _ => Err(ApiError::BadRequest(format!(
                "参数 period 的值“{s}”无效（week、month 或 year）"
            ))),
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            Self::Week => "week",
            Self::Month => "month",
            Self::Year => "year",
        }
    }
}

/// A period: its kind and first Beijing date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    pub kind: PeriodKind,
    pub start: NaiveDate,
}

/// The period as sent to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeriodView {
    pub kind: PeriodKind,
    /// First day, `YYYY-MM-DD` (Beijing).
    pub start: String,
    /// Last day, inclusive.
    pub end: String,
    pub label: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Today's Beijing date at `now`.
pub fn bj_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&beijing()).date_naive()
}

/// The instant a Beijing date starts.
pub fn day_start(d: NaiveDate) -> DateTime<Utc> {
    beijing()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// A `YYYY-MM-DD` date of years 1–9999. Dates near the ends of chrono's range (years
/// ±262143) would overflow the period arithmetic (a week's Monday, the next month).
pub fn parse_date(s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (1..=9999).contains(&d.year()))
        .ok_or_else(|| ApiError::BadRequest(format!("日期“{s}”无效，应为 YYYY-MM-DD")))
}

/// An instant given by a client (RFC 3339, years 1–9999); further out, date arithmetic
/// on it (a range's default start, its buckets) would overflow.
pub fn check_instant(field: &str, t: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    if (1..=9999).contains(&t.year()) {
        Ok(t)
    } else {
        Err(ApiError::BadRequest(format!(
            "参数 {field} 的时间“{}”超出范围（公元1–9999年）",
            t.to_rfc3339()
        )))
    }
}

impl Period {
    /// The period of `kind` containing date `d`.
    pub fn containing(kind: PeriodKind, d: NaiveDate) -> Self {
        let start = match kind {
            PeriodKind::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
            PeriodKind::Month => d.with_day(1).unwrap_or(d),
            PeriodKind::Year => NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d),
        };
        Self { kind, start }
    }

    /// First day after the period.
    pub fn end_exclusive(self) -> NaiveDate {
        let s = self.start;
        match self.kind {
            PeriodKind::Week => s + Duration::days(7),
            PeriodKind::Month => {
                let (y, m) = if s.month() == 12 {
                    (s.year() + 1, 1)
                } else {
                    (s.year(), s.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(s)
            }
            PeriodKind::Year => NaiveDate::from_ymd_opt(s.year() + 1, 1, 1).unwrap_or(s),
        }
    }

    #[must_use]
    pub fn previous(self) -> Self {
        Self::containing(self.kind, self.start - Duration::days(1))
    }

    pub fn from(self) -> DateTime<Utc> {
        day_start(self.start)
    }

    pub fn to(self) -> DateTime<Utc> {
        day_start(self.end_exclusive())
    }

    pub fn label(self) -> String {
        let s = self.start;
        match self.kind {
            PeriodKind::Week => {
                let last = self.end_exclusive() - Duration::days(1);
                format!(
                    "{}年第{}周（{}—{}）",
                    s.iso_week().year(),
                    s.iso_week().week(),
                    s.format("%m-%d"),
                    last.format("%m-%d")
                )
            }
            PeriodKind::Month => format!("{}年{}月", s.year(), s.month()),
            PeriodKind::Year => format!("{}年", s.year()),
        }
    }

    pub fn view(self) -> PeriodView {
        PeriodView {
            kind: self.kind,
            start: self.start.format("%Y-%m-%d").to_string(),
            end: (self.end_exclusive() - Duration::days(1))
                .format("%Y-%m-%d")
                .to_string(),
            label: self.label(),
            from: self.from(),
            to: self.to(),
        }
    }
}

/// Days since 1970-01-01 of a Beijing date (the facts tables' day numbers).
pub fn day_number(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(d)).num_days()
}

pub fn date_of_day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + Duration::days(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_months_roll_over() {
        let w = Period::containing(PeriodKind::Week, d("2026-11-29"));
        assert_eq!(w.start, d("2026-11-23"));
        assert_eq!(w.previous().start, d("2026-11-16"));
        assert_eq!(w.view().end, "2026-11-29");
        // 2026-11-23 00:00 Beijing is 11-22 16:00 UTC.
        assert_eq!(w.from().to_rfc3339(), "2026-11-22T16:00:00+00:00");
        let m = Period::containing(PeriodKind::Month, d("2026-12-31"));
        assert_eq!(m.end_exclusive(), d("2027-01-01"));
        assert_eq!(m.previous().start, d("2026-11-01"));
        assert_eq!(m.label(), "2026年12月");
        let y = Period::containing(PeriodKind::Year, d("2026-06-30"));
        assert_eq!(y.previous().start, d("2025-01-01"));
        assert_eq!(date_of_day(day_number(d("2026-11-23"))), d("2026-11-23"));
    }
}
