//! The executor's view of a value: the analogue of Go's `reflect.Value`.

use std::borrow::Cow;

use super::value::{Value, elem_class};

/// A value during execution. `v == None` is Go's zero `reflect.Value` (a missing map key, a nil
/// interface that was unwrapped). `iface` marks a value read out of an `interface{}` slot (an
/// element of a `[]interface{}` or `map[string]interface{}`); a `Value::Nil` with `iface` set is a
/// nil interface, without it a nil pointer.
#[derive(Clone, Debug)]
pub(crate) struct RV<'d> {
    pub v: Option<Cow<'d, Value>>,
    pub iface: bool,
    /// For a nil pointer read from a struct field: a guess at its Go type, for messages.
    pub hint: Option<String>,
}

/// Go's reflect kinds, as far as this model distinguishes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Invalid,
    Interface,
    Bool,
    Int,
    Uint,
    Float,
    String,
    Slice,
    Map,
    Struct,
    Ptr,
}

impl<'d> RV<'d> {
    /// Go's zero `reflect.Value`.
    pub(crate) fn invalid() -> RV<'d> {
        RV {
            v: None,
            iface: false,
            hint: None,
        }
    }

    /// An owned concrete value.
    pub(crate) fn val(v: Value) -> RV<'d> {
        RV {
            v: Some(Cow::Owned(v)),
            iface: false,
            hint: None,
        }
    }

    /// A borrowed concrete value.
    pub(crate) fn borrowed(v: &'d Value) -> RV<'d> {
        RV {
            v: Some(Cow::Borrowed(v)),
            iface: false,
            hint: None,
        }
    }

    /// A nil `interface{}` value.
    pub(crate) fn nil_iface() -> RV<'d> {
        RV {
            v: Some(Cow::Owned(Value::Nil)),
            iface: true,
            hint: None,
        }
    }

    /// An element read from a container.
    pub(crate) fn elem(v: Cow<'d, Value>, iface: bool) -> RV<'d> {
        RV {
            v: Some(v),
            iface,
            hint: None,
        }
    }

    /// The underlying value, if valid.
    pub(crate) fn get(&self) -> Option<&Value> {
        self.v.as_deref()
    }

    /// Whether this is not the zero `reflect.Value`.
    pub(crate) fn is_valid(&self) -> bool {
        self.v.is_some()
    }

    /// The reflect kind.
    pub(crate) fn kind(&self) -> Kind {
        if self.iface {
            return Kind::Interface;
        }
        match self.get() {
            None => Kind::Invalid,
            Some(Value::Nil) => Kind::Ptr,
            Some(Value::Bool(_)) => Kind::Bool,
            Some(Value::Int(_)) => Kind::Int,
            Some(Value::Uint(_)) => Kind::Uint,
            Some(Value::Float(_)) => Kind::Float,
            Some(Value::String(_)) => Kind::String,
            Some(Value::List(_)) => Kind::Slice,
            Some(Value::Map(_)) => Kind::Map,
            Some(Value::Struct(s)) => {
                if s.pointer {
                    Kind::Ptr
                } else {
                    Kind::Struct
                }
            }
        }
    }

    /// `reflect.Type.String()` of this value.
    pub(crate) fn type_string(&self) -> String {
        if self.iface {
            return "interface {}".to_string();
        }
        match self.get() {
            None => "<nil>".to_string(),
            Some(Value::Nil) => self.hint.clone().unwrap_or_else(|| "<nil>".to_string()),
            Some(v) => v.go_type(),
        }
    }

    /// Go's `indirectInterface`: the concrete value inside an interface, or the zero value.
    pub(crate) fn indirect_interface(self) -> RV<'d> {
        if !self.iface {
            return self;
        }
        if matches!(self.get(), Some(Value::Nil)) {
            return RV::invalid();
        }
        RV {
            v: self.v,
            iface: false,
            hint: None,
        }
    }

    /// Whether the value is a nil pointer or nil interface (Go's `indirect` reporting isNil).
    pub(crate) fn is_nil_ptr_or_iface(&self) -> bool {
        matches!(self.get(), Some(Value::Nil))
    }
}

/// Go's `isTrue`.
pub(crate) fn is_true(v: &Value) -> bool {
    match v {
        Value::Nil => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Uint(u) => *u != 0,
        Value::Float(f) => *f != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::List(l) => l.as_ref().is_some_and(|l| !l.is_empty()),
        Value::Map(m) => m.as_ref().is_some_and(|m| !m.is_empty()),
        Value::Struct(_) => true,
    }
}

/// `isTrue(indirectInterface(v))`.
pub(crate) fn truth(rv: &RV<'_>) -> bool {
    if rv.iface && matches!(rv.get(), Some(Value::Nil)) {
        return false;
    }
    rv.get().is_some_and(is_true)
}

/// Projects a child out of a possibly-borrowed parent, borrowing when the parent is borrowed.
pub(crate) fn child<'d>(
    parent: &Cow<'d, Value>,
    f: impl for<'a> Fn(&'a Value) -> Option<&'a Value>,
) -> Option<Cow<'d, Value>> {
    match parent {
        Cow::Borrowed(p) => f(p).map(Cow::Borrowed),
        Cow::Owned(p) => f(p).map(|v| Cow::Owned(v.clone())),
    }
}

/// The elements of a slice value, and whether they are interface values.
pub(crate) fn list_items<'d>(v: &Cow<'d, Value>) -> (Vec<Cow<'d, Value>>, bool) {
    match v {
        Cow::Borrowed(Value::List(Some(l))) => (
            l.iter().map(Cow::Borrowed).collect(),
            elem_class(l.iter()).is_iface(),
        ),
        Cow::Owned(Value::List(Some(l))) => (
            l.iter().map(|e| Cow::Owned(e.clone())).collect(),
            elem_class(l.iter()).is_iface(),
        ),
        _ => (Vec::new(), false),
    }
}

/// The entries of a map value in key order, and whether the values are interface values.
pub(crate) fn map_items<'d>(v: &Cow<'d, Value>) -> (Vec<(String, Cow<'d, Value>)>, bool) {
    match v {
        Cow::Borrowed(Value::Map(Some(m))) => (
            m.iter()
                .map(|(k, e)| (k.clone(), Cow::Borrowed(e)))
                .collect(),
            elem_class(m.values()).is_iface(),
        ),
        Cow::Owned(Value::Map(Some(m))) => (
            m.iter()
                .map(|(k, e)| (k.clone(), Cow::Owned(e.clone())))
                .collect(),
            elem_class(m.values()).is_iface(),
        ),
        _ => (Vec::new(), false),
    }
}
