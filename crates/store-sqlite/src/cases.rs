//! Cases, their timeline and list queries on SQLite.

use crate::DbResult;
use chrono::{DateTime, Utc};
use minsheng_domain::calendar::beijing;
use minsheng_domain::case::{Case, CaseState};
use minsheng_domain::ids::CaseId;
use minsheng_domain::lists::WorkList;
use minsheng_domain::org::OrgTree;
use minsheng_domain::scope::{scope_units, ListScope};
use minsheng_domain::timeline::TimelineEntry;
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{from_ms, ms, parse_id};
use crate::DbError;
use minsheng_store::StoreError;
use minsheng_store::{CasePage, CaseQuery, CaseSummary, CaseUpdate, StoreResult, WorkListCounts};

/// The handling states (`CaseState::is_handling`): the ones with a running deadline.
fn handling() -> String {
    crate::states_sql(CaseState::is_handling)
}

/// True or false, never NULL: a case without a deadline (待定: the calendar of its
/// year is missing) is not overdue, and `NOT overdue` must still select it.
fn overdue_sql() -> String {
    format!(
        "((c.state = 'pendingSignIn' AND c.sign_in_deadline IS NOT NULL AND c.sign_in_deadline < :now) \
          OR (c.state IN {h} AND c.reply_deadline IS NOT NULL AND c.reply_deadline < :now))",
        h = handling()
    )
}

fn due_soon_sql() -> String {
    format!(
        "(c.state IN {h} AND NOT {o} AND ((c.state = 'pendingSignIn' AND c.sign_in_warn <= :now) OR c.reply_warn <= :now))",
        h = handling(),
        o = overdue_sql()
    )
}

fn next_number(tx: &Transaction<'_>, at: DateTime<Utc>) -> DbResult<String> {
    let day = at.with_timezone(&beijing()).format("%Y%m%d").to_string();
    let n: i64 = tx.query_row(
        "INSERT INTO case_numbers(day, last) VALUES (?1, 1)
         ON CONFLICT(day) DO UPDATE SET last = last + 1 RETURNING last",
        [&day],
        |r| r.get(0),
    )?;
    Ok(format!("MS{day}{n:04}"))
}

/// Title and content live in their own columns (and the full-text index), not again
/// in the JSON document.
fn document(c: &Case) -> DbResult<String> {
    let mut v = serde_json::to_value(c)?;
    if let Some(o) = v.as_object_mut() {
        o.remove("title");
        o.remove("content");
    }
    Ok(v.to_string())
}

/// Puts title and content back in front of the document's other fields and parses the
/// case in one pass (no intermediate `Value`: this runs for every case a pull sends).
fn from_document(data: &str, title: &str, content: &str) -> DbResult<Case> {
    let rest = data
        .trim_start()
        .strip_prefix('{')
        .ok_or_else(|| StoreError::Internal("case document is not a JSON object".into()))?;
    let mut json = String::with_capacity(data.len() + title.len() + content.len() + 32);
    json.push_str("{\"title\":");
    json.push_str(&serde_json::to_string(title)?);
    json.push_str(",\"content\":");
    json.push_str(&serde_json::to_string(content)?);
    if !rest.trim_start().starts_with('}') {
        json.push(',');
    }
    json.push_str(rest);
    Ok(serde_json::from_str(&json)?)
}

/// The `cases` columns of a case (besides `id`), in table order; the last two,
/// `updated_at` and the document (`data`, None: not built), change on every write.
fn columns(
    c: &Case,
    now: DateTime<Utc>,
    document_too: bool,
) -> DbResult<[(&'static str, Value); 22]> {
    let d = &c.deadlines;
    let text = |s: &str| Value::Text(s.to_owned());
    let opt_text = |s: Option<String>| s.map_or(Value::Null, Value::Text);
    let opt_ms = |t: Option<DateTime<Utc>>| t.map_or(Value::Null, |t| Value::Integer(ms(t)));
    Ok([
        ("number", opt_text(c.number.clone())),
        ("version", Value::Integer(c.version as i64)),
        ("state", Value::Text(c.state.code())),
        ("channel", text(c.channel.label_zh())),
        ("request_type", text(c.request_type.label_zh())),
        (
            "category",
            opt_text(c.category.as_ref().map(|x| x.as_str().to_owned())),
        ),
        ("urgency", text(c.urgency.label_zh())),
        ("sensitive", Value::Integer(i64::from(c.is_sensitive()))),
        ("title", text(&c.title)),
        ("content", text(&c.content)),
        (
            "citizen_phone",
            opt_text(c.citizen.phone.as_ref().map(|p| p.as_str().to_owned())),
        ),
        (
            "handling_unit",
            opt_text(c.handling_unit.map(|u| u.to_string())),
        ),
        (
            "supervising_unit",
            opt_text(c.supervising_unit.map(|u| u.to_string())),
        ),
        ("received_at", Value::Integer(ms(c.received_at))),
        ("sign_in_deadline", opt_ms(d.sign_in)),
        ("sign_in_warn", opt_ms(d.sign_in_warn)),
        ("reply_deadline", opt_ms(d.reply)),
        ("reply_warn", opt_ms(d.reply_warn)),
        (
            "duplicate_of",
            opt_text(c.duplicate_of.map(|m| m.to_string())),
        ),
        (
            "follow_up_phase",
            Value::Integer(i64::from(c.state.is_follow_up_phase())),
        ),
        ("updated_at", Value::Integer(ms(now))),
        (
            "data",
            if document_too {
                Value::Text(document(c)?)
            } else {
                Value::Null
            },
        ),
    ])
}

/// Inserts a case row (`prev` None) or updates the columns that differ from `prev`'s:
/// an index is only rewritten when one of its columns is set, and most workflow steps
/// change the state and the document, not the channel, category or units.
fn write_row(
    tx: &Transaction<'_>,
    org: &OrgTree,
    c: &Case,
    prev: Option<&Case>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let cols = columns(c, now, true)?;
    let insert = prev.is_none();
    if let Some(prev) = prev {
        let old = columns(prev, now, false)?;
        let always = cols.len() - 2;
        let changed: Vec<usize> = (0..cols.len())
            .filter(|&i| i >= always || cols[i].1 != old[i].1)
            .collect();
        let set = changed
            .iter()
            .enumerate()
            .map(|(n, &i)| format!("{} = ?{}", cols[i].0, n + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let id = Value::Text(c.id.to_string());
        let values = std::iter::once(&id).chain(changed.iter().map(|&i| &cols[i].1));
        tx.prepare_cached(&format!("UPDATE cases SET {set} WHERE id = ?1"))?
            .execute(rusqlite::params_from_iter(values))?;
    } else {
        let names = cols.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        let marks = (2..=cols.len() + 1)
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let id = Value::Text(c.id.to_string());
        let values = std::iter::once(&id).chain(cols.iter().map(|(_, v)| v));
        tx.prepare_cached(&format!(
            "INSERT INTO cases(id, {names}) VALUES (?1,{marks})"
        ))?
        .execute(rusqlite::params_from_iter(values))
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                DbError::Store(StoreError::AlreadyExists(format!("诉求件 {}", c.id)))
            }
            e => e.into(),
        })?;
    }
    let units: Vec<String> = scope_units(c, org)
        .iter()
        .map(ToString::to_string)
        .collect();
    let removed = write_scope(tx, c, &units, insert)?;
    // The change log and tombstones for units that lost the case, in this transaction.
    super::sync::record_change(tx, c.id, c.version, &removed)
}

/// Brings the case's `case_scope` rows to `units`, touching only rows that differ (most
/// workflow steps change neither the units nor the received time). Returns the units
/// that lost the case.
pub(super) fn write_scope(
    tx: &Transaction<'_>,
    c: &Case,
    units: &[String],
    insert: bool,
) -> DbResult<Vec<String>> {
    let (id, state, received) = (c.id.to_string(), c.state.code(), ms(c.received_at));
    let existing: Vec<(String, String, i64)> = if insert {
        Vec::new()
    } else {
        tx.prepare_cached("SELECT unit_id, state, received_at FROM case_scope WHERE case_id = ?1")?
            .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    let mut removed = Vec::new();
    for (unit, old_state, old_received) in &existing {
        if !units.contains(unit) {
            tx.prepare_cached("DELETE FROM case_scope WHERE unit_id = ?1 AND case_id = ?2")?
                .execute(params![unit, id])?;
            removed.push(unit.clone());
        } else if *old_state != state || *old_received != received {
            tx.prepare_cached(
                "UPDATE case_scope SET state = ?3, received_at = ?4 WHERE unit_id = ?1 AND case_id = ?2",
            )?
            .execute(params![unit, id, state, received])?;
        }
    }
    let mut ins = tx.prepare_cached(
        "INSERT INTO case_scope(unit_id, case_id, received_at, state) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for u in units
        .iter()
        .filter(|u| !existing.iter().any(|(e, _, _)| e == *u))
    {
        ins.execute(params![u, id, received, state])?;
    }
    Ok(removed)
}

fn append_entry(tx: &Transaction<'_>, e: &TimelineEntry) -> DbResult<()> {
    tx.prepare_cached(
        "INSERT INTO timeline(case_id, seq, id, at, kind, hash, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
            e.case_id.to_string(),
            e.seq as i64,
            e.id.to_string(),
            ms(e.at),
            e.kind,
            e.hash,
            serde_json::to_string(e)?
        ])?;
    Ok(())
}

pub fn insert_cases(
    tx: &Transaction<'_>,
    org: &OrgTree,
    cases: Vec<(Case, Vec<TimelineEntry>)>,
) -> DbResult<Vec<Case>> {
    let mut out = Vec::with_capacity(cases.len());
    for (mut c, entries) in cases {
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Err(StoreError::Internal("a new case needs its intake entry".into()).into());
        };
        // A client-minted id that is taken is the caller's conflict, not a failed insert.
        let taken: bool = tx
            .prepare_cached("SELECT EXISTS(SELECT 1 FROM cases WHERE id = ?1)")?
            .query_row([c.id.to_string()], |r| r.get(0))?;
        if taken {
            return Err(StoreError::AlreadyExists(format!("诉求件 id {}", c.id)).into());
        }
        if c.number.is_none() {
            c.number = Some(next_number(tx, first.at)?);
        }
        c.version = entries.len() as u64;
        write_row(tx, org, &c, None, last.at)?;
        for e in &entries {
            append_entry(tx, e)?;
        }
        out.push(c);
    }
    Ok(out)
}

pub fn get_case(conn: &Connection, id: CaseId) -> DbResult<Option<Case>> {
    let row: Option<(String, String, String)> = conn
        .prepare_cached("SELECT data, title, content FROM cases WHERE id = ?1")?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    row.map(|(d, t, c)| from_document(&d, &t, &c)).transpose()
}

fn last_entry(tx: &Transaction<'_>, id: CaseId) -> DbResult<TimelineEntry> {
    let data: String = tx.query_row(
        "SELECT data FROM timeline WHERE case_id = ?1 ORDER BY seq DESC LIMIT 1",
        [id.to_string()],
        |r| r.get(0),
    )?;
    Ok(serde_json::from_str(&data)?)
}

pub fn update_case(
    tx: &Transaction<'_>,
    org: &OrgTree,
    id: CaseId,
    expected_version: Option<u64>,
    f: &mut dyn FnMut(&Case, &TimelineEntry) -> StoreResult<CaseUpdate>,
) -> DbResult<Case> {
    let current = get_case(tx, id)?.ok_or(StoreError::NotFound("诉求件"))?;
    if let Some(v) = expected_version {
        if v != current.version {
            return Err(StoreError::VersionConflict {
                current: current.version,
            }
            .into());
        }
    }
    let last = last_entry(tx, id)?;
    match f(&current, &last)? {
        CaseUpdate::Write(next, entry) => {
            let mut next = *next;
            next.version = current.version + 1;
            write_row(tx, org, &next, Some(&current), entry.at)?;
            append_entry(tx, &entry)?;
            Ok(next)
        }
        CaseUpdate::WriteAndOpen(next, entry, opening) => {
            let mut next = *next;
            next.version = current.version + 1;
            write_row(tx, org, &next, Some(&current), entry.at)?;
            append_entry(tx, &entry)?;
            crate::accountability::open(tx, &opening)?;
            Ok(next)
        }
        CaseUpdate::Unchanged => Ok(current),
    }
}

pub fn timeline(conn: &Connection, id: CaseId) -> DbResult<Vec<TimelineEntry>> {
    let mut stmt = conn.prepare("SELECT data FROM timeline WHERE case_id = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([id.to_string()], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(serde_json::from_str(&r?)?);
    }
    Ok(out)
}

/// The stored JSON of each entry, verbatim (a pull sends it on without parsing it).
/// With `known_at`, only the entries after the case's version at that change-log
/// position: a case's version is the `seq` of its last entry (an intake writes version
/// = its entry count, every update one entry and one version), so those are exactly the
/// entries appended since. No change of the case at or before the position: all.
pub fn timelines_json(
    conn: &Connection,
    ids: &[CaseId],
    known_at: Option<u64>,
) -> DbResult<Vec<Box<serde_json::value::RawValue>>> {
    let known_at = known_at.map_or(-1, |k| i64::try_from(k).unwrap_or(i64::MAX));
    let mut stmt = conn.prepare_cached(
        "SELECT data FROM timeline WHERE case_id = ?1 AND seq > coalesce(
             (SELECT version FROM changes WHERE case_id = ?1 AND seq <= ?2
              ORDER BY seq DESC LIMIT 1), 0)
         ORDER BY seq",
    )?;
    let mut out = Vec::new();
    for id in ids {
        for r in stmt.query_map(params![id.to_string(), known_at], |r| r.get::<_, String>(0))? {
            out.push(serde_json::value::RawValue::from_string(r?)?);
        }
    }
    Ok(out)
}

/// Builds the FROM/WHERE clauses and their named parameters for a query. Scoped
/// queries drive from `case_scope` (indexed by unit) and join the cases.
struct Filter {
    scoped: bool,
    clauses: Vec<String>,
    params: Vec<(String, Value)>,
}

impl Filter {
    fn new(now: DateTime<Utc>) -> Self {
        Self {
            scoped: false,
            clauses: vec!["1=1".into()],
            params: vec![(":now".into(), Value::Integer(ms(now)))],
        }
    }

    fn bind(&mut self, v: Value) -> String {
        let name = format!(":p{}", self.params.len());
        self.params.push((name.clone(), v));
        name
    }

    fn list(&mut self, values: impl IntoIterator<Item = String>) -> String {
        let names: Vec<String> = values
            .into_iter()
            .map(|v| self.bind(Value::Text(v)))
            .collect();
        if names.is_empty() {
            "(NULL)".into()
        } else {
            format!("({})", names.join(","))
        }
    }

    fn scope(&mut self, scope: &ListScope) {
        match scope {
            ListScope::Everything => {}
            ListScope::FollowUpPhase => self.clauses.push("c.follow_up_phase = 1".into()),
            ListScope::Nothing => self.clauses.push("0".into()),
            ListScope::Unit(u) => {
                let p = self.bind(Value::Text(u.to_string()));
                self.scoped = true;
                self.clauses.push(format!("s.unit_id = {p}"));
            }
        }
    }

    /// Column of the driving table for state and ordering.
    fn state_col(&self) -> &'static str {
        if self.scoped {
            "s.state"
        } else {
            "c.state"
        }
    }

    fn order_cols(&self) -> (&'static str, &'static str) {
        if self.scoped {
            ("s.received_at", "s.case_id")
        } else {
            ("c.received_at", "c.id")
        }
    }

    fn from(&self) -> &'static str {
        if self.scoped {
            "case_scope s JOIN cases c ON c.id = s.case_id"
        } else {
            "cases c"
        }
    }

    fn query(q: &CaseQuery) -> Self {
        let mut f = Self::new(q.now);
        if let Some(s) = &q.scope {
            f.scope(s);
        }
        if !q.states.is_empty() {
            let l = f.list(q.states.iter().map(|s| s.code()));
            f.clauses.push(format!("{} IN {l}", f.state_col()));
        }
        if let Some(u) = q.unit {
            let p = f.bind(Value::Text(u.to_string()));
            f.clauses.push(format!(
                "c.id IN (SELECT case_id FROM case_scope WHERE unit_id = {p})"
            ));
        }
        if let Some(c) = &q.category {
            let p = f.bind(Value::Text(c.clone()));
            f.clauses.push(format!("c.category = {p}"));
        }
        if let Some(c) = q.channel {
            let p = f.bind(Value::Text(c.label_zh().into()));
            f.clauses.push(format!("c.channel = {p}"));
        }
        if let Some(t) = q.request_type {
            let p = f.bind(Value::Text(t.label_zh().into()));
            f.clauses.push(format!("c.request_type = {p}"));
        }
        // Overdue and due-soon cases are always in a handling state; saying so lets the
        // state index narrow the scan.
        let handling = format!("{} IN {}", f.state_col(), handling());
        match q.overdue {
            Some(true) => f.clauses.push(format!("{handling} AND {}", overdue_sql())),
            Some(false) => f.clauses.push(format!("NOT {}", overdue_sql())),
            None => {}
        }
        match q.list {
            Some(WorkList::Unsigned) => f
                .clauses
                .push(format!("{} = 'pendingSignIn'", f.state_col())),
            Some(WorkList::InProgress) => {
                f.clauses.push(format!(
                    "{} IN ('inProgress','pendingReview')",
                    f.state_col()
                ));
            }
            Some(WorkList::DueSoon) => f.clauses.push(format!("{handling} AND {}", due_soon_sql())),
            Some(WorkList::Overdue) => f.clauses.push(format!("{handling} AND {}", overdue_sql())),
            None => {}
        }
        if let Some(t) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let esc = t
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let p = f.bind(Value::Text(format!("%{esc}%")));
            if t.chars().count() >= 3 {
                // A quoted FTS5 phrase: the text is a literal, never query syntax.
                let phrase = f.bind(Value::Text(format!("\"{}\"", t.replace('"', "\"\""))));
                f.clauses.push(format!(
                    "c.rowid IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH {phrase})"
                ));
            } else {
                f.clauses.push(format!(
                    "(c.title LIKE {p} ESCAPE '\\' OR c.content LIKE {p} ESCAPE '\\')"
                ));
            }
        }
        // On the driving table, so a scoped date range is one index range too.
        let (received, _) = f.order_cols();
        if let Some(from) = q.received_from {
            let p = f.bind(Value::Integer(ms(from)));
            f.clauses.push(format!("{received} >= {p}"));
        }
        if let Some(to) = q.received_to {
            let p = f.bind(Value::Integer(ms(to)));
            f.clauses.push(format!("{received} < {p}"));
        }
        f
    }

    fn sql_where(&self) -> String {
        self.clauses.join(" AND ")
    }
}

fn run<T>(
    conn: &Connection,
    sql: &str,
    f: &Filter,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> DbResult<Vec<T>> {
    let mut stmt = conn.prepare(sql)?;
    // Only bind the names the statement uses (`:now` may be absent).
    let mut bound: Vec<(&str, &dyn rusqlite::ToSql)> = Vec::new();
    for (name, v) in &f.params {
        if stmt.parameter_index(name)?.is_some() {
            bound.push((name.as_str(), v as &dyn rusqlite::ToSql));
        }
    }
    let rows = stmt.query_map(bound.as_slice(), map)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn list_cases(conn: &Connection, q: &CaseQuery) -> DbResult<CasePage> {
    let mut f = Filter::query(q);
    let (at_col, id_col) = f.order_cols();
    if let Some((at, id)) = &q.after {
        let a = f.bind(Value::Integer(*at));
        let i = f.bind(Value::Text(id.clone()));
        f.clauses.push(format!(
            "({at_col} < {a} OR ({at_col} = {a} AND {id_col} < {i}))"
        ));
    }
    let limit = q.limit.clamp(1, 500);
    let sql = format!(
        "SELECT c.id, c.number, c.title, c.channel, c.request_type, c.category, c.state, c.urgency, c.sensitive,
           c.handling_unit, c.supervising_unit, c.received_at, c.sign_in_deadline, c.reply_deadline, c.version,
           {o} AS overdue
         FROM {from} WHERE {w} ORDER BY {at_col} DESC, {id_col} DESC LIMIT {lim}",
        o = overdue_sql(),
        from = f.from(),
        w = f.sql_where(),
        lim = limit + 1
    );
    let mut items = run(conn, &sql, &f, |r| {
        let state: String = r.get(6)?;
        let parse_opt = |v: Option<String>| v.map(|s| parse_id(&s)).transpose();
        Ok(CaseSummary {
            id: parse_id(&r.get::<_, String>(0)?)?,
            number: r.get(1)?,
            title: r.get(2)?,
            channel: r
                .get::<_, String>(3)?
                .parse()
                .unwrap_or(minsheng_domain::case::Channel::PoliceHotline),
            request_type: r
                .get::<_, String>(4)?
                .parse()
                .unwrap_or(minsheng_domain::case::RequestType::Consultation),
            category: r.get(5)?,
            state: CaseState::from_code(&state).unwrap_or(CaseState::PendingAcceptance),
            urgency: r.get(7)?,
            sensitive: r.get(8)?,
            handling_unit: parse_opt(r.get(9)?)?,
            supervising_unit: parse_opt(r.get(10)?)?,
            received_at: from_ms(r.get(11)?),
            sign_in_deadline: r.get::<_, Option<i64>>(12)?.map(from_ms),
            reply_deadline: r.get::<_, Option<i64>>(13)?.map(from_ms),
            version: r.get::<_, i64>(14)? as u64,
            overdue: r.get(15)?,
        })
    })?;
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|l| (ms(l.received_at), l.id.to_string()))
    } else {
        None
    };
    Ok(CasePage { items, next })
}

pub fn count_cases(conn: &Connection, q: &CaseQuery) -> DbResult<u64> {
    let f = Filter::query(q);
    let sql = format!("SELECT COUNT(*) FROM {} WHERE {}", f.from(), f.sql_where());
    Ok(run(conn, &sql, &f, |r| r.get::<_, i64>(0))?
        .first()
        .copied()
        .unwrap_or(0) as u64)
}

pub fn worklist_counts(
    conn: &Connection,
    scope: &ListScope,
    now: DateTime<Utc>,
) -> DbResult<WorkListCounts> {
    let mut f = Filter::new(now);
    f.scope(scope);
    f.clauses
        .push(format!("{} IN {}", f.state_col(), handling()));
    let sql = format!(
        "SELECT
           COALESCE(SUM(c.state = 'pendingSignIn'), 0),
           COALESCE(SUM(c.state IN ('inProgress','pendingReview')), 0),
           COALESCE(SUM({d}), 0),
           COALESCE(SUM({o}), 0)
         FROM {from} WHERE {w}",
        d = due_soon_sql(),
        o = overdue_sql(),
        from = f.from(),
        w = f.sql_where()
    );
    let rows = run(conn, &sql, &f, |r| {
        Ok(WorkListCounts {
            unsigned: r.get::<_, i64>(0)? as u64,
            in_progress: r.get::<_, i64>(1)? as u64,
            due_soon: r.get::<_, i64>(2)? as u64,
            overdue: r.get::<_, i64>(3)? as u64,
        })
    })?;
    Ok(rows.into_iter().next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use minsheng_domain::case::{CaseFlags, Channel, RequestType, Urgency};
    use minsheng_domain::ids::{UnitId, UserId};
    use minsheng_domain::role::{Actor, Role};
    use minsheng_domain::workflow::{intake, NewCase};

    #[test]
    fn a_document_and_its_text_columns_give_back_the_same_case() {
        let clerk = Actor {
            user_id: UserId::mint(Utc::now()),
            name: "李受理".into(),
            role: Role::Clerk,
            unit_id: UnitId::mint(Utc::now()),
        };
        let new = NewCase {
            id: None,
            channel: Channel::MayorHotline,
            request_type: RequestType::Complaint,
            category: None,
            title: "标题含\"引号\"与\\反斜杠".into(),
            content: "第一行\n第二行\t<script>alert(1)</script> 😀".into(),
            citizen_name: "张三".into(),
            citizen_phone: Some("13812345678".into()),
            citizen_id_card: None,
            address: None,
            district: None,
            received_at: None,
            urgency: Urgency::Ordinary,
            flags: CaseFlags::default(),
            leader_instruction: None,
        };
        let case = intake(&new, &clerk, Utc::now()).unwrap();
        let doc = document(&case).unwrap();
        assert!(!doc.contains("第二行"), "the text lives in its own columns");
        let back = from_document(&doc, &case.title, &case.content).unwrap();
        assert_eq!(back, case);
        assert!(from_document("[1]", "t", "c").is_err());
    }
}
