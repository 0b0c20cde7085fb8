//! Starting over when the server answers `SYNC_RESET`: it was restored from a backup
//! (another epoch), or it cannot continue from the cache's cursor. The snapshot is
//! dropped and pulled again; the outbox stays, and commands the cache holds as applied
//! but the server has not processed (sequence above its `ackSeq` for this install: the
//! backup predates them) are queued again under their own ids. The server applies an
//! id once, so a command it did keep is answered from its log, never applied twice.

use chrono::{DateTime, Utc};
use minsheng_domain::workflow;
use rusqlite::{params, Connection, TransactionBehavior};

use super::apply::{set_meta, PULL_CURSOR};
use super::round::finish;
use super::{lock, SyncEngine, SyncReport};
use crate::api::PushRequest;
use crate::cache::{
    cases_load, cases_upsert, to_ms, CachedCase, LocalCache, SERVER_EPOCH, TIMELINE_BASE,
};
use crate::error::Result;
use crate::outbox::{Command, CommandPayload};

/// Drops the server's snapshot: the cursor, the server-confirmed cases and their
/// timelines. Cases created offline and not yet confirmed stay, and so does the outbox.
pub(crate) fn drop_snapshot(conn: &Connection) -> Result<()> {
    conn.execute(
        "DELETE FROM meta WHERE key IN (?1, ?2)",
        [PULL_CURSOR, TIMELINE_BASE],
    )?;
    conn.execute("DELETE FROM timeline_gaps", [])?;
    conn.execute(
        "DELETE FROM timeline WHERE case_id IN (SELECT id FROM cases WHERE version > 0)",
        [],
    )?;
    conn.execute("DELETE FROM cases WHERE version > 0", [])?;
    Ok(())
}

impl LocalCache {
    /// In one transaction: drops the snapshot, adopts the server's `epoch` and queues
    /// again every applied command above the server's `ack_seq` (an offline intake
    /// among them shows again as a local case until the push confirms it). Returns how
    /// many commands were queued again.
    pub(crate) fn reset_for_snapshot(
        &mut self,
        ack_seq: u64,
        epoch: &str,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        drop_snapshot(&tx)?;
        tx.execute("DELETE FROM meta WHERE key = ?1", [SERVER_EPOCH])?;
        if !epoch.is_empty() {
            set_meta(&tx, SERVER_EPOCH, epoch)?;
        }
        let ack = i64::try_from(ack_seq).unwrap_or(i64::MAX);
        let lost: Vec<Command> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT {} FROM outbox WHERE status = 'applied' AND seq > ?1 ORDER BY seq",
                crate::outbox::COLUMNS
            ))?;
            let rows = stmt
                .query_map([ack], crate::outbox::command)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows
        };
        tx.execute(
            "UPDATE outbox SET status = 'queued', updated_at = ?2
             WHERE status = 'applied' AND seq > ?1",
            params![ack, to_ms(now)],
        )?;
        for c in &lost {
            if let CommandPayload::Intake(new) = &c.payload {
                if cases_load(&tx, c.case_id)?.is_none() {
                    // Best effort: the push brings the server's view of it anyway.
                    if let Ok(case) = workflow::intake(new, &c.actor, c.device_at) {
                        cases_upsert(&tx, &CachedCase::local(&case)?)?;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(lost.len())
    }
}

impl SyncEngine {
    /// Asks the server for its epoch and this install's `ackSeq` (an empty push, which
    /// names no epoch and so is never refused), then resets the cache against them.
    pub(super) async fn reset(&self, now: DateTime<Utc>, report: &mut SyncReport) -> Result<()> {
        let probe = PushRequest {
            install_id: lock(&self.cache).install_id()?,
            epoch: None,
            commands: Vec::new(),
        };
        let answer = self.authed(|| self.api.push(&probe)).await?;
        let cache = self.cache.clone();
        finish(tokio::task::spawn_blocking(move || {
            lock(&cache)
                .reset_for_snapshot(answer.ack_seq, &answer.epoch, now)
                .map(|_| ())
        }))
        .await?;
        report.reset = true;
        Ok(())
    }

    /// A pull was answered `SYNC_RESET`: reset, push what was queued again (before the
    /// pull, like every round), then pull the whole scope.
    pub(super) async fn resnapshot(
        &self,
        now: DateTime<Utc>,
        report: &mut SyncReport,
    ) -> Result<()> {
        self.reset(now, report).await?;
        let storing = self.push_all(now, report).await?;
        self.pull_all(now, report, storing).await
    }
}
