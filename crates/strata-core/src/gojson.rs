//! Reading JSON the way Go's `encoding/json` fills a struct: a field takes the value of the
//! last key that matches its name exactly or case-insensitively. Docker parses image configs
//! this way, so `"Created"` and `"created"` both set the creation time.

use serde_json::{Map, Value};

/// The value Go's decoder would store in the struct field `name`.
pub fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let mut found = None;
    for (k, v) in obj {
        if k == name || k.eq_ignore_ascii_case(name) {
            found = Some(v);
        }
    }
    found
}

/// Like [`field`], on any value (absent unless it is an object).
pub fn get<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object().and_then(|o| field(o, name))
}

/// A string field; JSON `null` or absence gives `None`.
pub fn get_str<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    get(v, name).and_then(Value::as_str)
}
