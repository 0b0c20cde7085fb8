//! Each case's timeline as the server recorded it, so the detail screen shows the whole
//! history offline. A pull brings only the entries appended since the cursor; when
//! the cache then holds fewer entries than the case's version says (the case entered
//! the user's scope since the cursor, say), the case is marked in `timeline_gaps` in
//! the page's transaction, and the sync fetches its whole timeline afterwards.

use std::collections::HashMap;

use minsheng_domain::ids::CaseId;
use minsheng_domain::timeline::TimelineEntry;
use rusqlite::{params, Connection};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::LocalCache;
use crate::error::Result;

/// Where an entry belongs, read from its JSON without parsing the rest.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntryKey {
    case_id: CaseId,
    seq: u64,
}

/// Stores one timeline entry as received (verbatim) unless it is already cached;
/// entries are immutable.
fn store_entry_json(conn: &Connection, case_id: CaseId, seq: u64, json: &str) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO timeline (case_id, seq, json) VALUES (?1, ?2, ?3)")?
        .execute(params![case_id.to_string(), seq as i64, json])?;
    Ok(())
}

pub(crate) fn store_timeline(conn: &Connection, entries: &[TimelineEntry]) -> Result<()> {
    for e in entries {
        store_entry_json(conn, e.case_id, e.seq, &serde_json::to_string(e)?)?;
    }
    Ok(())
}

pub(crate) fn timeline_of(conn: &Connection, id: CaseId) -> Result<Vec<TimelineEntry>> {
    let mut stmt =
        conn.prepare_cached("SELECT json FROM timeline WHERE case_id = ?1 ORDER BY seq")?;
    let rows = stmt
        .query_map([id.to_string()], |r| r.get::<_, String>(0))?
        .map(|s| Ok(serde_json::from_str(&s?)?))
        .collect::<Result<Vec<_>>>()?;
    Ok(rows)
}

/// A pulled page's timeline entries by case, each `(seq, JSON)`, oldest first.
pub(crate) struct PulledEntries<'a>(HashMap<CaseId, Vec<(u64, &'a str)>>);

impl<'a> PulledEntries<'a> {
    pub(crate) fn group(raw: &'a [Box<RawValue>]) -> Result<Self> {
        let mut by_case: HashMap<CaseId, Vec<(u64, &str)>> = HashMap::new();
        for e in raw {
            let k: EntryKey = serde_json::from_str(e.get())?;
            by_case.entry(k.case_id).or_default().push((k.seq, e.get()));
        }
        for entries in by_case.values_mut() {
            entries.sort_unstable_by_key(|e| e.0);
        }
        Ok(Self(by_case))
    }

    /// Stores the entries of case `id`, whose pulled view is at `version` (the `seq` of
    /// its last entry), and marks the case when its cached timeline stays incomplete.
    pub(crate) fn store_case(&mut self, conn: &Connection, id: CaseId, version: u64) -> Result<()> {
        let entries = self.0.remove(&id).unwrap_or_default();
        let have: i64 = conn
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM timeline WHERE case_id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))?;
        let have = u64::try_from(have).unwrap_or(0);
        for (seq, json) in &entries {
            store_entry_json(conn, id, *seq, json)?;
        }
        let hole = entries.first().is_some_and(|(first, _)| *first > have + 1);
        let last = entries.last().map_or(have, |(seq, _)| have.max(*seq));
        if hole || last < version {
            conn.prepare_cached("INSERT OR IGNORE INTO timeline_gaps (case_id) VALUES (?1)")?
                .execute([id.to_string()])?;
        }
        Ok(())
    }

    /// Entries of cases the page did not list (a server never sends them; kept anyway).
    pub(crate) fn store_rest(self, conn: &Connection) -> Result<()> {
        for (id, entries) in self.0 {
            for (seq, json) in entries {
                store_entry_json(conn, id, seq, json)?;
            }
        }
        Ok(())
    }
}

impl LocalCache {
    /// The server-recorded timeline of a case, oldest first (pending offline commands
    /// are not in it; see `LocalCase::pending_steps`).
    pub fn timeline(&self, id: CaseId) -> Result<Vec<TimelineEntry>> {
        timeline_of(&self.conn, id)
    }

    pub fn store_timeline(&mut self, entries: &[TimelineEntry]) -> Result<()> {
        let tx = self.conn.transaction()?;
        store_timeline(&tx, entries)?;
        tx.commit()?;
        Ok(())
    }

    /// Cases whose cached timeline misses entries, at most `limit`.
    pub fn timeline_gaps(&self, limit: usize) -> Result<Vec<CaseId>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT case_id FROM timeline_gaps LIMIT ?1")?;
        let ids = stmt
            .query_map([limit as i64], |r| r.get::<_, String>(0))?
            .map(|s| {
                s?.parse().map_err(|_| {
                    crate::error::ClientError::Corrupt("时间线缺口记录的编号无效".into())
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ids)
    }

    /// Stores a case's whole timeline (`None`: the server no longer shows the case to
    /// this user) and clears its gap mark, in one transaction.
    pub(crate) fn fill_timeline_gap(
        &mut self,
        id: CaseId,
        entries: Option<&[TimelineEntry]>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        if let Some(entries) = entries {
            store_timeline(&tx, entries)?;
        }
        tx.execute(
            "DELETE FROM timeline_gaps WHERE case_id = ?1",
            [id.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }
}
