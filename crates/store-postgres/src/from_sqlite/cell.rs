//! One SQLite value converted for one PostgreSQL column, by the column's type: what
//! SQLite stores as INTEGER becomes BIGINT, INTEGER or SMALLINT (range-checked),
//! BOOLEAN (SQLite's 0/1) or a float; TEXT becomes text, JSON/JSONB or BYTEA; BLOB
//! becomes BYTEA (or text when it is UTF-8). Instants are integer milliseconds on both
//! sides, so they pass unchanged.

use std::error::Error;

use bytes::BytesMut;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use rusqlite::types::ValueRef;

/// A value ready for a PostgreSQL column (in COPY's binary format or as a parameter).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    Null,
    Int(i64),
    Bool(bool),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
}

fn is_int(ty: &Type) -> bool {
    matches!(*ty, Type::INT8 | Type::INT4 | Type::INT2)
}

fn is_float(ty: &Type) -> bool {
    matches!(*ty, Type::FLOAT8 | Type::FLOAT4)
}

fn is_text(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::JSON | Type::JSONB
    )
}

/// The PostgreSQL column types a copy can fill.
pub(super) fn supported(ty: &Type) -> bool {
    is_int(ty) || is_float(ty) || is_text(ty) || matches!(*ty, Type::BOOL | Type::BYTEA)
}

fn int_fits(v: i64, ty: &Type) -> bool {
    match *ty {
        Type::INT4 => i32::try_from(v).is_ok(),
        Type::INT2 => i16::try_from(v).is_ok(),
        _ => true,
    }
}

/// Converts `v` for a column of type `ty`; the error says why it cannot be.
pub(super) fn convert(v: ValueRef<'_>, ty: &Type) -> Result<Cell, String> {
    let bad = |what: &str| {
        Err(format!(
            "{what} 不能写入 {ty} 列（cannot go into a {ty} column）"
        ))
    };
    match v {
        ValueRef::Null => Ok(Cell::Null),
        ValueRef::Integer(i) if is_int(ty) => {
            if int_fits(i, ty) {
                Ok(Cell::Int(i))
            } else {
                bad(&format!("整数 {i} 超出范围"))
            }
        }
        ValueRef::Integer(i) if *ty == Type::BOOL => match i {
            0 => Ok(Cell::Bool(false)),
            1 => Ok(Cell::Bool(true)),
            _ => bad(&format!("布尔列的值 {i} 不是 0/1")),
        },
        ValueRef::Integer(i) if is_float(ty) => Ok(Cell::Float(i as f64)),
        ValueRef::Integer(i) if is_text(ty) => Ok(Cell::Text(i.to_string())),
        ValueRef::Integer(i) => bad(&format!("整数 {i}")),
        ValueRef::Real(f) if is_float(ty) => Ok(Cell::Float(f)),
        ValueRef::Real(f) if is_int(ty) && f.fract() == 0.0 && f.abs() < 9.0e15 => {
            let i = f as i64;
            if int_fits(i, ty) {
                Ok(Cell::Int(i))
            } else {
                bad(&format!("数值 {f} 超出范围"))
            }
        }
        ValueRef::Real(f) if is_text(ty) => Ok(Cell::Text(f.to_string())),
        ValueRef::Real(f) => bad(&format!("小数 {f}")),
        ValueRef::Text(t) if *ty == Type::BYTEA => Ok(Cell::Bytes(t.to_vec())),
        ValueRef::Text(t) => {
            let s = std::str::from_utf8(t).map_err(|_| "文本不是 UTF-8（text is not UTF-8）")?;
            if is_text(ty) {
                if matches!(*ty, Type::JSON | Type::JSONB)
                    && serde_json::from_str::<serde::de::IgnoredAny>(s).is_err()
                {
                    return bad("不是合法 JSON 的文本");
                }
                Ok(Cell::Text(s.to_owned()))
            } else if is_int(ty) {
                match s.trim().parse::<i64>() {
                    Ok(i) if int_fits(i, ty) => Ok(Cell::Int(i)),
                    _ => bad(&format!("文本“{s}”")),
                }
            } else {
                bad(&format!("文本“{s}”"))
            }
        }
        ValueRef::Blob(b) if *ty == Type::BYTEA => Ok(Cell::Bytes(b.to_vec())),
        ValueRef::Blob(b) if is_text(ty) && !matches!(*ty, Type::JSON | Type::JSONB) => {
            String::from_utf8(b.to_vec())
                .map(Cell::Text)
                .or_else(|_| bad("非 UTF-8 的二进制值"))
        }
        ValueRef::Blob(_) => bad("二进制值"),
    }
}

impl ToSql for Cell {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Self::Null => Ok(IsNull::Yes),
            Self::Int(v) => match *ty {
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Self::Bool(b) => b.to_sql(ty, out),
            Self::Float(f) if *ty == Type::FLOAT4 => (*f as f32).to_sql(ty, out),
            Self::Float(f) => f.to_sql(ty, out),
            // JSONB's binary format: a version byte, then the text; JSON's is the text.
            Self::Text(s) if *ty == Type::JSONB => {
                out.extend_from_slice(&[1]);
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            Self::Text(s) if *ty == Type::JSON => {
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            Self::Text(s) => s.as_str().to_sql(ty, out),
            Self::Bytes(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        supported(ty)
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_convert_by_the_column_type() {
        assert_eq!(convert(ValueRef::Integer(7), &Type::INT8), Ok(Cell::Int(7)));
        assert_eq!(
            convert(ValueRef::Integer(1), &Type::BOOL),
            Ok(Cell::Bool(true))
        );
        assert_eq!(
            convert(ValueRef::Integer(0), &Type::BOOL),
            Ok(Cell::Bool(false))
        );
        assert!(convert(ValueRef::Integer(2), &Type::BOOL).is_err());
        assert!(convert(ValueRef::Integer(1 << 40), &Type::INT4).is_err());
        assert_eq!(
            convert(ValueRef::Integer(3), &Type::FLOAT8),
            Ok(Cell::Float(3.0))
        );
        assert_eq!(
            convert(ValueRef::Text("12".as_bytes()), &Type::INT4),
            Ok(Cell::Int(12))
        );
        assert_eq!(
            convert(ValueRef::Text("民生".as_bytes()), &Type::TEXT),
            Ok(Cell::Text("民生".into()))
        );
        assert!(convert(ValueRef::Text("{".as_bytes()), &Type::JSONB).is_err());
        assert_eq!(
            convert(ValueRef::Blob(&[0, 1]), &Type::BYTEA),
            Ok(Cell::Bytes(vec![0, 1]))
        );
        assert!(convert(ValueRef::Blob(&[0xff]), &Type::TEXT).is_err());
        assert_eq!(convert(ValueRef::Null, &Type::BOOL), Ok(Cell::Null));
    }

    #[test]
    fn jsonb_goes_out_with_its_version_byte() {
        let mut out = BytesMut::new();
        Cell::Text("{}".into())
            .to_sql(&Type::JSONB, &mut out)
            .unwrap();
        assert_eq!(&out[..], &[1, b'{', b'}']);
    }
}
