//! Cached cases: the server's view of each case in scope, and the columns lists,
//! search and purging need.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::case::{Case, CaseState, Deadlines};
use minsheng_domain::citizen::CitizenView;
use minsheng_domain::ids::{CaseId, UnitId};
use minsheng_domain::lists::running_deadline;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{from_ms, to_ms, LocalCache};
use crate::error::{ClientError, Result};

/// A case as cached: the domain case (citizen identity left out — the workflow never
/// needs it), the citizen as the server showed it (masked), and the JSON as received.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedCase {
    pub case: Case,
    pub citizen: CitizenView,
    pub raw: Value,
}

impl CachedCase {
    /// Parses a server case view (`GET /cases/{id}`, action responses, pulls).
    pub fn from_view(mut raw: Value) -> Result<Self> {
        let shown = raw
            .get_mut("citizen")
            .map(Value::take)
            .ok_or_else(|| ClientError::Corrupt("诉求件缺少 citizen 字段".into()))?;
        let citizen = CitizenView::deserialize(&shown)?;
        // The domain copy gets the name only; parsed in place, without copying the view.
        raw["citizen"] = json!({ "name": citizen.name, "phone": null, "idCard": null });
        let parsed = Case::deserialize(&raw);
        raw["citizen"] = shown;
        Ok(Self {
            case: parsed?,
            citizen,
            raw,
        })
    }

    /// A case created offline, in the same JSON shape as the server's view. The
    /// citizen is shown unmasked: the officer typed it on this device.
    pub fn local(case: &Case) -> Result<Self> {
        let mut raw = serde_json::to_value(case)?;
        raw["citizen"] = serde_json::to_value(case.citizen.view(true))?;
        raw["stateName"] = json!(case.state.label_zh());
        Self::from_view(raw)
    }

    /// Created offline and not yet confirmed by the server (no case number yet).
    pub fn is_local_only(&self) -> bool {
        self.case.version == 0
    }
}

/// One line of a case list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseRow {
    pub id: CaseId,
    /// None until a case created offline reaches the server.
    pub number: Option<String>,
    pub title: String,
    pub state: CaseState,
    pub handling_unit: Option<UnitId>,
    pub received_at: DateTime<Utc>,
    pub version: u64,
    /// Commands not yet confirmed by the server.
    pub pending_commands: u32,
    pub category: Option<String>,
    /// Channel in its wire form (the Chinese name, e.g. `12345市长热线`).
    pub channel: Option<String>,
    /// Urgency in its wire form (`普通`, `紧急` ...).
    pub urgency: Option<String>,
    /// The deadline running now (sign-in or reply), if any.
    pub deadline: Option<DateTime<Utc>>,
    /// Past `deadline` at the time of the query.
    pub overdue: bool,
    /// Inside the warning window of `deadline` at the time of the query.
    pub due_soon: bool,
    /// From this instant the running deadline is 即将逾期.
    pub warn_at: Option<DateTime<Utc>>,
}

impl CaseRow {
    /// Sets `overdue`/`due_soon` as of `now` (the same rule as `lists::is_overdue`).
    #[must_use]
    pub fn mark(mut self, now: DateTime<Utc>) -> Self {
        self.overdue = self.deadline.is_some_and(|d| now > d);
        self.due_soon = !self.overdue && self.warn_at.is_some_and(|w| now >= w);
        self
    }
}

pub(crate) const ROW_COLUMNS: &str = "c.id, c.number, c.title, c.state, c.handling_unit,
    c.received_at, c.version,
    (SELECT count(*) FROM outbox o WHERE o.case_id = c.id AND o.status IN ('queued', 'sent')),
    c.category, c.channel, c.urgency, c.due_at, c.warn_at";

pub(crate) fn case_row(r: &Row<'_>) -> rusqlite::Result<CaseRow> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("bad {what}").into(),
        )
    };
    let id: String = r.get(0)?;
    let state: String = r.get(3)?;
    let unit: Option<String> = r.get(4)?;
    Ok(CaseRow {
        id: id.parse().map_err(|_| bad(0, "case id"))?,
        number: r.get(1)?,
        title: r.get(2)?,
        state: CaseState::from_code(&state).ok_or_else(|| bad(3, "state"))?,
        handling_unit: unit
            .map(|u| u.parse().map_err(|_| bad(4, "unit id")))
            .transpose()?,
        received_at: from_ms(r.get(5)?),
        version: r.get::<_, i64>(6)? as u64,
        pending_commands: r.get(7)?,
        category: r.get(8)?,
        channel: r.get(9)?,
        urgency: r.get(10)?,
        deadline: r.get::<_, Option<i64>>(11)?.map(from_ms),
        overdue: false,
        due_soon: false,
        warn_at: r.get::<_, Option<i64>>(12)?.map(from_ms),
    })
}

/// The columns the cache keeps beside a case view's JSON, read straight from that JSON:
/// unknown fields are skipped and strings borrowed, so storing a pulled case builds
/// neither a `Value` nor a `Case` (enums stay in their wire form, the Chinese name).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ViewColumns<'a> {
    id: CaseId,
    #[serde(borrow)]
    number: Option<Cow<'a, str>>,
    version: u64,
    state: CaseState,
    handling_unit: Option<UnitId>,
    received_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    #[serde(borrow)]
    title: Cow<'a, str>,
    #[serde(borrow)]
    content: Cow<'a, str>,
    #[serde(borrow)]
    category: Option<Cow<'a, str>>,
    #[serde(borrow)]
    channel: Cow<'a, str>,
    #[serde(borrow)]
    urgency: Cow<'a, str>,
    #[serde(borrow)]
    request_type: Cow<'a, str>,
    supervising_unit: Option<UnitId>,
    duplicate_of: Option<CaseId>,
    deadlines: Deadlines,
    /// Only whether one is present matters to the cache.
    pending_extension: Option<serde::de::IgnoredAny>,
}

/// Writes one case unless the cache already holds this version or a newer one (a view
/// of the same version differs at most in what depends on the clock, which the cache
/// recomputes; so the cases a push just returned are not written again by the pull).
/// Returns whether the row changed. Runs on whatever transaction `conn` is in.
pub(crate) fn upsert(conn: &Connection, c: &CachedCase) -> Result<bool> {
    Ok(upsert_json(conn, &serde_json::to_string(&c.raw)?)?.written)
}

/// What `upsert_json` did with a case view.
pub(crate) struct Upserted {
    pub id: CaseId,
    pub version: u64,
    /// False when the cache already held this version or a newer one.
    pub written: bool,
}

/// The list columns of a case row besides `id` and `json`, in this order.
const LIST_COLUMNS: [&str; 17] = [
    "number",
    "version",
    "state",
    "handling_unit",
    "received_at",
    "closed_at",
    "title",
    "content",
    "category",
    "channel",
    "urgency",
    "request_type",
    "supervising_unit",
    "due_at",
    "warn_at",
    "awaiting_extension",
    "duplicate_of",
];

fn list_values(k: &ViewColumns<'_>) -> [SqlValue; 17] {
    let text = |s: &str| SqlValue::Text(s.to_owned());
    let opt_text = |s: Option<&str>| s.map_or(SqlValue::Null, text);
    let opt_int = |i: Option<i64>| i.map_or(SqlValue::Null, SqlValue::Integer);
    let (due, warn) = running_deadline(k.state, &k.deadlines);
    let (due, warn) = (due.map(to_ms), warn.map(to_ms));
    [
        opt_text(k.number.as_deref()),
        SqlValue::Integer(k.version as i64),
        SqlValue::Text(k.state.code()),
        opt_text(k.handling_unit.map(|u| u.to_string()).as_deref()),
        SqlValue::Integer(to_ms(k.received_at)),
        opt_int(k.closed_at.map(to_ms)),
        text(&k.title),
        text(&k.content),
        opt_text(k.category.as_deref()),
        text(&k.channel),
        text(&k.urgency),
        text(&k.request_type),
        opt_text(k.supervising_unit.map(|u| u.to_string()).as_deref()),
        opt_int(due),
        opt_int(warn),
        SqlValue::Integer(i64::from(k.pending_extension.is_some())),
        opt_text(k.duplicate_of.map(|m| m.to_string()).as_deref()),
    ]
}

/// `upsert` for a case view as received (`json` is stored verbatim). An update sets
/// only the columns whose values changed (and the JSON): SQLite rewrites an index
/// whenever one of its columns is assigned, and most changes a pull brings are workflow
/// steps that leave units, channel, category and dates as they were.
pub(crate) fn upsert_json(conn: &Connection, json: &str) -> Result<Upserted> {
    write_view(conn, json, false)
}

/// `upsert_json`; with `same_version`, a view of the version already cached is written
/// too (the migration that fills new columns).
fn write_view(conn: &Connection, json: &str, same_version: bool) -> Result<Upserted> {
    let k: ViewColumns<'_> = serde_json::from_str(json)?;
    let mut done = Upserted {
        id: k.id,
        version: k.version,
        written: true,
    };
    let id_text = k.id.to_string();
    let id = id_text.as_str();
    let new = list_values(&k);
    let old: Option<Vec<SqlValue>> = conn
        .prepare_cached(&format!(
            "SELECT {} FROM cases WHERE id = ?1",
            LIST_COLUMNS.join(", ")
        ))?
        .query_row([&id], |r| {
            (0..LIST_COLUMNS.len()).map(|i| r.get(i)).collect()
        })
        .optional()?;
    let stored = || super::stored_view::encode(json, &k.title, &k.content);
    let Some(old) = old else {
        let json = stored()?;
        let json = json.as_slice();
        conn.prepare_cached(&format!(
            "INSERT INTO cases (id, json, {}) VALUES (?1, ?2, {})",
            LIST_COLUMNS.join(", "),
            (3..LIST_COLUMNS.len() + 3)
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))?
        .execute(bound(&id, &json, new.iter()).as_slice())?;
        return Ok(done);
    };
    // Versions only grow; the same version again (a push answer, then the pull) is
    // the same case.
    let newer = |v| v > k.version as i64 || (v == k.version as i64 && !same_version);
    if matches!(old[1], SqlValue::Integer(v) if newer(v)) {
        done.written = false;
        return Ok(done);
    }
    let json = stored()?;
    let json = json.as_slice();
    let changed: Vec<usize> = (0..new.len()).filter(|&i| new[i] != old[i]).collect();
    let mut set = String::new();
    for (n, &i) in changed.iter().enumerate() {
        let _ = write!(set, ", {} = ?{}", LIST_COLUMNS[i], n + 3);
    }
    conn.prepare_cached(&format!("UPDATE cases SET json = ?2{set} WHERE id = ?1"))?
        .execute(bound(&id, &json, changed.iter().map(|&i| &new[i])).as_slice())?;
    Ok(done)
}

/// `?1` = id, `?2` = the stored view, then the given column values.
fn bound<'a>(
    id: &'a &'a str,
    json: &'a &'a [u8],
    values: impl Iterator<Item = &'a SqlValue>,
) -> Vec<&'a dyn rusqlite::ToSql> {
    let mut out: Vec<&dyn rusqlite::ToSql> = vec![id, json];
    out.extend(values.map(|v| v as &dyn rusqlite::ToSql));
    out
}

/// Fills the list columns of rows cached before they existed (a schema 1 cache, after
/// every later migration has added its columns).
pub(crate) fn backfill_columns(conn: &Connection) -> Result<()> {
    let views = {
        let mut stmt = conn.prepare("SELECT json, title, content FROM cases")?;
        let mut rows = stmt.query([])?;
        let mut views = Vec::new();
        while let Some(r) = rows.next()? {
            views.push(super::stored_view::decode(
                r.get_ref(0)?,
                r.get(1)?,
                r.get(2)?,
            )?);
        }
        views
    };
    for view in views {
        write_view(conn, &serde_json::to_string(&view)?, true)?;
    }
    Ok(())
}

pub(crate) fn load(conn: &Connection, id: CaseId) -> Result<Option<CachedCase>> {
    let mut stmt = conn.prepare_cached("SELECT json, title, content FROM cases WHERE id = ?1")?;
    let mut rows = stmt.query([id.to_string()])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let view = super::stored_view::decode(r.get_ref(0)?, r.get(1)?, r.get(2)?)?;
    CachedCase::from_view(view).map(Some)
}

impl LocalCache {
    /// Stores server case views in one transaction; older versions never overwrite newer.
    pub fn upsert_server_cases(&mut self, views: Vec<Value>) -> Result<usize> {
        let cases = views
            .into_iter()
            .map(CachedCase::from_view)
            .collect::<Result<Vec<_>>>()?;
        let tx = self.conn.transaction()?;
        let mut changed = 0;
        for c in &cases {
            changed += usize::from(upsert(&tx, c)?);
        }
        tx.commit()?;
        Ok(changed)
    }

    /// The case as last received from the server (or as created offline).
    pub fn cached_case(&self, id: CaseId) -> Result<Option<CachedCase>> {
        load(&self.conn, id)
    }

    /// Cached cases, newest first, optionally only in the given states.
    pub fn list_cases(&self, states: &[CaseState], limit: usize) -> Result<Vec<CaseRow>> {
        let codes: Vec<String> = states.iter().map(|s| s.code()).collect();
        let filter = if codes.is_empty() {
            String::new()
        } else {
            format!("WHERE c.state IN ({})", vec!["?"; codes.len()].join(","))
        };
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM cases c {filter} ORDER BY c.received_at DESC, c.id DESC LIMIT {limit}"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(codes.iter()), case_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let now = Utc::now();
        Ok(rows.into_iter().map(|r| r.mark(now)).collect())
    }

    /// Drops cases closed longer ago than the configured window. A case with any
    /// command the server has not accepted stays: nothing queued is ever dropped.
    pub fn purge_closed(&mut self, now: DateTime<Utc>) -> Result<usize> {
        let cutoff = now - Duration::days(i64::from(self.closed_window_days()?));
        Ok(self.conn.execute(
            "DELETE FROM cases WHERE closed_at IS NOT NULL AND closed_at < ?1
               AND id NOT IN (SELECT case_id FROM outbox WHERE status <> 'applied')",
            [to_ms(cutoff)],
        )?)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cache::tests::temp_cache;
    use minsheng_domain::case::Channel;
    use minsheng_domain::role::{Actor, Role};
    use minsheng_domain::workflow::{intake, NewCase};

    pub fn officer(unit: UnitId) -> Actor {
        Actor {
            user_id: minsheng_domain::ids::UserId::mint(Utc::now()),
            name: "王警官".into(),
            role: Role::Officer,
            unit_id: unit,
        }
    }

    /// A server-style case view in state `state`, handled by `unit`.
    pub fn server_view(
        title: &str,
        content: &str,
        unit: UnitId,
        state: CaseState,
        version: u64,
    ) -> Value {
        let clerk = Actor {
            role: Role::Clerk,
            ..officer(unit)
        };
        let new = NewCase {
            id: None,
            channel: Channel::MayorHotline,
            request_type: minsheng_domain::case::RequestType::HelpRequest,
            category: None,
            title: title.into(),
            content: content.into(),
            citizen_name: "张三".into(),
            citizen_phone: Some("13812345678".into()),
            citizen_id_card: None,
            address: None,
            district: None,
            received_at: None,
            urgency: minsheng_domain::case::Urgency::Ordinary,
            flags: minsheng_domain::case::CaseFlags::default(),
            leader_instruction: None,
        };
        let now = Utc::now();
        let mut c = intake(&new, &clerk, now).unwrap();
        c.version = version;
        c.number = Some(format!("MS20260101{version:04}"));
        c.state = state;
        if state != CaseState::PendingAcceptance {
            c.handling_unit = Some(unit);
            c.deadlines.sign_in = Some(now + Duration::hours(2));
            c.deadlines.reply = Some(now + Duration::days(5));
        }
        if state.is_closed() {
            c.closed_at = Some(now);
        }
        let mut v = serde_json::to_value(&c).unwrap();
        v["citizen"] = serde_json::to_value(c.citizen.view(false)).unwrap();
        v["stateName"] = json!(state.label_zh());
        v["allowedActions"] = json!([]);
        v
    }

    #[test]
    fn masked_server_view_parses_and_newer_versions_win() {
        let (_dir, mut cache, _) = temp_cache();
        let unit = UnitId::mint(Utc::now());
        let v1 = server_view(
            "噪音扰民",
            "楼上装修噪音很大",
            unit,
            CaseState::InProgress,
            3,
        );
        let id: CaseId = serde_json::from_value(v1["id"].clone()).unwrap();
        assert_eq!(cache.upsert_server_cases(vec![v1.clone()]).unwrap(), 1);
        let got = cache.cached_case(id).unwrap().unwrap();
        assert_eq!(got.citizen.phone.as_deref(), Some("138****5678"));
        assert!(
            got.case.citizen.phone.is_none(),
            "identity never reaches the domain copy"
        );
        assert_eq!(got.case.version, 3);

        let mut v2 = v1.clone();
        v2["version"] = json!(2);
        v2["title"] = json!("旧版本");
        assert_eq!(
            cache.upsert_server_cases(vec![v2]).unwrap(),
            0,
            "stale version ignored"
        );
        assert_eq!(
            cache.cached_case(id).unwrap().unwrap().case.title,
            "噪音扰民"
        );

        let rows = cache.list_cases(&[CaseState::InProgress], 10).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].number.as_deref(), Some("MS202601010003"));
        assert!(cache
            .list_cases(&[CaseState::Archived], 10)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn an_update_rewrites_exactly_the_columns_that_changed() {
        let (_dir, mut cache, _) = temp_cache();
        let (a, b) = (UnitId::mint(Utc::now()), UnitId::mint(Utc::now()));
        let v1 = server_view("占道经营", "门口摆摊", a, CaseState::PendingSignIn, 2);
        let id: CaseId = serde_json::from_value(v1["id"].clone()).unwrap();
        cache.upsert_server_cases(vec![v1.clone()]).unwrap();
        // Re-dispatched to unit b and signed in: state, unit and deadline columns move.
        let mut v2 = v1.clone();
        v2["version"] = json!(3);
        v2["state"] = json!("inProgress");
        v2["handlingUnit"] = json!(b.to_string());
        assert_eq!(cache.upsert_server_cases(vec![v2.clone()]).unwrap(), 1);
        let rows = cache.list_cases(&[CaseState::InProgress], 10).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].handling_unit, Some(b));
        assert!(rows[0].deadline.is_some(), "the reply deadline runs now");
        assert!(cache
            .list_cases(&[CaseState::PendingSignIn], 10)
            .unwrap()
            .is_empty());
        // Only the JSON changed (an urge): the list columns stay, the JSON is new.
        let mut v3 = v2.clone();
        v3["version"] = json!(4);
        v3["urgeCount"] = json!(1);
        assert_eq!(cache.upsert_server_cases(vec![v3]).unwrap(), 1);
        let got = cache.cached_case(id).unwrap().unwrap();
        assert_eq!((got.case.version, got.case.urge_count), (4, 1));
        assert_eq!(got.case.handling_unit, Some(b));
        // The same version again (a push answer, then the pull) writes nothing.
        let mut again = v2;
        again["version"] = json!(4);
        assert_eq!(cache.upsert_server_cases(vec![again]).unwrap(), 0);
        assert_eq!(cache.cached_case(id).unwrap().unwrap().case.urge_count, 1);
    }

    #[test]
    fn purge_drops_only_old_closed_cases() {
        let (_dir, mut cache, _) = temp_cache();
        let unit = UnitId::mint(Utc::now());
        let open = server_view("开着的", "内容", unit, CaseState::InProgress, 2);
        let closed = server_view("已归档的", "内容", unit, CaseState::Archived, 9);
        cache.upsert_server_cases(vec![open, closed]).unwrap();
        cache.set_closed_window_days(10).unwrap();
        assert_eq!(
            cache.purge_closed(Utc::now() + Duration::days(9)).unwrap(),
            0
        );
        assert_eq!(
            cache.purge_closed(Utc::now() + Duration::days(11)).unwrap(),
            1
        );
        let left = cache.list_cases(&[], 10).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].title, "开着的");
    }
}
