//! Sync on PostgreSQL: change log, tombstones, processed commands, change pages.
//!
//! Case writers run side by side (each case row is locked `FOR UPDATE` for its
//! read-modify-write). Their change-log rows are written with a pending position (a
//! negative number from `changes_pending`) and get their real positions in
//! `assign_positions`, the last statement before commit, from the one `sync_counter`
//! row: its lock is held only through the commit, so positions are handed out in commit
//! order (see `minsheng_store::sync`) while the writers' work overlaps.
//!
//! Lock order, for every transaction that writes cases: a push batch's command ids
//! (advisory locks) and then its cases, in id order (`claim`); case rows (`FOR UPDATE`,
//! a multi-case writer in id order) and `case_numbers` rows; then `audit_head`; then
//! the configuration's counter; `sync_counter` last of all, at commit, after which the
//! transaction waits for nothing.

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

/// Appends one case write to the change log at a pending position, and a tombstone per
/// unit that lost the case at the same position (`assign_positions` makes it real).
pub(crate) fn record_change(
    tx: &mut Transaction<'_>,
    case_id: CaseId,
    version: u64,
    removed_units: &[String],
) -> DbResult<()> {
    let id = case_id.to_string();
    let seq: i64 = tx
        .query_one(
            "INSERT INTO changes(seq, case_id, version) VALUES (-nextval('changes_pending'), $1, $2)
             RETURNING seq",
            &[&id, &(version as i64)],
        )?
        .get(0);
    // The scope rows (just written for this version) point at their case's last change.
    tx.execute(
        "UPDATE case_scope SET last_seq = $2 WHERE case_id = $1",
        &[&id, &seq],
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

/// The last statement of every write transaction: the changes it logged (pending, in
/// the order written) get the next positions of the counter, whose row stays locked
/// until the commit right after. A transaction that logged nothing takes no lock.
pub(crate) fn assign_positions(tx: &mut Transaction<'_>) -> DbResult<()> {
    tx.execute(
        "WITH pending AS (
             SELECT seq AS old, case_id, row_number() OVER (ORDER BY seq DESC) AS n
               FROM changes WHERE seq < 0
         ), taken AS (
             UPDATE sync_counter SET last = last + (SELECT count(*) FROM pending)
              WHERE id = 1 AND EXISTS (SELECT 1 FROM pending)
             RETURNING last - (SELECT count(*) FROM pending) AS base
         ), tombstones AS (
             UPDATE scope_removals r SET seq = taken.base + p.n
               FROM pending p, taken WHERE r.seq = p.old
             RETURNING 1
         ), scoped AS (
             UPDATE case_scope s SET last_seq = taken.base + p.n
               FROM pending p, taken WHERE s.case_id = p.case_id AND s.last_seq = p.old
             RETURNING 1
         )
         UPDATE changes ch SET seq = taken.base + p.n
           FROM pending p, taken WHERE ch.seq = p.old",
        &[],
    )?;
    Ok(())
}

/// A pushed command's advisory lock (transaction-scoped): the same command delivered
/// to two instances at once is processed by one, and the other then finds its outcome.
fn lock_command(tx: &mut Transaction<'_>, id: CommandId) -> DbResult<()> {
    let key = id.0.as_u64_pair().1 as i64;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key])?;
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
    fn claim(&mut self, commands: &[CommandId], cases: &[CaseId]) -> StoreResult<()> {
        db(|| {
            let mut commands = commands.to_vec();
            commands.sort_by_key(|c| c.0.as_u64_pair().1 as i64);
            for c in commands {
                lock_command(self.tx, c)?;
            }
            let ids: Vec<String> = cases.iter().map(ToString::to_string).collect();
            self.tx.query(
                "SELECT id FROM cases WHERE id = ANY($1) ORDER BY id COLLATE \"C\" FOR UPDATE",
                &[&ids],
            )?;
            Ok(())
        })
    }

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
            // find it unprocessed. Its advisory lock serialises them (taken here,
            // outside the command's savepoint, so a failed command does not give it
            // up; `claim` usually holds it already): the second waits for the first
            // to commit, and then finds its outcome (READ COMMITTED: this next
            // statement sees that commit).
            lock_command(self.tx, key.id)?;
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
    let sql = if unit.is_some() {
        // The unit's cases changed since the cursor, from the (unit, last change) index
        // of its scope rows, and its tombstones since the cursor: the work follows what
        // changed for the unit, not the city's whole log or all the unit's cases.
        "SELECT x.seq, x.case_id, x.visible FROM (
             SELECT s.last_seq AS seq, s.case_id, TRUE AS visible
               FROM case_scope s WHERE s.unit_id = $3 AND s.last_seq > $1
             UNION ALL
             SELECT (SELECT max(l.seq) FROM changes l WHERE l.case_id = r.case_id),
                    r.case_id, FALSE
               FROM (SELECT DISTINCT case_id FROM scope_removals
                      WHERE unit_id = $3 AND seq > $1) r
              WHERE NOT EXISTS (SELECT 1 FROM case_scope s
                                 WHERE s.unit_id = $3 AND s.case_id = r.case_id)
         ) x ORDER BY x.seq LIMIT $2"
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
