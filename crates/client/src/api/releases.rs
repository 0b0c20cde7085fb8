//! 版本发布 (issue 17): the admin's list, upload and withdrawal of desktop releases, and
//! the update probe every signed-in desktop makes. The package itself is downloaded and
//! verified by the Tauri updater (src-tauri `commands::updates`), not here.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{decode, send, ApiClient};
use crate::error::{ClientError, Result};

/// An upload may be a few hundred MB over a slow county link: far past the client's
/// one-minute default.
const UPLOAD_TIMEOUT: Duration = Duration::from_mins(30);

/// One published package as the server lists it (`ReleaseSummary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseSummary {
    pub id: String,
    pub version: String,
    /// `linux-x86_64` | `windows-x86_64`.
    pub target: String,
    /// `deb` | `appimage` | `nsis` | `msi`.
    pub bundle: String,
    pub notes: String,
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
    pub published_at: String,
    pub published_by: String,
    pub withdrawn: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct ReleaseList {
    items: Vec<ReleaseSummary>,
}

/// What the admin uploads: the package, its `.sig` (base64 of the `.minisig`) and the
/// fields the server checks them against.
#[derive(Debug, Clone)]
pub struct ReleaseUpload {
    pub version: String,
    pub target: String,
    pub bundle: String,
    pub notes: String,
    pub signature: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// `/updates/{target}/{bundle}/{current}`: the manifest route of this desktop.
pub fn updates_path(target: &str, bundle: &str, current: &str) -> String {
    format!("/updates/{target}/{bundle}/{current}")
}

impl ApiClient {
    /// The access token the session holds now (the updater sends it on its own requests).
    pub fn access_token(&self) -> Option<String> {
        self.token()
    }

    /// Every release, newest first (admin).
    pub async fn releases(&self) -> Result<Vec<ReleaseSummary>> {
        let list: ReleaseList = self.call(Method::GET, "/releases", None).await?;
        Ok(list.items)
    }

    /// Publishes a release (admin): multipart, as the server's `POST /releases` reads it.
    pub async fn upload_release(&self, upload: &ReleaseUpload) -> Result<ReleaseSummary> {
        let file = Part::bytes(upload.bytes.clone())
            .file_name(upload.file_name.clone())
            .mime_str("application/octet-stream")
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        // The file name as browsers send it (raw UTF-8, `民生警务平台_0.2.0_amd64.deb`), not
        // percent-encoded: the server keeps it as the package's name.
        let form = Form::new()
            .percent_encode_noop()
            .text("version", upload.version.clone())
            .text("target", upload.target.clone())
            .text("bundle", upload.bundle.clone())
            .text("notes", upload.notes.clone())
            .text("signature", upload.signature.clone())
            .part("file", file);
        let rb = self
            .request(Method::POST, "/releases")
            .timeout(UPLOAD_TIMEOUT)
            .multipart(form);
        decode(send(rb).await?).await
    }

    /// Stops offering a release (admin; 204).
    pub async fn withdraw_release(&self, id: &str) -> Result<()> {
        let _: Value = self
            .call(Method::POST, &format!("/releases/{id}/withdraw"), None)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_servers_release_list_as_the_contract_spells_it() {
        let body = serde_json::json!({ "items": [{
            "id": "0190f0a0-0000-7000-8000-0000000000aa",
            "version": "0.2.0",
            "target": "windows-x86_64",
            "bundle": "nsis",
            "notes": "修复同步问题",
            "fileName": "民生警务平台_0.2.0_x64-setup.exe",
            "size": 123_456_789_u64,
            "sha256": "ab".repeat(32),
            "publishedAt": "2026-12-07T10:00:00Z",
            "publishedBy": "系统管理员",
            "withdrawn": true,
        }]});
        let list: ReleaseList = serde_json::from_value(body).unwrap();
        let r = &list.items[0];
        assert_eq!(r.file_name, "民生警务平台_0.2.0_x64-setup.exe");
        assert_eq!(r.size, 123_456_789);
        assert!(r.withdrawn);
        assert_eq!(r.published_by, "系统管理员");
        assert_eq!(
            updates_path("linux-x86_64", "deb", "0.1.0"),
            "/updates/linux-x86_64/deb/0.1.0"
        );
    }

    /// The upload is the multipart form the server contract names, with the token; a
    /// refusal comes back with the server's code and Chinese message.
    #[tokio::test]
    async fn uploads_the_contracts_multipart_form_and_keeps_the_servers_refusal() {
        use axum::http::{HeaderMap, StatusCode};
        use std::sync::{Arc, Mutex};

        type Seen = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;
        let seen: Seen = Arc::default();
        let record = seen.clone();
        let app = axum::Router::new().route(
            "/api/v1/releases",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let record = record.clone();
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let mut seen = record.lock().unwrap();
                    seen.push((
                        header("authorization"),
                        header("content-type"),
                        body.to_vec(),
                    ));
                    if seen.len() == 1 {
                        (
                            StatusCode::CREATED,
                            axum::Json(serde_json::json!({
                                "id": "0190f0a0-0000-7000-8000-0000000000aa",
                                "version": "0.2.0", "target": "linux-x86_64", "bundle": "deb",
                                "notes": "修复同步问题", "fileName": "minsheng_0.2.0_amd64.deb",
                                "size": 8, "sha256": "00", "publishedAt": "2026-12-07T10:00:00Z",
                                "publishedBy": "系统管理员", "withdrawn": false,
                            })),
                        )
                    } else {
                        (
                            StatusCode::UNPROCESSABLE_ENTITY,
                            axum::Json(serde_json::json!({
                                "code": "RELEASE_SIGNATURE_INVALID",
                                "message": "签名与服务器配置的公钥不符",
                            })),
                        )
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let api = ApiClient::new(&base).unwrap();
        api.set_access_token(Some("tok".into()));
        let upload = ReleaseUpload {
            version: "0.2.0".into(),
            target: "linux-x86_64".into(),
            bundle: "deb".into(),
            notes: "修复同步问题".into(),
            signature: "c2lnbmF0dXJl".into(),
            file_name: "民生警务平台_0.2.0_amd64.deb".into(),
            bytes: b"!<arch>\n".to_vec(),
        };
        let r = api.upload_release(&upload).await.unwrap();
        assert_eq!(r.version, "0.2.0");
        let err = api.upload_release(&upload).await.unwrap_err();
        assert_eq!(err.code(), "RELEASE_SIGNATURE_INVALID");
        assert_eq!(err.to_string(), "签名与服务器配置的公钥不符");

        let (auth, content_type, body) = seen.lock().unwrap()[0].clone();
        assert_eq!(auth, "Bearer tok");
        assert!(
            content_type.starts_with("multipart/form-data; boundary="),
            "{content_type}"
        );
        let body = String::from_utf8_lossy(&body);
        for (name, value) in [
            ("version", "0.2.0"),
            ("target", "linux-x86_64"),
            ("bundle", "deb"),
            ("notes", "修复同步问题"),
            ("signature", "c2lnbmF0dXJl"),
        ] {
            assert!(
                body.contains(&format!("name=\"{name}\"\r\n\r\n{value}\r\n")),
                "{name} missing in {body}"
            );
        }
        assert!(
            body.contains("name=\"file\"; filename=\"民生警务平台_0.2.0_amd64.deb\"\r\nContent-Type: application/octet-stream\r\n\r\n!<arch>\n"),
            "{body}"
        );
    }
}
