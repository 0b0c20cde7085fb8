//! What to copy: the tables and columns both schemas have, read from the catalogs
//! (`pragma_table_list`/`pragma_table_info` on SQLite, `information_schema` on
//! PostgreSQL), so a table or column added to both backends is copied without a
//! change here. Each side's migration record (`schema_migrations`) stays its own.

use std::collections::{BTreeMap, BTreeSet};

use postgres::Transaction;
use rusqlite::Connection;

use crate::DbResult;
use minsheng_store::StoreError;

/// Each backend's own record of its migrations: never copied.
const OWN_TABLES: &[&str] = &["schema_migrations"];

/// A PostgreSQL column that SQLite keeps as the row's `rowid` (insertion order, the
/// tie-break of lists: `followups.pos`, `sms_inbound.pos`; see sql/notify.sql).
pub(super) const ROWID_COLUMN: &str = "pos";

/// Where a PostgreSQL column's values come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Source {
    Column(String),
    Rowid,
}

#[derive(Debug, Clone)]
pub(super) struct TablePlan {
    pub name: String,
    /// (PostgreSQL column, its source on SQLite).
    pub columns: Vec<(String, Source)>,
}

/// The copy plan and what one side has that the other lacks.
#[derive(Debug, Clone, Default)]
pub(super) struct Plan {
    /// Tables in both, parents before the tables whose foreign keys name them.
    pub tables: Vec<TablePlan>,
    pub only_in_sqlite: Vec<String>,
    pub only_in_postgres: Vec<String>,
    /// `table.column` on SQLite only (not copied).
    pub columns_only_in_sqlite: Vec<String>,
    /// `table.column` on PostgreSQL only: filled by its default, or from `rowid`.
    pub columns_only_in_postgres: Vec<String>,
}

struct PgColumn {
    name: String,
    /// NOT NULL without a default: a copy without it cannot succeed.
    required: bool,
}

pub(super) fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn sqlite_tables(src: &Connection) -> DbResult<BTreeMap<String, (Vec<String>, bool)>> {
    // Ordinary tables only: not FTS5's virtual table, its shadow tables, sqlite_*.
    let names: Vec<(String, bool)> = src
        .prepare(
            "SELECT name, wr FROM pragma_table_list
              WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? == 0)))?
        .collect::<Result<_, _>>()?;
    let mut out = BTreeMap::new();
    for (name, has_rowid) in names {
        let cols: Vec<String> = src
            .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?
            .query_map([&name], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        out.insert(name, (cols, has_rowid));
    }
    Ok(out)
}

fn pg_tables(tx: &mut Transaction<'_>) -> DbResult<BTreeMap<String, Vec<PgColumn>>> {
    let rows = tx.query(
        "SELECT c.table_name::text, c.column_name::text,
                c.is_nullable::text = 'NO' AND c.column_default IS NULL
           FROM information_schema.columns c
           JOIN information_schema.tables t
             ON t.table_schema = c.table_schema AND t.table_name = c.table_name
          WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
          ORDER BY c.table_name, c.ordinal_position",
        &[],
    )?;
    let mut out: BTreeMap<String, Vec<PgColumn>> = BTreeMap::new();
    for r in rows {
        out.entry(r.get(0)).or_default().push(PgColumn {
            name: r.get(1),
            required: r.get(2),
        });
    }
    Ok(out)
}

/// `tables` ordered so that every table comes after the tables its foreign keys name
/// (alphabetical otherwise).
fn parents_first(tx: &mut Transaction<'_>, tables: Vec<TablePlan>) -> DbResult<Vec<TablePlan>> {
    let edges: Vec<(String, String)> = tx
        .query(
            "SELECT child.relname::text, parent.relname::text
               FROM pg_constraint k
               JOIN pg_class child ON child.oid = k.conrelid
               JOIN pg_class parent ON parent.oid = k.confrelid
              WHERE k.contype = 'f' AND child.relnamespace = current_schema()::regnamespace",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .filter(|(c, p)| c != p)
        .collect();
    let mut pending = tables;
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let names: BTreeSet<String> = pending.iter().map(|t| t.name.clone()).collect();
        let ready = |t: &TablePlan| {
            edges
                .iter()
                .filter(|(c, _)| *c == t.name)
                .all(|(_, p)| done.contains(p) || !names.contains(p))
        };
        let Some(i) = pending.iter().position(ready) else {
            return Err(StoreError::Internal(format!(
                "外键成环，无法排定复制顺序（foreign keys form a cycle）：{names:?}"
            ))
            .into());
        };
        let t = pending.remove(i);
        done.insert(t.name.clone());
        out.push(t);
    }
    Ok(out)
}

/// The plan, or `MIGRATION_SCHEMA_MISMATCH` when a PostgreSQL column that must have a
/// value (NOT NULL, no default) has no source on SQLite.
pub(super) fn plan(src: &Connection, tx: &mut Transaction<'_>) -> DbResult<Plan> {
    let lite = sqlite_tables(src)?;
    let pg = pg_tables(tx)?;
    let mut plan = Plan::default();
    let mut missing = Vec::new();
    for (name, (cols, has_rowid)) in &lite {
        if OWN_TABLES.contains(&name.as_str()) {
            continue;
        }
        let Some(pg_cols) = pg.get(name) else {
            plan.only_in_sqlite.push(name.clone());
            continue;
        };
        let mut columns = Vec::new();
        for c in pg_cols {
            if cols.contains(&c.name) {
                columns.push((c.name.clone(), Source::Column(c.name.clone())));
            } else if *has_rowid && c.name == ROWID_COLUMN {
                columns.push((c.name.clone(), Source::Rowid));
                plan.columns_only_in_postgres
                    .push(format!("{name}.{} (= SQLite rowid)", c.name));
            } else if c.required {
                missing.push(format!("{name}.{}", c.name));
            } else {
                plan.columns_only_in_postgres
                    .push(format!("{name}.{} (default)", c.name));
            }
        }
        for c in cols {
            if !pg_cols.iter().any(|p| &p.name == c) {
                plan.columns_only_in_sqlite.push(format!("{name}.{c}"));
            }
        }
        plan.tables.push(TablePlan {
            name: name.clone(),
            columns,
        });
    }
    plan.only_in_postgres = pg
        .keys()
        .filter(|t| !lite.contains_key(*t) && !OWN_TABLES.contains(&t.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(StoreError::Invalid {
            code: "MIGRATION_SCHEMA_MISMATCH",
            message: format!(
                "PostgreSQL 的必填列在 SQLite 中没有对应列：{}（required PostgreSQL columns missing in SQLite）",
                missing.join("、")
            ),
        }
        .into());
    }
    plan.tables = parents_first(tx, plan.tables)?;
    Ok(plan)
}
