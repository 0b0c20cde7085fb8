//! Desktop releases the city server offers to its desktops (police desktops have no
//! route to the internet, so updates come from the city server): which platforms and
//! package kinds exist, what a release must carry, and which release is offered to a
//! desktop running a given version. The signature itself is checked by the server
//! (minisign, the Tauri updater's format); the rules here are the ones without I/O.

use std::cmp::Ordering;

use semver::Version;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Release notes shown to the user in the update dialog.
pub const MAX_NOTES_CHARS: usize = 4000;

/// The platform a package is built for, named as the desktop asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReleaseTarget {
    #[serde(rename = "linux-x86_64")]
    LinuxX86_64,
    #[serde(rename = "windows-x86_64")]
    WindowsX86_64,
}

impl ReleaseTarget {
    pub const ALL: [Self; 2] = [Self::LinuxX86_64, Self::WindowsX86_64];

    pub const fn code(self) -> &'static str {
        match self {
            Self::LinuxX86_64 => "linux-x86_64",
            Self::WindowsX86_64 => "windows-x86_64",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == s)
    }
}

/// The kind of package: how the desktop installs it (a .deb through the package
/// manager, an AppImage by replacing the file, the Windows installers by running them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReleaseBundle {
    Deb,
    AppImage,
    Nsis,
    Msi,
}

impl ReleaseBundle {
    pub const ALL: [Self; 4] = [Self::Deb, Self::AppImage, Self::Nsis, Self::Msi];

    pub const fn code(self) -> &'static str {
        match self {
            Self::Deb => "deb",
            Self::AppImage => "appimage",
            Self::Nsis => "nsis",
            Self::Msi => "msi",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == s)
    }

    /// Whether packages of this kind install on `target`.
    pub const fn fits(self, target: ReleaseTarget) -> bool {
        matches!(
            (self, target),
            (Self::Deb | Self::AppImage, ReleaseTarget::LinuxX86_64)
                | (Self::Nsis | Self::Msi, ReleaseTarget::WindowsX86_64)
        )
    }
}

/// Why a release cannot be published (before its signature is looked at).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReleaseError {
    #[error("版本号“{0}”不是有效的语义化版本（例如 1.2.0）")]
    BadVersion(String),
    #[error("目标平台“{0}”不受支持（linux-x86_64 或 windows-x86_64）")]
    BadTarget(String),
    #[error("安装包类型“{0}”不受支持（deb、appimage、nsis 或 msi）")]
    BadBundle(String),
    #[error("{bundle} 安装包不能用于 {target}")]
    BundleMismatch { bundle: String, target: String },
    #[error("请填写更新说明（不超过 {MAX_NOTES_CHARS} 字）")]
    BadNotes,
    #[error("安装包为空")]
    EmptyPackage,
    #[error("安装包超过 {max_mib} MB 上限")]
    TooLarge { max_mib: u64 },
    #[error("版本 {version} 不高于已发布的 {latest}，不能发布（不允许降级）")]
    NotNewer { version: String, latest: String },
}

/// A version as the desktop and the packages spell it ("0.2.0", also "v0.2.0").
pub fn parse_version(s: &str) -> Result<Version, ReleaseError> {
    Version::parse(s.trim().trim_start_matches('v'))
        .map_err(|_| ReleaseError::BadVersion(s.to_string()))
}

/// What an upload declares, checked before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseDraft {
    pub version: Version,
    pub target: ReleaseTarget,
    pub bundle: ReleaseBundle,
    pub notes: String,
}

/// Checks the declared fields of an upload of `size` bytes (at most `max_bytes`).
pub fn check_draft(
    version: &str,
    target: &str,
    bundle: &str,
    notes: &str,
    size: u64,
    max_bytes: u64,
) -> Result<ReleaseDraft, ReleaseError> {
    let version = parse_version(version)?;
    let target =
        ReleaseTarget::from_code(target).ok_or_else(|| ReleaseError::BadTarget(target.into()))?;
    let bundle =
        ReleaseBundle::from_code(bundle).ok_or_else(|| ReleaseError::BadBundle(bundle.into()))?;
    if !bundle.fits(target) {
        return Err(ReleaseError::BundleMismatch {
            bundle: bundle.code().into(),
            target: target.code().into(),
        });
    }
    let notes = notes.trim();
    if notes.is_empty() || notes.chars().count() > MAX_NOTES_CHARS {
        return Err(ReleaseError::BadNotes);
    }
    if size == 0 {
        return Err(ReleaseError::EmptyPackage);
    }
    if size > max_bytes {
        return Err(ReleaseError::TooLarge {
            max_mib: max_bytes / (1024 * 1024),
        });
    }
    Ok(ReleaseDraft {
        version,
        target,
        bundle,
        notes: notes.to_string(),
    })
}

/// A new release must be newer than every release published before for its target and
/// bundle, withdrawn ones included: a version number is never reused, and a desktop that
/// installed a withdrawn release is not offered an older one in its place.
pub fn check_newer<'a>(
    version: &Version,
    published: impl IntoIterator<Item = &'a str>,
) -> Result<(), ReleaseError> {
    let latest = published
        .into_iter()
        .filter_map(|v| parse_version(v).ok())
        .max();
    match latest {
        Some(latest) if latest.cmp(version) != Ordering::Less => Err(ReleaseError::NotNewer {
            version: version.to_string(),
            latest: latest.to_string(),
        }),
        _ => Ok(()),
    }
}

/// The release to offer a desktop running `current`: the newest one that is newer,
/// among those still offered (`(version, offered)` pairs). `None` when the desktop is up
/// to date or its version cannot be read (nothing is offered rather than a guess).
pub fn offer<'a, T>(
    current: &str,
    releases: impl IntoIterator<Item = (&'a str, T)>,
) -> Option<(Version, T)> {
    let current = parse_version(current).ok()?;
    releases
        .into_iter()
        .filter_map(|(v, r)| parse_version(v).ok().map(|v| (v, r)))
        .filter(|(v, _)| *v > current)
        .max_by(|a, b| a.0.cmp(&b.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_is_checked_field_by_field() {
        let ok = check_draft("v0.2.0", "linux-x86_64", "deb", " 修复 ", 10, 100).unwrap();
        assert_eq!(ok.version, Version::new(0, 2, 0));
        assert_eq!(ok.notes, "修复");
        assert!(matches!(
            check_draft("0.2", "linux-x86_64", "deb", "x", 1, 9),
            Err(ReleaseError::BadVersion(_))
        ));
        assert!(matches!(
            check_draft("0.2.0", "mac", "deb", "x", 1, 9),
            Err(ReleaseError::BadTarget(_))
        ));
        assert!(matches!(
            check_draft("0.2.0", "windows-x86_64", "deb", "x", 1, 9),
            Err(ReleaseError::BundleMismatch { .. })
        ));
        assert_eq!(
            check_draft("0.2.0", "linux-x86_64", "deb", "  ", 1, 9),
            Err(ReleaseError::BadNotes)
        );
        assert_eq!(
            check_draft("0.2.0", "linux-x86_64", "deb", "x", 0, 9),
            Err(ReleaseError::EmptyPackage)
        );
        assert!(matches!(
            check_draft("0.2.0", "linux-x86_64", "deb", "x", 10, 9),
            Err(ReleaseError::TooLarge { .. })
        ));
    }

    #[test]
    fn versions_only_grow() {
        let v = Version::new(0, 2, 0);
        assert!(check_newer(&v, ["0.1.0", "0.1.9"]).is_ok());
        assert!(check_newer(&v, ["0.2.0"]).is_err());
        assert!(
            check_newer(&v, ["0.10.0"]).is_err(),
            "numeric, not text, order"
        );
        assert!(check_newer(&Version::new(0, 2, 0), ["0.2.0-beta.1"]).is_ok());
    }

    #[test]
    fn the_newest_newer_release_is_offered() {
        let list = [("0.1.0", 1), ("0.3.0", 3), ("0.2.0", 2)];
        assert_eq!(offer("0.1.0", list), Some((Version::new(0, 3, 0), 3)));
        assert_eq!(offer("0.3.0", list), None);
        assert_eq!(offer("0.4.0", list), None, "never a downgrade");
        assert_eq!(offer("nonsense", list), None);
    }
}
