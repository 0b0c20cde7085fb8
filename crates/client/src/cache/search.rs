//! Offline full-text search over cached case titles and contents. The trigram index
//! matches any substring of three or more characters (Chinese has no spaces to split
//! words on); shorter queries fall back to a LIKE scan.

use super::cases::{case_row, CaseRow, ROW_COLUMNS};
use super::LocalCache;
use crate::error::Result;

impl LocalCache {
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<CaseRow>> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let (sql, arg) = if text.chars().count() >= 3 {
            // A quoted phrase: the user's text is matched literally, never as FTS syntax.
            (
                format!(
                    "SELECT {ROW_COLUMNS} FROM cases_fts f JOIN cases c ON c.rid = f.rowid
                     WHERE cases_fts MATCH ?1 ORDER BY c.received_at DESC LIMIT {limit}"
                ),
                format!("\"{}\"", text.replace('"', "\"\"")),
            )
        } else {
            (
                format!(
                    "SELECT {ROW_COLUMNS} FROM cases c
                     WHERE c.title LIKE ?1 ESCAPE '\\' OR c.content LIKE ?1 ESCAPE '\\'
                     ORDER BY c.received_at DESC LIMIT {limit}"
                ),
                format!("%{}%", escape_like(text)),
            )
        };
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map([arg], case_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let now = chrono::Utc::now();
        Ok(rows.into_iter().map(|r| r.mark(now)).collect())
    }
}

pub(super) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use minsheng_domain::case::CaseState;
    use minsheng_domain::ids::UnitId;

    use crate::cache::cases::tests::server_view;
    use crate::cache::tests::temp_cache;

    fn titles(cache: &crate::LocalCache, q: &str) -> Vec<String> {
        cache
            .search(q, 10)
            .unwrap()
            .into_iter()
            .map(|r| r.title)
            .collect()
    }

    #[test]
    fn finds_chinese_substrings_long_and_short() {
        let (_dir, mut cache, _) = temp_cache();
        let unit = UnitId::mint(Utc::now());
        cache
            .upsert_server_cases(vec![
                server_view(
                    "小区夜间施工噪音扰民",
                    "每晚十点后仍在施工",
                    unit,
                    CaseState::InProgress,
                    1,
                ),
                server_view(
                    "咨询护照办理",
                    "出入境窗口需要哪些材料",
                    unit,
                    CaseState::InProgress,
                    1,
                ),
                server_view(
                    "电动车被盗",
                    "车棚里的电动车昨夜被盗 100%",
                    unit,
                    CaseState::InProgress,
                    1,
                ),
            ])
            .unwrap();
        assert_eq!(titles(&cache, "噪音扰"), ["小区夜间施工噪音扰民"]);
        assert_eq!(
            titles(&cache, "施工噪音"),
            ["小区夜间施工噪音扰民"],
            "across word boundaries"
        );
        assert_eq!(
            titles(&cache, "哪些材料"),
            ["咨询护照办理"],
            "content is indexed"
        );
        assert_eq!(
            titles(&cache, "护照"),
            ["咨询护照办理"],
            "two characters use LIKE"
        );
        assert_eq!(titles(&cache, "盗"), ["电动车被盗"]);
        assert_eq!(
            titles(&cache, "%"),
            ["电动车被盗"],
            "LIKE wildcards are literal"
        );
        assert!(titles(&cache, "不存在的词").is_empty());
        assert!(
            titles(&cache, "\"噪音 OR 材料").is_empty(),
            "FTS syntax is not interpreted"
        );
        assert!(titles(&cache, "   ").is_empty());

        // Updating a case re-indexes it.
        let mut v = server_view("已更新的标题", "内容改了", unit, CaseState::InProgress, 2);
        let first = cache.search("噪音扰", 1).unwrap().remove(0);
        v["id"] = serde_json::json!(first.id);
        cache.upsert_server_cases(vec![v]).unwrap();
        assert!(titles(&cache, "噪音扰").is_empty());
        assert_eq!(titles(&cache, "更新的标"), ["已更新的标题"]);

        // A workflow step (same text, newer version) keeps the index entry, exactly once.
        let mut step = server_view(
            "已更新的标题",
            "内容改了",
            unit,
            CaseState::PendingReview,
            3,
        );
        step["id"] = serde_json::json!(first.id);
        cache.upsert_server_cases(vec![step]).unwrap();
        assert_eq!(titles(&cache, "更新的标"), ["已更新的标题"]);
        let rows = cache.search("更新的标", 10).unwrap();
        assert_eq!(rows[0].state, CaseState::PendingReview);
    }
}
