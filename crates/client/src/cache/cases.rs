//! Cached cases: the server's view of each case in scope, and the columns lists,
//! search and purging need.

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::case::{Case, CaseState};
use minsheng_domain::citizen::CitizenView;
use minsheng_domain::ids::{CaseId, UnitId};
use rusqlite::{params, Connection, OptionalExtension, Row};
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

/// The deadline that is running now (earliest of those that apply) and its warning
/// instant, as `lists::is_overdue`/`is_due_soon` define them.
fn running_deadline(c: &Case) -> (Option<i64>, Option<i64>) {
    let d = &c.deadlines;
    let (due, warn) = if c.state == CaseState::PendingSignIn {
        (
            [d.sign_in, d.reply].into_iter().flatten().min(),
            [d.sign_in_warn, d.reply_warn].into_iter().flatten().min(),
        )
    } else if c.state.is_handling() {
        (d.reply, d.reply_warn)
    } else {
        (None, None)
    };
    (due.map(to_ms), warn.map(to_ms))
}

/// The wire form of a unit enum (its Chinese name).
fn code_of<T: Serialize>(v: &T) -> Option<String> {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
}

/// Writes one case unless the cache already holds a newer version of it.
/// Returns whether the row changed. Runs on whatever transaction `conn` is in.
pub(crate) fn upsert(conn: &Connection, c: &CachedCase) -> Result<bool> {
    let k = &c.case;
    let (due, warn) = running_deadline(k);
    let n = conn
        .prepare_cached(
            "INSERT INTO cases (id, number, version, state, handling_unit, received_at,
                            closed_at, title, content, json, category, channel, urgency,
                            request_type, supervising_unit, due_at, warn_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT (id) DO UPDATE SET
             number = excluded.number, version = excluded.version, state = excluded.state,
             handling_unit = excluded.handling_unit, received_at = excluded.received_at,
             closed_at = excluded.closed_at, title = excluded.title,
             content = excluded.content, json = excluded.json, category = excluded.category,
             channel = excluded.channel, urgency = excluded.urgency,
             request_type = excluded.request_type, supervising_unit = excluded.supervising_unit,
             due_at = excluded.due_at, warn_at = excluded.warn_at
         WHERE excluded.version >= cases.version",
        )?
        .execute(params![
            k.id.to_string(),
            k.number,
            k.version as i64,
            k.state.code(),
            k.handling_unit.map(|u| u.to_string()),
            to_ms(k.received_at),
            k.closed_at.map(to_ms),
            k.title,
            k.content,
            serde_json::to_string(&c.raw)?,
            k.category.as_ref().map(|c| c.as_str().to_owned()),
            code_of(&k.channel),
            code_of(&k.urgency),
            code_of(&k.request_type),
            k.supervising_unit.map(|u| u.to_string()),
            due,
            warn,
        ])?;
    Ok(n > 0)
}

/// Migration 2: fills the list columns of rows cached before they existed.
pub(crate) fn backfill_v2(conn: &Connection) -> Result<()> {
    let rows: Vec<String> = conn
        .prepare("SELECT json FROM cases")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for json in rows {
        let c = CachedCase::from_view(serde_json::from_str(&json)?)?;
        upsert(conn, &c)?;
    }
    Ok(())
}

pub(crate) fn load(conn: &Connection, id: CaseId) -> Result<Option<CachedCase>> {
    conn.query_row(
        "SELECT json FROM cases WHERE id = ?1",
        [id.to_string()],
        |r| r.get::<_, String>(0),
    )
    .optional()?
    .map(|s| CachedCase::from_view(serde_json::from_str(&s)?))
    .transpose()
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
