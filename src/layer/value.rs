//! Typed property values and their conversion from OGR fields.
//!
//! Every kept property has a configured [`PropType`]; a source value that cannot be converted
//! becomes [`Value::Null`] and is counted in the layer's load report, never silently dropped.

use std::sync::Arc;

use gdal::vector::FieldValue;
use serde::Serialize;

use crate::config::PropType;

/// One property value of a feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// Missing or unconvertible.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// UTF-8 text, shared with every other row holding the same text in its column.
    String(Arc<str>),
}

impl Value {
    /// The value as a key for joins and equality filters: text as is, numbers in their
    /// shortest decimal form, `None` for null.
    pub fn as_key(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::String(s) => Some(s.to_string()),
        }
    }
}

/// A source value that does not fit the configured type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unconvertible;

/// Converts an OGR field value to the configured type. Null stays null; an empty string is null
/// for every type but `string`.
///
/// # Errors
/// When the value cannot represent the type (text that is no number, a fraction for an int…).
pub fn convert(field: Option<&FieldValue>, ty: PropType) -> Result<Value, Unconvertible> {
    let Some(field) = field else {
        return Ok(Value::Null);
    };
    match (field, ty) {
        (FieldValue::StringValue(s), ty) => from_text(s, ty),
        (FieldValue::IntegerValue(i), ty) => from_int(i64::from(*i), ty),
        (FieldValue::Integer64Value(i), ty) => from_int(*i, ty),
        (FieldValue::RealValue(f), PropType::Float) => finite(*f),
        (FieldValue::RealValue(f), PropType::Int) => float_to_int(*f),
        (FieldValue::RealValue(f), PropType::String) => Ok(Value::String(f.to_string().into())),
        (FieldValue::RealValue(f), PropType::Bool) => {
            from_int_exact(*f).and_then(|i| from_int(i, ty))
        }
        (FieldValue::DateValue(d), PropType::String) => Ok(Value::String(d.to_string().into())),
        (FieldValue::DateTimeValue(d), PropType::String) => Ok(Value::String(d.to_string().into())),
        (FieldValue::StringListValue(l), PropType::String) => Ok(Value::String(l.join(",").into())),
        _ => Err(Unconvertible),
    }
}

fn finite(f: f64) -> Result<Value, Unconvertible> {
    if f.is_finite() {
        Ok(Value::Float(f))
    } else {
        Err(Unconvertible)
    }
}

fn from_int_exact(f: f64) -> Result<i64, Unconvertible> {
    // 2^63 is exactly representable; anything at or beyond it does not fit an i64.
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.223_372_036_854_776e18 {
        Ok(f as i64)
    } else {
        Err(Unconvertible)
    }
}

fn float_to_int(f: f64) -> Result<Value, Unconvertible> {
    from_int_exact(f).map(Value::Int)
}

fn from_int(i: i64, ty: PropType) -> Result<Value, Unconvertible> {
    match ty {
        PropType::Int => Ok(Value::Int(i)),
        PropType::Float => Ok(Value::Float(i as f64)),
        PropType::String => Ok(Value::String(i.to_string().into())),
        PropType::Bool => match i {
            0 => Ok(Value::Bool(false)),
            1 => Ok(Value::Bool(true)),
            _ => Err(Unconvertible),
        },
    }
}

/// Converts text (CSV cells, string fields) to the configured type.
///
/// Numbers accept surrounding spaces and a decimal comma (`12,5`), as French files write them.
///
/// # Errors
/// When the text does not spell a value of the type.
pub fn from_text(s: &str, ty: PropType) -> Result<Value, Unconvertible> {
    if ty == PropType::String {
        return Ok(Value::String(s.into()));
    }
    let t = s.trim();
    if t.is_empty() {
        return Ok(Value::Null);
    }
    match ty {
        PropType::String => Ok(Value::String(s.into())),
        PropType::Int => match t.parse::<i64>() {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => parse_float(t).and_then(float_to_int),
        },
        PropType::Float => parse_float(t).and_then(finite),
        PropType::Bool => match t.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "oui" | "o" | "yes" | "y" | "vrai" => Ok(Value::Bool(true)),
            "false" | "f" | "0" | "non" | "n" | "no" | "faux" => Ok(Value::Bool(false)),
            _ => Err(Unconvertible),
        },
    }
}

/// Parses a decimal number written with a point or a comma.
///
/// # Errors
/// When the text is no finite number.
pub fn parse_float(t: &str) -> Result<f64, Unconvertible> {
    let t = t.trim();
    let parsed = if t.contains(',') && !t.contains('.') {
        t.replace(',', ".").parse::<f64>()
    } else {
        t.parse::<f64>()
    };
    match parsed {
        Ok(f) if f.is_finite() => Ok(f),
        _ => Err(Unconvertible),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_conversions() {
        assert_eq!(
            from_text("01004", PropType::String),
            Ok(Value::String("01004".into()))
        );
        assert_eq!(from_text(" 42 ", PropType::Int), Ok(Value::Int(42)));
        assert_eq!(from_text("42.0", PropType::Int), Ok(Value::Int(42)));
        assert_eq!(from_text("42.5", PropType::Int), Err(Unconvertible));
        assert_eq!(from_text("12,5", PropType::Float), Ok(Value::Float(12.5)));
        assert_eq!(from_text("", PropType::Float), Ok(Value::Null));
        assert_eq!(from_text("abc", PropType::Float), Err(Unconvertible));
        assert_eq!(from_text("inf", PropType::Float), Err(Unconvertible));
        assert_eq!(from_text("Oui", PropType::Bool), Ok(Value::Bool(true)));
        assert_eq!(from_text("2", PropType::Bool), Err(Unconvertible));
    }

    #[test]
    fn field_conversions() {
        assert_eq!(convert(None, PropType::Int), Ok(Value::Null));
        assert_eq!(
            convert(Some(&FieldValue::IntegerValue(7)), PropType::Float),
            Ok(Value::Float(7.0))
        );
        assert_eq!(
            convert(Some(&FieldValue::RealValue(3.0)), PropType::Int),
            Ok(Value::Int(3))
        );
        assert_eq!(
            convert(Some(&FieldValue::RealValue(1e300)), PropType::Int),
            Err(Unconvertible)
        );
        assert_eq!(
            convert(Some(&FieldValue::Integer64Value(62498)), PropType::String),
            Ok(Value::String("62498".into()))
        );
    }

    proptest! {
        #[test]
        fn text_conversion_never_panics(s in ".{0,32}") {
            for ty in [PropType::String, PropType::Int, PropType::Float, PropType::Bool] {
                let _ = from_text(&s, ty);
            }
        }

        #[test]
        fn ints_round_trip_through_text(i in any::<i64>()) {
            prop_assert_eq!(from_text(&i.to_string(), PropType::Int), Ok(Value::Int(i)));
        }
    }
}
