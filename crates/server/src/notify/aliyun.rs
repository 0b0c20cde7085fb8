//! A real-provider adapter: 阿里云短信 `SendSms` (dysmsapi, API version 2017-05-25),
//! the "template code + named params, signed request" kind most Chinese SMS providers
//! use. The message goes as a POSTed form whose parameters are signed with the RPC
//! signature v1: sort the parameters, percent-encode them (RFC 3986), sign
//! `POST&%2F&<encoded canonical query>` with HMAC-SHA1 under `<secret>&`, base64.
//!
//! Our template params map one-to-one onto the provider template's named variables
//! (`TemplateParam`); the template's `provider_template_id` is its `TemplateCode`. A
//! template without one goes out through the configured fallback template, whose one
//! variable `content` carries the whole rendered text. The access key secret is only
//! ever used as a MAC key: it is not sent, and `Debug`/errors never print it.

use std::collections::BTreeMap;

use base64::Engine;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use sha1::Sha1;

use super::config::AliyunConfig;
use super::gateway::{GatewayError, OutgoingSms, SendFuture, SmsGateway};

/// Everything but RFC 3986 unreserved characters is encoded (space as `%20`).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// `a=1&b=2`, keys sorted, both sides percent-encoded.
fn canonical(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The RPC signature v1 of `params` for an HTTP `method`.
pub fn signature(secret: &str, method: &str, params: &BTreeMap<String, String>) -> String {
    let to_sign = format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonical(params))
    );
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(format!("{secret}&").as_bytes())
        .unwrap_or_else(|_| unreachable!("hmac takes any key length"));
    mac.update(to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Error codes worth retrying (flow control, provider-side faults).
const TRANSIENT_CODES: &[&str] = &[
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.DAY_LIMIT_CONTROL",
    "Throttling",
    "Throttling.User",
    "Throttling.Api",
    "isp.SYSTEM_ERROR",
    "isp.GATEWAY_ERROR",
    "ServiceUnavailable",
    "InternalError",
    "SignatureNonceUsed",
];

pub struct AliyunGateway {
    url: String,
    cfg: AliyunConfig,
    client: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    code: Option<String>,
    message: Option<String>,
    biz_id: Option<String>,
    request_id: Option<String>,
}

impl AliyunGateway {
    pub fn new(
        url: String,
        cfg: AliyunConfig,
        timeout: std::time::Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self { url, cfg, client })
    }

    /// The signed parameters of one message (`Signature` included), at `timestamp`
    /// (`YYYY-MM-DDTHH:MM:SSZ`, UTC) with a one-time `nonce`.
    pub fn signed_params(
        &self,
        sms: &OutgoingSms<'_>,
        timestamp: &str,
        nonce: &str,
    ) -> Result<BTreeMap<String, String>, GatewayError> {
        let (code, vars) = match (sms.template_id, &self.cfg.fallback_template) {
            (Some(code), _) => (code.to_owned(), template_vars(sms.params)),
            (None, Some(fallback)) => {
                let mut m = serde_json::Map::new();
                m.insert("content".into(), sms.body.into());
                (fallback.clone(), serde_json::Value::Object(m))
            }
            (None, None) => {
                return Err(GatewayError::Permanent(
                    "模板未在短信平台登记（无模板编号，也未配置通用模板）".into(),
                ))
            }
        };
        let mut p = BTreeMap::new();
        for (k, v) in [
            ("AccessKeyId", self.cfg.access_key_id.as_str()),
            ("Action", "SendSms"),
            ("Format", "JSON"),
            ("RegionId", self.cfg.region.as_str()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", nonce),
            ("SignatureVersion", "1.0"),
            ("Timestamp", timestamp),
            ("Version", "2017-05-25"),
            ("PhoneNumbers", sms.to),
            ("SignName", self.cfg.sign_name.as_str()),
            ("TemplateCode", code.as_str()),
            ("OutId", sms.client_ref),
        ] {
            p.insert(k.to_owned(), v.to_owned());
        }
        p.insert("TemplateParam".into(), vars.to_string());
        let sig = signature(&self.cfg.access_key_secret, "POST", &p);
        p.insert("Signature".into(), sig);
        Ok(p)
    }
}

/// Our params as the provider wants them: an object of strings.
fn template_vars(params: &serde_json::Value) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    if let Some(obj) = params.as_object() {
        for (k, v) in obj {
            let s = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            m.insert(k.clone(), s.into());
        }
    }
    serde_json::Value::Object(m)
}

impl SmsGateway for AliyunGateway {
    fn send<'a>(&'a self, sms: &'a OutgoingSms<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            // The provider checks the timestamp against its own clock: real time, not
            // the (possibly simulated) clock of the workflow.
            let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
            let nonce = uuid::Uuid::now_v7().simple().to_string();
            let form = canonical(&self.signed_params(sms, &timestamp, &nonce)?);
            let resp = self
                .client
                .post(&self.url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(form)
                .send()
                .await
                .map_err(|e| {
                    GatewayError::Transient(format!("短信平台不可达（{}）", e.without_url()))
                })?;
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            let answer: Option<Answer> = serde_json::from_str(&text).ok();
            let code = answer
                .as_ref()
                .and_then(|a| a.code.clone())
                .unwrap_or_default();
            if status.is_success() && code == "OK" {
                return answer
                    .and_then(|a| a.biz_id.or(a.request_id))
                    .ok_or_else(|| GatewayError::Transient("短信平台应答缺少 BizId".into()));
            }
            let detail = answer.as_ref().map_or_else(
                || text.chars().take(200).collect::<String>(),
                |a| format!("{code} {}", a.message.clone().unwrap_or_default()),
            );
            let msg = format!("阿里云短信 HTTP {}：{detail}", status.as_u16());
            let transient = status.is_server_error()
                || matches!(status.as_u16(), 408 | 429)
                || TRANSIENT_CODES.contains(&code.as_str());
            if transient {
                Err(GatewayError::Transient(msg))
            } else {
                Err(GatewayError::Permanent(msg))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of the provider's signature documentation (SendSms, GET).
    #[test]
    fn signature_matches_the_published_example() {
        let p: BTreeMap<String, String> = [
            ("AccessKeyId", "testId"),
            ("Action", "SendSms"),
            ("Format", "XML"),
            ("OutId", "123"),
            ("PhoneNumbers", "15300000001"),
            ("RegionId", "cn-hangzhou"),
            ("SignName", "阿里云短信测试专用"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", "SMS_71390007"),
            ("TemplateParam", "{\"customer\":\"test\"}"),
            ("Timestamp", "2017-07-12T02:42:19Z"),
            ("Version", "2017-05-25"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            signature("testSecret", "GET", &p),
            "zJDF+Lrzhj/ThnlvIToysFRq6t4="
        );
    }

    #[test]
    fn encodes_like_rfc3986() {
        assert_eq!(percent_encode("a b*~+/"), "a%20b%2A~%2B%2F");
        assert_eq!(percent_encode("阿"), "%E9%98%BF");
    }

    fn gateway(fallback: Option<&str>) -> AliyunGateway {
        AliyunGateway::new(
            "http://127.0.0.1:9/".into(),
            AliyunConfig {
                access_key_id: "id".into(),
                access_key_secret: "s3cret".into(),
                sign_name: "济南公安".into(),
                region: "cn-hangzhou".into(),
                fallback_template: fallback.map(str::to_owned),
            },
            std::time::Duration::from_secs(1),
        )
        .unwrap()
    }

    #[test]
    fn params_map_to_the_template_and_fallback_carries_the_text() {
        let params = serde_json::json!({"caseNumber": "MS1", "n": 3});
        let sms = OutgoingSms {
            client_ref: "ref-1",
            to: "13812345678",
            body: "【济南公安】编号MS1",
            template_id: Some("SMS_1"),
            params: &params,
        };
        let p = gateway(None)
            .signed_params(&sms, "2026-11-26T04:00:00Z", "n1")
            .unwrap();
        assert_eq!(p["TemplateCode"], "SMS_1");
        assert_eq!(p["TemplateParam"], r#"{"caseNumber":"MS1","n":"3"}"#);
        assert_eq!(p["OutId"], "ref-1");
        assert!(!p.values().any(|v| v.contains("s3cret")));
        let no_id = OutgoingSms {
            template_id: None,
            ..sms.clone()
        };
        assert!(matches!(
            gateway(None).signed_params(&no_id, "t", "n"),
            Err(GatewayError::Permanent(_))
        ));
        let p = gateway(Some("SMS_ALL"))
            .signed_params(&no_id, "t", "n")
            .unwrap();
        assert_eq!(p["TemplateCode"], "SMS_ALL");
        assert_eq!(p["TemplateParam"], r#"{"content":"【济南公安】编号MS1"}"#);
    }
}
