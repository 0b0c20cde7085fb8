//! Request texts for demo cases, and the keyword routing used only for demo data
//! (the NLP crate does the real suggestion).

use std::path::Path;

use minsheng_domain::case::{Channel, RequestType};
use minsheng_domain::org::UnitKind;
use serde::Deserialize;

use crate::error::ApiError;

const BUNDLED_FALLBACK: &str = include_str!("../../../../data/demo/fallback_cases.json");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FallbackCase {
    title: String,
    content: String,
    channel: Channel,
    request_type: RequestType,
    category: String,
    district: String,
    address: String,
}

/// A request text to seed from.
pub struct Text {
    pub title: String,
    pub content: String,
    pub district: Option<String>,
    pub address: Option<String>,
    pub category: Option<String>,
    pub request_type: Option<RequestType>,
    pub channel: Option<Channel>,
}

pub fn corpus_texts(path: &Path, limit: usize) -> Option<Vec<Text>> {
    let mut rdr = csv::Reader::from_path(path).ok()?;
    let headers = rdr.headers().ok()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (ti, di) = (col("title")?, col("detail")?);
    let mut police = Vec::new();
    let mut other = Vec::new();
    for rec in rdr.records().flatten() {
        let title = rec.get(ti).unwrap_or("").trim().to_owned();
        let content = rec.get(di).unwrap_or("").trim().to_owned();
        if title.is_empty() || content.is_empty() {
            continue;
        }
        let content: String = content.chars().take(3000).collect();
        let t = Text {
            title,
            content,
            district: None,
            address: None,
            category: None,
            request_type: None,
            channel: None,
        };
        if guess_category(&format!("{}{}", t.title, t.content)).0 == "其他公安事务" {
            other.push(t);
        } else {
            police.push(t);
        }
    }
    police.extend(other);
    police.truncate(limit);
    (!police.is_empty()).then_some(police)
}

pub fn fallback_texts() -> Result<Vec<Text>, ApiError> {
    let rows: Vec<FallbackCase> = serde_json::from_str(BUNDLED_FALLBACK)?;
    Ok(rows
        .into_iter()
        .map(|r| Text {
            title: r.title,
            content: r.content,
            district: Some(r.district),
            address: Some(r.address),
            category: Some(r.category),
            request_type: Some(r.request_type),
            channel: Some(r.channel),
        })
        .collect())
}

/// Keyword routing for demo data only (the NLP crate does the real suggestion).
pub fn guess_category(text: &str) -> (&'static str, UnitKind) {
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&["诈骗", "传销", "集资", "P2P", "p2p", "理财平台", "骗取"]) {
        ("诈骗与经济犯罪", UnitKind::EconomicCrime)
    } else if has(&["驾照", "驾驶证", "车管", "年检", "车牌", "行驶证"]) {
        ("车驾管", UnitKind::VehicleAdmin)
    } else if has(&["护照", "出入境", "通行证", "签注"]) {
        ("出入境", UnitKind::ExitEntry)
    } else if has(&[
        "交警",
        "红绿灯",
        "违停",
        "信号灯",
        "交通事故",
        "违章停车",
        "拥堵",
        "电动车",
    ]) {
        ("交通管理", UnitKind::TrafficBrigade)
    } else if has(&["噪音", "扰民", "广场舞"]) {
        ("噪音扰民", UnitKind::PoliceStation)
    } else if has(&["户口", "户籍", "身份证", "落户", "居住证"]) {
        ("户政管理", UnitKind::PoliceStation)
    } else if has(&["民警态度", "警察态度", "不作为", "乱执法", "民警"]) {
        ("民警作风与执法", UnitKind::PoliceStation)
    } else if has(&["个人信息", "网络", "黑客", "网上"]) && has(&["泄露", "攻击", "诈骗", "谣言"])
    {
        ("网络安全", UnitKind::CyberSecurity)
    } else if has(&[
        "盗窃",
        "偷",
        "抢劫",
        "打架",
        "殴打",
        "赌",
        "吸毒",
        "卖淫",
        "治安",
        "派出所",
        "报警",
        "110",
    ]) {
        ("治安管理", UnitKind::PoliceStation)
    } else {
        ("其他公安事务", UnitKind::PoliceStation)
    }
}

pub fn guess_request_type(text: &str) -> RequestType {
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&["举报"]) {
        RequestType::Report
    } else if has(&["投诉", "扰民", "不作为"]) {
        RequestType::Complaint
    } else if has(&["建议", "希望"]) {
        RequestType::Suggestion
    } else if has(&["求助", "帮助", "救"]) {
        RequestType::HelpRequest
    } else if has(&["感谢", "表扬"]) {
        RequestType::Praise
    } else {
        RequestType::Consultation
    }
}
