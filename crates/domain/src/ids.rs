//! Newtype identifiers. All are UUIDv7 so they sort by creation time and can be
//! minted offline; the instant is passed in because the domain never reads the clock.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

fn uuid_v7_at(at: DateTime<Utc>) -> Uuid {
    let secs = u64::try_from(at.timestamp()).unwrap_or(0);
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, at.timestamp_subsec_nanos());
    Uuid::new_v7(ts)
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id for the given instant.
            pub fn mint(at: DateTime<Utc>) -> Self {
                Self(uuid_v7_at(at))
            }

            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::schema::uuid_string()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A citizen request (诉求件).
    CaseId
);
id_type!(
    /// An organisational unit (市局 / 分局 / 派出所 ...).
    UnitId
);
id_type!(
    /// A staff account.
    UserId
);
id_type!(
    /// A client command (sync outbox entry); the server applies each exactly once.
    CommandId
);
id_type!(
    /// A timeline entry of a case.
    EntryId
);

impl UserId {
    /// The platform itself (SMS replies, schedulers); never a login.
    pub const SYSTEM: Self = Self(Uuid::nil());
}
id_type!(
    /// An accountability record (责任倒查) of a substantiated 涉警投诉.
    AccountabilityId
);
