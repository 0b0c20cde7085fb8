//! PostgreSQL: `ConfigStore` (not ported yet where a method says so).
#![allow(unused_imports, unused_variables, clippy::wildcard_imports)]

use chrono::{DateTime, Utc};
use minsheng_domain::calendar::HolidayYear;
use minsheng_domain::config::{CategoryEntry, ConfigSnapshot};
use minsheng_domain::sla::{SlaRules, SlaVersion};
use minsheng_store::config::*;
use minsheng_store::*;
use minsheng_store::{AuditRecord, StoreResult};

use crate::PgStore;

impl minsheng_store::config::ConfigStore for PgStore {
    fn config_snapshot(&self) -> StoreResult<ConfigSnapshot> {
        todo!("PostgreSQL: config_snapshot not ported yet")
    }

    fn config_version(&self) -> StoreResult<i64> {
        todo!("PostgreSQL: config_version not ported yet")
    }

    fn put_holiday_year(&self, year: &HolidayYear, audit: &AuditRecord) -> StoreResult<i64> {
        todo!("PostgreSQL: put_holiday_year not ported yet")
    }

    fn put_categories(&self, list: &[CategoryEntry], audit: &AuditRecord) -> StoreResult<i64> {
        todo!("PostgreSQL: put_categories not ported yet")
    }

    fn add_sla_version(
        &self,
        rules: &SlaRules,
        effective_from: DateTime<Utc>,
        audit: &AuditRecord,
    ) -> StoreResult<SlaVersion> {
        todo!("PostgreSQL: add_sla_version not ported yet")
    }
}
