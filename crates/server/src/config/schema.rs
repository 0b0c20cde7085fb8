//! The wire shape of the SLA rules for the OpenAPI document: `SlaRules` keys its maps
//! by urgency and request type, and the document lists those keys with their bounds.
//! Never built; `SlaRules` (domain) is what is read and written.

use serde::Serialize;

/// Working hours allowed for sign-in, per urgency.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct HoursByUrgency {
    #[serde(rename = "普通")]
    #[schema(minimum = 1, maximum = 2920)]
    ordinary: i64,
    #[serde(rename = "紧急")]
    #[schema(minimum = 1, maximum = 2920)]
    urgent: i64,
    #[serde(rename = "特急")]
    #[schema(minimum = 1, maximum = 2920)]
    critical: i64,
}

/// Working days allowed for the reply per urgency, overriding the request type.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DaysByUrgency {
    #[serde(rename = "普通")]
    #[schema(minimum = 1, maximum = 2920)]
    ordinary: Option<i64>,
    #[serde(rename = "紧急")]
    #[schema(minimum = 1, maximum = 2920)]
    urgent: Option<i64>,
    #[serde(rename = "特急")]
    #[schema(minimum = 1, maximum = 2920)]
    critical: Option<i64>,
}

/// Working days allowed for the reply of ordinary cases, per request type.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DaysByType {
    #[serde(rename = "咨询")]
    #[schema(minimum = 1, maximum = 2920)]
    consultation: i64,
    #[serde(rename = "求助")]
    #[schema(minimum = 1, maximum = 2920)]
    help_request: i64,
    #[serde(rename = "投诉")]
    #[schema(minimum = 1, maximum = 2920)]
    complaint: i64,
    #[serde(rename = "举报")]
    #[schema(minimum = 1, maximum = 2920)]
    report: i64,
    #[serde(rename = "建议")]
    #[schema(minimum = 1, maximum = 2920)]
    suggestion: i64,
    #[serde(rename = "表扬")]
    #[schema(minimum = 1, maximum = 2920)]
    praise: i64,
}

/// SLA rules (SPEC §4 defaults): sign-in hours per urgency; reply days per urgency
/// (特急, 紧急) or else per request type.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = SlaRules)]
#[allow(dead_code)]
pub struct SlaRulesDoc {
    sign_in_hours: HoursByUrgency,
    reply_days_by_urgency: DaysByUrgency,
    reply_days_by_type: DaysByType,
    /// A deadline is 即将逾期 when less than this share (percent) of its time is left.
    #[schema(minimum = 1, maximum = 90)]
    warn_percent: i64,
    /// Working days of a level-2 / level-3 follow-up task.
    #[schema(minimum = 1, maximum = 365)]
    follow_up_task_days: i64,
}

/// One edition of the SLA rules and the instant from which it applies.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = SlaVersion)]
#[allow(dead_code)]
pub struct SlaVersionDoc {
    version: i64,
    effective_from: chrono::DateTime<chrono::Utc>,
    rules: SlaRulesDoc,
}
