//! `pull`: registry → local store. Three layers download at once; each is hashed,
//! decompressed, diff-ID-checked and measured in the same pass that writes it to the ingest
//! file, so a blob appears in the store only complete and verified. A partial download is
//! kept under `ingest/` and resumed with a `Range` request by the next pull; per-blob locks
//! let concurrent pulls share work. Names change last, under the store's exclusive lock.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use strata_core::digest::Digest;
use strata_core::error::Error;
use strata_core::image::{Image, Selector};
use strata_core::layer::{self, LayerStats};
use strata_core::manifest::{Platform, media};
use strata_core::reference::Reference;
use strata_store::{ImageRecord, Store};

use crate::client::{BlobReader, Client};
use crate::source::{RegistrySource, top_digest};
use crate::{RegistryError, Result};

/// How many layers download at once (Docker's default).
pub const CONCURRENT_DOWNLOADS: usize = 3;

/// What a pull reports as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    /// A transcript line, exactly as Docker prints it.
    Line(String),
    /// A layer's download started: its short ID and size (for progress bars).
    Started {
        /// The 12-hex layer ID.
        id: String,
        /// Bytes to fetch.
        total: u64,
        /// Bytes fetched so far, shared with the downloader.
        done: Arc<AtomicU64>,
    },
    /// A layer's progress bar should end with this status.
    Finished {
        /// The 12-hex layer ID.
        id: String,
        /// The final status.
        status: String,
    },
}

/// The result of a pull.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Image ID.
    pub id: String,
    /// The digest the registry gave for the reference (index or manifest).
    pub digest: Digest,
    /// `Status: …` line.
    pub status: String,
    /// The fully normalised reference (Docker's last line).
    pub reference: String,
    /// How many layer bytes were fetched.
    pub fetched: u64,
}

/// Pull options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The platform to pick from an index (the host's when `None`).
    pub platform: Option<Platform>,
}

fn short(d: &Digest) -> String {
    d.hex()[..12].to_string()
}

struct Job<'a> {
    store: &'a Store,
    client: Arc<Client>,
    repo: String,
    image: &'a Image,
}

enum Msg {
    Line(usize, &'static str),
    Done(usize, Result<(LayerStats, u64)>),
}

/// Pulls `reference` into `store` (which may be held with a shared lock; this takes the
/// exclusive one for the final name update).
pub fn pull(
    store: &Store,
    client: Arc<Client>,
    reference: &Reference,
    opts: &Options,
    on: &(dyn Fn(Event) + Sync),
) -> Result<Outcome> {
    let reference = if reference.digest().is_none() {
        reference.clone().with_default_tag()
    } else {
        reference.clone()
    };
    let repo = reference.path().to_string();
    let source = Arc::new(RegistrySource::new(client.clone(), reference.clone()));
    let image = Image::open(source.clone(), &Selector::Default, opts.platform.as_ref())?;
    let top = top_digest(&source)?;
    let head = match reference.digest() {
        Some(d) => format!("{}@{d}", reference.name()),
        None => reference.tag().unwrap_or("latest").to_string(),
    };
    on(Event::Line(format!("{head}: Pulling from {repo}")));

    let id = image.id.to_string();
    let present = store.refs()?.images.contains_key(&id);
    let mut stats: Vec<Option<LayerStats>> = vec![None; image.layers.len()];
    let mut fetched = 0u64;
    if !present {
        fetched = fetch_layers(
            &Job {
                store,
                client: client.clone(),
                repo: repo.clone(),
                image: &image,
            },
            &mut stats,
            on,
        )?;
    }
    store.put_bytes(&image.config_bytes)?;
    let manifest_bytes = image
        .manifest_bytes
        .clone()
        .ok_or_else(|| RegistryError::Protocol(format!("{}: no manifest", reference)))?;
    let media_type = serde_json::from_slice::<Value>(&manifest_bytes)
        .ok()
        .and_then(|v| {
            v.get("mediaType")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| media::OCI_MANIFEST.to_string());
    let manifest_digest = store.put_bytes(&manifest_bytes)?;

    // Names move last, under the exclusive lock, on a fresh read of the records.
    store.lock_exclusive()?;
    let mut refs = store.refs()?;
    for l in &image.layers {
        if let Some(d) = &l.blob.digest {
            if !store.has_blob(d) {
                return Err(RegistryError::Protocol(format!(
                    "blob {d} vanished from the store during the pull (a concurrent prune?); pull again"
                )));
            }
        }
    }
    let docker_size: u64 = if let Some(rec) = refs.images.get(&id) {
        rec.docker_size
    } else {
        let facts = store.facts();
        let mut sum = 0;
        for (i, l) in image.layers.iter().enumerate() {
            let s = match stats[i].take() {
                Some(s) => s,
                None => l
                    .blob
                    .digest
                    .as_ref()
                    .and_then(|d| facts.get(&format!("store-blob {d}")))
                    .ok_or_else(|| {
                        RegistryError::Protocol(format!("no facts for layer {}", l.diff_id))
                    })?,
            };
            sum += s.docker_size;
        }
        sum
    };
    let was = match reference.tag() {
        Some(_) => refs
            .image_for_tag(&reference.to_string())
            .map(str::to_string),
        None => None,
    };
    let repo_digest = format!("{}@{top}", reference.name());
    let had_digest = refs
        .images
        .get(&id)
        .is_some_and(|r| r.digests.contains(&repo_digest));
    if let Some(old) = &was {
        if old != &id {
            refs.untag(&reference.to_string());
        }
    }
    let rec = refs.images.entry(id.clone()).or_insert_with(|| {
        ImageRecord::new(
            manifest_digest.to_string(),
            media_type,
            manifest_bytes.len() as u64,
            docker_size,
            &image.config,
        )
    });
    if reference.tag().is_some() && !rec.tags.contains(&reference.to_string()) {
        rec.tags.push(reference.to_string());
    }
    if !rec.digests.contains(&repo_digest) {
        rec.digests.push(repo_digest);
    }
    store.write_refs(&refs)?;
    let up_to_date = match reference.tag() {
        Some(_) => was.as_deref() == Some(id.as_str()),
        None => had_digest,
    };
    let status = if up_to_date {
        format!("Status: Image is up to date for {}", reference.familiar())
    } else {
        format!(
            "Status: Downloaded newer image for {}",
            reference.familiar()
        )
    };
    Ok(Outcome {
        id,
        digest: top,
        status,
        reference: reference.to_string(),
        fetched,
    })
}

/// Downloads every layer the store lacks; fills `stats` for them. Returns bytes fetched.
fn fetch_layers(
    job: &Job<'_>,
    stats: &mut [Option<LayerStats>],
    on: &(dyn Fn(Event) + Sync),
) -> Result<u64> {
    let facts = job.store.facts();
    let layers = &job.image.layers;
    let mut todo = Vec::new();
    let mut seen = HashSet::new();
    for (i, l) in layers.iter().enumerate() {
        let Some(d) = &l.blob.digest else { continue };
        // Docker reports each distinct layer once, however often the manifest lists it.
        if !seen.insert(d.clone()) {
            continue;
        }
        let known = job.store.has_blob(d)
            && facts
                .get(&format!("store-blob {d}"))
                .is_some_and(|s| s.diff_id == l.diff_id);
        if known {
            on(Event::Line(format!("{}: Already exists", short(d))));
        } else {
            on(Event::Line(format!("{}: Pulling fs layer", short(d))));
            todo.push(i);
        }
    }
    for &i in todo.iter().skip(CONCURRENT_DOWNLOADS) {
        if let Some(d) = &layers[i].blob.digest {
            on(Event::Line(format!("{}: Waiting", short(d))));
        }
    }
    let queue = Mutex::new(todo.clone().into_iter());
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut fetched = 0;
    let mut first_err: Option<RegistryError> = None;
    std::thread::scope(|s| {
        for _ in 0..CONCURRENT_DOWNLOADS.min(todo.len()) {
            let tx = tx.clone();
            let queue = &queue;
            s.spawn(move || {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.next());
                    let Some(i) = next else { break };
                    let r = fetch_one(job, i, &tx, on);
                    let failed = r.is_err();
                    let _ = tx.send(Msg::Done(i, r));
                    if failed {
                        // Drain the queue: one failure ends the pull.
                        if let Ok(mut q) = queue.lock() {
                            for _ in q.by_ref() {}
                        }
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Docker prints "Pull complete" in manifest order, as each prefix finishes.
        let mut complete = vec![false; layers.len()];
        for (i, c) in complete.iter_mut().enumerate() {
            *c = !todo.contains(&i);
        }
        let mut next_report = 0;
        for msg in rx {
            match msg {
                Msg::Line(i, status) => {
                    if let Some(d) = &layers[i].blob.digest {
                        on(Event::Line(format!("{}: {status}", short(d))));
                    }
                }
                Msg::Done(i, Ok((st, n))) => {
                    fetched += n;
                    stats[i] = Some(st);
                    complete[i] = true;
                }
                Msg::Done(_, Err(e)) => {
                    if first_err.is_none() {
                        first_err = Some(e);
                    }
                }
            }
            if first_err.is_some() {
                continue;
            }
            while next_report < layers.len() && complete[next_report] {
                if todo.contains(&next_report) {
                    if let Some(d) = &layers[next_report].blob.digest {
                        on(Event::Finished {
                            id: short(d),
                            status: "Pull complete".into(),
                        });
                        on(Event::Line(format!("{}: Pull complete", short(d))));
                    }
                }
                next_report += 1;
            }
        }
    });
    match first_err {
        Some(e) => Err(e),
        None => Ok(fetched),
    }
}

/// Copies everything read into the partial file as it passes.
struct Tee<R> {
    inner: R,
    out: BufWriter<File>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}

fn file_for_sync(w: &BufWriter<File>) -> Option<File> {
    w.get_ref().try_clone().ok()
}

fn local(path: &Path, e: io::Error) -> RegistryError {
    RegistryError::Core(Error::io(path, e))
}

/// Fetches one layer into the store. Returns its facts and the bytes fetched.
fn fetch_one(
    job: &Job<'_>,
    i: usize,
    tx: &mpsc::Sender<Msg>,
    on: &(dyn Fn(Event) + Sync),
) -> Result<(LayerStats, u64)> {
    let l = &job.image.layers[i];
    let digest = l
        .blob
        .digest
        .clone()
        .ok_or_else(|| RegistryError::Protocol("layer without digest".into()))?;
    let store = job.store;
    let facts = store.facts();
    let ingest = store.root().join("ingest");
    let lock_path = ingest.join(format!("{}.lock", digest.hex()));
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| local(&lock_path, e))?;
    // Another strata may be fetching the same blob: wait for it, then reuse its work.
    lock.lock().map_err(|e| local(&lock_path, e))?;
    let key = format!("store-blob {digest}");
    let what = format!("{}/{}: layer {digest}", job.client.domain(), job.repo);
    let expect = layer::Expect {
        digest: Some(&digest),
        size: l.blob.size,
        diff_id: Some(&l.diff_id),
    };
    let blob_path = store.root().join("blobs/sha256").join(digest.hex());
    if store.has_blob(&digest) {
        if let Some(s) = facts.get(&key).filter(|s| s.diff_id == l.diff_id) {
            let _ = tx.send(Msg::Line(i, "Download complete"));
            return Ok((s, 0));
        }
        let f = File::open(&blob_path).map_err(|e| local(&blob_path, e))?;
        let s = layer::scan(&what, io::BufReader::new(f), &expect)?;
        facts.put(&key, &s);
        let _ = tx.send(Msg::Line(i, "Download complete"));
        return Ok((s, 0));
    }
    let partial: PathBuf = ingest.join(format!("{}.partial", digest.hex()));
    let mut fresh_start = false;
    loop {
        let file = File::options()
            .create(true)
            .truncate(false)
            .read(true)
            .append(true)
            .open(&partial)
            .map_err(|e| local(&partial, e))?;
        let mut have = file.metadata().map_err(|e| local(&partial, e))?.len();
        if l.blob.size.is_some_and(|s| have > s) {
            file.set_len(0).map_err(|e| local(&partial, e))?;
            have = 0;
        }
        let done = Arc::new(AtomicU64::new(have));
        on(Event::Started {
            id: short(&digest),
            total: l.blob.size.unwrap_or(0),
            done: done.clone(),
        });
        let mut prefix = file.try_clone().map_err(|e| local(&partial, e))?;
        prefix
            .seek(SeekFrom::Start(0))
            .map_err(|e| local(&partial, e))?;
        let net = BlobReader::new(job.client.clone(), &job.repo, &digest, have, l.blob.size)
            .with_progress(done.clone());
        let mut tee = Tee {
            inner: net,
            out: BufWriter::with_capacity(1 << 20, file),
        };
        // Write back while downloading, so the fsync before the rename has little left to
        // flush (it was the tail of every pull).
        let syncer = file_for_sync(&tee.out);
        let finished = std::sync::atomic::AtomicBool::new(false);
        let scanned = std::thread::scope(|s| {
            if let Some(f) = &syncer {
                let finished = &finished;
                s.spawn(move || {
                    while !finished.load(std::sync::atomic::Ordering::Relaxed) {
                        std::thread::sleep(std::time::Duration::from_millis(100));
                        let _ = f.sync_data();
                    }
                });
            }
            let reader = (&mut prefix).take(have).chain(&mut tee);
            let r = layer::scan(&what, reader, &expect);
            finished.store(true, std::sync::atomic::Ordering::Relaxed);
            r
        });
        let flushed = tee.out.flush();
        match scanned {
            Ok(s) => {
                flushed.map_err(|e| local(&partial, e))?;
                let f = tee.out.get_ref();
                f.sync_all().map_err(|e| local(&partial, e))?;
                let _ = tx.send(Msg::Line(i, "Verifying Checksum"));
                std::fs::rename(&partial, &blob_path).map_err(|e| local(&blob_path, e))?;
                facts.put(&key, &s);
                let _ = tx.send(Msg::Line(i, "Download complete"));
                let fetched = s.compressed_size.saturating_sub(have);
                return Ok((s, fetched));
            }
            Err(e) => {
                let wrong_bytes = matches!(
                    e,
                    Error::DigestMismatch { .. }
                        | Error::SizeMismatch { .. }
                        | Error::Malformed { .. }
                        | Error::UnsafePath { .. }
                        | Error::LimitExceeded { .. }
                );
                if wrong_bytes {
                    // Wrong bytes: never keep them. One fresh start, in case the bad part
                    // was an earlier session's partial download or a one-off on the wire.
                    let _ = std::fs::remove_file(&partial);
                    if !fresh_start {
                        fresh_start = true;
                        continue;
                    }
                }
                return Err(to_registry(e));
            }
        }
    }
}

fn to_registry(e: Error) -> RegistryError {
    RegistryError::Core(e)
}
