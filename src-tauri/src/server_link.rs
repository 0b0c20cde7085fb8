use std::time::Duration;

use crate::Error;

/// Environment variable naming the city server the client talks to.
pub const SERVER_URL_ENV: &str = "MINSHENG_SERVER_URL";
/// Where `scripts/run.sh` starts the demo server.
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:8686";

/// The configured city server plus one shared HTTP client (connection pooling).
#[derive(Debug, Clone)]
pub struct ServerLink {
    url: String,
    http: reqwest::Client,
}

impl ServerLink {
    /// Builds a link to `url` (trailing slashes are dropped). The URL is checked
    /// lazily by the commands so a bad value shows up in the UI instead of a crash.
    pub fn new(url: &str) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(8))
            .build()
            // Building only fails when the TLS backend cannot initialise; fall back
            // to the default client, which reports the same problem per request.
            .unwrap_or_default();
        Self {
            url: url.trim().trim_end_matches('/').to_owned(),
            http,
        }
    }

    /// Reads [`SERVER_URL_ENV`], falling back to [`DEFAULT_SERVER_URL`] when unset or blank.
    pub fn from_env() -> Self {
        let url = std::env::var(SERVER_URL_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_SERVER_URL.to_owned());
        Self::new(&url)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Absolute URL of an API path such as `/api/v1/health`.
    pub fn endpoint(&self, path: &str) -> Result<reqwest::Url, Error> {
        let base = reqwest::Url::parse(&self.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| Error::InvalidServerUrl(self.url.clone()))?;
        base.join(path)
            .map_err(|_| Error::InvalidServerUrl(self.url.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::ServerLink;

    #[test]
    fn endpoint_joins_paths_and_rejects_non_http_urls() {
        let link = ServerLink::new("http://10.0.0.2:8686/");
        assert_eq!(link.url(), "http://10.0.0.2:8686");
        assert_eq!(
            link.endpoint("/api/v1/health").unwrap().as_str(),
            "http://10.0.0.2:8686/api/v1/health"
        );
        assert!(ServerLink::new("ftp://example").endpoint("/x").is_err());
        assert!(ServerLink::new("not a url").endpoint("/x").is_err());
    }
}
