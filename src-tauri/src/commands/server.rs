use serde::{Deserialize, Serialize};
use tauri::State;

use crate::{Error, ServerLink};

/// Outcome of one health probe. A server that is down is a normal answer, not an error.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServerHealth {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    pub message: String,
}

/// The part of the server's health body we use; anything else is ignored.
#[derive(Debug, Deserialize)]
struct HealthBody {
    #[serde(default, alias = "serverVersion")]
    version: Option<String>,
}

const UNREACHABLE: &str = "无法连接市局服务器";

/// GETs `{serverUrl}/api/v1/health`. Fails only when the configured URL is unusable.
#[tauri::command]
pub async fn server_health(link: State<'_, ServerLink>) -> Result<ServerHealth, Error> {
    probe(&link).await
}

/// The probe itself, callable without Tauri state.
pub async fn probe(link: &ServerLink) -> Result<ServerHealth, Error> {
    let url = link.endpoint("/api/v1/health")?;
    let Ok(response) = link.http().get(url).send().await else {
        return Ok(down(UNREACHABLE.to_owned()));
    };
    let status = response.status();
    if !status.is_success() {
        return Ok(down(format!("市局服务器异常（HTTP {}）", status.as_u16())));
    }
    // A healthy server with an unexpected body is still reachable; only the version is lost.
    let version = response
        .json::<HealthBody>()
        .await
        .ok()
        .and_then(|b| b.version);
    Ok(ServerHealth {
        ok: true,
        server_version: version,
        message: "已连接市局服务器".to_owned(),
    })
}

fn down(message: String) -> ServerHealth {
    ServerHealth {
        ok: false,
        server_version: None,
        message,
    }
}
