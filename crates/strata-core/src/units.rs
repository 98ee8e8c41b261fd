//! Sizes as Docker parses them: docker/go-units v0.5.0's `FromHumanSize` (decimal) and
//! `RAMInBytes` (binary), over Go's `strconv.ParseFloat`.

/// Go's `strconv.ParseFloat(s, 64)`: decimal and hexadecimal (`0x1p-2`) forms, `Inf`/`NaN`,
/// with Go's error texts.
pub fn parse_go_float(s: &str) -> Result<f64, String> {
    let syntax = || {
        format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            go_quote(s)
        )
    };
    let range = || {
        format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            go_quote(s)
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

fn go_quote(s: &str) -> String {
    crate::gojson::quote(s)
}

/// Go's `int64(f)` on amd64: truncation, and the "integer indefinite" value outside the range.
fn go_int64(f: f64) -> i64 {
    // 2^63 as f64, exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

fn parse_size(size: &str, binary: bool) -> Result<i64, String> {
    let invalid = || format!("invalid size: '{size}'");
    let sep = size
        .bytes()
        .rposition(|b| b.is_ascii_digit() || b == b'.' || b == b' ')
        .ok_or_else(invalid)?;
    let (num, sfx) = if size.as_bytes()[sep] == b' ' {
        (&size[..sep], &size[sep + 1..])
    } else {
        (&size[..=sep], &size[sep + 1..])
    };
    let mut n = parse_go_float(num)?;
    if n < 0.0 {
        return Err(invalid());
    }
    if sfx.is_empty() {
        return Ok(go_int64(n));
    }
    if sfx.len() > 3 {
        return Err(format!("invalid suffix: '{sfx}'"));
    }
    let lower = sfx.to_lowercase();
    let bad = || format!("invalid suffix: '{lower}'");
    let mut chars = lower.chars();
    let first = chars.next().ok_or_else(bad)?;
    let rest: String = chars.collect();
    if first == 'b' {
        return if rest.is_empty() {
            Ok(go_int64(n))
        } else {
            Err(bad())
        };
    }
    let step = if binary { 1024f64 } else { 1000f64 };
    let power = match first {
        'k' => 1,
        'm' => 2,
        'g' => 3,
        't' => 4,
        'p' => 5,
        _ => return Err(bad()),
    };
    n *= step.powi(power);
    if !(rest.is_empty() || rest == "b" || rest == "ib") {
        return Err(bad());
    }
    Ok(go_int64(n))
}

/// `units.FromHumanSize`: "32", "32kB", "1.5 GB" in decimal units (any of k, kb, kib means 1000).
pub fn from_human_size(size: &str) -> Result<i64, String> {
    parse_size(size, false)
}

/// `units.RAMInBytes`: "32", "32m", "1.5GiB" in binary units (any of k, kb, kib means 1024).
pub fn ram_in_bytes(size: &str) -> Result<i64, String> {
    parse_size(size, true)
}
