//! Table tests; expected strings are what Go 1.24 text/template + docker's functions print.

use super::gofmt::{self, FArg};
use super::{Struct, Template, Value};

fn data() -> Value {
    Struct::new("*main.T")
        .field(
            "Config",
            Struct::new("*container.Config")
                .field("Env", Value::strings(["A=1", "B=2"]))
                .field(
                    "Labels",
                    Value::string_map([("a", "<x>&y"), ("b", "\u{2028}")]),
                ),
        )
        .field("M", Value::string_map([("b", "2"), ("a", "1")]))
        .field("A", "x")
        .field("S", "hi")
        .field("L", Value::strings(["a", "b", "c"]))
        .field("X", Value::Nil)
        .field("NilList", Value::nil_list())
        .field("EmptyList", Value::list([]))
        .field("NilMap", Value::nil_map())
        .field("EmptyStr", "")
        .field("N", 3)
        .field("U", Value::Uint(3))
        .field("F", 1.5)
        .field("T", true)
        .field(
            "Inner",
            Struct::new("main.Inner").field("Name", "a").field("Num", 1),
        )
        .field(
            "Ptr",
            Struct::new("*main.Inner")
                .field("Name", "a")
                .field("Num", 1),
        )
        .field(
            "Time",
            Struct::new("time.Time")
                .display("0001-01-01 00:00:00 +0000 UTC")
                .json("\"0001-01-01T00:00:00Z\""),
        )
        .field(
            "Raw",
            Value::map([
                ("k", Value::Nil),
                ("s", Value::str("v")),
                ("n", Value::Int(1)),
            ]),
        )
        .into()
}

fn run_with(tmpl: &str, d: &Value) -> Result<String, String> {
    let t = Template::parse(tmpl).map_err(|e| e.to_string())?;
    let mut out = String::new();
    t.execute(d, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

fn run(tmpl: &str) -> String {
    match run_with(tmpl, &data()) {
        Ok(s) => s,
        Err(e) => panic!("template {tmpl:?} failed: {e}"),
    }
}

fn run_err(tmpl: &str) -> String {
    match run_with(tmpl, &data()) {
        Ok(s) => panic!("template {tmpl:?} unexpectedly succeeded: {s:?}"),
        Err(e) => e,
    }
}

fn header(tmpl: &str, d: &Value) -> Result<String, String> {
    let t = Template::parse(tmpl).map_err(|e| e.to_string())?;
    let mut out = String::new();
    t.execute_header(d, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[test]
fn basic_output() {
    let cases: &[(&str, &str)] = &[
        ("plain text", "plain text"),
        ("{{.Config.Env}}", "[A=1 B=2]"),
        ("{{.S}}", "hi"),
        ("{{.N}}", "3"),
        ("{{.U}}", "3"),
        ("{{.F}}", "1.5"),
        ("{{.T}}", "true"),
        ("{{.M}}", "map[a:1 b:2]"),
        ("{{.NilList}}", "[]"),
        ("{{.EmptyList}}", "[]"),
        ("{{.NilMap}}", "map[]"),
        ("{{.X}}", "<nil>"),
        ("{{.M.missing}}", "<no value>"),
        ("{{.M.a}}", "1"),
        ("{{.Inner}}", "{a 1}"),
        ("{{.Ptr}}", "{a 1}"),
        ("{{.Time}}", "0001-01-01 00:00:00 +0000 UTC"),
        ("{{.Raw}}", "map[k:<nil> n:1 s:v]"),
        ("{{.Raw.k}}", "<no value>"),
        ("{{.Raw.s}}", "v"),
        ("{{.NilMap.x}}", "<no value>"),
        ("{{.M.missing.deeper}}", "<no value>"),
        ("{{$.S}}", "hi"),
        ("{{\"a\\tb\"}}", "a\tb"),
        ("{{`a\\nb`}}", "a\\nb"),
        ("{{'a'}}", "97"),
        ("{{0x1F}}", "31"),
        ("{{1_000}}", "1000"),
        ("{{-5}}", "-5"),
        ("{{1.0}}", "1"),
        ("{{1e6}}", "1e+06"),
        ("{{0.1}}", "0.1"),
        ("{{100000.0}}", "100000"),
        ("{{0.00001}}", "1e-05"),
        ("{{true}}", "true"),
        ("{{/* a comment */}}x", "x"),
        ("a  {{- .S -}}  b", "ahib"),
        ("a\n\t{{- .S}}\n", "ahi\n"),
        ("{{.S -}}\n  x", "hix"),
        ("{{.S}} {{- /* c */ -}} x", "hix"),
        ("{{- 3}}", "3"),
        ("{{ .S }}", "hi"),
        ("{{.S | printf \"%s!\"}}", "hi!"),
        ("{{(index .L 0) | printf \"%s!\"}}", "a!"),
        ("{{(.Inner).Name}}", "a"),
        ("{{.Inner.Num}}", "1"),
    ];
    for (tmpl, want) in cases {
        assert_eq!(run(tmpl), *want, "template {tmpl:?}");
    }
}

#[test]
fn control_structures() {
    let cases: &[(&str, &str)] = &[
        ("{{if eq .A \"x\"}}y{{else}}n{{end}}", "y"),
        ("{{if eq .A \"z\"}}y{{else}}n{{end}}", "n"),
        ("{{if .EmptyStr}}y{{else}}n{{end}}", "n"),
        ("{{if .NilList}}y{{else}}n{{end}}", "n"),
        ("{{if .Inner}}y{{else}}n{{end}}", "y"),
        ("{{if .X}}y{{else}}n{{end}}", "n"),
        ("{{if .M.missing}}y{{else}}n{{end}}", "n"),
        ("{{if 0}}y{{else}}n{{end}}", "n"),
        ("{{if 0.5}}y{{else}}n{{end}}", "y"),
        (
            "{{if eq .N 1}}one{{else if eq .N 3}}three{{else}}other{{end}}",
            "three",
        ),
        ("{{with .X}}has{{else}}none{{end}}", "none"),
        ("{{with .S}}{{.}}{{end}}", "hi"),
        ("{{with .Inner}}{{.Name}}-{{$.S}}{{end}}", "a-hi"),
        ("{{with .X}}x{{else with .S}}{{.}}{{end}}", "hi"),
        ("{{with $x := .S}}{{$x}}{{end}}", "hi"),
        ("{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}", "a=1;b=2;"),
        ("{{range .L}}{{.}}{{end}}", "abc"),
        (
            "{{range $i, $e := .L}}{{$i}}:{{$e}} {{end}}",
            "0:a 1:b 2:c ",
        ),
        ("{{range $e := .L}}{{$e}}{{end}}", "abc"),
        ("{{range .NilList}}x{{else}}empty{{end}}", "empty"),
        ("{{range .EmptyList}}x{{else}}empty{{end}}", "empty"),
        ("{{range .NilMap}}x{{else}}empty{{end}}", "empty"),
        ("{{range .M.missing}}x{{else}}empty{{end}}", "empty"),
        ("{{range .M}}{{.}}{{end}}", "12"),
        ("{{range .Raw}}{{.}},{{end}}", "<no value>,1,v,"),
        (
            "{{range .L}}{{if eq . \"b\"}}{{continue}}{{end}}{{if eq . \"c\"}}{{break}}{{end}}{{.}}{{end}}",
            "a",
        ),
        ("{{range .L}}{{.}}{{break}}{{end}}", "a"),
        ("{{range 3}}{{.}}{{end}}", "012"),
        ("{{range $i := 2}}{{$i}}{{end}}", "01"),
        ("{{range 0}}x{{else}}none{{end}}", "none"),
        ("{{$x := \"a\"}}{{$x = \"b\"}}{{$x}}", "b"),
        ("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2"),
        ("{{$i := 0}}{{range $i = .L}}{{end}}{{$i}}", "c"),
        ("{{range $i, $e := .L}}{{end}}{{len .L}}", "3"),
        (
            "{{define \"T\"}}[{{.}}]{{end}}{{template \"T\" .S}}",
            "[hi]",
        ),
        (
            "{{template \"T\" .S}}{{define \"T\"}}<{{.}}>{{end}}",
            "<hi>",
        ),
        (
            "{{define \"T\"}}{{.}}{{end}}{{template \"T\"}}",
            "<no value>",
        ),
        ("{{block \"B\" .S}}<{{.}}>{{end}}", "<hi>"),
        (
            "{{define \"R\"}}{{if .}}{{len .}}{{template \"R\" slice . 1}}{{end}}{{end}}{{template \"R\" .L}}",
            "321",
        ),
    ];
    for (tmpl, want) in cases {
        assert_eq!(run(tmpl), *want, "template {tmpl:?}");
    }
}

#[test]
fn builtin_functions() {
    let cases: &[(&str, &str)] = &[
        ("{{index .L 1}}", "b"),
        ("{{index .M \"a\"}}", "1"),
        ("{{index .M \"zz\"}}", ""),
        ("{{index .Config.Labels \"zz\"}}", ""),
        ("{{index .Raw \"zz\"}}", "<no value>"),
        ("{{index .Raw \"n\"}}", "1"),
        ("{{index \"abc\" 1}}", "98"),
        ("{{index .L}}", "[a b c]"),
        ("{{len .L}}", "3"),
        ("{{len .M}}", "2"),
        ("{{len .S}}", "2"),
        ("{{len .NilList}}", "0"),
        ("{{slice \"abcdef\" 1 3}}", "bc"),
        ("{{slice .L 1}}", "[b c]"),
        ("{{slice .L}}", "[a b c]"),
        ("{{slice .L 1 2 3}}", "[b]"),
        ("{{and 1 0 2}}", "0"),
        ("{{and 1 2}}", "2"),
        ("{{or 0 \"\" \"x\"}}", "x"),
        ("{{or 0 \"\"}}", ""),
        ("{{.S | and 1}}", "hi"),
        ("{{not .EmptyStr}}", "true"),
        ("{{not .S}}", "false"),
        ("{{if and .S .N}}ok{{end}}", "ok"),
        ("{{eq 1 2 3 1}}", "true"),
        ("{{eq .N 3}}", "true"),
        ("{{eq .U 3}}", "true"),
        ("{{eq .N .U}}", "true"),
        ("{{eq .M.missing \"x\"}}", "false"),
        ("{{eq .X nil}}", "true"),
        ("{{eq .Inner .Inner}}", "true"),
        ("{{ne \"a\" \"b\"}}", "true"),
        ("{{lt 1 2}}", "true"),
        ("{{lt -1 .U}}", "true"),
        ("{{le 2 2}}", "true"),
        ("{{gt \"b\" \"a\"}}", "true"),
        ("{{ge 1.5 2.5}}", "false"),
        ("{{print 1 2 \"a\" \"b\" 3}}", "1 2ab3"),
        ("{{print nil}}", "<nil>"),
        ("{{print .M.missing}}", "<nil>"),
        ("{{print .Ptr}}", "&{a 1}"),
        ("{{print .Inner}}", "{a 1}"),
        ("{{print .Time}}", "0001-01-01 00:00:00 +0000 UTC"),
        ("{{println \"a\" 1}}", "a 1\n"),
        (
            "{{html \"<a href='x'>&\"}}",
            "&lt;a href=&#39;x&#39;&gt;&amp;",
        ),
        ("{{html .M.missing}}", "&lt;no value&gt;"),
        ("{{html 1 2}}", "1 2"),
        ("{{js \"a'b\\\"<>=\"}}", "a\\'b\\\"\\u003C\\u003E\\u003D"),
        ("{{urlquery \"a b&c/d\"}}", "a+b%26c%2Fd"),
    ];
    for (tmpl, want) in cases {
        assert_eq!(run(tmpl), *want, "template {tmpl:?}");
    }
}

#[test]
fn printf_verbs() {
    let cases: &[(&str, &str)] = &[
        ("{{printf \"%-10s|\" .S}}", "hi        |"),
        ("{{printf \"%10s|\" .S}}", "        hi|"),
        ("{{printf \"%.1s|\" .S}}", "h|"),
        ("{{printf \"%q\" .S}}", "\"hi\""),
        (
            "{{printf \"%x %X % x %#x\" \"hi\" \"hi\" \"hi\" \"hi\"}}",
            "6869 6869 68 69 0x6869",
        ),
        ("{{printf \"%d\" \"x\"}}", "%!d(string=x)"),
        ("{{printf \"%s\"}}", "%!s(MISSING)"),
        ("{{printf \"%s\" \"a\" \"b\"}}", "a%!(EXTRA string=b)"),
        ("{{printf \"%s\" \"a\" 1 2}}", "a%!(EXTRA int=1, int=2)"),
        ("{{printf \"%d%%\" 50}}", "50%"),
        ("{{printf \"%\"}}", "%!(NOVERB)"),
        ("{{printf \"%v\" nil}}", "<nil>"),
        ("{{printf \"%d\" nil}}", "%!d(<nil>)"),
        ("{{printf \"%5t|%v\" true false}}", " true|false"),
        (
            "{{printf \"%05d|%+d|% d|%-5d|\" 42 42 42 42}}",
            "00042|+42| 42|42   |",
        ),
        (
            "{{printf \"%x|%X|%o|%O|%b|%#x|%#o\" 255 255 8 8 5 255 8}}",
            "ff|FF|10|0o10|101|0xff|010",
        ),
        (
            "{{printf \"%c|%q|%U|%#U\" 65 65 65 65}}",
            "A|'A'|U+0041|U+0041 'A'",
        ),
        (
            "{{printf \"%.3d|%8.3d|%-8d|\" 7 7 -7}}",
            "007|     007|-7      |",
        ),
        ("{{printf \"%d\" -42}}", "-42"),
        (
            "{{printf \"%5.2f|%e|%g|%v\" 3.14259 1234.5678 1234.5678 1234.5678}}",
            " 3.14|1.234568e+03|1234.5678|1234.5678",
        ),
        (
            "{{printf \"%e|%g|%v\" 1234567.0 1234567.0 1234567.0}}",
            "1.234567e+06|1.234567e+06|1.234567e+06",
        ),
        ("{{printf \"%.0f|%.1f|%.2f\" 2.5 0.25 1.005}}", "2|0.2|1.00"),
        (
            "{{printf \"%6.2f|%08.3f|%+.1f\" -3.14259 -3.14259 2.0}}",
            " -3.14|-003.143|+2.0",
        ),
        (
            "{{printf \"%.3g|%.3g|%g|%G\" 100.0 1.0 0.000012345 1e-7}}",
            "100|1|1.2345e-05|1E-07",
        ),
        ("{{printf \"%f\" 1.0}}", "1.000000"),
        ("{{printf \"%t\" 1}}", "%!t(int=1)"),
        ("{{printf \"%s\" 1.5}}", "%!s(float64=1.5)"),
        ("{{printf \"%v\" .L}}", "[a b c]"),
        ("{{printf \"%q\" .L}}", "[\"a\" \"b\" \"c\"]"),
        (
            "{{printf \"%d\" .L}}",
            "[%!d(string=a) %!d(string=b) %!d(string=c)]",
        ),
        ("{{printf \"%v\" .M}}", "map[a:1 b:2]"),
        ("{{printf \"%v\" .Ptr}}", "&{a 1}"),
        ("{{printf \"%+v\" .Ptr}}", "&{Name:a Num:1}"),
        ("{{printf \"%+v\" .Inner}}", "{Name:a Num:1}"),
        ("{{printf \"%s\" .Inner}}", "{a %!s(int=1)}"),
        (
            "{{printf \"%T|%T|%T|%T\" .S .N .Ptr .Inner}}",
            "string|int|*main.Inner|main.Inner",
        ),
        ("{{printf \"%#v|%#v\" .S .N}}", "\"hi\"|3"),
        ("{{printf \"%*d|%-*d|\" 4 7 4 7}}", "   7|7   |"),
        ("{{printf \"%[2]s %[1]s\" \"a\" \"b\"}}", "b a"),
        ("{{printf \"%[3]s\" \"a\"}}", "%!s(BADINDEX)"),
        ("{{printf \"%s\" .Time}}", "0001-01-01 00:00:00 +0000 UTC"),
        (
            "{{printf \"%v|%v|%v\" .X .NilList .NilMap}}",
            "<nil>|[]|map[]",
        ),
    ];
    for (tmpl, want) in cases {
        assert_eq!(run(tmpl), *want, "template {tmpl:?}");
    }
}

#[test]
fn docker_functions() {
    let cases: &[(&str, &str)] = &[
        (
            "{{json .Config.Labels}}",
            "{\"a\":\"<x>&y\",\"b\":\"\\u2028\"}",
        ),
        ("{{json .Config.Env}}", "[\"A=1\",\"B=2\"]"),
        ("{{json .NilList}}", "null"),
        ("{{json .EmptyList}}", "[]"),
        ("{{json .NilMap}}", "null"),
        ("{{json .X}}", "null"),
        ("{{json .M.missing}}", "null"),
        ("{{json .Raw}}", "{\"k\":null,\"n\":1,\"s\":\"v\"}"),
        ("{{json .Inner}}", "{\"Name\":\"a\",\"Num\":1}"),
        ("{{json .Time}}", "\"0001-01-01T00:00:00Z\""),
        (
            "{{json \"a\\nb\\u0001\\t\\b\\f\\r\\\\\\\"\"}}",
            "\"a\\nb\\u0001\\t\\b\\f\\r\\\\\\\"\"",
        ),
        ("{{json 1.5}}", "1.5"),
        ("{{json 1e21}}", "1e+21"),
        ("{{json 0.0000001}}", "1e-7"),
        ("{{json 100000000.0}}", "100000000"),
        ("{{json true}}", "true"),
        ("{{json 3}}", "3"),
        ("{{split \"a,b\" \",\"}}", "[a b]"),
        ("{{split \"abc\" \"\"}}", "[a b c]"),
        ("{{split \"\" \",\"}}", "[]"),
        ("{{len (split \"\" \",\")}}", "1"),
        ("{{join .L \",\"}}", "a,b,c"),
        ("{{join .NilList \",\"}}", ""),
        ("{{join (split \"a:b\" \":\") \"-\"}}", "a-b"),
        ("{{upper \"x\"}}", "X"),
        ("{{lower \"ÀB\"}}", "àb"),
        ("{{upper .S}}", "HI"),
        ("{{.S | upper}}", "HI"),
        ("{{title \"hello world\"}}", "Hello World"),
        ("{{title \"hello_world foo-bar\"}}", "Hello_world Foo-Bar"),
        ("{{pad \"a\" 1 2}}", " a  "),
        ("{{pad \"\" 1 2}}", ""),
        ("{{truncate \"abcdef\" 3}}", "abc"),
        ("{{truncate \"ab\" 3}}", "ab"),
        ("{{truncate \"abc\" 3}}", "abc"),
        ("{{truncate .S 1}}", "h"),
    ];
    for (tmpl, want) in cases {
        assert_eq!(run(tmpl), *want, "template {tmpl:?}");
    }
}

#[test]
fn header_functions() {
    let d = Value::string_map([
        ("Name", "NAME"),
        ("ID", "IMAGE ID"),
        ("X", "x"),
        ("Labels", "LABELS"),
    ]);
    let cases: &[(&str, &str)] = &[
        ("{{upper .Name}}\t{{pad .X 1 1}}", "NAME\t x "),
        ("{{truncate .ID 3}}", "IMAGE ID"),
        ("{{json .Labels}}", "LABELS"),
        ("{{lower .Name}}|{{title .ID}}", "NAME|IMAGE ID"),
        ("{{split .Labels \",\"}}", "LABELS"),
        ("{{join .Labels \",\"}}", "LABELS"),
        ("{{printf \"%-6s|\" .Name}}", "NAME  |"),
    ];
    for (tmpl, want) in cases {
        assert_eq!(header(tmpl, &d).as_deref(), Ok(*want), "template {tmpl:?}");
    }
    // HeaderFunctions' json takes a string.
    let d2 = Value::map([("L", Value::strings(["a"]))]);
    assert_eq!(
        header("{{json .L}}", &d2),
        Err(
            "template: :1:7: executing \"\" at <.L>: wrong type for value; expected string; got []string"
                .to_string()
        )
    );
    // The same template with basic functions.
    assert_eq!(run_with("{{json .L}}", &d2).as_deref(), Ok("[\"a\"]"));
}

#[test]
fn parse_errors() {
    let cases: &[(&str, &str)] = &[
        ("{{foo}}", "template: :1: function \"foo\" not defined"),
        ("{{.A", "template: :1: unclosed action"),
        ("a\n{{.A", "template: :2: unclosed action"),
        ("{{.A\n", "template: :2: unclosed action started at :1"),
        ("{{if .A}}", "template: :1: unexpected EOF"),
        ("{{end}}", "template: :1: unexpected {{end}}"),
        ("{{else}}", "template: :1: unexpected {{else}}"),
        ("{{$x}}", "template: :1: undefined variable \"$x\""),
        ("{{break}}", "template: :1: {{break}} outside {{range}}"),
        (
            "{{continue}}",
            "template: :1: {{continue}} outside {{range}}",
        ),
        (
            "{{.A | \"x\"}}",
            "template: :1: non executable command in pipeline stage 2",
        ),
        ("{{}}", "template: :1: missing value for command"),
        ("{{if}}{{end}}", "template: :1: missing value for if"),
        ("{{/* x }}", "template: :1: unclosed comment"),
        ("{{\"abc}}", "template: :1: unterminated quoted string"),
        ("{{(1}}", "template: :1: unclosed left paren"),
        ("{{1)}}", "template: :1: unexpected right paren"),
        ("{{.A,}}", "template: :1: unexpected \",\" in operand"),
        (
            "{{$x, $y := 1}}",
            "template: :1: too many declarations in command",
        ),
        (
            "{{range $a, $b, $c := .L}}{{end}}",
            "template: :1: too many declarations in range",
        ),
        ("{{..A}}", "template: :1: unexpected . after term \".\""),
        (
            "{{\"x\".A}}",
            "template: :1: unexpected . after term \"\\\"x\\\"\"",
        ),
        ("{{define \"a\"}}x", "template: :1: unexpected EOF"),
        (
            "{{if .A}}{{else}}{{else}}{{end}}",
            "template: :1: expected end; found {{else}}",
        ),
        (
            "{{template .A}}",
            "template: :1: unexpected \".A\" in template clause",
        ),
        ("\n\n{{.A @}}", "template: :3: unexpected \"@\" in operand"),
        (
            "{{range .L}}{{else}}{{break}}{{end}}",
            "template: :1: {{break}} outside {{range}}",
        ),
        ("{{3x}}", "template: :1: bad number syntax: \"3x\""),
        ("{{.A}x}}", "template: :1: bad character U+007D '}'"),
    ];
    for (tmpl, want) in cases {
        let got = Template::parse(tmpl).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(got, Err(want.to_string()), "template {tmpl:?}");
    }
}

#[test]
fn exec_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "{{index .L 5}}",
            "template: :1:2: executing \"\" at <index .L 5>: error calling index: index out of range: 5",
        ),
        (
            "{{index .L \"x\"}}",
            "template: :1:2: executing \"\" at <index .L \"x\">: error calling index: cannot index slice/array with type string",
        ),
        (
            "{{index .X 1}}",
            "template: :1:2: executing \"\" at <index .X 1>: error calling index: index of nil pointer",
        ),
        (
            "{{index nil 1}}",
            "template: :1:2: executing \"\" at <index nil 1>: error calling index: index of untyped nil",
        ),
        (
            "{{.S.Foo}}",
            "template: :1:4: executing \"\" at <.S.Foo>: can't evaluate field Foo in type string",
        ),
        (
            "{{.Raw.k.x}}",
            "template: :1:6: executing \"\" at <.Raw.k.x>: nil pointer evaluating interface {}.x",
        ),
        (
            "{{.Inner.Foo}}",
            "template: :1:8: executing \"\" at <.Inner.Foo>: can't evaluate field Foo in type main.Inner",
        ),
        (
            "{{len 3}}",
            "template: :1:2: executing \"\" at <len 3>: error calling len: len of type int",
        ),
        (
            "{{len .X}}",
            "template: :1:2: executing \"\" at <len .X>: error calling len: len of nil pointer",
        ),
        (
            "{{upper 1}}",
            "template: :1:8: executing \"\" at <1>: expected string; found 1",
        ),
        (
            "{{upper .N}}",
            "template: :1:8: executing \"\" at <.N>: wrong type for value; expected string; got int",
        ),
        (
            "{{upper nil}}",
            "template: :1:8: executing \"\" at <nil>: cannot assign nil to string",
        ),
        (
            "{{upper .M.missing}}",
            "template: :1:10: executing \"\" at <.M.missing>: invalid value; expected string",
        ),
        (
            "{{truncate \"a\" \"b\"}}",
            "template: :1:15: executing \"\" at <\"b\">: expected integer; found \"b\"",
        ),
        (
            "{{join .L}}",
            "template: :1:2: executing \"\" at <join>: wrong number of args for join: want 2 got 1",
        ),
        (
            "{{and}}",
            "template: :1:2: executing \"\" at <and>: wrong number of args for and: want at least 1 got 0",
        ),
        (
            "{{nil}}",
            "template: :1:2: executing \"\" at <nil>: nil is not a command",
        ),
        (
            "{{\"x\" 1}}",
            "template: :1:2: executing \"\" at <\"x\">: can't give argument to non-function \"x\"",
        ),
        (
            "{{.S 1}}",
            "template: :1:2: executing \"\" at <.S>: S has arguments but cannot be invoked as function",
        ),
        (
            "{{eq .N \"x\"}}",
            "template: :1:2: executing \"\" at <eq .N \"x\">: error calling eq: incompatible types for comparison: int and string",
        ),
        (
            "{{lt true false}}",
            "template: :1:2: executing \"\" at <lt true false>: error calling lt: invalid type for comparison",
        ),
        (
            "{{eq .L .L}}",
            "template: :1:2: executing \"\" at <eq .L .L>: error calling eq: non-comparable type [a b c]: []string",
        ),
        (
            "{{eq 1}}",
            "template: :1:2: executing \"\" at <eq 1>: error calling eq: missing argument for comparison",
        ),
        (
            "{{template \"x\"}}",
            "template: :1:11: executing \"\" at <{{template \"x\"}}>: template \"x\" not defined",
        ),
        (
            "{{define \"T\"}}{{.Nope}}{{end}}{{template \"T\" .Inner}}",
            "template: :1:16: executing \"T\" at <.Nope>: can't evaluate field Nope in type main.Inner",
        ),
        (
            "{{range .S}}{{end}}",
            "template: :1:8: executing \"\" at <.S>: range can't iterate over hi",
        ),
        (
            "{{range $i, $e := 3}}{{end}}",
            "template: :1:18: executing \"\" at <3>: can't use 3 to iterate over more than one variable",
        ),
        (
            "{{slice .L 2 1}}",
            "template: :1:2: executing \"\" at <slice .L 2 1>: error calling slice: invalid slice index: 2 > 1",
        ),
        (
            "{{call .S}}",
            "template: :1:2: executing \"\" at <call .S>: error calling call: non-function .S of type string",
        ),
        (
            "{{pad \"a\" -1 0}}",
            "template: :1:2: executing \"\" at <pad \"a\" -1 0>: error calling pad: strings: negative Repeat count",
        ),
        (
            "x\n  {{.Foo}}",
            "template: :2:4: executing \"\" at <.Foo>: can't evaluate field Foo in type *main.T",
        ),
    ];
    for (tmpl, want) in cases {
        assert_eq!(run_err(tmpl), *want, "template {tmpl:?}");
    }
}

#[test]
fn docker_style_errors() {
    let ctx: Value = Struct::new("*formatter.historyContext")
        .field("ID", "sha256:abc")
        .into();
    assert_eq!(
        run_with("{{.Foo}}", &ctx),
        Err("template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo in type *formatter.historyContext".to_string())
    );
    let inspect: Value = Struct::new("types.ImageInspect")
        .field("Config", Value::Nil)
        .into();
    let err = run_with("{{.Config.Env}}", &inspect)
        .err()
        .unwrap_or_default();
    assert!(
        err.starts_with(
            "template: :1:9: executing \"\" at <.Config.Env>: nil pointer evaluating *"
        ),
        "{err}"
    );
    assert!(err.ends_with(".Env"), "{err}");
    // Partial output is kept, as with Go's writer.
    let t = Template::parse("a{{.ID}}b{{.Nope}}c").unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    assert!(t.execute(&ctx, &mut out).is_err());
    assert_eq!(out, "asha256:abcb");
}

#[test]
fn float_formatting() {
    let cases: &[(f64, char, i64, &str)] = &[
        (0.0, 'g', -1, "0"),
        (-0.0, 'g', -1, "-0"),
        (1.0, 'g', -1, "1"),
        (1e6, 'g', -1, "1e+06"),
        (123456.0, 'g', -1, "123456"),
        (1234567.0, 'g', -1, "1.234567e+06"),
        (0.0001, 'g', -1, "0.0001"),
        (0.00001, 'g', -1, "1e-05"),
        (1e100, 'g', -1, "1e+100"),
        (f64::NAN, 'g', -1, "NaN"),
        (f64::INFINITY, 'g', -1, "+Inf"),
        (f64::NEG_INFINITY, 'g', -1, "-Inf"),
        (0.1, 'e', -1, "1e-01"),
        (0.0, 'e', -1, "0e+00"),
        (1.5, 'f', -1, "1.5"),
        (1e21, 'f', -1, "1000000000000000000000"),
        (3.14259, 'e', 2, "3.14e+00"),
        (3.14259, 'f', 3, "3.143"),
        (100.0, 'g', 5, "100"),
        (123456.0, 'g', 3, "1.23e+05"),
        (0.000123, 'g', 2, "0.00012"),
        (2.5, 'f', 0, "2"),
        (3.5, 'f', 0, "4"),
    ];
    for (v, fmt, prec, want) in cases {
        assert_eq!(
            gofmt::format_float(*v, *fmt, *prec),
            *want,
            "{v} {fmt} {prec}"
        );
    }
}

#[test]
fn fmt_direct() {
    let l = Value::list([Value::Int(1), Value::Nil, Value::str("x")]);
    assert_eq!(gofmt::sprint(&[FArg::V(&l)]), "[1 <nil> x]");
    let nested = Value::list([Value::strings(["a", "b"]), Value::strings(["c"])]);
    assert_eq!(gofmt::sprint(&[FArg::V(&nested)]), "[[a b] [c]]");
    let ptr: Value = Struct::new("*p.T").field("A", "a").field("B", 1).into();
    assert_eq!(gofmt::sprint(&[FArg::V(&ptr)]), "&{a 1}");
    let outer: Value = Struct::new("p.O").field("P", ptr.clone()).into();
    assert_eq!(gofmt::sprint(&[FArg::V(&outer)]), "{{a 1}}");
    assert_eq!(gofmt::sprint_action(&ptr), "{a 1}");
    assert_eq!(
        gofmt::sprintln(&[FArg::V(&Value::str("a")), FArg::Nil]),
        "a <nil>\n"
    );
    assert_eq!(
        gofmt::quote("a\"b\n\u{1}é\u{2028}"),
        "\"a\\\"b\\n\\x01é\\u2028\""
    );
}
