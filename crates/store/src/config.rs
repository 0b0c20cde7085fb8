//! Storage of the city's configuration (SPEC §10): the holiday calendar, one schedule
//! per year, and every edition of the SLA rules. Each change bumps one version number,
//! which clients compare to fetch the configuration only when it changed. The store
//! only reads and writes; what is valid is decided by the domain and the service.

use chrono::{DateTime, Utc};
use minsheng_domain::calendar::HolidayYear;
use minsheng_domain::config::{CategoryEntry, ConfigSnapshot};
use minsheng_domain::sla::{SlaRules, SlaVersion};

use super::{AuditRecord, StoreResult};

pub trait ConfigStore {
    /// The whole configuration with its version.
    fn config_snapshot(&self) -> StoreResult<ConfigSnapshot>;
    /// The version alone (cheap: asked on every pull).
    fn config_version(&self) -> StoreResult<i64>;
    /// Adds or replaces the schedule of `year.year`, with its audit record, in one
    /// transaction; returns the new configuration version.
    fn put_holiday_year(&self, year: &HolidayYear, audit: &AuditRecord) -> StoreResult<i64>;
    /// Replaces the category list (the service never drops a name) with its audit record.
    fn put_categories(&self, list: &[CategoryEntry], audit: &AuditRecord) -> StoreResult<i64>;
    /// Adds an edition of the SLA rules in force from `effective_from`, with its audit
    /// record, in one transaction.
    fn add_sla_version(
        &self,
        rules: &SlaRules,
        effective_from: DateTime<Utc>,
        audit: &AuditRecord,
    ) -> StoreResult<SlaVersion>;
}
