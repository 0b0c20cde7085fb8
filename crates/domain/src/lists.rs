//! 民生清单: the live lists every unit works from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, CaseState, Deadlines};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WorkList {
    /// 未签收
    Unsigned,
    /// 办理中 (including replies waiting for sign-off)
    InProgress,
    /// 即将逾期
    DueSoon,
    /// 已逾期
    Overdue,
}

impl WorkList {
    pub const ALL: &'static [Self] = &[
        Self::Unsigned,
        Self::InProgress,
        Self::DueSoon,
        Self::Overdue,
    ];

    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Unsigned => "未签收",
            Self::InProgress => "办理中",
            Self::DueSoon => "即将逾期",
            Self::Overdue => "已逾期",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|l| {
            l.label_zh() == s
                || serde_json::to_value(l)
                    .ok()
                    .and_then(|v| v.as_str().map(|x| x == s))
                    == Some(true)
        })
    }
}

/// Sign-in overdue while waiting for sign-in, or reply overdue while being handled.
pub fn is_overdue(c: &Case, now: DateTime<Utc>) -> bool {
    let sign_in_late =
        c.state == CaseState::PendingSignIn && c.deadlines.sign_in.is_some_and(|d| now > d);
    let reply_late = c.state.is_handling() && c.deadlines.reply.is_some_and(|d| now > d);
    sign_in_late || reply_late
}

/// The deadline running now and the instant it turns 即将逾期: while awaiting sign-in the
/// earlier of the sign-in and reply deadlines (either late means overdue), while handling
/// the reply deadline, otherwise none. `is_overdue` is "now past the first", `is_due_soon`
/// "now past the second but not the first"; caches store the pair to filter by it.
pub fn running_deadline(
    state: CaseState,
    d: &Deadlines,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    if state == CaseState::PendingSignIn {
        (
            [d.sign_in, d.reply].into_iter().flatten().min(),
            [d.sign_in_warn, d.reply_warn].into_iter().flatten().min(),
        )
    } else if state.is_handling() {
        (d.reply, d.reply_warn)
    } else {
        (None, None)
    }
}

/// Inside the warning window of a running deadline, and not yet overdue.
pub fn is_due_soon(c: &Case, now: DateTime<Utc>) -> bool {
    if !c.state.is_handling() || is_overdue(c, now) {
        return false;
    }
    let sign_in_warn =
        c.state == CaseState::PendingSignIn && c.deadlines.sign_in_warn.is_some_and(|w| now >= w);
    let reply_warn = c.deadlines.reply_warn.is_some_and(|w| now >= w);
    sign_in_warn || reply_warn
}

/// The lists a case belongs to now (a case can be on several, e.g. 未签收 and 已逾期).
pub fn lists_of(c: &Case, now: DateTime<Utc>) -> Vec<WorkList> {
    let mut out = Vec::new();
    if c.state == CaseState::PendingSignIn {
        out.push(WorkList::Unsigned);
    }
    if matches!(c.state, CaseState::InProgress | CaseState::PendingReview) {
        out.push(WorkList::InProgress);
    }
    if is_due_soon(c, now) {
        out.push(WorkList::DueSoon);
    }
    if is_overdue(c, now) {
        out.push(WorkList::Overdue);
    }
    out
}
