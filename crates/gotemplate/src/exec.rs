//! Executor: a port of Go's `text/template/exec.go`.

use std::collections::BTreeMap;
use std::fmt;

use super::TemplateError;
use super::funcs::{self, Func, Param};
use super::gofmt;
use super::parse::{Arg, Branch, Command, List, Node, Pipe, Tree};
use super::rv::{RV, child, list_items, map_items, truth};
use super::value::{Value, elem_class};

/// Maximum nesting of `{{template}}` calls (Go allows 100000; native stacks are smaller).
const MAX_EXEC_DEPTH: usize = 1000;

/// Why a walk stopped early.
enum Stop {
    Break,
    Continue,
    Err(TemplateError),
}

type R<T> = Result<T, Stop>;

/// The node execution is "at", for error messages.
#[derive(Clone, Copy)]
enum NodeRef<'t> {
    Node(&'t Node),
    List(&'t List),
    Pipe(&'t Pipe),
    Arg(&'t Arg),
    Cmd(&'t Command),
}

impl NodeRef<'_> {
    fn pos(&self) -> usize {
        match self {
            NodeRef::Node(n) => n.pos(),
            NodeRef::List(l) => l.pos,
            NodeRef::Pipe(p) => p.pos,
            NodeRef::Arg(a) => a.pos(),
            NodeRef::Cmd(c) => c.pos,
        }
    }
}

impl fmt::Display for NodeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeRef::Node(n) => write!(f, "{n}"),
            NodeRef::List(l) => write!(f, "{l}"),
            NodeRef::Pipe(p) => write!(f, "{p}"),
            NodeRef::Arg(a) => write!(f, "{a}"),
            NodeRef::Cmd(c) => write!(f, "{c}"),
        }
    }
}

struct State<'t, 'd, 'o> {
    trees: &'t BTreeMap<String, Tree>,
    text: &'t str,
    header: bool,
    out: &'o mut String,
    name: &'t str,
    node: Option<NodeRef<'t>>,
    vars: Vec<(&'t str, RV<'d>)>,
    depth: usize,
}

/// Executes the template named `""` of `trees` against `data`.
pub(crate) fn execute(
    trees: &BTreeMap<String, Tree>,
    text: &str,
    header: bool,
    data: &Value,
    out: &mut String,
) -> Result<(), TemplateError> {
    let Some(root) = trees.get("") else {
        return Err(TemplateError::new(
            "template: : \"\" is an incomplete or empty template".to_string(),
        ));
    };
    let dot = if matches!(data, Value::Nil) {
        RV::invalid()
    } else {
        RV::borrowed(data)
    };
    let mut s = State {
        trees,
        text,
        header,
        out,
        name: "",
        node: None,
        vars: vec![("$", dot.clone())],
        depth: 0,
    };
    match s.walk_list(&dot, &root.root) {
        Ok(()) | Err(Stop::Break) | Err(Stop::Continue) => Ok(()),
        Err(Stop::Err(e)) => Err(e),
    }
}

fn location(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = &text[..pos];
    let line = 1 + before.bytes().filter(|&b| b == b'\n').count();
    let col = match before.rfind('\n') {
        None => pos,
        Some(i) => pos - (i + 1),
    };
    (line, col)
}

/// Guesses the Go type of a nil pointer field `name` of a struct of type `parent`.
fn nil_field_hint(parent: &str, name: &str) -> String {
    let base = parent.trim_start_matches('*');
    match base.split_once('.') {
        Some((pkg, _)) => format!("*{pkg}.{name}"),
        None => format!("*{name}"),
    }
}

impl<'t, 'd> State<'t, 'd, '_> {
    fn at(&mut self, n: NodeRef<'t>) {
        self.node = Some(n);
    }

    fn err(&self, msg: impl Into<String>) -> Stop {
        let msg = msg.into();
        let full = match self.node {
            None => format!("template: {}: {msg}", self.name),
            Some(n) => {
                let (line, col) = location(self.text, n.pos());
                format!(
                    "template: :{line}:{col}: executing {} at <{n}>: {msg}",
                    gofmt::quote(self.name)
                )
            }
        };
        Stop::Err(TemplateError::new(full))
    }

    fn set_var(&mut self, name: &str, value: RV<'d>) -> R<()> {
        for v in self.vars.iter_mut().rev() {
            if v.0 == name {
                v.1 = value;
                return Ok(());
            }
        }
        Err(self.err(format!("undefined variable: {name}")))
    }

    fn set_top_var(&mut self, n: usize, value: RV<'d>) {
        let len = self.vars.len();
        if n <= len {
            self.vars[len - n].1 = value;
        }
    }

    fn var_value(&self, name: &str) -> R<RV<'d>> {
        for v in self.vars.iter().rev() {
            if v.0 == name {
                return Ok(v.1.clone());
            }
        }
        Err(self.err(format!("undefined variable: {name}")))
    }

    // --- walking -----------------------------------------------------------------------------

    fn walk_list(&mut self, dot: &RV<'d>, list: &'t List) -> R<()> {
        self.at(NodeRef::List(list));
        for n in &list.nodes {
            self.walk(dot, n)?;
        }
        Ok(())
    }

    fn walk(&mut self, dot: &RV<'d>, node: &'t Node) -> R<()> {
        self.at(NodeRef::Node(node));
        match node {
            Node::Action { pipe, .. } => {
                let val = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.at(NodeRef::Node(node));
                    let s = match val.get() {
                        None => "<no value>".to_string(),
                        Some(Value::Nil) if val.iface => "<nil>".to_string(),
                        Some(v) => gofmt::sprint_action(v),
                    };
                    self.out.push_str(&s);
                }
                Ok(())
            }
            Node::Break { .. } => Err(Stop::Break),
            Node::Continue { .. } => Err(Stop::Continue),
            Node::If(b) => self.walk_if_or_with(false, dot, b),
            Node::With(b) => self.walk_if_or_with(true, dot, b),
            Node::Range(b) => {
                let mark = self.vars.len();
                let r = self.walk_range(dot, b);
                self.vars.truncate(mark);
                match r {
                    Err(Stop::Break) => Ok(()),
                    other => other,
                }
            }
            Node::Template { name, pipe, .. } => self.walk_template(dot, name, pipe.as_ref()),
            Node::Text { text, .. } => {
                self.out.push_str(text);
                Ok(())
            }
        }
    }

    fn walk_if_or_with(&mut self, with: bool, dot: &RV<'d>, b: &'t Branch) -> R<()> {
        let mark = self.vars.len();
        let r = self.walk_if_or_with_inner(with, dot, b);
        self.vars.truncate(mark);
        r
    }

    fn walk_if_or_with_inner(&mut self, with: bool, dot: &RV<'d>, b: &'t Branch) -> R<()> {
        let val = self.eval_pipeline(dot, &b.pipe)?;
        if truth(&val) {
            if with {
                self.walk_list(&val, &b.list)
            } else {
                self.walk_list(dot, &b.list)
            }
        } else if let Some(e) = &b.else_list {
            self.walk_list(dot, e)
        } else {
            Ok(())
        }
    }

    fn one_iteration(&mut self, r: &'t Branch, mark: usize, index: RV<'d>, elem: RV<'d>) -> R<()> {
        let decl = &r.pipe.decl;
        if !decl.is_empty() {
            if r.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(&decl[0].ident[0], index.clone())?;
                } else {
                    self.set_var(&decl[0].ident[0], elem.clone())?;
                }
            } else {
                self.set_top_var(1, elem.clone());
            }
        }
        if decl.len() > 1 {
            if r.pipe.is_assign {
                self.set_var(&decl[1].ident[0], elem.clone())?;
            } else {
                self.set_top_var(2, index);
            }
        }
        let res = self.walk_list(&elem, &r.list);
        self.vars.truncate(mark);
        match res {
            Err(Stop::Continue) => Ok(()),
            other => other,
        }
    }

    fn walk_range(&mut self, dot: &RV<'d>, r: &'t Branch) -> R<()> {
        let val = self.eval_pipeline(dot, &r.pipe)?;
        let val = if val.is_nil_ptr_or_iface() {
            val
        } else {
            val.indirect_interface()
        };
        let mark = self.vars.len();
        if let Some(cow) = val.v.clone() {
            match cow.as_ref() {
                Value::List(Some(l)) if !l.is_empty() => {
                    let (items, iface) = list_items(&cow);
                    for (i, e) in items.into_iter().enumerate() {
                        let index = RV::val(Value::Int(i as i64));
                        self.one_iteration(r, mark, index, RV::elem(e, iface))?;
                    }
                    return Ok(());
                }
                Value::Map(Some(m)) if !m.is_empty() => {
                    let (items, iface) = map_items(&cow);
                    for (k, e) in items {
                        let index = RV::val(Value::String(k));
                        self.one_iteration(r, mark, index, RV::elem(e, iface))?;
                    }
                    return Ok(());
                }
                Value::List(_) | Value::Map(_) => {}
                Value::Int(_) | Value::Uint(_) => {
                    if r.pipe.decl.len() > 1 {
                        return Err(self.err(format!(
                            "can't use {} to iterate over more than one variable",
                            gofmt::sprint(&[gofmt::FArg::V(cow.as_ref())])
                        )));
                    }
                    let n: u64 = match cow.as_ref() {
                        Value::Int(i) => u64::try_from(*i).unwrap_or(0),
                        Value::Uint(u) => *u,
                        _ => 0,
                    };
                    if n > 0 {
                        for i in 0..n {
                            let elem = match cow.as_ref() {
                                Value::Uint(_) => Value::Uint(i),
                                _ => Value::Int(i as i64),
                            };
                            self.one_iteration(r, mark, RV::invalid(), RV::val(elem))?;
                        }
                        return Ok(());
                    }
                }
                v => {
                    return Err(self.err(format!(
                        "range can't iterate over {}",
                        gofmt::sprint_action(v)
                    )));
                }
            }
        }
        if let Some(e) = &r.else_list {
            self.walk_list(dot, e)?;
        }
        Ok(())
    }

    fn walk_template(&mut self, dot: &RV<'d>, name: &'t str, pipe: Option<&'t Pipe>) -> R<()> {
        let Some(tree) = self.trees.get(name) else {
            return Err(self.err(format!("template {} not defined", gofmt::quote(name))));
        };
        if self.depth == MAX_EXEC_DEPTH {
            return Err(self.err(format!(
                "exceeded maximum template depth ({MAX_EXEC_DEPTH})"
            )));
        }
        let new_dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => RV::invalid(),
        };
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$", new_dot.clone())]);
        let saved_name = std::mem::replace(&mut self.name, &tree.name);
        let saved_node = self.node;
        self.depth += 1;
        let r = self.walk_list(&new_dot, &tree.root);
        self.depth -= 1;
        self.vars = saved_vars;
        self.name = saved_name;
        self.node = saved_node;
        r
    }

    // --- evaluation --------------------------------------------------------------------------

    fn eval_pipeline(&mut self, dot: &RV<'d>, pipe: &'t Pipe) -> R<RV<'d>> {
        self.at(NodeRef::Pipe(pipe));
        let mut value: Option<RV<'d>> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            // If the value is an interface{}, dig down to the thing inside.
            value = Some(v.indirect_interface());
        }
        let value = value.unwrap_or_else(RV::invalid);
        for var in &pipe.decl {
            if pipe.is_assign {
                self.set_var(&var.ident[0], value.clone())?;
            } else {
                self.vars.push((&var.ident[0], value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], final_: &Option<RV<'d>>) -> R<()> {
        if args.len() > 1 || final_.is_some() {
            return Err(self.err(format!("can't give argument to non-function {}", args[0])));
        }
        Ok(())
    }

    fn eval_command(
        &mut self,
        dot: &RV<'d>,
        cmd: &'t Command,
        final_: Option<RV<'d>>,
    ) -> R<RV<'d>> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { ident, .. } => {
                return self.eval_field_node(dot, first, ident, &cmd.args, final_);
            }
            Arg::Chain { node, field, .. } => {
                return self.eval_chain_node(dot, first, node, field, &cmd.args, final_);
            }
            Arg::Identifier { name, .. } => {
                return self.eval_function(dot, first, name, NodeRef::Cmd(cmd), &cmd.args, final_);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &final_)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable { ident, .. } => {
                return self.eval_variable_node(dot, first, ident, &cmd.args, final_);
            }
            _ => {}
        }
        self.at(NodeRef::Arg(first));
        self.not_a_function(&cmd.args, &final_)?;
        match first {
            Arg::Bool { val, .. } => Ok(RV::val(Value::Bool(*val))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => Err(self.err("nil is not a command")),
            Arg::Number { .. } => self.ideal_constant(first),
            Arg::String { text, .. } => Ok(RV::val(Value::String(text.clone()))),
            _ => Err(self.err(format!(
                "can't evaluate command {}",
                gofmt::quote(&first.to_string())
            ))),
        }
    }

    fn ideal_constant(&mut self, n: &'t Arg) -> R<RV<'d>> {
        self.at(NodeRef::Arg(n));
        let Arg::Number { num, .. } = n else {
            return Ok(RV::invalid());
        };
        let t = &num.text;
        let is_hex_int = t.len() > 2
            && t.starts_with('0')
            && matches!(t.as_bytes()[1], b'x' | b'X')
            && !t.contains(['p', 'P']);
        let is_rune_int = t.starts_with('\'');
        if num.is_float && !is_hex_int && !is_rune_int && t.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(RV::val(Value::Float(num.float64)));
        }
        if num.is_int {
            return Ok(RV::val(Value::Int(num.int64)));
        }
        if num.is_uint {
            return Err(self.err(format!("{t} overflows int")));
        }
        Ok(RV::invalid())
    }

    fn eval_field_node(
        &mut self,
        dot: &RV<'d>,
        node: &'t Arg,
        ident: &'t [String],
        args: &'t [Arg],
        final_: Option<RV<'d>>,
    ) -> R<RV<'d>> {
        self.at(NodeRef::Arg(node));
        self.eval_field_chain(dot, dot.clone(), node, ident, args, final_)
    }

    fn eval_chain_node(
        &mut self,
        dot: &RV<'d>,
        chain: &'t Arg,
        node: &'t Arg,
        fields: &'t [String],
        args: &'t [Arg],
        final_: Option<RV<'d>>,
    ) -> R<RV<'d>> {
        self.at(NodeRef::Arg(chain));
        if fields.is_empty() {
            return Err(self.err("internal error: no fields in evalChainNode"));
        }
        if matches!(node, Arg::Nil { .. }) {
            return Err(self.err(format!("indirection through explicit nil in {chain}")));
        }
        let pipe = self.eval_arg_untyped(dot, node)?;
        self.eval_field_chain(dot, pipe, chain, fields, args, final_)
    }

    fn eval_variable_node(
        &mut self,
        dot: &RV<'d>,
        node: &'t Arg,
        ident: &'t [String],
        args: &'t [Arg],
        final_: Option<RV<'d>>,
    ) -> R<RV<'d>> {
        self.at(NodeRef::Arg(node));
        let value = self.var_value(&ident[0])?;
        if ident.len() == 1 {
            self.not_a_function(args, &final_)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, node, &ident[1..], args, final_)
    }

    fn eval_field_chain(
        &mut self,
        dot: &RV<'d>,
        receiver: RV<'d>,
        node: &'t Arg,
        ident: &'t [String],
        args: &'t [Arg],
        final_: Option<RV<'d>>,
    ) -> R<RV<'d>> {
        let n = ident.len();
        let mut receiver = receiver;
        for id in &ident[..n - 1] {
            receiver = self.eval_field(dot, id, node, &[], None, receiver)?;
        }
        self.eval_field(dot, &ident[n - 1], node, args, final_, receiver)
    }

    fn eval_field(
        &mut self,
        _dot: &RV<'d>,
        name: &str,
        _node: &'t Arg,
        args: &'t [Arg],
        final_: Option<RV<'d>>,
        receiver: RV<'d>,
    ) -> R<RV<'d>> {
        if !receiver.is_valid() {
            // missingkey=error treats nil data as a missing map key.
            if crate::value::RAW_MODE.with(|r| r.get()) {
                return Err(self.err(format!("nil data; no entry for key {}", gofmt::quote(name))));
            }
            return Ok(RV::invalid());
        }
        let typ = receiver.type_string();
        if receiver.iface && receiver.is_nil_ptr_or_iface() {
            return Err(self.err(format!("nil pointer evaluating {typ}.{name}")));
        }
        let receiver = receiver.indirect_interface();
        let has_args = args.len() > 1 || final_.is_some();
        let Some(cow) = receiver.v.as_ref() else {
            return Ok(RV::invalid());
        };
        match cow.as_ref() {
            Value::Struct(s) => {
                if s.get(name).is_some() {
                    if has_args {
                        return Err(self.err(format!(
                            "{name} has arguments but cannot be invoked as function"
                        )));
                    }
                    let parent_type = s.type_name.clone();
                    let field = child(cow, |v| match v {
                        Value::Struct(s) => s.get(name),
                        _ => None,
                    });
                    let Some(field) = field else {
                        return Ok(RV::invalid());
                    };
                    let mut rv = RV::elem(field, false);
                    if matches!(rv.get(), Some(Value::Nil)) {
                        rv.hint = Some(nil_field_hint(&parent_type, name));
                    }
                    return Ok(rv);
                }
            }
            Value::Map(m) => {
                if has_args {
                    return Err(self.err(format!("{name} is not a method but has arguments")));
                }
                let iface = m
                    .as_ref()
                    .is_some_and(|m| elem_class(m.values()).is_iface());
                let e = child(cow, |v| match v {
                    Value::Map(Some(m)) => m.get(name),
                    _ => None,
                });
                if e.is_none() && crate::value::RAW_MODE.with(|r| r.get()) {
                    return Err(
                        self.err(format!("map has no entry for key {}", gofmt::quote(name)))
                    );
                }
                return Ok(match e {
                    Some(e) => RV::elem(e, iface),
                    None => RV::invalid(),
                });
            }
            Value::Nil => {
                return Err(self.err(format!("nil pointer evaluating {typ}.{name}")));
            }
            _ => {}
        }
        Err(self.err(format!("can't evaluate field {name} in type {typ}")))
    }

    fn eval_function(
        &mut self,
        dot: &RV<'d>,
        ident: &'t Arg,
        name: &'t str,
        call_node: NodeRef<'t>,
        args: &'t [Arg],
        final_: Option<RV<'d>>,
    ) -> R<RV<'d>> {
        self.at(NodeRef::Arg(ident));
        let Some(f) = funcs::lookup(name, self.header) else {
            return Err(self.err(format!("{} is not a defined function", gofmt::quote(name))));
        };
        self.eval_call(dot, &f, call_node, name, args, final_)
    }

    fn eval_call(
        &mut self,
        dot: &RV<'d>,
        f: &Func,
        node: NodeRef<'t>,
        name: &str,
        args: &'t [Arg],
        final_: Option<RV<'d>>,
    ) -> R<RV<'d>> {
        let args: &'t [Arg] = if args.is_empty() { args } else { &args[1..] };
        let num_in = args.len() + usize::from(final_.is_some());
        let num_fixed;
        if f.variadic.is_some() {
            num_fixed = f.fixed.len();
            if num_in < num_fixed {
                return Err(self.err(format!(
                    "wrong number of args for {name}: want at least {num_fixed} got {}",
                    args.len()
                )));
            }
        } else {
            num_fixed = args.len();
            if num_in != f.fixed.len() {
                return Err(self.err(format!(
                    "wrong number of args for {name}: want {} got {num_in}",
                    f.fixed.len()
                )));
            }
        }

        if f.builtin && (name == "and" || name == "or") {
            let mut v = RV::invalid();
            for a in args {
                v = self.eval_arg(dot, Param::RValue, a)?;
                if truth(&v) == (name == "or") {
                    return Ok(v);
                }
            }
            if let Some(fin) = final_ {
                v = self.validate_type(fin, Param::RValue)?;
            }
            return Ok(v);
        }

        let mut argv: Vec<RV<'d>> = Vec::with_capacity(num_in);
        let mut i = 0;
        while i < num_fixed && i < args.len() {
            argv.push(self.eval_arg(dot, f.fixed[i], &args[i])?);
            i += 1;
        }
        if let Some(vk) = f.variadic {
            while i < args.len() {
                argv.push(self.eval_arg(dot, vk, &args[i])?);
                i += 1;
            }
        }
        if let Some(fin) = final_ {
            let t = match f.variadic {
                Some(vk) => {
                    if num_in - 1 < num_fixed {
                        f.fixed[num_in - 1]
                    } else {
                        vk
                    }
                }
                None => f.fixed[f.fixed.len() - 1],
            };
            argv.push(self.validate_type(fin, t)?);
        }
        let result = if f.builtin && name == "call" {
            let callee = args.first().map(ToString::to_string).unwrap_or_default();
            funcs::call(&callee, &argv).map(|()| RV::invalid())
        } else {
            (f.imp)(&argv)
        };
        match result {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at(node);
                Err(self.err(format!("error calling {name}: {e}")))
            }
        }
    }

    fn validate_type(&mut self, value: RV<'d>, typ: Param) -> R<RV<'d>> {
        if !value.is_valid() {
            if typ.can_be_nil() {
                return Ok(typ.zero());
            }
            return Err(self.err(format!("invalid value; expected {typ}")));
        }
        match typ {
            Param::Any | Param::RValue => Ok(value),
            Param::Str | Param::Int | Param::StrList => {
                let got = if value.iface && !value.is_nil_ptr_or_iface() {
                    value.clone().indirect_interface()
                } else {
                    value.clone()
                };
                let ok = !got.iface
                    && match (typ, got.get()) {
                        (Param::Str, Some(Value::String(_))) => true,
                        (Param::Int, Some(Value::Int(_))) => true,
                        (Param::StrList, Some(Value::List(None))) => {
                            !crate::value::RAW_MODE.with(|r| r.get())
                        }
                        (Param::StrList, Some(Value::List(Some(l)))) => {
                            // Decoded JSON holds []interface{}, which is not a []string.
                            !crate::value::RAW_MODE.with(|r| r.get())
                                && l.iter().all(|v| matches!(v, Value::String(_)))
                        }
                        _ => false,
                    };
                if ok {
                    Ok(got)
                } else {
                    Err(self.err(format!(
                        "wrong type for value; expected {typ}; got {}",
                        got.type_string()
                    )))
                }
            }
        }
    }

    fn eval_arg(&mut self, dot: &RV<'d>, typ: Param, n: &'t Arg) -> R<RV<'d>> {
        self.at(NodeRef::Arg(n));
        match n {
            Arg::Dot { .. } => return self.validate_type(dot.clone(), typ),
            Arg::Nil { .. } => {
                if typ.can_be_nil() {
                    return Ok(typ.zero());
                }
                return Err(self.err(format!("cannot assign nil to {typ}")));
            }
            Arg::Field { ident, .. } => {
                let v = self.eval_field_node(dot, n, ident, std::slice::from_ref(n), None)?;
                return self.validate_type(v, typ);
            }
            Arg::Variable { ident, .. } => {
                let v = self.eval_variable_node(dot, n, ident, &[], None)?;
                return self.validate_type(v, typ);
            }
            Arg::Pipe(p) => {
                let v = self.eval_pipeline(dot, p)?;
                return self.validate_type(v, typ);
            }
            Arg::Identifier { name, .. } => {
                let v = self.eval_function(dot, n, name, NodeRef::Arg(n), &[], None)?;
                return self.validate_type(v, typ);
            }
            Arg::Chain { node, field, .. } => {
                let v = self.eval_chain_node(dot, n, node, field, &[], None)?;
                return self.validate_type(v, typ);
            }
            _ => {}
        }
        match typ {
            Param::Int => {
                if let Arg::Number { num, .. } = n {
                    if num.is_int {
                        return Ok(RV::val(Value::Int(num.int64)));
                    }
                }
                Err(self.err(format!("expected integer; found {n}")))
            }
            Param::Str => {
                if let Arg::String { text, .. } = n {
                    return Ok(RV::val(Value::String(text.clone())));
                }
                Err(self.err(format!("expected string; found {n}")))
            }
            Param::Any | Param::RValue => self.eval_empty_interface(dot, n),
            Param::StrList => Err(self.err(format!("can't handle {n} for arg of type {typ}"))),
        }
    }

    fn eval_empty_interface(&mut self, dot: &RV<'d>, n: &'t Arg) -> R<RV<'d>> {
        self.at(NodeRef::Arg(n));
        match n {
            Arg::Bool { val, .. } => Ok(RV::val(Value::Bool(*val))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Field { ident, .. } => self.eval_field_node(dot, n, ident, &[], None),
            Arg::Identifier { name, .. } => {
                self.eval_function(dot, n, name, NodeRef::Arg(n), &[], None)
            }
            Arg::Nil { .. } => Err(self.err("evalEmptyInterface: nil (can't happen)")),
            Arg::Number { .. } => self.ideal_constant(n),
            Arg::String { text, .. } => Ok(RV::val(Value::String(text.clone()))),
            Arg::Variable { ident, .. } => self.eval_variable_node(dot, n, ident, &[], None),
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Chain { .. } => Err(self.err(format!(
                "can't handle assignment of {n} to empty interface argument"
            ))),
        }
    }

    /// `evalArg` with a nil type (the receiver of a chain like `(pipeline).Field`).
    fn eval_arg_untyped(&mut self, dot: &RV<'d>, n: &'t Arg) -> R<RV<'d>> {
        self.at(NodeRef::Arg(n));
        match n {
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Field { ident, .. } => {
                self.eval_field_node(dot, n, ident, std::slice::from_ref(n), None)
            }
            Arg::Variable { ident, .. } => self.eval_variable_node(dot, n, ident, &[], None),
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Identifier { name, .. } => {
                self.eval_function(dot, n, name, NodeRef::Arg(n), &[], None)
            }
            Arg::Chain { node, field, .. } => self.eval_chain_node(dot, n, node, field, &[], None),
            _ => Err(self.err(format!("can't handle {n} for arg of type <nil>"))),
        }
    }
}
