//! `docker images`: the image list as a Docker 20.10 daemon selects it (filters, `-a`, the
//! `REPOSITORY[:TAG]` argument, newest first), rendered as the docker CLI 28 formatter renders
//! it (one row per repository:tag, digest-only rows, `<none>` rows, `--digests`, `-q`,
//! `--no-trunc`, `--format`).

use std::collections::BTreeMap;

use strata_core::glob::{BadPattern, path_match};
use strata_core::reference::Reference;

use crate::FormatError;
use crate::history::{ZERO_UNIX, truncate_id};
use crate::units::{human_duration_nanos, human_size, human_size_with_precision};
use gotemplate::{Struct, Value};

/// One image in the store, as the daemon's image list sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageInfo {
    /// Image ID, `sha256:<64 hex>`.
    pub id: String,
    /// Familiar `repo:tag` references, in Docker's RepoTags order.
    pub repo_tags: Vec<String>,
    /// Familiar `repo@sha256:…` references, in Docker's RepoDigests order.
    pub repo_digests: Vec<String>,
    /// Unix seconds of the config's `created` (Go's zero time, -62135596800, when absent).
    pub created: i64,
    /// Docker's size of the image.
    pub size: u64,
    /// The config's Labels (what `--filter label=` looks at).
    pub labels: BTreeMap<String, String>,
    /// Parent image ID, or `""`.
    pub parent: String,
    /// An untagged parent kept for its children: listed only with `-a`.
    pub intermediate: bool,
}

/// What `docker images` was asked for.
#[derive(Debug, Clone)]
pub struct ImagesOptions {
    /// `-a`: also intermediate images.
    pub all: bool,
    /// `-q`: only IDs.
    pub quiet: bool,
    /// `--digests`.
    pub digests: bool,
    /// `--no-trunc`.
    pub no_trunc: bool,
    /// Raw `--filter` values (`key=value`).
    pub filters: Vec<String>,
    /// `--format`, if given.
    pub format: Option<String>,
    /// The optional `REPOSITORY[:TAG]` argument.
    pub reference: Option<String>,
    /// Unix time "now", in nanoseconds.
    pub now_nanos: i128,
    /// Local zone offset function: unix seconds → UTC offset seconds.
    pub local_offset: fn(i64) -> i32,
    /// Local zone abbreviation Go's `Time.String()` prints (e.g. `UTC`).
    pub local_zone_name: String,
}

const DEFAULT_TABLE: &str = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
const DIGEST_TABLE: &str = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
const QUIET: &str = "{{.ID}}";
const RAW_QUIET: &str = "image_id: {{.ID}}";
const RAW_DIGEST: &str = "repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n";
const RAW: &str = "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n";

/// The filter keys the 20.10 daemon accepts for an image list.
const ACCEPTED: [&str; 5] = ["before", "dangling", "label", "reference", "since"];

/// `filters.Args`: key → set of values (kept in the order given, without repeats).
#[derive(Debug, Default)]
struct Filters {
    fields: BTreeMap<String, Vec<String>>,
}

impl Filters {
    /// The CLI's `--filter` parsing (`opts.FilterOpt.Set`).
    fn parse(raw: &[String]) -> Result<Filters, String> {
        let mut f = Filters::default();
        for value in raw {
            if value.is_empty() {
                continue;
            }
            let Some((name, val)) = value.split_once('=') else {
                return Err("bad format of filter (expected name=value)".to_string());
            };
            f.add(&name.trim().to_lowercase(), val.trim());
        }
        Ok(f)
    }

    fn add(&mut self, key: &str, value: &str) {
        let values = self.fields.entry(key.to_string()).or_default();
        if !values.iter().any(|v| v == value) {
            values.push(value.to_string());
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.fields.contains_key(key)
    }

    fn get(&self, key: &str) -> &[String] {
        self.fields.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The daemon's checks before listing: known keys, a valid `dangling` value.
    /// Returns whether only dangling images are wanted.
    fn validate(&self) -> Result<bool, String> {
        if let Some(bad) = self.fields.keys().find(|k| !ACCEPTED.contains(&k.as_str())) {
            return Err(format!("Invalid filter '{bad}'"));
        }
        if self.contains("dangling") {
            let values = self.get("dangling");
            if values.iter().any(|v| v == "true") {
                return Ok(true);
            }
            if !values.iter().any(|v| v == "false") {
                return Err(format!("Invalid filter 'dangling=[{}]'", values.join(" ")));
            }
        }
        Ok(false)
    }

    /// `MatchKVList`: every `KEY` / `KEY=VALUE` must hold (values of `label` are ANDed).
    fn match_kv_list(&self, key: &str, sources: &BTreeMap<String, String>) -> bool {
        let values = self.get(key);
        if values.is_empty() {
            return true;
        }
        if sources.is_empty() {
            return false;
        }
        values.iter().all(|value| match value.split_once('=') {
            Some((k, v)) => sources.get(k).is_some_and(|s| s == v),
            None => sources.contains_key(value.as_str()),
        })
    }
}

/// Parses and validates filters; error text as docker's (e.g. `Invalid filter 'foo'`, what the
/// 20.10 daemon answers, to be printed after `Error response from daemon: `). A value without
/// `=` gives `bad format of filter (expected name=value)`, which the CLI reports as a flag error
/// (`invalid argument "V" for "-f, --filter" flag: …`).
pub fn check_filters(filters: &[String]) -> Result<(), String> {
    Filters::parse(filters)?.validate().map(|_| ())
}

impl ImageInfo {
    /// The row data of an image summary.
    pub fn from_summary(s: &strata_core::report::ImageSummary) -> ImageInfo {
        ImageInfo {
            id: s.id.clone(),
            repo_tags: s.repo_tags.clone(),
            repo_digests: s.repo_digests.clone(),
            created: s
                .created
                .as_deref()
                .and_then(crate::time::parse_rfc3339)
                .map_or(crate::history::ZERO_UNIX, |t| t.unix),
            size: s.size,
            labels: s.labels.clone(),
            parent: s.parent.clone(),
            intermediate: false,
        }
    }
}

impl strata_core::lookup::Named for ImageInfo {
    fn id(&self) -> &str {
        &self.id
    }
    fn tags(&self) -> &[String] {
        &self.repo_tags
    }
    fn digests(&self) -> &[String] {
        &self.repo_digests
    }
}

/// `ImageService.GetImage(refOrID)` (see [`strata_core::lookup::find`]).
fn get_image<'a>(images: &'a [ImageInfo], s: &str) -> Result<&'a ImageInfo, String> {
    strata_core::lookup::find(images, s).map_err(|e| e.to_string())
}

/// `reference.FamiliarMatch`: the pattern against the familiar string, then the familiar name.
fn familiar_match(pattern: &str, reference: &str) -> Result<bool, BadPattern> {
    let (full, name) = match Reference::parse(reference) {
        Ok(r) => (r.familiar(), r.familiar_name()),
        Err(_) => (reference.to_string(), reference.to_string()),
    };
    // Go returns the first match's error even when the name alone matches.
    match path_match(pattern, &full)? {
        true => Ok(true),
        false => Ok(path_match(pattern, &name).unwrap_or(false)),
    }
}

/// The daemon's image list (`ImageService.Images` of Docker 20.10): filtered, with
/// RepoTags/RepoDigests narrowed by the `reference` filter, untagged images as
/// `<none>:<none>` / `<none>@<none>`, newest `created` first (ties keep the input order).
/// Errors are the daemon's messages (print them after `Error response from daemon: `).
pub fn list_images(images: &[ImageInfo], o: &ImagesOptions) -> Result<Vec<ImageInfo>, String> {
    let mut filters = Filters::parse(&o.filters)?;
    if let Some(r) = o.reference.as_deref().filter(|r| !r.is_empty()) {
        filters.add("reference", r);
    }
    let dangling_only = filters.validate()?;
    let mut before = None;
    for v in filters.get("before") {
        before = Some(get_image(images, v)?.created);
    }
    let mut since = None;
    for v in filters.get("since") {
        since = Some(get_image(images, v)?.created);
    }
    let parents: std::collections::HashSet<&str> =
        images.iter().map(|i| i.parent.as_str()).collect();
    let has_children = |img: &ImageInfo| img.intermediate || parents.contains(img.id.as_str());
    let patterns = filters.get("reference");
    let matches_reference = |r: &str| -> Result<bool, String> {
        for p in patterns {
            if familiar_match(p, r).map_err(|_| "syntax error in pattern".to_string())? {
                return Ok(true);
            }
        }
        Ok(false)
    };
    let mut out = Vec::new();
    for img in images {
        if dangling_only && has_children(img) {
            continue; // imageStore.Heads(): only images without children
        }
        if before.is_some_and(|b| img.created >= b) || since.is_some_and(|s| img.created <= s) {
            continue;
        }
        if filters.contains("label") && !filters.match_kv_list("label", &img.labels) {
            continue;
        }
        let mut listed = img.clone();
        if !patterns.is_empty() {
            listed.repo_tags.clear();
            listed.repo_digests.clear();
            for t in &img.repo_tags {
                if matches_reference(t)? {
                    listed.repo_tags.push(t.clone());
                }
            }
            for d in &img.repo_digests {
                if matches_reference(d)? {
                    listed.repo_digests.push(d.clone());
                }
            }
        }
        if listed.repo_tags.is_empty() && listed.repo_digests.is_empty() {
            // Shown only with -a or when no image is built on it; never under
            // dangling=false or a reference filter.
            let hidden = !o.all && has_children(img);
            if hidden
                || (filters.contains("dangling") && !dangling_only)
                || filters.contains("reference")
            {
                continue;
            }
            listed.repo_digests = vec!["<none>@<none>".to_string()];
            listed.repo_tags = vec!["<none>:<none>".to_string()];
        } else if dangling_only && !listed.repo_tags.is_empty() {
            continue;
        }
        out.push(listed);
    }
    // Newest first; a stable sort keeps the input order of ties (Docker's is unstable).
    out.sort_by_key(|i| std::cmp::Reverse(i.created));
    Ok(out)
}

/// The format the docker CLI uses (`NewImageFormat`), before `json` becomes `{{json .}}`.
fn image_format(o: &ImagesOptions) -> String {
    let source = match o.format.as_deref() {
        None | Some("") => "table",
        Some(f) => f,
    };
    match source {
        "table" if o.quiet => QUIET.to_string(),
        "table" if o.digests => DIGEST_TABLE.to_string(),
        "table" => DEFAULT_TABLE.to_string(),
        "raw" if o.quiet => RAW_QUIET.to_string(),
        "raw" if o.digests => RAW_DIGEST.to_string(),
        "raw" => RAW.to_string(),
        f => {
            let mut f = f.to_string();
            if f.starts_with("table") && o.digests && !f.contains("{{.Digest}}") {
                f.push_str("\t{{.Digest}}");
            }
            f
        }
    }
}

/// One output row: an image under one repository name, tag and digest.
struct Row<'a> {
    img: &'a ImageInfo,
    repo: String,
    tag: String,
    digest: String,
}

fn is_dangling(img: &ImageInfo) -> bool {
    (img.repo_tags.is_empty() && img.repo_digests.is_empty())
        || (img.repo_tags.len() == 1
            && img.repo_tags[0] == "<none>:<none>"
            && img.repo_digests.len() == 1
            && img.repo_digests[0] == "<none>@<none>")
}

/// Appends `value` to the list of `key`, creating it after the existing keys.
fn push_grouped(groups: &mut Vec<(String, Vec<String>)>, key: String, value: String) {
    match groups.iter_mut().find(|(k, _)| *k == key) {
        Some((_, values)) => values.push(value),
        None => groups.push((key, vec![value])),
    }
}

/// `imageFormat` / `imageFormatTaggedAndDigest`. Repositories come in the order of their first
/// tag (Go iterates a map here, so Docker's order varies), then digest-only repositories.
fn image_rows<'a>(img: &'a ImageInfo, show_digests: bool, need_digest: bool) -> Vec<Row<'a>> {
    let row = |repo: &str, tag: &str, digest: &str| Row {
        img,
        repo: repo.to_string(),
        tag: tag.to_string(),
        digest: digest.to_string(),
    };
    if is_dangling(img) {
        return vec![row("<none>", "<none>", "<none>")];
    }
    let mut tags: Vec<(String, Vec<String>)> = Vec::new();
    for r in &img.repo_tags {
        if let Ok(p) = Reference::parse(r) {
            if let Some(t) = p.tag() {
                push_grouped(&mut tags, p.familiar_name(), t.to_string());
            }
        }
    }
    let mut digests: Vec<(String, Vec<String>)> = Vec::new();
    for r in &img.repo_digests {
        if let Ok(p) = Reference::parse(r) {
            if let Some(d) = p.digest() {
                push_grouped(&mut digests, p.familiar_name(), d.to_string());
            }
        }
    }
    let mut rows = Vec::new();
    for (repo, repo_tags) in &tags {
        let pos = digests.iter().position(|(r, _)| r == repo);
        let repo_digests = pos.map(|i| digests.remove(i).1).unwrap_or_default();
        for tag in repo_tags {
            if !need_digest || repo_digests.is_empty() {
                rows.push(row(repo, tag, "<none>"));
            } else {
                for d in &repo_digests {
                    rows.push(row(repo, tag, d));
                }
            }
        }
    }
    for (repo, repo_digests) in &digests {
        if show_digests {
            for d in repo_digests {
                rows.push(row(repo, "<none>", d));
            }
        } else {
            rows.push(row(repo, "<none>", ""));
        }
    }
    rows
}

/// Go's `%v` of a `[]string`.
fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// Go's `%v` of a `map[string]string` (keys sorted).
fn go_map(m: &BTreeMap<String, String>) -> String {
    let items: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("map[{}]", items.join(" "))
}

fn row_value(r: &Row<'_>, o: &ImagesOptions, with_created_at: bool) -> Value {
    let img = r.img;
    let id = if o.no_trunc {
        img.id.clone()
    } else {
        truncate_id(&img.id)
    };
    let created_since = if img.created == ZERO_UNIX {
        String::new()
    } else {
        let d = o.now_nanos - i128::from(img.created) * 1_000_000_000;
        format!("{} ago", human_duration_nanos(d))
    };
    let created_at = if with_created_at {
        let offset = (o.local_offset)(img.created);
        crate::time::format_go_string(img.created, offset, &o.local_zone_name)
    } else {
        String::new()
    };
    let size = img.size as f64;
    let fields = [
        ("Containers", "N/A".to_string()),
        ("CreatedAt", created_at),
        ("CreatedSince", created_since),
        ("Digest", r.digest.clone()),
        ("ID", id),
        ("Repository", r.repo.clone()),
        ("SharedSize", "N/A".to_string()),
        ("Size", human_size_with_precision(size, 3)),
        ("Tag", r.tag.clone()),
        ("UniqueSize", "N/A".to_string()),
        ("VirtualSize", human_size(size)),
    ];
    let json = crate::json::marshal_context(&fields);
    // What `{{.}}` prints: text/template dereferences the *imageContext and fmt prints
    // {HeaderContext trunc image.Summary repo tag digest}.
    let display = format!(
        "{{{{<nil>}} {} {{-1 {} {} {} {} <nil> [] {} {} -1 {} {}}} {} {} {}}}",
        !o.no_trunc,
        img.created,
        img.id,
        go_map(&img.labels),
        img.parent,
        go_list(&img.repo_digests),
        go_list(&img.repo_tags),
        img.size,
        img.size,
        r.repo,
        r.tag,
        r.digest,
    );
    let mut s = Struct::new("*formatter.imageContext")
        .json(json)
        .display(display);
    s = s
        .field("Header", Value::Nil)
        .field("FullHeader", Value::Nil);
    for (k, v) in fields {
        s = s.field(k, Value::String(v));
    }
    Value::Struct(Box::new(s))
}

fn header_value() -> Value {
    Value::string_map([
        ("ID", "IMAGE ID"),
        ("Repository", "REPOSITORY"),
        ("Tag", "TAG"),
        ("Digest", "DIGEST"),
        ("CreatedSince", "CREATED"),
        ("CreatedAt", "CREATED AT"),
        ("Size", "SIZE"),
        ("Containers", "CONTAINERS"),
        ("VirtualSize", "SIZE"),
        ("SharedSize", "SHARED SIZE"),
        ("UniqueSize", "UNIQUE SIZE"),
    ])
}

/// Renders an image list (as [`list_images`] returns it) with the docker CLI's formatter.
pub fn render_list(listed: &[ImageInfo], o: &ImagesOptions) -> Result<String, FormatError> {
    let format = image_format(o);
    let need_digest = o.digests || format.contains("{{.Digest}}");
    let with_created_at = ![DEFAULT_TABLE, DIGEST_TABLE, QUIET].contains(&format.as_str());
    let mut values = Vec::new();
    for img in listed {
        for r in image_rows(img, o.digests, need_digest) {
            values.push(row_value(&r, o, with_created_at));
        }
    }
    let format = if format == "json" {
        "{{json .}}".to_string()
    } else {
        format
    };
    crate::format::render_rows(&format, &values, &header_value())
}

/// `docker images`: selects like the daemon ([`list_images`]) and renders like the CLI
/// ([`render_list`]). A daemon error comes back as `FormatError::Execute` holding the whole
/// line, `Error response from daemon: …` (call [`list_images`] first to tell them apart).
pub fn render_images(images: &[ImageInfo], o: &ImagesOptions) -> Result<String, FormatError> {
    let listed = list_images(images, o)
        .map_err(|e| FormatError::Execute(format!("Error response from daemon: {e}")))?;
    render_list(&listed, o)
}

#[cfg(test)]
mod tests {
    //! Expected strings come from `docker images` (CLI 28.2.2, daemon 20.10.24, overlay2) as
    //! recorded in the project's reference outputs and spec, unless a test says otherwise.

    use super::*;

    const APP_ID: &str = "sha256:f8abc0f232f591a19c8d37845fc8a515adf58e85242317061e28b4659e3c71ad";
    const BASE_ID: &str = "sha256:8c67b0fd1f92e64027cc1556177ba81e43446d66e9ab74f268ec3233429749f5";
    const PULLED: &str = "sha256:d88bdc520aa57136a9f0f0994d9904e9064ddaed8465933d15cb8ce0f3b1c557";
    /// 2026-11-23T00:04:03Z and 2026-11-23T00:03:57Z.
    const APP_CREATED: i64 = 1_795_392_243;
    const BASE_CREATED: i64 = 1_795_392_237;

    fn utc(_: i64) -> i32 {
        0
    }

    fn image(id: &str, tags: &[&str], digests: &[&str], created: i64, size: u64) -> ImageInfo {
        ImageInfo {
            id: id.to_string(),
            repo_tags: tags.iter().map(|s| s.to_string()).collect(),
            repo_digests: digests.iter().map(|s| s.to_string()).collect(),
            created,
            size,
            ..ImageInfo::default()
        }
    }

    /// After `docker load` of example-base-1.tar and example-app-1.tar (base listed first so
    /// the newest-first sort is exercised).
    fn loaded() -> Vec<ImageInfo> {
        vec![
            image(BASE_ID, &["example/base:1"], &[], BASE_CREATED, 1_982_328),
            image(APP_ID, &["example/app:1"], &[], APP_CREATED, 1_982_352),
        ]
    }

    fn opts() -> ImagesOptions {
        ImagesOptions {
            all: false,
            quiet: false,
            digests: false,
            no_trunc: false,
            filters: Vec::new(),
            format: None,
            reference: None,
            // ten hours and a bit after the app was built: "10 hours ago"
            now_nanos: i128::from(APP_CREATED + 10 * 3600 + 600) * 1_000_000_000,
            local_offset: utc,
            local_zone_name: "UTC".to_string(),
        }
    }

    fn render(images: &[ImageInfo], o: &ImagesOptions) -> String {
        render_images(images, o).unwrap()
    }

    fn err(images: &[ImageInfo], o: &ImagesOptions) -> String {
        render_images(images, o).unwrap_err().to_string()
    }

    fn with_filters(f: &[&str]) -> ImagesOptions {
        ImagesOptions {
            filters: f.iter().map(|s| s.to_string()).collect(),
            ..opts()
        }
    }

    fn format(f: &str) -> ImagesOptions {
        ImagesOptions {
            format: Some(f.to_string()),
            ..opts()
        }
    }

    #[test]
    fn default_table_matches_reference() {
        // images.txt
        let want = "\
REPOSITORY     TAG       IMAGE ID       CREATED        SIZE
example/app    1         f8abc0f232f5   10 hours ago   1.98MB
example/base   1         8c67b0fd1f92   10 hours ago   1.98MB
";
        assert_eq!(render(&loaded(), &opts()), want);
        // `--format table` is the default table.
        assert_eq!(render(&loaded(), &format("table")), want);
    }

    #[test]
    fn digests_no_trunc_matches_reference() {
        // images-digests-notrunc.txt
        let o = ImagesOptions {
            digests: true,
            no_trunc: true,
            ..opts()
        };
        let want = "\
REPOSITORY     TAG       DIGEST    IMAGE ID                                                                  CREATED        SIZE
example/app    1         <none>    sha256:f8abc0f232f591a19c8d37845fc8a515adf58e85242317061e28b4659e3c71ad   10 hours ago   1.98MB
example/base   1         <none>    sha256:8c67b0fd1f92e64027cc1556177ba81e43446d66e9ab74f268ec3233429749f5   10 hours ago   1.98MB
";
        assert_eq!(render(&loaded(), &o), want);
    }

    #[test]
    fn json_matches_reference() {
        // images-json.txt
        let want = r#"{"Containers":"N/A","CreatedAt":"2026-11-23 00:04:03 +0000 UTC","CreatedSince":"10 hours ago","Digest":"\u003cnone\u003e","ID":"f8abc0f232f5","Repository":"example/app","SharedSize":"N/A","Size":"1.98MB","Tag":"1","UniqueSize":"N/A","VirtualSize":"1.982MB"}
{"Containers":"N/A","CreatedAt":"2026-11-23 00:03:57 +0000 UTC","CreatedSince":"10 hours ago","Digest":"\u003cnone\u003e","ID":"8c67b0fd1f92","Repository":"example/base","SharedSize":"N/A","Size":"1.98MB","Tag":"1","UniqueSize":"N/A","VirtualSize":"1.982MB"}
"#;
        assert_eq!(render(&loaded(), &format("{{json .}}")), want);
        assert_eq!(render(&loaded(), &format("json")), want);
    }

    #[test]
    fn pulled_digests_match_reference() {
        // pulled-images-digests.txt
        let imgs = [image(
            APP_ID,
            &["127.0.0.1:5055/example/app:1"],
            &[&format!("127.0.0.1:5055/example/app@{PULLED}")],
            APP_CREATED,
            1_982_352,
        )];
        let o = ImagesOptions {
            digests: true,
            ..opts()
        };
        let want = "\
REPOSITORY                   TAG       DIGEST                                                                    IMAGE ID       CREATED        SIZE
127.0.0.1:5055/example/app   1         sha256:d88bdc520aa57136a9f0f0994d9904e9064ddaed8465933d15cb8ce0f3b1c557   f8abc0f232f5   10 hours ago   1.98MB
";
        assert_eq!(render(&imgs, &o), want);
        // Rule 13: {{.Digest}} in a custom format shows the digest without --digests.
        assert_eq!(
            render(&imgs, &format("{{.Tag}} {{.Digest}}")),
            format!("1 {PULLED}\n")
        );
        // Without --digests the default table has no DIGEST column.
        assert_eq!(
            render(&imgs, &opts()),
            "\
REPOSITORY                   TAG       IMAGE ID       CREATED        SIZE
127.0.0.1:5055/example/app   1         f8abc0f232f5   10 hours ago   1.98MB
"
        );
    }

    #[test]
    fn quiet_prints_one_id_per_row() {
        // Rule 1: five tags, five lines.
        let imgs = [image(
            APP_ID,
            &["a:1", "a:2", "a:3", "b:1", "c:1"],
            &[],
            APP_CREATED,
            1,
        )];
        let o = ImagesOptions {
            quiet: true,
            ..opts()
        };
        assert_eq!(render(&imgs, &o), "f8abc0f232f5\n".repeat(5));
        let o = ImagesOptions {
            quiet: true,
            no_trunc: true,
            ..opts()
        };
        assert_eq!(render(&loaded(), &o), format!("{APP_ID}\n{BASE_ID}\n"));
    }

    #[test]
    fn digest_only_rows() {
        // Rule 13, and what the 20.10 daemon printed here after `docker pull x/app@DIGEST` of an
        // image also tagged y/app:2.
        let imgs = [image(
            APP_ID,
            &["127.0.0.1:5077/y/app:2"],
            &[
                &format!("127.0.0.1:5077/x/app@{PULLED}"),
                &format!("127.0.0.1:5077/y/app@{PULLED}"),
            ],
            APP_CREATED,
            1_982_352,
        )];
        assert_eq!(
            render(&imgs, &opts()),
            "\
REPOSITORY             TAG       IMAGE ID       CREATED        SIZE
127.0.0.1:5077/y/app   2         f8abc0f232f5   10 hours ago   1.98MB
127.0.0.1:5077/x/app   <none>    f8abc0f232f5   10 hours ago   1.98MB
"
        );
        let o = ImagesOptions {
            digests: true,
            ..opts()
        };
        assert_eq!(
            render(&imgs, &o),
            "\
REPOSITORY             TAG       DIGEST                                                                    IMAGE ID       CREATED        SIZE
127.0.0.1:5077/y/app   2         sha256:d88bdc520aa57136a9f0f0994d9904e9064ddaed8465933d15cb8ce0f3b1c557   f8abc0f232f5   10 hours ago   1.98MB
127.0.0.1:5077/x/app   <none>    sha256:d88bdc520aa57136a9f0f0994d9904e9064ddaed8465933d15cb8ce0f3b1c557   f8abc0f232f5   10 hours ago   1.98MB
"
        );
        assert_eq!(
            render(&imgs, &format("{{.Repository}} {{.Tag}} [{{.Digest}}]")),
            format!("127.0.0.1:5077/y/app 2 [{PULLED}]\n127.0.0.1:5077/x/app <none> []\n")
        );
        let json = render(&imgs, &format("{{json .}}"));
        let second = json.lines().nth(1).unwrap();
        assert!(second.contains(r#""Digest":"","#), "{second}");
        assert!(second.contains(r#""Tag":"\u003cnone\u003e""#), "{second}");
        // -q: one line per row, digest-only rows included.
        let o = ImagesOptions {
            quiet: true,
            ..opts()
        };
        assert_eq!(render(&imgs, &o), "f8abc0f232f5\nf8abc0f232f5\n");
    }

    #[test]
    fn several_digests_repeat_the_tag_row() {
        // Rule 13 (from the CLI source): one row per digest of the same repository.
        let d2 = format!("sha256:{}", "ab".repeat(32));
        let imgs = [image(
            APP_ID,
            &["r/x:1"],
            &[&format!("r/x@{PULLED}"), &format!("r/x@{d2}")],
            APP_CREATED,
            6,
        )];
        let o = ImagesOptions {
            digests: true,
            ..format("{{.Tag}} {{.Digest}}")
        };
        assert_eq!(render(&imgs, &o), format!("1 {PULLED}\n1 {d2}\n"));
    }

    #[test]
    fn untagged_and_intermediate_images() {
        let parent = format!("sha256:{}", "0d".repeat(32));
        let child = format!("sha256:{}", "e2".repeat(32));
        let orphan = format!("sha256:{}", "11".repeat(32));
        let mut p = image(&parent, &[], &[], APP_CREATED + 5, 1_982_328);
        p.intermediate = true;
        let mut c = image(&child, &["built:1"], &[], APP_CREATED + 5, 1_982_328);
        c.parent = parent.clone();
        let o_img = image(&orphan, &[], &[], APP_CREATED - 60, 999_600);
        let imgs = [p, c, o_img];
        assert_eq!(
            render(&imgs, &format("{{.Repository}} {{.Tag}} {{.ID}} {{.Size}}")),
            "built 1 e2e2e2e2e2e2 1.98MB\n<none> <none> 111111111111 1e+03kB\n"
        );
        let o = ImagesOptions {
            all: true,
            ..format("{{.Repository}} {{.Tag}} {{.ID}} {{.Digest}}")
        };
        assert_eq!(
            render(&imgs, &o),
            "<none> <none> 0d0d0d0d0d0d <none>\nbuilt 1 e2e2e2e2e2e2 <none>\n<none> <none> 111111111111 <none>\n"
        );
        // dangling=true: untagged heads only, even with -a; dangling=false: no untagged ones.
        let o = ImagesOptions {
            all: true,
            ..with_filters(&["dangling=true"])
        };
        let o = ImagesOptions {
            format: Some("{{.ID}}".to_string()),
            ..o
        };
        assert_eq!(render(&imgs, &o), "111111111111\n");
        let o = ImagesOptions {
            all: true,
            format: Some("{{.ID}}".to_string()),
            ..with_filters(&["dangling=false"])
        };
        assert_eq!(render(&imgs, &o), "e2e2e2e2e2e2\n");
    }

    #[test]
    fn zero_created_is_na() {
        let imgs = [image(APP_ID, &["z:1"], &[], ZERO_UNIX, 0)];
        assert_eq!(
            render(&imgs, &opts()),
            "\
REPOSITORY   TAG       IMAGE ID       CREATED   SIZE
z            1         f8abc0f232f5   N/A       0B
"
        );
        // CreatedSince itself is empty (the table's template prints N/A).
        assert_eq!(
            render(&imgs, &format("[{{.CreatedSince}}] {{.CreatedAt}}")),
            "[] 0001-01-01 00:00:00 +0000 UTC\n"
        );
    }

    #[test]
    fn created_at_uses_local_zone() {
        fn plus_one(_: i64) -> i32 {
            3600
        }
        let o = ImagesOptions {
            local_offset: plus_one,
            local_zone_name: "CET".to_string(),
            ..format("{{.CreatedAt}}")
        };
        assert_eq!(
            render(&loaded(), &o),
            "2026-11-23 01:04:03 +0100 CET\n2026-11-23 01:03:57 +0100 CET\n"
        );
    }

    #[test]
    fn other_columns_and_headers() {
        // Observed on the real CLI 28.2.2 / daemon 20.10.24 here.
        let o = format(
            "table {{.Containers}}\t{{.VirtualSize}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.CreatedAt}}",
        );
        assert_eq!(
            render(&loaded(), &o),
            "\
CONTAINERS   SIZE      SHARED SIZE   UNIQUE SIZE   CREATED AT
N/A          1.982MB   N/A           N/A           2026-11-23 00:04:03 +0000 UTC
N/A          1.982MB   N/A           N/A           2026-11-23 00:03:57 +0000 UTC
"
        );
        // A custom table with --digests gets a DIGEST column appended.
        let o = ImagesOptions {
            digests: true,
            ..format("table {{.Repository}}")
        };
        assert_eq!(
            render(&loaded(), &o),
            "\
REPOSITORY     DIGEST
example/app    <none>
example/base   <none>
"
        );
        // raw format (observed).
        let imgs = &loaded()[..1];
        assert_eq!(
            render(imgs, &format("raw")),
            "repository: example/base\ntag: 1\nimage_id: 8c67b0fd1f92\ncreated_at: 2026-11-23 00:03:57 +0000 UTC\nvirtual_size: 1.98MB\n\n"
        );
        let o = ImagesOptions {
            quiet: true,
            ..format("raw")
        };
        assert_eq!(render(imgs, &o), "image_id: 8c67b0fd1f92\n");
        // {{.}} (observed).
        assert_eq!(
            render(imgs, &format("{{.}}")),
            "{{<nil>} true {-1 1795392237 sha256:8c67b0fd1f92e64027cc1556177ba81e43446d66e9ab74f268ec3233429749f5 map[]  <nil> [] [] [example/base:1] -1 1982328 1982328} example/base 1 <none>}\n"
        );
        // (Docker prints `<no value>` for `{{.Header}}`, a nil `any` field; the template model
        // has no nil-interface struct field, so that case is not checked here.)
        assert_eq!(
            err(imgs, &format("{{.Foo}}")),
            "template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo in type *formatter.imageContext"
        );
        // An empty list still prints the header.
        assert_eq!(
            render(&[], &opts()),
            "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"
        );
    }

    #[test]
    fn filter_errors() {
        // Messages of the 20.10 daemon (observed here).
        assert_eq!(
            check_filters(&["foo=bar".to_string()]).unwrap_err(),
            "Invalid filter 'foo'"
        );
        assert_eq!(
            check_filters(&["dangling=maybe".to_string()]).unwrap_err(),
            "Invalid filter 'dangling=[maybe]'"
        );
        assert_eq!(
            check_filters(&["foo".to_string()]).unwrap_err(),
            "bad format of filter (expected name=value)"
        );
        assert!(check_filters(&["Dangling=true".to_string(), "label=a".to_string()]).is_ok());
        assert_eq!(
            err(&loaded(), &with_filters(&["foo=bar"])),
            "Error response from daemon: Invalid filter 'foo'"
        );
        assert_eq!(
            err(&loaded(), &with_filters(&["before=nothere"])),
            "Error response from daemon: No such image: nothere:latest"
        );
        assert_eq!(
            err(&loaded(), &with_filters(&["before=F8"])),
            "Error response from daemon: invalid reference format: repository name must be lowercase"
        );
        assert_eq!(
            err(&loaded(), &with_filters(&["before=/"])),
            "Error response from daemon: invalid reference format"
        );
        assert_eq!(
            err(&loaded(), &with_filters(&["reference=["])),
            "Error response from daemon: syntax error in pattern"
        );
    }

    fn ids(imgs: &[ImageInfo], o: ImagesOptions) -> String {
        render(
            imgs,
            &ImagesOptions {
                format: Some("{{.Repository}}:{{.Tag}}".to_string()),
                ..o
            },
        )
    }

    #[test]
    fn before_since_dangling_label() {
        // Observed: `-f since=8c67` lists the app, `-f before=sha256:f8ab` the base.
        assert_eq!(
            ids(&loaded(), with_filters(&["since=8c67"])),
            "example/app:1\n"
        );
        assert_eq!(
            ids(&loaded(), with_filters(&["before=sha256:f8ab"])),
            "example/base:1\n"
        );
        assert_eq!(
            ids(&loaded(), with_filters(&["before=example/app:1"])),
            "example/base:1\n"
        );
        assert_eq!(
            ids(&loaded(), with_filters(&[&format!("since={BASE_ID}")])),
            "example/app:1\n"
        );
        assert_eq!(
            ids(&loaded(), with_filters(&["dangling=false"])),
            "example/app:1\nexample/base:1\n"
        );
        assert_eq!(ids(&loaded(), with_filters(&["dangling=true"])), "");
        // Labels: several label filters must all hold (MatchKVList).
        let mut a = image(APP_ID, &["built:1"], &[], APP_CREATED, 1);
        a.labels = [("a", "1"), ("b", "2"), ("c", "x")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let imgs = [a, loaded()[0].clone()];
        assert_eq!(
            ids(&imgs, with_filters(&["label=a", "label=b"])),
            "built:1\n"
        );
        assert_eq!(ids(&imgs, with_filters(&["label=a=1", "label=zz"])), "");
        assert_eq!(ids(&imgs, with_filters(&["label=c=x"])), "built:1\n");
        assert_eq!(ids(&imgs, with_filters(&["label=c=y"])), "");
    }

    #[test]
    fn reference_filter_and_argument() {
        let imgs = [image(
            APP_ID,
            &["127.0.0.1:5077/y/app:2", "example/app:1", "example/app:2"],
            &[&format!("127.0.0.1:5077/y/app@{PULLED}")],
            APP_CREATED,
            1_982_352,
        )];
        let arg = |r: &str| ImagesOptions {
            reference: Some(r.to_string()),
            ..opts()
        };
        assert_eq!(
            ids(&imgs, arg("example/app")),
            "example/app:1\nexample/app:2\n"
        );
        assert_eq!(ids(&imgs, arg("example/app:2")), "example/app:2\n");
        assert_eq!(
            ids(&imgs, arg("example/*")),
            "example/app:1\nexample/app:2\n"
        );
        assert_eq!(ids(&imgs, arg("nothing")), "");
        // Observed: the tag pattern drops the repository's digest (DIGEST <none>), and a
        // digest pattern turns the repository into a digest-only row.
        let o = ImagesOptions {
            digests: true,
            format: Some("{{.Repository}} {{.Tag}} {{.Digest}}".to_string()),
            ..arg("127.0.0.1:5077/y/app:2")
        };
        assert_eq!(render(&imgs, &o), "127.0.0.1:5077/y/app 2 <none>\n");
        let o = ImagesOptions {
            digests: true,
            format: Some("{{.Repository}} {{.Tag}} {{.Digest}}".to_string()),
            ..with_filters(&["reference=*/*/app@*"])
        };
        assert_eq!(
            render(&imgs, &o),
            format!("127.0.0.1:5077/y/app <none> {PULLED}\n")
        );
        // Filter values of one key are ORed; the argument joins them.
        let o = ImagesOptions {
            reference: Some("example/app:1".to_string()),
            ..with_filters(&["reference=*/y/app"])
        };
        assert_eq!(ids(&imgs, o), "127.0.0.1:5077/y/app:2\nexample/app:1\n");
        // Untagged images never match a reference filter.
        let untagged = [image(BASE_ID, &[], &[], BASE_CREATED, 1)];
        assert_eq!(ids(&untagged, with_filters(&["reference=*"])), "");
    }

    /// A state observed on the daemon here: built:1 (legacy build on example/base:1, with one
    /// intermediate parent), the app image left with only a digest reference, the base image
    /// tagged twice.
    fn observed_state() -> Vec<ImageInfo> {
        let built = "sha256:e2f67a5c99ecdce3c5f293ad82143343c35e452b386cf2fdfe6bc9b703b88379";
        let inter = "sha256:0d471c1ffaa45ea747869fb9ce3580db99073a95b27a92c4063b0a26eb75c96c";
        let at = 1_795_442_283; // 2026-11-23T13:58:03Z
        let mut i = image(inter, &[], &[], at, 1_982_328);
        i.parent = BASE_ID.to_string();
        i.intermediate = true;
        let mut b = image(built, &["built:1"], &[], at, 1_982_328);
        b.parent = inter.to_string();
        vec![
            image(
                BASE_ID,
                &["127.0.0.1:5077/y/app:2", "example/base:1"],
                &[],
                BASE_CREATED,
                1_982_328,
            ),
            image(
                APP_ID,
                &[],
                &[&format!("127.0.0.1:5077/x/app@{PULLED}")],
                APP_CREATED,
                1_982_352,
            ),
            i,
            b,
        ]
    }

    #[test]
    fn observed_lookups_and_dangling() {
        let imgs = observed_state();
        let f = |filters: &[&str]| ids(&imgs, with_filters(filters));
        assert_eq!(
            f(&[]),
            "built:1\n127.0.0.1:5077/x/app:<none>\n127.0.0.1:5077/y/app:2\nexample/base:1\n"
        );
        assert_eq!(
            f(&[&format!("before=127.0.0.1:5077/x/app@{PULLED}")]),
            "127.0.0.1:5077/y/app:2\nexample/base:1\n"
        );
        assert_eq!(
            f(&[&format!("since=127.0.0.1:5077/x/app:9@{PULLED}")]),
            "built:1\n"
        );
        assert_eq!(
            f(&["before=e2"]),
            "127.0.0.1:5077/x/app:<none>\n127.0.0.1:5077/y/app:2\nexample/base:1\n"
        );
        assert_eq!(f(&["before=sha256:e2"]), f(&["before=e2"]));
        // "0" is a unique prefix of the intermediate image's ID.
        assert_eq!(
            f(&["before=0"]),
            "127.0.0.1:5077/x/app:<none>\n127.0.0.1:5077/y/app:2\nexample/base:1\n"
        );
        // A digest-only image is not dangling=false's business and is listed by dangling=true.
        assert_eq!(
            f(&["dangling=true", "dangling=foo"]),
            "127.0.0.1:5077/x/app:<none>\n"
        );
        assert_eq!(f(&[" DANGLING = true "]), "127.0.0.1:5077/x/app:<none>\n");
        let e = |filter: &str| err(&imgs, &with_filters(&[filter]));
        let ab = "ab".repeat(32);
        let no_such = format!("Error response from daemon: No such image: sha256:{ab}");
        assert_eq!(e(&format!("before={ab}")), no_such);
        assert_eq!(e(&format!("before=sha256:{ab}")), no_such);
        assert_eq!(
            e("before=example"),
            "Error response from daemon: No such image: example:latest"
        );
        assert_eq!(
            e(&format!("before=x/app@{PULLED}")),
            format!("Error response from daemon: No such image: x/app@{PULLED}")
        );
        assert_eq!(
            e("before=sha256:"),
            "Error response from daemon: invalid reference format"
        );
        // `docker images app`: the familiar name is example/app, so nothing matches.
        let o = ImagesOptions {
            reference: Some("app".to_string()),
            ..opts()
        };
        assert_eq!(
            render(&imgs, &o),
            "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"
        );
    }

    #[test]
    fn newest_first_stable() {
        let a = image(APP_ID, &["a:1"], &[], 10, 1);
        let b = image(BASE_ID, &["b:1"], &[], 20, 1);
        let c = image(&format!("sha256:{}", "cc".repeat(32)), &["c:1"], &[], 10, 1);
        assert_eq!(ids(&[a, b, c], opts()), "b:1\na:1\nc:1\n");
    }

    #[test]
    fn path_match_like_go() {
        // Go's src/path/match_test.go table (None = ErrBadPattern).
        let table: &[(&str, &str, Option<bool>)] = &[
            ("abc", "abc", Some(true)),
            ("*", "abc", Some(true)),
            ("*c", "abc", Some(true)),
            ("a*", "a", Some(true)),
            ("a*", "abc", Some(true)),
            ("a*", "ab/c", Some(false)),
            ("a*/b", "abc/b", Some(true)),
            ("a*/b", "a/c/b", Some(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Some(true)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Some(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Some(false)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Some(false)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Some(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Some(false)),
            ("ab[c]", "abc", Some(true)),
            ("ab[b-d]", "abc", Some(true)),
            ("ab[e-g]", "abc", Some(false)),
            ("ab[^c]", "abc", Some(false)),
            ("ab[^b-d]", "abc", Some(false)),
            ("ab[^e-g]", "abc", Some(true)),
            ("a\\*b", "a*b", Some(true)),
            ("a\\*b", "ab", Some(false)),
            ("a?b", "a☺b", Some(true)),
            ("a[^a]b", "a☺b", Some(true)),
            ("a???b", "a☺b", Some(false)),
            ("a[^a][^a][^a]b", "a☺b", Some(false)),
            ("[a-ζ]*", "α", Some(true)),
            ("*[a-ζ]", "A", Some(false)),
            ("a?b", "a/b", Some(false)),
            ("a*b", "a/b", Some(false)),
            ("[\\]a]", "]", Some(true)),
            ("[\\-]", "-", Some(true)),
            ("[x\\-]", "x", Some(true)),
            ("[x\\-]", "-", Some(true)),
            ("[x\\-]", "z", Some(false)),
            ("[\\-x]", "x", Some(true)),
            ("[\\-x]", "-", Some(true)),
            ("[\\-x]", "a", Some(false)),
            ("[]a]", "]", None),
            ("[-]", "-", None),
            ("[x-]", "x", None),
            ("[x-]", "-", None),
            ("[x-]", "z", None),
            ("[-x]", "x", None),
            ("[-x]", "-", None),
            ("[-x]", "a", None),
            ("\\", "a", None),
            ("[a-b-c]", "a", None),
            ("[", "a", None),
            ("[^", "a", None),
            ("[^bc", "a", None),
            ("a[", "a", None),
            ("a[", "ab", None),
            ("a[", "x", None),
            ("a/b[", "x", None),
            ("*x", "xxx", Some(true)),
        ];
        for (pattern, name, want) in table {
            assert_eq!(
                path_match(pattern, name).ok(),
                *want,
                "Match({pattern:?}, {name:?})"
            );
        }
    }
}
