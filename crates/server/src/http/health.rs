//! Liveness (`/health`: the process answers) and readiness (`/health/ready`: this
//! instance should get traffic — its database answers, holds the schema this program
//! was built for, and the model configured for it is loaded).

use std::cmp::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use crate::error::ApiError;
use crate::state::{AppState, SharedState};

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub schema_version: i64,
}

/// Liveness and version; no authentication.
#[utoipa::path(get, path = "/api/v1/health", responses((status = 200, body = Health)))]
pub async fn health(State(s): State<SharedState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        schema_version: s.store.schema_version(),
    })
}

/// One readiness check that passed.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessCheck {
    /// `database`, `migrations` or `model`.
    pub name: &'static str,
    /// What was found, in Chinese (e.g. `数据库结构版本 17`, `未配置模型`).
    pub detail: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    /// Always `ready` (otherwise the answer is 503 `NOT_READY`).
    pub status: &'static str,
    pub version: &'static str,
    /// The schema version this program was built for (the database holds the same).
    pub schema_version: i64,
    pub checks: Vec<ReadinessCheck>,
}

/// How long readiness waits for the database: a probe must get an answer even when
/// the database gives none.
const DATABASE_WAIT: Duration = Duration::from_secs(2);

/// Readiness for a load balancer or orchestrator; no authentication. 200 when every
/// check passes; else 503 `NOT_READY` whose message names each failing check:
/// `database` (no answer to a one-row query), `migrations` (the database's schema
/// version is not this program's: another instance migrated it further, or an older
/// backup was restored under this one), `model` (a model directory was configured but
/// no model is loaded).
#[utoipa::path(get, path = "/api/v1/health/ready",
    responses((status = 200, body = Readiness),
              (status = 503, body = crate::error::ErrorBody,
               description = "NOT_READY: the message names each failing check (database, migrations, model)")))]
pub async fn ready(State(s): State<SharedState>) -> Result<Json<Readiness>, ApiError> {
    let code_version = s.store.schema_version();
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    let answer = tokio::time::timeout(
        DATABASE_WAIT,
        s.blocking(|s: &AppState| Ok(s.store.database_schema_version()?)),
    )
    .await;
    match answer {
        Ok(Ok(db_version)) => {
            passed.push(check("database", "数据库可访问".into()));
            match db_version.cmp(&code_version) {
                Ordering::Equal => {
                    passed.push(check("migrations", format!("数据库结构版本 {db_version}")));
                }
                Ordering::Greater => failed.push(check(
                    "migrations",
                    format!(
                        "数据库结构版本 {db_version} 高于本程序的 {code_version}，请升级本实例"
                    ),
                )),
                Ordering::Less => failed.push(check(
                    "migrations",
                    format!(
                        "数据库结构版本 {db_version} 低于本程序的 {code_version}，数据库可能被替换，请重启本实例"
                    ),
                )),
            }
        }
        Ok(Err(e)) => {
            // The detail (addresses, driver text) goes to the log, not to an
            // unauthenticated caller.
            tracing::warn!(error = ?e, "readiness: the database failed");
            failed.push(check("database", "数据库无法访问".into()));
        }
        Err(_) => {
            tracing::warn!(wait = ?DATABASE_WAIT, "readiness: the database did not answer");
            failed.push(check(
                "database",
                format!("数据库 {} 秒内未应答", DATABASE_WAIT.as_secs()),
            ));
        }
    }
    if s.intel.has_model() {
        let detail = s.intel.model_version().map_or_else(
            || "模型已加载".into(),
            |v| format!("模型已加载（版本 {v}）"),
        );
        passed.push(check("model", detail));
    } else if s.intel.model_configured() {
        failed.push(check("model", "已配置的模型未能加载".into()));
    } else {
        passed.push(check("model", "未配置模型".into()));
    }
    if !failed.is_empty() {
        let named: Vec<String> = failed
            .iter()
            .map(|c| format!("{}（{}）", c.name, c.detail))
            .collect();
        return Err(ApiError::NotReady(named.join("；")));
    }
    Ok(Json(Readiness {
        status: "ready",
        version: env!("CARGO_PKG_VERSION"),
        schema_version: code_version,
        checks: passed,
    }))
}

fn check(name: &'static str, detail: String) -> ReadinessCheck {
    ReadinessCheck { name, detail }
}
