//! The generated PDFs read back by an independent extractor (poppler's pdftotext, pdfinfo and
//! pdffonts; scripts/setup.sh installs poppler-utils): the Chinese text comes out, long
//! timelines break over pages with the page numbers, the font is embedded as a subset with a
//! ToUnicode map, and hostile input neither panics nor loses characters silently.

use std::io::Write;
use std::process::Command;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use minsheng_documents::{
    Board, Bulletin, CaseSheet, RankRow, Rendered, ReplyLetter, TimelineRow, Typeface, UrgeNotice,
    BUNDLED_FONT, REPLACEMENT,
};

fn face() -> Typeface {
    Typeface::from_bytes(BUNDLED_FONT.to_vec(), "SC").expect("the bundled font loads")
}

fn at(day: u32, h: u32, m: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 12, day)
        .unwrap()
        .and_hms_opt(h, m, 0)
        .unwrap()
}

/// Runs a poppler tool on the PDF and returns its standard output.
fn poppler(tool: &str, pdf: &[u8], extra: &[&str]) -> String {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(pdf).unwrap();
    let out = Command::new(tool)
        .args(extra)
        .arg(file.path())
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| panic!("{tool} is needed (apt-get install poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The text as extracted, without the layout's spaces and line breaks.
fn text(r: &Rendered) -> String {
    poppler("pdftotext", &r.pdf, &[])
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn pages(r: &Rendered) -> usize {
    let info = poppler("pdfinfo", &r.pdf, &[]);
    let line = info
        .lines()
        .find(|l| l.starts_with("Pages:"))
        .expect("pdfinfo reports pages");
    line["Pages:".len()..].trim().parse().unwrap()
}

fn sheet(steps: usize) -> CaseSheet {
    CaseSheet {
        bureau: "A市公安局".into(),
        number: "MS202612070001".into(),
        title: "小区门口夜间噪音扰民".into(),
        channel: "12345热线".into(),
        request_type: "投诉".into(),
        category: "治安管理".into(),
        urgency: "普通".into(),
        state: "办理中".into(),
        received_at: at(1, 9, 30),
        citizen_name: "张*".into(),
        citizen_phone: "138****5678".into(),
        address: "A3区联丰路米兰春天G2栋".into(),
        content: "每晚十点后有烧烤摊占道经营，噪音很大，影响休息。".into(),
        handling_unit: "A3分局联丰派出所".into(),
        supervising_unit: "A3分局".into(),
        co_units: String::new(),
        deadlines: vec![("答复期限".into(), at(8, 17, 30))],
        timeline: (0..steps)
            .map(|i| TimelineRow {
                at: at(1, 9, 30) + Duration::minutes(i as i64 * 7),
                actor: format!("民警{i}"),
                unit: "A3分局联丰派出所".into(),
                action: "添加备注".into(),
                note: format!("第{i}步：已联系诉求人，约定上门核实情况。"),
            })
            .collect(),
        reply: Some("经核实，已联合城管部门清理占道烧烤摊。".into()),
        printed_at: at(7, 10, 0),
        printed_by: "李督办".into(),
    }
}

fn notice() -> UrgeNotice {
    UrgeNotice {
        issuer_unit: "A市公安局A3分局".into(),
        notice_number: "督办〔2026〕MS202612070001-1".into(),
        to_unit: "A3分局联丰派出所".into(),
        case_number: "MS202612070001".into(),
        case_title: "小区门口夜间噪音扰民".into(),
        received_at: at(1, 9, 30),
        case_summary: "每晚十点后有烧烤摊占道经营。".into(),
        requirement: "请于两个工作日内上门核实并答复。".into(),
        deadline: Some(at(8, 17, 30)),
        urge_count: 2,
        supervisor: "李督办".into(),
        issued_on: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
    }
}

#[test]
fn urge_notice_text_reads_back() {
    let r = notice().render(&face()).unwrap();
    let t = text(&r);
    for want in [
        "督办通知单",
        "A3分局联丰派出所",
        "MS202612070001",
        "请于两个工作日内上门核实并答复。",
        "2026年12月7日",
        "第1页/共1页",
    ] {
        assert!(t.contains(want), "{want} not in {t}");
    }
    assert_eq!(pages(&r), 1);
    assert!(r.missing_chars.is_empty());
}

#[test]
fn font_is_embedded_as_a_subset_with_unicode_map() {
    let r = notice().render(&face()).unwrap();
    let fonts = poppler("pdffonts", &r.pdf, &[]);
    // name type encoding emb sub uni ...: one font, embedded, subset (ABCDEF+ prefix), ToUnicode.
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(rows.len(), 1, "{fonts}");
    let cols: Vec<&str> = rows[0].split_whitespace().collect();
    assert!(cols[0].chars().nth(6) == Some('+'), "subset tag: {fonts}");
    let n = cols.len();
    assert_eq!(
        &cols[n - 5..n - 2],
        &["yes", "yes", "yes"],
        "emb sub uni: {fonts}"
    );
    // Subset: the 2 MB font shrinks to what one page uses.
    assert!(r.pdf.len() < 120_000, "{} bytes", r.pdf.len());
}

#[test]
fn long_timeline_breaks_over_pages_with_numbers() {
    let r = sheet(120).render(&face()).unwrap();
    let n = pages(&r);
    assert!(n >= 4, "120 steps on {n} pages");
    assert_eq!(n, r.pages);
    let t = text(&r);
    assert!(t.contains(&format!("第{n}页/共{n}页")), "{t}");
    // Every step is printed once, the header row on each page.
    for i in [0, 59, 119] {
        assert!(t.contains(&format!("第{i}步：")), "step {i}");
    }
    // The header row on every page the table reaches (the signature may end on a page of its own).
    let headers = t.matches("经办人／单位").count();
    assert!(
        headers == n || headers == n - 1,
        "{headers} header rows on {n} pages"
    );
    for want in [
        "民生诉求办理单",
        "张*",
        "138****5678",
        "答复期限：2026年12月8日17:30",
        "经核实，已联合城管部门",
    ] {
        assert!(t.contains(want), "{want}");
    }
}

#[test]
fn hostile_input_does_not_panic_and_stand_ins_are_listed() {
    let mut s = sheet(0);
    s.content = "噪音扰民，".repeat(20_000); // 100 KB
    s.title = "表情😀与私用区\u{E000}字符\u{200B}".into();
    s.citizen_name = String::new();
    let r = s.render(&face()).unwrap();
    assert!(r.pages > 5, "100 KB content over {} pages", r.pages);
    let t = text(&r);
    assert!(t.contains("（无办理记录）"));
    assert!(
        t.contains(&format!("表情{REPLACEMENT}与私用区{REPLACEMENT}字符")),
        "visible stand-ins"
    );
    assert!(r.missing_chars.contains(&'😀') && r.missing_chars.contains(&'\u{E000}'));
    assert!(
        !r.missing_chars.contains(&'\u{200B}'),
        "invisible marks are dropped, not replaced"
    );
}

#[test]
fn reply_letter_and_bulletin_read_back() {
    let letter = ReplyLetter {
        unit: "A3分局联丰派出所".into(),
        citizen_name: "张三".into(),
        case_number: "MS202612070001".into(),
        case_title: "小区门口夜间噪音扰民".into(),
        received_at: at(1, 9, 30),
        reply: "经核实，已联合城管部门清理占道烧烤摊。\n今后将加强夜间巡逻。".into(),
        issued_on: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
    };
    let t = text(&letter.render(&face()).unwrap());
    for want in [
        "关于民生诉求的答复函",
        "张三：",
        "您于2026年12月1日反映的“小区门口夜间噪音扰民”问题",
        "今后将加强夜间巡逻。",
        "特此函复。",
    ] {
        assert!(t.contains(want), "{want} not in {t}");
    }
    let row = |rank, unit: &str, score, board| RankRow {
        rank,
        unit: unit.into(),
        score,
        board,
        note: String::new(),
    };
    let b = Bulletin {
        issuer: "A市公安局".into(),
        title: "民生警务考核周报：2026年第49周".into(),
        number: "2026-W49".into(),
        period: "2026年11月30日至2026年12月6日".into(),
        sections: vec![(
            "派出所排名".into(),
            vec![
                row(Some(1), "联丰派出所", Some(96.54), Board::Red),
                row(Some(2), "洞井派出所", Some(80.0), Board::Neither),
                row(None, "新开派出所", None, Board::Black),
            ],
        )],
        notes: vec!["得分按市局考核办法计算。".into()],
        issued_on: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
    };
    let t = text(&b.render(&face()).unwrap());
    for want in [
        "通报",
        "民生警务考核周报：2026年第49周",
        "1联丰派出所96.5",
        "红榜：联丰派出所；黑榜：新开派出所。",
        "得分按市局考核办法计算。",
    ] {
        assert!(t.contains(want), "{want} not in {t}");
    }
}

#[test]
fn reports_typical_sizes() {
    // Printed with --nocapture for the record; bounded so a regression to full-font embedding fails.
    let f = face();
    for (name, r) in [
        ("督办通知单", notice().render(&f).unwrap()),
        ("办理单 (12 steps)", sheet(12).render(&f).unwrap()),
        ("办理单 (120 steps)", sheet(120).render(&f).unwrap()),
    ] {
        println!("{name}: {} pages, {} bytes", r.pages, r.pdf.len());
        if let Some(dir) = std::env::var_os("MINSHENG_DOCS_OUT") {
            std::fs::write(
                std::path::Path::new(&dir).join(format!("{}.pdf", name.replace(' ', ""))),
                &r.pdf,
            )
            .unwrap();
        }
        assert!(r.pdf.len() < 300_000, "{name}: {} bytes", r.pdf.len());
    }
}
