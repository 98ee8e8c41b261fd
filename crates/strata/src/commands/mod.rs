//! One module per verb: parse options, call the library, render.

pub mod history;
pub mod inspect;
pub mod layers;

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use strata_core::image::{Image, Selector};
use strata_core::location::Location;
use strata_core::manifest::Platform;
use strata_core::reference::Reference;
use strata_core::source::Source;

/// Opens what the user named: a `transport:` location, or a path to an archive or layout.
pub fn open_image(name: &str, platform: Option<&str>) -> Result<(Arc<dyn Source>, Image)> {
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
                // Docker's own wording for names it cannot find; reject bad references first.
                Reference::parse(name)?;
                return Err(anyhow::Error::new(crate::output::Exit {
                    code: 1,
                    message: format!(
                        "Error: No such image: {name} (strata reads docker-archive:PATH, oci:DIR and oci-archive:PATH)"
                    ),
                }));
            }
        }
    };
    let (source, selector) = location.open()?;
    let image = Image::open(source.clone(), &selector, platform.as_ref())
        .with_context(|| format!("reading {name}"))?;
    Ok((source, image))
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

/// Now, in Unix nanoseconds.
pub fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}
