//! `docker history`: rows built as the daemon builds them, rendered as the docker CLI 28
//! formatter renders them (default table, `--no-trunc`, `-H=false`, `-q`, `--format`).

use std::collections::BTreeMap;

use crate::time::parse_rfc3339;
use crate::units::{human_duration_nanos, human_size_with_precision};
use crate::width::ellipsis;
use gotemplate::{Struct, Value};

/// One history row as the daemon's `ImageHistory` returns it.
#[derive(Debug, Clone)]
pub struct Row {
    /// Image ID (`sha256:…`) or `<missing>`.
    pub id: String,
    /// Unix seconds of `created` (Go's zero time when absent).
    pub created: i64,
    /// `created_by`.
    pub created_by: String,
    /// Layer size, 0 for empty layers.
    pub size: u64,
    /// `comment`.
    pub comment: String,
}

/// Seconds of Go's zero time, what `Created.Unix()` gives for an absent `created`.
pub const ZERO_UNIX: i64 = -62_135_596_800;
/// 2000-01-01T00:00:00Z: the CLI shows `N/A` at or before it.
const Y2K: i64 = 946_684_800;

/// Builds rows, newest first: each entry gets the size of the layer it made; the top row
/// gets the image ID and the next rows the ancestors' IDs the source holds.
pub fn rows(
    entries: &[strata_core::image::HistoryEntry],
    layer_sizes: &[u64],
    ids: &[String],
) -> Vec<Row> {
    let steps = strata_core::config::steps(entries, layer_sizes.len());
    let mut out: Vec<Row> = steps
        .iter()
        .filter_map(|s| Some((&entries[s.history?], s.layer)))
        .map(|(h, layer)| {
            let size = layer.map_or(0, |l| layer_sizes[l]);
            Row {
                id: "<missing>".to_string(),
                created: h
                    .created
                    .as_deref()
                    .and_then(parse_rfc3339)
                    .map(|t| t.unix)
                    .unwrap_or(ZERO_UNIX),
                created_by: h.created_by.clone(),
                size,
                comment: h.comment.clone(),
            }
        })
        .collect();
    out.reverse();
    for (row, id) in out.iter_mut().zip(ids) {
        row.id = id.clone();
    }
    out
}

/// How to render.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--no-trunc` not given.
    pub trunc: bool,
    /// `-H` (default true).
    pub human: bool,
    /// `-q`.
    pub quiet: bool,
    /// `--format`, if given.
    pub format: Option<String>,
    /// Unix time "now", in nanoseconds.
    pub now_nanos: i128,
    /// Local zone offset function: unix seconds → offset seconds.
    pub local_offset: fn(i64) -> i32,
}

fn row_struct(r: &Row, o: &Options) -> Value {
    let id = if o.trunc {
        truncate_id(&r.id)
    } else {
        r.id.clone()
    };
    let custom = o
        .format
        .as_deref()
        .is_some_and(|f| !f.is_empty() && f != "table");
    let offset = if !o.human || custom {
        (o.local_offset)(r.created)
    } else {
        0 // CreatedAt is not shown by the human table: skip the zone lookup.
    };
    let created_at = crate::time::format_rfc3339_at(r.created, offset);
    let created_since = if !o.human {
        created_at.clone()
    } else if r.created <= Y2K {
        "N/A".to_string()
    } else {
        let d = o.now_nanos - i128::from(r.created) * 1_000_000_000;
        format!("{} ago", human_duration_nanos(d))
    };
    let created_by = {
        let s = r.created_by.replace('\t', " ");
        if o.trunc { ellipsis(&s, 45) } else { s }
    };
    let size = if o.human {
        human_size_with_precision(r.size as f64, 3)
    } else {
        r.size.to_string()
    };
    let fields = vec![
        ("ID", id),
        ("CreatedSince", created_since),
        ("CreatedAt", created_at),
        ("CreatedBy", created_by),
        ("Size", size),
        ("Comment", r.comment.clone()),
    ];
    let json = crate::json::marshal_context(&fields);
    let mut s = Struct::new("*image.historyContext");
    s.pointer = true;
    s.json = Some(json);
    for (k, v) in fields {
        s = s.field(k, Value::String(v));
    }
    Value::Struct(Box::new(s))
}

fn header_value() -> Value {
    let mut m = BTreeMap::new();
    for (k, v) in [
        ("ID", "IMAGE"),
        ("CreatedSince", "CREATED"),
        ("CreatedAt", "CREATED AT"),
        ("CreatedBy", "CREATED BY"),
        ("Size", "SIZE"),
        ("Comment", "COMMENT"),
    ] {
        m.insert(k.to_string(), Value::String(v.to_string()));
    }
    Value::Map(Some(m))
}

/// `stringid.TruncateID`: drop the algorithm, keep 12 characters.
pub fn truncate_id(id: &str) -> String {
    let hex = match id.split_once(':') {
        Some((_, h)) => h,
        None => id,
    };
    hex.chars().take(12).collect()
}

/// The format the docker CLI would use for these options.
pub fn effective_format(o: &Options) -> String {
    match o.format.as_deref() {
        None | Some("") | Some("table") => {
            if o.quiet {
                "{{.ID}}".to_string()
            } else if !o.human {
                "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}".to_string()
            } else {
                "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
                    .to_string()
            }
        }
        Some(f) => f.to_string(),
    }
}

fn cells(r: &Row, o: &Options) -> [String; 6] {
    let Value::Struct(s) = row_struct(r, o) else {
        return Default::default();
    };
    let get = |i: usize| match s.fields.get(i) {
        Some((_, Value::String(v))) => v.clone(),
        _ => String::new(),
    };
    [get(0), get(1), get(2), get(3), get(4), get(5)]
}

/// The built-in formats, laid out directly (same result as running their templates).
fn render_builtin(rows: &[Row], o: &Options) -> Option<String> {
    if o.format
        .as_deref()
        .is_some_and(|f| !f.is_empty() && f != "table")
    {
        return None;
    }
    if o.quiet {
        let mut out = String::new();
        for r in rows {
            out.push_str(&cells(r, o)[0]);
            out.push('\n');
        }
        return Some(out);
    }
    let mut t = crate::tabwriter::TabWriter::docker();
    let when = if o.human { "CREATED" } else { "CREATED AT" };
    t.write(&format!("IMAGE\t{when}\tCREATED BY\tSIZE\tCOMMENT\n"));
    for r in rows {
        let c = cells(r, o);
        let when = if o.human { &c[1] } else { &c[2] };
        t.write(&format!("{}\t{when}\t{}\t{}\t{}\n", c[0], c[3], c[4], c[5]));
    }
    Some(t.finish())
}

/// Renders rows with the docker CLI's formatter rules.
pub fn render(rows: &[Row], o: &Options) -> Result<String, crate::FormatError> {
    if let Some(text) = render_builtin(rows, o) {
        return Ok(text);
    }
    let values: Vec<Value> = rows.iter().map(|r| row_struct(r, o)).collect();
    crate::format::render_rows(&effective_format(o), &values, &header_value())
}
