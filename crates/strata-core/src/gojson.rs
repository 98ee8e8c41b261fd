//! Reading JSON the way Go's `encoding/json` fills a struct: keys are applied in document
//! order, and a field takes the value of the last key that matches its name exactly or with
//! Unicode case folding. Docker parses image configs this way, so `"Created"` and `"created"`
//! both set the creation time, and of `"user":"x","User":"nobody","user":"root"` the last wins.

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Go's `EqualFold` of a JSON key against an ASCII field name: ASCII case is ignored, and
/// the two non-ASCII runes that fold onto ASCII letters (`ſ` onto s, the Kelvin sign onto k)
/// match them too.
pub fn key_matches(key: &str, field: &str) -> bool {
    let mut f = field.chars();
    for c in key.chars() {
        let Some(want) = f.next() else { return false };
        let ok = c.eq_ignore_ascii_case(&want)
            || (c == '\u{17F}' && want.eq_ignore_ascii_case(&'s'))
            || (c == '\u{212A}' && want.eq_ignore_ascii_case(&'k'));
        if !ok {
            return false;
        }
    }
    f.next().is_none()
}

/// The value Go's decoder would store in the struct field `name`.
pub fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let mut found = None;
    for (k, v) in obj {
        if k == name || key_matches(k, name) {
            found = Some(v);
        }
    }
    found
}

/// Parses JSON keeping Go's order of application: a key that appears again moves to the
/// end of its object (with its last value), so [`field`]'s "last match wins" is the last
/// match in the document.
pub fn parse(bytes: &[u8]) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = de.deserialize_any(GoVisitor)?;
    de.end()?;
    Ok(v)
}

struct GoVisitor;

impl<'de> Visitor<'de> for GoVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element_seed(GoSeed)? {
            v.push(x);
        }
        Ok(Value::Array(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(GoSeed)?;
            m.shift_remove(&k);
            m.insert(k, v);
        }
        Ok(Value::Object(m))
    }
}

struct GoSeed;

impl<'de> serde::de::DeserializeSeed<'de> for GoSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(GoVisitor)
    }
}

/// Like [`field`], on any value (absent unless it is an object).
pub fn get<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object().and_then(|o| field(o, name))
}

/// A string field; JSON `null` or absence gives `None`.
pub fn get_str<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    get(v, name).and_then(Value::as_str)
}

/// Go's `%q` (strconv.Quote) for printable text: escapes, `\xNN` and `\uNNNN` for the rest.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_key_in_the_document_wins() {
        let v = parse(br#"{"user":"x","User":"nobody","user":"root","Env":["A=1"]}"#).unwrap();
        assert_eq!(get_str(&v, "User"), Some("root"));
        let v = parse(br#"{"User":"nobody","user":"root","USER":"app"}"#).unwrap();
        assert_eq!(get_str(&v, "User"), Some("app"));
        // Nested objects too.
        let v = parse(br#"{"config":{"User":"a","user":"b"},"Config":{"User":"c"}}"#).unwrap();
        assert_eq!(
            get(&v, "config").and_then(|c| get_str(c, "User")),
            Some("c")
        );
    }

    #[test]
    fn unicode_folding_as_go() {
        assert!(key_matches("uſer", "User"));
        assert!(key_matches("\u{212A}ey", "Key"));
        assert!(!key_matches("usr", "User"));
        assert!(!key_matches("users", "User"));
    }
}
