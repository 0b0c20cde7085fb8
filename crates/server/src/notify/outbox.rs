//! The sending side of the SMS outbox: claim a due row, hand it to the gateway, record
//! the outcome. A claimed row is leased, so two workers never send the same row; a
//! worker that dies mid-send leaves a lease that expires and the row is retried with the
//! same `clientRef` (the outbox id), which the provider uses to drop the repeat.
//!
//! Rows are claimed one at a time, right before their send, with a lease longer than
//! one send can take (the gateway's timeout). A batch claimed at once would hold every
//! lease for the whole batch: its last rows' leases could end while the sends before
//! them were still under way, and another worker would send those rows too.

use std::sync::Arc;

use chrono::Duration;

use super::gateway::{GatewayError, OutgoingSms};
use super::templates::mask;
use super::Notifier;
use crate::error::ApiError;
use crate::state::SharedState;
use minsheng_store::notify::SendResult;

/// The least lease of a claimed row.
const LEASE_SECS: i64 = 120;

/// A lease that outlasts one send: at least `LEASE_SECS`, and twice the gateway's
/// timeout, so it never ends during a live attempt.
fn lease_secs(n: &Notifier) -> i64 {
    let timeout = n.config.gateway.as_ref().map_or(0, |g| {
        i64::try_from(g.timeout.as_secs()).unwrap_or(i64::MAX / 4)
    });
    LEASE_SECS.max(timeout.saturating_mul(2))
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SendReport {
    pub sent: usize,
    pub failed: usize,
    pub dead: usize,
}

pub async fn send_due(state: &SharedState, n: &Arc<Notifier>) -> Result<SendReport, ApiError> {
    let mut report = SendReport::default();
    let Some(gateway) = n.gateway.clone() else {
        return Ok(report); // no gateway configured: messages wait in the outbox
    };
    let lease = lease_secs(n);
    for _ in 0..n.config.batch {
        let now = state.now();
        let claimed = state
            .blocking(move |s| Ok(s.store.claim_due_sms(now, lease, 1)?))
            .await?;
        let Some(m) = claimed.into_iter().next() else {
            break;
        };
        let sms = OutgoingSms {
            client_ref: &m.id,
            to: &m.phone,
            body: &m.body,
            template_id: m.provider_template_id.as_deref(),
            params: &m.params,
        };
        let outcome = gateway.send(&sms).await;
        let now = state.now();
        let result = match outcome {
            Ok(provider_id) => {
                report.sent += 1;
                tracing::info!(id = %m.id, to = %mask(&m.phone), template = %m.template, "sms sent");
                SendResult::Sent { provider_id }
            }
            Err(e) => {
                let dead =
                    matches!(e, GatewayError::Permanent(_)) || m.attempts >= n.config.max_attempts;
                let retry_at = now + Duration::seconds(n.config.backoff_secs(m.attempts));
                if dead {
                    report.dead += 1;
                    tracing::error!(id = %m.id, to = %mask(&m.phone), attempts = m.attempts, error = %e, "sms dead-lettered");
                } else {
                    report.failed += 1;
                    tracing::warn!(id = %m.id, attempts = m.attempts, %retry_at, error = %e, "sms send failed, will retry");
                }
                SendResult::Failed {
                    error: e.to_string(),
                    retry_at,
                    dead,
                }
            }
        };
        let id = m.id.clone();
        state
            .blocking(move |s| Ok(s.store.finish_sms(&id, &result, now)?))
            .await?;
    }
    Ok(report)
}
