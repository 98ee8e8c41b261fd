//! Sizes as Docker parses them: docker/go-units v0.5.0's `FromHumanSize` (decimal) and
//! `RAMInBytes` (binary), over Go's `strconv.ParseFloat`.

pub use gostrconv::parse_float as parse_go_float;

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
