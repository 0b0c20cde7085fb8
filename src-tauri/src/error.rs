use serde::ser::SerializeStruct;

/// Every failure a command can report. The UI receives it as `{ code, message }`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("市局服务器地址无效：{0}")]
    InvalidServerUrl(String),
    #[error("网络客户端初始化失败：{0}")]
    HttpClient(String),
    #[error("尚未登录")]
    NotSignedIn,
    /// The app locked itself after inactivity (等保); the password unlocks it.
    #[error("长时间未操作，已锁定：请输入密码解锁")]
    Locked,
    #[error("参数无效：{0}")]
    InvalidArgument(String),
    #[error("无法确定本机数据目录：{0}")]
    DataDir(String),
    /// A failure of the client core, with its stable code (`OFFLINE`, `PENDING_COMMANDS` ...).
    #[error("{message}")]
    Client { code: String, message: String },
}

impl Error {
    /// Stable machine-readable code; the message is for people and may change.
    pub fn code(&self) -> &str {
        match self {
            Self::InvalidServerUrl(_) => "invalidServerUrl",
            Self::HttpClient(_) => "httpClient",
            Self::NotSignedIn => "NOT_SIGNED_IN",
            Self::Locked => "LOCKED",
            Self::InvalidArgument(_) => "INVALID_ARGUMENT",
            Self::DataDir(_) => "DATA_DIR",
            Self::Client { code, .. } => code,
        }
    }
}

impl From<minsheng_client::ClientError> for Error {
    fn from(e: minsheng_client::ClientError) -> Self {
        Self::Client {
            code: e.code().to_owned(),
            message: e.to_string(),
        }
    }
}

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn serialises_as_code_and_message() {
        let value = serde_json::to_value(Error::InvalidServerUrl("ftp://x".into())).unwrap();
        assert_eq!(
            value,
            serde_json::json!({ "code": "invalidServerUrl", "message": "市局服务器地址无效：ftp://x" })
        );
    }

    #[test]
    fn client_errors_keep_their_code() {
        let value =
            serde_json::to_value(Error::from(minsheng_client::ClientError::AuthExpired)).unwrap();
        assert_eq!(
            value,
            serde_json::json!({ "code": "AUTH_EXPIRED", "message": "登录已过期，请重新登录" })
        );
    }
}
