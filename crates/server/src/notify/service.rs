//! Window-service events (110 接处警, 户政, 出入境, 车驾管) from CSV/JSON feeds: each new
//! event gets its service's standard follow-up SMS; the answers land in `followups`.
//! Also 温馨提示 (e.g. a document is ready) from the `reminder.*` templates.

use std::collections::hash_map::{Entry, HashMap};

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use minsheng_domain::calendar::beijing;
use minsheng_domain::ids::CaseId;
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::scope::can_see;
use serde::{Deserialize, Serialize};

use super::config::NotifyConfig;
use super::inbound::normalize_phone;
use super::templates::{self, is_mobile, mask};
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::notify::{
    FollowUpSubject, LimitedEnqueue, NewFollowUp, ServiceEvent, SmsLimit, SmsTemplate,
};
use minsheng_store::AuditRecord;

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

/// Stores new events and opens a follow-up round with its SMS for each, in one
/// transaction: a failure (or a crash) stores neither, so the feed sent again opens
/// every round once; an event seen before (key `service:{event}`) opens nothing.
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
    let now = s.now();
    let due_at = s
        .config()
        .calendar
        .add_working_days(now, cfg.no_reply_working_days);
    let mut rounds = Vec::with_capacity(events.len());
    // One template per service, read once per feed.
    let mut texts: HashMap<String, SmsTemplate> = HashMap::new();
    for e in events {
        let key = format!("service:{}", e.id);
        let params = serde_json::json!({
            "date": e.occurred_at.with_timezone(&beijing()).format("%m月%d日").to_string(),
            "unitName": e.unit_name.clone().unwrap_or_else(|| "公安机关".into()),
            "name": e.citizen_name.clone().unwrap_or_default(),
        });
        let code = format!("service.{}", e.service);
        let t = match texts.entry(code) {
            Entry::Occupied(t) => t.into_mut(),
            Entry::Vacant(v) => {
                let t = s
                    .store
                    .sms_template(v.key())?
                    .ok_or(ApiError::NotFound("短信模板"))?;
                v.insert(t)
            }
        };
        let sms = templates::sms_of(t, key.clone(), &e.phone, params);
        let round = NewFollowUp {
            event_key: key,
            subject: FollowUpSubject::Service {
                event_id: e.id.clone(),
                service: e.service.clone(),
            },
            phone: Some(e.phone.clone()),
            due_at,
            sms: Some(sms),
        };
        rounds.push((e, round));
    }
    let fresh = s.store.insert_service_events(&rounds, now)?;
    report.duplicates = rounds.len() - fresh.len();
    report.accepted = fresh.len();
    Ok(report)
}

/// Longest value of one template parameter of a 温馨提示 (characters).
pub const REMINDER_PARAM_MAX_CHARS: usize = 100;
/// Longest rendered 温馨提示 (characters; about two SMS segments).
pub const REMINDER_BODY_MAX_CHARS: usize = 300;
/// 温馨提示 one user may queue per rolling hour.
pub const REMINDER_PER_SENDER_PER_HOUR: u64 = 20;
/// 温馨提示 one number may receive per rolling 24 hours (whoever sends them).
pub const REMINDER_PER_PHONE_PER_DAY: u64 = 3;

/// Roles that may remind the citizen of a case they can see (`scope::can_see`).
pub const REMINDER_CASE_ROLES: &[Role] =
    &[Role::Clerk, Role::Officer, Role::UnitHead, Role::FollowUp];
/// Roles that may remind the citizen of a window-service event (they import and follow
/// up those events; the event's round is their only reference to it).
pub const REMINDER_SERVICE_ROLES: &[Role] = &[Role::Clerk, Role::FollowUp];

/// Whom a 温馨提示 goes to: the number is always taken from the record, never typed.
#[derive(Debug, Clone)]
pub enum ReminderTo {
    Case(CaseId),
    /// The follow-up round of a window-service event.
    ServiceRound(String),
}

impl ReminderTo {
    /// Exactly one reference; a typed `phone` is refused (no free numbers).
    pub fn from_request(
        case_id: Option<String>,
        followup_id: Option<String>,
        phone: Option<String>,
    ) -> Result<Self, ApiError> {
        if phone.is_some() {
            return Err(invalid(
                "REMINDER_FREE_NUMBER",
                "温馨提示不能发往手工填写的号码，请指定诉求件或窗口业务回访记录，由系统使用登记的手机号",
            ));
        }
        match (case_id, followup_id) {
            (Some(c), None) => Ok(Self::Case(
                c.trim().parse().map_err(|_| ApiError::NotFound("诉求件"))?,
            )),
            (None, Some(f)) => Ok(Self::ServiceRound(f.trim().to_owned())),
            _ => Err(invalid(
                "REMINDER_TARGET_REQUIRED",
                "请指定一个诉求件（caseId）或一条窗口业务回访记录（followupId）",
            )),
        }
    }
}

/// What became of an accepted request.
#[derive(Debug)]
pub enum ReminderOutcome {
    /// True when queued now; false when this sender already queued this key.
    Queued(bool),
    /// A rate limit: answer 429 with this stable code and Chinese message.
    Limited { code: &'static str, message: String },
}

fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid {
        code,
        message: message.into(),
    }
}

/// `{name}` placeholders of a template body, in order.
fn placeholders(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                if !name.is_empty() && !name.contains('{') && !out.contains(&name) {
                    out.push(name);
                }
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

/// Checks the parameters against the template: only its placeholders, every one given,
/// strings or numbers of at most `REMINDER_PARAM_MAX_CHARS` characters.
fn check_params(body: &str, params: &serde_json::Value) -> Result<(), ApiError> {
    let names = placeholders(body);
    let map = match params {
        serde_json::Value::Object(m) => m.clone(),
        serde_json::Value::Null => serde_json::Map::new(),
        _ => return Err(invalid("REMINDER_PARAMS_INVALID", "模板参数必须是键值对象")),
    };
    for (k, v) in &map {
        if !names.contains(&k.as_str()) {
            return Err(invalid(
                "REMINDER_PARAM_UNKNOWN",
                format!(
                    "该温馨提示模板没有参数“{k}”，可用参数：{}",
                    names.join("、")
                ),
            ));
        }
        let len = match v {
            serde_json::Value::String(s) => s.chars().count(),
            serde_json::Value::Number(n) => n.to_string().chars().count(),
            _ => {
                return Err(invalid(
                    "REMINDER_PARAMS_INVALID",
                    format!("参数“{k}”必须是文字或数字"),
                ))
            }
        };
        if len > REMINDER_PARAM_MAX_CHARS {
            return Err(invalid(
                "REMINDER_PARAM_TOO_LONG",
                format!("参数“{k}”不能超过{REMINDER_PARAM_MAX_CHARS}个字符"),
            ));
        }
    }
    if let Some(missing) = names.iter().find(|n| !map.contains_key(**n)) {
        return Err(invalid(
            "REMINDER_PARAM_MISSING",
            format!("缺少模板参数“{missing}”"),
        ));
    }
    Ok(())
}

/// The citizen's mobile number for `to`, if `actor` may reach them; the audit target.
fn recipient(s: &AppState, actor: &Actor, to: &ReminderTo) -> Result<(String, String), ApiError> {
    let phone = match to {
        ReminderTo::Case(id) => {
            if !REMINDER_CASE_ROLES.contains(&actor.role) {
                return Err(ApiError::Forbidden);
            }
            let c = s.store.case(*id)?.ok_or(ApiError::NotFound("诉求件"))?;
            if !can_see(actor, &c, &s.org()) {
                return Err(ApiError::NotFound("诉求件"));
            }
            c.citizen.phone.map(|p| p.as_str().to_owned())
        }
        ReminderTo::ServiceRound(id) => {
            if !REMINDER_SERVICE_ROLES.contains(&actor.role) {
                return Err(ApiError::Forbidden);
            }
            let f = s
                .store
                .followup(id)?
                .filter(|f| f.service_event_id.is_some())
                .ok_or(ApiError::NotFound("窗口业务回访记录"))?;
            f.phone
        }
    };
    let phone = phone.map(|p| normalize_phone(&p)).unwrap_or_default();
    if !is_mobile(&phone) {
        return Err(invalid(
            "REMINDER_NO_MOBILE",
            "该群众未登记手机号，无法发送温馨提示短信",
        ));
    }
    let target = match to {
        ReminderTo::Case(id) => format!("case:{id}"),
        ReminderTo::ServiceRound(id) => format!("followup:{id}"),
    };
    Ok((phone, target))
}

/// A 温馨提示 to the citizen of a case or window-service event the sender may see:
/// parameters checked against the template, rate-limited per sender and per number
/// (counted in the outbox), audited with the masked number. `key` (the business event)
/// makes a resubmission by the same sender harmless.
pub fn reminder(
    s: &AppState,
    actor: &Actor,
    to: &ReminderTo,
    template: &str,
    params: serde_json::Value,
    key: &str,
) -> Result<ReminderOutcome, ApiError> {
    if !template.starts_with("reminder.") {
        return Err(ApiError::BadRequest(
            "温馨提示只能使用 reminder.* 模板".into(),
        ));
    }
    if key.trim().is_empty() || key.chars().count() > 100 {
        return Err(ApiError::BadRequest("key 不能为空且不超过100个字符".into()));
    }
    let (phone, target) = recipient(s, actor, to)?;
    let t = s
        .store
        .sms_template(template)?
        .ok_or(ApiError::NotFound("短信模板"))?;
    check_params(&t.body, &params)?;
    // The key's length makes the event key a prefix of no other (exact lookup below).
    let key = key.trim();
    let event_key = format!("reminder:{}:{}:{key}", actor.user_id, key.chars().count());
    let sms = templates::sms(s, event_key.clone(), template, &phone, params)?;
    if sms.body.chars().count() > REMINDER_BODY_MAX_CHARS {
        return Err(invalid(
            "REMINDER_TOO_LONG",
            format!("短信内容不能超过{REMINDER_BODY_MAX_CHARS}个字符，请精简参数"),
        ));
    }
    let now = s.now();
    // Checked and queued in one transaction: two instances cannot both take the last
    // place. A resubmission (same event key) is harmless and not counted.
    let limits = [
        SmsLimit {
            event_key_prefix: format!("reminder:{}:", actor.user_id),
            phone: None,
            since: now - Duration::hours(1),
            max: REMINDER_PER_SENDER_PER_HOUR,
        },
        SmsLimit {
            event_key_prefix: "reminder:".into(),
            phone: Some(phone.clone()),
            since: now - Duration::hours(24),
            max: REMINDER_PER_PHONE_PER_DAY,
        },
    ];
    let queued = match s.store.enqueue_sms_within(&sms, &limits, now)? {
        LimitedEnqueue::Queued(queued) => queued,
        LimitedEnqueue::Limited(0) => {
            return Ok(ReminderOutcome::Limited {
                code: "REMINDER_SENDER_LIMIT",
                message: format!(
                    "每人每小时最多发送{REMINDER_PER_SENDER_PER_HOUR}条温馨提示，请稍后再试"
                ),
            })
        }
        LimitedEnqueue::Limited(_) => {
            return Ok(ReminderOutcome::Limited {
                code: "REMINDER_RECIPIENT_LIMIT",
                message: format!(
                    "该号码24小时内已收到{REMINDER_PER_PHONE_PER_DAY}条温馨提示，请明天再发送"
                ),
            })
        }
    };
    if queued {
        s.store.audit(&AuditRecord {
            at: now,
            user_id: actor.user_id,
            action: "smsReminder".into(),
            target,
            detail: format!("{template} {} key={key}", mask(&phone)),
        })?;
    }
    Ok(ReminderOutcome::Queued(queued))
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

    #[test]
    fn reminder_params_follow_the_template() {
        let body = "{name}您好，{item}已办好，到{place}领取。{name}";
        assert_eq!(placeholders(body), vec!["name", "item", "place"]);
        let ok = serde_json::json!({"name": "王", "item": "身份证", "place": "窗口"});
        assert!(check_params(body, &ok).is_ok());
        let code = |p: serde_json::Value| check_params(body, &p).unwrap_err().code();
        assert_eq!(
            code(serde_json::json!({"name": "王", "item": "x", "place": "y", "url": "z"})),
            "REMINDER_PARAM_UNKNOWN"
        );
        assert_eq!(
            code(serde_json::json!({"name": "王", "item": "x"})),
            "REMINDER_PARAM_MISSING"
        );
        let long = "长".repeat(REMINDER_PARAM_MAX_CHARS + 1);
        assert_eq!(
            code(serde_json::json!({"name": long, "item": "x", "place": "y"})),
            "REMINDER_PARAM_TOO_LONG"
        );
    }
}
