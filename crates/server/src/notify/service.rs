//! Window-service events (110 接处警, 户政, 出入境, 车驾管) from CSV/JSON feeds: each new
//! event gets its service's standard follow-up SMS; the answers land in `followups`.
//! Also 温馨提示 (e.g. a document is ready) from the `reminder.*` templates.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use minsheng_domain::calendar::beijing;
use serde::{Deserialize, Serialize};

use super::config::NotifyConfig;
use super::inbound::normalize_phone;
use super::templates::{self, is_mobile};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::notify::{FollowUpSubject, NewFollowUp, ServiceEvent};

/// Service codes and the names feeds use for them.
const SERVICES: &[(&str, &[&str])] = &[
    ("110", &["110", "110接处警", "接处警"]),
    ("household", &["household", "户政", "户政管理", "治安户政"]),
    ("exitEntry", &["exitEntry", "出入境"]),
    ("vehicle", &["vehicle", "车驾管", "车管"]),
];

/// `户政` for `household`, … (the second name of each service).
pub fn service_label(code: &str) -> &str {
    SERVICES
        .iter()
        .find(|(c, _)| *c == code)
        .and_then(|(_, names)| names.get(1).copied())
        .unwrap_or(code)
}

pub fn service_code(name: &str) -> Option<&'static str> {
    let n = name.trim();
    SERVICES
        .iter()
        .find(|(_, names)| names.iter().any(|x| x.eq_ignore_ascii_case(n)))
        .map(|(code, _)| *code)
}

/// One row of a feed (CSV header or JSON field names).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedRow {
    pub external_id: String,
    pub service: String,
    pub phone: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// RFC 3339, or `YYYY-MM-DD HH:MM` Beijing time.
    pub occurred_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    pub row: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub total: usize,
    pub accepted: usize,
    /// Seen in an earlier import (same source and external id): nothing sent again.
    pub duplicates: usize,
    pub rejected: usize,
    pub errors: Vec<RowError>,
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
                .ok()
                .and_then(|n| beijing().from_local_datetime(&n).single())
                .map(|t| t.with_timezone(&Utc))
        })
}

/// Parses a CSV (with header) or JSON array feed.
pub fn parse_feed(body: &[u8], json: bool) -> Result<Vec<FeedRow>, ApiError> {
    if json {
        return serde_json::from_slice(body)
            .map_err(|e| ApiError::BadRequest(format!("JSON 格式错误（{e}）")));
    }
    let mut rd = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    rd.deserialize()
        .enumerate()
        .map(|(i, r)| r.map_err(|e| ApiError::BadRequest(format!("第{}行：{e}", i + 2))))
        .collect()
}

fn to_event(source: &str, r: &FeedRow) -> Result<ServiceEvent, String> {
    let service = service_code(&r.service).ok_or_else(|| format!("未知业务类型“{}”", r.service))?;
    let phone = normalize_phone(&r.phone);
    if !is_mobile(&phone) {
        return Err(format!("“{}”不是手机号，无法短信回访", r.phone));
    }
    if r.external_id.trim().is_empty() {
        return Err("缺少业务编号 externalId".into());
    }
    let occurred_at =
        parse_time(&r.occurred_at).ok_or_else(|| format!("时间“{}”无效", r.occurred_at))?;
    Ok(ServiceEvent {
        id: format!("{source}:{}", r.external_id.trim()),
        service: service.to_owned(),
        phone,
        citizen_name: r.name.clone().filter(|n| !n.trim().is_empty()),
        unit_name: r.unit.clone().filter(|n| !n.trim().is_empty()),
        summary: r.summary.clone(),
        occurred_at,
    })
}

/// Stores new events and opens a follow-up round with its SMS for each.
pub fn import(
    s: &AppState,
    cfg: &NotifyConfig,
    source: &str,
    rows: &[FeedRow],
) -> Result<ImportReport, ApiError> {
    let mut report = ImportReport {
        total: rows.len(),
        ..ImportReport::default()
    };
    let mut events = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match to_event(source, r) {
            Ok(e) => events.push(e),
            Err(message) => report.errors.push(RowError {
                row: i + 1,
                message,
            }),
        }
    }
    report.rejected = report.errors.len();
    let fresh = s.store.insert_service_events(&events)?;
    report.duplicates = events.len() - fresh.len();
    let now = s.now();
    for e in &fresh {
        let key = format!("service:{}", e.id);
        let params = serde_json::json!({
            "date": e.occurred_at.with_timezone(&beijing()).format("%m月%d日").to_string(),
            "unitName": e.unit_name.clone().unwrap_or_else(|| "公安机关".into()),
            "name": e.citizen_name.clone().unwrap_or_default(),
        });
        let sms = templates::sms(
            s,
            key.clone(),
            &format!("service.{}", e.service),
            &e.phone,
            params,
        )?;
        s.store.open_followup(
            &NewFollowUp {
                event_key: key,
                subject: FollowUpSubject::Service {
                    event_id: e.id.clone(),
                    service: e.service.clone(),
                },
                phone: Some(e.phone.clone()),
                due_at: s.calendar.add_working_days(now, cfg.no_reply_working_days),
                sms: Some(sms),
            },
            now,
        )?;
    }
    report.accepted = fresh.len();
    Ok(report)
}

/// A 温馨提示 to a citizen; `key` makes a resubmission harmless. True when queued now.
pub fn reminder(
    s: &AppState,
    template: &str,
    phone: &str,
    params: serde_json::Value,
    key: &str,
) -> Result<bool, ApiError> {
    if !template.starts_with("reminder.") {
        return Err(ApiError::BadRequest(
            "温馨提示只能使用 reminder.* 模板".into(),
        ));
    }
    let phone = normalize_phone(phone);
    if !is_mobile(&phone) {
        return Err(ApiError::BadRequest("请填写有效的手机号".into()));
    }
    if key.trim().is_empty() || key.chars().count() > 100 {
        return Err(ApiError::BadRequest("key 不能为空且不超过100个字符".into()));
    }
    let sms = templates::sms(
        s,
        format!("reminder:{}", key.trim()),
        template,
        &phone,
        params,
    )?;
    s.store.enqueue_sms(&sms, s.now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_rows_validate() {
        let csv = "externalId,service,phone,name,unit,occurredAt\n\
                   A1,户政,13900000001,张三,泉城路派出所,2026-11-20 10:00\n\
                   A2,未知,13900000002,,,2026-11-20 10:00\n";
        let rows = parse_feed(csv.as_bytes(), false).unwrap();
        assert_eq!(rows.len(), 2);
        let e = to_event("hz", &rows[0]).unwrap();
        assert_eq!(e.id, "hz:A1");
        assert_eq!(e.service, "household");
        assert!(to_event("hz", &rows[1]).is_err());
        assert_eq!(service_code("110接处警"), Some("110"));
        assert_eq!(service_label("exitEntry"), "出入境");
    }
}
