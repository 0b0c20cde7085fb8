//! Bulk intake of a channel feed (CSV or JSON) with a result per row. Used by the
//! HTTP endpoint and by the `import` CLI command.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use minsheng_domain::calendar::beijing;
use minsheng_domain::case::{Case, Channel, Urgency};
use minsheng_domain::role::Actor;
use minsheng_domain::workflow::{self, NewCase};
use serde::Serialize;

use crate::cases::intake_entry;
use crate::error::ApiError;
use crate::intelligence::{self, DuplicateView, SuggestionBrief};
use crate::state::AppState;
use minsheng_store::bulk::ImportStart;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowResult {
    /// 1-based data row (the header is row 0).
    pub row: usize,
    pub ok: bool,
    pub case_id: Option<String>,
    pub number: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    /// Accepted rows, when the server has a model. `policeRelated: false` marks a row
    /// for 转其他部门 (stored like any other; never transferred automatically).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<SuggestionBrief>,
    /// Accepted rows: open or recent cases (or earlier rows) that may be the same matter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<Vec<DuplicateView>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkResult {
    pub channel: String,
    pub total: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub rows: Vec<RowResult>,
    /// Ids of accepted cases the model judges not police-related (empty without a
    /// model), so the clerk can review and transfer them in one go.
    pub not_police_related: Vec<String>,
}

/// Column names accepted in CSV headers, English or Chinese.
fn field_of(header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('\u{feff}');
    Some(match h {
        "title" | "标题" => "title",
        "content" | "detail" | "内容" | "诉求内容" | "留言详情" => "content",
        "citizenName" | "name" | "姓名" | "群众姓名" | "反映人" => "citizenName",
        "citizenPhone" | "phone" | "电话" | "联系电话" | "手机号" => "citizenPhone",
        "citizenIdCard" | "idCard" | "身份证号" => "citizenIdCard",
        "address" | "地址" => "address",
        "district" | "区县" => "district",
        "receivedAt" | "time" | "受理时间" | "留言时间" => "receivedAt",
        "requestType" | "诉求类型" => "requestType",
        "category" | "诉求类别" => "category",
        "urgency" | "紧急程度" => "urgency",
        "channel" | "渠道" => "channel",
        "leader" | "leaderName" | "批示领导" => "leaderName",
        "instruction" | "leaderInstruction" | "批示内容" => "leaderInstruction",
        _ => return None,
    })
}

/// Accepts RFC 3339 or `YYYY-MM-DD HH:mm[:ss]` in Beijing time.
fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            if let Some(t) = beijing().from_local_datetime(&n).single() {
                return Ok(t.with_timezone(&Utc));
            }
        }
    }
    Err(format!("时间“{s}”格式无效，应为 YYYY-MM-DD HH:mm"))
}

fn row_to_new_case(
    fields: &HashMap<&'static str, String>,
    channel: Channel,
) -> Result<NewCase, String> {
    let get = |k: &str| {
        fields
            .get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let channel = match get("channel") {
        Some(c) => c
            .parse()
            .map_err(|e: minsheng_domain::DomainError| e.to_string())?,
        None => channel,
    };
    Ok(NewCase {
        id: None,
        channel,
        request_type: match get("requestType") {
            Some(t) => t
                .parse()
                .map_err(|e: minsheng_domain::DomainError| e.to_string())?,
            None => minsheng_domain::case::RequestType::Consultation,
        },
        category: get("category"),
        title: get("title").unwrap_or_default(),
        content: get("content").unwrap_or_default(),
        citizen_name: get("citizenName").unwrap_or_default(),
        citizen_phone: get("citizenPhone"),
        citizen_id_card: get("citizenIdCard"),
        address: get("address"),
        district: get("district"),
        received_at: get("receivedAt").map(|t| parse_time(&t)).transpose()?,
        urgency: match get("urgency") {
            Some(u) => u
                .parse()
                .map_err(|e: minsheng_domain::DomainError| e.to_string())?,
            None => Urgency::Ordinary,
        },
        flags: minsheng_domain::case::CaseFlags::default(),
        // 领导批示 rows carry the leader and the instruction (the domain requires both
        // there and refuses them elsewhere, with the row's own message).
        leader_instruction: match (get("leaderName"), get("leaderInstruction")) {
            (None, None) => None,
            (leader, instruction) => Some(minsheng_domain::case::LeaderInstruction {
                leader: leader.unwrap_or_default(),
                instruction: instruction.unwrap_or_default(),
            }),
        },
    })
}

/// Parses a feed into rows (each a request or the reason it is unusable).
pub fn parse_feed(
    body: &[u8],
    json: bool,
    channel: Channel,
) -> Result<Vec<Result<NewCase, String>>, ApiError> {
    if json {
        let rows: Vec<serde_json::Value> = serde_json::from_slice(body)
            .map_err(|e| ApiError::BadRequest(format!("JSON 必须是诉求对象的数组（{e}）")))?;
        return Ok(rows
            .into_iter()
            .map(|v| {
                let mut obj = v;
                if let Some(o) = obj.as_object_mut() {
                    o.entry("channel")
                        .or_insert_with(|| serde_json::json!(channel));
                }
                serde_json::from_value::<NewCase>(obj).map_err(|e| format!("字段不符合要求：{e}"))
            })
            .collect());
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = rdr
        .headers()
        .map_err(|e| ApiError::BadRequest(format!("CSV 表头无法读取：{e}")))?
        .clone();
    let map: Vec<Option<&'static str>> = headers.iter().map(field_of).collect();
    if !map.contains(&Some("title")) || !map.contains(&Some("content")) {
        return Err(ApiError::BadRequest(
            "CSV 必须包含“标题(title)”和“内容(content)”两列".into(),
        ));
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        out.push(match rec {
            Ok(r) => {
                let fields: HashMap<&'static str, String> = map
                    .iter()
                    .zip(r.iter())
                    .filter_map(|(k, v)| k.map(|k| (k, v.to_owned())))
                    .collect();
                row_to_new_case(&fields, channel)
            }
            Err(e) => Err(format!("CSV 行格式错误：{e}")),
        });
    }
    Ok(out)
}

/// Longest `Idempotency-Key` of a bulk import (characters).
pub const IDEMPOTENCY_KEY_MAX_CHARS: usize = 200;

/// A bulk import over HTTP: the feed parsed and imported, under the caller's
/// `Idempotency-Key` when given. The key names one import of one user: sent again with
/// the same feed it answers the first import's answer and stores nothing new (after a
/// failure half-way, only the rows not stored yet); with another feed it is refused.
/// Returns the answer as sent.
pub fn import_feed(
    s: &AppState,
    actor: &Actor,
    channel: Channel,
    body: &[u8],
    json: bool,
    key: Option<&str>,
) -> Result<serde_json::Value, ApiError> {
    let rows = || {
        let rows = parse_feed(body, json, channel)?;
        if rows.len() > s.settings.bulk_max_rows {
            return Err(ApiError::BadRequest(format!(
                "一次最多导入 {} 条",
                s.settings.bulk_max_rows
            )));
        }
        Ok(rows)
    };
    let Some(key) = key else {
        return Ok(serde_json::to_value(import_rows(
            s,
            actor,
            channel,
            rows()?,
        )?)?);
    };
    let key = key.trim();
    if key.is_empty() || key.chars().count() > IDEMPOTENCY_KEY_MAX_CHARS {
        return Err(ApiError::BadRequest(format!(
            "Idempotency-Key 不能为空且不超过{IDEMPOTENCY_KEY_MAX_CHARS}个字符"
        )));
    }
    let hash = request_hash(channel, json, body);
    let stored = match s
        .store
        .begin_bulk_import(actor.user_id, key, &hash, s.now())?
    {
        ImportStart::Done(answer) => return Ok(answer),
        ImportStart::Mismatch => {
            return Err(ApiError::Invalid {
                code: "IDEMPOTENCY_KEY_REUSED",
                message: "该导入标识（Idempotency-Key）已用于另一批数据，新的导入请使用新的标识"
                    .into(),
            })
        }
        ImportStart::Open(stored) => stored,
    };
    let keyed = Keyed {
        key,
        stored: stored.into_iter().collect(),
    };
    let result = import_into(s, actor, channel, rows()?, Some(keyed))?;
    Ok(s.store
        .finish_bulk_import(actor.user_id, key, &serde_json::to_value(&result)?)?)
}

/// SHA-256 of what a key stands for: the channel, the format and the feed's bytes.
fn request_hash(channel: Channel, json: bool, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(channel.label_zh().as_bytes());
    h.update([0, u8::from(json), 0]);
    h.update(body);
    hex::encode(h.finalize())
}

/// A keyed import under way: its key, and the rows an earlier attempt stored (by
/// 0-based row index).
struct Keyed<'a> {
    key: &'a str,
    stored: HashMap<usize, Case>,
}

/// Validates every row through the domain intake and stores the valid ones
/// (in chunks, each chunk one transaction). Invalid rows are reported, never stored.
pub fn import_rows(
    s: &AppState,
    actor: &Actor,
    channel: Channel,
    rows: Vec<Result<NewCase, String>>,
) -> Result<BulkResult, ApiError> {
    import_into(s, actor, channel, rows, None)
}

/// `import_rows`; under a key, each stored row is recorded with its case in the chunk's
/// transaction, and rows stored by an earlier attempt are reported, not stored again.
fn import_into(
    s: &AppState,
    actor: &Actor,
    channel: Channel,
    rows: Vec<Result<NewCase, String>>,
    mut keyed: Option<Keyed<'_>>,
) -> Result<BulkResult, ApiError> {
    let now = s.now();
    let total = rows.len();
    let mut results: Vec<RowResult> = Vec::with_capacity(total);
    let mut pending = Vec::new();
    // A JSON row may carry its own case id: one already stored, or given to an earlier
    // row of the feed, refuses the row (never the whole feed).
    let mut ids = std::collections::HashSet::new();
    for (i, row) in rows.into_iter().enumerate() {
        // Stored by an earlier attempt under the same key: reported as it was stored
        // (the suggestion and duplicate candidates went with the lost answer).
        if let Some(c) = keyed.as_mut().and_then(|k| k.stored.remove(&i)) {
            results.push(RowResult {
                row: i + 1,
                ok: true,
                case_id: Some(c.id.to_string()),
                number: c.number,
                code: None,
                message: None,
                suggestion: None,
                duplicates: None,
            });
            continue;
        }
        let taken = match row.as_ref().ok().and_then(|n| n.id) {
            Some(id) => !ids.insert(id) || s.store.case(id)?.is_some(),
            None => false,
        };
        let built = row.map_err(|m| ("BAD_ROW".to_owned(), m)).and_then(|n| {
            if taken {
                let id = n.id.map(|id| id.to_string()).unwrap_or_default();
                let e = ApiError::AlreadyExists(format!("诉求件 id {id}"));
                return Err((e.code().to_owned(), e.to_string()));
            }
            workflow::intake(&n, actor, now).map_err(|e| (e.code().to_owned(), e.to_string()))
        });
        match built {
            Ok(c) => {
                let entry = intake_entry(&c, actor, now, None);
                pending.push((i, c, entry));
            }
            Err((code, message)) => results.push(RowResult {
                row: i + 1,
                ok: false,
                case_id: None,
                number: None,
                code: Some(code),
                message: Some(message),
                suggestion: None,
                duplicates: None,
            }),
        }
    }
    let org = s.org();
    let mut not_police_related = Vec::new();
    // Other instances' intakes join the duplicate index before this feed's rows are
    // stored: a row then matches them and the earlier rows of its own feed.
    intelligence::before_lookup(s);
    for chunk in pending.chunks(1000) {
        let stored: Vec<(usize, Case)> = match &keyed {
            Some(k) => s.store.insert_import_cases(
                &org,
                actor.user_id,
                k.key,
                chunk
                    .iter()
                    .map(|(i, c, e)| (*i, c.clone(), vec![e.clone()]))
                    .collect(),
            )?,
            None => {
                let rows = chunk.iter().map(|(i, _, _)| *i);
                let cases = s.store.insert_cases(
                    &org,
                    chunk
                        .iter()
                        .map(|(_, c, e)| (c.clone(), vec![e.clone()]))
                        .collect(),
                )?;
                rows.zip(cases).collect()
            }
        };
        for (i, c) in stored {
            // In row order, so a row can match an earlier row of the same feed.
            let extras = intelligence::on_bulk_row(s, actor, &org, &c);
            if extras
                .suggestion
                .as_ref()
                .is_some_and(|x| !x.police_related)
            {
                not_police_related.push(c.id.to_string());
            }
            results.push(RowResult {
                row: i + 1,
                ok: true,
                case_id: Some(c.id.to_string()),
                number: c.number,
                code: None,
                message: None,
                suggestion: extras.suggestion,
                duplicates: Some(extras.duplicates),
            });
        }
    }
    results.sort_by_key(|r| r.row);
    let accepted = results.iter().filter(|r| r.ok).count();
    Ok(BulkResult {
        channel: channel.label_zh().to_owned(),
        total,
        accepted,
        rejected: total - accepted,
        rows: results,
        not_police_related,
    })
}
