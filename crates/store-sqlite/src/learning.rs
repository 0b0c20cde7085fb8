//! SQL of the intelligence features: cases for the duplicate index, dispatch history
//! for retraining, dispatch feedback (suggested vs chosen).

use crate::DbResult;
use chrono::{DateTime, Utc};
use minsheng_domain::case::CaseState;
use minsheng_domain::ids::CaseId;
use rusqlite::{params, Connection, Transaction};

use super::{from_ms, ms, parse_id};
use minsheng_store::{DispatchFeedback, FeedbackCounts, HistoryCase, IndexedCase, StoreResult};

fn state_list(pick: impl Fn(CaseState) -> bool) -> String {
    let codes: Vec<String> = CaseState::ALL
        .iter()
        .copied()
        .filter(|s| pick(*s))
        .map(|s| format!("'{}'", s.code()))
        .collect();
    format!("({})", codes.join(","))
}

pub fn duplicates_of_masters_in(
    conn: &Connection,
    duplicate_state: CaseState,
    master_states: &[CaseState],
    limit: usize,
) -> DbResult<Vec<(CaseId, CaseId)>> {
    let masters = state_list(|s| master_states.contains(&s));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT d.id, d.duplicate_of FROM cases d JOIN cases m ON m.id = d.duplicate_of
          WHERE d.duplicate_of IS NOT NULL AND d.state = ?1 AND m.state IN {masters}
          ORDER BY d.received_at LIMIT ?2"
    ))?;
    let rows = stmt
        .query_map(params![duplicate_state.code(), limit as i64], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .iter()
        .map(|(d, m)| Ok((parse_id(d)?, parse_id(m)?)))
        .collect::<rusqlite::Result<_>>()?)
}

pub fn case_ids_by_phone(conn: &Connection, phone: &str, limit: usize) -> DbResult<Vec<CaseId>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM cases WHERE citizen_phone = ?1 ORDER BY received_at DESC, id DESC LIMIT ?2",
    )?;
    let ids = stmt
        .query_map(params![phone, limit as i64], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids
        .iter()
        .map(|id| parse_id(id))
        .collect::<rusqlite::Result<_>>()?)
}

pub fn for_each_indexable_case(
    conn: &Connection,
    recent_since: DateTime<Utc>,
    f: &mut dyn FnMut(IndexedCase),
) -> DbResult<u64> {
    // Two index-friendly halves instead of one OR: recent (any state but merged) and
    // older open cases.
    let merged = CaseState::Merged.code();
    let open = state_list(|s| !s.is_closed());
    let mut stmt = conn.prepare(&format!(
        "SELECT id, citizen_phone, title, content, received_at FROM cases
          WHERE received_at >= ?1 AND state <> '{merged}'
         UNION ALL
         SELECT id, citizen_phone, title, content, received_at FROM cases
          WHERE received_at < ?1 AND state IN {open}"
    ))?;
    let mut rows = stmt.query([ms(recent_since)])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let title: String = r.get(2)?;
        let content: String = r.get(3)?;
        f(IndexedCase {
            id: parse_id(&r.get::<_, String>(0)?)?,
            phone: r.get(1)?,
            text: format!("{title}\n{content}"),
            received_at: from_ms(r.get(4)?),
        });
        n += 1;
    }
    Ok(n)
}

pub fn for_each_history_case(
    conn: &Connection,
    f: &mut dyn FnMut(HistoryCase) -> StoreResult<()>,
) -> DbResult<u64> {
    let transferred = CaseState::Transferred.code();
    let excluded = state_list(|s| matches!(s, CaseState::Merged | CaseState::Rejected));
    let mut stmt = conn.prepare(&format!(
        "SELECT title, content, state, category, request_type, handling_unit,
                json_extract(data, '$.district'), id, number
           FROM cases
          WHERE (handling_unit IS NOT NULL AND category IS NOT NULL AND state NOT IN {excluded})
             OR state = '{transferred}'
          ORDER BY received_at, id"
    ))?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let state: String = r.get(2)?;
        let unit: Option<String> = r.get(5)?;
        f(HistoryCase {
            id: parse_id(&r.get::<_, String>(7)?)?,
            number: r.get(8)?,
            title: r.get(0)?,
            content: r.get(1)?,
            state: CaseState::from_code(&state).unwrap_or(CaseState::PendingAcceptance),
            category: r.get(3)?,
            request_type: r.get(4)?,
            handling_unit: unit.as_deref().map(parse_id).transpose()?,
            district: r.get(6)?,
        })?;
        n += 1;
    }
    Ok(n)
}

pub fn record_dispatch_feedback(tx: &Transaction<'_>, fb: &DispatchFeedback) -> DbResult<()> {
    tx.execute(
        "INSERT INTO dispatch_feedback(case_id, at, action, suggested_category, chosen_category,
           suggested_unit, chosen_unit, suggested_request_type, chosen_request_type,
           matched_category, matched_unit, model_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            fb.case_id.to_string(),
            ms(fb.at),
            fb.action,
            fb.suggested_category,
            fb.chosen_category,
            fb.suggested_unit.map(|u| u.to_string()),
            fb.chosen_unit.to_string(),
            fb.suggested_request_type,
            fb.chosen_request_type,
            fb.matched_category(),
            fb.matched_unit(),
            fb.model_version.map(|v| v as i64),
        ],
    )?;
    Ok(())
}

pub fn dispatch_feedback_counts(
    conn: &Connection,
    since: Option<DateTime<Utc>>,
) -> DbResult<FeedbackCounts> {
    Ok(conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(matched_category), 0), COALESCE(SUM(matched_unit), 0),
                COALESCE(SUM(suggested_request_type = chosen_request_type), 0)
           FROM dispatch_feedback WHERE at >= ?1",
        [since.map_or(i64::MIN, ms)],
        |r| {
            Ok(FeedbackCounts {
                dispatches: r.get::<_, i64>(0)? as u64,
                category_matched: r.get::<_, i64>(1)? as u64,
                unit_matched: r.get::<_, i64>(2)? as u64,
                request_type_matched: r.get::<_, i64>(3)? as u64,
            })
        },
    )?)
}
