//! Learning without a restart: the model follows the clerks' corrections.
//!
//! - **Retrain.** On a schedule (`MINSHENG_RETRAIN_HOURS`, default 24; 0 = only when
//!   an admin asks) one instance at a time (`Store::worker_lock`) trains from the base
//!   data set (`MINSHENG_TRAINING_DATA`) plus the server's history
//!   ([`super::export_training`]: labels as finally chosen at dispatch, so a
//!   correction wins over the base row of the same text). A new model whose
//!   cross-validated police-relevance macro-F1 falls more than [`MAX_F1_DROP`] below
//!   the current one's is not installed. Otherwise it is saved as the next version of
//!   the model directory, the previous one kept there as `model.vN.bin`.
//! - **Reload.** Every instance looks at the directory's version every
//!   [`WATCH_INTERVAL`] and loads a newer one (instances that share a database share
//!   the directory, e.g. on NFS). A model that does not load (corrupt, from a newer
//!   build) is refused and the instance keeps the one it has.
//! - **Rollback.** An admin makes an archived version current again; it is saved as
//!   the next version, so every instance picks it up the same way.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use minsheng_domain::role::Actor;
use minsheng_nlp::dataset::read_records;
use minsheng_nlp::model_dir::read_manifest;
use minsheng_nlp::org::place_words;
use minsheng_nlp::training::{merge_history, train_all, TrainOptions};
use minsheng_nlp::{Manifest, ModelDir, TrainConfig};
use minsheng_store::AuditRecord;
use serde::Serialize;

use super::{load_model, unit_profiles};
use crate::auth::require_administer as require_admin;
use crate::error::ApiError;
use crate::state::{AppState, SharedState};

/// How often every instance checks the model directory for a newer version.
pub const WATCH_INTERVAL: Duration = Duration::from_mins(1);
/// A retrained model is not installed when its police-relevance macro-F1 (k-fold, at
/// training time) is more than this below the current model's.
pub const MAX_F1_DROP: f64 = 0.05;
/// Fewer labelled rows than this are not worth a model (the default of
/// [`LearningSettings::min_rows`]).
pub const MIN_TRAINING_ROWS: usize = 100;
const WORKER_LOCK: &str = "model-retrain";

/// Where the model lives and how it is retrained (from the environment at start).
#[derive(Debug, Clone)]
pub struct LearningSettings {
    pub model_dir: PathBuf,
    /// The labelled base data set (columns of police_labeled.csv).
    pub base_data: Option<PathBuf>,
    /// None: only when an admin asks.
    pub retrain_every: Option<Duration>,
    /// A retrain with fewer labelled rows is skipped.
    pub min_rows: usize,
}

impl LearningSettings {
    /// MINSHENG_TRAINING_DATA, MINSHENG_RETRAIN_HOURS (default 24, 0 = never) and
    /// MINSHENG_RETRAIN_MIN_ROWS (default [`MIN_TRAINING_ROWS`]).
    pub fn from_env(model_dir: &Path) -> Self {
        let hours: f64 = std::env::var("MINSHENG_RETRAIN_HOURS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(24.0);
        Self {
            model_dir: model_dir.to_path_buf(),
            base_data: std::env::var_os("MINSHENG_TRAINING_DATA")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            retrain_every: (hours > 0.0).then(|| Duration::from_secs_f64(hours * 3600.0)),
            min_rows: std::env::var("MINSHENG_RETRAIN_MIN_ROWS")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(MIN_TRAINING_ROWS),
        }
    }
}

/// What one retrain did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetrainReport {
    pub at: DateTime<Utc>,
    /// `schedule` or `admin`.
    pub trigger: String,
    /// `installed`, `rejected` (worse than the current model) or `skipped`.
    pub outcome: String,
    /// The version saved (installed only).
    pub version: Option<u64>,
    pub training_rows: usize,
    /// Distinct texts from the server's own history (dispatched and transferred-out cases).
    pub history_rows: usize,
    pub police_f1_before: Option<f64>,
    pub police_f1_after: Option<f64>,
    /// In Chinese, for the admin.
    pub message: String,
}

/// One model version: what it was trained on and how well.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelVersionView {
    pub version: u64,
    pub created_at: String,
    pub training_rows: usize,
    pub sources: Vec<String>,
    /// Task → k-fold macro-F1 at training time.
    pub macro_f1: std::collections::BTreeMap<String, f64>,
}

impl From<&Manifest> for ModelVersionView {
    fn from(m: &Manifest) -> Self {
        Self {
            version: m.version,
            created_at: m.created_at.clone(),
            training_rows: m.training_rows,
            sources: m.sources.clone(),
            macro_f1: m
                .tasks
                .iter()
                .filter_map(|(task, info)| info.cv.map(|cv| (task.clone(), cv.macro_f1)))
                .collect(),
        }
    }
}

/// The model screen of the admin console.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelStatus {
    pub configured: bool,
    pub current: Option<ModelVersionView>,
    /// Versions kept for rollback, newest first.
    pub archived: Vec<ModelVersionView>,
    pub base_data_configured: bool,
    /// None: retrained only when an admin asks.
    pub retrain_every_hours: Option<f64>,
    pub last_retrain: Option<RetrainReport>,
    /// The last version in the directory this instance refused to load, and why.
    pub refused: Option<String>,
}

/// Settings and the last outcomes, per instance.
#[derive(Debug, Default)]
pub struct Learning {
    settings: Option<LearningSettings>,
    last_retrain: Option<RetrainReport>,
    last_attempt: Option<std::time::Instant>,
    refused: Option<(u64, String)>,
}

fn learning(s: &AppState) -> std::sync::MutexGuard<'_, Learning> {
    s.intel
        .learning
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Called at start when a model directory is configured.
pub fn configure(s: &AppState, settings: LearningSettings) {
    learning(s).settings = Some(settings);
}

fn settings(s: &AppState) -> Result<LearningSettings, ApiError> {
    learning(s).settings.clone().ok_or(ApiError::Conflict {
        code: "MODEL_NOT_CONFIGURED",
        message: "服务器未配置模型目录（--model / MINSHENG_MODEL），无法训练或回滚模型".into(),
    })
}

/// Loads the directory's model when its version is newer than the installed one.
/// Returns the version installed, if any; a model that does not load is refused once
/// (logged, shown on the model screen) and the current one kept.
pub fn reload_if_newer(s: &AppState) -> Result<Option<u64>, ApiError> {
    let Ok(settings) = settings(s) else {
        return Ok(None);
    };
    let Ok(manifest) = read_manifest(&settings.model_dir) else {
        return Ok(None);
    };
    let current = s.intel.model_version();
    let refused = learning(s).refused.as_ref().map(|r| r.0);
    if current.is_some_and(|v| v >= manifest.version) || refused == Some(manifest.version) {
        return Ok(None);
    }
    match load_model(s, &settings.model_dir) {
        Ok(()) => {
            tracing::info!(version = manifest.version, "newer model loaded");
            learning(s).refused = None;
            Ok(Some(manifest.version))
        }
        Err(e) => {
            tracing::warn!(version = manifest.version, error = %e, "newer model refused; keeping the current one");
            learning(s).refused = Some((manifest.version, e.to_string()));
            Ok(None)
        }
    }
}

/// Retrains now (admin) or when due (schedule). `actor` is the admin, if any.
pub fn retrain(s: &AppState, actor: Option<&Actor>) -> Result<RetrainReport, ApiError> {
    let settings = settings(s)?;
    let Some(_lock) = s.store.worker_lock(WORKER_LOCK, false)? else {
        return Err(ApiError::Conflict {
            code: "MODEL_RETRAIN_RUNNING",
            message: "模型正在重新训练，请稍后再看结果".into(),
        });
    };
    learning(s).last_attempt = Some(std::time::Instant::now());
    let report = train_and_install(s, &settings, actor)?;
    if let Some(actor) = actor {
        s.store.audit(&AuditRecord {
            at: report.at,
            user_id: actor.user_id,
            action: "retrainModel".into(),
            target: settings.model_dir.display().to_string(),
            detail: serde_json::to_string(&report).unwrap_or_default(),
        })?;
    }
    tracing::info!(outcome = %report.outcome, version = ?report.version, rows = report.training_rows, "model retrain");
    learning(s).last_retrain = Some(report.clone());
    Ok(report)
}

fn train_and_install(
    s: &AppState,
    settings: &LearningSettings,
    actor: Option<&Actor>,
) -> Result<RetrainReport, ApiError> {
    let nlp = |e: minsheng_nlp::NlpError| ApiError::Internal(format!("模型训练失败：{e}"));
    let history_file = settings.model_dir.join(".history.csv");
    super::export_training(s, &history_file)?;
    let history = read_records(&history_file);
    let _ = std::fs::remove_file(&history_file);
    let history = history.map_err(nlp)?;
    let base = match &settings.base_data {
        Some(path) => read_records(path).map_err(nlp)?,
        None => Vec::new(),
    };
    // Distinct texts: the demo and busy cities repeat a text across many cases.
    let history_rows = history
        .iter()
        .map(|r| (r.title.trim(), r.detail.trim()))
        .collect::<std::collections::HashSet<_>>()
        .len();
    let records = merge_history(base, history);
    let (config, duplicates, before) = {
        let model = s.intel.model();
        let manifest = model.as_ref().and_then(|m| m.manifest().cloned());
        let config = model.as_ref().map_or_else(
            || {
                let mut c = TrainConfig::default();
                c.analyzer
                    .domain_words
                    .extend(place_words(&unit_profiles(&s.org())));
                c
            },
            |m| m.engine().set().config.clone(),
        );
        (
            config,
            manifest
                .as_ref()
                .map(|m| m.duplicates.clone())
                .unwrap_or_default(),
            manifest.as_ref().and_then(police_f1),
        )
    };
    let mut report = RetrainReport {
        at: s.now(),
        trigger: if actor.is_some() { "admin" } else { "schedule" }.into(),
        outcome: "skipped".into(),
        version: None,
        training_rows: records.len(),
        history_rows,
        police_f1_before: before,
        police_f1_after: None,
        message: String::new(),
    };
    if records.len() < settings.min_rows {
        let hint = if settings.base_data.is_none() {
            "；请配置基础训练集（MINSHENG_TRAINING_DATA）"
        } else {
            ""
        };
        report.message = format!(
            "训练数据只有 {} 条（至少 {} 条），未训练{hint}",
            records.len(),
            settings.min_rows
        );
        return Ok(report);
    }
    let mut sources: Vec<String> = settings
        .base_data
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    sources.push(format!("server history ({history_rows} rows)"));
    let options = TrainOptions {
        config,
        cv_folds: 5,
        sources,
        duplicates,
    };
    let (engine, manifest) = train_all(&records, &options).map_err(nlp)?;
    report.police_f1_after = police_f1(&manifest);
    if let (Some(b), Some(a)) = (before, report.police_f1_after) {
        if a < b - MAX_F1_DROP {
            report.outcome = "rejected".into();
            report.message = format!(
                "新模型警情识别 macro-F1 {a:.3} 低于当前模型 {b:.3} 超过 {MAX_F1_DROP}，未启用，继续使用当前模型"
            );
            return Ok(report);
        }
    }
    let saved = ModelDir::save(&settings.model_dir, &engine, manifest).map_err(nlp)?;
    load_model(s, &settings.model_dir)?;
    learning(s).refused = None;
    report.outcome = "installed".into();
    report.version = Some(saved.version);
    report.message = format!(
        "已训练并启用第 {} 版模型（{} 条训练数据，其中本系统历史 {history_rows} 条）",
        saved.version,
        records.len()
    );
    Ok(report)
}

fn police_f1(m: &Manifest) -> Option<f64> {
    m.tasks
        .get("police_related")
        .and_then(|t| t.cv)
        .map(|cv| cv.macro_f1)
}

/// Makes archived `version` current again (admin; audited).
pub fn rollback(s: &AppState, actor: &Actor, version: u64) -> Result<ModelStatus, ApiError> {
    require_admin(actor)?;
    let settings = settings(s)?;
    let from = s.intel.model_version();
    let saved =
        ModelDir::restore(&settings.model_dir, version).map_err(|e| ApiError::Conflict {
            code: "MODEL_VERSION_UNUSABLE",
            message: format!("第 {version} 版模型无法启用：{e}"),
        })?;
    load_model(s, &settings.model_dir)?;
    learning(s).refused = None;
    s.store.audit(&AuditRecord {
        at: s.now(),
        user_id: actor.user_id,
        action: "rollbackModel".into(),
        target: settings.model_dir.display().to_string(),
        detail: serde_json::json!({ "from": from, "restored": version, "savedAs": saved.version })
            .to_string(),
    })?;
    status(s, actor)
}

/// The model screen: current version, versions kept, the last retrain (admin).
pub fn status(s: &AppState, actor: &Actor) -> Result<ModelStatus, ApiError> {
    require_admin(actor)?;
    let l = learning(s);
    let current = s
        .intel
        .model()
        .as_ref()
        .and_then(|m| m.manifest().map(ModelVersionView::from));
    let archived = l
        .settings
        .as_ref()
        .map(|st| {
            ModelDir::archived(&st.model_dir)
                .iter()
                .filter(|m| Some(m.version) != current.as_ref().map(|c| c.version))
                .map(ModelVersionView::from)
                .collect()
        })
        .unwrap_or_default();
    Ok(ModelStatus {
        configured: l.settings.is_some(),
        current,
        archived,
        base_data_configured: l.settings.as_ref().is_some_and(|st| st.base_data.is_some()),
        retrain_every_hours: l
            .settings
            .as_ref()
            .and_then(|st| st.retrain_every)
            .map(|d| d.as_secs_f64() / 3600.0),
        last_retrain: l.last_retrain.clone(),
        refused: l
            .refused
            .as_ref()
            .map(|(v, why)| format!("第 {v} 版：{why}")),
    })
}

/// A scheduled retrain is due when none ran here within the interval and the
/// directory's model is older than the interval (another instance may have trained).
fn retrain_due(s: &AppState) -> bool {
    let l = learning(s);
    let Some(every) = l.settings.as_ref().and_then(|st| st.retrain_every) else {
        return false;
    };
    if l.last_attempt.is_some_and(|t| t.elapsed() < every) {
        return false;
    }
    let dir = l.settings.as_ref().map(|st| st.model_dir.clone());
    drop(l);
    let fresh = dir
        .and_then(|d| read_manifest(&d).ok())
        .and_then(|m| DateTime::parse_from_rfc3339(&m.created_at).ok())
        .is_some_and(|at| {
            let age = s.now() - at.with_timezone(&Utc);
            age.to_std().is_ok_and(|age| age < every)
        });
    if fresh {
        learning(s).last_attempt = Some(std::time::Instant::now());
    }
    !fresh
}

/// Watches the model directory and retrains when due (no-op without a directory).
pub fn start_workers(state: &SharedState) {
    if learning(state).settings.is_none() {
        return;
    }
    let state = Arc::clone(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(WATCH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let s = Arc::clone(&state);
            let outcome = tokio::task::spawn_blocking(move || {
                reload_if_newer(&s)?;
                if retrain_due(&s) {
                    match retrain(&s, None) {
                        Ok(_) | Err(ApiError::Conflict { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok::<_, ApiError>(())
            })
            .await;
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "model worker"),
                Err(e) => tracing::warn!(error = %e, "model worker panicked"),
            }
        }
    });
}
