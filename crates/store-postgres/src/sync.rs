//! Sync on PostgreSQL: change log, tombstones, processed commands, change pages.
//!
//! Change positions come from the one `sync_counter` row. A transaction that writes
//! cases locks it first (`lock_log`) and keeps it until commit, so positions are handed
//! out in commit order (see `minsheng_store::sync`) and the case writers of all
//! instances form one queue, like SQLite's single writer.
//!
//! Lock order, for every transaction that writes cases: `sync_counter`, then case rows
//! (`FOR UPDATE`) and `case_numbers` rows, then `audit_head`, then the configuration's
//! counter. Taking the counter first is what rules deadlocks out: a transaction that
//! wrote one case (holding the counter) and then locks a second one would otherwise
//! deadlock with one that locked that second case and waits for the counter (push
//! batches, multi-case intakes and re-scoping write several cases).

use minsheng_domain::case::Case;
use minsheng_domain::ids::{CaseId, CommandId, UserId};
use minsheng_domain::org::OrgTree;
use minsheng_domain::scope::ListScope;
use minsheng_domain::timeline::TimelineEntry;
use postgres::types::ToSql;
use postgres::{GenericClient, Transaction};

use crate::{cases, db, ms, parse_id, DbResult};
use minsheng_store::{
    CaseUpdate, ChangePage, CommandBatch, CommandKey, CommandTx, ProcessedCommand, StoreError,
    StoreResult, SyncEpoch, UserRecord,
};

/// Takes the change-log counter row for the rest of the transaction (first lock of a
/// case write; see the module doc). Taking it again is harmless.
pub(crate) fn lock_log(tx: &mut Transaction<'_>) -> DbResult<()> {
    tx.execute("SELECT last FROM sync_counter WHERE id = 1 FOR UPDATE", &[])?;
    Ok(())
}

/// Appends one case write to the change log, and a tombstone per unit that lost the
/// case, all at one position taken from the counter row in the caller's transaction.
pub(crate) fn record_change(
    tx: &mut Transaction<'_>,
    case_id: CaseId,
    version: u64,
    removed_units: &[String],
) -> DbResult<()> {
    let seq: i64 = tx
        .query_one(
            "UPDATE sync_counter SET last = last + 1 WHERE id = 1 RETURNING last",
            &[],
        )?
        .get(0);
    let id = case_id.to_string();
    tx.execute(
        "INSERT INTO changes(seq, case_id, version) VALUES ($1, $2, $3)",
        &[&seq, &id, &(version as i64)],
    )?;
    if !removed_units.is_empty() {
        let stmt =
            tx.prepare("INSERT INTO scope_removals(unit_id, case_id, seq) VALUES ($1, $2, $3)")?;
        for u in removed_units {
            tx.execute(&stmt, &[u, &id, &seq])?;
        }
    }
    Ok(())
}

pub(crate) fn processed_command(
    c: &mut impl GenericClient,
    id: CommandId,
) -> DbResult<Option<ProcessedCommand>> {
    c.query_opt(
        "SELECT user_id, result FROM processed_commands WHERE id = $1",
        &[&id.to_string()],
    )?
    .map(|r| {
        Ok(ProcessedCommand {
            user_id: parse_id(r.get::<_, &str>(0))?,
            result: r.get(1),
            replayed: true,
        })
    })
    .transpose()
}

/// Case access for a command, inside the command's savepoint.
struct TxCases<'a, 'b> {
    tx: &'a mut Transaction<'b>,
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

/// A push batch inside one write transaction (see `Store::run_batch`).
pub(crate) struct TxBatch<'a, 'b> {
    pub tx: &'a mut Transaction<'b>,
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
        db(|| crate::users::user_by_id(self.tx, id))
    }

    fn run_command(
        &mut self,
        key: &CommandKey,
        f: &mut dyn FnMut(&mut dyn CommandTx) -> StoreResult<String>,
    ) -> StoreResult<ProcessedCommand> {
        db(|| {
            if let Some(done) = processed_command(self.tx, key.id)? {
                return Ok(done);
            }
            // The same command delivered to two instances at once: both batches would
            // find it unprocessed. The change-log counter serialises them (taken here,
            // outside the command's savepoint, so a failed command does not give it
            // up): the second waits for the first to commit, and then finds its
            // outcome (READ COMMITTED: this next statement sees that commit).
            lock_log(self.tx)?;
            if let Some(done) = processed_command(self.tx, key.id)? {
                return Ok(done);
            }
            self.tx.batch_execute("SAVEPOINT push_command")?;
            match run_command(self.tx, self.org, key, f) {
                Ok(done) => {
                    self.tx.batch_execute("RELEASE SAVEPOINT push_command")?;
                    Ok(done)
                }
                Err(e) => {
                    self.tx.batch_execute(
                        "ROLLBACK TO SAVEPOINT push_command; RELEASE SAVEPOINT push_command",
                    )?;
                    Err(e)
                }
            }
        })
    }
}

fn run_command(
    tx: &mut Transaction<'_>,
    org: &OrgTree,
    key: &CommandKey,
    f: &mut dyn FnMut(&mut dyn CommandTx) -> StoreResult<String>,
) -> DbResult<ProcessedCommand> {
    let result = f(&mut TxCases { tx, org })?;
    tx.execute(
        "INSERT INTO processed_commands(id, install_id, user_id, seq, case_id, processed_at, result)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &key.id.to_string(),
            &key.install_id,
            &key.user_id.to_string(),
            &i64::try_from(key.seq).unwrap_or(i64::MAX),
            &key.case_id.map(|c| c.to_string()),
            &ms(key.at),
            &result,
        ],
    )?;
    Ok(ProcessedCommand {
        user_id: key.user_id,
        result,
        replayed: false,
    })
}

pub(crate) fn epoch(c: &mut impl GenericClient) -> DbResult<SyncEpoch> {
    let v: i64 = c
        .query_one("SELECT value FROM sync_meta WHERE key = 'epoch'", &[])?
        .get(0);
    Ok(SyncEpoch(v as u64))
}

pub(crate) fn ack_seq(c: &mut impl GenericClient, install_id: &str) -> DbResult<Option<u64>> {
    let v: Option<i64> = c
        .query_one(
            "SELECT MAX(seq) FROM processed_commands WHERE install_id = $1",
            &[&install_id],
        )?
        .get(0);
    Ok(v.map(|x| x as u64))
}

/// Reads one page from one snapshot (the caller's REPEATABLE READ transaction). Each
/// case is returned at its last change only, so a pass over all pages yields it once.
/// The snapshot's `sync_counter.last` bounds what it sees: every position up to it was
/// committed before the snapshot (positions are handed out under the counter's lock).
pub(crate) fn changes_since(
    tx: &mut Transaction<'_>,
    scope: &ListScope,
    after: u64,
    limit: usize,
) -> DbResult<ChangePage> {
    let r = tx.query_one(
        "SELECT (SELECT last FROM sync_counter WHERE id = 1),
                (SELECT value FROM sync_meta WHERE key = 'min_retained_seq')",
        &[],
    )?;
    let (last, min_retained): (i64, i64) = (r.get(0), r.get(1));
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
        ListScope::Everything => ("TRUE", "FALSE"),
        ListScope::Nothing => ("FALSE", "FALSE"),
        ListScope::FollowUpPhase => (
            "EXISTS (SELECT 1 FROM cases c WHERE c.id = ch.case_id AND c.follow_up_phase)",
            "FALSE",
        ),
        ListScope::Unit(_) => (
            "EXISTS (SELECT 1 FROM case_scope s WHERE s.unit_id = $3 AND s.case_id = ch.case_id)",
            "EXISTS (SELECT 1 FROM scope_removals r WHERE r.unit_id = $3 AND r.case_id = ch.case_id)",
        ),
    };
    let since_cursor = last - after_i;
    let sql = if unit.is_some() && since_cursor > unit_rows(tx, unit.as_deref())? {
        // Fewer cases in the unit than changes since the cursor (a first download, a
        // desktop back after days): start from the unit's cases and find each one's
        // last change, instead of reading every change in the city since the cursor.
        "SELECT x.seq, x.case_id, x.visible FROM (
             SELECT (SELECT max(l.seq) FROM changes l WHERE l.case_id = s.case_id) AS seq,
                    s.case_id, TRUE AS visible
               FROM case_scope s WHERE s.unit_id = $3
             UNION ALL
             SELECT (SELECT max(l.seq) FROM changes l WHERE l.case_id = r.case_id),
                    r.case_id, FALSE
               FROM (SELECT DISTINCT case_id FROM scope_removals WHERE unit_id = $3) r
              WHERE NOT EXISTS (SELECT 1 FROM case_scope s
                                 WHERE s.unit_id = $3 AND s.case_id = r.case_id)
         ) x WHERE x.seq > $1 ORDER BY x.seq LIMIT $2"
            .to_owned()
    } else {
        format!(
            "SELECT ch.seq, ch.case_id, {visible} AS visible FROM changes ch
             WHERE ch.seq > $1
               AND NOT EXISTS (SELECT 1 FROM changes l WHERE l.case_id = ch.case_id AND l.seq > ch.seq)
               AND ({visible} OR {removed})
             ORDER BY ch.seq LIMIT $2"
        )
    };
    // One row more than asked tells whether another page follows.
    let limit_plus = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&after_i, &limit_plus];
    if let Some(u) = &unit {
        params.push(u);
    }
    let rows: Vec<(i64, String, bool)> = tx
        .query(&sql, &params)?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let has_more = rows.len() > limit;
    let mut page = ChangePage {
        has_more,
        next: u64::try_from(last).unwrap_or_default(),
        ..ChangePage::default()
    };
    let mut visible_ids = Vec::new();
    for (seq, id, visible) in rows.into_iter().take(limit) {
        let id: CaseId = parse_id(&id)?;
        if visible {
            visible_ids.push(id);
        } else {
            page.removed.push(id);
        }
        if has_more {
            page.next = u64::try_from(seq).unwrap_or_default();
        }
    }
    page.changed = cases::get_cases(tx, &visible_ids)?;
    Ok(page)
}

/// How many rows the unit-driven page query would start from: the unit's cases and
/// its tombstones.
fn unit_rows(tx: &mut Transaction<'_>, unit: Option<&str>) -> DbResult<i64> {
    Ok(tx
        .query_one(
            "SELECT (SELECT count(*) FROM case_scope WHERE unit_id = $1)
                  + (SELECT count(*) FROM scope_removals WHERE unit_id = $1)",
            &[&unit],
        )?
        .get(0))
}
