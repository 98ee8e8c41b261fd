//! Writing images from the store as archives: the legacy `docker save` layout (what Docker
//! 20.10 writes and every `docker load` reads, with uncompressed `layer.tar`s whose SHA-256 is
//! the diff ID, so image IDs survive the round trip) or an OCI archive.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, Write};
use std::sync::Arc;

use strata_core::digest::Digest;
use strata_core::error::{Error, Result};
use strata_core::image::{Image, Selector};
use strata_core::layer::Compression;
use strata_core::reference::Reference;
use strata_core::settings::Settings;
use strata_core::source::Source;

use crate::Store;

fn tar_err(what: &str) -> impl FnOnce(io::Error) -> Error + '_ {
    move |e| Error::Read {
        what: what.to_string(),
        source: e,
    }
}

fn header(size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(0);
    h
}

fn add_bytes<W: Write>(b: &mut tar::Builder<W>, path: &str, data: &[u8]) -> Result<()> {
    let mut h = header(data.len() as u64, 0o644);
    b.append_data(&mut h, path, data).map_err(tar_err(path))
}

/// Where a layer goes in the archive being written.
#[derive(Clone)]
struct Entry {
    /// Member path (`<chain ID>/layer.tar`, or the OCI blob path).
    path: String,
    /// Its size when known before the copy (streamed straight into the archive).
    size: Option<u64>,
    /// Members written just before it (a docker-archive layer's `VERSION` and `json`).
    before: Vec<(String, Vec<u8>)>,
}

/// An archive being written as the copy engine's Sink: one image's layers, each verified by
/// the layer pass on its way in. Straight into the archive when its size is known and the
/// output can be discarded on failure; otherwise through a temporary file, so no byte of an
/// unverified layer reaches a pipe.
struct ArchiveSink<'a, 'w> {
    describe: String,
    tar: &'a std::sync::Mutex<tar::Builder<&'w mut (dyn Write + Send)>>,
    /// Members already in the archive.
    written: &'a std::sync::Mutex<std::collections::HashSet<String>>,
    /// Blob digest (or diff ID for digest-less layers) → its members, in layer order (a
    /// blob the image lists twice is written under each of its names).
    entries: std::collections::HashMap<Digest, Vec<Entry>>,
    /// Layers are stored as their plain tar (docker-archive) or as stored (OCI).
    plain: bool,
    spool: bool,
}

impl ArchiveSink<'_, '_> {
    /// The first member of this layer's blob not yet written.
    fn entry(&self, l: &strata_core::image::ImageLayer) -> Result<Entry> {
        let written = self
            .written
            .lock()
            .map_err(|_| Error::malformed(&self.describe, "archive writer poisoned"))?;
        self.entries
            .get(l.blob.digest.as_ref().unwrap_or(&l.diff_id))
            .and_then(|v| v.iter().find(|e| !written.contains(&e.path)))
            .cloned()
            .ok_or_else(|| {
                Error::malformed(&self.describe, format!("layer {} not planned", l.diff_id))
            })
    }
}

enum Target {
    /// Header written; bytes go straight into the archive.
    Direct { declared: u64 },
    /// Bytes go to a temporary file, appended on commit.
    Spool(io::BufWriter<std::fs::File>),
}

struct ArchiveBlob<'s, 'a, 'w> {
    sink: &'s ArchiveSink<'a, 'w>,
    entry: Entry,
    target: Target,
    written: u64,
}

impl Write for ArchiveBlob<'_, '_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.target {
            Target::Spool(f) => f.write(buf)?,
            Target::Direct { .. } => {
                let mut tar = self
                    .sink
                    .tar
                    .lock()
                    .map_err(|_| io::Error::other("archive writer poisoned"))?;
                tar.get_mut().write_all(buf)?;
                buf.len()
            }
        };
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.target {
            Target::Spool(f) => f.flush(),
            Target::Direct { .. } => Ok(()),
        }
    }
}

impl strata_core::copy::BlobSink for ArchiveBlob<'_, '_, '_> {
    fn commit(self: Box<Self>, size: Option<u64>, digest: Option<&Digest>) -> Result<Digest> {
        let what = format!("{}: {}", self.sink.describe, self.entry.path);
        let d = digest
            .cloned()
            .ok_or_else(|| Error::malformed(&what, "no verified digest"))?;
        if let Some(want) = size {
            if want != self.written {
                return Err(Error::SizeMismatch {
                    what,
                    expected: want,
                    actual: self.written,
                });
            }
        }
        let mut tar = self
            .sink
            .tar
            .lock()
            .map_err(|_| Error::malformed(&what, "archive writer poisoned"))?;
        match self.target {
            Target::Direct { declared } => {
                if declared != self.written {
                    return Err(Error::SizeMismatch {
                        what,
                        expected: declared,
                        actual: self.written,
                    });
                }
                // Pad the member to the tar block.
                let pad = (512 - self.written % 512) % 512;
                tar.get_mut()
                    .write_all(&vec![0u8; pad as usize])
                    .map_err(tar_err(&what))?;
            }
            Target::Spool(f) => {
                for (p, bytes) in &self.entry.before {
                    add_bytes(&mut tar, p, bytes)?;
                }
                let mut f = f.into_inner().map_err(|e| tar_err(&what)(e.into_error()))?;
                f.seek(io::SeekFrom::Start(0)).map_err(tar_err(&what))?;
                let mut h = header(self.written, 0o644);
                tar.append_data(&mut h, &self.entry.path, f)
                    .map_err(tar_err(&what))?;
            }
        }
        if let Ok(mut w) = self.sink.written.lock() {
            w.insert(self.entry.path.clone());
        }
        Ok(d)
    }

    fn discard(self: Box<Self>) {}
}

impl strata_core::copy::Sink for ArchiveSink<'_, '_> {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn has_blob(&self, d: &Digest) -> bool {
        let Some(v) = self.entries.get(d) else {
            return false;
        };
        self.written
            .lock()
            .is_ok_and(|w| v.iter().all(|e| w.contains(&e.path)))
    }

    fn open_blob(&self, d: &Digest) -> Result<Box<dyn Read + Send>> {
        Err(Error::NotFound {
            what: format!(
                "{}: blob {d} (an archive being written is not read)",
                self.describe
            ),
        })
    }

    fn blob_writer(
        &self,
        layer: &strata_core::image::ImageLayer,
        _resumable: bool,
    ) -> Result<Box<dyn strata_core::copy::BlobSink + '_>> {
        let entry = self.entry(layer)?;
        let what = format!("{}: {}", self.describe, entry.path);
        let target = match entry.size.filter(|_| !self.spool) {
            Some(declared) => {
                let mut tar = self
                    .tar
                    .lock()
                    .map_err(|_| Error::malformed(&what, "archive writer poisoned"))?;
                for (p, bytes) in &entry.before {
                    add_bytes(&mut tar, p, bytes)?;
                }
                let mut h = header(declared, 0o644);
                h.set_path(&entry.path).map_err(tar_err(&what))?;
                h.set_cksum();
                tar.get_mut()
                    .write_all(h.as_bytes())
                    .map_err(tar_err(&what))?;
                Target::Direct { declared }
            }
            None => {
                let tmp = std::env::temp_dir();
                let f = tempfile::tempfile().map_err(|e| Error::io(&tmp, e))?;
                Target::Spool(io::BufWriter::with_capacity(1 << 20, f))
            }
        };
        Ok(Box::new(ArchiveBlob {
            sink: self,
            entry,
            target,
            written: 0,
        }))
    }

    fn layer_facts(&self, _d: &Digest) -> Option<strata_core::layer::LayerStats> {
        None
    }

    fn record_layer_facts(&self, _s: &strata_core::layer::LayerStats) {}

    fn keeps(&self, c: Compression) -> bool {
        !self.plain || c == Compression::None
    }

    fn presence_is_proof(&self) -> bool {
        true
    }
}

/// The archive being written, shared by every image's copy.
struct Archive<'a, 'w> {
    describe: String,
    tar: &'a std::sync::Mutex<tar::Builder<&'w mut (dyn Write + Send)>>,
    written: &'a std::sync::Mutex<std::collections::HashSet<String>>,
    spool: bool,
}

/// Copies one image's layers into the archive through the copy engine (one at a time, in
/// order, so the archive's member order is fixed); `plain`: layers as their plain tar.
fn copy_into(
    archive: &Archive<'_, '_>,
    image: &Image,
    entries: std::collections::HashMap<Digest, Vec<Entry>>,
    plain: bool,
) -> Result<()> {
    let sink = ArchiveSink {
        describe: archive.describe.clone(),
        tar: archive.tar,
        written: archive.written,
        entries,
        plain,
        spool: archive.spool,
    };
    strata_core::copy::copy_layers(
        image,
        &sink,
        &strata_core::copy::Options {
            concurrency: 1,
            resumable: false,
            once_per_blob: false,
        },
        &|l| image.layer_what(l),
        &|_| {},
    )?;
    Ok(())
}

/// Writes `ids` (image IDs) with the tags the caller chose for each, as a docker-archive.
/// `spool`: the output cannot be taken back (a pipe), so each layer is verified before any
/// of its bytes are written.
pub fn save_docker_archive(
    store: Arc<Store>,
    images: &[(String, Vec<String>)],
    out: &mut (dyn Write + Send),
    spool: bool,
    settings: &Settings,
) -> Result<()> {
    let tar = std::sync::Mutex::new(tar::Builder::new(out));
    let done = std::sync::Mutex::new(std::collections::HashSet::new());
    let archive = Archive {
        describe: store.describe(),
        tar: &tar,
        written: &done,
        spool,
    };
    let mut manifest = Vec::new();
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let refs = store.refs()?;
    let saved: Vec<&String> = images.iter().map(|(id, _)| id).collect();
    for (id, tags) in images {
        let source: Arc<dyn Source> = store.clone();
        let image = Image::open_with(
            source.clone(),
            &Selector::Name(id.clone()),
            None,
            settings.clone(),
        )?;
        let chain = crate::chain_ids(
            &image
                .layers
                .iter()
                .map(|l| l.diff_id.clone())
                .collect::<Vec<Digest>>(),
        );
        // Each layer as `<chain ID>/layer.tar` (its plain tar, so its SHA-256 is the diff ID),
        // after `VERSION` and `json`, as Docker 20.10 writes them.
        let mut entries: std::collections::HashMap<Digest, Vec<Entry>> = Default::default();
        let mut layer_paths = Vec::new();
        for (l, c) in image.layers.iter().zip(&chain) {
            let v1 = c.hex().to_string();
            let path = format!("{v1}/layer.tar");
            layer_paths.push(path.clone());
            let key = l.blob.digest.clone().unwrap_or_else(|| l.diff_id.clone());
            entries.entry(key).or_default().push(Entry {
                path,
                // The tar header needs the size first: the stored facts know it.
                size: l
                    .blob
                    .digest
                    .as_ref()
                    .and_then(|d| store.blob_facts(d))
                    .map(|s| s.uncompressed_size),
                before: vec![
                    (format!("{v1}/VERSION"), b"1.0".to_vec()),
                    (
                        format!("{v1}/json"),
                        format!("{{\"id\":\"{v1}\"}}").into_bytes(),
                    ),
                ],
            });
        }
        // Nothing leaves unverified: every layer passes the layer reader (digest, diff ID,
        // Docker's rules) as it is written; a failure discards an output file, and when the
        // output cannot be taken back (a pipe) each layer is spooled and checked first.
        copy_into(&archive, &image, entries, true)?;
        let mut b = tar
            .lock()
            .map_err(|_| Error::malformed("archive", "archive writer poisoned"))?;
        let cfg_name = format!("{}.json", image.id.hex());
        add_bytes(&mut b, &cfg_name, &image.config_bytes)?;
        let familiar: Vec<String> = tags
            .iter()
            .filter_map(|t| Reference::parse(t).ok())
            .map(|r| {
                if let (Some(tag), Some(top)) = (r.tag(), chain.last()) {
                    repositories
                        .entry(r.familiar_name())
                        .or_default()
                        .insert(tag.to_string(), top.hex().to_string());
                }
                r.familiar()
            })
            .collect();
        let mut item = serde_json::json!({
            "Config": cfg_name,
            "RepoTags": if familiar.is_empty() { serde_json::Value::Null } else { serde_json::json!(familiar) },
            "Layers": layer_paths,
        });
        // Docker writes the parent link only when the parent is saved too.
        if let Some(p) = refs.images.get(id).and_then(|r| r.parent.as_ref()) {
            if saved.contains(&p) {
                item["Parent"] = serde_json::json!(p);
            }
        }
        manifest.push(item);
    }
    let mut b = tar
        .into_inner()
        .map_err(|_| Error::malformed("archive", "archive writer poisoned"))?;
    let m = serde_json::to_vec(&manifest)
        .map_err(|e| Error::malformed("manifest.json", e.to_string()))?;
    add_bytes(&mut b, "manifest.json", &m)?;
    if !repositories.is_empty() {
        let r = serde_json::to_vec(&repositories)
            .map_err(|e| Error::malformed("repositories", e.to_string()))?;
        add_bytes(&mut b, "repositories", &r)?;
    }
    b.into_inner()
        .map_err(tar_err("archive"))?
        .flush()
        .map_err(tar_err("archive"))?;
    Ok(())
}

/// Writes images as an OCI archive (a tar of an OCI image layout), blobs as stored.
pub fn save_oci_archive(
    store: Arc<Store>,
    images: &[(String, Vec<String>)],
    out: &mut (dyn Write + Send),
    spool: bool,
    settings: &Settings,
) -> Result<()> {
    let tar = std::sync::Mutex::new(tar::Builder::new(out));
    let done = std::sync::Mutex::new(std::collections::HashSet::new());
    let archive = Archive {
        describe: store.describe(),
        tar: &tar,
        written: &done,
        spool,
    };
    let poisoned = || Error::malformed("archive", "archive writer poisoned");
    add_bytes(
        &mut *tar.lock().map_err(|_| poisoned())?,
        "oci-layout",
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    let refs = store.refs()?;
    let mut index = Vec::new();
    for (id, tags) in images {
        let source: Arc<dyn Source> = store.clone();
        let image = Image::open_with(source, &Selector::Name(id.clone()), None, settings.clone())?;
        let rec = refs
            .images
            .get(id)
            .ok_or_else(|| Error::NoSuchImage(format!("No such image: {id}")))?;
        // The manifest and config as the image was opened (their digests checked then).
        let manifest_bytes = image
            .manifest_bytes
            .clone()
            .ok_or_else(|| Error::malformed(store.describe(), format!("{id}: no manifest")))?;
        for bytes in [&manifest_bytes, &image.config_bytes] {
            let path = Digest::sha256_of(bytes).blob_path();
            let mut written = done.lock().map_err(|_| poisoned())?;
            if written.insert(path.clone()) {
                add_bytes(&mut *tar.lock().map_err(|_| poisoned())?, &path, bytes)?;
            }
        }
        // Layers as stored, each verified by the layer reader on its way in.
        let mut entries: std::collections::HashMap<Digest, Vec<Entry>> = Default::default();
        for l in &image.layers {
            if let Some(d) = &l.blob.digest {
                let v = entries.entry(d.clone()).or_default();
                if v.is_empty() {
                    v.push(Entry {
                        path: d.blob_path(),
                        size: l.blob.size,
                        before: Vec::new(),
                    });
                }
            }
        }
        copy_into(&archive, &image, entries, false)?;
        let names: Vec<String> = if tags.is_empty() {
            vec![String::new()]
        } else {
            tags.clone()
        };
        for t in names {
            let mut e = serde_json::json!({"mediaType": rec.media_type, "digest": rec.manifest, "size": rec.size});
            if !t.is_empty() {
                let tag = Reference::parse(&t)
                    .ok()
                    .and_then(|r| r.tag().map(str::to_string))
                    .unwrap_or_default();
                e["annotations"] = serde_json::json!({"io.containerd.image.name": t, "org.opencontainers.image.ref.name": tag});
            }
            index.push(e);
        }
    }
    let idx = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": index}))
        .map_err(|e| Error::malformed("index.json", e.to_string()))?;
    let mut b = tar.into_inner().map_err(|_| poisoned())?;
    add_bytes(&mut b, "index.json", &idx)?;
    b.into_inner()
        .map_err(tar_err("archive"))?
        .flush()
        .map_err(tar_err("archive"))?;
    Ok(())
}
