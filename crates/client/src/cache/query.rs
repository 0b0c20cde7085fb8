//! The case list over the cache: every filter of the list screen, sorting, paging with
//! a total, and the 民生清单 counts — all offline, on indexed columns (no JSON parsing).

use chrono::{DateTime, Utc};
use minsheng_domain::case::{CaseState, Channel};
use minsheng_domain::ids::UnitId;
use minsheng_domain::lists::WorkList;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};

use super::cases::{case_row, CaseRow, ROW_COLUMNS};
use super::{to_ms, LocalCache};
use crate::error::Result;

/// Rows per page when the caller does not say; the UI pages, never loads everything.
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 500;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LocalCaseQuery {
    pub states: Vec<CaseState>,
    pub category: Option<String>,
    pub channel: Option<Channel>,
    /// Handling or supervising unit.
    pub unit: Option<UnitId>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// Substring of title or content (trigram index from three characters).
    pub keyword: Option<String>,
    pub list: Option<WorkList>,
    /// Only cases waiting for a supervisor's decision: a reply to review (待审核) or an
    /// extension request. Who may decide is the workflow's rule, applied per case.
    pub awaiting_decision: bool,
    /// `receivedAt` (default), `deadline`, `number` or `state`.
    pub sort: Option<String>,
    pub desc: bool,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalCasePage {
    pub total: u64,
    pub rows: Vec<CaseRow>,
}

/// The four counts of the 民生清单 over the cached scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalWorkListCounts {
    pub unsigned: u64,
    pub in_progress: u64,
    pub due_soon: u64,
    pub overdue: u64,
}

/// States whose deadline runs (`CaseState::is_handling`), as SQL literals.
fn handling_states() -> String {
    CaseState::ALL
        .iter()
        .filter(|s| s.is_handling())
        .map(|s| format!("'{}'", s.code()))
        .collect::<Vec<_>>()
        .join(",")
}

fn list_condition(list: WorkList, now: i64) -> String {
    let handling = handling_states();
    match list {
        WorkList::Unsigned => format!("c.state = '{}'", CaseState::PendingSignIn.code()),
        WorkList::InProgress => format!(
            "c.state IN ('{}', '{}')",
            CaseState::InProgress.code(),
            CaseState::PendingReview.code()
        ),
        WorkList::Overdue => format!("c.state IN ({handling}) AND c.due_at < {now}"),
        WorkList::DueSoon => {
            format!("c.state IN ({handling}) AND c.due_at >= {now} AND c.warn_at <= {now}")
        }
    }
}

impl LocalCache {
    /// One page of the filtered, sorted list plus the total matching.
    pub fn query_cases(&self, q: &LocalCaseQuery, now: DateTime<Utc>) -> Result<LocalCasePage> {
        let now_ms = to_ms(now);
        let mut cond: Vec<String> = Vec::new();
        let mut args: Vec<SqlValue> = Vec::new();
        let mut from = "cases c".to_owned();
        if let Some(k) = q
            .keyword
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            if let Some(pat) = case_number_pattern(k) {
                // 按编号查找: the number column, not the text index.
                cond.push("c.number LIKE ? ESCAPE '\\'".into());
                args.push(SqlValue::Text(pat));
            } else if k.chars().count() >= 3 {
                "cases_fts f JOIN cases c ON c.rid = f.rowid".clone_into(&mut from);
                cond.push("cases_fts MATCH ?".into());
                args.push(SqlValue::Text(format!("\"{}\"", k.replace('"', "\"\""))));
            } else {
                cond.push("(c.title LIKE ? ESCAPE '\\' OR c.content LIKE ? ESCAPE '\\' OR c.number LIKE ? ESCAPE '\\')".into());
                let pat = format!("%{}%", super::search::escape_like(k));
                args.extend(std::iter::repeat_n(SqlValue::Text(pat), 3));
            }
        }
        if !q.states.is_empty() {
            cond.push(format!(
                "c.state IN ({})",
                vec!["?"; q.states.len()].join(",")
            ));
            args.extend(q.states.iter().map(|s| SqlValue::Text(s.code().clone())));
        }
        if let Some(c) = q.category.as_deref().filter(|c| !c.is_empty()) {
            cond.push("c.category = ?".into());
            args.push(SqlValue::Text(c.to_owned()));
        }
        if let Some(ch) = q.channel {
            cond.push("c.channel = ?".into());
            args.push(SqlValue::Text(
                serde_json::to_value(ch)?
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ));
        }
        if let Some(u) = q.unit {
            cond.push("(c.handling_unit = ? OR c.supervising_unit = ?)".into());
            args.extend(std::iter::repeat_n(SqlValue::Text(u.to_string()), 2));
        }
        if let Some(f) = q.from {
            cond.push("c.received_at >= ?".into());
            args.push(SqlValue::Integer(to_ms(f)));
        }
        if let Some(t) = q.to {
            cond.push("c.received_at < ?".into());
            args.push(SqlValue::Integer(to_ms(t)));
        }
        if q.overdue {
            cond.push(list_condition(WorkList::Overdue, now_ms));
        }
        if let Some(l) = q.list {
            cond.push(list_condition(l, now_ms));
        }
        if q.awaiting_decision {
            cond.push("(c.state = 'pendingReview' OR c.awaiting_extension = 1)".into());
        }
        let filter = if cond.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", cond.join(" AND "))
        };
        let total: i64 = self.conn.query_row(
            &format!("SELECT count(*) FROM {from} {filter}"),
            rusqlite::params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        let dir = if q.desc { "DESC" } else { "ASC" };
        let order = match q.sort.as_deref() {
            Some("deadline") => format!("c.due_at IS NULL, c.due_at {dir}"),
            Some("number") => format!("c.number {dir}"),
            Some("state") => format!("c.state {dir}, c.received_at DESC"),
            Some("receivedAt") => format!("c.received_at {dir}"),
            _ => "c.received_at DESC".to_owned(),
        };
        let limit = match q.limit {
            0 => DEFAULT_PAGE,
            n => n.min(MAX_PAGE),
        };
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM {from} {filter} ORDER BY {order}, c.id LIMIT {limit} OFFSET {}",
            q.offset
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), case_row)?
            .map(|r| r.map(|row| row.mark(now)))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(LocalCasePage {
            total: total as u64,
            rows,
        })
    }

    /// 未签收 / 办理中 / 即将逾期 / 已逾期 over the cached scope as of `now`.
    pub fn worklist_counts(&self, now: DateTime<Utc>) -> Result<LocalWorkListCounts> {
        let now = to_ms(now);
        let count = |l: WorkList| -> Result<u64> {
            let n: i64 = self.conn.query_row(
                &format!(
                    "SELECT count(*) FROM cases c WHERE {}",
                    list_condition(l, now)
                ),
                [],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        };
        Ok(LocalWorkListCounts {
            unsigned: count(WorkList::Unsigned)?,
            in_progress: count(WorkList::InProgress)?,
            due_soon: count(WorkList::DueSoon)?,
            overdue: count(WorkList::Overdue)?,
        })
    }
}

/// A keyword shaped like a case number (`MS20261126…`, or six or more digits of one)
/// becomes a LIKE pattern over the number column; anything else is text.
fn case_number_pattern(k: &str) -> Option<String> {
    let k: String = k.chars().filter(|c| !c.is_whitespace()).collect();
    let upper = k.to_ascii_uppercase();
    let digits = upper.strip_prefix("MS").unwrap_or(&upper);
    (digits.len() >= 6 && digits.chars().all(|c| c.is_ascii_digit())).then(|| format!("%{upper}%"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::cases::tests::server_view;
    use crate::cache::tests::temp_cache;
    use minsheng_domain::ids::UnitId;
    use serde_json::json;

    #[test]
    fn the_approval_filter_finds_reviews_and_extension_requests_only() {
        let (_dir, mut cache, _) = temp_cache();
        let unit = UnitId::mint(Utc::now());
        let review = server_view("待审核的答复", "内容", unit, CaseState::PendingReview, 5);
        let plain = server_view("正在办理", "内容", unit, CaseState::InProgress, 4);
        let mut extension = server_view("申请延期", "内容", unit, CaseState::InProgress, 6);
        extension["pendingExtension"] = json!({
            "reason": "需要协调其他部门",
            "until": "2026-12-31T00:00:00Z",
            "by": "0190f0a0-0000-7000-8000-000000000001",
            "at": "2026-11-20T00:00:00Z",
        });
        cache
            .upsert_server_cases(vec![review, plain, extension.clone()])
            .unwrap();
        let q = LocalCaseQuery {
            awaiting_decision: true,
            ..LocalCaseQuery::default()
        };
        let mut titles: Vec<String> = cache
            .query_cases(&q, Utc::now())
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.title)
            .collect();
        titles.sort();
        assert_eq!(titles, ["待审核的答复", "申请延期"]);

        // Decided: the next version has no pending request and leaves the queue.
        let mut decided = extension;
        decided["version"] = json!(7);
        decided["pendingExtension"] = serde_json::Value::Null;
        cache.upsert_server_cases(vec![decided]).unwrap();
        let page = cache.query_cases(&q, Utc::now()).unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.rows[0].title, "待审核的答复");
    }

    #[test]
    fn a_case_number_keyword_finds_the_case_by_its_number() {
        let (_dir, mut cache, _) = temp_cache();
        let unit = UnitId::mint(Utc::now());
        let mut a = server_view("楼道堆放杂物", "内容", unit, CaseState::InProgress, 3);
        a["number"] = json!("MS202611260007");
        let mut b = server_view(
            "噪音扰民",
            "内容 MS202611260007",
            unit,
            CaseState::InProgress,
            3,
        );
        b["number"] = json!("MS202611260008");
        cache.upsert_server_cases(vec![a, b]).unwrap();
        let titles = |k: &str| -> Vec<String> {
            let q = LocalCaseQuery {
                keyword: Some(k.into()),
                limit: 10,
                ..LocalCaseQuery::default()
            };
            let mut t: Vec<String> = cache
                .query_cases(&q, Utc::now())
                .unwrap()
                .rows
                .into_iter()
                .map(|r| r.title)
                .collect();
            t.sort();
            t
        };
        assert_eq!(titles("MS202611260007"), ["楼道堆放杂物"]);
        assert_eq!(titles(" ms202611260008 "), ["噪音扰民"]);
        assert_eq!(titles("2026112600"), ["噪音扰民", "楼道堆放杂物"]);
        assert_eq!(titles("噪音扰"), ["噪音扰民"], "text still searches text");
    }
}
