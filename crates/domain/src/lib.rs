//! 民生警务平台 domain: the rules both the city server and the desktop client apply.
//! Pure: no I/O, and the clock is always passed in.

pub mod accountability;
pub mod assessment;
pub mod attachment;
pub mod audit;
pub mod calendar;
pub mod capability;
pub mod case;
pub mod citizen;
pub mod config;
pub mod error;
pub mod ids;
pub mod lists;
pub mod org;
pub mod org_edit;
pub mod release;
pub mod role;
#[cfg(feature = "openapi")]
mod schema;
pub mod scope;
pub mod sla;
pub mod staffing;
pub mod supervisors;
pub mod sync;
pub mod timeline;
pub mod workflow;

pub use error::DomainError;
