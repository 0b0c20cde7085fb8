//! minsheng-nlp wired into the server: suggestions (category, request type, handling
//! and supervising unit, police relevance) and duplicate candidates at intake, bulk
//! import and dispatch; suggestion-vs-choice feedback; training-data export.
//!
//! The model is optional: without one there are no suggestions and everything else is
//! unchanged. The duplicate index needs no model and always runs.

mod assist;
mod export;
mod feedback;
mod followed;
pub mod learning;
mod views;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::case::{Case, Category};
use minsheng_domain::citizen::Phone;
use minsheng_domain::ids::CaseId;
use minsheng_domain::org::OrgTree;
use minsheng_nlp::{
    Classification, DuplicateCandidate, DuplicateIndex, Intelligence, Suggestion, UnitProfile,
};

pub use assist::{assist, AssistRequest, CallerCase, IntakeAssist};
pub use export::{export_training, ExportSummary};
pub use feedback::{accuracy, after_action, AccuracyReport, DispatchCheck, MatchRates};
pub use followed::{before_lookup, catch_up};
pub use views::{
    duplicate_views, index_new_case, on_bulk_row, on_intake, suggestions_for, DuplicateView,
    IntakeExtras, SuggestionBrief, SuggestionsView, UnitChoice,
};

use crate::error::ApiError;
use crate::state::AppState;

/// Closed cases received within this many days stay in the duplicate index.
pub const RECENT_DAYS: i64 = 180;
/// Duplicate candidates attached to an intake or bulk row.
pub const INTAKE_CANDIDATES: usize = 3;

/// The optional model and the duplicate index, shared by all requests.
pub struct Intel {
    model: RwLock<Option<Intelligence>>,
    duplicates: RwLock<DuplicateIndex>,
    /// Which cases the index holds and the change-log position it reflects (other
    /// instances' intakes are indexed by following the log: `catch_up`).
    followed: followed::FollowedLock,
    /// The city's active categories (SPEC §10: one list): a category the model knows
    /// but the city no longer offers is never suggested. Empty: no restriction.
    categories: RwLock<Vec<String>>,
    /// A model directory was configured at start (`--model`/MINSHENG_MODEL): the
    /// instance is not ready while no model is loaded (`http::health::ready`).
    model_configured: AtomicBool,
    /// Retraining and reloading without a restart ([`learning`]).
    learning: std::sync::Mutex<learning::Learning>,
}

impl Default for Intel {
    fn default() -> Self {
        Self {
            model: RwLock::new(None),
            duplicates: RwLock::new(DuplicateIndex::default()),
            followed: std::sync::Mutex::default(),
            categories: RwLock::new(Vec::new()),
            model_configured: AtomicBool::new(false),
            learning: std::sync::Mutex::default(),
        }
    }
}

/// Keeps the labels of the city's list (and the model's "not a police matter" label).
fn keep_listed(labels: &mut Vec<minsheng_nlp::Scored>, listed: &[String]) {
    if !listed.is_empty() {
        labels.retain(|l| l.label == Category::NON_POLICE || listed.contains(&l.label));
    }
}

impl Intel {
    /// The model, if one is loaded (a read lock: suggestions run concurrently).
    pub fn model(&self) -> RwLockReadGuard<'_, Option<Intelligence>> {
        self.model.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn has_model(&self) -> bool {
        self.model().is_some()
    }

    pub fn model_version(&self) -> Option<u64> {
        self.model()
            .as_ref()
            .and_then(|m| m.manifest().map(|x| x.version))
    }

    /// Whether a model directory was configured at start (loaded or not).
    pub fn model_configured(&self) -> bool {
        self.model_configured.load(Ordering::Relaxed)
    }

    /// Installs (or with None removes) the model.
    pub fn install(&self, model: Option<Intelligence>) {
        *self.model.write().unwrap_or_else(PoisonError::into_inner) = model;
    }

    /// The org tree changed: units renamed, jurisdictions moved.
    pub fn set_units(&self, org: &OrgTree) {
        if let Some(m) = self
            .model
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            m.set_units(unit_profiles(org));
        }
    }

    /// The category list changed (admin console).
    pub fn set_categories(&self, active: Vec<String>) {
        *self
            .categories
            .write()
            .unwrap_or_else(PoisonError::into_inner) = active;
    }

    fn listed(&self) -> Vec<String> {
        self.categories
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The full suggestion for a case's text; None without a model.
    pub fn suggest(&self, c: &Case) -> Option<Suggestion> {
        self.suggest_text(&c.title, &c.content, c.address.as_deref())
    }

    /// The full suggestion for text that is no case yet (the intake form as typed).
    pub fn suggest_text(
        &self,
        title: &str,
        content: &str,
        address: Option<&str>,
    ) -> Option<Suggestion> {
        let mut s = self
            .model()
            .as_ref()
            .map(|m| m.suggest(title, content, address))?;
        keep_listed(&mut s.category, &self.listed());
        Some(s)
    }

    /// Classification without explanations or units (cheap, for bulk feeds).
    pub fn classify(&self, c: &Case) -> Option<Classification> {
        let mut cl = self
            .model()
            .as_ref()
            .map(|m| m.classify(&c.title, &c.content))?;
        keep_listed(&mut cl.category, &self.listed());
        Some(cl)
    }

    /// Adds (or replaces) a case in the duplicate index.
    pub fn index(&self, c: &Case) {
        self.index_unfollowed(c);
        self.followed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(c.id);
    }

    /// The follower's state (`followed::catch_up`).
    fn followed(&self) -> &followed::FollowedLock {
        &self.followed
    }

    /// `index` for a caller that already holds the follower's lock.
    fn index_unfollowed(&self, c: &Case) {
        let id = c.id.to_string();
        let mut idx = self
            .duplicates
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        idx.remove(&id);
        idx.insert(
            &id,
            phone_of(c),
            &index_text(&c.title, &c.content),
            c.received_at.timestamp(),
        );
    }

    pub fn unindex(&self, id: CaseId) {
        self.duplicates
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id.to_string());
        self.followed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }

    /// Indexed cases that may be the same matter as `c` (same text and/or caller),
    /// best first, never `c` itself.
    pub fn candidates(&self, c: &Case, limit: usize) -> Vec<DuplicateCandidate> {
        let own = c.id.to_string();
        self.candidates_for_text(phone_of(c), &c.title, &c.content, limit, Some(&own))
    }

    /// Indexed cases that may be the same matter as a text being typed, best first.
    pub fn candidates_for_text(
        &self,
        phone: Option<&str>,
        title: &str,
        content: &str,
        limit: usize,
        exclude: Option<&str>,
    ) -> Vec<DuplicateCandidate> {
        self.duplicates
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .candidates_excluding(phone, &index_text(title, content), limit, exclude)
    }

    pub fn indexed(&self) -> usize {
        self.duplicates
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Text similarity from which two cases are judged the same matter.
    pub fn link_threshold(&self) -> f32 {
        self.duplicates
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .config()
            .link_threshold
    }
}

fn phone_of(c: &Case) -> Option<&str> {
    c.citizen.phone.as_ref().map(Phone::as_str)
}

fn index_text(title: &str, content: &str) -> String {
    format!("{title}\n{content}")
}

/// The org tree as the classifier sees it (ids are the server's unit ids).
pub fn unit_profiles(org: &OrgTree) -> Vec<UnitProfile> {
    org.units()
        .map(|u| UnitProfile {
            id: u.id.to_string(),
            code: u.code.clone(),
            name: u.name.clone(),
            level: u8::from(u.level),
            parent: u.parent.map(|p| p.to_string()),
            kind: u.kind.label_zh().to_owned(),
            police_line: u.police_line.map(|l| l.label_zh().to_owned()),
            districts: u.jurisdiction.districts.clone(),
            streets: u.jurisdiction.streets.clone(),
        })
        .collect()
}

/// Loads the newest model in `dir` against the current org tree and installs it.
pub fn load_model(s: &AppState, dir: &Path) -> Result<(), ApiError> {
    let model = Intelligence::load(dir, unit_profiles(&s.org()))
        .map_err(|e| ApiError::Internal(format!("模型加载失败（{}）：{e}", dir.display())))?;
    s.intel.install(Some(model));
    Ok(())
}

/// Rebuilds the duplicate index from the store: open cases and those received in the
/// last [`RECENT_DAYS`] days, with the model's calibrated settings when there is one.
pub fn rebuild_index(s: &AppState, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let config = s
        .intel
        .model()
        .as_ref()
        .and_then(|m| m.manifest().map(|x| x.duplicates.clone()))
        .unwrap_or_default();
    let mut idx = DuplicateIndex::new(config);
    // The position first: a case registered during the scan is caught up afterwards.
    let through = s.store.change_log_head()?;
    let mut ids = std::collections::HashSet::new();
    s.store
        .for_each_indexable_case(now - Duration::days(RECENT_DAYS), &mut |c| {
            ids.insert(c.id);
            idx.insert(
                &c.id.to_string(),
                c.phone.as_deref(),
                &c.text,
                c.received_at.timestamp(),
            );
        })?;
    let n = idx.len();
    let mut followed = s
        .intel
        .followed
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    *s.intel
        .duplicates
        .write()
        .unwrap_or_else(PoisonError::into_inner) = idx;
    followed.reset(through, ids);
    Ok(n)
}

/// Server start: the model from `model_dir` (a missing or broken one is logged and
/// the server runs without suggestions), then the duplicate index.
pub fn start(s: &AppState, model_dir: Option<&Path>) -> Result<(), ApiError> {
    s.intel
        .model_configured
        .store(model_dir.is_some(), Ordering::Relaxed);
    if let Some(dir) = model_dir {
        learning::configure(s, learning::LearningSettings::from_env(dir));
    }
    match model_dir {
        Some(dir) => match load_model(s, dir) {
            Ok(()) => tracing::info!(
                dir = %dir.display(),
                version = ?s.intel.model_version(),
                "intelligence model loaded"
            ),
            Err(e) => tracing::warn!(
                dir = %dir.display(),
                error = ?e,
                "no usable model: running without suggestions"
            ),
        },
        None => tracing::info!(
            "no model configured (--model / MINSHENG_MODEL): running without suggestions"
        ),
    }
    let t = std::time::Instant::now();
    let n = rebuild_index(s, s.now())?;
    tracing::info!(
        cases = n,
        ms = t.elapsed().as_millis() as u64,
        "duplicate index built"
    );
    Ok(())
}
