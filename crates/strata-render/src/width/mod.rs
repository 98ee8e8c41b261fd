//! Display widths as the docker CLI measures them: go-runewidth v0.0.16 over uniseg v0.2.0
//! grapheme clusters for table padding (with the East-Asian mode its locale detection switches
//! on), and golang.org/x/text/width per rune for `Ellipsis`.

mod tables;

use std::sync::{LazyLock, OnceLock};

use tables::{
    AMBIGUOUS, COMBINING, DOUBLEWIDTH, EMOJI, GRAPHEME, NARROW, NEUTRAL, NONPRINT, PRIVATE,
};

/// uniseg's grapheme cluster break property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prop {
    Any,
    Prepend,
    Cr,
    Lf,
    Control,
    Extend,
    RegionalIndicator,
    SpacingMark,
    L,
    V,
    T,
    Lv,
    Lvt,
    Zwj,
    ExtendedPictographic,
}

fn in_table(r: u32, t: &[(u32, u32)]) -> bool {
    t.binary_search_by(|&(lo, hi)| {
        if hi < r {
            std::cmp::Ordering::Less
        } else if lo > r {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    })
    .is_ok()
}

fn property(r: u32) -> Prop {
    match GRAPHEME.binary_search_by(|&(lo, hi, _)| {
        if hi < r {
            std::cmp::Ordering::Less
        } else if lo > r {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }) {
        Ok(i) => GRAPHEME[i].2,
        Err(_) => Prop::Any,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Any,
    Cr,
    ControlLf,
    L,
    Lvv,
    Lvtt,
    Prepend,
    Pictographic,
    PictographicZwj,
    RiOdd,
    RiEven,
}

/// uniseg's `grTransitions`: (next state, boundary before this rune, rule number).
fn transition(state: State, p: Prop) -> Option<(State, bool, u32)> {
    use Prop as P;
    use State as S;
    Some(match (state, p) {
        (S::Any, P::Cr) => (S::Cr, true, 50),
        (S::Any, P::Lf) | (S::Any, P::Control) => (S::ControlLf, true, 50),
        (S::Cr, P::Any) | (S::ControlLf, P::Any) => (S::Any, true, 40),
        (S::Cr, P::Lf) => (S::Any, false, 30),
        (S::Any, P::L) => (S::L, true, 9990),
        (S::L, P::L) => (S::L, false, 60),
        (S::L, P::V) | (S::L, P::Lv) => (S::Lvv, false, 60),
        (S::L, P::Lvt) => (S::Lvtt, false, 60),
        (S::Any, P::Lv) | (S::Any, P::V) => (S::Lvv, true, 9990),
        (S::Lvv, P::V) => (S::Lvv, false, 70),
        (S::Lvv, P::T) => (S::Lvtt, false, 70),
        (S::Any, P::Lvt) | (S::Any, P::T) => (S::Lvtt, true, 9990),
        (S::Lvtt, P::T) => (S::Lvtt, false, 80),
        (S::Any, P::Extend) | (S::Any, P::Zwj) => (S::Any, false, 90),
        (S::Any, P::SpacingMark) => (S::Any, false, 91),
        (S::Any, P::Prepend) => (S::Prepend, true, 9990),
        (S::Prepend, P::Any) => (S::Any, false, 92),
        (S::Any, P::ExtendedPictographic) => (S::Pictographic, true, 9990),
        (S::Pictographic, P::Extend) => (S::Pictographic, false, 110),
        (S::Pictographic, P::Zwj) => (S::PictographicZwj, false, 110),
        (S::PictographicZwj, P::ExtendedPictographic) => (S::Pictographic, false, 110),
        (S::Any, P::RegionalIndicator) => (S::RiOdd, true, 9990),
        (S::RiOdd, P::RegionalIndicator) => (S::RiEven, false, 120),
        (S::RiEven, P::RegionalIndicator) => (S::RiOdd, true, 120),
        _ => return None,
    })
}

/// The grapheme clusters of `s` as uniseg v0.2.0 splits them (Unicode 12 rules, no GB9c).
pub fn graphemes(s: &str) -> impl Iterator<Item = &str> {
    let mut state = State::Any;
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    let mut first = true;
    std::iter::from_fn(move || {
        loop {
            let Some((i, c)) = chars.next() else {
                if start < s.len() {
                    let out = &s[start..];
                    start = s.len();
                    return Some(out);
                }
                return None;
            };
            let p = property(c as u32);
            let (next, boundary) = match transition(state, p) {
                Some((n, b, _)) => (n, b),
                None => match (transition(state, Prop::Any), transition(State::Any, p)) {
                    (Some(ap), Some(ast)) => {
                        if ap.2 < ast.2 {
                            (ap.0, ap.1)
                        } else {
                            (ast.0, ast.1)
                        }
                    }
                    (Some(ap), None) => (ap.0, ap.1),
                    (None, Some(ast)) => (ast.0, ast.1),
                    (None, None) => (State::Any, true),
                },
            };
            state = next;
            let was_first = first;
            first = false;
            if boundary && !was_first {
                let out = &s[start..i];
                start = i;
                return Some(out);
            }
        }
    })
}

/// go-runewidth's `Condition`: the East-Asian mode and how emoji count in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    /// Ambiguous-width characters count 2 (CJK locales).
    pub east_asian: bool,
    /// In East-Asian mode, emoji stay at their Unicode width (go-runewidth's default, true).
    pub strict_emoji_neutral: bool,
}

impl Default for Condition {
    fn default() -> Condition {
        Condition {
            east_asian: false,
            strict_emoji_neutral: true,
        }
    }
}

/// go-runewidth's `IsEastAsian` for a locale name (`ja_JP.UTF-8` yes, `ja_JP`, `C.UTF-8` no).
pub fn is_east_asian_locale(locale: &str) -> bool {
    if locale == "POSIX" || locale == "C" || locale.starts_with("C.") || locale.starts_with("C-") {
        return false;
    }
    static LOCALE: LazyLock<Option<regex::Regex>> =
        LazyLock::new(|| regex::Regex::new(r"^[a-z][a-z][a-z]?(?:_[A-Z][A-Z])?\.(.+)").ok());
    let charset = LOCALE
        .as_ref()
        .and_then(|re| re.captures(locale))
        .and_then(|m| m.get(1))
        .map_or_else(|| locale.to_lowercase(), |m| m.as_str().to_lowercase());
    if charset.ends_with("@cjk_narrow") {
        return false;
    }
    let charset = charset.split('@').next().unwrap_or("");
    let mblen = match charset {
        "utf-8" | "utf8" => 6,
        "jis" => 8,
        "eucjp" => 3,
        "euckr" | "euccn" | "sjis" | "cp932" | "cp51932" | "cp936" | "cp949" | "cp950" | "big5"
        | "gbk" | "gb2312" => 2,
        _ => 1,
    };
    mblen > 1
        && (!charset.starts_with('u')
            || locale.starts_with("ja")
            || locale.starts_with("ko")
            || locale.starts_with("zh"))
}

impl Condition {
    /// What go-runewidth's `init` decides from the environment: `RUNEWIDTH_EASTASIAN` (exactly
    /// `1` switches East-Asian mode on, anything else off), else the locale of `LC_ALL`,
    /// `LC_CTYPE` or `LANG`.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Condition {
        let forced = get("RUNEWIDTH_EASTASIAN").filter(|v| !v.is_empty());
        let east_asian = match forced {
            Some(v) => v == "1",
            None => {
                let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
                    .iter()
                    .find_map(|k| get(k).filter(|v| !v.is_empty()))
                    .unwrap_or_default();
                !locale.is_empty() && is_east_asian_locale(&locale)
            }
        };
        Condition {
            east_asian,
            ..Condition::default()
        }
    }

    /// `RuneWidth` over any code point (surrogates included, as Go's runes are).
    pub fn rune_width_u32(&self, r: u32) -> usize {
        if r > 0x10FFFF {
            return 0;
        }
        if !self.east_asian {
            if r < 0x20 {
                return 0;
            }
            if (0x7F..=0x9F).contains(&r) || r == 0xAD {
                return 0;
            }
            if r < 0x300 {
                return 1;
            }
            if in_table(r, NARROW) {
                return 1;
            }
            if in_table(r, NONPRINT) || in_table(r, COMBINING) {
                return 0;
            }
            if in_table(r, DOUBLEWIDTH) {
                return 2;
            }
            return 1;
        }
        if in_table(r, NONPRINT) || in_table(r, COMBINING) {
            return 0;
        }
        if in_table(r, NARROW) {
            return 1;
        }
        if in_table(r, AMBIGUOUS) || in_table(r, DOUBLEWIDTH) {
            return 2;
        }
        if !self.strict_emoji_neutral && in_table(r, EMOJI) {
            return 2;
        }
        1
    }

    /// `RuneWidth`.
    pub fn rune_width(&self, c: char) -> usize {
        self.rune_width_u32(c as u32)
    }

    fn cluster_width(&self, g: &str) -> usize {
        g.chars()
            .map(|c| self.rune_width(c))
            .find(|&w| w > 0)
            .unwrap_or(0)
    }

    /// `StringWidth`: per grapheme cluster, the width of its first rune that has one.
    pub fn string_width(&self, s: &str) -> usize {
        graphemes(s).map(|g| self.cluster_width(g)).sum()
    }

    /// `Truncate`: cut to `w` columns (never inside a cluster) and append `tail`.
    pub fn truncate(&self, s: &str, w: usize, tail: &str) -> String {
        if self.string_width(s) <= w {
            return s.to_string();
        }
        let w = w as isize - self.string_width(tail) as isize;
        let mut width = 0isize;
        let mut pos = 0;
        for g in graphemes(s) {
            let cw = self.cluster_width(g) as isize;
            if width + cw > w {
                break;
            }
            width += cw;
            pos += g.len();
        }
        format!("{}{tail}", &s[..pos])
    }

    /// `TruncateLeft`: drop the first `w` columns, padding a split wide cluster with spaces.
    pub fn truncate_left(&self, s: &str, w: usize, prefix: &str) -> String {
        if self.string_width(s) <= w {
            return prefix.to_string();
        }
        let mut width = 0;
        let mut pos = 0;
        let mut prefix = prefix.to_string();
        for g in graphemes(s) {
            let cw = self.cluster_width(g);
            if width + cw > w {
                if width < w {
                    pos += g.len();
                    prefix.push_str(&" ".repeat(width + cw - w));
                }
                break;
            }
            width += cw;
            pos += g.len();
        }
        format!("{prefix}{}", &s[pos..])
    }

    /// `Wrap`: a newline before any rune that would pass `w` columns (per rune, as Go does).
    pub fn wrap(&self, s: &str, w: usize) -> String {
        let mut width = 0;
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            let cw = self.rune_width(c);
            if c == '\n' {
                out.push(c);
                width = 0;
                continue;
            } else if width + cw > w {
                out.push('\n');
                width = 0;
                out.push(c);
                width += cw;
                continue;
            }
            out.push(c);
            width += cw;
        }
        out
    }

    /// `FillLeft`: spaces before `s` up to `w` columns.
    pub fn fill_left(&self, s: &str, w: usize) -> String {
        let width = self.string_width(s);
        format!("{}{s}", " ".repeat(w.saturating_sub(width)))
    }

    /// `FillRight`: spaces after `s` up to `w` columns.
    pub fn fill_right(&self, s: &str, w: usize) -> String {
        let width = self.string_width(s);
        format!("{s}{}", " ".repeat(w.saturating_sub(width)))
    }
}

/// `IsAmbiguousWidth`.
pub fn is_ambiguous_width(c: char) -> bool {
    in_table(c as u32, PRIVATE) || in_table(c as u32, AMBIGUOUS)
}

/// `IsNeutralWidth`.
pub fn is_neutral_width(c: char) -> bool {
    in_table(c as u32, NEUTRAL)
}

/// One of go-runewidth's tables by its Go name (for checking the port against its checksums).
#[doc(hidden)]
pub fn table(name: &str) -> Option<&'static [(u32, u32)]> {
    Some(match name {
        "private" => PRIVATE,
        "nonprint" => NONPRINT,
        "combining" => COMBINING,
        "doublewidth" => DOUBLEWIDTH,
        "ambiguous" => AMBIGUOUS,
        "narrow" => NARROW,
        "neutral" => NEUTRAL,
        "emoji" => EMOJI,
        _ => return None,
    })
}

static DEFAULT: OnceLock<Condition> = OnceLock::new();

/// Sets the condition this process runs under (the CLI decides it from the locale, as
/// go-runewidth does, with [`Condition::from_env`]); only the first call counts.
pub fn set_default_condition(c: Condition) {
    let _ = DEFAULT.set(c);
}

/// The condition this process runs under (go-runewidth's default, not East Asian, unless set).
pub fn default_condition() -> Condition {
    *DEFAULT.get_or_init(|| Condition::from_env(|_| None))
}

/// go-runewidth's `RuneWidth` under the process's condition.
pub fn rune_width(c: char) -> usize {
    default_condition().rune_width(c)
}

/// go-runewidth's `StringWidth` under the process's condition.
pub fn string_width(s: &str) -> usize {
    default_condition().string_width(s)
}

/// x/text/width as the CLI's `Ellipsis` uses it: East Asian Wide and Fullwidth count 2, every
/// other rune 1.
fn ellipsis_width(c: char) -> usize {
    if in_table(c as u32, DOUBLEWIDTH) {
        2
    } else {
        1
    }
}

/// The docker CLI's `formatter.TruncateID`: the part after the algorithm, 12 characters.
pub fn truncate_id(id: &str) -> String {
    let hex = match id.find(':') {
        Some(i) => &id[i + 1..],
        None => id,
    };
    hex.get(..12).unwrap_or(hex).to_string()
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
