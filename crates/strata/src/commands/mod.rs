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

pub use strata_ops::Context;

/// A registry client for a reference's domain, with the user's credentials.
pub fn client(ctx: &Context, domain: &str) -> Result<Arc<strata_registry::client::Client>> {
    Ok(ctx.client(domain)?)
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
pub fn store(ctx: &Context, write: bool) -> Result<strata_store::Store> {
    ctx.store(write)
        .with_context(|| format!("opening the store at {}", ctx.root.display()))
}

pub use strata_ops::Opened;

use std::sync::Arc;

use anyhow::{Context as _, Result};
use strata_core::image::Image;
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
pub fn open_image(
    ctx: &Context,
    name: &str,
    platform: Option<&str>,
) -> Result<(Arc<dyn Source>, Image)> {
    let o = open_any(ctx, name, platform)?;
    Ok((o.source, o.image))
}

/// Opens what the user named (see `strata_ops::open`), with the CLI's error wording.
pub fn open_any(ctx: &Context, name: &str, platform: Option<&str>) -> Result<Opened> {
    strata_ops::open(ctx, name, platform).map_err(open_error)
}

/// An operation's failure, in the CLI's words.
pub fn ops_error(e: strata_ops::Error) -> anyhow::Error {
    match e {
        strata_ops::Error::Open(e) => open_error(e),
        strata_ops::Error::Core(e) => e.into(),
        e => e.into(),
    }
}

/// An operation's failure to open an image, in the CLI's words.
pub fn open_error(e: strata_ops::OpenError) -> anyhow::Error {
    use strata_ops::OpenError;
    match e {
        OpenError::Lookup { name, error } => Lookup { name, error }.into(),
        OpenError::Read { name, source } => {
            anyhow::Error::new(source).context(format!("reading {name}"))
        }
        OpenError::NoSuchImage(name) => anyhow::anyhow!("No such image: {name}"),
        OpenError::Registry(e) => e.into(),
        OpenError::Core(e) => e.into(),
    }
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
