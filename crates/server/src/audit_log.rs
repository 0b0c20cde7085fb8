//! The audit log as the admin reads it: filtered, newest first in keyset pages, the
//! actions by their Chinese names, and an Excel export (itself audited).

use chrono::{DateTime, Utc};
use minsheng_domain::calendar::beijing;
use minsheng_domain::ids::UserId;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::admin::{AuditPage, AuditQuery, AuditRow};
use minsheng_store::AuditRecord;

/// Most records one export may hold; a wider filter is refused (narrow the range).
pub const EXPORT_MAX_ROWS: u64 = 50_000;

/// The actions the server writes, with their Chinese names (an action missing here is
/// shown by its code).
pub const ACTIONS: &[(&str, &str)] = &[
    ("login", "登录"),
    ("refreshReuse", "登录凭证被重复使用"),
    ("createUser", "新建用户"),
    ("updateUser", "修改用户"),
    ("resetUserPassword", "重置密码"),
    ("disableUser", "停用用户"),
    ("enableUser", "启用用户"),
    ("createUnit", "新建单位"),
    ("updateUnit", "修改单位"),
    ("putSlaRules", "修改办理期限规则"),
    ("putHolidayYear", "录入节假日日历"),
    ("changeCategory", "修改诉求类别"),
    ("unmaskCitizen", "查看群众完整信息"),
    ("unmaskFollowUpPhone", "查看回访号码"),
    ("followUpPhoneAnswer", "记录电话回访"),
    ("smsReminder", "发送温馨提示"),
    ("smsWebhookRejected", "拒绝短信回调"),
    ("editSmsTemplate", "修改短信模板"),
    ("retrySms", "重发死信短信"),
    ("discardSms", "放弃死信短信"),
    ("setAssessmentWeights", "修改考核权重"),
    ("createStandardReply", "新增规范答复"),
    ("updateStandardReply", "修改规范答复"),
    ("reviewStandardReply", "复核规范答复"),
    ("retireStandardReply", "停用规范答复"),
    ("exportAuditLog", "导出审计日志"),
    ("publishRelease", "发布客户端版本"),
    ("withdrawRelease", "撤回客户端版本"),
];

/// The Chinese name of an action code.
pub fn action_name(code: &str) -> Option<&'static str> {
    ACTIONS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// Filters as the admin gives them: `user` is a username or a user id.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditFilter {
    pub user: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

fn clean(v: Option<&str>, max: usize) -> Option<String> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().take(max).collect())
}

impl AuditFilter {
    pub fn new(
        user: Option<&str>,
        action: Option<&str>,
        target: Option<&str>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Self, ApiError> {
        if let (Some(f), Some(t)) = (from, to) {
            if f >= t {
                return Err(ApiError::BadRequest("开始时间须早于结束时间".into()));
            }
        }
        Ok(Self {
            user: clean(user, 64),
            action: clean(action, 64),
            target: clean(target, 100),
            from,
            to,
        })
    }

    /// The store query; `None` when the named user does not exist (nothing matches).
    fn query(
        &self,
        s: &AppState,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Option<AuditQuery>, ApiError> {
        let user = match self.user.as_deref() {
            None => None,
            Some(u) => match u.parse::<UserId>() {
                Ok(id) => Some(id),
                Err(_) => match s.store.user_by_username(u)? {
                    Some(rec) => Some(rec.id),
                    None => return Ok(None),
                },
            },
        };
        Ok(Some(AuditQuery {
            user,
            action: self.action.clone(),
            target: self.target.clone(),
            from: self.from,
            to: self.to,
            before,
            limit,
        }))
    }
}

/// One page, newest first, continuing before the record `before`.
pub fn page(
    s: &AppState,
    f: &AuditFilter,
    before: Option<i64>,
    limit: usize,
) -> Result<AuditPage, ApiError> {
    match f.query(s, before, limit)? {
        Some(q) => Ok(s.store.search_audit(&q)?),
        None => Ok(AuditPage::default()),
    }
}

fn bj_text(at: DateTime<Utc>) -> String {
    at.with_timezone(&beijing())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn xe(e: XlsxError) -> ApiError {
    ApiError::Internal(format!("xlsx: {e}"))
}

const HEADERS: &[(&str, f64)] = &[
    ("时间（北京时间）", 20.0),
    ("操作人账号", 14.0),
    ("操作人姓名", 12.0),
    ("操作", 16.0),
    ("操作代码", 18.0),
    ("对象", 24.0),
    ("详情", 80.0),
];

fn workbook(rows: &[AuditRow]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("审计日志")?;
    for (col, (h, width)) in (0u16..).zip(HEADERS) {
        ws.write_string_with_format(0, col, *h, &bold)?;
        ws.set_column_width(col, *width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (row, r) in (1u32..).zip(rows) {
        let a = &r.record;
        let system = a.user_id == UserId::SYSTEM;
        ws.write_string(row, 0, bj_text(a.at))?;
        ws.write_string(
            row,
            1,
            r.username
                .as_deref()
                .unwrap_or(if system { "system" } else { "" }),
        )?;
        ws.write_string(
            row,
            2,
            r.display_name
                .as_deref()
                .unwrap_or(if system { "系统" } else { "" }),
        )?;
        ws.write_string(row, 3, action_name(&a.action).unwrap_or(&a.action))?;
        ws.write_string(row, 4, &a.action)?;
        ws.write_string(row, 5, &a.target)?;
        ws.write_string(row, 6, &a.detail)?;
    }
    wb.save_to_buffer()
}

/// Every record `f` matches (newest first) as an Excel workbook; refused above
/// `EXPORT_MAX_ROWS`. The export itself is audited as `exportAuditLog` with its filter.
pub fn export(s: &AppState, admin: UserId, f: &AuditFilter) -> Result<Vec<u8>, ApiError> {
    let rows = match f.query(s, None, EXPORT_MAX_ROWS as usize)? {
        Some(q) => {
            let n = s.store.count_audit(&q)?;
            if n > EXPORT_MAX_ROWS {
                return Err(ApiError::Invalid {
                    code: "AUDIT_EXPORT_TOO_LARGE",
                    message: format!(
                        "符合条件的审计记录有{n}条，一次最多导出{EXPORT_MAX_ROWS}条，请缩小时间范围或增加筛选条件"
                    ),
                });
            }
            s.store.search_audit(&q)?.items
        }
        None => Vec::new(),
    };
    let bytes = workbook(&rows).map_err(xe)?;
    s.store.audit(&AuditRecord {
        at: s.now(),
        user_id: admin,
        action: "exportAuditLog".into(),
        target: "audit".into(),
        detail: serde_json::json!({ "filter": f, "rows": rows.len() }).to_string(),
    })?;
    Ok(bytes)
}
