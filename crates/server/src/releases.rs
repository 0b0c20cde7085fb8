//! Desktop releases the city server offers its desktops (police desktops cannot reach
//! the internet): an admin publishes a signed package, desktops ask for the newest
//! release newer than their own and download it. A package is accepted only when its
//! signature verifies with the city's updater key (the key the desktops are built with)
//! and the version it was signed for is the one declared, so the server never offers
//! what the desktops would refuse. Rules without I/O: `minsheng_domain::release`.

use base64::Engine;
use minisign_verify::{PublicKey, Signature};
use minsheng_domain::release::{self, ReleaseError};
use minsheng_domain::role::Actor;
use minsheng_store::releases::ReleaseRecord;
use minsheng_store::AuditRecord;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// Largest package accepted (a desktop .deb is ~15 MB, an MSI with the offline WebView2
/// installer ~200 MB).
pub const MAX_PACKAGE_BYTES: u64 = 512 * 1024 * 1024;
/// Package bytes per stored chunk.
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// The city's updater public key: the Tauri updater's string (base64 of a minisign
/// public key file) or that file's text.
#[derive(Clone)]
pub struct UpdaterKey(PublicKey);

impl std::fmt::Debug for UpdaterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpdaterKey")
    }
}

fn base64_text(s: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()?;
    String::from_utf8(bytes).ok()
}

impl UpdaterKey {
    pub fn parse(s: &str) -> Result<Self, String> {
        let text = base64_text(s).unwrap_or_else(|| s.to_string());
        PublicKey::decode(text.trim())
            .or_else(|_| PublicKey::from_base64(s.trim()))
            .map(Self)
            .map_err(|e| format!("更新签名公钥无法识别：{e}"))
    }
}

/// The key from MINSHENG_UPDATER_PUBKEY, else from the file MINSHENG_UPDATER_PUBKEY_FILE
/// names; `None` when neither is set. A key that is set but unreadable stops the start.
pub fn key_from_env() -> Result<Option<UpdaterKey>, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let text = match (
        var("MINSHENG_UPDATER_PUBKEY"),
        var("MINSHENG_UPDATER_PUBKEY_FILE"),
    ) {
        (Some(key), _) => key,
        (None, Some(path)) => std::fs::read_to_string(&path)
            .map_err(|e| format!("读取更新签名公钥文件 {path} 失败：{e}"))?,
        (None, None) => return Ok(None),
    };
    UpdaterKey::parse(&text).map(Some)
}

fn invalid(e: ReleaseError) -> ApiError {
    match e {
        ReleaseError::NotNewer { .. } => ApiError::Conflict {
            code: "RELEASE_NOT_NEWER",
            message: e.to_string(),
        },
        ReleaseError::TooLarge { .. } => ApiError::PayloadTooLarge,
        _ => ApiError::Invalid {
            code: "RELEASE_INVALID",
            message: e.to_string(),
        },
    }
}

fn bad_signature(why: &str) -> ApiError {
    ApiError::Invalid {
        code: "RELEASE_SIGNATURE_INVALID",
        message: format!("安装包签名校验失败：{why}；未发布"),
    }
}

/// The `version:` field of a signature's trusted comment (what the Tauri CLI writes:
/// `timestamp:…\tfile:…\tversion:…`).
fn signed_version(trusted_comment: &str) -> Option<&str> {
    trusted_comment
        .split('\t')
        .find_map(|field| field.strip_prefix("version:"))
        .map(str::trim)
}

/// Checks `signature` (the updater's base64 string) over `content` with `key`, and that
/// it was made for `version`: a signature of an older package cannot be replayed under a
/// newer number.
pub fn verify(
    key: &UpdaterKey,
    content: &[u8],
    signature: &str,
    version: &semver::Version,
) -> Result<(), ApiError> {
    let text = base64_text(signature).ok_or_else(|| bad_signature("签名不是有效的 .sig 内容"))?;
    let sig = Signature::decode(&text).map_err(|_| bad_signature("签名格式无法识别"))?;
    key.0
        .verify(content, &sig, true)
        .map_err(|_| bad_signature("签名与安装包或城市更新公钥不符"))?;
    let signed =
        signed_version(sig.trusted_comment()).ok_or_else(|| bad_signature("签名未包含版本号"))?;
    match release::parse_version(signed) {
        Ok(v) if v == *version => Ok(()),
        _ => Err(bad_signature(&format!(
            "签名对应版本 {signed}，与填写的 {version} 不一致"
        ))),
    }
}

/// What an admin uploads.
#[derive(Debug)]
pub struct Upload {
    pub version: String,
    pub target: String,
    pub bundle: String,
    pub notes: String,
    pub signature: String,
    pub file_name: String,
    pub content: Vec<u8>,
}

use crate::auth::require_administer as require_admin;

fn file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let name: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.is_empty() {
        "package".into()
    } else {
        name
    }
}

/// Publishes a release: the fields, then the signature, then that it is newer than
/// every release before it for its target and bundle. Audited.
pub fn publish(s: &AppState, actor: &Actor, up: Upload) -> Result<ReleaseRecord, ApiError> {
    require_admin(actor)?;
    let size = up.content.len() as u64;
    let draft = release::check_draft(
        &up.version,
        &up.target,
        &up.bundle,
        &up.notes,
        size,
        MAX_PACKAGE_BYTES,
    )
    .map_err(invalid)?;
    let key = s.settings.updater_key.as_ref().ok_or(ApiError::Conflict {
        code: "UPDATES_NOT_CONFIGURED",
        message: "服务器未配置更新签名公钥（updater_pubkey_file），不能发布客户端版本".into(),
    })?;
    verify(key, &up.content, &up.signature, &draft.version)?;
    let earlier = s
        .store
        .releases_for(draft.target.code(), draft.bundle.code())?;
    release::check_newer(&draft.version, earlier.iter().map(|r| r.version.as_str()))
        .map_err(invalid)?;
    let publisher = s
        .store
        .user(actor.user_id)?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let rec = ReleaseRecord {
        id: uuid::Uuid::now_v7().to_string(),
        version: draft.version.to_string(),
        target: draft.target.code().into(),
        bundle: draft.bundle.code().into(),
        notes: draft.notes,
        file_name: file_name(&up.file_name),
        size,
        sha256: hex::encode(Sha256::digest(&up.content)),
        signature: up.signature.trim().to_string(),
        published_at: s.now(),
        published_by: actor.user_id,
        published_by_name: publisher,
        withdrawn_at: None,
    };
    s.store.insert_release(&rec, &up.content, CHUNK_BYTES)?;
    s.store.audit(&AuditRecord {
        at: rec.published_at,
        user_id: actor.user_id,
        action: "publishRelease".into(),
        target: rec.id.clone(),
        detail: serde_json::json!({
            "version": rec.version, "target": rec.target, "bundle": rec.bundle,
            "fileName": rec.file_name, "size": rec.size, "sha256": rec.sha256,
        })
        .to_string(),
    })?;
    Ok(rec)
}

/// Every release, newest first (admin).
pub fn list(s: &AppState, actor: &Actor) -> Result<Vec<ReleaseRecord>, ApiError> {
    require_admin(actor)?;
    Ok(s.store.all_releases()?)
}

/// Stops offering a release (a bad build): desktops that have not installed it are not
/// offered it again. Audited.
pub fn withdraw(s: &AppState, actor: &Actor, id: &str) -> Result<(), ApiError> {
    require_admin(actor)?;
    if s.store.withdraw_release(id, s.now())? {
        s.store.audit(&AuditRecord {
            at: s.now(),
            user_id: actor.user_id,
            action: "withdrawRelease".into(),
            target: id.to_string(),
            detail: "{}".into(),
        })?;
    }
    Ok(())
}

/// The release to offer a desktop on `target`/`bundle` running `current`: the newest
/// newer one not withdrawn.
pub fn offer(
    s: &AppState,
    target: &str,
    bundle: &str,
    current: &str,
) -> Result<Option<ReleaseRecord>, ApiError> {
    let offered = s.store.releases_for(target, bundle)?;
    Ok(release::offer(
        current,
        offered
            .iter()
            .filter(|r| r.withdrawn_at.is_none())
            .map(|r| (r.version.as_str(), r)),
    )
    .map(|(_, r)| r.clone()))
}

/// A release offered for download (a withdrawn one is no longer served); its bytes are
/// `store.release_chunk(id, 0..)`.
pub fn downloadable(s: &AppState, id: &str) -> Result<ReleaseRecord, ApiError> {
    s.store
        .release(id)?
        .filter(|r| r.withdrawn_at.is_none())
        .ok_or(ApiError::NotFound("客户端版本"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_version_is_read_from_the_trusted_comment() {
        assert_eq!(
            signed_version("timestamp:1\tfile:a.deb\tversion:0.2.0"),
            Some("0.2.0")
        );
        assert_eq!(signed_version("timestamp:1\tfile:a.deb"), None);
    }

    #[test]
    fn a_file_name_keeps_no_path() {
        assert_eq!(
            file_name("/tmp/x/民生_0.2.0_amd64.deb"),
            "民生_0.2.0_amd64.deb"
        );
        assert_eq!(file_name("C:\\a\\b.msi"), "b.msi");
        assert_eq!(file_name(""), "package");
    }
}
