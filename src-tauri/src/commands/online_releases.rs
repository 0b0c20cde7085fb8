//! 版本发布 (admin, online only): the published desktop releases, uploading a signed
//! package, withdrawing one. The server checks the role, the signature against its
//! configured key and that the version is newer; its Chinese refusals reach the UI as is.

use std::path::{Path, PathBuf};

use minsheng_client::api::{ReleaseSummary, ReleaseUpload};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};

use crate::session_slot::SessionSlot;
use crate::Error;

/// A package the admin picked, with what its file name tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PickedPackage {
    pub path: String,
    pub file_name: String,
    pub size: u64,
    pub version: Option<String>,
    pub target: Option<String>,
    pub bundle: Option<String>,
    /// `<package>.sig` next to it, when the bundler left one there.
    pub signature_path: Option<String>,
}

/// The 上传 form.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseForm {
    pub package_path: String,
    pub signature_path: String,
    pub version: String,
    pub target: String,
    pub bundle: String,
    pub notes: String,
}

fn local_io(what: &Path, e: &std::io::Error) -> Error {
    Error::Client {
        code: "LOCAL_IO".to_owned(),
        message: format!("无法读取文件 {}：{e}", what.display()),
    }
}

/// File-name endings of the Tauri bundles (lower case) → `(bundle, target)`.
const KINDS: &[(&str, (&str, &str))] = &[
    (".deb", ("deb", "linux-x86_64")),
    (".appimage", ("appimage", "linux-x86_64")),
    (".appimage.tar.gz", ("appimage", "linux-x86_64")),
    (".msi", ("msi", "windows-x86_64")),
    (".msi.zip", ("msi", "windows-x86_64")),
    (".exe", ("nsis", "windows-x86_64")),
    (".exe.zip", ("nsis", "windows-x86_64")),
];

/// `(bundle, target)` from a Tauri bundle's file name (any case).
fn kind_of(name: &str) -> Option<(&'static str, &'static str)> {
    let lower = name.to_lowercase();
    KINDS
        .iter()
        .find(|(ending, _)| lower.ends_with(ending))
        .map(|(_, kind)| *kind)
}

/// The version in `民生警务平台_0.2.0_amd64.deb`: the first `_`-separated part that is
/// `N.N.N` (optionally with a pre-release).
fn version_of(name: &str) -> Option<String> {
    name.split('_').find_map(|part| {
        let core = part.split(['-', '+']).next().unwrap_or(part);
        let nums: Vec<&str> = core.split('.').collect();
        (nums.len() == 3
            && nums
                .iter()
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
        .then(|| part.to_owned())
    })
}

pub(crate) fn describe(path: &Path) -> Result<PickedPackage, Error> {
    let meta = std::fs::metadata(path).map_err(|e| local_io(path, &e))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kind = kind_of(&file_name);
    let mut sig = path.as_os_str().to_owned();
    sig.push(".sig");
    let sig = PathBuf::from(sig);
    Ok(PickedPackage {
        path: path.display().to_string(),
        size: meta.len(),
        version: version_of(&file_name),
        bundle: kind.map(|k| k.0.to_owned()),
        target: kind.map(|k| k.1.to_owned()),
        signature_path: sig.is_file().then(|| sig.display().to_string()),
        file_name,
    })
}

async fn pick<R: Runtime>(
    app: &AppHandle<R>,
    title: &str,
    filter: (&str, &[&str]),
) -> Result<Option<PathBuf>, Error> {
    use tauri_plugin_dialog::DialogExt;
    let dialog = app
        .dialog()
        .file()
        .set_title(title)
        .add_filter(filter.0, filter.1);
    // The native dialog blocks until closed: off the async workers.
    Ok(
        tauri::async_runtime::spawn_blocking(move || dialog.blocking_pick_file())
            .await
            .map_err(|e| Error::Client {
                code: "DIALOG".into(),
                message: format!("无法打开文件对话框：{e}"),
            })?
            .and_then(|f| f.into_path().ok()),
    )
}

#[tauri::command]
pub async fn releases_list(slot: State<'_, SessionSlot>) -> Result<Vec<ReleaseSummary>, Error> {
    Ok(slot.get()?.releases().await?)
}

/// Picks the installer package; None when cancelled.
#[tauri::command]
pub async fn release_pick_package<R: Runtime>(
    app: AppHandle<R>,
    slot: State<'_, SessionSlot>,
) -> Result<Option<PickedPackage>, Error> {
    slot.get()?;
    let filter = (
        "安装包",
        &["deb", "AppImage", "appimage", "exe", "msi", "gz", "zip"][..],
    );
    match pick(&app, "选择安装包", filter).await? {
        Some(p) => describe(&p).map(Some),
        None => Ok(None),
    }
}

/// Picks the package's `.sig` file; None when cancelled.
#[tauri::command]
pub async fn release_pick_signature<R: Runtime>(
    app: AppHandle<R>,
    slot: State<'_, SessionSlot>,
) -> Result<Option<String>, Error> {
    slot.get()?;
    Ok(pick(&app, "选择签名文件（.sig）", ("签名", &["sig"][..]))
        .await?
        .map(|p| p.display().to_string()))
}

/// Uploads the package with its signature (the `.sig` file's text, trimmed).
#[tauri::command]
pub async fn release_upload(
    slot: State<'_, SessionSlot>,
    form: ReleaseForm,
) -> Result<ReleaseSummary, Error> {
    let session = slot.get()?;
    let package = PathBuf::from(&form.package_path);
    let sig_path = PathBuf::from(&form.signature_path);
    let signature = std::fs::read_to_string(&sig_path).map_err(|e| local_io(&sig_path, &e))?;
    let bytes = std::fs::read(&package).map_err(|e| local_io(&package, &e))?;
    let upload = ReleaseUpload {
        version: form.version.trim().to_owned(),
        target: form.target,
        bundle: form.bundle,
        notes: form.notes.trim().to_owned(),
        signature: signature.trim().to_owned(),
        file_name: package
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes,
    };
    Ok(session.upload_release(&upload).await?)
}

/// 撤回: the server stops offering the release.
#[tauri::command]
pub async fn release_withdraw(slot: State<'_, SessionSlot>, id: String) -> Result<(), Error> {
    let id: uuid_like::Id = id.parse()?;
    Ok(slot.get()?.withdraw_release(id.as_str()).await?)
}

/// A release id as the server mints them (a UUID), checked before it goes into a path.
mod uuid_like {
    pub struct Id(String);

    impl Id {
        pub fn as_str(&self) -> &str {
            &self.0
        }
    }

    impl std::str::FromStr for Id {
        type Err = crate::Error;
        fn from_str(s: &str) -> Result<Self, Self::Err> {
            let s = s.trim();
            let ok = s.len() == 36
                && s.char_indices().all(|(i, c)| match i {
                    8 | 13 | 18 | 23 => c == '-',
                    _ => c.is_ascii_hexdigit(),
                });
            if ok {
                Ok(Self(s.to_owned()))
            } else {
                Err(crate::Error::InvalidArgument(format!("无效的编号：{s}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_of_a_tauri_bundle_fills_the_form() {
        let dir = tempfile::tempdir().unwrap();
        let deb = dir.path().join("民生警务平台_0.2.0_amd64.deb");
        std::fs::write(&deb, b"!<arch>\n").unwrap();
        std::fs::write(dir.path().join("民生警务平台_0.2.0_amd64.deb.sig"), "c2ln").unwrap();
        let p = describe(&deb).unwrap();
        assert_eq!(p.version.as_deref(), Some("0.2.0"));
        assert_eq!(p.bundle.as_deref(), Some("deb"));
        assert_eq!(p.target.as_deref(), Some("linux-x86_64"));
        assert_eq!(p.size, 8);
        assert!(p.signature_path.unwrap().ends_with(".deb.sig"));

        for (name, bundle, target, version) in [
            (
                "民生警务平台_1.10.3_x64-setup.exe",
                "nsis",
                "windows-x86_64",
                "1.10.3",
            ),
            (
                "民生警务平台_0.3.0-rc.1_x64_zh-CN.msi",
                "msi",
                "windows-x86_64",
                "0.3.0-rc.1",
            ),
            (
                "民生警务平台_0.2.1_amd64.AppImage",
                "appimage",
                "linux-x86_64",
                "0.2.1",
            ),
        ] {
            assert_eq!(kind_of(name), Some((bundle, target)), "{name}");
            assert_eq!(version_of(name).as_deref(), Some(version), "{name}");
        }
        assert_eq!(kind_of("notes.txt"), None);
        assert_eq!(version_of("minsheng.deb"), None);
        let appimage = dir.path().join("x.AppImage");
        std::fs::write(&appimage, b"x").unwrap();
        assert_eq!(describe(&appimage).unwrap().signature_path, None);
    }

    #[test]
    fn only_a_uuid_reaches_the_withdraw_route() {
        assert!("0190f0a0-0000-7000-8000-00000000a001"
            .parse::<uuid_like::Id>()
            .is_ok());
        for bad in ["../users", "0190f0a0-0000-7000-8000-00000000a00", "x"] {
            assert!(bad.parse::<uuid_like::Id>().is_err(), "{bad}");
        }
    }
}
