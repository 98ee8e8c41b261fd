//! One module per verb: parse options, call the library, render.

pub mod diff;
pub mod efficiency;
pub mod explore;
pub mod fs;
pub mod history;
pub mod images;
pub mod inspect;
pub mod layers;
pub mod load;
pub mod login;
pub mod prune;
pub mod pull;
pub mod push;
pub mod rmi;
pub mod save;
pub mod tag;

static ROOT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Sets the store root from `--root`.
pub fn set_root(p: std::path::PathBuf) {
    let _ = ROOT.set(p);
}

static INSECURE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// Sets the `--insecure-registry` hosts.
pub fn set_insecure(hosts: Vec<String>) {
    let _ = INSECURE.set(hosts);
}

/// Registry options: defaults (and environment) plus `--insecure-registry`.
pub fn registry_options() -> strata_registry::client::Options {
    let mut o = crate::settings::registry();
    if let Some(h) = INSECURE.get() {
        o.insecure.extend(h.iter().cloned());
    }
    o
}

/// A registry client for a reference's domain, with the user's credentials.
pub fn client(domain: &str) -> Result<Arc<strata_registry::client::Client>> {
    Ok(strata_registry::client::Client::new(
        domain,
        registry_options(),
    )?)
}

/// The store root: `--root`, else `STRATA_ROOT`, else the XDG data dir.
pub fn root() -> std::path::PathBuf {
    ROOT.get()
        .cloned()
        .unwrap_or_else(crate::settings::store_root)
}

/// The image a command reads, and which platform of it (flattened into each command).
#[derive(clap::Args)]
pub struct ImageArg {
    #[arg(
        long,
        help = "Platform of a multi-platform image (os/arch or os/arch/variant)"
    )]
    pub platform: Option<String>,
    #[arg(
        help = "Image (store name, docker-archive:, oci:, oci-archive:, docker://)",
        value_name = "IMAGE"
    )]
    pub image: String,
}

/// Opens the local store (shared lock for readers, exclusive for writers).
pub fn store(write: bool) -> Result<strata_store::Store> {
    let r = root();
    strata_store::Store::open(&r, write)
        .with_context(|| format!("opening the store at {}", r.display()))
}

/// An image, with what the daemon would know of it beyond its config.
pub struct Opened {
    /// The source it was read from.
    pub source: Arc<dyn Source>,
    /// The image.
    pub image: Image,
    /// Digest references: the store's record, or for a registry image what a pull would
    /// record (`name@<registry digest>`).
    pub repo_digests: Vec<String>,
    /// When it was last tagged (the store's record), as RFC 3339.
    pub last_tag_time: Option<String>,
}

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use strata_core::image::{Image, Selector};
use strata_core::location::Location;
use strata_core::manifest::Platform;
use strata_core::reference::Reference;
use strata_core::source::Source;

pub use crate::output::Lookup;

/// The daemon's own parse of a name the CLI accepted (Docker 20.10's rules are older: an
/// uppercase first component, a long host), as `pull` and `push` meet it.
pub fn daemon_accepts(name: &str) -> Result<()> {
    strata_core::reference::parse_any_daemon(name)
        .map(|_| ())
        .map_err(|e| {
            Lookup {
                name: name.to_string(),
                error: e.to_string(),
            }
            .into()
        })
}

/// Opens what the user named: a `transport:` location, or a path to an archive or layout.
pub fn open_image(name: &str, platform: Option<&str>) -> Result<(Arc<dyn Source>, Image)> {
    let o = open_any(name, platform)?;
    Ok((o.source, o.image))
}

/// Opens what the user named, from a file location or else from the local store.
pub fn open_any(name: &str, platform: Option<&str>) -> Result<Opened> {
    if let Some(rest) = name.strip_prefix("docker://") {
        let reference = Reference::parse(rest)?;
        let client = client(reference.domain())?;
        let registry = Arc::new(strata_registry::source::RegistrySource::new(
            client,
            reference.clone(),
        ));
        let source: Arc<dyn Source> = registry.clone();
        let platform = platform.map(Platform::parse).transpose()?;
        let image = Image::open(source.clone(), &Selector::Default, platform.as_ref())
            .with_context(|| format!("reading {name}"))?;
        // What the store would record after pulling it: the registry's digest.
        let top = strata_registry::source::top_digest(&registry)?;
        return Ok(Opened {
            source,
            image,
            repo_digests: vec![format!("{}@{top}", reference.name())],
            last_tag_time: None,
        });
    }
    if Location::parse(name).is_none() && !Path::new(name).exists() {
        let store = store(false)?;
        let refs = store.refs()?;
        let id = strata_store::resolve(&refs, name).map_err(|e| Lookup {
            name: name.to_string(),
            error: e.to_string(),
        })?;
        let record = refs.images.get(&id).cloned().unwrap_or_default();
        let source: Arc<dyn Source> = Arc::new(store);
        let image = Image::open(source.clone(), &Selector::Name(id), None)?;
        return Ok(Opened {
            source,
            image,
            repo_digests: record.digests,
            last_tag_time: record.last_tag_time,
        });
    }
    let (source, image) = open_file(name, platform)?;
    Ok(Opened {
        source,
        image,
        repo_digests: Vec::new(),
        last_tag_time: None,
    })
}

fn open_file(name: &str, platform: Option<&str>) -> Result<(Arc<dyn Source>, Image)> {
    let platform = platform.map(Platform::parse).transpose()?;
    let location = match Location::parse(name) {
        Some(l) => l,
        None => {
            let p = Path::new(name);
            if p.is_dir() {
                Location::Oci(p.to_path_buf(), Selector::Default)
            } else if p.is_file() {
                Location::DockerArchive(p.to_path_buf(), Selector::Default)
            } else {
                anyhow::bail!("No such image: {name}");
            }
        }
    };
    let (source, selector) = location.open()?;
    let image = Image::open(source.clone(), &selector, platform.as_ref())
        .with_context(|| format!("reading {name}"))?;
    Ok((source, image))
}

/// Says on stderr when sizes came from a registry manifest rather than Docker's rule.
pub fn note_estimated(report: &strata_core::report::ImageReport) {
    if report.sizes_estimated {
        crate::output::error_line(&format!(
            "note: {}: layer sizes are the compressed sizes from the manifest; pull the image for Docker's sizes",
            report.image.source().describe()
        ));
    }
}

/// The local UTC offset (seconds) at a Unix time, from `TZ` or the system zone.
pub fn local_offset(unix: i64) -> i32 {
    // Looking the zone up scans the tz database: do it once, and only when a time is shown
    // in local time.
    static TZ: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();
    let tz = TZ.get_or_init(jiff::tz::TimeZone::system);
    match jiff::Timestamp::from_second(unix) {
        Ok(ts) => tz.to_offset(ts).seconds(),
        Err(_) => 0,
    }
}

/// Now, in Unix nanoseconds. `STRATA_NOW` (Unix seconds, fractions allowed) fixes it, so
/// relative times ("5 minutes ago") can be reproduced against a recording.
pub fn now_nanos() -> i128 {
    if let Some(fixed) = std::env::var("STRATA_NOW")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        return (fixed * 1e9) as i128;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}
