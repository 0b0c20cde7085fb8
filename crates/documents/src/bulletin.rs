//! 通报: the weekly or monthly ranking of the units with the 红黑榜, as circulated.

use chrono::NaiveDate;

use crate::layout::{Align, Column, Composer, BODY};
use crate::{cn_date, Error, Rendered, Typeface};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Board {
    Red,
    Black,
    Neither,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RankRow {
    /// None: not ranked (the reason goes into `note`).
    pub rank: Option<u32>,
    pub unit: String,
    pub score: Option<f64>,
    pub board: Board,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bulletin {
    pub issuer: String,
    /// 民生警务考核周报：2026年第49周 …
    pub title: String,
    pub number: String,
    /// 2026年11月30日至2026年12月6日
    pub period: String,
    /// Ranking tables, each with a heading (派出所 / 分局).
    pub sections: Vec<(String, Vec<RankRow>)>,
    pub notes: Vec<String>,
    pub issued_on: NaiveDate,
}

impl Bulletin {
    pub fn render(&self, face: &Typeface) -> Result<Rendered, Error> {
        let mut c = Composer::new(face, format!("通报　{}", self.number));
        c.text(&self.issuer, 16.0, Align::Centre, true);
        c.text("通　报", 22.0, Align::Centre, true);
        c.text(&self.title, 14.0, Align::Centre, false);
        c.space(6.0);
        c.split_line(
            &format!("编号：{}", self.number),
            &cn_date(self.issued_on),
            10.5,
        );
        c.rule(1.2);
        c.space(6.0);
        c.paragraph(&format!(
            "现将{}各单位民生警务诉求办理考核情况通报如下。",
            self.period
        ));
        for (heading, rows) in &self.sections {
            c.space(8.0);
            c.text(heading, 14.0, Align::Left, true);
            c.space(2.0);
            let body: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.rank.map_or_else(|| "—".into(), |n| n.to_string()),
                        r.unit.clone(),
                        r.score.map_or_else(|| "—".into(), |s| format!("{s:.1}")),
                        match r.board {
                            Board::Red => "红榜".into(),
                            Board::Black => "黑榜".into(),
                            Board::Neither => String::new(),
                        },
                        r.note.clone(),
                    ]
                })
                .collect();
            c.table(
                &[
                    Column {
                        share: 0.1,
                        align: Align::Centre,
                    },
                    Column {
                        share: 0.34,
                        align: Align::Left,
                    },
                    Column {
                        share: 0.12,
                        align: Align::Right,
                    },
                    Column {
                        share: 0.12,
                        align: Align::Centre,
                    },
                    Column {
                        share: 0.32,
                        align: Align::Left,
                    },
                ],
                Some(&["名次", "单位", "得分", "红黑榜", "备注"]),
                &body,
                10.5,
            );
            let names = |b: Board| {
                rows.iter()
                    .filter(|r| r.board == b)
                    .map(|r| r.unit.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            };
            let (red, black) = (names(Board::Red), names(Board::Black));
            if !red.is_empty() || !black.is_empty() {
                c.space(4.0);
                c.paragraph(&format!(
                    "红榜：{}；黑榜：{}。",
                    if red.is_empty() { "无" } else { &red },
                    if black.is_empty() { "无" } else { &black }
                ));
            }
        }
        if !self.notes.is_empty() {
            c.space(8.0);
            c.text("说明：", BODY, Align::Left, true);
            for (i, n) in self.notes.iter().enumerate() {
                c.paragraph(&format!("{}．{n}", i + 1));
            }
        }
        c.space(30.0);
        c.text(
            &format!("{}（盖章）", self.issuer),
            BODY,
            Align::Right,
            false,
        );
        c.text(&cn_date(self.issued_on), BODY, Align::Right, false);
        c.finish(&self.title)
    }
}
