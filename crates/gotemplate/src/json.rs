//! Go `encoding/json` encoding (as docker's `json` template function uses it: `SetEscapeHTML(false)`).

use super::gofmt::format_float;
use super::value::Value;

/// Appends `s` as a JSON string the way the CLI's Go 1.24 encoder does with HTML escaping off.
pub(crate) fn write_string(out: &mut String, s: &str) {
    write_string_with(out, s, false, true);
}

/// Writes `s` as a Go JSON string literal; `named_bf` writes `\b` and `\f` as Go 1.22+ does
/// (the docker CLI 28's own encoder), instead of `\u0008` and `\u000c`.
pub fn write_string_with(out: &mut String, s: &str, escape_html: bool, named_bf: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\u{8}' if named_bf => out.push_str("\\b"),
            '\u{c}' if named_bf => out.push_str("\\f"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if escape_html => {
                out.push_str(&format!("\\u00{:02x}", c as u32));
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_float(out: &mut String, f: f64) -> Option<()> {
    if !f.is_finite() {
        return None;
    }
    let abs = f.abs();
    let exp_form = abs != 0.0 && !(1e-6..1e21).contains(&abs);
    let mut s = format_float(f, if exp_form { 'e' } else { 'f' }, -1);
    if exp_form {
        // Clean up e-09 to e-9.
        let b = s.as_bytes();
        let n = b.len();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            s.remove(n - 2);
        }
    }
    out.push_str(&s);
    Some(())
}

fn write_value(out: &mut String, v: &Value) -> Option<()> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Uint(u) => out.push_str(&u.to_string()),
        Value::Float(f) => write_float(out, *f)?,
        Value::String(s) => write_string(out, s),
        Value::List(None) | Value::Map(None) => out.push_str("null"),
        Value::List(Some(items)) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Map(Some(m)) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, item)?;
            }
            out.push('}');
        }
        Value::Struct(s) => {
            if let Some(j) = &s.json {
                out.push_str(j);
            } else {
                out.push('{');
                for (i, (k, item)) in s.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, k);
                    out.push(':');
                    write_value(out, item)?;
                }
                out.push('}');
            }
        }
    }
    Some(())
}

/// Encodes `v` as compact JSON; `None` when Go's encoder would fail (NaN or infinite floats).
pub(crate) fn encode(v: &Value) -> Option<String> {
    let mut out = String::new();
    write_value(&mut out, v)?;
    Some(out)
}
