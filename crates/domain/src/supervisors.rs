//! 民生警务优秀监督员 (citizen supervisors): who they are, how their engagement moves,
//! which citizens the data proposes, and how a consultation round reaches each one.
//! Pure: the clock and the counts come in as arguments.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::beijing;
use crate::capability::Capability;
use crate::case::{CaseState, Satisfaction};
use crate::error::DomainError;
use crate::ids::UnitId;
use crate::org::zh_enum;
use crate::role::Actor;

zh_enum!(
    /// 监督员类别.
    SupervisorKind {
        ActiveCitizen => "热心群众",
        Deputy => "人大代表",
        CppccMember => "政协委员",
        Other => "其他",
    }
);

zh_enum!(
    /// 聘任状态: 候选 → 已聘任 → 已解聘; a proposal the office declines is 拒绝.
    SupervisorStatus {
        Candidate => "候选",
        Engaged => "已聘任",
        Retired => "已解聘",
        Declined => "拒绝",
    }
);

zh_enum!(
    /// 联系方式: how a supervisor prefers to be consulted.
    ContactChannel {
        Sms => "短信",
        Phone => "电话",
        Visit => "走访",
    }
);

/// A change of a supervisor's engagement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SupervisorStep {
    /// 平台办确认聘任 a candidate.
    Confirm,
    /// 平台办不予聘任 a candidate.
    Decline,
    /// 解聘 an engaged supervisor.
    Retire,
}

impl SupervisorStep {
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Confirm => "确认聘任",
            Self::Decline => "不予聘任",
            Self::Retire => "解聘",
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> DomainError {
    DomainError::InvalidField {
        field,
        reason: reason.into(),
    }
}

impl SupervisorStatus {
    /// The status after `step`, or why it cannot be taken from here.
    pub fn after(self, step: SupervisorStep) -> Result<Self, DomainError> {
        use SupervisorStatus as S;
        use SupervisorStep as St;
        match (self, step) {
            (S::Candidate, St::Confirm) => Ok(S::Engaged),
            (S::Candidate, St::Decline) => Ok(S::Declined),
            (S::Engaged, St::Retire) => Ok(S::Retired),
            _ => Err(invalid(
                "status",
                format!("监督员当前为“{}”，不能{}", self.label_zh(), step.label_zh()),
            )),
        }
    }

    /// Still in the register (a candidate or engaged): the same number cannot be
    /// registered twice while one of these stands.
    pub const fn is_standing(self) -> bool {
        matches!(self, Self::Candidate | Self::Engaged)
    }
}

/// Longest reason, note and answer text (characters).
pub const TEXT_MAX: usize = 500;
/// Longest name (characters), as a case's citizen name.
pub const NAME_MAX: usize = 50;

/// Contact preferences, most preferred first: at least one, each once.
pub fn check_preferences(prefs: &[ContactChannel]) -> Result<(), DomainError> {
    if prefs.is_empty() {
        return Err(invalid("contactPreferences", "请至少选择一种联系方式"));
    }
    for (i, p) in prefs.iter().enumerate() {
        if prefs[..i].contains(p) {
            return Err(invalid(
                "contactPreferences",
                format!("联系方式“{}”重复", p.label_zh()),
            ));
        }
    }
    Ok(())
}

/// A trimmed text of at most `max` characters; `required` refuses an empty one.
pub fn check_text(
    field: &'static str,
    label: &str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<String, DomainError> {
    let t = text.trim();
    if required && t.is_empty() {
        return Err(invalid(field, format!("{label}不能为空")));
    }
    if t.chars().count() > max {
        return Err(invalid(field, format!("{label}不能超过{max}字")));
    }
    Ok(t.to_owned())
}

/// The channel of one consultation: the first preference that can reach the person.
/// An SMS needs a mobile number; a phone call or a visit always can be arranged by the
/// responsible unit. Without preferences, a phone call.
pub fn round_channel(prefs: &[ContactChannel], has_mobile: bool) -> ContactChannel {
    prefs
        .iter()
        .copied()
        .find(|p| *p != ContactChannel::Sms || has_mobile)
        .unwrap_or(ContactChannel::Phone)
}

// ---------------------------------------------------------------- proposal from the data

/// The window the proposal looks at: the last twelve months.
pub const PROPOSAL_WINDOW_DAYS: i64 = 365;
/// "Reports often": at least five requests in the window (about one every two months;
/// most callers make one or two a year).
pub const PROPOSAL_MIN_REQUESTS: u64 = 5;
/// "Mostly reasonable": at least 80 % of the counted requests were accepted (not 不予受理).
pub const PROPOSAL_MIN_REASONABLE_PERCENT: u64 = 80;

/// Whether a case counts as one request of its caller: a duplicate merged into an
/// earlier case (首问负责) is the same matter again, not another request.
pub const fn counts_as_request(state: CaseState) -> bool {
    !matches!(state, CaseState::Merged)
}

/// Whether a counted request was unreasonable: the platform office refused it
/// (不予受理). A request transferred to another department (非公安) was still a fair one.
pub const fn is_unreasonable(state: CaseState) -> bool {
    matches!(state, CaseState::Rejected)
}

/// The proposal rule: `requests` counted requests in the window, `unreasonable` of them
/// refused.
pub const fn qualifies(requests: u64, unreasonable: u64) -> bool {
    requests >= PROPOSAL_MIN_REQUESTS
        && unreasonable <= requests
        && (requests - unreasonable) * 100 >= PROPOSAL_MIN_REASONABLE_PERCENT * requests
}

/// The reason written on a proposed candidate.
pub fn proposal_reason(requests: u64, unreasonable: u64) -> String {
    format!(
        "近12个月反映诉求{requests}件，其中合理诉求{}件，由系统按数据推荐",
        requests.saturating_sub(unreasonable)
    )
}

// ---------------------------------------------------------------- rounds

/// The consultation period (月度) an instant falls in, by Beijing date: `2026-12`.
pub fn period_of(at: DateTime<Utc>) -> String {
    let d = at.with_timezone(&beijing()).date_naive();
    format!("{:04}-{:02}", d.year(), d.month())
}

/// `[start, end)` of a period `yyyy-mm` in Beijing time, or None when malformed.
pub fn period_bounds(period: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let (y, m) = period.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    let start = chrono::NaiveDate::from_ymd_opt(y, m, 1)?;
    let next = if m == 12 {
        chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        chrono::NaiveDate::from_ymd_opt(y, m + 1, 1)?
    };
    let at = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)?
            .and_local_timezone(beijing())
            .single()
            .map(|t| t.with_timezone(&Utc))
    };
    Some((at(start)?, at(next)?))
}

/// A supervisor's answer in a consultation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupervisorAnswer {
    /// 对民生警务工作的满意度.
    pub satisfaction: Satisfaction,
    /// What they said (at most 500 characters).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub text: String,
    /// 作为建议受理: the text becomes a case of type 建议 (channel 监督员).
    #[serde(default)]
    pub suggestion: bool,
}

impl SupervisorAnswer {
    /// The answer with its text trimmed; a suggestion needs a text to register.
    pub fn checked(&self) -> Result<Self, DomainError> {
        let text = check_text("text", "意见内容", &self.text, TEXT_MAX, self.suggestion)?;
        Ok(Self {
            satisfaction: self.satisfaction,
            text,
            suggestion: self.suggestion,
        })
    }
}

/// The title of the 建议 case an answer becomes.
pub fn suggestion_title(name: &str, text: &str) -> String {
    let head: String = text.chars().take(30).collect();
    let more = if text.chars().count() > 30 { "…" } else { "" };
    format!("监督员{name}建议：{head}{more}")
}

// ---------------------------------------------------------------- who may do what

/// What an actor may do with the supervisors of `unit` (the unit responsible for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The platform office: the whole register, every answer.
    Manage,
    /// The responsible unit's staff: its supervisors' phone and visit tasks.
    OwnUnit,
    /// Nothing (the record is not theirs: it looks missing).
    None,
}

/// Access of `actor` to a supervisor the unit `responsible` looks after.
pub fn access(actor: &Actor, responsible: UnitId) -> Access {
    if actor.role.can(Capability::ManageSupervisors) {
        Access::Manage
    } else if actor.role.can(Capability::SupervisorTasks) && actor.unit_id == responsible {
        Access::OwnUnit
    } else {
        Access::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engagement_moves_only_forward() {
        use SupervisorStatus as S;
        use SupervisorStep as St;
        assert_eq!(S::Candidate.after(St::Confirm).unwrap(), S::Engaged);
        assert_eq!(S::Candidate.after(St::Decline).unwrap(), S::Declined);
        assert_eq!(S::Engaged.after(St::Retire).unwrap(), S::Retired);
        for (s, st) in [
            (S::Candidate, St::Retire),
            (S::Engaged, St::Confirm),
            (S::Engaged, St::Decline),
            (S::Retired, St::Confirm),
            (S::Retired, St::Retire),
            (S::Declined, St::Confirm),
        ] {
            assert!(s.after(st).is_err(), "{s:?} {st:?}");
        }
    }

    #[test]
    fn the_rule_needs_five_requests_and_eighty_percent() {
        assert!(!qualifies(4, 0));
        assert!(qualifies(5, 0));
        assert!(qualifies(5, 1)); // 4/5 = 80 %
        assert!(!qualifies(5, 2)); // 60 %
        assert!(qualifies(10, 2));
        assert!(!qualifies(10, 3));
        assert!(!qualifies(3, 5)); // nonsense counts never qualify
        assert!(counts_as_request(CaseState::Rejected));
        assert!(!counts_as_request(CaseState::Merged));
        assert!(is_unreasonable(CaseState::Rejected));
        assert!(!is_unreasonable(CaseState::Transferred));
    }

    #[test]
    fn the_round_takes_the_first_preference_that_reaches() {
        use ContactChannel as C;
        assert_eq!(round_channel(&[C::Sms, C::Phone], true), C::Sms);
        assert_eq!(round_channel(&[C::Sms, C::Visit], false), C::Visit);
        assert_eq!(round_channel(&[C::Sms], false), C::Phone);
        assert_eq!(round_channel(&[C::Visit, C::Sms], true), C::Visit);
        assert_eq!(round_channel(&[], true), C::Phone);
        assert!(check_preferences(&[]).is_err());
        assert!(check_preferences(&[C::Sms, C::Sms]).is_err());
        assert!(check_preferences(&[C::Visit, C::Sms]).is_ok());
    }

    #[test]
    fn periods_are_beijing_months() {
        use chrono::TimeZone;
        // 2026-11-30 16:30 UTC is 1 December 00:30 in Beijing.
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 16, 30, 0).unwrap();
        assert_eq!(period_of(t), "2026-12");
        let (a, b) = period_bounds("2026-12").unwrap();
        assert_eq!(a, Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap());
        assert_eq!(b, Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap());
        assert!(period_bounds("2026-13").is_none());
        assert!(period_bounds("x").is_none());
    }

    #[test]
    fn a_suggestion_needs_text() {
        let a = SupervisorAnswer {
            satisfaction: Satisfaction::Satisfied,
            text: "  ".into(),
            suggestion: true,
        };
        assert!(a.checked().is_err());
        let b = SupervisorAnswer {
            text: " 夜间巡逻再多一些 ".into(),
            ..a
        };
        assert_eq!(b.checked().unwrap().text, "夜间巡逻再多一些");
        assert_eq!(
            suggestion_title("王某", "夜间巡逻再多一些"),
            "监督员王某建议：夜间巡逻再多一些"
        );
    }
}
