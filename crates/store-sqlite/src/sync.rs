//! Sync on SQLite: change log, tombstones, processed commands, change pages.

use crate::{db, DbResult};
use minsheng_domain::case::Case;
use minsheng_domain::ids::{CaseId, CommandId, UserId};
use minsheng_domain::org::OrgTree;
use minsheng_domain::scope::ListScope;
use minsheng_domain::timeline::TimelineEntry;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{cases, ms, parse_id};
use minsheng_store::StoreError;
use minsheng_store::{
    CaseUpdate, ChangePage, CommandBatch, CommandKey, CommandTx, ProcessedCommand, StoreResult,
    SyncEpoch, UserRecord,
};

/// Appends one case write to the change log, and a tombstone per unit that lost the
/// case, all at one position taken from the counter row in the caller's transaction.
pub fn record_change(
    tx: &Transaction<'_>,
    case_id: CaseId,
    version: u64,
    removed_units: &[String],
) -> DbResult<()> {
    let seq: i64 = tx
        .prepare_cached("UPDATE sync_counter SET last = last + 1 WHERE id = 1 RETURNING last")?
        .query_row([], |r| r.get(0))?;
    let id = case_id.to_string();
    tx.prepare_cached("INSERT INTO changes(seq, case_id, version) VALUES (?1, ?2, ?3)")?
        .execute(params![seq, id, version as i64])?;
    if !removed_units.is_empty() {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO scope_removals(unit_id, case_id, seq) VALUES (?1, ?2, ?3)",
        )?;
        for u in removed_units {
            stmt.execute(params![u, id, seq])?;
        }
    }
    Ok(())
}

pub fn processed_command(conn: &Connection, id: CommandId) -> DbResult<Option<ProcessedCommand>> {
    let row: Option<(String, String)> = conn
        .prepare_cached("SELECT user_id, result FROM processed_commands WHERE id = ?1")?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(user, result)| {
        Ok(ProcessedCommand {
            user_id: parse_id(&user)?,
            result,
            replayed: true,
        })
    })
    .transpose()
}

/// Case access for a command, inside the command's transaction.
struct TxCases<'a, 'b> {
    tx: &'a Transaction<'b>,
    org: &'a OrgTree,
}

impl CommandTx for TxCases<'_, '_> {
    fn case(&mut self, id: CaseId) -> StoreResult<Option<Case>> {
        db(|| cases::get_case(self.tx, id))
    }

    fn update_case(
        &mut self,
        id: CaseId,
        f: &mut dyn FnMut(&Case, &TimelineEntry) -> StoreResult<CaseUpdate>,
    ) -> StoreResult<Case> {
        db(|| cases::update_case(self.tx, self.org, id, None, f))
    }

    fn insert_case(&mut self, case: Case, entries: Vec<TimelineEntry>) -> StoreResult<Case> {
        db(|| {
            cases::insert_cases(self.tx, self.org, vec![(case, entries)])?
                .pop()
                .ok_or_else(|| StoreError::Internal("insert returned no case".into()).into())
        })
    }
}

/// A push batch inside one `BEGIN IMMEDIATE` transaction (see `Store::run_batch`).
pub struct TxBatch<'a, 'b> {
    pub tx: &'a Transaction<'b>,
    pub org: &'a OrgTree,
}

impl CommandBatch for TxBatch<'_, '_> {
    fn processed_command(&mut self, id: CommandId) -> StoreResult<Option<ProcessedCommand>> {
        db(|| processed_command(self.tx, id))
    }

    fn case(&mut self, id: CaseId) -> StoreResult<Option<Case>> {
        db(|| cases::get_case(self.tx, id))
    }

    fn user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>> {
        db(|| super::user_by_id(self.tx, id))
    }

    fn run_command(
        &mut self,
        key: &CommandKey,
        f: &mut dyn FnMut(&mut dyn CommandTx) -> StoreResult<String>,
    ) -> StoreResult<ProcessedCommand> {
        db(|| {
            // Under the write lock: a duplicate delivered concurrently waits for the first
            // batch to commit and then finds its outcome here.
            if let Some(done) = processed_command(self.tx, key.id)? {
                return Ok(done);
            }
            self.tx.execute_batch("SAVEPOINT push_command")?;
            match run_command(self.tx, self.org, key, f) {
                Ok(done) => {
                    self.tx.execute_batch("RELEASE push_command")?;
                    Ok(done)
                }
                Err(e) => {
                    self.tx
                        .execute_batch("ROLLBACK TO push_command; RELEASE push_command")?;
                    Err(e)
                }
            }
        })
    }
}

fn run_command(
    tx: &Transaction<'_>,
    org: &OrgTree,
    key: &CommandKey,
    f: &mut dyn FnMut(&mut dyn CommandTx) -> StoreResult<String>,
) -> DbResult<ProcessedCommand> {
    let result = f(&mut TxCases { tx, org })?;
    tx.prepare_cached(
        "INSERT INTO processed_commands(id, install_id, user_id, seq, case_id, processed_at, result)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        key.id.to_string(),
        key.install_id,
        key.user_id.to_string(),
        key.seq as i64,
        key.case_id.map(|c| c.to_string()),
        ms(key.at),
        result
    ])?;
    Ok(ProcessedCommand {
        user_id: key.user_id,
        result,
        replayed: false,
    })
}

pub fn epoch(conn: &Connection) -> DbResult<SyncEpoch> {
    let v: i64 = conn.query_row("SELECT value FROM sync_meta WHERE key = 'epoch'", [], |r| {
        r.get(0)
    })?;
    Ok(SyncEpoch(v as u64))
}

pub fn ack_seq(conn: &Connection, install_id: &str) -> DbResult<Option<u64>> {
    let v: Option<i64> = conn
        .prepare_cached("SELECT MAX(seq) FROM processed_commands WHERE install_id = ?1")?
        .query_row([install_id], |r| r.get(0))?;
    Ok(v.map(|x| x as u64))
}

/// Reads one page from one snapshot (the caller's read transaction). Each case is
/// returned at its last change only, so a pass over all pages yields it once.
pub fn changes_since(
    tx: &Transaction<'_>,
    scope: &ListScope,
    after: u64,
    limit: usize,
) -> DbResult<ChangePage> {
    let (last, min_retained): (i64, i64) = tx.query_row(
        "SELECT (SELECT last FROM sync_counter WHERE id = 1),
                (SELECT value FROM sync_meta WHERE key = 'min_retained_seq')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let after_i = i64::try_from(after).map_err(|_| StoreError::SyncReset)?;
    // Beyond the end: a server restored from an older backup. Below the horizon: the
    // changes the client needs were pruned. Either way the client must re-snapshot.
    if after_i > last || after_i + 1 < min_retained {
        return Err(StoreError::SyncReset.into());
    }
    // Tombstones only for unit scopes: the follow-up phase is never left once entered,
    // and the other scopes see everything or nothing.
    let unit = match scope {
        ListScope::Unit(u) => Some(u.to_string()),
        _ => None,
    };
    let (visible, removed) = match scope {
        ListScope::Everything => ("1", "0"),
        ListScope::Nothing => ("0", "0"),
        ListScope::FollowUpPhase => (
            "EXISTS (SELECT 1 FROM cases c WHERE c.id = ch.case_id AND c.follow_up_phase = 1)",
            "0",
        ),
        ListScope::Unit(_) => (
            "EXISTS (SELECT 1 FROM case_scope s WHERE s.unit_id = :unit AND s.case_id = ch.case_id)",
            "EXISTS (SELECT 1 FROM scope_removals r WHERE r.unit_id = :unit AND r.case_id = ch.case_id)",
        ),
    };
    let sql = format!(
        "SELECT ch.seq, ch.case_id, {visible} AS visible FROM changes ch
         WHERE ch.seq > :after
           AND NOT EXISTS (SELECT 1 FROM changes l WHERE l.case_id = ch.case_id AND l.seq > ch.seq)
           AND ({visible} OR {removed})
         ORDER BY ch.seq LIMIT :limit"
    );
    let mut stmt = tx.prepare(&sql)?;
    // One row more than asked tells whether another page follows.
    let limit_plus = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
    let mut bound: Vec<(&str, &dyn rusqlite::ToSql)> =
        vec![(":after", &after_i), (":limit", &limit_plus)];
    if let Some(u) = &unit {
        bound.push((":unit", u));
    }
    let rows: Vec<(i64, String, bool)> = stmt
        .query_map(bound.as_slice(), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let has_more = rows.len() > limit;
    let mut page = ChangePage {
        has_more,
        next: u64::try_from(last).unwrap_or_default(),
        ..ChangePage::default()
    };
    for (seq, id, visible) in rows.into_iter().take(limit) {
        let id: CaseId = parse_id(&id)?;
        if visible {
            if let Some(c) = cases::get_case(tx, id)? {
                page.changed.push(c);
            }
        } else {
            page.removed.push(id);
        }
        if has_more {
            page.next = u64::try_from(seq).unwrap_or_default();
        }
    }
    Ok(page)
}
