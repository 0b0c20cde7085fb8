//! Hand-written schemas for types whose JSON form differs from their Rust shape
//! (validated strings, numeric levels).

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;

pub fn uuid_string() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .into()
}

pub fn described_string(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .into()
}

/// A string that is one of `values` (the serde names).
pub fn string_enum(description: &str, values: &[&str]) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values.iter().copied()))
        .into()
}

macro_rules! string_schema {
    ($ty:ty, $desc:literal) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                described_string($desc)
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}

string_schema!(crate::citizen::Phone, "手机号（11位）或带区号的座机号");
string_schema!(crate::citizen::IdCard, "18位居民身份证号（含校验位）");

impl utoipa::PartialSchema for crate::case::Category {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("诉求类别，如 治安管理（1–20个字）"))
            .min_length(Some(1))
            .max_length(Some(20))
            .pattern(Some(r"\S"))
            .into()
    }
}
impl utoipa::ToSchema for crate::case::Category {}

impl utoipa::PartialSchema for crate::org::UnitLevel {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .description(Some("1 市局, 2 分局/县局/支队, 3 科所队"))
            .minimum(Some(1))
            .maximum(Some(3))
            .into()
    }
}
impl utoipa::ToSchema for crate::org::UnitLevel {}
