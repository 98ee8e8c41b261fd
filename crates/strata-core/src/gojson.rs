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

/// Where a value sits in the daemon's `image.Image` struct, for the integer fields Go's decoder
/// checks (`Size`, `StopTimeout`, the health-check durations and retries).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Image,
    Config,
    Health,
    Int {
        owner: &'static str,
        go_type: &'static str,
    },
    Other,
}

fn child(slot: Slot, key: &str) -> (Slot, &'static str) {
    let pick = |names: &[(&'static str, Slot)]| {
        names
            .iter()
            .find(|(n, _)| key == *n || key_matches(key, n))
            .map_or((Slot::Other, ""), |(n, s)| (*s, *n))
    };
    let int = |owner, go_type| Slot::Int { owner, go_type };
    match slot {
        Slot::Image => pick(&[
            ("config", Slot::Config),
            ("container_config", Slot::Config),
            ("Size", int("Image", "int64")),
        ]),
        Slot::Config => pick(&[
            ("Healthcheck", Slot::Health),
            ("StopTimeout", int("Config", "int")),
        ]),
        Slot::Health => pick(&[
            ("Interval", int("HealthConfig", "time.Duration")),
            ("Timeout", int("HealthConfig", "time.Duration")),
            ("StartPeriod", int("HealthConfig", "time.Duration")),
            ("StartInterval", int("HealthConfig", "time.Duration")),
            ("Retries", int("HealthConfig", "int")),
        ]),
        Slot::Int { .. } | Slot::Other => (Slot::Other, ""),
    }
}

struct IntCheck<'a> {
    b: &'a [u8],
    i: usize,
    path: Vec<&'static str>,
    error: Option<String>,
}

impl IntCheck<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn string(&mut self) -> &[u8] {
        let start = self.i;
        self.i += 1;
        while self.i < self.b.len() && self.b[self.i] != b'"' {
            if self.b[self.i] == b'\\' {
                self.i += 1;
            }
            self.i += 1;
        }
        self.i = (self.i + 1).min(self.b.len());
        &self.b[start..self.i]
    }

    fn fail(&mut self, what: &str, slot: Slot) {
        if let (None, Slot::Int { owner, go_type }) = (&self.error, slot) {
            self.error = Some(format!(
                "json: cannot unmarshal {what} into Go struct field {owner}.{} of type {go_type}",
                self.path.join(".")
            ));
        }
    }

    fn value(&mut self, slot: Slot, depth: usize) {
        self.ws();
        let Some(&c) = self.b.get(self.i) else { return };
        match c {
            b'{' => {
                self.fail("object", slot);
                self.i += 1;
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b'"') => {}
                        Some(b',') => {
                            self.i += 1;
                            continue;
                        }
                        _ => {
                            self.i += 1;
                            return;
                        }
                    }
                    let raw = self.string().to_vec();
                    let key: String = serde_json::from_slice(&raw).unwrap_or_default();
                    self.ws();
                    self.i += 1; // ':'
                    let (next, name) = if depth < 8 {
                        child(slot, &key)
                    } else {
                        (Slot::Other, "")
                    };
                    let named = next != Slot::Other;
                    if named {
                        self.path.push(name);
                    }
                    self.value(next, depth + 1);
                    if named {
                        self.path.pop();
                    }
                }
            }
            b'[' => {
                self.fail("array", slot);
                self.i += 1;
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b']') | None => {
                            self.i += 1;
                            return;
                        }
                        Some(b',') => self.i += 1,
                        _ => self.value(Slot::Other, depth + 1),
                    }
                }
            }
            b'"' => {
                self.string();
                self.fail("string", slot);
            }
            b't' | b'f' | b'n' => {
                let start = self.i;
                while self.i < self.b.len() && self.b[self.i].is_ascii_alphabetic() {
                    self.i += 1;
                }
                if c != b'n' {
                    self.fail("bool", slot);
                }
                let _ = start;
            }
            _ => {
                let start = self.i;
                while self.i < self.b.len()
                    && matches!(
                        self.b[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                let lit = String::from_utf8_lossy(&self.b[start..self.i]).into_owned();
                if matches!(slot, Slot::Int { .. }) && lit.parse::<i64>().is_err() {
                    self.fail(&format!("number {lit}"), slot);
                }
                if self.i == start {
                    self.i += 1;
                }
            }
        }
    }
}

/// Go's check of an image config's integer fields as the daemon decodes them (`Size`,
/// `StopTimeout`, health-check durations and retries): a fraction, an exponent, an integer out
/// of range or a value of another kind fails with Go's message, the first one found. Call it
/// on JSON that already parsed.
pub fn check_int_fields(bytes: &[u8]) -> Result<(), String> {
    let mut c = IntCheck {
        b: bytes,
        i: 0,
        path: Vec::new(),
        error: None,
    };
    c.value(Slot::Image, 0);
    c.error.map_or(Ok(()), Err)
}

/// Go's `%q` (strconv.Quote).
pub use gostrconv::quote;

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

    #[test]
    fn integer_fields_fail_as_go_fails() {
        // Texts from `docker load` on the 20.10 daemon here.
        let cases = [
            (
                r#"{"config":{"Healthcheck":{"Interval":100.0}}}"#,
                Some(
                    "json: cannot unmarshal number 100.0 into Go struct field HealthConfig.config.Healthcheck.Interval of type time.Duration",
                ),
            ),
            (
                r#"{"Size":1.5}"#,
                Some(
                    "json: cannot unmarshal number 1.5 into Go struct field Image.Size of type int64",
                ),
            ),
            (
                r#"{"container_config":{"Healthcheck":{"Retries":2.0}}}"#,
                Some(
                    "json: cannot unmarshal number 2.0 into Go struct field HealthConfig.container_config.Healthcheck.Retries of type int",
                ),
            ),
            (
                r#"{"config":{"StopTimeout":99999999999999999999}}"#,
                Some(
                    "json: cannot unmarshal number 99999999999999999999 into Go struct field Config.config.StopTimeout of type int",
                ),
            ),
            (
                r#"{"config":{"stoptimeout":1.5,"StopTimeout":1}}"#,
                Some(
                    "json: cannot unmarshal number 1.5 into Go struct field Config.config.StopTimeout of type int",
                ),
            ),
            (
                r#"{"CONFIG":{"HEALTHCHECK":{"INTERVAL":1E3}}}"#,
                Some(
                    "json: cannot unmarshal number 1E3 into Go struct field HealthConfig.config.Healthcheck.Interval of type time.Duration",
                ),
            ),
            (r#"{"config":{"Healthcheck":{"Timeout":-0}},"x":1.5}"#, None),
            (
                r#"{"config":{"Healthcheck":{"Interval":12345000000000000}}}"#,
                None,
            ),
        ];
        for (json, want) in cases {
            assert_eq!(
                check_int_fields(json.as_bytes()).err().as_deref(),
                want,
                "{json}"
            );
        }
    }
}
