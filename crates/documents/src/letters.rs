//! 督办通知单 and 答复函: one-page letters with a heading, a body and the issuing unit's
//! signature and seal area.

use chrono::{NaiveDate, NaiveDateTime};

use crate::layout::{Align, Column, Composer, BODY};
use crate::{cn_date, cn_date_time, Error, Rendered, Typeface};

/// 督办通知单: from a 督办 (urge or supervision notice) on a case, to its handling unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrgeNotice {
    /// The supervising unit issuing it (分局 or 市局).
    pub issuer_unit: String,
    /// 编号 of the notice.
    pub notice_number: String,
    /// The unit that must act (承办单位).
    pub to_unit: String,
    pub case_number: String,
    pub case_title: String,
    pub received_at: NaiveDateTime,
    /// What the citizen asked, shortened by the caller if it wishes.
    pub case_summary: String,
    /// The 督办 requirement as written by the supervisor.
    pub requirement: String,
    /// By when the unit must finish (the case's reply deadline), if set.
    pub deadline: Option<NaiveDateTime>,
    /// How many times the case has been urged, this one included.
    pub urge_count: u32,
    pub supervisor: String,
    pub issued_on: NaiveDate,
}

impl UrgeNotice {
    pub fn render(&self, face: &Typeface) -> Result<Rendered, Error> {
        let mut c = Composer::new(face, format!("督办通知单　{}", self.notice_number));
        c.text(&self.issuer_unit, 16.0, Align::Centre, true);
        c.text("督办通知单", 22.0, Align::Centre, true);
        c.space(6.0);
        c.split_line(
            &format!("编号：{}", self.notice_number),
            &cn_date(self.issued_on),
            10.5,
        );
        c.rule(1.2);
        c.space(8.0);
        c.text(&format!("{}：", self.to_unit), BODY, Align::Left, false);
        let deadline = self.deadline.map_or_else(
            || "规定期限内".to_owned(),
            |d| format!("{}前", cn_date_time(d)),
        );
        c.paragraph(&format!(
            "你单位承办的第{}号民生诉求“{}”，至今尚未办结。根据民生警务诉求办理督办规定，现予督办（第{}次）。请按以下督办要求抓紧办理，于{}办结并答复诉求人，同时将办理情况报{}。",
            self.case_number, self.case_title, self.urge_count.max(1), deadline, self.issuer_unit
        ));
        c.space(8.0);
        let label = Column {
            share: 0.18,
            align: Align::Centre,
        };
        let value = Column {
            share: 0.82,
            align: Align::Left,
        };
        let row = |a: &str, b: String| vec![a.to_owned(), b];
        c.table(
            &[label, value],
            None,
            &[
                row("诉求编号", self.case_number.clone()),
                row("诉求标题", self.case_title.clone()),
                row("受理时间", cn_date_time(self.received_at)),
                row(
                    "办理期限",
                    self.deadline.map_or_else(|| "—".into(), cn_date_time),
                ),
                row("诉求摘要", self.case_summary.clone()),
                row("督办要求", self.requirement.clone()),
                row("督办人", self.supervisor.clone()),
            ],
            BODY,
        );
        c.space(36.0);
        c.text(
            &format!("督办单位（盖章）：{}", self.issuer_unit),
            BODY,
            Align::Right,
            false,
        );
        c.text(&cn_date(self.issued_on), BODY, Align::Right, false);
        c.finish(&format!("督办通知单 {}", self.case_number))
    }
}

/// 答复函: the handling unit's answer to the citizen, for posting or handing over. It is
/// addressed by name: the caller records the reveal of the citizen's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyLetter {
    pub unit: String,
    pub citizen_name: String,
    pub case_number: String,
    pub case_title: String,
    pub received_at: NaiveDateTime,
    pub reply: String,
    pub issued_on: NaiveDate,
}

impl ReplyLetter {
    pub fn render(&self, face: &Typeface) -> Result<Rendered, Error> {
        let mut c = Composer::new(face, format!("答复函　{}", self.case_number));
        c.text(&self.unit, 16.0, Align::Centre, true);
        c.text("关于民生诉求的答复函", 22.0, Align::Centre, true);
        c.space(6.0);
        c.split_line(&format!("编号：{}", self.case_number), "", 10.5);
        c.rule(1.2);
        c.space(8.0);
        c.text(
            &format!("{}：", self.citizen_name),
            BODY,
            Align::Left,
            false,
        );
        c.paragraph(&format!(
            "您于{}反映的“{}”问题（诉求编号{}）收悉。我单位高度重视，经调查核实，现答复如下：",
            cn_date(self.received_at.date()),
            self.case_title,
            self.case_number
        ));
        for para in self.reply.split('\n').filter(|p| !p.trim().is_empty()) {
            c.paragraph(para.trim());
        }
        c.paragraph("感谢您对公安工作的理解和支持。如对本答复有异议，可在收到本函之日起向我单位或上级公安机关反映。");
        c.paragraph("特此函复。");
        c.space(36.0);
        c.text(&format!("{}（盖章）", self.unit), BODY, Align::Right, false);
        c.text(&cn_date(self.issued_on), BODY, Align::Right, false);
        c.finish(&format!("答复函 {}", self.case_number))
    }
}
