//! The docker CLI formatter: `table` formats go through the tab writer with a header row;
//! raw formats print one template result per row.

use crate::FormatError;
use crate::tabwriter::TabWriter;
use gotemplate::{Template, Value};

/// Docker's pre-processing of a `--format` string: strip `table`, trim spaces, turn the
/// two-character sequences `\t` and `\n` into real tabs and newlines.
pub fn prepare(format: &str) -> (bool, String) {
    let is_table = format.starts_with("table");
    let body = if is_table { &format[5..] } else { format };
    let body = body.trim_matches(' ');
    (is_table, body.replace("\\t", "\t").replace("\\n", "\n"))
}

/// Renders `rows` (each a template data value) with `format`; `header` is the value the
/// header line is rendered from in table mode.
pub fn render_rows(format: &str, rows: &[Value], header: &Value) -> Result<String, FormatError> {
    let (is_table, body) = prepare(format);
    let tmpl = Template::parse(&body).map_err(|e| FormatError::Parse(e.to_string()))?;
    let mut buf = String::new();
    for r in rows {
        tmpl.execute(r, &mut buf)
            .map_err(|e| FormatError::Execute(e.to_string()))?;
        buf.push('\n');
    }
    if !is_table {
        return Ok(buf);
    }
    let mut head = String::new();
    tmpl.execute_header(header, &mut head)
        .map_err(|e| FormatError::Execute(e.to_string()))?;
    let mut t = TabWriter::docker();
    t.write(&head);
    t.write("\n");
    t.write(&buf);
    Ok(t.finish())
}
