//! Reading the engines' `--stats-json` objects, which the harness stores as opaque JSON.
//!
//! The engines own their statistics' shape, so the report looks for meaning by key rather than
//! by a fixed structure:
//! - compile time: the first number whose key mentions `compile` and ends in a time unit
//!   (`_ns`, `_us`, `_ms`, `_s`, `_nanos`, `_micros`, `_millis`, `_secs`, `_seconds`), at any
//!   depth, e.g. `{"compile_time_ns": 123}` or `{"jit": {"compile_us": 4}}`;
//! - KVM exits by reason: an object under a key mentioning `exit` whose values are counts,
//!   e.g. `{"exits": {"io": 40, "hlt": 1}}`, or a list of `{"reason": .., "count": ..}`.

use serde_json::Value;

const UNITS: &[(&str, f64)] = &[
    ("_nanos", 1.0),
    ("_ns", 1.0),
    ("_micros", 1e3),
    ("_us", 1e3),
    ("_millis", 1e6),
    ("_ms", 1e6),
    ("_seconds", 1e9),
    ("_secs", 1e9),
    ("_s", 1e9),
];

/// Compile time in nanoseconds found in an engine statistics object.
pub fn compile_time_ns(stats: &Value) -> Option<f64> {
    match stats {
        Value::Object(map) => {
            for (k, v) in map {
                let key = k.to_ascii_lowercase();
                if key.contains("compile")
                    && let Some(x) = v.as_f64()
                    && let Some((_, scale)) = UNITS.iter().find(|(u, _)| key.ends_with(u))
                {
                    return Some(x * scale);
                }
            }
            map.values().find_map(compile_time_ns)
        }
        _ => None,
    }
}

/// VM exits by reason, sorted by reason, found in an engine statistics object.
pub fn exits_by_reason(stats: &Value) -> Option<Vec<(String, f64)>> {
    let Value::Object(map) = stats else {
        return None;
    };
    for (k, v) in map {
        if !k.to_ascii_lowercase().contains("exit") {
            continue;
        }
        let mut out: Vec<(String, f64)> = match v {
            Value::Object(m) => m
                .iter()
                .filter_map(|(r, c)| c.as_f64().map(|c| (r.clone(), c)))
                .collect(),
            Value::Array(a) => a
                .iter()
                .filter_map(|e| {
                    Some((
                        e.get("reason")?.as_str()?.to_string(),
                        e.get("count")?.as_f64()?,
                    ))
                })
                .collect(),
            _ => continue,
        };
        if !out.is_empty() {
            out.sort_by(|a, b| a.0.cmp(&b.0));
            return Some(out);
        }
    }
    map.values().find_map(exits_by_reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_compile_time_in_any_unit_and_depth() {
        assert_eq!(
            compile_time_ns(&json!({"compile_time_ns": 1500})),
            Some(1500.0)
        );
        assert_eq!(
            compile_time_ns(&json!({"jit": {"compile_us": 4}})),
            Some(4000.0)
        );
        assert_eq!(compile_time_ns(&json!({"compile_seconds": 0.5})), Some(5e8));
        assert_eq!(compile_time_ns(&json!({"blocks_compiled": 12})), None);
        assert_eq!(compile_time_ns(&json!({"wall_ns": 12})), None);
    }

    #[test]
    fn finds_exits_as_map_or_list() {
        let m =
            exits_by_reason(&json!({"backend": "kvm_pvm", "exits": {"io": 3, "hlt": 1}})).unwrap();
        assert_eq!(m, vec![("hlt".to_string(), 1.0), ("io".to_string(), 3.0)]);
        let l = exits_by_reason(&json!({"vm": {"exit_reasons": [{"reason": "io", "count": 7}]}}))
            .unwrap();
        assert_eq!(l, vec![("io".to_string(), 7.0)]);
        assert!(exits_by_reason(&json!({"exit_code": 0})).is_none());
    }
}
