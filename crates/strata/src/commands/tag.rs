//! `strata tag`: `docker tag`.

use std::process::ExitCode;

use anyhow::Result;
use strata_core::reference::Reference;

use crate::output::Exit;

/// Options of `tag`.
#[derive(clap::Args)]
pub struct Args {
    #[arg(help = "SOURCE_IMAGE[:TAG]", value_name = "SOURCE_IMAGE")]
    source: String,
    #[arg(help = "TARGET_IMAGE[:TAG]", value_name = "TARGET_IMAGE")]
    target: String,
}

/// RFC 3339 with nanoseconds in UTC, as Go prints `time.Now().UTC()`.
pub fn now_rfc3339() -> String {
    let n = super::now_nanos();
    let secs = (n / 1_000_000_000) as i64;
    let nanos = (n % 1_000_000_000) as u32;
    strata_render::time::format_rfc3339_nano(strata_render::time::GoTime {
        unix: secs,
        nanos,
        offset: 0,
    })
}

/// Runs `tag`.
pub fn run(args: Args) -> Result<ExitCode> {
    let target = Reference::parse(&args.target).map_err(|e| Exit {
        code: 1,
        message: format!(
            "Error parsing reference: {:?} is not a valid repository/tag: {e}",
            args.target
        ),
    })?;
    if target.digest().is_some() {
        return Err(Exit {
            code: 1,
            message: "Error response from daemon: refusing to create a tag with a digest reference"
                .into(),
        }
        .into());
    }
    let full = target.with_default_tag().to_string();
    let store = super::store(true)?;
    let mut refs = store.refs()?;
    let id = strata_store::resolve(&refs, &args.source).map_err(|e| Exit {
        code: 1,
        message: format!("Error response from daemon: {e}"),
    })?;
    refs.untag(&full);
    if let Some(rec) = refs.images.get_mut(&id) {
        rec.tags.push(full);
        rec.last_tag_time = Some(now_rfc3339());
    }
    store.write_refs(&refs)?;
    Ok(ExitCode::SUCCESS)
}
