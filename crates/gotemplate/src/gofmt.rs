//! A port of the parts of Go's `fmt` and `strconv` that templates reach: `Sprint`, `Sprintln`,
//! `Sprintf`, `%v` printing of values, float formatting, and string quoting.

use super::value::Value;

// ---------------------------------------------------------------------------------------------
// Character classes and quoting (strconv).

pub(crate) use gostrconv::{can_backquote, is_print, quote, quote_rune, quote_to_ascii};

fn unhex(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// Go's `strconv.UnquoteChar`: decodes the first character or escape of `s`.
/// Returns the value, whether it must be appended as UTF-8 (vs a raw byte), and the tail.
pub(crate) fn unquote_char(s: &[u8], quote: u8) -> Option<(u32, bool, &[u8])> {
    let c = *s.first()?;
    if c == quote && (quote == b'\'' || quote == b'"') {
        return None;
    }
    if c >= 0x80 {
        let text = std::str::from_utf8(s).ok().or_else(|| {
            // Only the leading character matters; decode it leniently.
            let end = s.len().min(4);
            (1..=end).find_map(|n| std::str::from_utf8(&s[..n]).ok())
        })?;
        let ch = text.chars().next()?;
        return Some((ch as u32, true, &s[ch.len_utf8()..]));
    }
    if c != b'\\' {
        return Some((u32::from(c), false, &s[1..]));
    }
    if s.len() <= 1 {
        return None;
    }
    let c = s[1];
    let mut rest = &s[2..];
    let value;
    let mut multibyte = false;
    match c {
        b'a' => value = 7,
        b'b' => value = 8,
        b'f' => value = 12,
        b'n' => value = 10,
        b'r' => value = 13,
        b't' => value = 9,
        b'v' => value = 11,
        b'x' | b'u' | b'U' => {
            let n = match c {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            if rest.len() < n {
                return None;
            }
            let mut v: u32 = 0;
            for &b in &rest[..n] {
                v = (v << 4) | unhex(b)?;
            }
            rest = &rest[n..];
            if c != b'x' {
                char::from_u32(v)?;
                multibyte = true;
            }
            value = v;
        }
        b'0'..=b'7' => {
            let mut v = u32::from(c - b'0');
            if rest.len() < 2 {
                return None;
            }
            for &b in &rest[..2] {
                if !(b'0'..=b'7').contains(&b) {
                    return None;
                }
                v = (v << 3) | u32::from(b - b'0');
            }
            rest = &rest[2..];
            if v > 255 {
                return None;
            }
            value = v;
        }
        b'\\' => value = u32::from(b'\\'),
        b'\'' | b'"' => {
            if c != quote {
                return None;
            }
            value = u32::from(c);
        }
        _ => return None,
    }
    Some((value, multibyte, rest))
}

/// Go's `strconv.Unquote` for `"..."`, `` `...` `` and `'x'` literals.
pub(crate) fn unquote(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 2 {
        return None;
    }
    let quote = b[0];
    if quote != b[b.len() - 1] {
        return None;
    }
    let inner = &s[1..s.len() - 1];
    match quote {
        b'`' => {
            if inner.contains('`') {
                return None;
            }
            Some(inner.replace('\r', ""))
        }
        b'"' | b'\'' => {
            let mut out: Vec<u8> = Vec::new();
            let mut rest = &b[1..];
            while let Some(&c) = rest.first() {
                if c == quote {
                    break;
                }
                if c == b'\n' {
                    return None;
                }
                let (v, multibyte, tail) = unquote_char(rest, quote)?;
                rest = tail;
                if v < 0x80 || !multibyte {
                    out.push(v as u8);
                } else {
                    let ch = char::from_u32(v)?;
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                }
                if quote == b'\'' {
                    break;
                }
            }
            if rest != [quote] {
                return None;
            }
            Some(String::from_utf8_lossy(&out).into_owned())
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Float formatting (strconv.FormatFloat with bitSize 64).

fn parse_exp_digits(s: &str) -> (Vec<u8>, i32) {
    let (m, e) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = e.parse().unwrap_or(0);
    let mut d: Vec<u8> = m.bytes().filter(u8::is_ascii_digit).collect();
    while d.last() == Some(&b'0') {
        d.pop();
    }
    if d.is_empty() {
        return (d, 0);
    }
    (d, exp + 1)
}

/// Shortest digits that round-trip, and the decimal point position.
fn shortest_digits(a: f64) -> (Vec<u8>, i32) {
    if a == 0.0 {
        return (Vec::new(), 0);
    }
    // Rust gives the shortest length; among representations of that length Go takes the
    // correctly rounded one (round half to even on the exact value), which `{:.*e}` computes.
    let (d, _) = parse_exp_digits(&format!("{a:e}"));
    fixed_digits(a, d.len().max(1))
}

/// `n` significant digits, correctly rounded, trailing zeros trimmed.
fn fixed_digits(a: f64, n: usize) -> (Vec<u8>, i32) {
    if a == 0.0 {
        return (Vec::new(), 0);
    }
    parse_exp_digits(&format!("{:.*e}", n.saturating_sub(1), a))
}

fn fmt_e(neg: bool, d: &[u8], dp: i32, prec: i64, upper: bool) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push(if d.is_empty() { '0' } else { d[0] as char });
    if prec > 0 {
        out.push('.');
        let mut i = 1usize;
        let m = d.len().min(prec as usize + 1);
        if i < m {
            out.extend(d[i..m].iter().map(|&b| b as char));
            i = m;
        }
        while (i as i64) <= prec {
            out.push('0');
            i += 1;
        }
    }
    out.push(if upper { 'E' } else { 'e' });
    let mut exp = dp - 1;
    if d.is_empty() {
        exp = 0;
    }
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
    out
}

fn fmt_f(neg: bool, d: &[u8], dp: i32, prec: i64) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if dp > 0 {
        let m = d.len().min(dp as usize);
        out.extend(d[..m].iter().map(|&b| b as char));
        for _ in m..dp as usize {
            out.push('0');
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            let j = i64::from(dp) + i - 1;
            let ch = if j >= 0 && (j as usize) < d.len() {
                d[j as usize] as char
            } else {
                '0'
            };
            out.push(ch);
        }
    }
    out
}

/// Go's `strconv.FormatFloat(v, fmt, prec, 64)` for fmt in `e E f F g G` (others act as `g`).
pub(crate) fn format_float(v: f64, fmt: char, prec: i64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let neg = v.is_sign_negative();
    let a = v.abs();
    match fmt {
        'e' | 'E' => {
            let (d, dp) = if prec < 0 {
                shortest_digits(a)
            } else {
                fixed_digits(a, prec as usize + 1)
            };
            let p = if prec < 0 {
                (d.len() as i64 - 1).max(0)
            } else {
                prec
            };
            fmt_e(neg, &d, dp, p, fmt == 'E')
        }
        'f' | 'F' => {
            if prec < 0 {
                let (d, dp) = shortest_digits(a);
                fmt_f(neg, &d, dp, (d.len() as i64 - i64::from(dp)).max(0))
            } else {
                let s = format!("{:.*}", prec as usize, a);
                if neg { format!("-{s}") } else { s }
            }
        }
        _ => {
            let upper = fmt == 'G';
            let shortest = prec < 0;
            let (d, dp, mut p) = if shortest {
                let (d, dp) = shortest_digits(a);
                let n = d.len() as i64;
                (d, dp, n)
            } else {
                let p = if prec == 0 { 1 } else { prec };
                let (d, dp) = fixed_digits(a, p as usize);
                (d, dp, p)
            };
            let nd = d.len() as i64;
            let dp64 = i64::from(dp);
            let mut eprec = p;
            if eprec > nd && nd >= dp64 {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp64 - 1;
            if exp < -4 || exp >= eprec {
                if p > nd {
                    p = nd;
                }
                return fmt_e(neg, &d, dp, p - 1, upper);
            }
            if p > dp64 {
                p = nd;
            }
            fmt_f(neg, &d, dp, (p - dp64).max(0))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The printer (fmt's pp).

/// One operand of a print function: an untyped nil interface, or a value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FArg<'a> {
    /// A nil `interface{}`.
    Nil,
    /// A value.
    V(&'a Value),
}

#[derive(Clone, Copy, Default)]
struct Flags {
    wid_present: bool,
    prec_present: bool,
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
}

#[derive(Default)]
struct Pp {
    buf: String,
    f: Flags,
    wid: i64,
    prec: i64,
    erroring: bool,
    /// Print a top-level pointer-to-struct without its `&` (text/template's printableValue).
    deref_top: bool,
}

const BAD_WIDTH: &str = "%!(BADWIDTH)";
const BAD_PREC: &str = "%!(BADPREC)";
const NO_VERB: &str = "%!(NOVERB)";

fn too_large(x: i64) -> bool {
    !(-1_000_000..=1_000_000).contains(&x)
}

impl Pp {
    fn clear_flags(&mut self) {
        self.f = Flags::default();
        self.wid = 0;
        self.prec = 0;
    }

    fn write_padding(&mut self, n: i64) {
        if n <= 0 {
            return;
        }
        let c = if self.f.zero && !self.f.minus {
            '0'
        } else {
            ' '
        };
        for _ in 0..n {
            self.buf.push(c);
        }
    }

    fn pad(&mut self, s: &str) {
        if !self.f.wid_present || self.wid == 0 {
            self.buf.push_str(s);
            return;
        }
        let width = self.wid - s.chars().count() as i64;
        if !self.f.minus {
            self.write_padding(width);
            self.buf.push_str(s);
        } else {
            self.buf.push_str(s);
            self.write_padding(width);
        }
    }

    fn pad_no_zero(&mut self, s: &str) {
        let old = self.f.zero;
        self.f.zero = false;
        self.pad(s);
        self.f.zero = old;
    }

    fn fmt_boolean(&mut self, b: bool) {
        self.pad(if b { "true" } else { "false" });
    }

    fn fmt_unicode(&mut self, mut u: u64) {
        let mut prec = 4i64;
        if self.f.prec_present && self.prec > 4 {
            prec = self.prec;
        }
        let mut digits = Vec::new();
        loop {
            digits.push(b"0123456789ABCDEF"[(u & 0xF) as usize]);
            prec -= 1;
            u >>= 4;
            if u == 0 {
                break;
            }
        }
        while prec > 0 {
            digits.push(b'0');
            prec -= 1;
        }
        digits.reverse();
        let mut s = String::from("U+");
        s.extend(digits.iter().map(|&b| b as char));
        self.pad_no_zero(&s);
    }

    fn fmt_unicode_checked(&mut self, u: u64) {
        let mut s_extra = None;
        if self.f.sharp && u <= 0x10FFFF {
            if let Some(c) = char::from_u32(u as u32) {
                if is_print(c) {
                    s_extra = Some(c);
                }
            }
        }
        match s_extra {
            None => self.fmt_unicode(u),
            Some(c) => {
                let wid_present = self.f.wid_present;
                self.f.wid_present = false;
                let start = self.buf.len();
                self.fmt_unicode(u);
                let mut s = self.buf.split_off(start);
                s.push_str(&format!(" '{c}'"));
                self.f.wid_present = wid_present;
                self.pad_no_zero(&s);
            }
        }
    }

    fn fmt_integer_base(&mut self, u: u64, base: u32, is_signed: bool, verb: char, upper: bool) {
        let negative = is_signed && (u as i64) < 0;
        let u = if negative { u.wrapping_neg() } else { u };
        let mut prec = 0i64;
        if self.f.prec_present {
            prec = self.prec;
            if prec == 0 && u == 0 {
                let old = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.wid);
                self.f.zero = old;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid_present {
            prec = self.wid;
            if negative || self.f.plus || self.f.space {
                prec -= 1;
            }
        }
        let mut digits = match base {
            2 => format!("{u:b}"),
            8 => format!("{u:o}"),
            16 if upper => format!("{u:X}"),
            16 => format!("{u:x}"),
            _ => u.to_string(),
        };
        while (digits.len() as i64) < prec {
            digits.insert(0, '0');
        }
        let mut prefix = String::new();
        if self.f.sharp {
            match base {
                2 => prefix.push_str("0b"),
                8 => {
                    if !digits.starts_with('0') {
                        prefix.push('0');
                    }
                }
                16 => prefix.push_str(if upper { "0X" } else { "0x" }),
                _ => {}
            }
        }
        if verb == 'O' {
            prefix.insert_str(0, "0o");
        }
        if negative {
            prefix.insert(0, '-');
        } else if self.f.plus {
            prefix.insert(0, '+');
        } else if self.f.space {
            prefix.insert(0, ' ');
        }
        prefix.push_str(&digits);
        self.pad_no_zero(&prefix);
    }

    fn truncate_string<'s>(&self, s: &'s str) -> &'s str {
        if self.f.prec_present {
            let mut n = self.prec;
            for (i, _) in s.char_indices() {
                n -= 1;
                if n < 0 {
                    return &s[..i];
                }
            }
        }
        s
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate_string(s).to_string();
        self.pad(&s);
    }

    fn fmt_sx(&mut self, s: &str, upper: bool) {
        let digits: &[u8; 16] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let x = if upper { 'X' } else { 'x' };
        let b = s.as_bytes();
        let mut length = b.len() as i64;
        if self.f.prec_present && self.prec < length {
            length = self.prec;
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if self.f.wid_present {
                self.write_padding(self.wid);
            }
            return;
        }
        if self.f.wid_present && self.wid > width && !self.f.minus {
            self.write_padding(self.wid - width);
        }
        if self.f.sharp {
            self.buf.push('0');
            self.buf.push(x);
        }
        for (i, &c) in b.iter().take(length as usize).enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push('0');
                    self.buf.push(x);
                }
            }
            self.buf.push(digits[(c >> 4) as usize] as char);
            self.buf.push(digits[(c & 0xF) as usize] as char);
        }
        if self.f.wid_present && self.wid > width && self.f.minus {
            self.write_padding(self.wid - width);
        }
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate_string(s).to_string();
        if self.f.sharp && can_backquote(&s) {
            self.pad(&format!("`{s}`"));
            return;
        }
        let q = if self.f.plus {
            quote_to_ascii(&s)
        } else {
            quote(&s)
        };
        self.pad(&q);
    }

    fn rune_of(c: u64) -> char {
        if c > 0x10FFFF {
            return '\u{FFFD}';
        }
        char::from_u32(c as u32).unwrap_or('\u{FFFD}')
    }

    fn fmt_float_core(&mut self, v: f64, verb: char, default_prec: i64) {
        let prec = if self.f.prec_present {
            self.prec
        } else {
            default_prec
        };
        let s = format_float(v, verb, prec);
        let mut num: Vec<u8> = if s.starts_with('-') || s.starts_with('+') {
            s.into_bytes()
        } else {
            let mut n = vec![b'+'];
            n.extend_from_slice(s.as_bytes());
            n
        };
        if self.f.space && num[0] == b'+' && !self.f.plus {
            num[0] = b' ';
        }
        if num[1] == b'I' || num[1] == b'N' {
            let old = self.f.zero;
            self.f.zero = false;
            if num[1] == b'N' && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad(&String::from_utf8_lossy(&num));
            self.f.zero = old;
            return;
        }
        if self.f.sharp && verb != 'b' {
            let mut digits: i64 = 0;
            if matches!(verb, 'v' | 'g' | 'G' | 'x') {
                digits = if prec == -1 { 6 } else { prec };
            }
            let mut tail: Vec<u8> = Vec::new();
            let mut has_dp = false;
            let mut saw_nonzero = false;
            let mut i = 1;
            while i < num.len() {
                match num[i] {
                    b'.' => has_dp = true,
                    b'p' | b'P' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                    }
                    b'e' | b'E' if verb != 'x' && verb != 'X' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                    }
                    c => {
                        if c != b'0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_dp {
                if num.len() == 2 && num[1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        let num = String::from_utf8_lossy(&num).into_owned();
        if self.f.plus || !num.starts_with('+') {
            if self.f.zero && !self.f.minus && self.f.wid_present && self.wid > num.len() as i64 {
                self.buf.push_str(&num[..1]);
                self.write_padding(self.wid - num.len() as i64);
                self.buf.push_str(&num[1..]);
                return;
            }
            self.pad(&num);
            return;
        }
        self.pad(&num[1..]);
    }

    // --- pp level -----------------------------------------------------------------------

    fn bad_verb(&mut self, verb: char, arg: FArg<'_>) {
        self.erroring = true;
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        match arg {
            FArg::V(v) => {
                self.buf.push_str(&v.go_type());
                self.buf.push('=');
                self.print_arg(FArg::V(v), 'v');
            }
            FArg::Nil => self.buf.push_str("<nil>"),
        }
        self.buf.push(')');
        self.erroring = false;
    }

    fn fmt_bool(&mut self, b: bool, verb: char, orig: &Value) {
        match verb {
            't' | 'v' => self.fmt_boolean(b),
            _ => self.bad_verb(verb, FArg::V(orig)),
        }
    }

    fn fmt_integer(&mut self, u: u64, signed: bool, verb: char, orig: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v && !signed {
                    let old = self.f.sharp;
                    self.f.sharp = true;
                    self.fmt_integer_base(u, 16, signed, 'v', false);
                    self.f.sharp = old;
                } else {
                    self.fmt_integer_base(u, 10, signed, verb, false);
                }
            }
            'd' => self.fmt_integer_base(u, 10, signed, verb, false),
            'b' => self.fmt_integer_base(u, 2, signed, verb, false),
            'o' | 'O' => self.fmt_integer_base(u, 8, signed, verb, false),
            'x' => self.fmt_integer_base(u, 16, signed, verb, false),
            'X' => self.fmt_integer_base(u, 16, signed, verb, true),
            'c' => {
                let r = Pp::rune_of(u);
                self.pad(&r.to_string());
            }
            'q' => {
                let r = Pp::rune_of(u);
                let q = quote_rune(r, self.f.plus);
                self.pad(&q);
            }
            'U' => self.fmt_unicode_checked(u),
            _ => self.bad_verb(verb, FArg::V(orig)),
        }
    }

    fn fmt_float(&mut self, v: f64, verb: char, orig: &Value) {
        match verb {
            'v' => self.fmt_float_core(v, 'g', -1),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float_core(v, verb, -1),
            'f' | 'e' | 'E' => self.fmt_float_core(v, verb, 6),
            'F' => self.fmt_float_core(v, 'f', 6),
            _ => self.bad_verb(verb, FArg::V(orig)),
        }
    }

    fn fmt_string(&mut self, s: &str, verb: char, orig: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(s);
                } else {
                    self.fmt_s(s);
                }
            }
            's' => self.fmt_s(s),
            'x' => self.fmt_sx(s, false),
            'X' => self.fmt_sx(s, true),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, FArg::V(orig)),
        }
    }

    /// Stringer-like behaviour for structs with a `display` override.
    fn handle_methods(&mut self, v: &Value, verb: char) -> bool {
        if self.erroring || self.f.sharp_v {
            return false;
        }
        if let Value::Struct(s) = v {
            if let Some(d) = &s.display {
                if matches!(verb, 'v' | 's' | 'x' | 'X' | 'q') {
                    self.fmt_string(d, verb, v);
                    return true;
                }
            }
        }
        false
    }

    fn print_arg(&mut self, arg: FArg<'_>, verb: char) {
        let v = match arg {
            FArg::Nil => {
                match verb {
                    'T' | 'v' => self.pad("<nil>"),
                    _ => self.bad_verb(verb, arg),
                }
                return;
            }
            FArg::V(v) => v,
        };
        match verb {
            'T' => {
                self.fmt_s(&v.go_type());
                return;
            }
            'p' => {
                self.bad_verb(verb, arg);
                return;
            }
            _ => {}
        }
        match v {
            Value::Bool(_)
            | Value::Int(_)
            | Value::Uint(_)
            | Value::Float(_)
            | Value::String(_) => self.print_value(v, verb, 0),
            _ => {
                if !self.handle_methods(v, verb) {
                    self.print_value(v, verb, 0);
                }
            }
        }
    }

    fn print_value(&mut self, v: &Value, verb: char, depth: usize) {
        if depth > 0 && self.handle_methods(v, verb) {
            return;
        }
        match v {
            Value::Nil => {
                if depth > 0 {
                    self.buf.push_str("<nil>");
                    return;
                }
                match verb {
                    'v' => self.pad("<nil>"),
                    'b' | 'o' | 'd' | 'x' | 'X' => self.fmt_integer(0, false, verb, v),
                    _ => self.bad_verb(verb, FArg::V(v)),
                }
            }
            Value::Bool(b) => self.fmt_bool(*b, verb, v),
            Value::Int(i) => self.fmt_integer(*i as u64, true, verb, v),
            Value::Uint(u) => self.fmt_integer(*u, false, verb, v),
            Value::Float(f) => self.fmt_float(*f, verb, v),
            Value::String(s) => self.fmt_string(s, verb, v),
            Value::Map(m) => {
                if self.f.sharp_v {
                    self.buf.push_str(&v.go_type());
                    if m.is_none() {
                        self.buf.push_str("(nil)");
                        return;
                    }
                    self.buf.push('{');
                } else {
                    self.buf.push_str("map[");
                }
                if let Some(m) = m {
                    for (i, (k, val)) in m.iter().enumerate() {
                        if i > 0 {
                            if self.f.sharp_v {
                                self.buf.push_str(", ");
                            } else {
                                self.buf.push(' ');
                            }
                        }
                        let key = Value::String(k.clone());
                        self.print_value(&key, verb, depth + 1);
                        self.buf.push(':');
                        self.print_value(val, verb, depth + 1);
                    }
                }
                self.buf.push(if self.f.sharp_v { '}' } else { ']' });
            }
            Value::Struct(s) => {
                let amp = s.pointer && depth == 0 && !self.deref_top;
                if amp {
                    self.buf.push('&');
                }
                if self.f.sharp_v {
                    self.buf.push_str(s.type_name.trim_start_matches('*'));
                }
                self.buf.push('{');
                for (i, (name, fv)) in s.fields.iter().enumerate() {
                    if i > 0 {
                        if self.f.sharp_v {
                            self.buf.push_str(", ");
                        } else {
                            self.buf.push(' ');
                        }
                    }
                    if self.f.plus_v || self.f.sharp_v {
                        self.buf.push_str(name);
                        self.buf.push(':');
                    }
                    self.print_value(fv, verb, depth + 1);
                }
                self.buf.push('}');
            }
            Value::List(l) => {
                if self.f.sharp_v {
                    self.buf.push_str(&v.go_type());
                    let Some(l) = l else {
                        self.buf.push_str("(nil)");
                        return;
                    };
                    self.buf.push('{');
                    for (i, e) in l.iter().enumerate() {
                        if i > 0 {
                            self.buf.push_str(", ");
                        }
                        self.print_value(e, verb, depth + 1);
                    }
                    self.buf.push('}');
                    return;
                }
                self.buf.push('[');
                for (i, e) in l.iter().flatten().enumerate() {
                    if i > 0 {
                        self.buf.push(' ');
                    }
                    self.print_value(e, verb, depth + 1);
                }
                self.buf.push(']');
            }
        }
    }

    fn do_print(&mut self, args: &[FArg<'_>]) {
        let mut prev_string = false;
        for (i, arg) in args.iter().enumerate() {
            let is_string = matches!(arg, FArg::V(Value::String(_)));
            if i > 0 && !is_string && !prev_string {
                self.buf.push(' ');
            }
            self.print_arg(*arg, 'v');
            prev_string = is_string;
        }
    }

    fn do_println(&mut self, args: &[FArg<'_>]) {
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                self.buf.push(' ');
            }
            self.print_arg(*arg, 'v');
        }
        self.buf.push('\n');
    }

    fn arg_number(
        &mut self,
        arg_num: usize,
        format: &[u8],
        i: usize,
        num_args: usize,
        good: &mut bool,
        reordered: &mut bool,
    ) -> (usize, usize, bool) {
        if format.len() <= i || format[i] != b'[' {
            return (arg_num, i, false);
        }
        *reordered = true;
        let (index, wid, ok) = parse_arg_number(&format[i..]);
        if ok && index >= 0 && (index as usize) < num_args {
            return (index as usize, i + wid, true);
        }
        *good = false;
        (arg_num, i + wid, ok)
    }

    fn do_printf(&mut self, format: &str, a: &[FArg<'_>]) {
        let fb = format.as_bytes();
        let end = fb.len();
        let mut arg_num = 0usize;
        let mut after_index;
        let mut reordered = false;
        let mut i = 0usize;
        'format_loop: while i < end {
            let mut good_arg_num = true;
            let lasti = i;
            while i < end && fb[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.push_str(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.clear_flags();
            while i < end {
                let c = fb[i];
                match c {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = true,
                    b'+' => self.f.plus = true,
                    b'-' => self.f.minus = true,
                    b' ' => self.f.space = true,
                    _ => {
                        if c.is_ascii_lowercase() && arg_num < a.len() {
                            if c == b'v' {
                                self.f.sharp_v = self.f.sharp;
                                self.f.sharp = false;
                                self.f.plus_v = self.f.plus;
                                self.f.plus = false;
                            }
                            self.print_arg(a[arg_num], c as char);
                            arg_num += 1;
                            i += 1;
                            continue 'format_loop;
                        }
                        break;
                    }
                }
                i += 1;
            }

            (arg_num, i, after_index) =
                self.arg_number(arg_num, fb, i, a.len(), &mut good_arg_num, &mut reordered);

            if i < end && fb[i] == b'*' {
                i += 1;
                let (num, is_int, new_arg) = int_from_arg(a, arg_num);
                self.wid = num;
                self.f.wid_present = is_int;
                arg_num = new_arg;
                if !self.f.wid_present {
                    self.buf.push_str(BAD_WIDTH);
                }
                if self.wid < 0 {
                    self.wid = -self.wid;
                    self.f.minus = true;
                    self.f.zero = false;
                }
                after_index = false;
            } else {
                let (num, isnum, newi) = parse_num(fb, i, end);
                self.wid = num;
                self.f.wid_present = isnum;
                i = newi;
                if after_index && self.f.wid_present {
                    good_arg_num = false;
                }
            }

            if i + 1 < end && fb[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                (arg_num, i, after_index) =
                    self.arg_number(arg_num, fb, i, a.len(), &mut good_arg_num, &mut reordered);
                if i < end && fb[i] == b'*' {
                    i += 1;
                    let (num, is_int, new_arg) = int_from_arg(a, arg_num);
                    self.prec = num;
                    self.f.prec_present = is_int;
                    arg_num = new_arg;
                    if self.prec < 0 {
                        self.prec = 0;
                        self.f.prec_present = false;
                    }
                    if !self.f.prec_present {
                        self.buf.push_str(BAD_PREC);
                    }
                    after_index = false;
                } else {
                    let (num, isnum, newi) = parse_num(fb, i, end);
                    self.prec = num;
                    self.f.prec_present = isnum;
                    i = newi;
                    if !self.f.prec_present {
                        self.prec = 0;
                        self.f.prec_present = true;
                    }
                }
            }

            if !after_index {
                (arg_num, i, _) =
                    self.arg_number(arg_num, fb, i, a.len(), &mut good_arg_num, &mut reordered);
            }

            if i >= end {
                self.buf.push_str(NO_VERB);
                break;
            }

            let verb = format[i..].chars().next().unwrap_or('%');
            i += verb.len_utf8();

            if verb == '%' {
                self.buf.push('%');
            } else if !good_arg_num {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(BADINDEX)");
            } else if arg_num >= a.len() {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(MISSING)");
            } else {
                if verb == 'v' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(a[arg_num], verb);
                arg_num += 1;
            }
        }

        if !reordered && arg_num < a.len() {
            self.clear_flags();
            self.buf.push_str("%!(EXTRA ");
            for (i, arg) in a[arg_num..].iter().enumerate() {
                if i > 0 {
                    self.buf.push_str(", ");
                }
                match arg {
                    FArg::Nil => self.buf.push_str("<nil>"),
                    FArg::V(v) => {
                        self.buf.push_str(&v.go_type());
                        self.buf.push('=');
                        self.print_arg(*arg, 'v');
                    }
                }
            }
            self.buf.push(')');
        }
    }
}

fn parse_num(s: &[u8], start: usize, end: usize) -> (i64, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num: i64 = 0;
    let mut isnum = false;
    let mut newi = start;
    while newi < end && s[newi].is_ascii_digit() {
        if too_large(num) {
            return (0, false, end);
        }
        num = num * 10 + i64::from(s[newi] - b'0');
        isnum = true;
        newi += 1;
    }
    (num, isnum, newi)
}

fn parse_arg_number(format: &[u8]) -> (i64, usize, bool) {
    if format.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..format.len() {
        if format[i] == b']' {
            let (width, ok, newi) = parse_num(format, 1, i);
            if !ok || newi != i {
                return (0, i + 1, false);
            }
            return (width - 1, i + 1, true);
        }
    }
    (0, 1, false)
}

fn int_from_arg(a: &[FArg<'_>], arg_num: usize) -> (i64, bool, usize) {
    let mut new_arg = arg_num;
    let mut num = 0i64;
    let mut is_int = false;
    if arg_num < a.len() {
        match a[arg_num] {
            FArg::V(Value::Int(i)) => {
                num = *i;
                is_int = true;
            }
            FArg::V(Value::Uint(u)) => {
                if *u <= i64::MAX as u64 {
                    num = *u as i64;
                    is_int = true;
                }
            }
            _ => {}
        }
        new_arg = arg_num + 1;
        if too_large(num) {
            num = 0;
            is_int = false;
        }
    }
    (num, is_int, new_arg)
}

/// Go's `fmt.Sprint`.
pub(crate) fn sprint(args: &[FArg<'_>]) -> String {
    let mut p = Pp::default();
    p.do_print(args);
    p.buf
}

/// Go's `fmt.Sprintln`.
pub(crate) fn sprintln(args: &[FArg<'_>]) -> String {
    let mut p = Pp::default();
    p.do_println(args);
    p.buf
}

/// Go's `fmt.Sprintf`.
pub(crate) fn sprintf(format: &str, args: &[FArg<'_>]) -> String {
    let mut p = Pp::default();
    p.do_printf(format, args);
    p.buf
}

/// What `{{.}}` prints for a value: `fmt.Sprint` after text/template's `printableValue`
/// (a top-level pointer-to-struct is dereferenced, so it prints without `&`).
pub(crate) fn sprint_action(v: &Value) -> String {
    let mut p = Pp {
        deref_top: true,
        ..Pp::default()
    };
    p.print_arg(FArg::V(v), 'v');
    p.buf
}
