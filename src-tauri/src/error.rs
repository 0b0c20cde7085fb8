use serde::ser::SerializeStruct;

/// Every failure a command can report. The UI receives it as `{ code, message }`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("市局服务器地址无效：{0}")]
    InvalidServerUrl(String),
    #[error("网络客户端初始化失败：{0}")]
    HttpClient(String),
}

impl Error {
    /// Stable machine-readable code; the message is for people and may change.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidServerUrl(_) => "invalidServerUrl",
            Self::HttpClient(_) => "httpClient",
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
}
