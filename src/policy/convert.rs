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

/// How far a decision may nest, and how much it may carry. A value past either is the
/// script's defect: refused here, before it is stored, rendered or hashed (JSON readers stop
/// at 128 levels, so a deeper stored output would read back as a broken chain).
pub const OUTPUT_DEPTH: usize = 32;
pub const OUTPUT_BYTES: usize = 256 * 1024;

struct Walk<'a> {
    provisional: &'a mut bool,
    bytes: usize,
}

/// Converts a hook's return value to JSON; `path` names the position for error messages.
pub fn to_json(value: &Dynamic, path: &str, provisional: &mut bool) -> Result<Value, String> {
    let mut walk = Walk {
        provisional,
        bytes: 0,
    };
    walk.value(value, path, 0)
}

fn named(path: &str) -> &str {
    if path.is_empty() { "(result)" } else { path }
}

impl Walk<'_> {
    fn count(&mut self, bytes: usize, path: &str) -> Result<(), String> {
        self.bytes += bytes;
        if self.bytes > OUTPUT_BYTES {
            return Err(format!(
                "the decision is larger than {} KiB at `{}`; hint: return ids and rule ids, not data",
                OUTPUT_BYTES / 1024,
                named(path)
            ));
        }
        Ok(())
    }

    fn value(&mut self, value: &Dynamic, path: &str, depth: usize) -> Result<Value, String> {
        if depth > OUTPUT_DEPTH {
            return Err(format!(
                "`{}` is nested deeper than {OUTPUT_DEPTH} levels; hint: a decision is a few flat maps and lists",
                named(path)
            ));
        }
        self.count(8, path)?;
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
            let text = value.to_string();
            self.count(text.len(), path)?;
            return Ok(Value::String(text));
        }
        if let Some(instant) = value.read_lock::<Instant>() {
            *self.provisional |= instant.provisional;
            return Ok(Value::String(instant.rfc3339()));
        }
        if let Some(items) = value.read_lock::<Array>() {
            return items
                .iter()
                .enumerate()
                .map(|(i, item)| self.value(item, &format!("{path}[{i}]"), depth + 1))
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
                self.count(k.len(), &child)?;
                object.insert(k.to_string(), self.value(v, &child, depth + 1)?);
            }
            return Ok(Value::Object(object));
        }
        Err(format!(
            "`{}` holds a value of type `{}`, which a decision cannot carry",
            named(path),
            value.type_name()
        ))
    }
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
    fn deep_or_huge_outputs_are_refused_by_position() {
        let mut deep = Dynamic::from_array(vec![]);
        for _ in 0..40 {
            deep = Dynamic::from_array(vec![deep]);
        }
        let mut out = Map::new();
        out.insert("lead".into(), deep);
        let mut provisional = false;
        let err = to_json(&Dynamic::from_map(out), "", &mut provisional).unwrap_err();
        assert!(err.contains("nested deeper than 32 levels"), "{err}");
        assert!(err.starts_with("`lead[0]"), "{err}");

        let big: Array = (0..100).map(|_| Dynamic::from("十".repeat(1000))).collect();
        let err = to_json(&Dynamic::from_array(big), "", &mut provisional).unwrap_err();
        assert!(err.contains("larger than 256 KiB"), "{err}");
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
