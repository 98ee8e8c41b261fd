//! `strata tag`: `docker tag`.

use std::process::ExitCode;

use anyhow::Result;
use strata_core::reference::{self, Reference};

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

/// Runs `tag`: the CLI's checks (source, then target, with distribution/reference v0.6.0),
/// then the daemon's (source lookup, then the target by the daemon's own rules).
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    let fail = |message: String| Exit { code: 1, message };
    let not_valid = |name: &str, e: strata_core::Error| {
        fail(format!(
            "Error parsing reference: {} is not a valid repository/tag: {e}",
            strata_core::gojson::quote(name)
        ))
    };
    reference::parse_any(&args.source).map_err(|e| not_valid(&args.source, e))?;
    let target = Reference::parse(&args.target).map_err(|e| not_valid(&args.target, e))?;
    if target.digest_str().is_some() {
        return Err(fail("refusing to create a tag with a digest reference".into()).into());
    }
    let store = super::store(ctx, true)?;
    let mut refs = store.refs()?;
    let id = strata_store::resolve(&refs, &args.source)
        .map_err(|e| fail(format!("Error response from daemon: {e}")))?;
    let target = match reference::parse_any_daemon(&args.target) {
        Ok(reference::AnyReference::Named(r)) => r,
        Ok(reference::AnyReference::Digest(_)) => target,
        Err(e) => return Err(fail(format!("Error response from daemon: {e}")).into()),
    };
    if target.familiar_name() == "sha256" {
        return Err(fail(
            "Error response from daemon: refusing to create an ambiguous tag using digest algorithm as name"
                .into(),
        )
        .into());
    }
    let full = target.with_default_tag().to_string();
    refs.untag(&full);
    if let Some(rec) = refs.images.get_mut(&id) {
        rec.tags.push(full);
        rec.last_tag_time = Some(now_rfc3339());
    }
    store.write_refs(&refs)?;
    Ok(ExitCode::SUCCESS)
}
