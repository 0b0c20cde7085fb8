//! What the intelligence features read and write: cases for the duplicate index,
//! dispatch history for retraining, and how often the clerk kept the suggestion.

use chrono::{DateTime, Utc};
use minsheng_domain::case::CaseState;
use minsheng_domain::ids::{CaseId, UnitId};
use serde::{Deserialize, Serialize};

/// A case as the duplicate index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedCase {
    pub id: CaseId,
    pub phone: Option<String>,
    /// Title and content, one line break apart.
    pub text: String,
    pub received_at: DateTime<Utc>,
}

/// A dispatched or transferred-out case, as training data (the labels are what the
/// clerk finally chose, so corrections are included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryCase {
    pub id: CaseId,
    pub number: Option<String>,
    pub title: String,
    pub content: String,
    pub state: CaseState,
    pub category: Option<String>,
    /// Chinese label (投诉, 咨询 …).
    pub request_type: String,
    pub handling_unit: Option<UnitId>,
    pub district: Option<String>,
}

/// The suggestion at dispatch time next to the clerk's choice.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchFeedback {
    pub case_id: CaseId,
    pub at: DateTime<Utc>,
    /// `dispatch` or `redispatch`.
    pub action: String,
    pub suggested_category: Option<String>,
    pub chosen_category: String,
    pub suggested_unit: Option<UnitId>,
    pub chosen_unit: UnitId,
    pub suggested_request_type: Option<String>,
    pub chosen_request_type: String,
    pub model_version: Option<u64>,
}

impl DispatchFeedback {
    pub fn matched_category(&self) -> bool {
        self.suggested_category.as_deref() == Some(self.chosen_category.as_str())
    }

    pub fn matched_unit(&self) -> bool {
        self.suggested_unit == Some(self.chosen_unit)
    }
}

/// Counts of recorded dispatches and how many kept each suggested value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackCounts {
    pub dispatches: u64,
    pub category_matched: u64,
    pub unit_matched: u64,
    pub request_type_matched: u64,
}
