//! Excel export (.xlsx, Chinese headers) of score boards and reports, via rust_xlsxwriter.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::board::ScoreRow;
use super::reports::ReportBody;
use crate::error::ApiError;
use minsheng_store::assessment::BucketCounts;

pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const SCORE_HEADERS: &[&str] = &[
    "排名",
    "上期排名",
    "名次变化",
    "单位",
    "民警",
    "综合得分",
    "接收件数",
    "按时签收率(%)",
    "按时答复率(%)",
    "退办件数",
    "退办率(%)",
    "重办率(%)",
    "满意率(%)",
    "重复件数",
    "重复件占比(%)",
    "逾期件数",
];

/// A workbook that could not be written, as the API's error (every export's).
pub(crate) fn xe(e: XlsxError) -> ApiError {
    ApiError::Internal(format!("xlsx: {e}"))
}

/// The bold, frozen header row of a sheet; columns `narrow` wide, except `wide` (index,
/// width) for the one column of names or text.
pub(crate) fn header_row(
    ws: &mut Worksheet,
    headers: &[&str],
    bold: &Format,
    narrow: f64,
    wide: (usize, f64),
) -> Result<(), XlsxError> {
    for (i, h) in headers.iter().enumerate() {
        let col = u16::try_from(i).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, col, *h, bold)?;
        ws.set_column_width(col, if i == wide.0 { wide.1 } else { narrow })?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn header(ws: &mut Worksheet, headers: &[&str], bold: &Format) -> Result<(), XlsxError> {
    header_row(ws, headers, bold, 13.0, (3, 24.0))
}

fn opt(ws: &mut Worksheet, row: u32, col: u16, v: Option<f64>) -> Result<(), XlsxError> {
    if let Some(v) = v {
        ws.write_number(row, col, v)?;
    }
    Ok(())
}

fn score_sheet(
    wb: &mut Workbook,
    name: &str,
    rows: &[ScoreRow],
    bold: &Format,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    header(ws, SCORE_HEADERS, bold)?;
    for (i, r) in rows.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        match (r.rank, &r.unranked) {
            (None, Some(why)) => {
                ws.write_string(row, 0, why)?;
            }
            (rank, _) => opt(ws, row, 0, rank.map(f64::from))?,
        }
        opt(ws, row, 1, r.previous_rank.map(f64::from))?;
        opt(ws, row, 2, r.movement.map(|m| m as f64))?;
        ws.write_string(row, 3, &r.unit_name)?;
        ws.write_string(row, 4, r.officer_name.as_deref().unwrap_or(""))?;
        opt(ws, row, 5, r.score)?;
        let c = &r.counts;
        ws.write_number(row, 6, c.received as f64)?;
        opt(ws, row, 7, r.rates.sign_in_on_time)?;
        opt(ws, row, 8, r.rates.reply_on_time)?;
        ws.write_number(row, 9, c.returned as f64)?;
        opt(ws, row, 10, r.rates.return_rate)?;
        opt(ws, row, 11, r.rates.rehandle_rate)?;
        opt(ws, row, 12, r.rates.satisfaction)?;
        ws.write_number(row, 13, c.duplicates as f64)?;
        opt(ws, row, 14, r.rates.duplicate_share)?;
        ws.write_number(row, 15, c.overdue as f64)?;
    }
    Ok(())
}

fn category_sheet(
    wb: &mut Workbook,
    rows: &[BucketCounts],
    bold: &Format,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name("类别统计")?;
    header(
        ws,
        &["诉求类别", "件数", "已关闭", "已回访", "不满意", "重复件"],
        bold,
    )?;
    ws.set_column_width(0, 20)?;
    for (i, b) in rows.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        ws.write_string(row, 0, b.key.as_deref().unwrap_or("未分类"))?;
        for (col, v) in [b.count, b.closed, b.answered, b.unsatisfied, b.duplicates]
            .iter()
            .enumerate()
        {
            ws.write_number(row, u16::try_from(col + 1).unwrap_or(1), *v as f64)?;
        }
    }
    Ok(())
}

/// One sheet of score rows.
pub fn board_xlsx(title: &str, rows: &[ScoreRow]) -> Result<Vec<u8>, ApiError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    score_sheet(&mut wb, title, rows, &bold).map_err(xe)?;
    wb.save_to_buffer().map_err(xe)
}

/// A report: station and branch boards, and the categories.
pub fn report_xlsx(body: &ReportBody) -> Result<Vec<u8>, ApiError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    score_sheet(&mut wb, "科所队考核", &body.stations, &bold).map_err(xe)?;
    score_sheet(&mut wb, "分局考核", &body.branches, &bold).map_err(xe)?;
    category_sheet(&mut wb, &body.categories, &bold).map_err(xe)?;
    wb.save_to_buffer().map_err(xe)
}
