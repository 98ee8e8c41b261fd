//! Docker's human-readable sizes and durations (go-units v0.5.0), and Go's `%.Ng` number
//! formatting they rest on.

/// Go's `strconv.FormatFloat(x, 'g', prec, 64)` / `fmt.Sprintf("%.{prec}g", x)`.
pub fn format_g(x: f64, prec: usize) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let prec = prec.max(1);
    let sci = format!("{:.*e}", prec - 1, x);
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => (sci.clone(), 0),
    };
    if exp < -4 || exp >= prec as i32 {
        let m = strip_zeros(&mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{x:.decimals$}"))
    }
}

/// Go's `%g` with no precision: the shortest representation that reads back exactly, in
/// exponent form below 1e-4 or from 1e21 on.
pub fn format_g_shortest(x: f64) -> String {
    if !x.is_finite() {
        return format_g(x, 1);
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:e}` is the shortest round-trip digits, as Go's 'g' with precision -1 uses.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    // Go: with the shortest digits, %g switches to the exponent form from 1e+06 on.
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{x}")
    }
}

fn strip_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

const DECIMAL_UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/// `units.HumanSizeWithPrecision(size, precision)`: decimal units, `precision` significant digits.
pub fn human_size_with_precision(size: f64, precision: usize) -> String {
    let mut s = size;
    let mut i = 0;
    while s >= 1000.0 && i < DECIMAL_UNITS.len() - 1 {
        s /= 1000.0;
        i += 1;
    }
    format!("{}{}", format_g(s, precision), DECIMAL_UNITS[i])
}

/// `units.HumanSize(size)`: four significant digits.
pub fn human_size(size: f64) -> String {
    human_size_with_precision(size, 4)
}

const BINARY_UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/// go-units' `getSizeAndUnit`: divide while at least `base`, stopping at the last unit.
pub fn size_and_unit(size: f64, base: f64, units: &[&'static str]) -> (f64, &'static str) {
    let mut s = size;
    let mut i = 0;
    while s >= base && i < units.len() - 1 {
        s /= base;
        i += 1;
    }
    (s, units[i])
}

/// `units.BytesSize(size)`: binary units, four significant digits (`1.5KiB`).
pub fn bytes_size(size: f64) -> String {
    let (s, unit) = size_and_unit(size, 1024.0, &BINARY_UNITS);
    format!("{}{unit}", format_g(s, 4))
}

/// The binary (`KiB`) or decimal (`kB`) unit names go-units prints.
pub fn unit_names(binary: bool) -> &'static [&'static str] {
    if binary {
        &BINARY_UNITS
    } else {
        &DECIMAL_UNITS
    }
}

pub use strata_core::units::{from_human_size, parse_go_float, ram_in_bytes};

/// go-humanize's `Bytes` (SI units): "83 MB", "1.2 kB", "7 B".
pub fn humanize_bytes(s: u64) -> String {
    const SIZES: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if s < 10 {
        return format!("{s} B");
    }
    let e = ((s as f64).ln() / 1000f64.ln()).floor() as usize;
    let e = e.min(SIZES.len() - 1);
    let val = ((s as f64) / 1000f64.powi(e as i32) * 10.0 + 0.5).floor() / 10.0;
    if val < 10.0 {
        format!("{val:.1} {}", SIZES[e])
    } else {
        format!("{val:.0} {}", SIZES[e])
    }
}

/// `units.HumanDuration(d)` for a duration in nanoseconds (negative means the future).
pub fn human_duration_nanos(nanos: i128) -> String {
    let seconds = nanos / 1_000_000_000;
    if seconds < 1 {
        return "Less than a second".to_string();
    }
    if seconds == 1 {
        return "1 second".to_string();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = nanos / 60_000_000_000;
    if minutes == 1 {
        return "About a minute".to_string();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    let hours_f = nanos as f64 / 3_600_000_000_000.0;
    let hours = (hours_f + 0.5) as i64;
    if hours == 1 {
        return "About an hour".to_string();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", (hours_f as i64) / 24 / 365)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanize_like_go() {
        assert_eq!(humanize_bytes(7), "7 B");
        assert_eq!(humanize_bytes(1200), "1.2 kB");
        assert_eq!(humanize_bytes(82_854_982), "83 MB");
    }

    #[test]
    fn sizes_from_spec() {
        // Expected strings: shared/spec ("1.98MB", "12.1kB", "242MB", "6B", "0B", "1e+03kB",
        // HumanSize "1.982MB", "999.5kB", "1000kB") and shared/reference.
        let p3 = [
            (1_982_328.0, "1.98MB"),
            (12_100.0, "12.1kB"),
            (242_000_000.0, "242MB"),
            (6.0, "6B"),
            (0.0, "0B"),
            (18.0, "18B"),
            (999_500.0, "1e+03kB"),
            (999_999.0, "1e+03kB"),
            (999_499.0, "999kB"),
            (1_000_000.0, "1MB"),
            (74_300_000.0, "74.3MB"),
            (1_101_925_433.0, "1.1GB"),
        ];
        for (n, want) in p3 {
            assert_eq!(human_size_with_precision(n, 3), want, "{n}");
        }
        let p4 = [
            (1_982_352.0, "1.982MB"),
            (999_500.0, "999.5kB"),
            (999_999.0, "1000kB"),
            (0.0, "0B"),
        ];
        for (n, want) in p4 {
            assert_eq!(human_size(n), want, "{n}");
        }
    }

    #[test]
    fn durations_from_spec() {
        let s = 1_000_000_000i128;
        let m = 60 * s;
        let h = 60 * m;
        let table = [
            (-5 * s, "Less than a second"),
            (0, "Less than a second"),
            (s, "1 second"),
            (59 * s, "59 seconds"),
            (60 * s, "About a minute"),
            (119 * s, "About a minute"),
            (2 * m, "2 minutes"),
            (59 * m, "59 minutes"),
            (61 * m, "About an hour"),
            (88 * m, "About an hour"),
            (92 * m, "2 hours"),
            (10 * h, "10 hours"),
            (47 * h + 20 * m, "47 hours"),
            (47 * h + 40 * m, "2 days"),
            (335 * h + 20 * m, "13 days"),
            (335 * h + 40 * m, "2 weeks"),
            (1439 * h, "8 weeks"),
            (1440 * h + 10 * m, "2 months"),
            (17519 * h, "24 months"),
            (17520 * h + 10 * m, "2 years"),
        ];
        for (d, want) in table {
            assert_eq!(human_duration_nanos(d), want, "{d}");
        }
    }
}
