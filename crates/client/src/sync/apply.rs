//! The cache's side of a sync round. Every step is one transaction, so a crash at any
//! point leaves the cache at a state it can resume from: a page's cases, timelines,
//! removals and the cursor covering them commit together (never a cursor ahead of its
//! data); a push's outcomes commit together with the case views that came back.

use chrono::{DateTime, Utc};
use minsheng_domain::ids::CaseId;
use rusqlite::{params, TransactionBehavior};

use crate::api::{CommandOutcome, CommandResult, PullPage, PushCommand};
use crate::cache::{
    cases_upsert, to_ms, CachedCase, LocalCache, PulledEntries, SERVER_EPOCH, TIMELINE_BASE,
};
use crate::error::Result;
use crate::outbox::{CommandPayload, CommandStatus};

pub(super) const PULL_CURSOR: &str = "pull_cursor";
const LAST_SYNC_AT: &str = "last_sync_at";

impl LocalCache {
    /// The next commands to push, oldest first; marks them `sent` (they are pushed
    /// again, under the same ids, until an outcome is recorded).
    pub(crate) fn next_push_batch(&mut self, limit: usize) -> Result<Vec<PushCommand>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cmds = {
            let mut stmt = tx.prepare(&format!(
                "SELECT {} FROM outbox WHERE status IN ('queued', 'sent') ORDER BY seq LIMIT ?1",
                crate::outbox::COLUMNS
            ))?;
            let rows = stmt
                .query_map([limit as i64], crate::outbox::command)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows
        };
        if let Some(last) = cmds.last() {
            tx.execute(
                "UPDATE outbox SET status = 'sent' WHERE status = 'queued' AND seq <= ?1",
                [last.seq as i64],
            )?;
        }
        tx.commit()?;
        cmds.into_iter()
            .map(|c| {
                let (action, intake) = match &c.payload {
                    CommandPayload::Action(a) => (Some(serde_json::to_value(a)?), None),
                    CommandPayload::Intake(n) => (None, Some(serde_json::to_value(n)?)),
                };
                Ok(PushCommand {
                    id: c.id,
                    seq: c.seq,
                    case_id: Some(c.case_id),
                    base_version: c.base_version,
                    action,
                    intake,
                    device_at: Some(c.device_at),
                })
            })
            .collect()
    }

    /// Records the server's outcome of each pushed command and stores the case views
    /// it sent back, in one transaction.
    pub(crate) fn apply_push_results(
        &mut self,
        results: &[CommandResult],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let parsed = results
            .iter()
            .map(|r| {
                let status = match r.status {
                    CommandOutcome::Applied => CommandStatus::Applied,
                    CommandOutcome::Rejected => CommandStatus::Rejected,
                    CommandOutcome::Conflict => CommandStatus::Conflict,
                };
                let case = r.case.clone().map(CachedCase::from_view).transpose()?;
                Ok((r, status, case))
            })
            .collect::<Result<Vec<_>>>()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (r, status, case) in &parsed {
            // Only a command still waiting takes an outcome: a late duplicate answer
            // never overwrites what the user already resolved.
            tx.prepare_cached(
                "UPDATE outbox SET status = ?2, error_code = ?3, error_message = ?4, updated_at = ?5
                 WHERE id = ?1 AND status IN ('queued', 'sent')",
            )?
            .execute(params![
                    r.id.to_string(),
                    status.code(),
                    r.code,
                    r.message,
                    to_ms(now)
                ],
            )?;
            if let Some(c) = case {
                cases_upsert(&tx, c)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Applies one pulled page with the cursor that covers it (one transaction).
    pub(crate) fn apply_pull_page(&mut self, page: &PullPage, now: DateTime<Utc>) -> Result<()> {
        // A page is the server's data: after a power cut it is simply pulled again (the
        // cursor is in the same transaction), so its commit need not wait for the disk.
        // The WAL keeps commits atomic either way, and the next outbox write (FULL)
        // syncs everything before it.
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        // No checkpoint per page: the pull's pages are copied into the database file
        // once, after the pull, on a connection of its own (one pair of syncs, and the
        // cache's users are not held up meanwhile).
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let applied = self.apply_pull_page_tx(page, now);
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        applied?;
        // The city's calendar and SLA rules, when they changed since the version sent.
        match &page.config {
            Some(c) => self.set_config(c),
            None => Ok(()),
        }
    }

    /// Back to checkpointing on commit after a pull, whether it finished or failed. The
    /// pull's pages are copied into the database file by `checkpoint_job`.
    pub(crate) fn end_pull_writes(&mut self) -> Result<()> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", crate::cache::WAL_AUTOCHECKPOINT)?;
        Ok(())
    }

    fn apply_pull_page_tx(&mut self, page: &PullPage, now: DateTime<Utc>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut entries = PulledEntries::group(&page.timelines)?;
        for c in &page.changes {
            let stored = crate::cache::upsert_case_json(&tx, c.get())?;
            entries.store_case(&tx, stored.id, stored.version)?;
        }
        entries.store_rest(&tx)?;
        for id in &page.removed {
            remove_case(&tx, *id)?;
        }
        set_meta(&tx, PULL_CURSOR, &page.next_cursor)?;
        if let Some(epoch) = page.epoch.as_deref().filter(|e| !e.is_empty()) {
            set_meta(&tx, SERVER_EPOCH, epoch)?;
        }
        if !page.has_more {
            set_meta(&tx, TIMELINE_BASE, &page.next_cursor)?;
        }
        set_meta(&tx, LAST_SYNC_AT, &to_ms(now).to_string())?;
        tx.commit()?;
        Ok(())
    }
}

/// A case left the user's scope (e.g. re-dispatched to another station). Commands
/// still queued for it are kept: the push reports them as conflicts.
fn remove_case(conn: &rusqlite::Connection, id: CaseId) -> Result<()> {
    conn.execute("DELETE FROM timeline WHERE case_id = ?1", [id.to_string()])?;
    conn.execute(
        "DELETE FROM timeline_gaps WHERE case_id = ?1",
        [id.to_string()],
    )?;
    conn.execute("DELETE FROM cases WHERE id = ?1", [id.to_string()])?;
    Ok(())
}

pub(super) fn set_meta(conn: &rusqlite::Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}
