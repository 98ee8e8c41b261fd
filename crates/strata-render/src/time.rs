//! RFC 3339 timestamps as Go's `time` package parses and prints them.

/// A parsed timestamp: instant plus the offset it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoTime {
    /// Seconds since the Unix epoch.
    pub unix: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
    /// UTC offset in seconds the text carried.
    pub offset: i32,
}

/// Go's zero `time.Time` (`0001-01-01T00:00:00Z`).
pub const ZERO: GoTime = GoTime {
    unix: -62_135_596_800,
    nanos: 0,
    offset: 0,
};

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` as Go's `time.Parse(time.RFC3339, s)`.
pub fn parse_rfc3339(s: &str) -> Option<GoTime> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let min = digits(&b[14..16])?;
    let sec = digits(&b[17..19])?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || min > 59
        || sec > 59
    {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &b[start..i];
        if frac.is_empty() {
            return None;
        }
        let mut n: u64 = 0;
        for k in 0..9 {
            n = n * 10 + frac.get(k).map(|d| u64::from(d - b'0')).unwrap_or(0);
        }
        nanos = u32::try_from(n).ok()?;
    }
    let offset = match &b[i..] {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 23 || m > 59 {
                return None;
            }
            let o = (h * 3600 + m * 60) as i32;
            if *sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let unix = days * 86_400 + hour * 3600 + min * 60 + sec - i64::from(offset);
    Some(GoTime {
        unix,
        nanos,
        offset,
    })
}

fn write_date_time(out: &mut String, local: i64) {
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    out.push_str(&format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    ));
}

fn write_offset(out: &mut String, offset: i32) {
    if offset == 0 {
        out.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let o = offset.abs();
        out.push_str(&format!("{sign}{:02}:{:02}", o / 3600, o / 60 % 60));
    }
}

/// Go's `t.Format(time.RFC3339Nano)` in the offset the time was parsed with.
pub fn format_rfc3339_nano(t: GoTime) -> String {
    let mut out = String::new();
    write_date_time(&mut out, t.unix + i64::from(t.offset));
    if t.nanos != 0 {
        let frac = format!("{:09}", t.nanos);
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    write_offset(&mut out, t.offset);
    out
}

/// Go's `time.Unix(secs, 0).Format(time.RFC3339)` in a zone with this UTC offset.
pub fn format_rfc3339_at(unix: i64, offset: i32) -> String {
    let mut out = String::new();
    write_date_time(&mut out, unix + i64::from(offset));
    write_offset(&mut out, offset);
    out
}

/// Go's `Time.String()` shape used by `docker images` JSON: `2026-11-23 00:04:03 +0000 UTC`.
pub fn format_go_string(unix: i64, offset: i32, zone: &str) -> String {
    let s = format_rfc3339_at(unix, offset);
    let date_time = s.get(..19).unwrap_or(&s).replacen('T', " ", 1);
    let sign = if offset < 0 { '-' } else { '+' };
    let o = offset.abs();
    format!("{date_time} {sign}{:02}{:02} {zone}", o / 3600, o / 60 % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_like_go() {
        let table = [
            (
                "2026-11-23T00:04:03.100341006Z",
                "2026-11-23T00:04:03.100341006Z",
            ),
            ("2026-11-23T00:04:03.500000000Z", "2026-11-23T00:04:03.5Z"),
            (
                "2026-11-23T02:04:03.000000000+02:00",
                "2026-11-23T02:04:03+02:00",
            ),
            ("2026-11-23T00:04:03+00:00", "2026-11-23T00:04:03Z"),
            ("1999-12-31T23:59:59-05:30", "1999-12-31T23:59:59-05:30"),
        ];
        for (input, want) in table {
            let t = parse_rfc3339(input).expect(input);
            assert_eq!(format_rfc3339_nano(t), want);
        }
        assert_eq!(format_rfc3339_nano(ZERO), "0001-01-01T00:00:00Z");
        assert_eq!(
            parse_rfc3339("2026-11-23T00:04:03Z").map(|t| t.unix),
            Some(1_795_392_243)
        );
        assert!(parse_rfc3339("2026-02-30T00:00:00Z").is_none());
        assert!(parse_rfc3339("yesterday").is_none());
    }

    #[test]
    fn formats() {
        assert_eq!(format_rfc3339_at(1_795_392_243, 0), "2026-11-23T00:04:03Z");
        assert_eq!(format_rfc3339_at(ZERO.unix, 0), "0001-01-01T00:00:00Z");
        assert_eq!(
            format_go_string(1_795_392_243, 0, "UTC"),
            "2026-11-23 00:04:03 +0000 UTC"
        );
    }
}
