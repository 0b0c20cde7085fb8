//! Service levels: deadlines for sign-in and reply per urgency and request type
//! (SPEC defaults, admin-editable), computed on the working-day calendar.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::case::{Deadlines, RequestType, Urgency};
use crate::error::DomainError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaRules {
    /// Working hours allowed for sign-in, per urgency.
    pub sign_in_hours: BTreeMap<Urgency, i64>,
    /// Working days allowed for the reply of urgent cases, overriding the type.
    pub reply_days_by_urgency: BTreeMap<Urgency, i64>,
    /// Working days allowed for the reply of ordinary cases, per request type.
    pub reply_days_by_type: BTreeMap<RequestType, i64>,
    /// A deadline is 即将逾期 when less than this share (percent) of its allotted time is left.
    pub warn_percent: i64,
    /// Working days for a level-2 / level-3 follow-up task.
    pub follow_up_task_days: i64,
}

impl Default for SlaRules {
    fn default() -> Self {
        use RequestType as T;
        use Urgency as U;
        Self {
            sign_in_hours: BTreeMap::from([(U::Critical, 1), (U::Urgent, 4), (U::Ordinary, 8)]),
            reply_days_by_urgency: BTreeMap::from([(U::Critical, 1), (U::Urgent, 3)]),
            reply_days_by_type: BTreeMap::from([
                (T::Complaint, 5),
                (T::Report, 5),
                (T::HelpRequest, 5),
                (T::Consultation, 3),
                (T::Suggestion, 3),
                (T::Praise, 3),
            ]),
            warn_percent: 25,
            follow_up_task_days: 5,
        }
    }
}

impl SlaRules {
    /// Every urgency and request type has its deadline, each a positive number (at most
    /// a year), and the warning share is 1–90 %. The message names the entry at fault.
    pub fn validate(&self) -> Result<(), DomainError> {
        let bad = |reason: String| {
            Err(DomainError::InvalidField {
                field: "sla",
                reason,
            })
        };
        let in_range = |v: i64| (1..=365 * 8).contains(&v);
        for u in Urgency::ALL {
            match self.sign_in_hours.get(u) {
                None => return bad(format!("缺少{}件的签收时限", u.label_zh())),
                Some(v) if !in_range(*v) => {
                    return bad(format!(
                        "{}件的签收时限必须为正数（当前 {v} 小时）",
                        u.label_zh()
                    ))
                }
                Some(_) => {}
            }
        }
        for (u, v) in &self.reply_days_by_urgency {
            if !in_range(*v) {
                return bad(format!(
                    "{}件的答复时限必须为正数（当前 {v} 天）",
                    u.label_zh()
                ));
            }
        }
        for t in RequestType::ALL {
            match self.reply_days_by_type.get(t) {
                None => return bad(format!("缺少{}类诉求的答复时限", t.label_zh())),
                Some(v) if !in_range(*v) => {
                    return bad(format!(
                        "{}类诉求的答复时限必须为正数（当前 {v} 天）",
                        t.label_zh()
                    ))
                }
                Some(_) => {}
            }
        }
        if !(1..=90).contains(&self.warn_percent) {
            return bad("预警比例必须在1–90之间".into());
        }
        if !(1..=365).contains(&self.follow_up_task_days) {
            return bad("回访任务时限必须为正数".into());
        }
        Ok(())
    }

    pub fn sign_in_minutes(&self, u: Urgency) -> i64 {
        self.sign_in_hours.get(&u).copied().unwrap_or(8) * 60
    }

    pub fn reply_days(&self, u: Urgency, t: RequestType) -> i64 {
        self.reply_days_by_urgency
            .get(&u)
            .or_else(|| self.reply_days_by_type.get(&t))
            .copied()
            .unwrap_or(5)
    }

    /// Deadlines for a case dispatched at `from`.
    pub fn deadlines(
        &self,
        cal: &Calendar,
        from: DateTime<Utc>,
        u: Urgency,
        t: RequestType,
    ) -> Deadlines {
        let sign_in_total = self.sign_in_minutes(u);
        let reply_total = self.reply_days(u, t) * cal.office_hours().minutes_per_day();
        let sign_in = cal.add_working_minutes(from, sign_in_total);
        let reply = cal.add_working_minutes(from, reply_total);
        Deadlines {
            sign_in: Some(sign_in),
            sign_in_warn: Some(cal.sub_working_minutes(sign_in, self.warn_minutes(sign_in_total))),
            reply: Some(reply),
            reply_warn: Some(cal.sub_working_minutes(reply, self.warn_minutes(reply_total))),
            follow_up_task: None,
            calendar_missing: cal.missing_year_between(from, sign_in.max(reply)),
        }
    }

    /// The warning instant for a moved reply deadline (extension).
    pub fn warn_before(
        &self,
        cal: &Calendar,
        from: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let total = cal.working_minutes_between(from, deadline).max(0);
        cal.sub_working_minutes(deadline, self.warn_minutes(total))
    }

    fn warn_minutes(&self, total: i64) -> i64 {
        (total * self.warn_percent / 100).max(1)
    }
}

/// One edition of the rules and the instant from which it applies: a change applies to
/// cases dispatched after it, never to what a unit was already held to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaVersion {
    pub version: i64,
    pub effective_from: DateTime<Utc>,
    pub rules: SlaRules,
}

/// Every edition of the SLA rules, oldest first. A dispatch at `t` is held to the
/// edition in force at `t`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaSchedule {
    versions: Vec<SlaVersion>,
}

impl Default for SlaSchedule {
    /// SPEC §4's defaults, in force from the beginning.
    fn default() -> Self {
        Self {
            versions: vec![SlaVersion {
                version: 1,
                effective_from: DateTime::<Utc>::UNIX_EPOCH,
                rules: SlaRules::default(),
            }],
        }
    }
}

impl SlaSchedule {
    /// Editions in any order; an empty list means the defaults.
    pub fn new(mut versions: Vec<SlaVersion>) -> Self {
        if versions.is_empty() {
            return Self::default();
        }
        versions.sort_by_key(|v| (v.effective_from, v.version));
        Self { versions }
    }

    /// The rules in force at `t` (the first edition for instants before it).
    pub fn at(&self, t: DateTime<Utc>) -> &SlaRules {
        let i = self.versions.partition_point(|v| v.effective_from <= t);
        &self.versions[i.saturating_sub(1)].rules
    }

    /// The newest edition.
    pub fn current(&self) -> &SlaVersion {
        self.versions
            .last()
            .unwrap_or_else(|| unreachable!("never empty"))
    }

    pub fn versions(&self) -> &[SlaVersion] {
        &self.versions
    }
}
