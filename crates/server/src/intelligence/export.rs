//! `export-training`: the server's own history as training data, in the columns of
//! `police_labeled.csv`, for `minsheng-nlp retrain --history FILE.csv`.
//!
//! Labels are what the case finally carries, so a clerk's correction at dispatch (or a
//! re-dispatch after a return) is what the model learns. Transferred-out cases teach
//! "not a police matter".

use std::path::Path;

use minsheng_domain::case::CaseState;
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;

/// The label `minsheng-nlp` uses for "not a police matter" (category and unit type).
pub const NOT_POLICE: &str = "非公安";

const HEADER: [&str; 10] = [
    "source",
    "id",
    "title",
    "detail",
    "police_related",
    "category",
    "request_type",
    "unit_type",
    "district",
    "label_note",
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSummary {
    pub rows: u64,
    pub police: u64,
    pub not_police: u64,
}

/// Streams every dispatched and transferred-out case to `out` (CSV, UTF-8).
pub fn export_training(s: &AppState, out: &Path) -> Result<ExportSummary, ApiError> {
    let io = |e: std::io::Error| ApiError::Internal(format!("写入 {} 失败：{e}", out.display()));
    let csv_err = |e: csv::Error| ApiError::Internal(format!("写入 {} 失败：{e}", out.display()));
    let mut w = csv::Writer::from_path(out).map_err(csv_err)?;
    w.write_record(HEADER).map_err(csv_err)?;
    let org = s.org();
    let mut summary = ExportSummary::default();
    s.store.for_each_history_case(&mut |c| {
        let id = c.number.clone().unwrap_or_else(|| c.id.to_string());
        let district = c.district.clone().unwrap_or_default();
        let record: [&str; 10] = if c.state == CaseState::Transferred {
            summary.not_police += 1;
            [
                "server",
                &id,
                &c.title,
                &c.content,
                "0",
                NOT_POLICE,
                &c.request_type,
                NOT_POLICE,
                &district,
                "transferred",
            ]
        } else {
            summary.police += 1;
            let kind = c
                .handling_unit
                .and_then(|u| org.get(u))
                .map_or("", |u| u.kind.label_zh());
            [
                "server",
                &id,
                &c.title,
                &c.content,
                "1",
                c.category.as_deref().unwrap_or(""),
                &c.request_type,
                kind,
                &district,
                "dispatched",
            ]
        };
        summary.rows += 1;
        Ok(w.write_record(record).map_err(csv_err)?)
    })?;
    w.flush().map_err(io)?;
    Ok(summary)
}
