//! JSON ↔ Rhai values at the hook boundary.
//!
//! Inputs: every field named `at`, `until`, `due`, `now` or `*_at`, and every entry of a
//! `deadlines` map, becomes an `Instant` in the jurisdiction's timezone. Outputs: an `Instant` becomes its
//! RFC 3339 text, and any provisional one marks the decision provisional.

use chrono::{DateTime, FixedOffset};
use rhai::{Array, Dynamic, Map};
use serde_json::{Number, Value};

use super::instant::Instant;

fn is_instant_field(key: Option<&str>, parent: Option<&str>) -> bool {
    parent == Some("deadlines")
        || matches!(key, Some(k) if matches!(k, "at" | "until" | "due" | "now") || k.ends_with("_at"))
}

pub fn to_dynamic(value: &Value, offset: FixedOffset) -> Dynamic {
    convert_in(value, None, None, offset)
}

fn convert_in(
    value: &Value,
    key: Option<&str>,
    parent: Option<&str>,
    offset: FixedOffset,
) -> Dynamic {
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => {
            if is_instant_field(key, parent)
                && let Ok(at) = DateTime::parse_from_rfc3339(s)
            {
                return Dynamic::from(Instant::exact(at.with_timezone(&offset)));
            }
            Dynamic::from(s.clone())
        }
        Value::Array(items) => Dynamic::from_array(
            items
                .iter()
                .map(|v| convert_in(v, None, key, offset))
                .collect::<Array>(),
        ),
        Value::Object(fields) => {
            let mut map = Map::new();
            for (k, v) in fields {
                map.insert(k.as_str().into(), convert_in(v, Some(k), key, offset));
            }
            Dynamic::from_map(map)
        }
    }
}

/// Converts a hook's return value to JSON; `path` names the position for error messages.
pub fn to_json(value: &Dynamic, path: &str, provisional: &mut bool) -> Result<Value, String> {
    if value.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = value.as_int() {
        return Ok(Value::from(i));
    }
    if let Ok(f) = value.as_float() {
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("`{path}` is not a finite number"));
    }
    if value.is_string() || value.is_char() {
        return Ok(Value::String(value.to_string()));
    }
    if let Some(instant) = value.read_lock::<Instant>() {
        *provisional |= instant.provisional;
        return Ok(Value::String(instant.rfc3339()));
    }
    if let Some(items) = value.read_lock::<Array>() {
        return items
            .iter()
            .enumerate()
            .map(|(i, item)| to_json(item, &format!("{path}[{i}]"), provisional))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    if let Some(fields) = value.read_lock::<Map>() {
        let mut object = serde_json::Map::new();
        for (k, v) in fields.iter() {
            let child = if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            };
            object.insert(k.to_string(), to_json(v, &child, provisional)?);
        }
        return Ok(Value::Object(object));
    }
    Err(format!(
        "`{}` holds a value of type `{}`, which a decision cannot carry",
        if path.is_empty() { "(result)" } else { path },
        value.type_name()
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn instants_cross_the_boundary_in_the_jurisdiction_timezone() {
        let offset: FixedOffset = "+08:00".parse().unwrap();
        let input = json!({"received_at": "2025-09-30T02:00:00Z", "topic": "noise",
                           "deadlines": {"resolve": "2025-10-10T10:00:00+08:00"}});
        let dynamic = to_dynamic(&input, offset);
        let map = dynamic.read_lock::<Map>().unwrap();
        let received = map["received_at"].read_lock::<Instant>().unwrap();
        assert_eq!(received.rfc3339(), "2025-09-30T10:00:00+08:00");
        assert!(map["topic"].is_string());
        let deadlines = map["deadlines"].read_lock::<Map>().unwrap();
        assert!(deadlines["resolve"].read_lock::<Instant>().is_some());
    }

    #[test]
    fn outputs_round_trip_and_carry_provisional() {
        let offset: FixedOffset = "+08:00".parse().unwrap();
        let mut out = Map::new();
        let at = DateTime::parse_from_rfc3339("2027-01-05T09:00:00+08:00").unwrap();
        out.insert(
            "resolve".into(),
            Dynamic::from(Instant {
                at,
                provisional: true,
            }),
        );
        out.insert("cite".into(), Dynamic::from_array(vec!["AS-2.1".into()]));
        let mut provisional = false;
        let json = to_json(&Dynamic::from_map(out), "", &mut provisional).unwrap();
        assert!(provisional);
        assert_eq!(
            json,
            json!({"resolve": "2027-01-05T09:00:00+08:00", "cite": ["AS-2.1"]})
        );
        let back = to_dynamic(&json!({"n": 3, "x": 1.5, "b": true, "z": null}), offset);
        let json = to_json(&back, "", &mut provisional).unwrap();
        assert_eq!(json, json!({"n": 3, "x": 1.5, "b": true, "z": null}));
    }

    #[test]
    fn foreign_types_are_named_in_the_error() {
        let mut provisional = false;
        let err = to_json(
            &Dynamic::from(std::time::Duration::ZERO),
            "lead",
            &mut provisional,
        )
        .unwrap_err();
        assert!(err.contains("`lead`"), "{err}");
    }
}
