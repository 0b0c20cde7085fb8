//! Storage side of the sync protocol: the change log read by pulls and the
//! processed-command table that makes pushes exactly-once.
//!
//! Change-log positions (`changes.seq`) come from one counter row (`sync_counter`)
//! bumped inside every case-writing transaction, so positions are handed out in commit
//! order: SQLite serialises writers (`BEGIN IMMEDIATE`). PostgreSQL lets case writers
//! run side by side and gives their changes positions only as the last step before
//! commit (`UPDATE sync_counter … RETURNING`, whose row lock is held through the
//! commit). A sequence/`BIGSERIAL` would not do: values are handed out at insert time,
//! so a transaction that commits late leaves a lower position behind a cursor that
//! already moved past it, and a pull would skip it for good.

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::{CaseId, CommandId, UserId};
use minsheng_domain::timeline::TimelineEntry;

use super::{CaseUpdate, StoreResult, UserRecord};

/// The identity of one database's change log: random at creation, new on every
/// `restore`. Change positions of one epoch mean nothing in another (a restored file
/// hands out positions again), so every pull cursor carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SyncEpoch(pub u64);

impl std::fmt::Display for SyncEpoch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for SyncEpoch {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s, 16).map(Self)
    }
}

/// Identifies one pushed command in `processed_commands`.
#[derive(Debug, Clone)]
pub struct CommandKey {
    pub id: CommandId,
    pub install_id: String,
    pub user_id: UserId,
    pub seq: u64,
    pub case_id: Option<CaseId>,
    /// When the server processed it.
    pub at: DateTime<Utc>,
}

/// A command's stored outcome (the JSON returned to the client, verbatim on replay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedCommand {
    pub user_id: UserId,
    pub result: String,
    /// True when the command had been processed before this call.
    pub replayed: bool,
}

/// Case reads and writes inside the one transaction that also records the command.
pub trait CommandTx {
    fn case(&mut self, id: CaseId) -> StoreResult<Option<Case>>;
    /// Like `Store::update_case` without a version check (sync re-validates instead).
    fn update_case(
        &mut self,
        id: CaseId,
        f: &mut dyn FnMut(&Case, &TimelineEntry) -> StoreResult<CaseUpdate>,
    ) -> StoreResult<Case>;
    /// Like `Store::insert_cases` for one case.
    fn insert_case(&mut self, case: Case, entries: Vec<TimelineEntry>) -> StoreResult<Case>;
}

/// The pushed commands of one write transaction.
pub trait CommandBatch {
    /// The stored outcome of a command processed before (in this batch or earlier).
    fn processed_command(&mut self, id: CommandId) -> StoreResult<Option<ProcessedCommand>>;
    fn case(&mut self, id: CaseId) -> StoreResult<Option<Case>>;
    /// A user, for the references a command names (the officer of an assignment). Read
    /// in the batch's own transaction: the batch holds the write lock, and waiting for
    /// another connection there is how concurrent pushes used to stall.
    fn user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>>;
    /// Returns the stored outcome if `key.id` was processed before; otherwise runs `f`
    /// (case reads/writes) in a savepoint and records the JSON it returns as the
    /// command's outcome. An error from `f` rolls back that command's savepoint.
    fn run_command(
        &mut self,
        key: &CommandKey,
        f: &mut dyn FnMut(&mut dyn CommandTx) -> StoreResult<String>,
    ) -> StoreResult<ProcessedCommand>;
    /// Before the batch's commands: takes what they will lock, in one order every
    /// batch uses (the commands, then the existing cases they name), so two batches
    /// that share cases wait for each other instead of deadlocking. A backend with one
    /// writer at a time has nothing to do.
    fn claim(&mut self, _commands: &[CommandId], _cases: &[CaseId]) -> StoreResult<()> {
        Ok(())
    }
}

/// One page of the change log as one user sees it.
#[derive(Debug, Clone, Default)]
pub struct ChangePage {
    /// The latest state of each visible case whose last change lies in the page.
    pub changed: Vec<Case>,
    /// Cases that left the caller's scope (tombstones) and are not visible now.
    pub removed: Vec<CaseId>,
    /// The position to pull from next (the page's last position, or the log's end).
    pub next: u64,
    pub has_more: bool,
}
