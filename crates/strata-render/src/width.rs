//! Display widths as the docker CLI measures them: go-runewidth for table padding and
//! golang.org/x/text/width for `Ellipsis` truncation (shared/spec rules 8 and 9).

use unicode_width::UnicodeWidthChar;

/// go-runewidth's width of one character (non-East-Asian locale): combining and zero-width 0,
/// wide and fullwidth 2, everything else 1.
pub fn rune_width(c: char) -> usize {
    // go-runewidth's `nonprint` table: width 0 (U+2028 is measured so on the real CLI).
    const NONPRINT: [(u32, u32); 11] = [
        (0x0000, 0x001F),
        (0x007F, 0x009F),
        (0x00AD, 0x00AD),
        (0x070F, 0x070F),
        (0x180B, 0x180E),
        (0x200B, 0x200F),
        (0x2028, 0x202E),
        (0x206A, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0xFFFE, 0xFFFF),
    ];
    let u = c as u32;
    if NONPRINT.iter().any(|&(lo, hi)| (lo..=hi).contains(&u)) {
        return 0;
    }
    c.width().unwrap_or_default()
}

/// go-runewidth's `StringWidth`.
pub fn string_width(s: &str) -> usize {
    s.chars().map(rune_width).sum()
}

/// x/text/width: East Asian Wide and Fullwidth count 2, every other rune 1.
fn ellipsis_width(c: char) -> usize {
    if c.width() == Some(2) { 2 } else { 1 }
}

/// The docker CLI's `formatter.Ellipsis(s, max)`.
pub fn ellipsis(s: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let chars: Vec<char> = s.chars().collect();
    if max == 1 {
        return chars.first().map(|c| c.to_string()).unwrap_or_default();
    }
    if s.len() == chars.len() {
        if s.len() <= max {
            return s.to_string();
        }
        let mut out: String = chars[..max - 1].iter().collect();
        out.push('…');
        return out;
    }
    let mut display = Vec::with_capacity(chars.len());
    let mut total = 0;
    for &c in &chars {
        total += ellipsis_width(c);
        display.push(total);
    }
    if total <= max {
        return s.to_string();
    }
    for i in 0..display.len().saturating_sub(1) {
        if display[i] < max && display[i + 1] >= max {
            let mut out: String = chars[..=i].iter().collect();
            out.push('…');
            return out;
        }
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsis_rules() {
        // shared/reference: "/bin/sh -c #(nop)  CMD [\"-c\" \"cat /app/app.j…"
        assert_eq!(
            ellipsis("/bin/sh -c #(nop)  CMD [\"-c\" \"cat /app/app.js\"]", 45),
            "/bin/sh -c #(nop)  CMD [\"-c\" \"cat /app/app.j…"
        );
        assert_eq!(ellipsis("short", 45), "short");
        // shared/spec: 16 ASCII + 14 CJK + … = 45 columns.
        let s = format!("{}{}", "a".repeat(16), "漢".repeat(20));
        let want = format!("{}{}…", "a".repeat(16), "漢".repeat(14));
        assert_eq!(ellipsis(&s, 45), want);
        // Combining marks count 1 here (x/text/width), unlike padding.
        assert_eq!(ellipsis(&"e\u{301}".repeat(30), 45).chars().count(), 45);
    }

    #[test]
    fn widths() {
        assert_eq!(string_width("abc"), 3);
        assert_eq!(string_width("漢字"), 4);
        assert_eq!(string_width("e\u{301}"), 1);
        assert_eq!(string_width("é"), 1);
        // Measured on docker CLI 28.2.2 (tests/docker/FINDINGS.md): U+2028 pads as width 0.
        assert_eq!(string_width("a\u{2028}b"), 2);
    }
}
