//! One conformance suite for every transport: each Source (docker-archive, OCI layout, OCI
//! archive, the store itself, a registry) is copied by the copy engine into a Sink (the store,
//! a registry, the archives `save` writes), and must give the same image, refuse a damaged
//! blob without changing the sink, and let an interrupted copy resume. The registry is the
//! real `docker-registry` on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use strata_core::archive::DockerArchive;
use strata_core::copy::{self, Sink};
use strata_core::digest::Digest;
use strata_core::files::Member;
use strata_core::image::{Image, Selector};
use strata_core::layout::OciLayout;
use strata_core::settings::Settings;
use strata_core::source::{Candidate, Locator, Source};
use strata_store::Store;
use strata_testkit::build::{
    Built, built, docker_archive_files, layout_files, write_dir, write_tar,
};
use strata_testkit::registry::{Registry, require};

/// Every file transport holding the image (damaged or not), plus the store when `store_from`
/// is given: (name, source).
fn sources(dir: &Path, b: &Built, damage: bool) -> Vec<(&'static str, Arc<dyn Source>)> {
    let oci = dir.join("oci");
    write_dir(&oci, &layout_files(b, damage));
    let oci_tar = dir.join("oci.tar");
    write_tar(&oci_tar, &layout_files(b, damage));
    let docker_tar = dir.join("docker.tar");
    write_tar(&docker_tar, &docker_archive_files(b, damage));
    vec![
        ("oci", Arc::new(OciLayout::open_dir(&oci).unwrap())),
        (
            "oci-archive",
            Arc::new(OciLayout::open_archive(&oci_tar, &Settings::default()).unwrap()),
        ),
        (
            "docker-archive",
            Arc::new(DockerArchive::open(&docker_tar, &Settings::default()).unwrap()),
        ),
    ]
}

/// What a store holds, to see that a refused copy changed nothing.
fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(d: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(d).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            // Lock files are not content: the store's and each blob's lock stay.
            let lock = p.extension().is_some_and(|x| x == "lock") || p.ends_with("lock");
            if p.is_dir() {
                walk(&p, out);
            } else if !lock {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out
}

fn load_all(store: &Store, source: Arc<dyn Source>) -> strata_core::Result<Vec<String>> {
    let report = strata_store::load::load(store, source, &Settings::default())?;
    Ok(report.images.into_iter().map(|i| i.id).collect())
}

#[test]
fn every_source_round_trips_through_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let b = built();
    let want_id = Digest::sha256_of(&b.config).to_string();
    for (name, src) in sources(tmp.path(), &b, false) {
        let root = tmp.path().join(format!("store-{name}"));
        let store = Arc::new(Store::open(&root, true).unwrap());
        assert_eq!(
            load_all(&store, src).unwrap(),
            vec![want_id.clone()],
            "{name}"
        );
        for l in &b.layers {
            let d = Digest::sha256_of(l);
            assert!(store.has_blob(&d), "{name}: layer {d} not stored");
            let facts = store.blob_facts(&d).expect("facts recorded");
            assert_eq!(facts.diff_id, d, "{name}");
        }
        // The store is a Source too: copied into a second store, the image is the same.
        let root2 = tmp.path().join(format!("store2-{name}"));
        let store2 = Store::open(&root2, true).unwrap();
        assert_eq!(
            load_all(&store2, store.clone()).unwrap(),
            vec![want_id.clone()],
            "{name} via the store"
        );
        // A second copy finds everything there and reads nothing.
        let image = Image::open(store.clone(), &Selector::Default, None).unwrap();
        let events = std::sync::Mutex::new(Vec::new());
        let copied = copy::copy_layers(
            &image,
            &store2,
            &copy::Options {
                concurrency: 3,
                resumable: true,
                once_per_blob: true,
            },
            &|l| image.layer_what(l),
            &|e| events.lock().unwrap().push(e.status.docker_text()),
        )
        .unwrap();
        assert_eq!(copied.fetched, 0, "{name}");
        assert_eq!(
            *events.lock().unwrap(),
            vec!["Already exists", "Already exists"]
        );
    }
}

#[test]
fn a_damaged_blob_is_refused_by_every_source_and_the_sink_is_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let b = built();
    let bad = Digest::sha256_of(&b.layers[1]);
    for (name, src) in sources(tmp.path(), &b, true) {
        let root = tmp.path().join(format!("store-{name}"));
        let store = Store::open(&root, true).unwrap();
        let before = snapshot(&root);
        let err = load_all(&store, src).unwrap_err().to_string();
        // Named by digest (content-addressed sources) or by member (docker-archive).
        assert!(
            err.contains(bad.hex()) && !err.contains('\n'),
            "{name}: {err}"
        );
        assert!(!store.has_blob(&bad), "{name}");
        // The good first layer may have been stored (as docker load keeps it), with its
        // facts; nothing else.
        let good = Digest::sha256_of(&b.layers[0]);
        let kept = store.has_blob(&good);
        let after: Vec<_> = snapshot(&root)
            .into_iter()
            .filter(|(p, _)| {
                let p = p.to_string_lossy();
                !(kept && (p.contains(good.hex()) || p.contains("meta/layer-facts/")))
            })
            .collect();
        let after_names: Vec<_> = after.iter().map(|(p, _)| p.clone()).collect();
        let before_names: Vec<_> = before.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(after_names, before_names, "{name}: the store changed");
    }
}

/// A source whose layer reads fail halfway once (a dropped connection).
struct Flaky {
    inner: Arc<dyn Source>,
    failed: AtomicBool,
}

struct FailHalfway<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for FailHalfway<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset",
            ));
        }
        let max = buf.len().min(self.left as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

impl<R: io::Seek> io::Seek for FailHalfway<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl Source for Flaky {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn open_from(
        &self,
        locator: &Locator,
        offset: u64,
        size: Option<u64>,
    ) -> strata_core::Result<Member> {
        let m = self.inner.open_from(locator, offset, size)?;
        let n = size.unwrap_or(m.size);
        if offset == 0 && n > 100_000 && !self.failed.swap(true, Ordering::SeqCst) {
            return Ok(Member {
                reader: Box::new(FailHalfway {
                    left: n / 2,
                    inner: m.reader,
                }),
                size: m.size,
                identity: None,
            });
        }
        Ok(m)
    }
    fn candidates(&self) -> strata_core::Result<Vec<Candidate>> {
        self.inner.candidates()
    }
    fn open(&self, locator: &Locator) -> strata_core::Result<Member> {
        self.open_from(locator, 0, None)
    }
    fn open_descriptor(
        &self,
        desc: &strata_core::manifest::Descriptor,
    ) -> strata_core::Result<Member> {
        self.inner.open_descriptor(desc)
    }
    fn is_remote(&self) -> bool {
        self.inner.is_remote()
    }
}

#[test]
fn an_interrupted_copy_resumes_where_it_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let b = built();
    for (name, src) in sources(tmp.path(), &b, false) {
        if name == "docker-archive" {
            // Its layers have no digest to resume by.
            continue;
        }
        let flaky: Arc<dyn Source> = Arc::new(Flaky {
            inner: src,
            failed: AtomicBool::new(false),
        });
        let root = tmp.path().join(format!("store-{name}"));
        let store = Store::open(&root, true).unwrap();
        let image = Image::open(flaky.clone(), &Selector::Default, None).unwrap();
        let opts = copy::Options {
            concurrency: 1,
            resumable: true,
            once_per_blob: true,
        };
        let what = |l: &strata_core::image::ImageLayer| image.layer_what(l);
        let err = copy::copy_layers(&image, &store, &opts, &what, &|_| {}).unwrap_err();
        assert!(
            err.to_string().contains("connection reset"),
            "{name}: {err}"
        );
        let partials = std::fs::read_dir(root.join("ingest"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .count();
        assert_eq!(partials, 1, "{name}: the interrupted blob is kept");
        let copied = copy::copy_layers(&image, &store, &opts, &what, &|_| {}).unwrap();
        let total: u64 = b.layers.iter().map(|l| l.len() as u64).sum();
        assert!(
            copied.fetched < total,
            "{name}: fetched {} of {total}: nothing was resumed",
            copied.fetched
        );
        for l in &b.layers {
            assert!(store.has_blob(&Digest::sha256_of(l)), "{name}");
        }
        assert!(
            Sink::has_blob(&store, &Digest::sha256_of(&b.layers[1])),
            "{name}"
        );
    }
}

/// The archives `save` writes are Sinks too: what the store holds round-trips through each,
/// and a blob damaged in the store never reaches a pipe.
#[test]
fn saved_archives_round_trip_and_never_carry_a_damaged_layer() {
    let tmp = tempfile::tempdir().unwrap();
    let b = built();
    let want_id = Digest::sha256_of(&b.config).to_string();
    let (_, src) = sources(tmp.path(), &b, false).remove(0);
    let root = tmp.path().join("store");
    let store = Arc::new(Store::open(&root, true).unwrap());
    load_all(&store, src).unwrap();
    let images = vec![(
        want_id.clone(),
        vec!["docker.io/library/conformance:1".to_string()],
    )];
    for (format, spool) in [
        ("docker", false),
        ("docker", true),
        ("oci", false),
        ("oci", true),
    ] {
        let mut out: Vec<u8> = Vec::new();
        match format {
            "docker" => strata_store::save::save_docker_archive(
                store.clone(),
                &images,
                &mut out,
                spool,
                &Settings::default(),
            ),
            _ => strata_store::save::save_oci_archive(
                store.clone(),
                &images,
                &mut out,
                spool,
                &Settings::default(),
            ),
        }
        .unwrap();
        let path = tmp.path().join(format!("saved-{format}-{spool}.tar"));
        std::fs::write(&path, &out).unwrap();
        let source: Arc<dyn Source> = match format {
            "docker" => Arc::new(DockerArchive::open(&path, &Settings::default()).unwrap()),
            _ => Arc::new(OciLayout::open_archive(&path, &Settings::default()).unwrap()),
        };
        let again = Store::open(&tmp.path().join(format!("again-{format}-{spool}")), true).unwrap();
        assert_eq!(
            load_all(&again, source).unwrap(),
            vec![want_id.clone()],
            "{format}"
        );
    }
    // Damage the second layer in the store: a pipe gets none of its bytes, and an error.
    let bad = Digest::sha256_of(&b.layers[1]);
    let p = root.join(bad.blob_path());
    let mut bytes = std::fs::read(&p).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&p, &bytes).unwrap();
    for format in ["docker", "oci"] {
        let mut out: Vec<u8> = Vec::new();
        let err = match format {
            "docker" => strata_store::save::save_docker_archive(
                store.clone(),
                &images,
                &mut out,
                true,
                &Settings::default(),
            ),
            _ => strata_store::save::save_oci_archive(
                store.clone(),
                &images,
                &mut out,
                true,
                &Settings::default(),
            ),
        }
        .unwrap_err()
        .to_string();
        assert!(err.contains(bad.hex()), "{format}: {err}");
        // The layer's first header names its only file.
        let needle = b"app/data.bin";
        assert!(
            !out.windows(needle.len()).any(|w| w == needle),
            "{format}: the damaged layer's bytes reached the pipe"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The registry: the real docker-registry on a free 127.0.0.1 port.

/// The registry, or `None` off CI when docker-registry is not installed.
fn registry() -> Option<Registry> {
    require("docker-registry").then(|| Registry::start(None))
}

fn client(reg: &Registry) -> Arc<strata_registry::client::Client> {
    strata_registry::client::Client::new(&reg.host, strata_registry::client::Options::default())
        .unwrap()
}

/// A store holding the built image under `name`.
fn store_with(dir: &Path, b: &Built, name: &str) -> Arc<Store> {
    let (_, src) = sources(dir, b, false).remove(0);
    let store = Arc::new(Store::open(&dir.join("store-a"), true).unwrap());
    load_all(&store, src).unwrap();
    let mut refs = store.refs().unwrap();
    let id = Digest::sha256_of(&b.config).to_string();
    refs.images
        .get_mut(&id)
        .unwrap()
        .tags
        .push(name.to_string());
    store.write_refs(&refs).unwrap();
    store
}

/// Pushes the built image, held in a store under `repo:1` of the registry, with the copy
/// engine: (its reference, the store, what the push did).
fn push_built(
    reg: &Registry,
    dir: &Path,
    b: &Built,
    repo: &str,
) -> (
    strata_core::reference::Reference,
    Arc<Store>,
    strata_registry::push::Outcome,
) {
    let name = format!("{}/conformance/{repo}:1", reg.host);
    let reference = strata_core::reference::Reference::parse(&name).unwrap();
    let store = store_with(dir, b, &name);
    let out = push_again(reg, &store, &reference);
    (reference, store, out)
}

fn push_again(
    reg: &Registry,
    store: &Arc<Store>,
    reference: &strata_core::reference::Reference,
) -> strata_registry::push::Outcome {
    strata_registry::push::push(
        store.clone(),
        client(reg),
        reference,
        &Settings::default(),
        &|_| {},
    )
    .unwrap()
}

#[test]
fn the_registry_round_trips_as_sink_and_source() {
    let Some(reg) = registry() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let b = built();
    let want_id = Digest::sha256_of(&b.config).to_string();
    // Sink: push (the copy engine into the registry).
    let (reference, store, out) = push_built(&reg, tmp.path(), &b, "img");
    assert_eq!(out.uploaded, 2);
    // A second push finds every blob there (HEAD is proof) and uploads nothing.
    let again = push_again(&reg, &store, &reference);
    assert_eq!(again.uploaded, 0);
    // Source: pull (the copy engine from the registry) into a fresh store.
    let fresh = Store::open(&tmp.path().join("store-b"), true).unwrap();
    let pulled = strata_registry::pull::pull(
        &fresh,
        client(&reg),
        &reference,
        &strata_registry::pull::Options::default(),
        &|_| {},
    )
    .unwrap();
    assert_eq!(pulled.id, want_id);
    for l in &b.layers {
        assert!(fresh.has_blob(&Digest::sha256_of(l)));
    }
}

#[test]
fn a_damaged_registry_blob_is_refused_and_the_store_is_unchanged() {
    let Some(reg) = registry() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let b = built();
    let (reference, _, _) = push_built(&reg, tmp.path(), &b, "bad");
    // Damage the layer in the registry's own storage: it now serves wrong bytes.
    let bad = Digest::sha256_of(&b.layers[1]);
    let data = reg
        .dir
        .path()
        .join("data/docker/registry/v2/blobs/sha256")
        .join(&bad.hex()[..2])
        .join(bad.hex())
        .join("data");
    let mut bytes = std::fs::read(&data).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&data, &bytes).unwrap();
    let root = tmp.path().join("store-c");
    let fresh = Store::open(&root, true).unwrap();
    let before = snapshot(&root);
    let err = strata_registry::pull::pull(
        &fresh,
        client(&reg),
        &reference,
        &strata_registry::pull::Options::default(),
        &|_| {},
    )
    .expect_err("pulled a damaged blob")
    .to_string();
    assert!(err.contains(bad.hex()) && !err.contains('\n'), "{err}");
    assert!(!fresh.has_blob(&bad));
    assert!(
        fresh.refs().unwrap().images.is_empty(),
        "a name was recorded"
    );
    // Only the good layer (and its facts) may have arrived.
    let good = Digest::sha256_of(&b.layers[0]);
    let after: Vec<_> = snapshot(&root)
        .into_iter()
        .filter(|(p, _)| {
            let p = p.to_string_lossy();
            !(p.contains(good.hex()) || p.contains("meta/layer-facts/"))
        })
        .map(|(p, _)| p)
        .collect();
    let before: Vec<_> = before.into_iter().map(|(p, _)| p).collect();
    assert_eq!(after, before);
}

#[test]
fn an_interrupted_copy_from_the_registry_resumes_with_a_range_request() {
    let Some(reg) = registry() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let b = built();
    let (reference, _, _) = push_built(&reg, tmp.path(), &b, "resume");
    let source: Arc<dyn Source> = Arc::new(strata_registry::source::RegistrySource::new(
        client(&reg),
        reference,
    ));
    let flaky: Arc<dyn Source> = Arc::new(Flaky {
        inner: source,
        failed: AtomicBool::new(false),
    });
    let root = tmp.path().join("store-d");
    let fresh = Store::open(&root, true).unwrap();
    let image = Image::open(flaky, &Selector::Default, None).unwrap();
    let opts = copy::Options {
        concurrency: 1,
        resumable: true,
        once_per_blob: true,
    };
    let what = |l: &strata_core::image::ImageLayer| image.layer_what(l);
    assert!(copy::copy_layers(&image, &fresh, &opts, &what, &|_| {}).is_err());
    let copied = copy::copy_layers(&image, &fresh, &opts, &what, &|_| {}).unwrap();
    let total: u64 = b.layers.iter().map(|l| l.len() as u64).sum();
    assert!(
        copied.fetched < total,
        "fetched {} of {total}",
        copied.fetched
    );
    for l in &b.layers {
        assert!(fresh.has_blob(&Digest::sha256_of(l)));
    }
}
