//! SMS dead letters (messages the outbox gave up on) as the admin settles them: put back
//! in the queue, or discarded with a reason. Each is audited (`retrySms`, `discardSms`)
//! with the status before and after, in the transaction that changes it.

use minsheng_domain::role::Actor;
use serde_json::json;

use super::templates::mask;
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::admin::DeadLetterFate;
use minsheng_store::notify::OutboxMessage;
use minsheng_store::AuditRecord;

/// Longest discard reason (characters).
pub const REASON_MAX_CHARS: usize = 200;

fn settle(
    s: &AppState,
    admin: &Actor,
    id: &str,
    fate: &DeadLetterFate,
) -> Result<OutboxMessage, ApiError> {
    let (action, after, reason) = match fate {
        DeadLetterFate::Retry => ("retrySms", "pending", None),
        DeadLetterFate::Discard { reason } => ("discardSms", "discarded", Some(reason.as_str())),
    };
    let now = s.now();
    let audit = AuditRecord {
        at: now,
        user_id: admin.user_id,
        action: action.into(),
        target: id.to_owned(),
        detail: json!({ "status": { "before": "dead", "after": after }, "reason": reason })
            .to_string(),
    };
    s.store
        .settle_dead_letter(id, fate, &audit, now)?
        .ok_or(ApiError::NotFound("死信短信"))
}

/// Puts a dead letter back in the queue (attempts reset); 404 unless `id` is dead.
pub fn retry(s: &AppState, admin: &Actor, id: &str) -> Result<OutboxMessage, ApiError> {
    settle(s, admin, id, &DeadLetterFate::Retry)
}

/// Gives a dead letter up for good with the admin's reason (1–200 characters, else 422
/// `DISCARD_REASON_REQUIRED`); 404 unless `id` is dead.
pub fn discard(
    s: &AppState,
    admin: &Actor,
    id: &str,
    reason: &str,
) -> Result<OutboxMessage, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > REASON_MAX_CHARS {
        return Err(ApiError::Invalid {
            code: "DISCARD_REASON_REQUIRED",
            message: format!("请填写放弃原因（不超过{REASON_MAX_CHARS}字）"),
        });
    }
    let m = settle(
        s,
        admin,
        id,
        &DeadLetterFate::Discard {
            reason: reason.to_owned(),
        },
    )?;
    tracing::info!(id, phone = %mask(&m.phone), "sms dead letter discarded");
    Ok(m)
}
