//! `minsheng-server migrate-to-postgres --db PATH --database URL`: copies a city's
//! SQLite file (the server may keep running on it) into an empty PostgreSQL database
//! and verifies the copy (row counts per table, every case's timeline chain, the audit
//! chain); see `minsheng_store_postgres::copy_from_sqlite`. Progress and the final
//! report are printed in Chinese and English.

use std::io::Write;
use std::path::Path;

use minsheng_store::StoreError;
use minsheng_store_postgres::{copy_from_sqlite, CopyProgress, CopyReport};

use crate::error::ApiError;

/// Copies `sqlite` into the database at `url` (its default schema) and prints progress
/// and the report to `out`.
pub fn migrate_to_postgres(sqlite: &Path, url: &str, out: &mut dyn Write) -> Result<(), ApiError> {
    migrate_to_postgres_in(sqlite, url, None, out).map(|_| ())
}

/// Like `migrate_to_postgres`, into `schema` of the database (created if missing);
/// returns the report.
pub fn migrate_to_postgres_in(
    sqlite: &Path,
    url: &str,
    schema: Option<&str>,
    out: &mut dyn Write,
) -> Result<CopyReport, ApiError> {
    let mut written = Ok(());
    let result = {
        let mut progress = |p: CopyProgress| {
            if written.is_ok() {
                written = print_progress(out, &p);
            }
        };
        copy_from_sqlite(sqlite, url, schema, &mut progress)
    };
    match result {
        Ok(report) => {
            written
                .and_then(|()| print_report(out, &report))
                .map_err(io)?;
            Ok(report)
        }
        Err(e) => {
            // The storage error's detail (the database's own message) is for the
            // operator; the HTTP shape of `ApiError` would hide it.
            let detail = match &e {
                StoreError::Backend(d) | StoreError::Internal(d) => d.clone(),
                other => other.to_string(),
            };
            let _ = writeln!(out, "迁移失败 / migration failed [{}]: {detail}", e.code());
            Err(e.into())
        }
    }
}

fn io(e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("写出迁移报告失败 / writing the report failed: {e}"))
}

fn print_progress(out: &mut dyn Write, p: &CopyProgress) -> std::io::Result<()> {
    match p {
        CopyProgress::Snapshot {
            schema_version,
            epoch,
            last_change,
        } => writeln!(
            out,
            "读取 SQLite 快照 / reading the SQLite snapshot: schema={schema_version} epoch={epoch} lastChange={last_change}"
        ),
        CopyProgress::Table { table, rows } => {
            writeln!(out, "已复制 / copied {table:<28} {rows:>9} 行 rows")
        }
        CopyProgress::Verifying => writeln!(
            out,
            "校验行数与哈希链 / verifying row counts and hash chains …"
        ),
    }
}

fn print_report(out: &mut dyn Write, r: &CopyReport) -> std::io::Result<()> {
    writeln!(out, "迁移完成 / migration complete")?;
    writeln!(
        out,
        "  架构版本 / schema: SQLite {} → PostgreSQL {}",
        r.sqlite_schema_version, r.postgres_schema_version
    )?;
    let rows: u64 = r.tables.iter().map(|t| t.postgres_rows).sum();
    writeln!(
        out,
        "  表 / tables: {}，行 / rows: {rows}（每张表两边行数一致 / equal on both sides）",
        r.tables.len()
    )?;
    for t in &r.tables {
        writeln!(
            out,
            "    {:<28} SQLite {:>9}  PostgreSQL {:>9}",
            t.table, t.sqlite_rows, t.postgres_rows
        )?;
    }
    writeln!(
        out,
        "  时间线哈希链 / timeline chains: {} 件 cases, {} 条 entries — 全部通过 / all verified",
        r.cases_verified, r.timeline_entries
    )?;
    writeln!(
        out,
        "  审计日志哈希链 / audit chain: {} 条 records — 通过 / verified",
        r.audit_records
    )?;
    writeln!(
        out,
        "  同步 / sync: epoch {} 保持不变 / kept, change log up to {}（客户端无需重新下载 / clients continue without a re-download）",
        r.epoch, r.last_change
    )?;
    for (seq, next) in &r.sequences {
        writeln!(out, "  序列 / sequence {seq}: next {next}")?;
    }
    let lists = [
        (
            "仅 SQLite 有的表（未复制）/ tables only in SQLite (not copied)",
            &r.only_in_sqlite,
        ),
        (
            "仅 PostgreSQL 有的表 / tables only in PostgreSQL",
            &r.only_in_postgres,
        ),
        (
            "仅 SQLite 有的列（未复制）/ columns only in SQLite (not copied)",
            &r.columns_only_in_sqlite,
        ),
        (
            "仅 PostgreSQL 有的列 / columns only in PostgreSQL",
            &r.columns_only_in_postgres,
        ),
    ];
    for (label, items) in lists {
        if !items.is_empty() {
            writeln!(out, "  {label}: {}", items.join(", "))?;
        }
    }
    writeln!(
        out,
        "  用时 / time: {:.1}s（复制 / copy {:.1}s，校验 / verify {:.1}s）",
        r.duration.as_secs_f64(),
        r.copy_time.as_secs_f64(),
        r.verify_time.as_secs_f64()
    )?;
    if r.changes_after_snapshot > 0 {
        writeln!(
            out,
            "  注意 / warning: SQLite 服务器在快照之后又写入了 {} 处变更，未包含在本次迁移中；请停止 SQLite 服务器，清空目标后重新迁移。\
             The SQLite server wrote {} changes after the snapshot that are not in this copy: stop it, empty the target and migrate again.",
            r.changes_after_snapshot, r.changes_after_snapshot
        )?;
    } else {
        writeln!(
            out,
            "  请先停止 SQLite 服务器，再让服务器和客户端切换到 PostgreSQL。\
             Stop the SQLite server before the servers and clients switch to PostgreSQL."
        )?;
    }
    Ok(())
}
