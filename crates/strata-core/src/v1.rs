//! Images in the pre-1.10 `docker save` layout (no `manifest.json`): a `repositories` file
//! naming v1 image IDs, and per v1 image a directory with its `json` and `layer.tar`, each
//! naming its `parent`. `docker load` still reads them (moby `legacyLoad`): it builds an image
//! config per v1 image from the v1 JSON (`MakeConfigFromV1Config`), with the diff IDs of the
//! chain's layers and one history entry per v1 image (`HistoryFromConfig`). This module does
//! the same, byte for byte, so the image IDs are Docker's.

use std::collections::BTreeMap;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::ContainerConfig;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::gojson;

/// Go's `json.Compact` with HTML escaping, as `json.Marshal` writes a `json.RawMessage`.
pub fn go_compact(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_str = false;
    let mut esc = false;
    for c in raw.chars() {
        if in_str {
            match c {
                '<' => out.push_str("\\u003c"),
                '>' => out.push_str("\\u003e"),
                '&' => out.push_str("\\u0026"),
                '\u{2028}' => out.push_str("\\u2028"),
                '\u{2029}' => out.push_str("\\u2029"),
                _ => out.push(c),
            }
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

/// A JSON string as Go's `json.Marshal` writes it (HTML-escaped).
fn go_string(s: &str) -> String {
    go_compact(&Value::String(s.to_string()).to_string())
}

/// Go's `time.Time` JSON round trip: RFC 3339 in, RFC 3339 with nanoseconds (trailing zeros
/// trimmed, `Z` for a zero offset) out; anything unparsable is the zero time.
pub fn go_time(s: Option<&str>) -> String {
    const ZERO: &str = "0001-01-01T00:00:00Z";
    let Some(s) = s else {
        return ZERO.into();
    };
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' || jiff::Timestamp::from_str_checked(s).is_none() {
        return ZERO.into();
    }
    let (head, rest) = s.split_at(19);
    let (frac, zone) = match rest.strip_prefix('.') {
        Some(r) => {
            let n = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            (r[..n].trim_end_matches('0'), &r[n..])
        }
        None => ("", rest),
    };
    let zone = match zone {
        "Z" | "z" | "+00:00" | "-00:00" => "Z",
        z => z,
    };
    if frac.is_empty() {
        format!("{head}{zone}")
    } else {
        format!("{head}.{frac}{zone}")
    }
}

trait TimestampExt {
    fn from_str_checked(s: &str) -> Option<jiff::Timestamp>;
}

impl TimestampExt for jiff::Timestamp {
    fn from_str_checked(s: &str) -> Option<jiff::Timestamp> {
        s.parse().ok()
    }
}

/// Docker's `versions.LessThan`: dotted numbers, a part that is not a number counting as 0.
pub fn version_less(a: &str, b: &str) -> bool {
    if a == b {
        return false;
    }
    let (x, y): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..x.len().max(y.len()) {
        let n = |v: &Vec<&str>| v.get(i).and_then(|p| p.parse::<i64>().ok()).unwrap_or(0);
        let (p, q) = (n(&x), n(&y));
        if p != q {
            return p < q;
        }
    }
    false
}

/// `container.Config` re-marshalled from whatever JSON the v1 file held (Go's decoder turns
/// anything it cannot store into the zero value).
fn container_config(v: Option<&Value>) -> String {
    let c = v.map(ContainerConfig::decode).unwrap_or_default();
    go_compact(&c.to_json().to_string())
}

/// moby's `image.V1Image` re-marshalled: what `MakeConfigFromV1Config` does to JSON written by
/// Docker older than 1.8.3.
fn v1_image_json(v: &Value) -> String {
    let s = |k: &str| gojson::get_str(v, k).unwrap_or("");
    let mut f: Vec<String> = Vec::new();
    let opt_str = |f: &mut Vec<String>, k: &str, name: &str| {
        if !s(name).is_empty() {
            f.push(format!("\"{k}\":{}", go_string(s(name))));
        }
    };
    opt_str(&mut f, "id", "id");
    opt_str(&mut f, "parent", "parent");
    opt_str(&mut f, "comment", "comment");
    f.push(format!(
        "\"created\":\"{}\"",
        go_time(gojson::get_str(v, "created"))
    ));
    opt_str(&mut f, "container", "container");
    f.push(format!(
        "\"container_config\":{}",
        container_config(gojson::get(v, "container_config"))
    ));
    opt_str(&mut f, "docker_version", "docker_version");
    opt_str(&mut f, "author", "author");
    if let Some(c) = gojson::get(v, "config").filter(|c| !c.is_null()) {
        f.push(format!("\"config\":{}", container_config(Some(c))));
    }
    opt_str(&mut f, "architecture", "architecture");
    opt_str(&mut f, "variant", "variant");
    opt_str(&mut f, "os", "os");
    if let Some(n) = gojson::get(v, "Size")
        .and_then(Value::as_i64)
        .filter(|n| *n != 0)
    {
        f.push(format!("\"Size\":{n}"));
    }
    format!("{{{}}}", f.join(","))
}

/// One `history` entry, as `HistoryFromConfig` makes it from a v1 JSON.
pub fn history_entry(v: &Value) -> String {
    let s = |k: &str| gojson::get_str(v, k).unwrap_or("").to_string();
    let created_by = gojson::get(v, "container_config")
        .and_then(|c| gojson::get(c, "Cmd"))
        .map(|cmd| match cmd {
            Value::Array(a) => a
                .iter()
                .map(|x| x.as_str().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" "),
            Value::String(s) => s.clone(),
            _ => String::new(),
        })
        .unwrap_or_default();
    let mut f = vec![format!(
        "\"created\":\"{}\"",
        go_time(gojson::get_str(v, "created"))
    )];
    for (k, val) in [
        ("author", s("author")),
        ("created_by", created_by),
        ("comment", s("comment")),
    ] {
        if !val.is_empty() {
            f.push(format!("\"{k}\":{}", go_string(&val)));
        }
    }
    format!("{{{}}}", f.join(","))
}

/// `MakeConfigFromV1Config`: the image config for a v1 image, given the diff IDs of its chain
/// and the history entries (already JSON) of its chain, base first.
pub fn make_config(v1_json: &[u8], diff_ids: &[Digest], history: &[String]) -> Result<Vec<u8>> {
    let bad = |e: String| Error::malformed("v1 image json", e);
    let parsed: Value = serde_json::from_slice(v1_json).map_err(|e| bad(e.to_string()))?;
    if !parsed.is_object() {
        return Err(bad("not a JSON object".into()));
    }
    let version = gojson::get_str(&parsed, "docker_version").unwrap_or("");
    let source: String = if version_less(version, "1.8.3") {
        v1_image_json(&parsed)
    } else {
        String::from_utf8_lossy(v1_json).into_owned()
    };
    let mut m: BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(&source).map_err(|e| bad(e.to_string()))?;
    for k in ["id", "parent", "Size", "parent_id", "layer_id", "throwaway"] {
        m.remove(k);
    }
    let rootfs = format!(
        "{{\"type\":\"layers\"{}}}",
        if diff_ids.is_empty() {
            String::new()
        } else {
            format!(
                ",\"diff_ids\":[{}]",
                diff_ids
                    .iter()
                    .map(|d| format!("\"{d}\""))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        }
    );
    let history = format!("[{}]", history.join(","));
    let mut out = String::from("{");
    let mut first = true;
    let mut put = |out: &mut String, k: &str, v: &str| {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&go_string(k));
        out.push(':');
        out.push_str(v);
    };
    let mut extra = vec![("history", history), ("rootfs", rootfs)];
    for (k, v) in &m {
        while let Some((ek, ev)) = extra.first().filter(|(ek, _)| *ek < k.as_str()).cloned() {
            put(&mut out, ek, &ev);
            extra.remove(0);
        }
        if extra.first().is_some_and(|(ek, _)| *ek == k.as_str()) {
            continue;
        }
        put(&mut out, k, &go_compact(v.get()));
    }
    for (ek, ev) in extra {
        put(&mut out, ek, &ev);
    }
    out.push('}');
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_times() {
        assert!(version_less("1.8.2", "1.8.3"));
        assert!(version_less("", "1.8.3"));
        assert!(!version_less("1.9.1", "1.8.3"));
        assert!(!version_less("1.10", "1.8.3"));
        assert_eq!(
            go_time(Some("2015-11-01T10:00:00.500Z")),
            "2015-11-01T10:00:00.5Z"
        );
        assert_eq!(
            go_time(Some("2015-11-01T10:00:00+02:00")),
            "2015-11-01T10:00:00+02:00"
        );
        assert_eq!(go_time(None), "0001-01-01T00:00:00Z");
        assert_eq!(
            go_compact("{ \"a\" : \"<x> & y\" }"),
            "{\"a\":\"\\u003cx\\u003e \\u0026 y\"}"
        );
    }
}
