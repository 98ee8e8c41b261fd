//! Go's `encoding/json` functions over JSON text: `Valid`, `Compact`, `Indent` and `HTMLEscape`,
//! driven by a port of its scanner, so number text and string escapes pass through byte for
//! byte and errors read as Go's (`invalid character '}' after object key`).

use std::fmt;

/// Go's `*json.SyntaxError`: the message and the byte offset Go reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The message, e.g. `unexpected end of JSON input`.
    pub msg: String,
    /// Bytes read before the error (Go's `Offset`; `Compact` always reports 0).
    pub offset: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for SyntaxError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Scan {
    Continue,
    BeginLiteral,
    BeginObject,
    ObjectKey,
    ObjectValue,
    EndObject,
    BeginArray,
    ArrayValue,
    EndArray,
    SkipSpace,
    End,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    BeginValueOrEmpty,
    BeginValue,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    EscU,
    EscU1,
    EscU12,
    EscU123,
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    T,
    Tr,
    Tru,
    F,
    Fa,
    Fal,
    Fals,
    N,
    Nu,
    Nul,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parse {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

const MAX_NESTING_DEPTH: usize = 10000;

struct Scanner {
    step: Step,
    end_top: bool,
    parse: Vec<Parse>,
    err: Option<SyntaxError>,
    bytes: usize,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Go's `quoteChar`: a byte in single quotes, escaped as strconv.Quote escapes `string(rune(c))`.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        0xA0 | 0xAD => format!("'\\u{c:04x}'"),
        _ => {
            let q = strata_core::gojson::quote(&char::from(c).to_string());
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

impl Scanner {
    fn new() -> Scanner {
        Scanner {
            step: Step::BeginValue,
            end_top: false,
            parse: Vec::new(),
            err: None,
            bytes: 0,
        }
    }

    fn error(&mut self, c: u8, context: &str) -> Scan {
        self.step = Step::Error;
        self.err = Some(SyntaxError {
            msg: format!("invalid character {} {context}", quote_char(c)),
            offset: self.bytes,
        });
        Scan::Error
    }

    fn push(&mut self, c: u8, p: Parse, ok: Scan) -> Scan {
        self.parse.push(p);
        if self.parse.len() <= MAX_NESTING_DEPTH {
            ok
        } else {
            self.error(c, "exceeded max depth")
        }
    }

    fn pop(&mut self) {
        self.parse.pop();
        if self.parse.is_empty() {
            self.step = Step::EndTop;
            self.end_top = true;
        } else {
            self.step = Step::EndValue;
        }
    }

    fn eof(&mut self) -> Scan {
        if self.err.is_some() {
            return Scan::Error;
        }
        if self.end_top {
            return Scan::End;
        }
        self.step(b' ');
        if self.end_top {
            return Scan::End;
        }
        if self.err.is_none() {
            self.err = Some(SyntaxError {
                msg: "unexpected end of JSON input".into(),
                offset: self.bytes,
            });
        }
        Scan::Error
    }

    fn begin_value(&mut self, c: u8) -> Scan {
        if is_space(c) {
            return Scan::SkipSpace;
        }
        let (next, scan) = match c {
            b'{' => {
                self.step = Step::BeginStringOrEmpty;
                return self.push(c, Parse::ObjectKey, Scan::BeginObject);
            }
            b'[' => {
                self.step = Step::BeginValueOrEmpty;
                return self.push(c, Parse::ArrayValue, Scan::BeginArray);
            }
            b'"' => (Step::InString, Scan::BeginLiteral),
            b'-' => (Step::Neg, Scan::BeginLiteral),
            b'0' => (Step::Zero, Scan::BeginLiteral),
            b't' => (Step::T, Scan::BeginLiteral),
            b'f' => (Step::F, Scan::BeginLiteral),
            b'n' => (Step::N, Scan::BeginLiteral),
            b'1'..=b'9' => (Step::One, Scan::BeginLiteral),
            _ => return self.error(c, "looking for beginning of value"),
        };
        self.step = next;
        scan
    }

    fn end_value(&mut self, c: u8) -> Scan {
        let Some(&ps) = self.parse.last() else {
            self.step = Step::EndTop;
            self.end_top = true;
            return self.end_top_step(c);
        };
        if is_space(c) {
            self.step = Step::EndValue;
            return Scan::SkipSpace;
        }
        let n = self.parse.len() - 1;
        match ps {
            Parse::ObjectKey => {
                if c == b':' {
                    self.parse[n] = Parse::ObjectValue;
                    self.step = Step::BeginValue;
                    return Scan::ObjectKey;
                }
                self.error(c, "after object key")
            }
            Parse::ObjectValue => {
                if c == b',' {
                    self.parse[n] = Parse::ObjectKey;
                    self.step = Step::BeginString;
                    return Scan::ObjectValue;
                }
                if c == b'}' {
                    self.pop();
                    return Scan::EndObject;
                }
                self.error(c, "after object key:value pair")
            }
            Parse::ArrayValue => {
                if c == b',' {
                    self.step = Step::BeginValue;
                    return Scan::ArrayValue;
                }
                if c == b']' {
                    self.pop();
                    return Scan::EndArray;
                }
                self.error(c, "after array element")
            }
        }
    }

    fn end_top_step(&mut self, c: u8) -> Scan {
        if !is_space(c) {
            self.error(c, "after top-level value");
        }
        Scan::End
    }

    fn literal(&mut self, c: u8, want: u8, next: Step, what: &str) -> Scan {
        if c == want {
            self.step = next;
            return Scan::Continue;
        }
        self.error(
            c,
            &format!("in literal {what} (expecting '{}')", want as char),
        )
    }

    fn step(&mut self, c: u8) -> Scan {
        let hex = |c: u8| c.is_ascii_hexdigit();
        match self.step {
            Step::BeginValueOrEmpty => {
                if is_space(c) {
                    Scan::SkipSpace
                } else if c == b']' {
                    self.end_value(c)
                } else {
                    self.begin_value(c)
                }
            }
            Step::BeginValue => self.begin_value(c),
            Step::BeginStringOrEmpty => {
                if is_space(c) {
                    return Scan::SkipSpace;
                }
                if c == b'}' {
                    if let Some(last) = self.parse.last_mut() {
                        *last = Parse::ObjectValue;
                    }
                    return self.end_value(c);
                }
                self.begin_string(c)
            }
            Step::BeginString => self.begin_string(c),
            Step::EndValue => self.end_value(c),
            Step::EndTop => self.end_top_step(c),
            Step::InString => match c {
                b'"' => {
                    self.step = Step::EndValue;
                    Scan::Continue
                }
                b'\\' => {
                    self.step = Step::InStringEsc;
                    Scan::Continue
                }
                c if c < 0x20 => self.error(c, "in string literal"),
                _ => Scan::Continue,
            },
            Step::InStringEsc => match c {
                b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {
                    self.step = Step::InString;
                    Scan::Continue
                }
                b'u' => {
                    self.step = Step::EscU;
                    Scan::Continue
                }
                _ => self.error(c, "in string escape code"),
            },
            Step::EscU | Step::EscU1 | Step::EscU12 | Step::EscU123 => {
                if !hex(c) {
                    return self.error(c, "in \\u hexadecimal character escape");
                }
                self.step = match self.step {
                    Step::EscU => Step::EscU1,
                    Step::EscU1 => Step::EscU12,
                    Step::EscU12 => Step::EscU123,
                    _ => Step::InString,
                };
                Scan::Continue
            }
            Step::Neg => match c {
                b'0' => {
                    self.step = Step::Zero;
                    Scan::Continue
                }
                b'1'..=b'9' => {
                    self.step = Step::One;
                    Scan::Continue
                }
                _ => self.error(c, "in numeric literal"),
            },
            Step::One if c.is_ascii_digit() => Scan::Continue,
            Step::One | Step::Zero => match c {
                b'.' => {
                    self.step = Step::Dot;
                    Scan::Continue
                }
                b'e' | b'E' => {
                    self.step = Step::E;
                    Scan::Continue
                }
                _ => self.end_value(c),
            },
            Step::Dot => {
                if c.is_ascii_digit() {
                    self.step = Step::Dot0;
                    Scan::Continue
                } else {
                    self.error(c, "after decimal point in numeric literal")
                }
            }
            Step::Dot0 => match c {
                b'0'..=b'9' => Scan::Continue,
                b'e' | b'E' => {
                    self.step = Step::E;
                    Scan::Continue
                }
                _ => self.end_value(c),
            },
            Step::E if c == b'+' || c == b'-' => {
                self.step = Step::ESign;
                Scan::Continue
            }
            Step::E | Step::ESign => {
                if c.is_ascii_digit() {
                    self.step = Step::E0;
                    Scan::Continue
                } else {
                    self.error(c, "in exponent of numeric literal")
                }
            }
            Step::E0 => {
                if c.is_ascii_digit() {
                    Scan::Continue
                } else {
                    self.end_value(c)
                }
            }
            Step::T => self.literal(c, b'r', Step::Tr, "true"),
            Step::Tr => self.literal(c, b'u', Step::Tru, "true"),
            Step::Tru => self.literal(c, b'e', Step::EndValue, "true"),
            Step::F => self.literal(c, b'a', Step::Fa, "false"),
            Step::Fa => self.literal(c, b'l', Step::Fal, "false"),
            Step::Fal => self.literal(c, b's', Step::Fals, "false"),
            Step::Fals => self.literal(c, b'e', Step::EndValue, "false"),
            Step::N => self.literal(c, b'u', Step::Nu, "null"),
            Step::Nu => self.literal(c, b'l', Step::Nul, "null"),
            Step::Nul => self.literal(c, b'l', Step::EndValue, "null"),
            Step::Error => Scan::Error,
        }
    }

    fn begin_string(&mut self, c: u8) -> Scan {
        if is_space(c) {
            return Scan::SkipSpace;
        }
        if c == b'"' {
            self.step = Step::InString;
            return Scan::BeginLiteral;
        }
        self.error(c, "looking for beginning of object key string")
    }
}

/// `json.Valid`.
pub fn valid(src: &[u8]) -> bool {
    let mut s = Scanner::new();
    for &c in src {
        s.bytes += 1;
        if s.step(c) == Scan::Error {
            return false;
        }
    }
    s.eof() != Scan::Error
}

fn compact_into(dst: &mut Vec<u8>, src: &[u8], escape: bool) -> Result<(), SyntaxError> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let orig = dst.len();
    let mut s = Scanner::new();
    let mut start = 0;
    for (i, &c) in src.iter().enumerate() {
        if escape && matches!(c, b'<' | b'>' | b'&') {
            dst.extend_from_slice(&src[start..i]);
            dst.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(c >> 4) as usize],
                HEX[(c & 0xF) as usize],
            ]);
            start = i + 1;
        }
        if escape && c == 0xE2 && i + 2 < src.len() && src[i + 1] == 0x80 && src[i + 2] & !1 == 0xA8
        {
            dst.extend_from_slice(&src[start.min(i)..i]);
            dst.extend_from_slice(&[
                b'\\',
                b'u',
                b'2',
                b'0',
                b'2',
                HEX[(src[i + 2] & 0xF) as usize],
            ]);
            start = i + 3;
        }
        let v = s.step(c);
        if v >= Scan::SkipSpace {
            if v == Scan::Error {
                break;
            }
            if start < i {
                dst.extend_from_slice(&src[start..i]);
            }
            start = i + 1;
        }
    }
    if s.eof() == Scan::Error {
        dst.truncate(orig);
        return Err(s.err.unwrap_or(SyntaxError {
            msg: "unexpected end of JSON input".into(),
            offset: 0,
        }));
    }
    if start < src.len() {
        dst.extend_from_slice(&src[start..]);
    }
    Ok(())
}

/// `json.Compact`: insignificant space removed; everything else byte for byte.
pub fn compact(src: &[u8]) -> Result<Vec<u8>, SyntaxError> {
    let mut out = Vec::with_capacity(src.len());
    compact_into(&mut out, src, false)?;
    Ok(out)
}

/// `Marshal`'s compaction of `MarshalJSON` output: [`compact`] plus HTML and U+2028/U+2029 escapes.
pub fn compact_escaped(src: &[u8]) -> Result<Vec<u8>, SyntaxError> {
    let mut out = Vec::with_capacity(src.len());
    compact_into(&mut out, src, true)?;
    Ok(out)
}

fn newline(dst: &mut Vec<u8>, prefix: &str, indent: &str, depth: usize) {
    dst.push(b'\n');
    dst.extend_from_slice(prefix.as_bytes());
    for _ in 0..depth {
        dst.extend_from_slice(indent.as_bytes());
    }
}

/// `json.Indent`: one element per line, `prefix` then `indent` per level after each newline;
/// empty containers stay `{}`/`[]`, text after the value is kept.
pub fn indent(src: &[u8], prefix: &str, indent: &str) -> Result<Vec<u8>, SyntaxError> {
    let mut dst = Vec::with_capacity(src.len() * 2);
    let mut s = Scanner::new();
    let mut need_indent = false;
    let mut depth = 0usize;
    for &c in src {
        s.bytes += 1;
        let v = s.step(c);
        if v == Scan::SkipSpace {
            continue;
        }
        if v == Scan::Error {
            break;
        }
        if need_indent && v != Scan::EndObject && v != Scan::EndArray {
            need_indent = false;
            depth += 1;
            newline(&mut dst, prefix, indent, depth);
        }
        if v == Scan::Continue {
            dst.push(c);
            continue;
        }
        match c {
            b'{' | b'[' => {
                need_indent = true;
                dst.push(c);
            }
            b',' => {
                dst.push(c);
                newline(&mut dst, prefix, indent, depth);
            }
            b':' => dst.extend_from_slice(b": "),
            b'}' | b']' => {
                if need_indent {
                    need_indent = false;
                } else {
                    depth = depth.saturating_sub(1);
                    newline(&mut dst, prefix, indent, depth);
                }
                dst.push(c);
            }
            _ => dst.push(c),
        }
    }
    if s.eof() == Scan::Error {
        return Err(s.err.unwrap_or(SyntaxError {
            msg: "unexpected end of JSON input".into(),
            offset: s.bytes,
        }));
    }
    Ok(dst)
}

/// `json.HTMLEscape`: `<`, `>`, `&`, U+2028 and U+2029 escaped anywhere in the bytes.
pub fn html_escape(src: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut dst = Vec::with_capacity(src.len());
    let mut start = 0;
    for (i, &c) in src.iter().enumerate() {
        if matches!(c, b'<' | b'>' | b'&') {
            dst.extend_from_slice(&src[start..i]);
            dst.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(c >> 4) as usize],
                HEX[(c & 0xF) as usize],
            ]);
            start = i + 1;
        }
        if c == 0xE2 && i + 2 < src.len() && src[i + 1] == 0x80 && src[i + 2] & !1 == 0xA8 {
            dst.extend_from_slice(&src[start.min(i)..i]);
            dst.extend_from_slice(&[
                b'\\',
                b'u',
                b'2',
                b'0',
                b'2',
                HEX[(src[i + 2] & 0xF) as usize],
            ]);
            start = i + 3;
        }
    }
    dst.extend_from_slice(&src[start.min(src.len())..]);
    dst
}
