//! The parts of Go's `strconv` whose exact output strata reproduces: `ParseFloat`, and the
//! quoting of `Quote`, `QuoteToASCII`, `QuoteRune` with Go's notion of a printable character.
//! Shared by the template engine and the image model; no strata dependency.

/// Unicode format characters (category Cf), which Go does not consider printable.
fn is_format(u: u32) -> bool {
    matches!(
        u,
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// Approximates Go's `unicode.IsPrint` / `strconv.IsPrint`: letters, marks, numbers,
/// punctuation, symbols and the ASCII space.
pub fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    let u = c as u32;
    if u < 0x20 || (0x7F..0xA0).contains(&u) {
        return false;
    }
    if c.is_whitespace() || is_format(u) {
        return false;
    }
    if (0xE000..=0xF8FF).contains(&u) || u >= 0xF0000 || (u & 0xFFFE) == 0xFFFE {
        return false;
    }
    !(0xFDD0..=0xFDEF).contains(&u)
}

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

fn append_escaped_rune(buf: &mut String, r: char, quote: char, ascii_only: bool) {
    if r == quote || r == '\\' {
        buf.push('\\');
        buf.push(r);
        return;
    }
    if ascii_only {
        if r.is_ascii() && is_print(r) {
            buf.push(r);
            return;
        }
    } else if is_print(r) {
        buf.push(r);
        return;
    }
    match r {
        '\x07' => buf.push_str("\\a"),
        '\x08' => buf.push_str("\\b"),
        '\x0C' => buf.push_str("\\f"),
        '\n' => buf.push_str("\\n"),
        '\r' => buf.push_str("\\r"),
        '\t' => buf.push_str("\\t"),
        '\x0B' => buf.push_str("\\v"),
        _ => {
            let u = r as u32;
            if u < 0x20 || u == 0x7F {
                buf.push_str("\\x");
                buf.push(LOWER_HEX[(u >> 4) as usize] as char);
                buf.push(LOWER_HEX[(u & 0xF) as usize] as char);
            } else if u < 0x10000 {
                buf.push_str("\\u");
                for s in [12, 8, 4, 0] {
                    buf.push(LOWER_HEX[((u >> s) & 0xF) as usize] as char);
                }
            } else {
                buf.push_str("\\U");
                for s in [28, 24, 20, 16, 12, 8, 4, 0] {
                    buf.push(LOWER_HEX[((u >> s) & 0xF) as usize] as char);
                }
            }
        }
    }
}

fn quote_with(s: &str, quote: char, ascii_only: bool) -> String {
    let mut buf = String::with_capacity(s.len() + 2);
    buf.push(quote);
    for c in s.chars() {
        append_escaped_rune(&mut buf, c, quote, ascii_only);
    }
    buf.push(quote);
    buf
}

/// Go's `strconv.Quote`.
pub fn quote(s: &str) -> String {
    quote_with(s, '"', false)
}

/// Go's `strconv.QuoteToASCII`.
pub fn quote_to_ascii(s: &str) -> String {
    quote_with(s, '"', true)
}

/// Go's `strconv.QuoteRune` (or `QuoteRuneToASCII` when `ascii_only`).
pub fn quote_rune(r: char, ascii_only: bool) -> String {
    let mut buf = String::new();
    buf.push('\'');
    append_escaped_rune(&mut buf, r, '\'', ascii_only);
    buf.push('\'');
    buf
}

/// Go's `strconv.CanBackquote`.
pub fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\x7F')))
}

/// Go's `strconv.ParseFloat(s, 64)`: decimal and hexadecimal (`0x1p-2`) forms, `Inf`/`NaN`,
/// with Go's error texts.
pub fn parse_float(s: &str) -> Result<f64, String> {
    let syntax = || format!("strconv.ParseFloat: parsing {}: invalid syntax", quote(s));
    let range = || {
        format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            quote(s)
        )
    };
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let sign = if neg { -1.0 } else { 1.0 };
    if body.contains('_') && !underscore_ok(body) {
        return Err(syntax());
    }
    let stripped = body.replace('_', "");
    let body = stripped.as_str();
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Ok(sign * f64::INFINITY);
    }
    if lower == "nan" {
        return if body.len() == s.len() {
            Ok(f64::NAN)
        } else {
            Err(syntax())
        };
    }
    if let Some(hex) = lower.strip_prefix("0x") {
        let (mant, exp) = hex.split_once('p').ok_or_else(syntax)?;
        let exp: i32 = exp.parse().map_err(|_| syntax())?;
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(syntax());
        }
        let mut v = 0f64;
        for c in int.chars().chain(frac.chars()) {
            v = v * 16.0 + f64::from(c.to_digit(16).ok_or_else(syntax)?);
        }
        let v = sign * v * 2f64.powi(exp - 4 * frac.len() as i32);
        return if v.is_finite() { Ok(v) } else { Err(range()) };
    }
    let ok_chars = body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if body.is_empty()
        || !ok_chars
        || !body
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
    {
        return Err(syntax());
    }
    let v: f64 = body.parse().map_err(|_| syntax())?;
    if v.is_infinite() {
        return Err(range());
    }
    Ok(sign * v)
}

/// strconv's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    // Cases from Go's strconv atof_test and quote_test.
    #[test]
    fn parse_float_reads_what_go_reads() {
        assert_eq!(parse_float("0x1p-2"), Ok(0.25));
        assert_eq!(parse_float("1_000.5"), Ok(1000.5));
        assert_eq!(parse_float("+Inf"), Ok(f64::INFINITY));
        assert_eq!(
            parse_float("1e400"),
            Err("strconv.ParseFloat: parsing \"1e400\": value out of range".to_string())
        );
        assert_eq!(
            parse_float("1__0"),
            Err("strconv.ParseFloat: parsing \"1__0\": invalid syntax".to_string())
        );
    }

    #[test]
    fn quote_escapes_what_go_does_not_print() {
        assert_eq!(
            quote("\x07\x08\x0c\n\r\t\x0b\x7f"),
            r#""\a\b\f\n\r\t\v\x7f""#
        );
        assert_eq!(quote("\u{00ad}\u{feff}é"), r#""\u00ad\ufeffé""#);
        assert_eq!(quote("\u{e0001}"), r#""\U000e0001""#);
        assert_eq!(quote_to_ascii("é☺"), r#""\u00e9\u263a""#);
        assert_eq!(quote_rune('\'', false), r"'\''");
    }
}
