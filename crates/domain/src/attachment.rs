//! Attachments of a case (photos from a home visit, scanned letters, signed records):
//! who may attach, which files are accepted, the size limits, and the display name.
//! The server checks every rule here; the desktop shows the same answers before it
//! queues a file, so nothing is uploaded that would be refused.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::case::Case;
use crate::org::OrgTree;
use crate::role::{Actor, Role};
use crate::scope;

/// One MiB.
const MIB: u64 = 1024 * 1024;

/// The size limits (SPEC §11 attachments). A phone photo is 2–6 MB and a scanned
/// multi-page letter as PDF rarely above 10 MB: 20 MB per file leaves room without
/// letting a video in; 100 MB per case is five such files or dozens of photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentLimits {
    /// Largest accepted file, bytes.
    pub max_file_bytes: u64,
    /// Sum of the sizes of a case's attachments (complete and still uploading), bytes.
    pub max_case_bytes: u64,
    /// Largest chunk of one upload request, bytes (the desktop sends chunks this big).
    pub chunk_bytes: u64,
}

impl AttachmentLimits {
    pub const DEFAULT: Self = Self {
        max_file_bytes: 20 * MIB,
        max_case_bytes: 100 * MIB,
        chunk_bytes: 256 * 1024,
    };
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The accepted file types, recognised by their content (magic bytes), never by the
/// name: JPEG and PNG photos and scans, PDF documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AttachmentType {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "application/pdf")]
    Pdf,
}

impl AttachmentType {
    pub const ALL: [Self; 3] = [Self::Jpeg, Self::Png, Self::Pdf];

    pub const fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
        }
    }

    pub fn from_mime(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.mime() == s)
    }

    /// The accepted type the content starts like (its magic bytes), if any: the
    /// desktop's check before it queues a file (the server reads them again, with a
    /// fuller recogniser that also names what a refused file is).
    pub fn sniff(content: &[u8]) -> Option<Self> {
        if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if content.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else {
            None
        }
    }

    /// Whether a thumbnail can be made (photos and scans; a PDF shows an icon).
    pub const fn is_image(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png)
    }
}

/// Why an attachment was refused: a stable code and a Chinese message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AttachmentProblem {
    #[error("“{0}”无权为该诉求件上传附件")]
    NotAllowed(Role),
    #[error("文件名无效：{0}")]
    BadName(String),
    #[error("文件为空")]
    Empty,
    #[error("文件过大（{}），单个附件不能超过 {}", size_text(*size), size_text(*limit))]
    TooLarge { size: u64, limit: u64 },
    #[error("该诉求件的附件总量将超过 {}（已有 {}）", size_text(*limit), size_text(*used))]
    CaseFull { used: u64, limit: u64 },
    #[error("不支持的文件类型“{0}”，只能上传 JPEG、PNG 图片或 PDF 文件")]
    UnsupportedType(String),
    #[error("文件内容与声明的类型“{declared}”不符（实际为{detected}），未保存")]
    TypeMismatch { declared: String, detected: String },
    #[error("文件校验值不符（传输中损坏），已丢弃，请重新上传")]
    ChecksumMismatch,
    #[error("文件尚未上传完整（已收到 {received} / {size} 字节）")]
    Incomplete { received: u64, size: u64 },
    #[error("分片位置 {offset} 无效（服务器已收到 {received} 字节），请从已收到的位置续传")]
    BadOffset { offset: u64, received: u64 },
    #[error("分片过大，每片不能超过 {}", size_text(*.0))]
    ChunkTooLarge(u64),
    #[error("附件编号已被另一个文件使用")]
    IdConflict,
    #[error("校验值格式无效（须为 64 位十六进制 SHA-256）")]
    BadChecksum,
}

impl AttachmentProblem {
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotAllowed(_) => "ROLE_NOT_ALLOWED",
            Self::BadName(_) => "ATTACHMENT_BAD_NAME",
            Self::Empty => "ATTACHMENT_EMPTY",
            Self::TooLarge { .. } => "ATTACHMENT_TOO_LARGE",
            Self::CaseFull { .. } => "ATTACHMENT_CASE_LIMIT",
            Self::UnsupportedType(_) => "ATTACHMENT_TYPE_UNSUPPORTED",
            Self::TypeMismatch { .. } => "ATTACHMENT_TYPE_MISMATCH",
            Self::ChecksumMismatch => "ATTACHMENT_CHECKSUM_MISMATCH",
            Self::Incomplete { .. } => "ATTACHMENT_INCOMPLETE",
            Self::BadOffset { .. } => "ATTACHMENT_BAD_OFFSET",
            Self::ChunkTooLarge(_) => "ATTACHMENT_CHUNK_TOO_LARGE",
            Self::IdConflict => "ATTACHMENT_ID_CONFLICT",
            Self::BadChecksum => "ATTACHMENT_BAD_CHECKSUM",
        }
    }

    /// A refusal of the person (403), not of the file (422).
    pub const fn is_refusal(&self) -> bool {
        matches!(self, Self::NotAllowed(_))
    }
}

/// "20 MB", "512 KB", "900 字节".
pub fn size_text(bytes: u64) -> String {
    if bytes >= MIB {
        let tenths = bytes * 10 / MIB;
        if tenths.is_multiple_of(10) {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else if bytes >= 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{bytes} 字节")
    }
}

/// Who may attach a file to a case: the people who act on it. Officers and unit heads
/// of the handling or a co-handling unit, or of the station that registered it on a
/// home visit; the platform office's clerks (intake desk); a supervisor over the case;
/// city leaders; follow-up staff while the case is in follow-up. Admins manage the
/// system, not cases; 纪检督察 read complaints but act on none; the platform itself
/// never uploads.
pub fn may_attach(actor: &Actor, case: &Case, org: &OrgTree) -> Result<(), AttachmentProblem> {
    let ok = match actor.role {
        Role::Officer | Role::UnitHead => {
            scope::is_handler(actor, case) || case.intake_unit == Some(actor.unit_id)
        }
        Role::Clerk | Role::Leader => true,
        Role::Supervisor => scope::supervises(actor, case, org),
        Role::FollowUp => case.state.is_follow_up_phase(),
        Role::Admin | Role::Inspector | Role::System => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AttachmentProblem::NotAllowed(actor.role))
    }
}

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// The file name as shown: a display name only, never a path. Refused (not cleaned):
/// path separators, `..`, control characters, empty or too long names.
pub fn display_name(raw: &str) -> Result<String, AttachmentProblem> {
    let name = raw.trim();
    let bad = |why: &str| Err(AttachmentProblem::BadName(why.to_owned()));
    if name.is_empty() {
        return bad("文件名不能为空");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return bad(&format!("文件名不能超过 {MAX_NAME_CHARS} 个字符"));
    }
    if name.contains(['/', '\\']) || name.contains(':') {
        return bad("文件名不能包含路径（/、\\ 或 :）");
    }
    if name == "." || name.contains("..") {
        return bad("文件名不能包含“..”");
    }
    if name.chars().any(char::is_control) {
        return bad("文件名不能包含控制字符");
    }
    Ok(name.to_owned())
}

/// A declared SHA-256: 64 hex digits, kept lower-case.
pub fn checksum(raw: &str) -> Result<String, AttachmentProblem> {
    if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(AttachmentProblem::BadChecksum)
    }
}

/// Checks a declared file against the limits: its type is accepted, it is not empty
/// and not larger than one file may be.
pub fn check_declared(
    content_type: &str,
    size: u64,
    limits: &AttachmentLimits,
) -> Result<AttachmentType, AttachmentProblem> {
    let t = AttachmentType::from_mime(content_type)
        .ok_or_else(|| AttachmentProblem::UnsupportedType(content_type.to_owned()))?;
    if size == 0 {
        return Err(AttachmentProblem::Empty);
    }
    if size > limits.max_file_bytes {
        return Err(AttachmentProblem::TooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    Ok(t)
}

/// The case may take `size` more bytes when it already holds `used`.
pub fn check_case_room(
    used: u64,
    size: u64,
    limits: &AttachmentLimits,
) -> Result<(), AttachmentProblem> {
    if used.saturating_add(size) > limits.max_case_bytes {
        Err(AttachmentProblem::CaseFull {
            used,
            limit: limits.max_case_bytes,
        })
    } else {
        Ok(())
    }
}

/// The timeline entry kind of a completed upload (its detail is the metadata, never bytes).
pub const TIMELINE_KIND: &str = "attach";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_paths_or_controls_are_refused() {
        for bad in [
            "../etc/passwd",
            "a/b.jpg",
            "C:\\x.jpg",
            "x\u{0}.jpg",
            "",
            "  ",
            "..",
            "a..b",
        ] {
            assert!(display_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(display_name(" 走访照片 1.jpg ").unwrap(), "走访照片 1.jpg");
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_text(20 * MIB), "20 MB");
        assert_eq!(size_text(MIB + MIB / 2), "1.5 MB");
        assert_eq!(size_text(2048), "2 KB");
        assert_eq!(size_text(12), "12 字节");
    }

    #[test]
    fn limits_hold() {
        let l = AttachmentLimits::DEFAULT;
        assert!(check_declared("image/jpeg", l.max_file_bytes, &l).is_ok());
        assert_eq!(
            check_declared("image/jpeg", l.max_file_bytes + 1, &l)
                .unwrap_err()
                .code(),
            "ATTACHMENT_TOO_LARGE"
        );
        assert_eq!(
            check_declared("image/gif", 10, &l).unwrap_err().code(),
            "ATTACHMENT_TYPE_UNSUPPORTED"
        );
        assert!(check_case_room(l.max_case_bytes - 10, 10, &l).is_ok());
        assert!(check_case_room(l.max_case_bytes - 10, 11, &l).is_err());
    }
}
