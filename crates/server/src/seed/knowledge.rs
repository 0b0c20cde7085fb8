//! Demo standard replies (知识库 / 规范答复口径) for a few common categories. Added once:
//! a database that already has standard replies gets none.

use chrono::{DateTime, Utc};

use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::knowledge::{KnowledgeQuery, StandardReply};

/// (category, title, body)
const DEMO: &[(&str, &str, &str)] = &[
    (
        "噪音扰民",
        "夜间施工噪音答复",
        "您好！关于您反映的夜间施工噪音问题，辖区派出所已安排民警到现场核查，责令施工方停止夜间违规作业，并将情况通报城管执法部门依法处理。如再次发生，请及时拨打110报警。感谢您对公安工作的理解和支持。",
    ),
    (
        "噪音扰民",
        "社会生活噪音（邻里、广场舞）答复",
        "您好！关于您反映的社会生活噪音问题，民警已上门对相关人员进行劝导教育，并告知其遵守《中华人民共和国噪声污染防治法》相关规定。后续我们将加强巡查，如问题仍未解决，请再次反映。",
    ),
    (
        "交通管理",
        "违法停车占道答复",
        "您好！关于您反映的车辆违法停放占用道路问题，交警部门已安排警力到现场处置，对违法停放车辆依法处理，并将该路段纳入日常巡查范围。感谢您的监督。",
    ),
    (
        "户政管理",
        "户口迁移办理答复",
        "您好！办理户口迁移需携带本人居民身份证、户口簿及迁入地相关证明材料，到迁入地派出所户籍窗口申请，符合条件的当场受理。具体材料清单可咨询当地派出所或拨打12345热线。",
    ),
    (
        "出入境",
        "普通护照办理答复",
        "您好！办理普通护照可携带本人居民身份证，到全国任一出入境管理窗口申请，一般在7个工作日内制证完成，可选择邮寄或窗口领取。详细要求请关注出入境管理部门官方发布。",
    ),
];

/// A UUIDv7 like the ones the API mints, one millisecond apart per row.
fn demo_id(now: DateTime<Utc>, i: usize) -> String {
    let at = now + chrono::Duration::milliseconds(i64::try_from(i).unwrap_or(0));
    let secs = u64::try_from(at.timestamp()).unwrap_or(0);
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, at.timestamp_subsec_nanos());
    uuid::Uuid::new_v7(ts).to_string()
}

/// Inserts the demo standard replies when the knowledge base is empty; returns how many.
pub fn seed_standard_replies(s: &AppState, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let existing = s.store.list_standard_replies(&KnowledgeQuery {
        include_retired: true,
        limit: 1,
        ..Default::default()
    })?;
    if !existing.is_empty() {
        return Ok(0);
    }
    for (i, (category, title, body)) in DEMO.iter().enumerate() {
        s.store.insert_standard_reply(&StandardReply {
            id: demo_id(now, i),
            category: (*category).to_owned(),
            title: (*title).to_owned(),
            body: (*body).to_owned(),
            version: 1,
            reviewed_at: Some(now),
            updated_by: None,
            updated_at: now,
            retired: false,
        })?;
    }
    Ok(DEMO.len())
}
