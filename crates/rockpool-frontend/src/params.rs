//! Constructor arguments under Rockpool's names and units, read from a JSON object.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::error::{Result, param_error};

/// Rockpool constructor arguments of one front-end class: a JSON object such as
/// `{"select_filters": [0, 1, 2], "spike_gen_mode": "threshold"}`.
///
/// A block reads each argument it knows with the typed getters (which fall back to Rockpool's
/// default when the argument is absent), then calls [`Params::finish`], which refuses any name
/// it did not read: a misspelt argument is an error, never silently ignored.
#[derive(Debug, Default)]
pub struct Params {
    map: Map<String, Value>,
    // Names read so far (a lock, not a cell, so a front-end module holding its arguments can be
    // shared between threads).
    read: Mutex<BTreeSet<String>>,
}

impl Clone for Params {
    fn clone(&self) -> Self {
        Self {
            map: self.map.clone(),
            read: Mutex::new(self.names_read()),
        }
    }
}

impl Params {
    /// No arguments: every default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The arguments of a JSON object; anything else is an error.
    pub fn from_json(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                read: Mutex::default(),
            }),
            other => Err(format!(
                "front-end parameters must be a JSON object, not {other}"
            )),
        }
    }

    /// Parses a JSON text (the `--params` file).
    pub fn from_json_str(text: &str) -> std::result::Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        Self::from_json(value)
    }

    /// The raw value of `name`, if given (marks it as read).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string());
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// Whether `name` was given (not null).
    pub fn contains(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(|v| !v.is_null())
    }

    /// A finite float argument, or `default`.
    pub fn f64(&self, module: &str, name: &str, default: f64) -> Result<f64> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.as_f64() {
                Some(x) if x.is_finite() => Ok(x),
                _ => Err(param_error(
                    module,
                    name,
                    format!("expected a finite number, got {v}"),
                )),
            },
        }
    }

    /// An integer argument, or `default`.
    pub fn i64(&self, module: &str, name: &str, default: i64) -> Result<i64> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => as_int(v)
                .ok_or_else(|| param_error(module, name, format!("expected an integer, got {v}"))),
        }
    }

    /// A boolean argument, or `default`.
    pub fn bool(&self, module: &str, name: &str, default: bool) -> Result<bool> {
        match self.get(name) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(param_error(
                module,
                name,
                format!("expected true or false, got {v}"),
            )),
        }
    }

    /// A string argument, or `default`.
    pub fn string(&self, module: &str, name: &str, default: &str) -> Result<String> {
        match self.get(name) {
            None => Ok(default.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(param_error(
                module,
                name,
                format!("expected a string, got {v}"),
            )),
        }
    }

    /// A list of integers (a scalar is taken as a list of one), or `None` if absent.
    pub fn i64_list(&self, module: &str, name: &str) -> Result<Option<Vec<i64>>> {
        self.list(module, name, "integers", as_int)
    }

    /// A list of finite floats (a scalar is taken as a list of one), or `None` if absent.
    pub fn f64_list(&self, module: &str, name: &str) -> Result<Option<Vec<f64>>> {
        self.list(module, name, "finite numbers", |x| {
            x.as_f64().filter(|f| f.is_finite())
        })
    }

    /// A list of `what` (a scalar is taken as a list of one), each item read by `item`
    /// (`None`: not one of `what`), or `None` if absent.
    fn list<T>(
        &self,
        module: &str,
        name: &str,
        what: &str,
        item: impl Fn(&Value) -> Option<T>,
    ) -> Result<Option<Vec<T>>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        items
            .into_iter()
            .map(|x| {
                item(x)
                    .ok_or_else(|| param_error(module, name, format!("expected {what}, got {x}")))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    fn names_read(&self) -> BTreeSet<String> {
        self.read.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Refuses every argument that no getter read: `module` does not take it.
    pub fn finish(&self, module: &str) -> Result<()> {
        let read = self.names_read();
        let unknown: Vec<&str> = self
            .map
            .keys()
            .filter(|k| !read.contains(*k))
            .map(String::as_str)
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(param_error(
                module,
                &unknown.join(", "),
                format!("{module} has no such constructor argument"),
            ))
        }
    }
}

/// An integer from a JSON number (an integral float such as `3.0` counts).
fn as_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
            .map(|f| f as i64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_are_refused_and_defaults_apply() {
        let p = Params::from_json_str(r#"{"dt": 0.002, "typo": 1}"#).unwrap();
        assert_eq!(p.f64("M", "dt", 0.001).unwrap(), 0.002);
        assert_eq!(p.i64("M", "bits", 14).unwrap(), 14);
        let err = p.finish("M").unwrap_err().to_string();
        assert!(err.contains("typo"), "{err}");
        assert!(Params::from_json_str("[1]").is_err());
        let q = Params::from_json_str(r#"{"dt": "x"}"#).unwrap();
        assert!(
            q.f64("M", "dt", 0.0)
                .unwrap_err()
                .to_string()
                .contains("`dt`")
        );
    }
}
