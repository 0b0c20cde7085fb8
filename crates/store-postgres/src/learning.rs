//! SQL of the intelligence features: cases for the duplicate index, dispatch history
//! for retraining, dispatch feedback (suggested vs chosen).

use chrono::{DateTime, Utc};
use minsheng_domain::case::CaseState;
use minsheng_domain::ids::CaseId;
use postgres::types::ToSql;
use postgres::{GenericClient, Row, Transaction};

use crate::{from_ms, ms, parse_id, DbResult};
use minsheng_store::{DispatchFeedback, FeedbackCounts, HistoryCase, IndexedCase, StoreResult};

/// Rows fetched per round trip when a whole table is fed to a callback.
const CHUNK: i32 = 500;

fn state_list(pick: impl Fn(CaseState) -> bool) -> String {
    let codes: Vec<String> = CaseState::ALL
        .iter()
        .copied()
        .filter(|s| pick(*s))
        .map(|s| format!("'{}'", s.code()))
        .collect();
    if codes.is_empty() {
        "(NULL)".into()
    } else {
        format!("({})", codes.join(","))
    }
}

/// Runs `sql` through a portal and hands each row to `f`, a chunk at a time: the
/// result is never held whole in memory (the duplicate index reads every open case).
/// One transaction, so every chunk reads the same snapshot.
fn for_each_row(
    tx: &mut Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    mut f: impl FnMut(&Row) -> DbResult<()>,
) -> DbResult<u64> {
    let portal = tx.bind(sql, params)?;
    let mut n = 0;
    loop {
        let rows = tx.query_portal(&portal, CHUNK)?;
        for r in &rows {
            f(r)?;
            n += 1;
        }
        if rows.len() < CHUNK as usize {
            return Ok(n);
        }
    }
}

pub(crate) fn duplicates_of_masters_in(
    c: &mut impl GenericClient,
    duplicate_state: CaseState,
    master_states: &[CaseState],
    limit: usize,
) -> DbResult<Vec<(CaseId, CaseId)>> {
    let masters = state_list(|s| master_states.contains(&s));
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    c.query(
        &format!(
            "SELECT d.id, d.duplicate_of FROM cases d JOIN cases m ON m.id = d.duplicate_of
              WHERE d.duplicate_of IS NOT NULL AND d.state = $1 AND m.state IN {masters}
              ORDER BY d.received_at, d.id LIMIT $2"
        ),
        &[&duplicate_state.code(), &limit],
    )?
    .iter()
    .map(|r| {
        Ok((
            parse_id(r.get::<_, &str>(0))?,
            parse_id(r.get::<_, &str>(1))?,
        ))
    })
    .collect()
}

pub(crate) fn case_ids_by_phone(
    c: &mut impl GenericClient,
    phone: &str,
    limit: usize,
) -> DbResult<Vec<CaseId>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    c.query(
        "SELECT id FROM cases WHERE citizen_phone = $1
          ORDER BY received_at DESC, id DESC LIMIT $2",
        &[&phone, &limit],
    )?
    .iter()
    .map(|r| parse_id(r.get::<_, &str>(0)))
    .collect()
}

pub(crate) fn for_each_indexable_case(
    tx: &mut Transaction<'_>,
    recent_since: DateTime<Utc>,
    f: &mut dyn FnMut(IndexedCase),
) -> DbResult<u64> {
    // Two index-friendly halves instead of one OR: recent (any state but merged) and
    // older open cases.
    let merged = CaseState::Merged.code();
    let open = state_list(|s| !s.is_closed());
    let sql = format!(
        "SELECT id, citizen_phone, title, content, received_at FROM cases
          WHERE received_at >= $1 AND state <> '{merged}'
         UNION ALL
         SELECT id, citizen_phone, title, content, received_at FROM cases
          WHERE received_at < $1 AND state IN {open}"
    );
    for_each_row(tx, &sql, &[&ms(recent_since)], |r| {
        let title: &str = r.get(2);
        let content: &str = r.get(3);
        f(IndexedCase {
            id: parse_id(r.get::<_, &str>(0))?,
            phone: r.get(1),
            text: format!("{title}\n{content}"),
            received_at: from_ms(r.get(4)),
        });
        Ok(())
    })
}

pub(crate) fn for_each_history_case(
    tx: &mut Transaction<'_>,
    f: &mut dyn FnMut(HistoryCase) -> StoreResult<()>,
) -> DbResult<u64> {
    let transferred = CaseState::Transferred.code();
    let excluded = state_list(|s| matches!(s, CaseState::Merged | CaseState::Rejected));
    // The district is only in the document (SQLite: json_extract).
    let sql = format!(
        "SELECT title, content, state, category, request_type, handling_unit,
                CAST(data AS JSON) ->> 'district', id, number
           FROM cases
          WHERE (handling_unit IS NOT NULL AND category IS NOT NULL AND state NOT IN {excluded})
             OR state = '{transferred}'
          ORDER BY received_at, id"
    );
    for_each_row(tx, &sql, &[], |r| {
        let state: &str = r.get(2);
        let unit: Option<&str> = r.get(5);
        f(HistoryCase {
            id: parse_id(r.get::<_, &str>(7))?,
            number: r.get(8),
            title: r.get(0),
            content: r.get(1),
            state: CaseState::from_code(state).unwrap_or(CaseState::PendingAcceptance),
            category: r.get(3),
            request_type: r.get(4),
            handling_unit: unit.map(parse_id).transpose()?,
            district: r.get(6),
        })?;
        Ok(())
    })
}

pub(crate) fn record_dispatch_feedback(
    tx: &mut Transaction<'_>,
    fb: &DispatchFeedback,
) -> DbResult<()> {
    tx.execute(
        "INSERT INTO dispatch_feedback(case_id, at, action, suggested_category, chosen_category,
           suggested_unit, chosen_unit, suggested_request_type, chosen_request_type,
           matched_category, matched_unit, model_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &fb.case_id.to_string(),
            &ms(fb.at),
            &fb.action,
            &fb.suggested_category,
            &fb.chosen_category,
            &fb.suggested_unit.map(|u| u.to_string()),
            &fb.chosen_unit.to_string(),
            &fb.suggested_request_type,
            &fb.chosen_request_type,
            &fb.matched_category(),
            &fb.matched_unit(),
            &fb.model_version
                .map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
        ],
    )?;
    Ok(())
}

pub(crate) fn dispatch_feedback_counts(
    c: &mut impl GenericClient,
    since: Option<DateTime<Utc>>,
) -> DbResult<FeedbackCounts> {
    let r = c.query_one(
        "SELECT COUNT(*),
                COALESCE(SUM(CASE WHEN matched_category THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN matched_unit THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN suggested_request_type = chosen_request_type
                                  THEN 1 ELSE 0 END), 0)
           FROM dispatch_feedback WHERE at >= $1",
        &[&since.map_or(i64::MIN, ms)],
    )?;
    Ok(FeedbackCounts {
        dispatches: r.get::<_, i64>(0) as u64,
        category_matched: r.get::<_, i64>(1) as u64,
        unit_matched: r.get::<_, i64>(2) as u64,
        request_type_matched: r.get::<_, i64>(3) as u64,
    })
}
