//! The printed documents' data from what the desktop holds: a cached case (办理单, 答复函,
//! 督办通知单 work offline) and a report fetched from the server (通报). Times are printed in
//! Beijing time; names of units come from the cached org tree.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use minsheng_client::view::LocalCase;
use minsheng_documents::{
    Board, Bulletin, CaseSheet, RankRow, ReplyLetter, TimelineRow, UrgeNotice,
};
use minsheng_domain::assessment::{red_black, Counts, Ranked, LIST_SIZE};
use minsheng_domain::calendar;
use minsheng_domain::citizen::{mask_phone, CitizenView};
use minsheng_domain::ids::UnitId;
use minsheng_domain::org::Unit;
use minsheng_domain::workflow::ActionKind;
use serde::Deserialize;
use serde_json::Value;

/// Timeline kinds that are a 督办 of the case (催办 and the 督办通知 of 疑难督办).
const URGE_KINDS: [&str; 2] = ["urge", "supervisionNotice"];
/// Shown where a case has no number yet (registered offline, not synced).
const NO_NUMBER: &str = "（未编号）";

pub fn beijing(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&calendar::beijing()).naive_local()
}

/// The org tree's names, for printing.
pub struct Units(pub Vec<Unit>);

impl Units {
    pub fn name(&self, id: Option<UnitId>) -> String {
        id.and_then(|id| self.0.iter().find(|u| u.id == id))
            .map(|u| u.name.clone())
            .unwrap_or_default()
    }

    /// The bureau heading the forms: the root of the tree.
    pub fn bureau(&self) -> String {
        self.0
            .iter()
            .find(|u| u.parent.is_none())
            .map_or_else(|| "公安局".to_owned(), |u| u.name.clone())
    }
}

/// A name as printed without a reveal: the surname, the rest starred (张**).
pub fn masked_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// The citizen as printed on a form.
pub struct Identity {
    pub name: String,
    pub phone: String,
}

/// A phone number as printed without a reveal (the cache's view is masked already for most
/// roles; a view that is not gets the same 3 + 4 digits shown).
pub fn masked_phone(view: &CitizenView) -> String {
    match view.phone.as_deref() {
        None => String::new(),
        Some(phone) if view.masked => phone.to_owned(),
        Some(phone) => mask_phone(phone),
    }
}

/// A UUID (case, user, command ids): meaningless on paper.
fn is_id(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// What was recorded with a step: its text fields in the payload's order, units by name,
/// ids left out.
fn note(detail: &Value, units: &Units) -> String {
    let text = |k: &str, v: &Value| match v {
        Value::String(s) if k.ends_with("Unit") => {
            s.parse::<UnitId>().ok().map(|id| units.name(Some(id)))
        }
        Value::String(s) if is_id(s) => None,
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    };
    match detail {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| k.as_str() != "type")
            .filter_map(|(k, v)| match v {
                // A dispatch order nests the units and the category.
                Value::Object(inner) => {
                    let parts: Vec<String> = inner.iter().filter_map(|(k, v)| text(k, v)).collect();
                    (!parts.is_empty()).then(|| parts.join("；"))
                }
                _ => text(k, v),
            })
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("；"),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

fn action_label(kind: &str) -> String {
    ActionKind::ALL
        .iter()
        .find(|k| k.code() == kind)
        .map_or_else(
            || {
                if kind == "intake" {
                    "登记".into()
                } else {
                    kind.to_owned()
                }
            },
            |k| k.label_zh().to_owned(),
        )
}

fn number(c: &LocalCase) -> String {
    c.case.number.clone().unwrap_or_else(|| NO_NUMBER.into())
}

pub fn case_sheet(
    c: &LocalCase,
    units: &Units,
    who: Identity,
    printed_by: &str,
    now: DateTime<Utc>,
) -> CaseSheet {
    let k = &c.case;
    let mut timeline: Vec<TimelineRow> = c
        .timeline
        .iter()
        .map(|e| TimelineRow {
            at: beijing(e.at),
            actor: e.actor_name.clone(),
            unit: units.name(Some(e.actor_unit)),
            action: action_label(&e.kind),
            note: note(&e.detail, units),
        })
        .collect();
    timeline.extend(c.pending_steps.iter().map(|p| TimelineRow {
        at: beijing(p.device_at),
        actor: p.actor_name.clone(),
        unit: String::new(),
        action: format!("{}（待同步）", p.label),
        note: note(&p.detail, units),
    }));
    let deadlines = [
        ("签收期限", k.deadlines.sign_in),
        ("答复期限", k.deadlines.reply),
        ("回访期限", k.deadlines.follow_up_task),
    ]
    .into_iter()
    .filter_map(|(l, d)| d.map(|d| (l.to_owned(), beijing(d))))
    .collect();
    CaseSheet {
        bureau: units.bureau(),
        number: number(c),
        title: k.title.clone(),
        channel: k.channel.to_string(),
        request_type: k.request_type.to_string(),
        category: k
            .category
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        urgency: k.urgency.to_string(),
        state: k.state.to_string(),
        received_at: beijing(k.received_at),
        citizen_name: who.name,
        citizen_phone: who.phone,
        address: k.address.clone().unwrap_or_default(),
        content: k.content.clone(),
        handling_unit: units.name(k.handling_unit),
        supervising_unit: units.name(k.supervising_unit),
        co_units: k
            .co_units
            .iter()
            .map(|u| units.name(Some(u.unit)))
            .collect::<Vec<_>>()
            .join("、"),
        deadlines,
        timeline,
        reply: k.reply.as_ref().map(|r| r.text.clone()),
        printed_at: beijing(now),
        printed_by: printed_by.to_owned(),
    }
}

/// The latest 督办 of the case (a confirmed step or the user's own pending one):
/// `(requirement, supervisor's name, supervisor's unit, when)`.
fn latest_urge(
    c: &LocalCase,
    units: &Units,
    own_unit: Option<UnitId>,
) -> Option<(String, String, String, DateTime<Utc>)> {
    let pending = c
        .pending_steps
        .iter()
        .rev()
        .find(|p| URGE_KINDS.contains(&p.kind.as_str()))
        .map(|p| {
            (
                note(&p.detail, units),
                p.actor_name.clone(),
                units.name(own_unit),
                p.device_at,
            )
        });
    pending.or_else(|| {
        c.timeline
            .iter()
            .rev()
            .find(|e| URGE_KINDS.contains(&e.kind.as_str()))
            .map(|e| {
                (
                    note(&e.detail, units),
                    e.actor_name.clone(),
                    units.name(Some(e.actor_unit)),
                    e.at,
                )
            })
    })
}

pub fn has_urge(c: &LocalCase) -> bool {
    c.pending_steps
        .iter()
        .any(|p| URGE_KINDS.contains(&p.kind.as_str()))
        || c.timeline
            .iter()
            .any(|e| URGE_KINDS.contains(&e.kind.as_str()))
}

pub fn urge_notice(c: &LocalCase, units: &Units, own_unit: Option<UnitId>) -> Option<UrgeNotice> {
    let (requirement, supervisor, issuer, at) = latest_urge(c, units, own_unit)?;
    let k = &c.case;
    let count = c
        .timeline
        .iter()
        .filter(|e| URGE_KINDS.contains(&e.kind.as_str()))
        .count()
        + c.pending_steps
            .iter()
            .filter(|p| URGE_KINDS.contains(&p.kind.as_str()))
            .count();
    let issued = beijing(at);
    let summary: String = k.content.chars().take(300).collect();
    Some(UrgeNotice {
        issuer_unit: issuer,
        notice_number: format!("督办〔{}〕{}-{count}", issued.format("%Y"), number(c)),
        to_unit: units.name(k.handling_unit),
        case_number: number(c),
        case_title: k.title.clone(),
        received_at: beijing(k.received_at),
        case_summary: if summary.chars().count() < k.content.chars().count() {
            format!("{summary}……")
        } else {
            summary
        },
        requirement,
        deadline: k.deadlines.reply.map(beijing),
        urge_count: count as u32,
        supervisor,
        issued_on: issued.date(),
    })
}

pub fn reply_letter(
    c: &LocalCase,
    units: &Units,
    citizen_name: String,
    now: DateTime<Utc>,
) -> Option<ReplyLetter> {
    let k = &c.case;
    let reply = k.reply.as_ref()?;
    Some(ReplyLetter {
        unit: units.name(k.handling_unit),
        citizen_name,
        case_number: number(c),
        case_title: k.title.clone(),
        received_at: beijing(k.received_at),
        reply: reply.text.clone(),
        issued_on: beijing(now).date(),
    })
}

/// `GET /reports/{id}` as far as the 通报 prints it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub generated_at: DateTime<Utc>,
    pub body: ReportBody,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportBody {
    pub period: PeriodView,
    #[serde(default)]
    pub stations: Vec<ScoreRow>,
    #[serde(default)]
    pub branches: Vec<ScoreRow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeriodView {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub label: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreRow {
    pub rank: Option<u32>,
    pub unit_name: String,
    #[serde(default)]
    pub counts: Counts,
    pub score: Option<f64>,
    #[serde(default)]
    pub unranked: Option<String>,
    #[serde(default)]
    pub movement: Option<i64>,
}

/// The rows of one level with the 红黑榜 of the domain's rule.
fn ranking(rows: &[ScoreRow]) -> Vec<RankRow> {
    let ranked: Vec<Ranked<usize>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| Ranked {
            key: i,
            counts: r.counts,
            score: r.score,
            rank: r.rank,
            unranked: None,
        })
        .collect();
    let (red, black) = red_black(&ranked, LIST_SIZE);
    rows.iter()
        .enumerate()
        .map(|(i, r)| RankRow {
            rank: r.rank,
            unit: r.unit_name.clone(),
            score: r.score,
            board: if red.contains(&i) {
                Board::Red
            } else if black.contains(&i) {
                Board::Black
            } else {
                Board::Neither
            },
            note: r.unranked.clone().unwrap_or_else(|| match r.movement {
                Some(m) if m > 0 => format!("较上期上升{m}位"),
                Some(m) if m < 0 => format!("较上期下降{}位", -m),
                _ => String::new(),
            }),
        })
        .collect()
}

pub fn bulletin(r: &Report, bureau: String) -> Bulletin {
    let p = &r.body.period;
    let mut sections = Vec::new();
    if !r.body.branches.is_empty() {
        sections.push(("一、分局排名".to_owned(), ranking(&r.body.branches)));
    }
    if !r.body.stations.is_empty() {
        let n = if sections.is_empty() { "一" } else { "二" };
        sections.push((format!("{n}、派出所排名"), ranking(&r.body.stations)));
    }
    Bulletin {
        issuer: bureau,
        title: r.title.clone(),
        number: format!("{}-{}", r.kind, p.start.format("%Y%m%d")),
        period: format!(
            "{}（{}至{}）",
            p.label,
            minsheng_documents::cn_date(p.start),
            minsheng_documents::cn_date(p.end)
        ),
        sections,
        notes: vec![
            format!("红榜、黑榜各列至多{LIST_SIZE}个单位；样本不足或无考核数据的单位不参与排名。"),
            format!(
                "本通报由民生警务平台于{}生成（编号 {}）。",
                minsheng_documents::cn_date_time(beijing(r.generated_at)),
                r.id
            ),
        ],
        issued_on: beijing(r.generated_at).date(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_print_masked_whatever_the_view() {
        let view = |phone: &str, masked| CitizenView {
            name: "王女士".into(),
            phone: Some(phone.into()),
            id_card: None,
            masked,
        };
        assert_eq!(masked_phone(&view("13812345678", false)), "138****5678");
        assert_eq!(masked_phone(&view("138****5678", true)), "138****5678");
        assert_eq!(
            masked_phone(&CitizenView {
                name: String::new(),
                phone: None,
                id_card: None,
                masked: true
            }),
            ""
        );
    }

    #[test]
    fn names_are_masked_after_the_surname() {
        assert_eq!(masked_name("王女士"), "王**");
        assert_eq!(masked_name(" 李 "), "李");
        assert_eq!(masked_name(""), "");
    }

    /// A report as `GET /reports/{id}` sends it (the fields the 通报 reads).
    fn report(rows: &[(Option<u32>, &str, Option<f64>)]) -> Report {
        let counts = serde_json::to_value(Counts::default()).unwrap();
        let stations: Vec<Value> = rows
            .iter()
            .map(|(rank, name, score)| {
                serde_json::json!({"rank": rank, "unitName": name, "counts": counts, "score": score,
                    "unranked": rank.map_or(Some("样本不足，不参与排名"), |_| None), "movement": null})
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "id": "0190f0a0-0000-7000-8000-0000000000aa", "kind": "week", "title": "民生警务考核周报：2026年第49周",
            "generatedAt": "2026-12-07T01:00:00Z", "generatedBy": "schedule",
            "body": {"period": {"kind": "week", "start": "2026-11-30", "end": "2026-12-06", "label": "2026年第49周",
                "from": "2026-11-29T16:00:00Z", "to": "2026-12-06T16:00:00Z"},
                "totals": counts, "stations": stations, "branches": [], "categories": []}
        }))
        .unwrap()
    }

    #[test]
    fn bulletin_marks_the_red_and_black_lists_by_the_domain_rule() {
        let r = report(&[
            (Some(1), "甲所", Some(95.0)),
            (Some(2), "乙所", Some(90.0)),
            (Some(3), "丙所", Some(80.0)),
            (Some(4), "丁所", Some(60.0)),
            (None, "戊所", None),
        ]);
        let b = bulletin(&r, "济南市公安局".into());
        assert_eq!(b.sections.len(), 1);
        let (heading, rows) = &b.sections[0];
        assert_eq!(heading, "一、派出所排名");
        let boards: Vec<Board> = rows.iter().map(|r| r.board).collect();
        // Four ranked rows: the better half red, the rest black; the unranked one on neither.
        assert_eq!(
            boards,
            [
                Board::Red,
                Board::Red,
                Board::Black,
                Board::Black,
                Board::Neither
            ]
        );
        assert_eq!(rows[4].note, "样本不足，不参与排名");
        assert_eq!(b.issued_on, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
        assert!(
            b.period.contains("2026年11月30日至2026年12月6日"),
            "{}",
            b.period
        );
    }

    #[test]
    fn notes_join_the_text_of_a_payload() {
        let units = Units(Vec::new());
        let v = serde_json::json!({"type": "urge", "message": "请尽快办理"});
        assert_eq!(note(&v, &units), "请尽快办理");
        let v = serde_json::json!({"type": "dispatch", "handlingUnit": "0190f0a0-0000-7000-8000-000000000001",
            "category": "噪音扰民", "caseId": "0190f0a0-0000-7000-8000-000000000002"});
        // Unknown unit: no name; ids never printed.
        assert_eq!(note(&v, &units), "噪音扰民");
        assert_eq!(action_label("urge"), "催办");
        assert_eq!(action_label("intake"), "登记");
    }
}
