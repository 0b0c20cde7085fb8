//! SMS texts from admin-editable templates: `{name}` placeholders filled from params.

use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::notify::{NewSms, SmsTemplate};

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
    fn masks_and_detects_mobiles() {
        assert_eq!(mask("13812345678"), "138****5678");
        assert!(is_mobile("13812345678"));
        assert!(!is_mobile("053186081234"));
    }
}
