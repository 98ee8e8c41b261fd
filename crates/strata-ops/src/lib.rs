//! strata's operations layer: the decisions every verb shares, above the transports. Today:
//! what a user's image name means ([`open`]): a `transport:` location, a path to an archive or
//! layout, `docker://` (a registry), or else a name in the local store; and the context
//! ([`Context`]) the verbs run in.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_core::ci_rules::EfficiencyReport;
use strata_core::compare::DiffReport;
use strata_core::image::{Image, Selector};
use strata_core::location::Location;
use strata_core::manifest::Platform;
use strata_core::reference::Reference;
use strata_core::report::{Base, ImageReport, LayersReport, find_base};
use strata_core::settings::Settings;
use strata_core::source::Source;
use strata_registry::RegistryError;
use strata_registry::client::{Client, Options};
use strata_store::Store;

/// What the verbs run with: where the store is, how registries are reached, and the
/// library's settings (layer ceiling, facts cache, where progress goes).
#[derive(Clone)]
pub struct Context {
    /// The store's directory.
    pub root: PathBuf,
    /// Registry options (credentials directory, insecure hosts, retries, timeouts).
    pub registry: Options,
    /// The settings every image [`open`] opens, and every copy, runs with.
    pub settings: Settings,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("root", &self.root)
            .field("registry", &self.registry)
            .field("settings", &self.settings)
            .finish()
    }
}

impl Context {
    /// Opens the store (shared lock for readers, exclusive for writers).
    pub fn store(&self, write: bool) -> strata_core::Result<Store> {
        Store::open(&self.root, write)
    }

    /// A registry client for a domain, with the user's credentials.
    pub fn client(&self, domain: &str) -> Result<Arc<Client>, RegistryError> {
        Client::new(domain, self.registry.clone())
    }
}

/// Why a name could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A store name that does not resolve: the daemon's error (`invalid reference format`,
    /// `No such image: x:latest`).
    #[error("{error}")]
    Lookup {
        /// The name as typed.
        name: String,
        /// The daemon's message.
        error: String,
    },
    /// Neither a location, nor a file, nor a store name.
    #[error("No such image: {0}")]
    NoSuchImage(String),
    /// The image was found but could not be read.
    #[error("reading {name}: {source}")]
    Read {
        /// The name as typed.
        name: String,
        /// Why.
        source: RegistryError,
    },
    /// The store or a registry failed before the image was found.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The image model refused the input.
    #[error(transparent)]
    Core(#[from] strata_core::Error),
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

fn read(name: &str) -> impl FnOnce(strata_core::Error) -> OpenError + '_ {
    move |e| OpenError::Read {
        name: name.to_string(),
        source: RegistryError::Core(e),
    }
}

/// Opens what the user named: `docker://` from its registry; a `transport:` location or an
/// existing path from the file; anything else from the store (resolved as the daemon does).
pub fn open(ctx: &Context, name: &str, platform: Option<&str>) -> Result<Opened, OpenError> {
    let platform = platform.map(Platform::parse).transpose()?;
    if let Some(rest) = name.strip_prefix("docker://") {
        let reference = Reference::parse(rest)?;
        let client = ctx.client(reference.domain())?;
        let registry = Arc::new(strata_registry::source::RegistrySource::new(
            client,
            reference.clone(),
        ));
        let source: Arc<dyn Source> = registry.clone();
        let image = Image::open_with(
            source.clone(),
            &Selector::Default,
            platform.as_ref(),
            ctx.settings.clone(),
        )
        .map_err(read(name))?;
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
        let store = ctx.store(false)?;
        let refs = store.refs()?;
        let id = strata_store::resolve(&refs, name).map_err(|e| OpenError::Lookup {
            name: name.to_string(),
            error: e.to_string(),
        })?;
        let record = refs.images.get(&id).cloned().unwrap_or_default();
        let source: Arc<dyn Source> = Arc::new(store);
        let image = Image::open_with(
            source.clone(),
            &Selector::Name(id),
            None,
            ctx.settings.clone(),
        )?;
        return Ok(Opened {
            source,
            image,
            repo_digests: record.digests,
            last_tag_time: record.last_tag_time,
        });
    }
    let location = match Location::parse(name) {
        Some(l) => l,
        None => {
            let p = Path::new(name);
            if p.is_dir() {
                Location::Oci(p.to_path_buf(), Selector::Default)
            } else if p.is_file() {
                Location::DockerArchive(p.to_path_buf(), Selector::Default)
            } else {
                return Err(OpenError::NoSuchImage(name.to_string()));
            }
        }
    };
    let (source, selector) = location.open(&ctx.settings)?;
    let image = Image::open_with(
        source.clone(),
        &selector,
        platform.as_ref(),
        ctx.settings.clone(),
    )
    .map_err(read(name))?;
    Ok(Opened {
        source,
        image,
        repo_digests: Vec::new(),
        last_tag_time: None,
    })
}

/// `diff`: what the second image changes relative to the first; the shared layers are named
/// after one of the two or, failing that, a store image that is exactly them.
pub fn diff(
    ctx: &Context,
    names: [&str; 2],
    platform: Option<&str>,
) -> Result<DiffReport, OpenError> {
    let a = open(ctx, names[0], platform)?.image;
    let b = open(ctx, names[1], platform)?.image;
    let known = ctx
        .store(false)
        .ok()
        .map(|s| Arc::new(s) as Arc<dyn Source>);
    Ok(DiffReport::build(names.map(str::to_string), &a, &b, known)?)
}

/// An image and the base image found for it (the nearest image of its source, or of the
/// store, whose layers it starts with).
pub fn open_with_base(
    ctx: &Context,
    name: &str,
    platform: Option<&str>,
) -> Result<(Opened, Option<Base>), OpenError> {
    let opened = open(ctx, name, platform)?;
    let platform = platform.map(Platform::parse).transpose()?;
    let base = find_base(opened.source.clone(), &opened.image, platform.as_ref());
    Ok((opened, base))
}

/// `layers`: the image's build steps paired with its layers, and where its base ends.
pub fn layers(
    ctx: &Context,
    name: &str,
    platform: Option<&str>,
) -> Result<LayersReport, OpenError> {
    let (opened, base) = open_with_base(ctx, name, platform)?;
    let report = ImageReport::build(opened.image)?;
    Ok(LayersReport::new(report, base))
}

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An image could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// A file the operation was pointed at could not be read.
    #[error("reading {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The image model (or a rule) refused.
    #[error(transparent)]
    Core(#[from] strata_core::Error),
}

/// The CI rules `efficiency` was asked to evaluate.
#[derive(Debug, Clone, Default)]
pub struct CiOptions {
    /// `--ci`: evaluate them.
    pub enabled: bool,
    /// `--ci-config`: the rules file (which also turns CI on).
    pub file: Option<PathBuf>,
    /// `--lowest-efficiency`.
    pub lowest_efficiency: Option<String>,
    /// `--highest-wasted-bytes`.
    pub highest_wasted_bytes: Option<String>,
    /// `--highest-user-wasted-percent`.
    pub highest_user_wasted_percent: Option<String>,
}

/// The rules file read when none is named, if it exists.
pub const DEFAULT_CI_FILE: &str = ".strata-ci.yaml";

/// `efficiency`: dive's wasted-space analysis of an image, and dive's CI rules when asked
/// (flags win over the rules file, the file over dive's defaults).
pub fn efficiency(
    ctx: &Context,
    name: &str,
    platform: Option<&str>,
    ci: &CiOptions,
) -> Result<EfficiencyReport, Error> {
    use strata_core::ci_rules::{Rules, evaluate};
    let image = open(ctx, name, platform)?.image;
    let mut analysis = strata_core::efficiency::Analyzer::new();
    image.each_index(|_, ix| {
        analysis.add_layer(ix);
        Ok(())
    })?;
    let efficiency = analysis.finish();
    let mut rules = Rules::default();
    let file = ci
        .file
        .clone()
        .or_else(|| Some(PathBuf::from(DEFAULT_CI_FILE)).filter(|p| p.exists()));
    if let Some(p) = &file {
        let text = std::fs::read_to_string(p).map_err(|source| Error::Read {
            path: p.clone(),
            source,
        })?;
        rules.apply_file(&p.display().to_string(), &text)?;
    }
    let set = |slot: &mut String, v: &Option<String>| {
        if let Some(v) = v {
            slot.clone_from(v);
        }
    };
    set(&mut rules.lowest_efficiency, &ci.lowest_efficiency);
    set(&mut rules.highest_wasted_bytes, &ci.highest_wasted_bytes);
    set(
        &mut rules.highest_user_wasted_percent,
        &ci.highest_user_wasted_percent,
    );
    let rules = if ci.enabled || ci.file.is_some() {
        Some(evaluate(&efficiency, &rules)?)
    } else {
        None
    };
    let history = image.history().unwrap_or_default();
    let steps = strata_core::config::layer_history(&history, image.layers.len());
    let layers = image
        .layers
        .iter()
        .zip(steps)
        .map(|(l, h)| {
            (
                l.diff_id.clone(),
                h.map(|h| h.created_by.clone()).unwrap_or_default(),
            )
        })
        .collect();
    Ok(EfficiencyReport {
        layers,
        efficiency,
        rules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(root: &Path) -> Context {
        Context {
            root: root.to_path_buf(),
            registry: Options::default(),
            settings: Settings::default(),
        }
    }

    #[test]
    fn an_unknown_store_name_is_the_daemons_lookup_error() {
        let dir = tempfile::tempdir().unwrap();
        match open(&ctx(dir.path()), "nosuch:1", None) {
            Err(OpenError::Lookup { name, error }) => {
                assert_eq!(name, "nosuch:1");
                assert_eq!(error, "No such image: nosuch:1");
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("opened"),
        }
        match open(&ctx(dir.path()), "UPPER", None) {
            Err(OpenError::Lookup { error, .. }) => {
                assert!(error.starts_with("invalid reference format"), "{error}")
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("opened"),
        }
    }

    #[test]
    fn layer_reads_report_to_the_contexts_reporter() {
        use std::sync::Mutex;
        use strata_core::progress::Event;
        let dir = tempfile::tempdir().unwrap();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = seen.clone();
        let plain = ctx(dir.path());
        let ctx = Context {
            settings: plain.settings.with_reporter(Arc::new(move |e: &Event<'_>| {
                if let (Event::LayerStart { what, .. } | Event::LayerEnd { what }, Ok(mut l)) =
                    (e, log.lock())
                {
                    l.push(what.to_string());
                }
            })),
            ..plain.clone()
        };
        let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/sample.tar");
        let opened = open(&ctx, &format!("docker-archive:{sample}"), None).unwrap();
        assert!(seen.lock().unwrap().is_empty(), "opening reads no layer");
        let layers = opened.image.layers.len();
        assert!(layers > 0);
        opened.image.layer_stats().unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen.len(),
            2 * layers,
            "a start and an end per layer: {seen:?}"
        );
    }

    fn sample() -> String {
        format!(
            "docker-archive:{}/../../examples/sample.tar",
            env!("CARGO_MANIFEST_DIR")
        )
    }

    #[test]
    fn efficiency_flags_win_over_the_rules_file_which_wins_over_dives_defaults() {
        use strata_core::ci_rules::Status;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ci.yaml");
        std::fs::write(
            &file,
            "rules:\n  highestUserWastedPercent: disabled\n  highestWastedBytes: 1B\n",
        )
        .unwrap();
        let ci = CiOptions {
            file: Some(file),
            highest_user_wasted_percent: Some("0.5".into()),
            ..CiOptions::default()
        };
        let r = efficiency(&ctx(dir.path()), &sample(), None, &ci).unwrap();
        let status = |key| {
            r.rules
                .as_ref()
                .unwrap()
                .iter()
                .find(|x| x.key == key)
                .map(|x| x.status)
        };
        // The file disables one rule and enables another (dive's default disables it).
        assert_eq!(
            status("highestUserWastedPercent"),
            Some(Status::Pass),
            "the flag"
        );
        assert_eq!(status("highestWastedBytes"), Some(Status::Pass), "the file");
        assert_eq!(
            status("lowestEfficiency"),
            Some(Status::Pass),
            "dive's default"
        );
        assert!(!r.failed());
        assert_eq!(r.layers.len(), r.efficiency.layer_sizes.len());
        let plain = efficiency(&ctx(dir.path()), &sample(), None, &CiOptions::default()).unwrap();
        assert!(
            plain.rules.is_none() && !plain.failed(),
            "no CI unless asked"
        );
    }

    #[test]
    fn a_missing_rules_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let ci = CiOptions {
            file: Some(dir.path().join("nope.yaml")),
            ..CiOptions::default()
        };
        let e = efficiency(&ctx(dir.path()), &sample(), None, &ci).unwrap_err();
        assert!(matches!(e, Error::Read { .. }), "{e}");
        assert!(e.to_string().ends_with("nope.yaml"), "{e}");
    }

    #[test]
    fn a_missing_location_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(&ctx(dir.path()), "docker-archive:/nonexistent/x.tar", None)
            .err()
            .expect("error");
        assert!(e.to_string().contains("/nonexistent/x.tar"), "{e}");
    }
}
