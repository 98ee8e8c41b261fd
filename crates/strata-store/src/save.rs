//! Writing images from the store as archives: the legacy `docker save` layout (what Docker
//! 20.10 writes and every `docker load` reads, with uncompressed `layer.tar`s whose SHA-256 is
//! the diff ID, so image IDs survive the round trip) or an OCI archive.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, Write};
use std::sync::Arc;

use strata_core::digest::{Algorithm, Digest, HashingReader};
use strata_core::error::{Error, Result};
use strata_core::image::{Image, Selector};
use strata_core::layer::Compression;
use strata_core::reference::Reference;
use strata_core::source::{Locator, Source};

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

/// A layer blob read back as its tar, hashing both (digest and diff ID) as it goes.
struct VerifiedLayer<'a> {
    tar: Box<dyn Read + 'a>,
    state: std::sync::Arc<std::sync::Mutex<(strata_core::digest::Hasher, u64)>>,
    diff: strata_core::digest::Hasher,
}

/// Hashes the stored bytes on their way into the decompressor.
struct Stored<R> {
    inner: R,
    state: std::sync::Arc<std::sync::Mutex<(strata_core::digest::Hasher, u64)>>,
}

impl<R: Read> Read for Stored<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut st) = self.state.lock() {
            st.0.update(&buf[..n]);
            st.1 += n as u64;
        }
        Ok(n)
    }
}

impl<'a> VerifiedLayer<'a> {
    fn open(raw: Box<dyn strata_core::files::ReadSeek + Send + 'a>, what: &str) -> Result<Self> {
        use strata_core::digest::{Algorithm, Hasher};
        let state = std::sync::Arc::new(std::sync::Mutex::new((Hasher::new(Algorithm::Sha256), 0)));
        let mut r = io::BufReader::with_capacity(
            1 << 18,
            Stored {
                inner: raw,
                state: state.clone(),
            },
        );
        let magic = io::BufRead::fill_buf(&mut r).map_err(tar_err(what))?;
        let comp = Compression::sniff(magic);
        let tar: Box<dyn Read + 'a> = match comp {
            Compression::None => Box::new(r),
            c => c.decoder(Box::new(r)).map_err(tar_err(what))?,
        };
        Ok(VerifiedLayer {
            tar,
            state,
            diff: Hasher::new(Algorithm::Sha256),
        })
    }

    /// Checks what passed (reading any rest of the blob into its digest).
    fn check(&mut self, digest: Option<&Digest>, diff_id: &Digest, what: &str) -> Result<()> {
        io::copy(self, &mut io::sink()).map_err(tar_err(what))?;
        let diff = std::mem::replace(
            &mut self.diff,
            strata_core::digest::Hasher::new(strata_core::digest::Algorithm::Sha256),
        )
        .finish();
        strata_core::digest::verify(&format!("{what}: diff ID"), diff_id, &diff)?;
        if let Some(d) = digest {
            let fresh = strata_core::digest::Hasher::new(strata_core::digest::Algorithm::Sha256);
            let got = match self.state.lock() {
                Ok(mut st) => std::mem::replace(&mut st.0, fresh).finish(),
                Err(_) => return Err(Error::malformed(what, "hashing failed")),
            };
            strata_core::digest::verify(what, d, &got)?;
        }
        Ok(())
    }
}

impl Read for VerifiedLayer<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.tar.read(buf)?;
        self.diff.update(&buf[..n]);
        Ok(n)
    }
}

/// Writes `ids` (image IDs) with the tags the caller chose for each, as a docker-archive.
/// `spool`: the output cannot be taken back (a pipe), so each layer is verified before any
/// of its bytes are written.
pub fn save_docker_archive(
    store: Arc<Store>,
    images: &[(String, Vec<String>)],
    out: &mut dyn Write,
    spool: bool,
) -> Result<()> {
    let mut b = tar::Builder::new(out);
    let mut manifest = Vec::new();
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut written: BTreeMap<String, String> = BTreeMap::new();
    let refs = store.refs()?;
    let saved: Vec<&String> = images.iter().map(|(id, _)| id).collect();
    for (id, tags) in images {
        let source: Arc<dyn Source> = store.clone();
        let image = Image::open(source.clone(), &Selector::Name(id.clone()), None)?;
        let mut layer_paths = Vec::new();
        let chain = crate::chain_ids(
            &image
                .layers
                .iter()
                .map(|l| l.diff_id.clone())
                .collect::<Vec<Digest>>(),
        );
        for (l, c) in image.layers.iter().zip(&chain) {
            let v1 = c.hex().to_string();
            let path = format!("{v1}/layer.tar");
            if !written.contains_key(&v1) {
                let what = format!("{}: layer {}", store.describe(), l.diff_id);
                // The uncompressed size is needed for the tar header: use the stored facts.
                let size = l
                    .blob
                    .digest
                    .as_ref()
                    .and_then(|d| store.blob_facts(d))
                    .map(|s| s.uncompressed_size)
                    .ok_or_else(|| Error::malformed(&what, "no layer facts in the store"))?;
                add_bytes(&mut b, &format!("{v1}/VERSION"), b"1.0")?;
                add_bytes(
                    &mut b,
                    &format!("{v1}/json"),
                    format!("{{\"id\":\"{v1}\"}}").as_bytes(),
                )?;
                let mut h = header(size, 0o644);
                // Nothing leaves unverified: the blob's digest and the tar's diff ID are
                // checked as the bytes pass (a failure discards an output file). When the
                // output cannot be taken back (a pipe), the tar is spooled and checked first.
                let m = image.source().open(&l.blob.locator)?;
                let mut verified = VerifiedLayer::open(m.reader, &what)?;
                if spool {
                    let tmp = std::env::temp_dir();
                    let mut f = tempfile::tempfile().map_err(|e| Error::io(&tmp, e))?;
                    io::copy(&mut verified, &mut f).map_err(tar_err(&what))?;
                    verified.check(l.blob.digest.as_ref(), &l.diff_id, &what)?;
                    f.seek(io::SeekFrom::Start(0)).map_err(tar_err(&what))?;
                    b.append_data(&mut h, &path, f).map_err(tar_err(&what))?;
                } else {
                    b.append_data(&mut h, &path, &mut verified)
                        .map_err(tar_err(&what))?;
                    verified.check(l.blob.digest.as_ref(), &l.diff_id, &what)?;
                }
                written.insert(v1.clone(), path.clone());
            }
            layer_paths.push(path);
        }
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
    out: &mut dyn Write,
) -> Result<()> {
    let mut b = tar::Builder::new(out);
    add_bytes(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let refs = store.refs()?;
    let mut seen = std::collections::HashSet::new();
    let mut index = Vec::new();
    for (id, tags) in images {
        let source: Arc<dyn Source> = store.clone();
        let image = Image::open(source, &Selector::Name(id.clone()), None)?;
        let rec = refs
            .images
            .get(id)
            .ok_or_else(|| Error::NoSuchImage(format!("No such image: {id}")))?;
        let mut blobs: Vec<Digest> = vec![Digest::parse(&rec.manifest)?, image.id.clone()];
        blobs.extend(image.layers.iter().filter_map(|l| l.blob.digest.clone()));
        for d in blobs {
            if !seen.insert(d.clone()) {
                continue;
            }
            let m = store.open(&Locator::Digest(d.clone()))?;
            let mut h = header(m.size, 0o644);
            let path = d.blob_path();
            // Nothing leaves unverified: a blob damaged on disk since it was stored fails
            // here (and the caller discards the output file).
            let mut r = HashingReader::new(m.reader, Algorithm::Sha256);
            b.append_data(&mut h, &path, &mut r)
                .map_err(tar_err(&path))?;
            let (got, _) = r.finish().map_err(tar_err(&path))?;
            strata_core::digest::verify(&format!("{}: blob {d}", store.describe()), &d, &got)?;
        }
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
    add_bytes(&mut b, "index.json", &idx)?;
    b.into_inner()
        .map_err(tar_err("archive"))?
        .flush()
        .map_err(tar_err("archive"))?;
    Ok(())
}
