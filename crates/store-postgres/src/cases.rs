//! Cases, their timeline and list queries on PostgreSQL.
//!
//! Every case write locks the case row it rewrites (`FOR UPDATE`), so a
//! read-modify-write of a case never loses a concurrent one, and logs the change at a
//! pending position that becomes real at commit (`sync::assign_positions`).

use chrono::{DateTime, Utc};
use minsheng_domain::calendar::beijing;
use minsheng_domain::case::{Case, CaseState, Channel, RequestType};
use minsheng_domain::ids::CaseId;
use minsheng_domain::lists::WorkList;
use minsheng_domain::org::OrgTree;
use minsheng_domain::scope::{scope_units, ListScope};
use minsheng_domain::timeline::TimelineEntry;
use postgres::types::ToSql;
use postgres::{GenericClient, Row, Transaction};

use crate::{from_ms, ms, parse_id, sync, DbError, DbResult};
use minsheng_store::{
    CasePage, CaseQuery, CaseSummary, CaseUpdate, StoreError, StoreResult, WorkListCounts,
};

/// The handling states (`CaseState::is_handling`): the ones with a running deadline.
fn handling() -> String {
    crate::states_sql(CaseState::is_handling)
}

/// True or false, never NULL: a case without a deadline (待定: the calendar of its
/// year is missing) is not overdue, and `NOT overdue` must still select it.
fn overdue_sql(now: &str) -> String {
    format!(
        "((c.state = 'pendingSignIn' AND c.sign_in_deadline IS NOT NULL AND c.sign_in_deadline < {now}) \
          OR (c.state IN {h} AND c.reply_deadline IS NOT NULL AND c.reply_deadline < {now}))",
        h = handling()
    )
}

fn due_soon_sql(now: &str) -> String {
    format!(
        "(c.state IN {h} AND NOT {o} AND ((c.state = 'pendingSignIn' AND c.sign_in_warn <= {now}) OR c.reply_warn <= {now}))",
        h = handling(),
        o = overdue_sql(now)
    )
}

/// The next number of the Beijing day of `at`. `INSERT … ON CONFLICT … DO UPDATE`
/// increments the day's row atomically and keeps it locked until commit, so concurrent
/// intakes (on any instance) never draw the same number.
fn next_number(tx: &mut Transaction<'_>, at: DateTime<Utc>) -> DbResult<String> {
    let day = at.with_timezone(&beijing()).format("%Y%m%d").to_string();
    let n: i64 = tx
        .query_one(
            "INSERT INTO case_numbers(day, last) VALUES ($1, 1)
             ON CONFLICT (day) DO UPDATE SET last = case_numbers.last + 1 RETURNING last",
            &[&day],
        )?
        .get(0);
    Ok(format!("MS{day}{n:04}"))
}

/// Title and content live in their own columns (and the trigram indexes), not again
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

type Value = Box<dyn ToSql + Sync>;

/// The `cases` columns of a case (besides `id`), in table order.
fn columns(c: &Case, now: DateTime<Utc>) -> DbResult<[(&'static str, Value); 22]> {
    let d = &c.deadlines;
    let text = |s: &str| -> Value { Box::new(s.to_owned()) };
    let opt_text = |s: Option<String>| -> Value { Box::new(s) };
    let opt_ms = |t: Option<DateTime<Utc>>| -> Value { Box::new(t.map(ms)) };
    Ok([
        ("number", opt_text(c.number.clone())),
        ("version", Box::new(c.version as i64)),
        ("state", Box::new(c.state.code())),
        ("channel", text(c.channel.label_zh())),
        ("request_type", text(c.request_type.label_zh())),
        (
            "category",
            opt_text(c.category.as_ref().map(|x| x.as_str().to_owned())),
        ),
        ("urgency", text(c.urgency.label_zh())),
        ("sensitive", Box::new(c.is_sensitive())),
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
        ("received_at", Box::new(ms(c.received_at))),
        ("sign_in_deadline", opt_ms(d.sign_in)),
        ("sign_in_warn", opt_ms(d.sign_in_warn)),
        ("reply_deadline", opt_ms(d.reply)),
        ("reply_warn", opt_ms(d.reply_warn)),
        (
            "duplicate_of",
            opt_text(c.duplicate_of.map(|m| m.to_string())),
        ),
        ("follow_up_phase", Box::new(c.state.is_follow_up_phase())),
        ("updated_at", Box::new(ms(now))),
        ("data", Box::new(document(c)?)),
    ])
}

/// Inserts a case row or rewrites it (the caller holds its lock), brings its scope
/// rows along and logs the change. PostgreSQL compares the indexed values itself (a
/// heap-only update when none changed), so every column is written.
fn write_row(
    tx: &mut Transaction<'_>,
    org: &OrgTree,
    c: &Case,
    insert: bool,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let cols = columns(c, now)?;
    let id = c.id.to_string();
    let mut values: Vec<&(dyn ToSql + Sync)> = vec![&id];
    values.extend(cols.iter().map(|(_, v)| v.as_ref()));
    if insert {
        let names = cols.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        let marks = (2..=cols.len() + 1)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(",");
        tx.execute(
            &format!("INSERT INTO cases(id, {names}) VALUES ($1,{marks})"),
            &values,
        )
        .map_err(|e| {
            let e = DbError::from(e);
            if e.is_unique_violation() {
                StoreError::AlreadyExists(format!("诉求件 {}", c.id)).into()
            } else {
                e
            }
        })?;
    } else {
        let set = cols
            .iter()
            .enumerate()
            .map(|(i, (n, _))| format!("{n} = ${}", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        tx.execute(&format!("UPDATE cases SET {set} WHERE id = $1"), &values)?;
    }
    let units: Vec<String> = scope_units(c, org)
        .iter()
        .map(ToString::to_string)
        .collect();
    let removed = write_scope(tx, c, &units, insert)?;
    // The change log and tombstones for units that lost the case, in this transaction.
    sync::record_change(tx, c.id, c.version, &removed)
}

/// Brings the case's `case_scope` rows to `units`, touching only rows that differ (most
/// workflow steps change neither the units nor the received time). Returns the units
/// that lost the case.
pub(crate) fn write_scope(
    tx: &mut Transaction<'_>,
    c: &Case,
    units: &[String],
    insert: bool,
) -> DbResult<Vec<String>> {
    let (id, state, received) = (c.id.to_string(), c.state.code(), ms(c.received_at));
    let existing: Vec<(String, String, i64)> = if insert {
        Vec::new()
    } else {
        tx.query(
            "SELECT unit_id, state, received_at FROM case_scope WHERE case_id = $1",
            &[&id],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
    };
    let mut removed = Vec::new();
    for (unit, old_state, old_received) in &existing {
        if !units.contains(unit) {
            tx.execute(
                "DELETE FROM case_scope WHERE unit_id = $1 AND case_id = $2",
                &[unit, &id],
            )?;
            removed.push(unit.clone());
        } else if *old_state != state || *old_received != received {
            tx.execute(
                "UPDATE case_scope SET state = $3, received_at = $4 WHERE unit_id = $1 AND case_id = $2",
                &[unit, &id, &state, &received],
            )?;
        }
    }
    let added: Vec<&String> = units
        .iter()
        .filter(|u| !existing.iter().any(|(e, _, _)| e == *u))
        .collect();
    if !added.is_empty() {
        let stmt = tx.prepare(
            "INSERT INTO case_scope(unit_id, case_id, received_at, state) VALUES ($1, $2, $3, $4)",
        )?;
        for u in added {
            tx.execute(&stmt, &[u, &id, &received, &state])?;
        }
    }
    Ok(removed)
}

fn append_entry(tx: &mut Transaction<'_>, e: &TimelineEntry) -> DbResult<()> {
    tx.execute(
        "INSERT INTO timeline(case_id, seq, id, at, kind, hash, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &e.case_id.to_string(),
            &(e.seq as i64),
            &e.id.to_string(),
            &ms(e.at),
            &e.kind,
            &e.hash,
            &serde_json::to_string(e)?,
        ],
    )?;
    Ok(())
}

/// `Store::insert_cases` inside the caller's transaction (a keyed bulk import and a
/// pushed intake use it too).
pub(crate) fn insert_cases(
    tx: &mut Transaction<'_>,
    org: &OrgTree,
    cases: Vec<(Case, Vec<TimelineEntry>)>,
) -> DbResult<Vec<Case>> {
    if cases.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(cases.len());
    for (mut c, entries) in cases {
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Err(StoreError::Internal("a new case needs its intake entry".into()).into());
        };
        // A client-minted id that is taken is the caller's conflict, not a failed insert
        // (checked before a number is drawn; the insert still maps a race to the same).
        let taken: bool = tx
            .query_one(
                "SELECT EXISTS(SELECT 1 FROM cases WHERE id = $1)",
                &[&c.id.to_string()],
            )?
            .get(0);
        if taken {
            return Err(StoreError::AlreadyExists(format!("诉求件 id {}", c.id)).into());
        }
        if c.number.is_none() {
            c.number = Some(next_number(tx, first.at)?);
        }
        c.version = entries.len() as u64;
        write_row(tx, org, &c, true, last.at)?;
        for e in &entries {
            append_entry(tx, e)?;
        }
        out.push(c);
    }
    Ok(out)
}

fn case_from_row(r: &Row) -> DbResult<Case> {
    from_document(r.get(0), r.get(1), r.get(2))
}

/// A case as committed (or as written by the caller's transaction).
pub(crate) fn get_case(c: &mut impl GenericClient, id: CaseId) -> DbResult<Option<Case>> {
    c.query_opt(
        "SELECT data, title, content FROM cases WHERE id = $1",
        &[&id.to_string()],
    )?
    .as_ref()
    .map(case_from_row)
    .transpose()
}

/// The cases of `ids` that exist, in the order of `ids`: one statement for a pull
/// page, not one per case.
pub(crate) fn get_cases(c: &mut impl GenericClient, ids: &[CaseId]) -> DbResult<Vec<Case>> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    c.query(
        "SELECT c.data, c.title, c.content
           FROM unnest($1::text[]) WITH ORDINALITY AS want(id, ord)
           JOIN cases c ON c.id = want.id
          ORDER BY want.ord",
        &[&ids],
    )?
    .iter()
    .map(case_from_row)
    .collect()
}

/// A case with its row locked until commit (read-modify-write).
pub(crate) fn lock_case(tx: &mut Transaction<'_>, id: CaseId) -> DbResult<Option<Case>> {
    tx.query_opt(
        "SELECT data, title, content FROM cases WHERE id = $1 FOR UPDATE",
        &[&id.to_string()],
    )?
    .as_ref()
    .map(case_from_row)
    .transpose()
}

fn last_entry(tx: &mut Transaction<'_>, id: CaseId) -> DbResult<TimelineEntry> {
    let row = tx.query_one(
        "SELECT data FROM timeline WHERE case_id = $1 ORDER BY seq DESC LIMIT 1",
        &[&id.to_string()],
    )?;
    Ok(serde_json::from_str(row.get(0))?)
}

/// `Store::update_case` inside the caller's transaction. The counter is taken first,
/// then the case row (`FOR UPDATE`): the closure sees the latest committed case, and no
/// other writer changes it before this transaction ends.
pub(crate) fn update_case(
    tx: &mut Transaction<'_>,
    org: &OrgTree,
    id: CaseId,
    expected_version: Option<u64>,
    f: &mut dyn FnMut(&Case, &TimelineEntry) -> StoreResult<CaseUpdate>,
) -> DbResult<Case> {
    let current = lock_case(tx, id)?.ok_or(StoreError::NotFound("诉求件"))?;
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
            write_row(tx, org, &next, false, entry.at)?;
            append_entry(tx, &entry)?;
            Ok(next)
        }
        CaseUpdate::WriteAndOpen(next, entry, opening) => {
            let mut next = *next;
            next.version = current.version + 1;
            write_row(tx, org, &next, false, entry.at)?;
            append_entry(tx, &entry)?;
            crate::accountability::open(tx, &opening)?;
            Ok(next)
        }
        CaseUpdate::Unchanged => Ok(current),
    }
}

pub(crate) fn timeline(c: &mut impl GenericClient, id: CaseId) -> DbResult<Vec<TimelineEntry>> {
    c.query(
        "SELECT data FROM timeline WHERE case_id = $1 ORDER BY seq",
        &[&id.to_string()],
    )?
    .iter()
    .map(|r| Ok(serde_json::from_str(r.get(0))?))
    .collect()
}

/// The stored JSON of each entry, verbatim (a pull sends it on without parsing it).
/// With `known_at`, only the entries after the case's version at that change-log
/// position: a case's version is the `seq` of its last entry (an intake writes version
/// = its entry count, every update one entry and one version), so those are exactly the
/// entries appended since. No change of the case at or before the position: all.
pub(crate) fn timelines_json(
    c: &mut impl GenericClient,
    ids: &[CaseId],
    known_at: Option<u64>,
) -> DbResult<Vec<Box<serde_json::value::RawValue>>> {
    let known_at = known_at.map_or(-1, |k| i64::try_from(k).unwrap_or(i64::MAX));
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    // One statement for the whole page (a page of 500 cases used to take 500).
    c.query(
        "SELECT t.data
           FROM unnest($1::text[]) WITH ORDINALITY AS want(id, ord)
          CROSS JOIN LATERAL (SELECT coalesce(
                (SELECT ch.version FROM changes ch WHERE ch.case_id = want.id AND ch.seq <= $2
                  ORDER BY ch.seq DESC LIMIT 1), 0) AS known) k
           JOIN timeline t ON t.case_id = want.id AND t.seq > k.known
          ORDER BY want.ord, t.seq",
        &[&ids, &known_at],
    )?
    .iter()
    .map(|r| Ok(serde_json::value::RawValue::from_string(r.get(0))?))
    .collect()
}

/// Builds the FROM/WHERE clauses and their parameters (`$1`, `$2` … in binding order)
/// for a query. Scoped queries drive from `case_scope` (indexed by unit) and join the
/// cases. Only what a statement uses is bound: PostgreSQL refuses a parameter it cannot
/// type.
struct Filter {
    scoped: bool,
    clauses: Vec<String>,
    params: Vec<Value>,
    now: DateTime<Utc>,
    now_param: Option<String>,
}

impl Filter {
    fn new(now: DateTime<Utc>) -> Self {
        Self {
            scoped: false,
            clauses: vec!["TRUE".into()],
            params: Vec::new(),
            now,
            now_param: None,
        }
    }

    fn bind(&mut self, v: impl ToSql + Sync + 'static) -> String {
        self.params.push(Box::new(v));
        format!("${}", self.params.len())
    }

    /// The parameter holding `now` (bound on first use).
    fn now(&mut self) -> String {
        if let Some(p) = &self.now_param {
            return p.clone();
        }
        let p = self.bind(ms(self.now));
        self.now_param = Some(p.clone());
        p
    }

    fn list(&mut self, values: impl IntoIterator<Item = String>) -> String {
        let names: Vec<String> = values.into_iter().map(|v| self.bind(v)).collect();
        if names.is_empty() {
            "(NULL)".into()
        } else {
            format!("({})", names.join(","))
        }
    }

    fn scope(&mut self, scope: &ListScope) {
        match scope {
            ListScope::Everything => {}
            ListScope::FollowUpPhase => self.clauses.push("c.follow_up_phase".into()),
            ListScope::Nothing => self.clauses.push("FALSE".into()),
            ListScope::Unit(u) => {
                let p = self.bind(u.to_string());
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
            let p = f.bind(u.to_string());
            f.clauses.push(format!(
                "c.id IN (SELECT case_id FROM case_scope WHERE unit_id = {p})"
            ));
        }
        if let Some(c) = &q.category {
            let p = f.bind(c.clone());
            f.clauses.push(format!("c.category = {p}"));
        }
        if let Some(c) = q.channel {
            let p = f.bind(c.label_zh().to_owned());
            f.clauses.push(format!("c.channel = {p}"));
        }
        if let Some(t) = q.request_type {
            let p = f.bind(t.label_zh().to_owned());
            f.clauses.push(format!("c.request_type = {p}"));
        }
        // Overdue and due-soon cases are always in a handling state; saying so lets the
        // state index narrow the scan.
        let handling = format!("{} IN {}", f.state_col(), handling());
        match q.overdue {
            Some(true) => {
                let now = f.now();
                f.clauses
                    .push(format!("{handling} AND {}", overdue_sql(&now)));
            }
            Some(false) => {
                let now = f.now();
                f.clauses.push(format!("NOT {}", overdue_sql(&now)));
            }
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
            Some(WorkList::DueSoon) => {
                let now = f.now();
                f.clauses
                    .push(format!("{handling} AND {}", due_soon_sql(&now)));
            }
            Some(WorkList::Overdue) => {
                let now = f.now();
                f.clauses
                    .push(format!("{handling} AND {}", overdue_sql(&now)));
            }
            None => {}
        }
        if let Some(t) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // A literal substring: the pattern's own wildcards and the escape are escaped.
            // ILIKE (case-insensitive, like SQLite's trigram index and LIKE) is what the
            // pg_trgm GIN indexes answer.
            let esc = t
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let p = f.bind(format!("%{esc}%"));
            f.clauses.push(format!(
                "(c.title ILIKE {p} ESCAPE '\\' OR c.content ILIKE {p} ESCAPE '\\')"
            ));
        }
        // On the driving table, so a scoped date range is one index range too.
        let (received, _) = f.order_cols();
        if let Some(from) = q.received_from {
            let p = f.bind(ms(from));
            f.clauses.push(format!("{received} >= {p}"));
        }
        if let Some(to) = q.received_to {
            let p = f.bind(ms(to));
            f.clauses.push(format!("{received} < {p}"));
        }
        f
    }

    fn sql_where(&self) -> String {
        self.clauses.join(" AND ")
    }

    fn run(&self, c: &mut impl GenericClient, sql: &str) -> DbResult<Vec<Row>> {
        let params: Vec<&(dyn ToSql + Sync)> = self.params.iter().map(AsRef::as_ref).collect();
        Ok(c.query(sql, &params)?)
    }
}

fn opt_id<T: std::str::FromStr>(v: Option<&str>) -> DbResult<Option<T>> {
    v.map(parse_id).transpose()
}

fn summary_from_row(r: &Row) -> DbResult<CaseSummary> {
    let state: &str = r.get(6);
    Ok(CaseSummary {
        id: parse_id(r.get::<_, &str>(0))?,
        number: r.get(1),
        title: r.get(2),
        channel: r
            .get::<_, &str>(3)
            .parse()
            .unwrap_or(Channel::PoliceHotline),
        request_type: r
            .get::<_, &str>(4)
            .parse()
            .unwrap_or(RequestType::Consultation),
        category: r.get(5),
        state: CaseState::from_code(state).unwrap_or(CaseState::PendingAcceptance),
        urgency: r.get(7),
        sensitive: r.get(8),
        handling_unit: opt_id(r.get(9))?,
        supervising_unit: opt_id(r.get(10))?,
        received_at: from_ms(r.get(11)),
        sign_in_deadline: r.get::<_, Option<i64>>(12).map(from_ms),
        reply_deadline: r.get::<_, Option<i64>>(13).map(from_ms),
        version: r.get::<_, i64>(14) as u64,
        overdue: r.get(15),
    })
}

pub(crate) fn list_cases(c: &mut impl GenericClient, q: &CaseQuery) -> DbResult<CasePage> {
    let mut f = Filter::query(q);
    let (at_col, id_col) = f.order_cols();
    if let Some((at, id)) = &q.after {
        let at_p = f.bind(*at);
        let id_p = f.bind(id.clone());
        // A row comparison: the same order as the ORDER BY, and one index range.
        f.clauses
            .push(format!("({at_col}, {id_col}) < ({at_p}, {id_p})"));
    }
    let limit = q.limit.clamp(1, 500);
    let now = f.now();
    let sql = format!(
        "SELECT c.id, c.number, c.title, c.channel, c.request_type, c.category, c.state, c.urgency, c.sensitive,
           c.handling_unit, c.supervising_unit, c.received_at, c.sign_in_deadline, c.reply_deadline, c.version,
           {o} AS overdue
         FROM {from} WHERE {w} ORDER BY {at_col} DESC, {id_col} DESC LIMIT {lim}",
        o = overdue_sql(&now),
        from = f.from(),
        w = f.sql_where(),
        lim = limit + 1
    );
    let mut items = f
        .run(c, &sql)?
        .iter()
        .map(summary_from_row)
        .collect::<DbResult<Vec<_>>>()?;
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|l| (ms(l.received_at), l.id.to_string()))
    } else {
        None
    };
    Ok(CasePage { items, next })
}

pub(crate) fn count_cases(c: &mut impl GenericClient, q: &CaseQuery) -> DbResult<u64> {
    let f = Filter::query(q);
    let sql = format!("SELECT COUNT(*) FROM {} WHERE {}", f.from(), f.sql_where());
    Ok(f.run(c, &sql)?.first().map_or(0, |r| r.get::<_, i64>(0)) as u64)
}

pub(crate) fn worklist_counts(
    c: &mut impl GenericClient,
    scope: &ListScope,
    now: DateTime<Utc>,
) -> DbResult<WorkListCounts> {
    let mut f = Filter::new(now);
    f.scope(scope);
    f.clauses
        .push(format!("{} IN {}", f.state_col(), handling()));
    let now = f.now();
    // SUM(CASE …) rather than COUNT(*) FILTER: openGauss lacks FILTER.
    let sql = format!(
        "SELECT
           COALESCE(SUM(CASE WHEN c.state = 'pendingSignIn' THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN c.state IN ('inProgress','pendingReview') THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN {d} THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN {o} THEN 1 ELSE 0 END), 0)
         FROM {from} WHERE {w}",
        d = due_soon_sql(&now),
        o = overdue_sql(&now),
        from = f.from(),
        w = f.sql_where()
    );
    let rows = f.run(c, &sql)?;
    Ok(rows
        .first()
        .map_or_else(WorkListCounts::default, |r| WorkListCounts {
            unsigned: r.get::<_, i64>(0) as u64,
            in_progress: r.get::<_, i64>(1) as u64,
            due_soon: r.get::<_, i64>(2) as u64,
            overdue: r.get::<_, i64>(3) as u64,
        }))
}
