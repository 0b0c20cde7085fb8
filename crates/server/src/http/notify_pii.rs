//! Citizens' numbers in the notify area (PIPL): every list shows phone numbers masked
//! (`138****5678`) for every role, and numbers inside free text (citizens' replies, SMS
//! bodies, gateway errors, staff notices) are masked too. The full number of a follow-up
//! round is revealed one round at a time by `GET /followups/{id}/phone`, checked and
//! audited like `GET /cases/{id}/citizen`.

use axum::extract::{Path, State};
use axum::Json;
use minsheng_domain::ids::CaseId;
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::scope::can_see;
use serde::Serialize;

use crate::auth::Authed;
use crate::error::ApiError;
use crate::state::{AppState, SharedState};
use minsheng_store::notify::{
    FollowUpRecord, FollowUpStatus, InboundRecord, OutboxMessage, StaffNotification,
};
use minsheng_store::AuditRecord;

// ---------------------------------------------------------------- masking

/// `138****5678` (landlines alike): the domain's one rule, also the desktop's.
pub use minsheng_domain::citizen::mask_phone;

/// How many leading and trailing digits of a number stay visible, if `d` is one:
/// mobile (also with `86`), landline with area code, or 15+ digits (ID card, bank card).
fn visible_ends(d: &[char]) -> Option<(usize, usize)> {
    let mobile = |d: &[char]| d.len() == 11 && d[0] == '1' && ('3'..='9').contains(&d[1]);
    match d.len() {
        11 if mobile(d) => Some((3, 4)),
        13 if d[..2] == ['8', '6'] && mobile(&d[2..]) => Some((5, 4)),
        10..=12 if d[0] == '0' => Some((3, 4)),
        15.. => Some((6, 4)),
        _ => None,
    }
}

/// Masks phone, ID-card and other long numbers inside free text: digit runs, an ID's
/// trailing `X`, and numbers written in groups (`138 1234 5678`, `0531-86081234`).
pub fn redact(text: &str) -> String {
    let mut out: Vec<char> = text.chars().collect();
    // Maximal digit runs as [start, end) char positions.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < out.len() {
        if out[i].is_ascii_digit() {
            let start = i;
            while i < out.len() && out[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 17 && matches!(out.get(i), Some('X' | 'x')) {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    let mut done = vec![false; runs.len()];
    for (k, &(a, b)) in runs.iter().enumerate() {
        let digits: Vec<char> = out[a..b].to_vec();
        if let Some(ends) = visible_ends(&digits) {
            hide(&mut out, &(a..b).collect::<Vec<_>>(), ends);
            done[k] = true;
        }
    }
    // Two or three runs joined by single separators that together form a phone number.
    for k in 0..runs.len() {
        for last in (k + 1)..runs.len().min(k + 3) {
            let group = &runs[k..=last];
            let joined_by_separators = group
                .windows(2)
                .all(|w| w[1].0 == w[0].1 + 1 && matches!(out[w[0].1], '-' | ' '));
            if !joined_by_separators || done[k..=last].iter().any(|d| *d) {
                continue;
            }
            let positions: Vec<usize> = group.iter().flat_map(|&(a, b)| a..b).collect();
            let digits: Vec<char> = positions.iter().map(|&p| out[p]).collect();
            if let Some(ends) = visible_ends(&digits).filter(|_| digits.len() <= 13) {
                hide(&mut out, &positions, ends);
                done[k..=last].iter_mut().for_each(|d| *d = true);
                break;
            }
        }
    }
    out.into_iter().collect()
}

/// Stars the characters at `positions` except the first `head` and last `tail`.
fn hide(out: &mut [char], positions: &[usize], (head, tail): (usize, usize)) {
    for &p in &positions[head..positions.len() - tail] {
        out[p] = '*';
    }
}

/// `redact` over every string (and integer) inside a JSON value; keys are kept.
pub fn redact_json(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => *s = redact(s),
        Value::Number(n) => {
            let text = n.to_string();
            let masked = redact(&text);
            if masked != text {
                *v = Value::String(masked);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::Object(map) => map.values_mut().for_each(redact_json),
        Value::Bool(_) | Value::Null => {}
    }
}

/// A follow-up round as every list shows it.
pub fn followup_view(mut r: FollowUpRecord) -> FollowUpRecord {
    r.phone = r.phone.as_deref().map(mask_phone);
    r.answer_text = r.answer_text.as_deref().map(redact);
    r
}

/// An inbound reply as the list (and the webhook's answer) shows it.
pub fn inbound_view(mut r: InboundRecord) -> InboundRecord {
    r.phone = mask_phone(&r.phone);
    r.text = redact(&r.text);
    r.detail = r.detail.as_deref().map(redact);
    r
}

/// An outbox row as the admin's list shows it.
pub fn outbox_view(mut m: OutboxMessage) -> OutboxMessage {
    m.phone = mask_phone(&m.phone);
    m.body = redact(&m.body);
    redact_json(&mut m.params);
    m.last_error = m.last_error.as_deref().map(redact);
    m
}

/// A staff notification (its body may quote a citizen's reply).
pub fn notification_view(mut n: StaffNotification) -> StaffNotification {
    n.title = redact(&n.title);
    n.body = redact(&n.body);
    n
}

// ---------------------------------------------------------------- one-round reveal

/// Unknown, closed and out-of-scope rounds all answer this (ids leak nothing).
const NOT_FOUND: ApiError = ApiError::NotFound("回访任务");

/// The full number of one follow-up round.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpPhone {
    /// The round (`id` in `GET /followups`).
    pub id: String,
    #[schema(value_type = Option<String>)]
    pub case_id: Option<CaseId>,
    pub case_number: Option<String>,
    pub service_event_id: Option<String>,
    pub status: FollowUpStatus,
    /// The number to call, unmasked.
    pub phone: String,
}

/// The open round (awaiting an SMS answer or a phone task) with this id.
fn open_round(s: &AppState, id: &str) -> Result<Option<FollowUpRecord>, ApiError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Ok(None);
    }
    Ok(s.store.followup(id)?.filter(|f| f.status.is_open()))
}

/// Window-service rounds belong to no unit: the platform office and city-wide roles.
fn sees_service_rounds(actor: &Actor) -> bool {
    actor.role.sees_everything() || actor.role == Role::FollowUp
}

/// The citizen's full number for one open follow-up round, to phone them; every call is
/// audited (`unmaskFollowUpPhone`, target the case, or the service event). Roles that may
/// see citizens' identity only (回访员, 受理员, and the case's own unit); scope as for the case.
#[utoipa::path(get, path = "/api/v1/followups/{id}/phone",
    params(("id" = uuid::Uuid, Path, description = "回访记录 id（GET /followups 的 id）")),
    responses((status = 200, body = FollowUpPhone), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn reveal_followup_phone(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<FollowUpPhone>, ApiError> {
    state
        .blocking(move |s| {
            let f = open_round(s, &id)?.ok_or(NOT_FOUND)?;
            let actor = &auth.actor;
            let (phone, case_number, target) = match f.case_id {
                Some(case_id) => {
                    let c = s.store.case(case_id)?.ok_or(NOT_FOUND)?;
                    if !can_see(actor, &c, &s.org()) {
                        return Err(NOT_FOUND);
                    }
                    let phone = c
                        .citizen
                        .phone
                        .map(String::from)
                        .or_else(|| f.phone.clone());
                    (phone, c.number, case_id.to_string())
                }
                None => {
                    if !sees_service_rounds(actor) {
                        return Err(NOT_FOUND);
                    }
                    let target = f.service_event_id.clone().unwrap_or_else(|| f.id.clone());
                    (f.phone.clone(), None, target)
                }
            };
            if !actor.role.sees_citizen_identity() {
                return Err(ApiError::Forbidden);
            }
            let phone = phone.ok_or(ApiError::NotFound("联系电话"))?;
            let about = case_number
                .clone()
                .or_else(|| f.service.clone())
                .unwrap_or_default();
            s.store.audit(&AuditRecord {
                at: s.now(),
                user_id: actor.user_id,
                action: "unmaskFollowUpPhone".into(),
                target,
                detail: format!("{about} 回访记录 {}", f.id),
            })?;
            Ok(Json(FollowUpPhone {
                id: f.id,
                case_id: f.case_id,
                case_number,
                service_event_id: f.service_event_id,
                status: f.status,
                phone,
            }))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_numbers_in_text() {
        assert_eq!(redact("请回电13812345678谢谢"), "请回电138****5678谢谢");
        assert_eq!(redact("+8613812345678"), "+86138****5678");
        assert_eq!(redact("138 1234 5678"), "138 **** 5678");
        assert_eq!(redact("3 138-1234-5678"), "3 138-****-5678");
        assert_eq!(redact("座机0531-86081234"), "座机053*-****1234");
        assert_eq!(redact("053186081234"), "053*****1234");
        assert_eq!(
            redact("身份证11010519491231002X"),
            "身份证110105********002X"
        );
        // Case numbers, dates, answers and short numbers are kept.
        for keep in [
            "编号MS202611230001",
            "3 不满意",
            "2026-11-23 10:00",
            "第12345号",
        ] {
            assert_eq!(redact(keep), keep);
        }
    }

    #[test]
    fn masks_phone_fields_and_json() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("053186081234"), "053*****1234");
        assert_eq!(mask_phone("12"), "**");
        let mut v = serde_json::json!({"name": "王女士", "phone": "13900001111", "n": 13_900_002_222_u64, "k": [1, "x"]});
        redact_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"name": "王女士", "phone": "139****1111", "n": "139****2222", "k": [1, "x"]})
        );
    }
}
