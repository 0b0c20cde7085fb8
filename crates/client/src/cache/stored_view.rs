//! How a case view is stored in `cases.json`: without its title and content (they live
//! in their own columns, which lists and the full-text index read), compressed with
//! zstd against a built-in dictionary of what case views look like. A row then takes
//! about a third of a page instead of a whole one, and a pull that changes 20,000
//! cases encrypts and writes a third of the pages.
//!
//! Rows written before this format are JSON text and stay readable; a BLOB starts with
//! a format byte, so a later dictionary can come beside this one.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::OnceLock;

use rusqlite::types::ValueRef;
use serde_json::Value;

use crate::error::{ClientError, Result};

/// Format byte: zstd with `DICT_V1`.
const ZSTD_DICT_V1: u8 = 1;
/// Never edit: rows in the field were compressed against these exact bytes. A better
/// dictionary gets a new format byte.
const DICT_V1: &[u8] = include_bytes!("view_dict.txt");
/// A stored view never decompresses to more than this (a guard against a bad row).
const MAX_VIEW_BYTES: usize = 4 << 20;
/// Fast: the dictionary does most of the work on such small documents.
const LEVEL: i32 = 1;

// The dictionary digested once (a raw dictionary loaded per call would be hashed again
// for every row), and one (de)compression context per thread.
static ENCODER: OnceLock<zstd::dict::EncoderDictionary<'static>> = OnceLock::new();
static DECODER: OnceLock<zstd::dict::DecoderDictionary<'static>> = OnceLock::new();

thread_local! {
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

fn corrupt(e: impl std::fmt::Display) -> ClientError {
    ClientError::Corrupt(format!("缓存的诉求件数据无法解压：{e}"))
}

fn unpackable(e: impl std::fmt::Display) -> ClientError {
    ClientError::Io(format!("诉求件数据无法压缩：{e}"))
}

/// The stored form of the view `json`, whose `title` and `content` were deserialized
/// from it.
pub(crate) fn encode(json: &str, title: &str, content: &str) -> Result<Vec<u8>> {
    let plain = strip(json, title, content)?;
    let packed = COMPRESSOR.with(|slot| {
        let mut slot = slot.borrow_mut();
        let compressor = match slot.as_mut() {
            Some(c) => c,
            None => {
                let dict =
                    ENCODER.get_or_init(|| zstd::dict::EncoderDictionary::copy(DICT_V1, LEVEL));
                slot.insert(
                    zstd::bulk::Compressor::with_prepared_dictionary(dict).map_err(unpackable)?,
                )
            }
        };
        compressor.compress(plain.as_bytes()).map_err(unpackable)
    })?;
    let mut out = Vec::with_capacity(packed.len() + 1);
    out.push(ZSTD_DICT_V1);
    out.extend_from_slice(&packed);
    Ok(out)
}

/// The view stored in a row, with its text columns put back.
pub(crate) fn decode(stored: ValueRef<'_>, title: String, content: String) -> Result<Value> {
    let mut view: Value = match stored {
        ValueRef::Text(t) => serde_json::from_slice(t)?,
        ValueRef::Blob([ZSTD_DICT_V1, packed @ ..]) => {
            let plain = DECOMPRESSOR.with(|slot| {
                let mut slot = slot.borrow_mut();
                let decompressor = match slot.as_mut() {
                    Some(d) => d,
                    None => {
                        let dict =
                            DECODER.get_or_init(|| zstd::dict::DecoderDictionary::copy(DICT_V1));
                        slot.insert(
                            zstd::bulk::Decompressor::with_prepared_dictionary(dict)
                                .map_err(corrupt)?,
                        )
                    }
                };
                decompressor
                    .decompress(packed, MAX_VIEW_BYTES)
                    .map_err(corrupt)
            })?;
            serde_json::from_slice(&plain)?
        }
        _ => return Err(corrupt("未知的存储格式")),
    };
    view["title"] = Value::String(title);
    view["content"] = Value::String(content);
    Ok(view)
}

/// `json` with the values of `title` and `content` emptied. When those strings were
/// borrowed from `json` (no escapes), their bytes are cut out directly; otherwise the
/// JSON is rewritten through a `Value`.
fn strip(json: &str, title: &str, content: &str) -> Result<String> {
    let (Some(t), Some(c)) = (inside(json, title), inside(json, content)) else {
        let mut v: Value = serde_json::from_str(json)?;
        v["title"] = Value::String(String::new());
        v["content"] = Value::String(String::new());
        return Ok(serde_json::to_string(&v)?);
    };
    let (first, second) = if t.start <= c.start { (t, c) } else { (c, t) };
    let mut out = String::with_capacity(json.len() - first.len() - second.len());
    out.push_str(&json[..first.start]);
    out.push_str(&json[first.end..second.start]);
    out.push_str(&json[second.end..]);
    Ok(out)
}

/// The byte range `part` occupies inside `whole`, if it is a non-empty slice of it.
fn inside(whole: &str, part: &str) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start + part.len();
    (end <= whole.len() && !part.is_empty()).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Text<'a> {
        #[serde(borrow)]
        title: Cow<'a, str>,
        #[serde(borrow)]
        content: Cow<'a, str>,
    }

    fn round_trip(json: &str) -> usize {
        let t: Text<'_> = serde_json::from_str(json).unwrap();
        let stored = encode(json, &t.title, &t.content).unwrap();
        let back = decode(
            ValueRef::Blob(&stored),
            t.title.into_owned(),
            t.content.into_owned(),
        )
        .unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(json).unwrap());
        stored.len()
    }

    #[test]
    fn views_round_trip_whatever_their_text() {
        // Borrowed (plain Chinese), both orders, empty text.
        round_trip(r#"{"id":1,"title":"噪音扰民","x":[1,2],"content":"楼上装修到深夜"}"#);
        round_trip(r#"{"content":"内容在前","title":"标题在后","n":null}"#);
        round_trip(r#"{"title":"","content":""}"#);
        // Escaped text (quotes, newlines, a backslash, HTML, an emoji) goes the slow way.
        round_trip(
            r#"{"title":"\"紧急\" <b>火情</b>","content":"第一行\n第二行 C:\\路径 😀 \u4e2d"}"#,
        );
    }

    #[test]
    fn a_case_view_shrinks_to_a_third_of_a_page_and_old_text_rows_still_read() {
        let unit = minsheng_domain::ids::UnitId::mint(chrono::Utc::now());
        let view = crate::cache::cases::tests::server_view(
            "小区夜间施工噪音扰民",
            "每晚十点后仍在施工，老人孩子无法休息，希望派出所到现场查看。",
            unit,
            minsheng_domain::case::CaseState::InProgress,
            4,
        );
        let size = round_trip(&view.to_string());
        assert!(size < 1000, "{size} bytes stored");
        let old = view.to_string();
        let read = decode(ValueRef::Text(old.as_bytes()), "标题".into(), "内容".into()).unwrap();
        assert_eq!(read["title"], "标题");
        assert_eq!(read["id"], view["id"]);
        assert!(matches!(
            decode(ValueRef::Blob(&[9, 1, 2]), String::new(), String::new()),
            Err(ClientError::Corrupt(_))
        ));
    }
}
