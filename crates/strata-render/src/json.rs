//! JSON text exactly as Go's `encoding/json` writes it.
//!
//! The daemon encodes with HTML escaping off (`<`, `>`, `&` as they are) but always escapes
//! U+2028/U+2029; Go 1.19 (the daemon's) writes `\b` and `\f` as `\u0008` and `\u000c`.
//! `json.Marshal` (the CLI's row `MarshalJSON`) escapes `<`, `>`, `&` as `\u003c`... The
//! docker CLI re-indents the daemon's bytes with `json.Indent(…, "", "    ")`.

use serde_json::Value;

/// Options for [`encode`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Escape `<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026` (Go's default `json.Marshal`).
    pub escape_html: bool,
    /// Indent with this many spaces per level (`None`: compact).
    pub indent: Option<usize>,
}

/// Writes `s` as a Go JSON string literal, as the daemon's Go 1.19 encoder does.
pub fn write_string(out: &mut String, s: &str, escape_html: bool) {
    write_string_with(out, s, escape_html, false);
}

pub use gotemplate::write_json_string as write_string_with;

/// Writes Go string bytes as a JSON string literal, as Go 1.24's encoder does: each byte of
/// invalid UTF-8 becomes `\ufffd`.
pub fn write_string_bytes(out: &mut String, b: &[u8], escape_html: bool) {
    let piece = |out: &mut String, text: &str| {
        let mut one = String::new();
        write_string_with(&mut one, text, escape_html, true);
        out.push_str(&one[1..one.len() - 1]);
    };
    out.push('"');
    let mut rest = b;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(v) => {
                piece(out, v);
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                piece(out, std::str::from_utf8(&rest[..good]).unwrap_or_default());
                out.push_str("\\ufffd");
                rest = &rest[good + 1..];
            }
        }
    }
    out.push('"');
}

/// Go's encoding of a float64 (`bits` 64) or float32 (`bits` 32) value: the shortest digits
/// that read back, `f` form from 1e-6 up to 1e21 and `e` form outside (`1e-7`, `1e+21`);
/// `None` for NaN and infinities, which Go refuses.
pub fn marshal_float(f: f64, bits: u32) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    // The shortest length from Rust; the digits of that length correctly rounded (half to
    // even on the exact value), as Go picks them.
    let sci = if bits == 32 {
        let short = format!("{:e}", f as f32);
        let n = short
            .split('e')
            .next()
            .unwrap_or("")
            .bytes()
            .filter(u8::is_ascii_digit)
            .count();
        format!("{:.*e}", n.saturating_sub(1), f as f32)
    } else {
        let short = format!("{f:e}");
        let n = short
            .split('e')
            .next()
            .unwrap_or("")
            .bytes()
            .filter(u8::is_ascii_digit)
            .count();
        format!("{:.*e}", n.saturating_sub(1), f)
    };
    let (mantissa, exp) = sci.split_once('e')?;
    let exp: i32 = exp.parse().ok()?;
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let abs = f.abs();
    let exp_form = if bits == 32 {
        let a = abs as f32;
        a != 0.0 && !(1e-6..1e21).contains(&a)
    } else {
        abs != 0.0 && !(1e-6..1e21).contains(&abs)
    };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp_form {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        // Go writes at least two exponent digits, then JSON drops the 0 of e-07.
        let e = exp.unsigned_abs();
        if e < 10 && exp > 0 {
            out.push('0');
        }
        out.push_str(&e.to_string());
        return Some(out);
    }
    let dp = exp + 1;
    if dp <= 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-dp) as usize));
        out.push_str(&digits);
    } else if dp as usize >= digits.len() {
        out.push_str(&digits);
        out.push_str(&"0".repeat(dp as usize - digits.len()));
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
    Some(out)
}

/// What the docker CLI's formatter contexts marshal to: `json.Marshal` of a map of string
/// fields, so keys sorted and `<`, `>`, `&` escaped.
pub fn marshal_context(fields: &[(&str, String)]) -> String {
    let sorted: std::collections::BTreeMap<&str, &String> =
        fields.iter().map(|(k, v)| (*k, v)).collect();
    let mut json = String::from("{");
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        write_string(&mut json, k, true);
        json.push(':');
        write_string(&mut json, v, true);
    }
    json.push('}');
    json
}

/// Encodes a value (object key order as stored) in Go's style.
pub fn encode(v: &Value, style: Style) -> String {
    let mut out = String::new();
    write_value(&mut out, v, style, 0);
    out
}

fn newline(out: &mut String, style: Style, depth: usize) {
    if let Some(n) = style.indent {
        out.push('\n');
        for _ in 0..n * depth {
            out.push(' ');
        }
    }
}

fn write_value(out: &mut String, v: &Value, style: Style, depth: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s, style.escape_html),
        Value::Array(a) => {
            if a.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                write_value(out, x, style, depth + 1);
            }
            newline(out, style, depth);
            out.push(']');
        }
        Value::Object(o) => {
            if o.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                write_string(out, k, style.escape_html);
                out.push(':');
                if style.indent.is_some() {
                    out.push(' ');
                }
                write_value(out, x, style, depth + 1);
            }
            newline(out, style, depth);
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_go() {
        let mut s = String::new();
        write_string(&mut s, "<a&b>\u{2028}\u{8}\u{c}\u{1}é漢\"\\\n", false);
        assert_eq!(s, r#""<a&b>\u2028\u0008\u000c\u0001é漢\"\\\n""#);
        let mut s = String::new();
        write_string(&mut s, "<missing>&", true);
        assert_eq!(s, r#""\u003cmissing\u003e\u0026""#);
    }

    #[test]
    fn indent_like_json_indent() {
        let v: Value = serde_json::from_str(r#"{"a":[],"b":{},"c":[1,{"d":null}]}"#).expect("json");
        let got = encode(
            &v,
            Style {
                escape_html: false,
                indent: Some(4),
            },
        );
        assert_eq!(
            got,
            "{\n    \"a\": [],\n    \"b\": {},\n    \"c\": [\n        1,\n        {\n            \"d\": null\n        }\n    ]\n}"
        );
    }
}
