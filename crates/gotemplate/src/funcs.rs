//! Go's template builtins and the docker CLI's template functions (basic and header variants).

use std::fmt;

use super::gofmt::{self, FArg};
use super::json;
use super::rv::{Kind as RKind, RV, child, truth};
use super::value::{Value, elem_class};

/// The declared Go type of a function parameter, as far as argument evaluation cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    /// `interface{}` / `any`.
    Any,
    /// `reflect.Value`.
    RValue,
    /// `string`.
    Str,
    /// `int`.
    Int,
    /// `[]string`.
    StrList,
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Param::Any => "interface {}",
            Param::RValue => "reflect.Value",
            Param::Str => "string",
            Param::Int => "int",
            Param::StrList => "[]string",
        })
    }
}

impl Param {
    /// Go's `canBeNil` for the parameter type.
    pub(crate) fn can_be_nil(self) -> bool {
        matches!(self, Param::Any | Param::RValue | Param::StrList)
    }

    /// `reflect.Zero` of the parameter type (only for types that can be nil).
    pub(crate) fn zero<'d>(self) -> RV<'d> {
        match self {
            Param::Any => RV::nil_iface(),
            Param::StrList => RV::val(Value::List(None)),
            _ => RV::invalid(),
        }
    }
}

/// A function implementation. Errors are the text after `error calling NAME: `.
pub(crate) type Imp = for<'d> fn(&[RV<'d>]) -> Result<RV<'d>, String>;

/// A template function: its signature and implementation.
#[derive(Clone, Copy)]
pub(crate) struct Func {
    pub fixed: &'static [Param],
    pub variadic: Option<Param>,
    pub imp: Imp,
    pub builtin: bool,
}

fn special<'d>(_: &[RV<'d>]) -> Result<RV<'d>, String> {
    Err("unreachable".to_string())
}

const fn f(fixed: &'static [Param], variadic: Option<Param>, imp: Imp, builtin: bool) -> Func {
    Func {
        fixed,
        variadic,
        imp,
        builtin,
    }
}

/// Looks a function up; `header` selects docker's HeaderFunctions over basicFunctions.
pub(crate) fn lookup(name: &str, header: bool) -> Option<Func> {
    use Param::*;
    if header {
        let hf = match name {
            "json" | "title" | "lower" | "upper" => Some(f(&[Str], None, first_arg, false)),
            "split" | "join" => Some(f(&[Str, Str], None, first_arg, false)),
            "truncate" => Some(f(&[Str, Int], None, first_arg, false)),
            _ => None,
        };
        if hf.is_some() {
            return hf;
        }
    }
    Some(match name {
        // docker basicFunctions
        "json" => f(&[Any], None, json_fn, false),
        "split" => f(&[Str, Str], None, split, false),
        "join" => f(&[StrList, Str], None, join, false),
        "title" => f(&[Str], None, title, false),
        "lower" => f(&[Str], None, lower, false),
        "upper" => f(&[Str], None, upper, false),
        "pad" => f(&[Str, Int, Int], None, pad, false),
        "truncate" => f(&[Str, Int], None, truncate, false),
        // Go builtins
        "and" | "or" => f(&[RValue], Some(RValue), special, true),
        "call" => f(&[RValue], Some(RValue), special, true),
        "html" => f(&[], Some(Any), html, true),
        "index" => f(&[RValue], Some(RValue), index, true),
        "slice" => f(&[RValue], Some(RValue), slice, true),
        "js" => f(&[], Some(Any), js, true),
        "len" => f(&[RValue], None, length, true),
        "not" => f(&[RValue], None, not, true),
        "print" => f(&[], Some(Any), print, true),
        "printf" => f(&[Str], Some(Any), printf, true),
        "println" => f(&[], Some(Any), println, true),
        "urlquery" => f(&[], Some(Any), urlquery, true),
        "eq" => f(&[RValue], Some(RValue), eq, true),
        "ge" => f(&[RValue, RValue], None, ge, true),
        "gt" => f(&[RValue, RValue], None, gt, true),
        "le" => f(&[RValue, RValue], None, le, true),
        "lt" => f(&[RValue, RValue], None, lt, true),
        "ne" => f(&[RValue, RValue], None, ne, true),
        _ => return None,
    })
}

// --- helpers -------------------------------------------------------------------------------------

fn str_arg<'a>(rv: &'a RV<'_>) -> &'a str {
    match rv.get() {
        Some(Value::String(s)) => s,
        _ => "",
    }
}

fn int_arg(rv: &RV<'_>) -> i64 {
    match rv.get() {
        Some(Value::Int(i)) => *i,
        _ => 0,
    }
}

fn farg<'a>(rv: &'a RV<'_>) -> FArg<'a> {
    match rv.get() {
        None => FArg::Nil,
        Some(Value::Nil) if rv.iface => FArg::Nil,
        Some(v) => FArg::V(v),
    }
}

fn sprint_s(rv: &RV<'_>) -> String {
    gofmt::sprintf("%s", &[farg(rv)])
}

fn sprint_v(rv: &RV<'_>) -> String {
    gofmt::sprintf("%v", &[farg(rv)])
}

fn string_result<'d>(s: String) -> Result<RV<'d>, String> {
    Ok(RV::val(Value::String(s)))
}

// --- docker functions ----------------------------------------------------------------------------

fn first_arg<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    string_result(str_arg(&args[0]).to_string())
}

fn json_fn<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    let out = match farg(&args[0]) {
        FArg::Nil => "null".to_string(),
        FArg::V(v) => json::encode(v).unwrap_or_default(),
    };
    string_result(out.trim().to_string())
}

fn split<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    let s = str_arg(&args[0]);
    let sep = str_arg(&args[1]);
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep).map(|p| Value::String(p.to_string())).collect()
    };
    Ok(RV::val(Value::List(Some(parts))))
}

fn join<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    let sep = str_arg(&args[1]);
    let items: Vec<&str> = match args[0].get() {
        Some(Value::List(Some(l))) => l
            .iter()
            .map(|v| match v {
                Value::String(s) => s.as_str(),
                _ => "",
            })
            .collect(),
        _ => Vec::new(),
    };
    string_result(items.join(sep))
}

fn simple_upper(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn simple_lower(c: char) -> char {
    if c == '\u{0130}' {
        return 'i';
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn to_title(c: char) -> char {
    match c {
        '\u{01C4}'..='\u{01C6}' => '\u{01C5}',
        '\u{01C7}'..='\u{01C9}' => '\u{01C8}',
        '\u{01CA}'..='\u{01CC}' => '\u{01CB}',
        '\u{01F1}'..='\u{01F3}' => '\u{01F2}',
        _ => simple_upper(c),
    }
}

fn is_separator(r: char) -> bool {
    if r.is_ascii() {
        return !(r.is_ascii_alphanumeric() || r == '_');
    }
    if r.is_alphabetic() || r.is_numeric() {
        return false;
    }
    r.is_whitespace()
}

/// Go's (deprecated) `strings.Title`.
pub(crate) fn go_title(s: &str) -> String {
    let mut prev = ' ';
    s.chars()
        .map(|r| {
            let out = if is_separator(prev) { to_title(r) } else { r };
            prev = r;
            out
        })
        .collect()
}

fn title<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    string_result(go_title(str_arg(&args[0])))
}

fn lower<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    string_result(str_arg(&args[0]).chars().map(simple_lower).collect())
}

fn upper<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    string_result(str_arg(&args[0]).chars().map(simple_upper).collect())
}

fn pad<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    let s = str_arg(&args[0]);
    if s.is_empty() {
        return string_result(String::new());
    }
    let (prefix, suffix) = (int_arg(&args[1]), int_arg(&args[2]));
    if prefix < 0 || suffix < 0 {
        return Err("strings: negative Repeat count".to_string());
    }
    string_result(format!(
        "{}{s}{}",
        " ".repeat(prefix as usize),
        " ".repeat(suffix as usize)
    ))
}

fn truncate<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    let s = str_arg(&args[0]);
    let n = int_arg(&args[1]);
    if (s.len() as i64) < n {
        return string_result(s.to_string());
    }
    if n < 0 {
        return Err(format!("runtime error: slice bounds out of range [:{n}]"));
    }
    string_result(String::from_utf8_lossy(&s.as_bytes()[..n as usize]).into_owned())
}

// --- Go builtins ---------------------------------------------------------------------------------

fn index_arg(index: &RV<'_>, cap: usize) -> Result<usize, String> {
    let x: i64 = match index.get() {
        _ if !index.is_valid() => return Err("cannot index slice/array with nil".to_string()),
        Some(Value::Int(i)) if !index.iface => *i,
        Some(Value::Uint(u)) if !index.iface => *u as i64,
        _ => {
            return Err(format!(
                "cannot index slice/array with type {}",
                index.type_string()
            ));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    let mut item = args[0].clone().indirect_interface();
    if !item.is_valid() {
        return Err("index of untyped nil".to_string());
    }
    for idx in &args[1..] {
        let idx = idx.clone().indirect_interface();
        if item.is_nil_ptr_or_iface() {
            return Err("index of nil pointer".to_string());
        }
        item = item.indirect_interface();
        let Some(cur) = item.v.clone() else {
            return Err("index of untyped nil".to_string());
        };
        match cur.as_ref() {
            Value::List(l) => {
                let len = l.as_ref().map_or(0, Vec::len);
                let x = index_arg(&idx, len)?;
                if x == len {
                    return Err("reflect: slice index out of range".to_string());
                }
                let iface = elem_class(l.iter().flatten()).is_iface();
                let e = child(&cur, |v| match v {
                    Value::List(Some(l)) => l.get(x),
                    _ => None,
                });
                item = match e {
                    Some(e) => RV::elem(e, iface),
                    None => RV::invalid(),
                };
            }
            Value::String(s) => {
                let x = index_arg(&idx, s.len())?;
                if x == s.len() {
                    return Err("reflect: string index out of range".to_string());
                }
                item = RV::val(Value::Uint(u64::from(s.as_bytes()[x])));
            }
            Value::Map(m) => {
                let key = match idx.get() {
                    // reflect's zero Value: Go's prepareArg refuses it for a string key.
                    None if !idx.is_valid() => {
                        return Err("value is nil; should be of type string".to_string());
                    }
                    None => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(_) => {
                        return Err(format!(
                            "value has type {}; should be string",
                            idx.type_string()
                        ));
                    }
                };
                let class = match m {
                    Some(m) => elem_class(m.values()),
                    None => super::value::ElemClass::Empty,
                };
                let iface = class.is_iface();
                let e = child(&cur, |v| match v {
                    Value::Map(Some(m)) => m.get(&key),
                    _ => None,
                });
                item = match e {
                    Some(e) => RV::elem(e, iface),
                    None => match class.zero() {
                        Some(z) => RV::val(z),
                        None => RV::nil_iface(),
                    },
                };
            }
            _ => {
                return Err(format!("can't index item of type {}", item.type_string()));
            }
        }
    }
    Ok(item)
}

fn slice<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    let item = args[0].clone().indirect_interface();
    let Some(v) = item.get() else {
        return Err("slice of untyped nil".to_string());
    };
    let indexes = &args[1..];
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let cap = match v {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".to_string());
            }
            s.len()
        }
        Value::List(l) => l.as_ref().map_or(0, Vec::len),
        _ => return Err(format!("can't slice item of type {}", item.type_string())),
    };
    let mut idx = [0usize, cap, 0];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(&index.clone().indirect_interface(), cap)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(RV::val(match v {
        Value::String(s) => {
            Value::String(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).into_owned())
        }
        Value::List(None) => Value::List(None),
        Value::List(Some(l)) => Value::List(Some(l[idx[0]..idx[1]].to_vec())),
        _ => Value::Nil,
    }))
}

fn length<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    let item = &args[0];
    if item.is_nil_ptr_or_iface() {
        return Err("len of nil pointer".to_string());
    }
    let n = match item.get() {
        None => return Err("reflect: call of reflect.Value.Type on zero Value".to_string()),
        Some(Value::String(s)) => s.len(),
        Some(Value::List(l)) => l.as_ref().map_or(0, Vec::len),
        Some(Value::Map(m)) => m.as_ref().map_or(0, |m| m.len()),
        Some(v) => return Err(format!("len of type {}", v.go_type())),
    };
    Ok(RV::val(Value::Int(n as i64)))
}

fn not<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    Ok(RV::val(Value::Bool(!truth(&args[0]))))
}

fn print<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    let a: Vec<FArg<'_>> = args.iter().map(farg).collect();
    string_result(gofmt::sprint(&a))
}

fn println<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    let a: Vec<FArg<'_>> = args.iter().map(farg).collect();
    string_result(gofmt::sprintln(&a))
}

fn printf<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    let a: Vec<FArg<'_>> = args[1..].iter().map(farg).collect();
    string_result(gofmt::sprintf(str_arg(&args[0]), &a))
}

/// text/template's `evalArgs`: fmt.Sprint of the arguments after `printableValue`.
fn eval_args(args: &[RV<'_>]) -> String {
    if let [one] = args {
        if let Some(Value::String(s)) = one.get() {
            return s.clone();
        }
    }
    let vals: Vec<Value> = args
        .iter()
        .map(|a| match farg(a) {
            FArg::Nil => Value::String("<no value>".to_string()),
            FArg::V(Value::Struct(s)) if s.pointer => {
                let mut s = s.clone();
                s.pointer = false;
                Value::Struct(s)
            }
            FArg::V(v) => v.clone(),
        })
        .collect();
    let a: Vec<FArg<'_>> = vals.iter().map(FArg::V).collect();
    gofmt::sprint(&a)
}

/// Go's `template.HTMLEscapeString`.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub(crate) fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if c.is_ascii() || gofmt::is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn html<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    string_result(html_escape(&eval_args(args)))
}

fn js<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    string_result(js_escape(&eval_args(args)))
}

fn urlquery<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    string_result(query_escape(&eval_args(args)))
}

/// The builtin `call`: this model has no function values, so it always fails like Go does
/// for non-functions.
pub(crate) fn call(name: &str, args: &[RV<'_>]) -> Result<(), String> {
    let f = args[0].clone().indirect_interface();
    if !f.is_valid() {
        return Err("call of nil".to_string());
    }
    Err(format!("non-function {name} of type {}", f.type_string()))
}

// --- comparison ----------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BasicKind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
    Uint,
}

fn basic_kind(rv: &RV<'_>) -> BasicKind {
    match rv.kind() {
        RKind::Bool => BasicKind::Bool,
        RKind::Int => BasicKind::Int,
        RKind::Uint => BasicKind::Uint,
        RKind::Float => BasicKind::Float,
        RKind::String => BasicKind::String,
        _ => BasicKind::Invalid,
    }
}

fn is_nil(rv: &RV<'_>) -> bool {
    match rv.get() {
        None | Some(Value::Nil) | Some(Value::List(None)) | Some(Value::Map(None)) => true,
        Some(_) => false,
    }
}

fn comparable(v: &Value) -> bool {
    match v {
        Value::List(_) | Value::Map(_) => false,
        Value::Struct(s) => s.pointer || s.fields.iter().all(|(_, f)| comparable(f)),
        _ => true,
    }
}

fn as_int(rv: &RV<'_>) -> i64 {
    match rv.get() {
        Some(Value::Int(i)) => *i,
        _ => 0,
    }
}

fn as_uint(rv: &RV<'_>) -> u64 {
    match rv.get() {
        Some(Value::Uint(u)) => *u,
        _ => 0,
    }
}

fn as_float(rv: &RV<'_>) -> f64 {
    match rv.get() {
        Some(Value::Float(f)) => *f,
        _ => 0.0,
    }
}

fn as_str<'a>(rv: &'a RV<'_>) -> &'a str {
    str_arg(rv)
}

fn as_bool(rv: &RV<'_>) -> bool {
    matches!(rv.get(), Some(Value::Bool(true)))
}

fn eq_values(arg1: &RV<'_>, rest: &[RV<'_>]) -> Result<bool, String> {
    let a1 = arg1.clone().indirect_interface();
    if rest.is_empty() {
        return Err("missing argument for comparison".to_string());
    }
    let k1 = basic_kind(&a1);
    for arg in rest {
        let a = arg.clone().indirect_interface();
        let k2 = basic_kind(&a);
        let truth = if k1 != k2 {
            match (k1, k2) {
                (BasicKind::Int, BasicKind::Uint) => {
                    as_int(&a1) >= 0 && as_int(&a1) as u64 == as_uint(&a)
                }
                (BasicKind::Uint, BasicKind::Int) => {
                    as_int(&a) >= 0 && as_uint(&a1) == as_int(&a) as u64
                }
                _ => {
                    if a1.is_valid() && a.is_valid() {
                        return Err(format!(
                            "incompatible types for comparison: {} and {}",
                            a1.type_string(),
                            a.type_string()
                        ));
                    }
                    false
                }
            }
        } else {
            match k1 {
                BasicKind::Bool => as_bool(&a1) == as_bool(&a),
                BasicKind::Float => as_float(&a1) == as_float(&a),
                BasicKind::Int => as_int(&a1) == as_int(&a),
                BasicKind::String => as_str(&a1) == as_str(&a),
                BasicKind::Uint => as_uint(&a1) == as_uint(&a),
                BasicKind::Invalid => {
                    let (ka, kb) = (a1.kind(), a.kind());
                    if ka != kb && ka != RKind::Invalid && kb != RKind::Invalid {
                        return Err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            sprint_s(&a1),
                            a1.type_string(),
                            a.type_string(),
                            sprint_v(&a)
                        ));
                    }
                    if is_nil(&a1) || is_nil(&a) {
                        is_nil(&a) == is_nil(&a1)
                    } else {
                        let (Some(x), Some(y)) = (a1.get(), a.get()) else {
                            return Ok(false);
                        };
                        if !comparable(y) {
                            return Err(format!(
                                "non-comparable type {}: {}",
                                sprint_s(&a),
                                a.type_string()
                            ));
                        }
                        x == y
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt_values(arg1: &RV<'_>, arg2: &RV<'_>) -> Result<bool, String> {
    const BAD: &str = "invalid type for comparison";
    let a1 = arg1.clone().indirect_interface();
    let k1 = basic_kind(&a1);
    if k1 == BasicKind::Invalid {
        return Err(BAD.to_string());
    }
    let a2 = arg2.clone().indirect_interface();
    let k2 = basic_kind(&a2);
    if k2 == BasicKind::Invalid {
        return Err(BAD.to_string());
    }
    if k1 != k2 {
        return match (k1, k2) {
            (BasicKind::Int, BasicKind::Uint) => {
                Ok(as_int(&a1) < 0 || (as_int(&a1) as u64) < as_uint(&a2))
            }
            (BasicKind::Uint, BasicKind::Int) => {
                Ok(as_int(&a2) >= 0 && as_uint(&a1) < as_int(&a2) as u64)
            }
            _ => Err(format!(
                "incompatible types for comparison: {} and {}",
                a1.type_string(),
                a2.type_string()
            )),
        };
    }
    match k1 {
        BasicKind::Bool | BasicKind::Invalid => Err(BAD.to_string()),
        BasicKind::Float => Ok(as_float(&a1) < as_float(&a2)),
        BasicKind::Int => Ok(as_int(&a1) < as_int(&a2)),
        BasicKind::String => Ok(as_str(&a1) < as_str(&a2)),
        BasicKind::Uint => Ok(as_uint(&a1) < as_uint(&a2)),
    }
}

fn bool_result<'d>(b: bool) -> Result<RV<'d>, String> {
    Ok(RV::val(Value::Bool(b)))
}

fn eq<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    bool_result(eq_values(&args[0], &args[1..])?)
}

fn ne<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    bool_result(!eq_values(&args[0], &args[1..2])?)
}

fn lt<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    bool_result(lt_values(&args[0], &args[1])?)
}

fn le_values(a: &RV<'_>, b: &RV<'_>) -> Result<bool, String> {
    if lt_values(a, b)? {
        return Ok(true);
    }
    eq_values(a, std::slice::from_ref(b))
}

fn le<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    bool_result(le_values(&args[0], &args[1])?)
}

fn gt<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    bool_result(!le_values(&args[0], &args[1])?)
}

fn ge<'d>(args: &[RV<'d>]) -> Result<RV<'d>, String> {
    bool_result(!lt_values(&args[0], &args[1])?)
}
