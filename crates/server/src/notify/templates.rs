//! SMS texts from admin-editable templates: `{name}` placeholders filled from params.
//!
//! Each template family is filled by one sender with a fixed set of parameters
//! (`followup.*`: the case; `service.*`: the window-service event; `staff.*`: the staff
//! notification), so a placeholder outside that set would go out as literal text: the
//! admin's edits are refused with the unknown name, and previewed on a sample case.
//! `reminder.*` texts name their own parameters (the sender supplies exactly those).

use minsheng_domain::role::Actor;
use serde::Serialize;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::admin::TemplateSave;
use minsheng_store::notify::{NewSms, SmsTemplate};
use minsheng_store::AuditRecord;

/// Longest template text (characters, after trimming).
pub const BODY_MAX_CHARS: usize = 500;

/// One parameter a template may use, with what a preview fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Placeholder {
    pub name: &'static str,
    /// What it stands for (Chinese).
    pub label: &'static str,
    /// The value of the sample case.
    pub sample: &'static str,
}

const fn ph(name: &'static str, label: &'static str, sample: &'static str) -> Placeholder {
    Placeholder {
        name,
        label,
        sample,
    }
}

/// What `followup::open_round` gives (a case's follow-up round).
const CASE: &[Placeholder] = &[
    ph("caseNumber", "诉求编号", "MS202611260001"),
    ph("name", "群众姓名", "王女士"),
    ph("title", "诉求标题", "小区门口夜间施工噪音扰民"),
];
/// What `service::import` gives (a window-service event).
const SERVICE: &[Placeholder] = &[
    ph("date", "办理日期", "11月26日"),
    ph("unitName", "办理单位", "泉城路派出所"),
    ph("name", "群众姓名", "王女士"),
];
/// What `staff::sms_copy` gives (a staff notification).
const STAFF: &[Placeholder] = &[
    ph("title", "提醒标题", "新的待签收诉求件"),
    ph(
        "body",
        "提醒内容",
        "MS202611260001 小区门口夜间施工噪音扰民，请及时签收",
    ),
];
/// What `supervisors::rounds` gives (a supervisor's monthly survey).
const SUPERVISOR: &[Placeholder] = &[
    ph("name", "监督员姓名", "王女士"),
    ph("period", "征询月份", "2026-12"),
];
/// Samples for the usual 温馨提示 parameters (the texts may name others).
const REMINDER: &[Placeholder] = &[
    ph("name", "群众姓名", "王女士"),
    ph("item", "办理事项", "居民身份证"),
    ph("place", "领取地点", "泉城路派出所户籍窗口"),
];

/// The parameters a template family is filled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parameters {
    /// Exactly these; any other placeholder is refused.
    Fixed(&'static [Placeholder]),
    /// Any well-formed name (温馨提示); these have sample values.
    Free(&'static [Placeholder]),
}

impl Parameters {
    pub fn of(code: &str) -> Self {
        let family = code.split('.').next().unwrap_or("");
        match family {
            "followup" => Self::Fixed(CASE),
            "service" => Self::Fixed(SERVICE),
            "staff" => Self::Fixed(STAFF),
            "supervisor" => Self::Fixed(SUPERVISOR),
            "reminder" => Self::Free(REMINDER),
            _ => Self::Fixed(&[]),
        }
    }

    pub const fn known(self) -> &'static [Placeholder] {
        match self {
            Self::Fixed(p) | Self::Free(p) => p,
        }
    }

    fn allows(self, name: &str) -> bool {
        match self {
            Self::Fixed(p) => p.iter().any(|x| x.name == name),
            Self::Free(_) => {
                name.len() <= 40
                    && name.starts_with(|c: char| c.is_ascii_alphabetic())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            }
        }
    }
}

fn invalid(code: &'static str, message: String) -> ApiError {
    ApiError::Invalid { code, message }
}

/// The `{name}` placeholders of `body` in order (each once); refuses a brace that opens
/// or closes nothing, and an empty or nested name.
pub fn placeholders(body: &str) -> Result<Vec<&str>, ApiError> {
    let braces = || {
        invalid(
            "SMS_TEMPLATE_BRACES",
            "模板中的花括号须成对使用，如 {caseNumber}".into(),
        )
    };
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let open = rest.find('{');
        let close = rest.find('}');
        match (open, close) {
            (None, None) => return Ok(out),
            (Some(o), Some(c)) if o < c => {
                let name = &rest[o + 1..c];
                if name.is_empty() || name.contains('{') {
                    return Err(braces());
                }
                if !out.contains(&name) {
                    out.push(name);
                }
                rest = &rest[c + 1..];
            }
            _ => return Err(braces()),
        }
    }
}

/// Checks a template text for `code`: 1–`BODY_MAX_CHARS` characters, braces in pairs,
/// and only the placeholders its family is filled with (422 naming the first unknown).
pub fn check_body(code: &str, body: &str) -> Result<(), ApiError> {
    let text = body.trim();
    if text.is_empty() || text.chars().count() > BODY_MAX_CHARS {
        return Err(invalid(
            "SMS_TEMPLATE_LENGTH",
            format!("模板内容不能为空且不超过{BODY_MAX_CHARS}字"),
        ));
    }
    let params = Parameters::of(code);
    if let Some(unknown) = placeholders(text)?.into_iter().find(|n| !params.allows(n)) {
        let known: Vec<String> = params
            .known()
            .iter()
            .map(|p| format!("{{{}}}（{}）", p.name, p.label))
            .collect();
        let hint = if known.is_empty() {
            "该模板不能使用占位符".to_owned()
        } else {
            format!("可用占位符：{}", known.join("、"))
        };
        return Err(invalid(
            "SMS_TEMPLATE_PLACEHOLDER_UNKNOWN",
            format!("未知的占位符“{{{unknown}}}”，{hint}"),
        ));
    }
    Ok(())
}

/// A draft text rendered on the sample case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplatePreview {
    pub text: String,
    /// Characters of the rendered text.
    pub chars: usize,
    /// SMS segments it takes (70 characters alone, 67 each when split).
    pub segments: usize,
    /// The placeholders this template may use, with the sample values.
    pub placeholders: Vec<Placeholder>,
}

/// Renders the draft `body` of template `code` on the sample case; refused like a save.
pub fn preview(code: &str, body: &str) -> Result<TemplatePreview, ApiError> {
    check_body(code, body)?;
    let params = Parameters::of(code);
    let mut values = serde_json::Map::new();
    for name in placeholders(body.trim())? {
        let sample = params
            .known()
            .iter()
            .find(|p| p.name == name)
            .map_or_else(|| format!("［{name}］"), |p| p.sample.to_owned());
        values.insert(name.to_owned(), json!(sample));
    }
    let text = render(body.trim(), &serde_json::Value::Object(values));
    let chars = text.chars().count();
    Ok(TemplatePreview {
        segments: if chars <= 70 { 1 } else { chars.div_ceil(67) },
        chars,
        text,
        placeholders: params.known().to_vec(),
    })
}

/// An admin's edit of template `code`.
#[derive(Debug, Clone, Default)]
pub struct TemplateChange {
    /// Blank: unchanged (the code for a new template).
    pub name: Option<String>,
    pub body: String,
    pub provider_template_id: Option<String>,
}

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 60
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Saves (or adds) template `code` after `check_body`, with an `editSmsTemplate` audit
/// row holding the template before and after, in one transaction. Takes effect for
/// messages queued afterwards.
pub fn save(
    s: &AppState,
    admin: &Actor,
    code: &str,
    change: &TemplateChange,
) -> Result<SmsTemplate, ApiError> {
    if !valid_code(code) {
        return Err(ApiError::BadRequest(
            "模板代码只能包含字母、数字和 . _ -".into(),
        ));
    }
    check_body(code, &change.body)?;
    let now = s.now();
    let view = |t: &SmsTemplate| json!({ "name": t.name, "body": t.body, "providerTemplateId": t.provider_template_id });
    Ok(s.store.save_sms_template(code, &mut |old| {
        let t = SmsTemplate {
            code: code.to_owned(),
            name: change
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| n.chars().take(60).collect())
                .or_else(|| old.map(|o| o.name.clone()))
                .unwrap_or_else(|| code.to_owned()),
            body: change.body.trim().to_owned(),
            provider_template_id: change
                .provider_template_id
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
            updated_at: now,
        };
        let audit = AuditRecord {
            at: now,
            user_id: admin.user_id,
            action: "editSmsTemplate".into(),
            target: code.to_owned(),
            detail: json!({ "before": old.map(view), "after": view(&t) }).to_string(),
        };
        Ok(TemplateSave { template: t, audit })
    })?)
}

/// Replaces every `{key}` whose key is in `params` (strings or numbers); leaves others.
pub fn render(body: &str, params: &serde_json::Value) -> String {
    let mut out = body.to_owned();
    if let Some(map) = params.as_object() {
        for (k, v) in map {
            let value = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            out = out.replace(&format!("{{{k}}}"), &value);
        }
    }
    out
}

/// An outbox row for `template` to `phone`, rendered with the template as stored now.
pub fn sms(
    s: &AppState,
    event_key: String,
    template: &str,
    phone: &str,
    params: serde_json::Value,
) -> Result<NewSms, ApiError> {
    let t = s
        .store
        .sms_template(template)?
        .ok_or(ApiError::NotFound("短信模板"))?;
    Ok(sms_of(&t, event_key, phone, params))
}

/// An outbox row from a template already read (many rows of one template).
pub fn sms_of(
    t: &SmsTemplate,
    event_key: String,
    phone: &str,
    params: serde_json::Value,
) -> NewSms {
    NewSms {
        event_key,
        phone: phone.to_owned(),
        template: t.code.clone(),
        provider_template_id: t.provider_template_id.clone(),
        body: render(&t.body, &params),
        params,
    }
}

/// Mobile numbers only: landlines cannot receive SMS.
pub fn is_mobile(phone: &str) -> bool {
    phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit())
}

/// `138****5678` for logs and for roles that may not see the number.
pub fn mask(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_known_placeholders_only() {
        let p = serde_json::json!({"caseNumber": "MS1", "n": 3});
        assert_eq!(
            render("编号{caseNumber}，{n}，{other}", &p),
            "编号MS1，3，{other}"
        );
    }

    #[test]
    fn placeholders_follow_the_template_family() {
        assert!(check_body("followup.l1", "编号{caseNumber}，{name}").is_ok());
        let e = check_body("followup.l1", "编号{caseNo}").unwrap_err();
        assert_eq!(e.code(), "SMS_TEMPLATE_PLACEHOLDER_UNKNOWN");
        assert!(e.to_string().contains("{caseNo}"), "{e}");
        assert!(e.to_string().contains("{caseNumber}（诉求编号）"), "{e}");
        assert!(check_body("service.110", "{date}{unitName}").is_ok());
        assert!(check_body("service.110", "{caseNumber}").is_err());
        assert!(check_body("staff.notice", "{title}：{body}").is_ok());
        // 温馨提示 name their own parameters.
        assert!(check_body("reminder.x", "{anything}到{place}").is_ok());
        assert!(check_body("reminder.x", "{不行}").is_err());
        for bad in ["编号{caseNumber", "编号}caseNumber{", "{}", "{{name}}"] {
            assert_eq!(
                check_body("followup.l1", bad).unwrap_err().code(),
                "SMS_TEMPLATE_BRACES",
                "{bad}"
            );
        }
        assert_eq!(
            check_body("followup.l1", "  ").unwrap_err().code(),
            "SMS_TEMPLATE_LENGTH"
        );
    }

    #[test]
    fn previews_on_the_sample_case() {
        let p = preview(
            "followup.l1",
            " 【济南公安】{name}您好，编号{caseNumber}。 ",
        )
        .unwrap();
        assert_eq!(p.text, "【济南公安】王女士您好，编号MS202611260001。");
        assert_eq!(p.segments, 1);
        assert_eq!(p.placeholders.len(), 3);
        let long = "长".repeat(140);
        assert_eq!(preview("followup.l1", &long).unwrap().segments, 3);
        assert_eq!(
            preview("reminder.x", "{item}{other}").unwrap().text,
            "居民身份证［other］"
        );
    }

    #[test]
    fn masks_and_detects_mobiles() {
        assert_eq!(mask("13812345678"), "138****5678");
        assert!(is_mobile("13812345678"));
        assert!(!is_mobile("053186081234"));
    }
}
