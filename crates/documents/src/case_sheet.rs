//! 办理单: the case with its whole timeline, as filed with the paper records.

use chrono::NaiveDateTime;

use crate::layout::{Align, Column, Composer, BODY};
use crate::{cn_date_time, Error, Rendered, Typeface};

/// One step of the case's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineRow {
    pub at: NaiveDateTime,
    pub actor: String,
    pub unit: String,
    /// 环节 (签收, 提交答复 …).
    pub action: String,
    /// What was recorded with it (reason, message, reply …).
    pub note: String,
}

/// The data of a 办理单. Citizen fields are printed as given: the caller masks them unless
/// the user revealed the identity (an audited reveal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSheet {
    /// The bureau heading the form (A市公安局).
    pub bureau: String,
    pub number: String,
    pub title: String,
    pub channel: String,
    pub request_type: String,
    pub category: String,
    pub urgency: String,
    pub state: String,
    pub received_at: NaiveDateTime,
    pub citizen_name: String,
    pub citizen_phone: String,
    pub address: String,
    pub content: String,
    pub handling_unit: String,
    pub supervising_unit: String,
    pub co_units: String,
    /// `(label, deadline)`: 签收期限, 答复期限 …
    pub deadlines: Vec<(String, NaiveDateTime)>,
    pub timeline: Vec<TimelineRow>,
    pub reply: Option<String>,
    pub printed_at: NaiveDateTime,
    pub printed_by: String,
}

fn or_none(s: &str) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        s.to_owned()
    }
}

impl CaseSheet {
    pub fn render(&self, face: &Typeface) -> Result<Rendered, Error> {
        let mut c = Composer::new(face, format!("民生诉求办理单　编号：{}", self.number));
        c.text(&self.bureau, 16.0, Align::Centre, true);
        c.text("民生诉求办理单", 22.0, Align::Centre, true);
        c.space(6.0);
        c.split_line(
            &format!("编号：{}", self.number),
            &format!(
                "打印：{}　{}",
                cn_date_time(self.printed_at),
                self.printed_by
            ),
            10.5,
        );
        c.space(2.0);
        let label = |share| Column {
            share,
            align: Align::Centre,
        };
        let value = |share| Column {
            share,
            align: Align::Left,
        };
        let four = [label(0.16), value(0.34), label(0.16), value(0.34)];
        let pair = |a: &str, b: &str, x: &str, y: &str| {
            vec![a.to_owned(), or_none(b), x.to_owned(), or_none(y)]
        };
        c.table(
            &four,
            None,
            &[
                pair(
                    "受理渠道",
                    &self.channel,
                    "受理时间",
                    &cn_date_time(self.received_at),
                ),
                pair("诉求类型", &self.request_type, "紧急程度", &self.urgency),
                pair(
                    "诉求人",
                    &self.citizen_name,
                    "联系电话",
                    &self.citizen_phone,
                ),
                pair("诉求分类", &self.category, "当前状态", &self.state),
                pair(
                    "承办单位",
                    &self.handling_unit,
                    "督办单位",
                    &self.supervising_unit,
                ),
            ],
            BODY,
        );
        let deadlines = self
            .deadlines
            .iter()
            .map(|(l, t)| format!("{l}：{}", cn_date_time(*t)))
            .collect::<Vec<_>>()
            .join("\n");
        let two = [label(0.16), value(0.84)];
        let row = |a: &str, b: &str| vec![a.to_owned(), or_none(b)];
        c.table(
            &two,
            None,
            &[
                row("诉求标题", &self.title),
                row("事发地址", &self.address),
                row("协办单位", &self.co_units),
                row("诉求内容", &self.content),
                row("办理期限", &deadlines),
                row("答复意见", self.reply.as_deref().unwrap_or("")),
            ],
            BODY,
        );
        c.space(10.0);
        c.text("办理过程", 14.0, Align::Left, true);
        c.space(2.0);
        let steps: Vec<Vec<String>> = if self.timeline.is_empty() {
            vec![vec![
                String::new(),
                String::new(),
                String::new(),
                "（无办理记录）".into(),
                String::new(),
            ]]
        } else {
            self.timeline
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    vec![
                        (i + 1).to_string(),
                        cn_date_time(s.at),
                        format!("{}\n{}", s.actor, s.unit),
                        s.action.clone(),
                        s.note.clone(),
                    ]
                })
                .collect()
        };
        c.table(
            &[
                Column {
                    share: 0.07,
                    align: Align::Centre,
                },
                Column {
                    share: 0.2,
                    align: Align::Left,
                },
                Column {
                    share: 0.2,
                    align: Align::Left,
                },
                Column {
                    share: 0.13,
                    align: Align::Centre,
                },
                Column {
                    share: 0.4,
                    align: Align::Left,
                },
            ],
            Some(&["序号", "时间", "经办人／单位", "环节", "说明"]),
            &steps,
            10.5,
        );
        c.space(24.0);
        c.split_line(
            "承办人（签名）：＿＿＿＿＿＿",
            "审核人（签名）：＿＿＿＿＿＿",
            BODY,
        );
        c.space(12.0);
        c.text("（盖章）", BODY, Align::Right, false);
        c.finish(&format!("民生诉求办理单 {}", self.number))
    }
}
