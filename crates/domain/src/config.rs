//! The city's configuration as data (SPEC §10): the holiday calendar (one schedule per
//! year) and the editions of the SLA rules. The server owns it and edits it on the
//! admin's word; clients receive the same snapshot with their pull, so an offline county
//! counts deadlines with the rules the server uses.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{beijing, Calendar, HolidayYear, OfficeHours, BUILTIN_YEARS};
use crate::case::Category;
use crate::error::DomainError;
use crate::org::OrgTree;
use crate::sla::{SlaSchedule, SlaVersion};
use crate::workflow::Ctx;

/// What travels: versioned, so a client asks for it only when it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigSnapshot {
    /// Grows with every change of the configuration.
    pub version: i64,
    pub holiday_years: Vec<HolidayYear>,
    /// Every edition of the SLA rules, oldest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub sla: Vec<SlaVersion>,
    /// The city's 诉求类别 in their order, retired ones included.
    #[serde(default)]
    pub categories: Vec<CategoryEntry>,
}

/// One 诉求类别 of the city's list. A retired one is no longer offered but stays
/// readable (and accepted from a client that used it offline before it was retired).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryEntry {
    pub name: String,
    #[serde(default)]
    pub retired: bool,
    /// The name that replaced it, when it was renamed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_to: Option<String>,
}

impl CategoryEntry {
    pub fn active(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            retired: false,
            renamed_to: None,
        }
    }
}

/// A change of the category list an admin asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryChange {
    Add(String),
    /// Retire (true) or bring back (false).
    Retire {
        name: String,
        retired: bool,
    },
    /// New cases use the new name; the old one is retired and points to it.
    Rename {
        from: String,
        to: String,
    },
}

/// The list after `change`, or why not: names 1–20 characters, unique, never removed
/// (old cases keep theirs), at least one category offered.
pub fn change_categories(
    list: &[CategoryEntry],
    change: &CategoryChange,
) -> Result<Vec<CategoryEntry>, DomainError> {
    let bad = |m: String| Err(DomainError::InvalidCategories(m));
    let clean = |n: &str| -> Result<String, DomainError> {
        let n = n.trim();
        if n.is_empty() || n.chars().count() > 20 {
            return Err(DomainError::InvalidCategories(
                "类别名称不能为空且不超过20个字".into(),
            ));
        }
        Ok(n.to_owned())
    };
    let find = |n: &str| list.iter().position(|e| e.name == n);
    let mut out = list.to_vec();
    match change {
        CategoryChange::Add(name) => {
            let name = clean(name)?;
            if find(&name).is_some() {
                return bad(format!("类别“{name}”已存在"));
            }
            out.push(CategoryEntry::active(&name));
        }
        CategoryChange::Retire { name, retired } => {
            let Some(i) = find(name) else {
                return bad(format!("类别“{name}”不存在"));
            };
            out[i].retired = *retired;
            if !retired {
                out[i].renamed_to = None;
            }
        }
        CategoryChange::Rename { from, to } => {
            let to = clean(to)?;
            let Some(i) = find(from) else {
                return bad(format!("类别“{from}”不存在"));
            };
            if out[i].retired {
                return bad(format!("类别“{from}”已停用，不能更名"));
            }
            if find(&to).is_some() {
                return bad(format!("类别“{to}”已存在"));
            }
            out[i].retired = true;
            out[i].renamed_to = Some(to.clone());
            out.insert(i + 1, CategoryEntry::active(&to));
        }
    }
    if out.iter().all(|e| e.retired) {
        return bad("至少保留一个启用的类别".into());
    }
    Ok(out)
}

impl ConfigSnapshot {
    /// What a fresh install starts from: the shipped calendars and SPEC §4's rules.
    pub fn builtin() -> Self {
        let holiday_years = BUILTIN_YEARS
            .iter()
            .map(|f| serde_json::from_str(f).unwrap_or_else(|e| panic!("built-in calendar: {e}")))
            .collect();
        Self {
            version: 0,
            holiday_years,
            sla: SlaSchedule::default().versions().to_vec(),
            categories: Category::DEFAULTS
                .iter()
                .map(|n| CategoryEntry::active(n))
                .collect(),
        }
    }
}

/// The configuration compiled for use.
#[derive(Debug, Clone)]
pub struct Config {
    pub version: i64,
    pub calendar: Calendar,
    pub sla: SlaSchedule,
    pub categories: Vec<CategoryEntry>,
}

impl Config {
    pub fn from_snapshot(s: &ConfigSnapshot) -> Result<Self, DomainError> {
        Ok(Self {
            version: s.version,
            calendar: Calendar::new(s.holiday_years.clone(), OfficeHours::default())?,
            sla: SlaSchedule::new(s.sla.clone()),
            categories: s.categories.clone(),
        })
    }

    pub fn builtin() -> Self {
        Self {
            version: 0,
            calendar: Calendar::builtin(),
            sla: SlaSchedule::default(),
            categories: ConfigSnapshot::builtin().categories,
        }
    }

    /// The categories offered for new work, in the list's order.
    pub fn active_categories(&self) -> impl Iterator<Item = &str> {
        self.categories
            .iter()
            .filter(|e| !e.retired)
            .map(|e| e.name.as_str())
    }

    /// What a workflow transition at `now` needs: the rules in force at `now`.
    pub fn ctx<'a>(&'a self, now: DateTime<Utc>, org: &'a OrgTree) -> Ctx<'a> {
        Ctx {
            now,
            org,
            calendar: &self.calendar,
            sla: self.sla.at(now),
            categories: &self.categories,
        }
    }

    /// A year whose holiday calendar is missing and is needed now: this year always; next
    /// year from 1 November (Beijing), when deadlines start to reach into it and the State
    /// Council has usually published its schedule.
    pub fn calendar_missing_soon(&self, now: DateTime<Utc>) -> Option<i32> {
        let today = now.with_timezone(&beijing()).date_naive();
        let this = today.year();
        if !self.calendar.has_year(this) {
            return Some(this);
        }
        (today.month() >= 11 && !self.calendar.has_year(this + 1)).then_some(this + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{RequestType, Urgency};
    use chrono::TimeZone;

    fn at(s: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        crate::calendar::beijing()
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
    fn builtin_snapshot_compiles_to_the_builtin_calendar() {
        let c = Config::from_snapshot(&ConfigSnapshot::builtin()).unwrap();
        assert!(c.calendar.has_year(2025) && c.calendar.has_year(2026));
        assert_eq!(c.sla.versions().len(), 1);
    }

    #[test]
    fn next_year_is_wanted_from_the_first_of_november() {
        let c = Config::builtin();
        assert_eq!(c.calendar_missing_soon(at("2026-10-31 23:59")), None);
        assert_eq!(c.calendar_missing_soon(at("2026-11-01 00:00")), Some(2027));
        assert_eq!(c.calendar_missing_soon(at("2027-03-01 09:00")), Some(2027));
        assert_eq!(c.calendar_missing_soon(at("2025-11-20 09:00")), None);
    }

    /// The year boundary of the admin-console issue: received 2027-12-30 (Thursday),
    /// a complaint (5 working days) over the 2028 New Year holiday. The 2027 and 2028
    /// schedules below are test data of the shape the State Council publishes (1 January
    /// off; no make-up day), not the official ones.
    #[test]
    fn a_deadline_over_a_missing_year_says_so_instead_of_guessing() {
        let y2027: HolidayYear = serde_json::from_str(
            r#"{"year":2027,"holidays":[{"name":"元旦","dates":["2027-01-01"]}]}"#,
        )
        .unwrap();
        let y2028: HolidayYear = serde_json::from_str(
            r#"{"year":2028,"holidays":[{"name":"元旦","dates":["2028-01-01","2028-01-02","2028-01-03"]}]}"#,
        )
        .unwrap();
        let from = at("2027-12-30 09:00");
        let rules = crate::sla::SlaRules::default();

        let without = Calendar::new(vec![y2027.clone()], OfficeHours::default()).unwrap();
        let d = rules.deadlines(&without, from, Urgency::Ordinary, RequestType::Complaint);
        assert_eq!(d.calendar_missing, Some(2028), "{d:?}");

        let with = Calendar::new(vec![y2027, y2028], OfficeHours::default()).unwrap();
        let d = rules.deadlines(&with, from, Urgency::Ordinary, RequestType::Complaint);
        assert_eq!(d.calendar_missing, None);
        // Thu 12-30, Fri 12-31 work; Sat 1-1 .. Mon 1-3 off (Mon by the 2028 schedule);
        // Tue 1-4, Wed 1-5, Thu 1-6 work: the fifth working day ends Thu 1-6 17:00
        // (counting from 09:00 on the 30th, five full days end at 17:00 of the fifth).
        assert_eq!(local(d.reply.unwrap()), "2028-01-06 17:00");
        // Sign-in (8 working hours) stays within 2027: no year is missing for it, and
        // the flag covers the whole set of deadlines.
        assert_eq!(local(d.sign_in.unwrap()), "2027-12-30 17:00");
    }

    #[test]
    fn categories_are_added_renamed_and_retired_never_removed() {
        let list = ConfigSnapshot::builtin().categories;
        let add =
            |l: &[CategoryEntry], n: &str| change_categories(l, &CategoryChange::Add(n.into()));
        let l = add(&list, " 校园安全 ").unwrap();
        assert_eq!(l.last().unwrap(), &CategoryEntry::active("校园安全"));
        assert!(add(&l, "校园安全").is_err(), "duplicate");
        assert!(add(&l, "").is_err() && add(&l, &"长".repeat(21)).is_err());
        let r = change_categories(
            &l,
            &CategoryChange::Rename {
                from: "车驾管".into(),
                to: "车辆驾驶人管理".into(),
            },
        )
        .unwrap();
        let i = r.iter().position(|e| e.name == "车驾管").unwrap();
        assert!(r[i].retired && r[i].renamed_to.as_deref() == Some("车辆驾驶人管理"));
        assert_eq!(r[i + 1], CategoryEntry::active("车辆驾驶人管理"));
        assert_eq!(r.len(), l.len() + 1, "the old name stays for old cases");
        // Retiring every category is refused.
        let mut all = vec![CategoryEntry::active("甲")];
        all = change_categories(&all, &CategoryChange::Add("乙".into())).unwrap();
        all = change_categories(
            &all,
            &CategoryChange::Retire {
                name: "甲".into(),
                retired: true,
            },
        )
        .unwrap();
        assert!(change_categories(
            &all,
            &CategoryChange::Retire {
                name: "乙".into(),
                retired: true
            }
        )
        .is_err());
    }

    #[test]
    fn editions_apply_from_their_instant() {
        let mut stricter = crate::sla::SlaRules::default();
        stricter
            .reply_days_by_type
            .insert(RequestType::Complaint, 2);
        let s = SlaSchedule::new(vec![
            SlaSchedule::default().current().clone(),
            SlaVersion {
                version: 2,
                effective_from: at("2026-03-02 12:00"),
                rules: stricter,
            },
        ]);
        let d = |t| {
            s.at(t)
                .reply_days(Urgency::Ordinary, RequestType::Complaint)
        };
        assert_eq!(d(at("2026-03-02 11:59")), 5);
        assert_eq!(d(at("2026-03-02 12:00")), 2);
        assert_eq!(s.current().version, 2);
    }
}
