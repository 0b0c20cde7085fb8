//! Printed documents of 民生警务平台 — 办理单 (case sheet with its timeline), 督办通知单,
//! 答复函 (reply letter to the citizen) and the 通报 of the assessment rankings — as A4 PDF
//! set in the one CJK font the caller hands over (subset to the glyphs used, with ToUnicode
//! maps so the text can be searched and extracted).
//!
//! Pure: typed data in, PDF bytes out; no I/O, no clock (dates come with the data). Whoever
//! calls decides what identity may be printed: the data carries names already masked unless
//! the caller recorded a reveal.

mod breaking;
mod bulletin;
mod case_sheet;
mod layout;
mod letters;
mod typeface;

pub use bulletin::{Board, Bulletin, RankRow};
pub use case_sheet::{CaseSheet, TimelineRow};
pub use letters::{ReplyLetter, UrgeNotice};
pub use typeface::{Typeface, BUNDLED_FONT, REPLACEMENT};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("字体无法使用：{0}")]
    Font(String),
    #[error("无法生成 PDF：{0}")]
    Pdf(String),
}

/// A generated document.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub pages: usize,
    /// Characters the font has no glyph for: printed as [`REPLACEMENT`]; the caller logs them.
    pub missing_chars: Vec<char>,
}

/// `2026年12月7日`, the form of dates on official documents.
pub fn cn_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// `2026年12月7日 09:05`.
pub fn cn_date_time(t: NaiveDateTime) -> String {
    format!("{} {:02}:{:02}", cn_date(t.date()), t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_chinese_form() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(cn_date(d), "2026年12月7日");
        assert_eq!(
            cn_date_time(d.and_hms_opt(9, 5, 0).unwrap()),
            "2026年12月7日 09:05"
        );
    }
}
