//! The checks of a copy, run in the copy's PostgreSQL transaction before it commits
//! (a failure rolls the copy back), and the counters the PostgreSQL backend keeps in
//! rows of its own, set from the copied data.

use std::collections::HashMap;

use minsheng_domain::audit::verify_audit_chain;
use minsheng_domain::ids::CaseId;
use minsheng_domain::timeline::{verify_chain, GENESIS};
use postgres::Transaction;
use rusqlite::Connection;

use super::catalog::quote;
use super::{invalid, TableCount};
use crate::{audit, cases, parse_id, DbResult};
use minsheng_store::SyncEpoch;

/// At most this many problems are listed in a failed verification.
const LIST: usize = 5;

fn failed(what: &str, problems: &[String]) -> crate::DbError {
    invalid(
        "MIGRATION_VERIFY_FAILED",
        format!(
            "迁移校验失败，已全部回滚（verification failed, nothing was committed）：{what}：{}",
            problems.join("；")
        ),
    )
}

/// The SQLite file's sync epoch and change-log position.
pub(super) fn source_log(src: &Connection) -> DbResult<(SyncEpoch, u64)> {
    let epoch: i64 = src.query_row("SELECT value FROM sync_meta WHERE key = 'epoch'", [], |r| {
        r.get(0)
    })?;
    let last: i64 = src.query_row("SELECT last FROM sync_counter WHERE id = 1", [], |r| {
        r.get(0)
    })?;
    Ok((SyncEpoch(epoch as u64), last as u64))
}

/// Tables of the PostgreSQL backend alone, set by `set_counters` from the copied rows.
pub(super) const DERIVED: &[&str] = &["audit_head", "config_counter"];

/// The PostgreSQL backend's own counter rows, from the copied data: the audit chain's
/// head (`audit_head`, read by every append), the configuration version
/// (`config_counter`; SQLite numbers it by `config_changes`), and the change-log
/// counter (copied; never below the log's last position).
pub(super) fn set_counters(tx: &mut Transaction<'_>) -> DbResult<()> {
    tx.execute(
        "UPDATE audit_head SET hash = COALESCE(
             (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), $1) WHERE id = 1",
        &[&GENESIS],
    )?;
    tx.batch_execute(
        "UPDATE config_counter SET last = (SELECT COALESCE(MAX(seq), 0) FROM config_changes)
          WHERE id = 1;
         UPDATE sync_counter SET last = GREATEST(last, (SELECT COALESCE(MAX(seq), 0) FROM changes))
          WHERE id = 1;
         UPDATE case_scope s SET last_seq = m.seq
           FROM (SELECT case_id, MAX(seq) AS seq FROM changes GROUP BY case_id) m
          WHERE m.case_id = s.case_id;",
    )?;
    Ok(())
}

/// Every copied table holds as many rows on PostgreSQL as in the SQLite snapshot (and
/// as the copy wrote).
pub(super) fn counts(
    src: &Connection,
    tx: &mut Transaction<'_>,
    copied: &[(String, u64)],
) -> DbResult<Vec<TableCount>> {
    let mut out = Vec::with_capacity(copied.len());
    let mut problems = Vec::new();
    for (table, written) in copied {
        let q = format!("SELECT COUNT(*) FROM {}", quote(table));
        let sqlite_rows = src.query_row(&q, [], |r| r.get::<_, i64>(0))? as u64;
        let postgres_rows = tx.query_one(&q, &[])?.get::<_, i64>(0) as u64;
        if sqlite_rows != postgres_rows || postgres_rows != *written {
            problems.push(format!(
                "{table}: SQLite {sqlite_rows}, PostgreSQL {postgres_rows}, copied {written}"
            ));
        }
        out.push(TableCount {
            table: table.clone(),
            sqlite_rows,
            postgres_rows,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(failed("行数不一致（row counts differ）", &problems))
    }
}

/// The single rows the backend reads on every write are there (a file that lacked one
/// would leave a server that cannot write).
pub(super) fn own_rows(tx: &mut Transaction<'_>) -> DbResult<()> {
    let checks = [
        (
            "sync_counter",
            "SELECT COUNT(*) FROM sync_counter WHERE id = 1",
        ),
        ("audit_head", "SELECT COUNT(*) FROM audit_head WHERE id = 1"),
        (
            "config_counter",
            "SELECT COUNT(*) FROM config_counter WHERE id = 1",
        ),
        (
            "notify_cursor",
            "SELECT COUNT(*) FROM notify_cursor WHERE id = 1",
        ),
        (
            "sync_meta",
            "SELECT COUNT(*) / 2 FROM sync_meta WHERE key IN ('epoch', 'min_retained_seq')",
        ),
        (
            "assess_meta",
            "SELECT COUNT(*) FROM assess_meta WHERE key = 'facts_position'",
        ),
    ];
    let mut missing = Vec::new();
    for (name, q) in checks {
        if tx.query_one(q, &[])?.get::<_, i64>(0) != 1 {
            missing.push(name.to_owned());
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(failed("缺少计数行（counter rows missing）", &missing))
    }
}

/// The audit chain verifies on PostgreSQL (the backend's reader, the domain's check:
/// what `GET /audit/verify` runs) and ends where SQLite's ends. Returns its length.
pub(super) fn audit_chain(src: &Connection, tx: &mut Transaction<'_>) -> DbResult<u64> {
    let links = audit::chain(tx)?;
    let report = verify_audit_chain(&links);
    let (n, head): (i64, Option<String>) = src.query_row(
        "SELECT COUNT(*), (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) FROM audit_log",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut problems = Vec::new();
    if !report.valid {
        problems.push(report.problem.unwrap_or_default());
    }
    if report.entries != n as u64 {
        problems.push(format!("PostgreSQL {} / SQLite {n}", report.entries));
    }
    if links.last().map(|l| &l.hash) != head.as_ref() {
        problems.push("链尾哈希不同（chain heads differ）".to_owned());
    }
    if problems.is_empty() {
        Ok(report.entries)
    } else {
        Err(failed("审计日志哈希链（audit chain）", &problems))
    }
}

/// Every case's timeline verifies on PostgreSQL (the backend's readers, the domain's
/// check, and one entry per version: what `GET /cases/{id}/timeline/verify` runs) and
/// ends at SQLite's head hash. Returns (cases, entries).
pub(super) fn timelines(src: &Connection, tx: &mut Transaction<'_>) -> DbResult<(u64, u64)> {
    let heads: HashMap<String, String> = src
        .prepare(
            "SELECT t.case_id, t.hash FROM timeline t
              WHERE t.seq = (SELECT MAX(seq) FROM timeline WHERE case_id = t.case_id)",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let ids: Vec<String> = tx
        .query("SELECT id FROM cases ORDER BY id", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let sqlite_cases: i64 = src.query_row("SELECT COUNT(*) FROM cases", [], |r| r.get(0))?;
    let mut problems = Vec::new();
    if ids.len() as i64 != sqlite_cases {
        problems.push(format!("PostgreSQL {} / SQLite {sqlite_cases}", ids.len()));
    }
    let mut entries = 0u64;
    for id in &ids {
        let case_id: CaseId = parse_id(id)?;
        let Some(case) = cases::get_case(tx, case_id)? else {
            continue;
        };
        let timeline = cases::timeline(tx, case_id)?;
        let report = verify_chain(&timeline);
        entries += report.entries;
        let label = case.number.clone().unwrap_or_else(|| id.clone());
        let problem = if !report.valid {
            report.problem
        } else if report.entries != case.version {
            Some(format!(
                "记录数 {} 与版本 {} 不一致",
                report.entries, case.version
            ))
        } else if report.head_hash.as_ref() != heads.get(id) {
            Some("链尾哈希与 SQLite 不同（head differs from SQLite）".to_owned())
        } else {
            None
        };
        if let Some(p) = problem {
            problems.push(format!("{label}: {p}"));
        }
    }
    if problems.is_empty() {
        Ok((ids.len() as u64, entries))
    } else {
        let total = problems.len();
        problems.truncate(LIST);
        problems.push(format!("共 {total} 件（{total} cases）"));
        Err(failed("诉求件时间线哈希链（timeline chains）", &problems))
    }
}

/// Moves every serial sequence of the schema past the largest copied id, so the next
/// row gets max + 1. Returns (sequence, next value).
pub(super) fn reset_sequences(tx: &mut Transaction<'_>) -> DbResult<Vec<(String, i64)>> {
    let serials: Vec<(String, String, String)> = tx
        .query(
            "SELECT c.relname::text, a.attname::text,
                    pg_get_serial_sequence(quote_ident(c.relname), a.attname::text)
               FROM pg_class c
               JOIN pg_attribute a ON a.attrelid = c.oid
              WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
                AND a.attnum > 0 AND NOT a.attisdropped
                AND pg_get_serial_sequence(quote_ident(c.relname), a.attname::text) IS NOT NULL
              ORDER BY 1, 2",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let mut out = Vec::with_capacity(serials.len());
    for (table, column, seq) in serials {
        let next: i64 = tx
            .query_one(
                &format!(
                    "SELECT setval($1::text::regclass, COALESCE(MAX({}), 0) + 1, false) FROM {}",
                    quote(&column),
                    quote(&table)
                ),
                &[&seq],
            )?
            .get(0);
        out.push((seq, next));
    }
    Ok(out)
}
