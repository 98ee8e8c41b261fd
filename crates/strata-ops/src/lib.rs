//! strata's operations layer: the decisions every verb shares, above the transports. Today:
//! what a user's image name means ([`open`]): a `transport:` location, a path to an archive or
//! layout, `docker://` (a registry), or else a name in the local store; and the context
//! ([`Context`]) the verbs run in.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_core::compare::DiffReport;
use strata_core::image::{Image, Selector};
use strata_core::location::Location;
use strata_core::manifest::Platform;
use strata_core::progress::Reporter;
use strata_core::reference::Reference;
use strata_core::source::Source;
use strata_registry::RegistryError;
use strata_registry::client::{Client, Options};
use strata_store::Store;

/// What the verbs run with: where the store is, how registries are reached, where progress
/// goes.
#[derive(Clone)]
pub struct Context {
    /// The store's directory.
    pub root: PathBuf,
    /// Registry options (credentials directory, insecure hosts, retries, timeouts).
    pub registry: Options,
    /// Receives the progress of every layer read of the images [`open`] opens.
    pub reporter: Arc<dyn Reporter>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("root", &self.root)
            .field("registry", &self.registry)
            .finish_non_exhaustive()
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
            ctx.reporter.clone(),
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
            ctx.reporter.clone(),
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
    let (source, selector) = location.open()?;
    let image = Image::open_with(
        source.clone(),
        &selector,
        platform.as_ref(),
        ctx.reporter.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(root: &Path) -> Context {
        Context {
            root: root.to_path_buf(),
            registry: Options::default(),
            reporter: strata_core::progress::silent(),
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
        let ctx = Context {
            reporter: Arc::new(move |e: &Event<'_>| {
                if let (Event::LayerStart { what, .. } | Event::LayerEnd { what }, Ok(mut l)) =
                    (e, log.lock())
                {
                    l.push(what.to_string());
                }
            }),
            ..ctx(dir.path())
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

    #[test]
    fn a_missing_location_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(&ctx(dir.path()), "docker-archive:/nonexistent/x.tar", None)
            .err()
            .expect("error");
        assert!(e.to_string().contains("/nonexistent/x.tar"), "{e}");
    }
}
