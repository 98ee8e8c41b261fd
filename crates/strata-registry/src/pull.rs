//! `pull`: registry → local store. Three layers download at once; each is hashed,
//! decompressed, diff-ID-checked and measured in the same pass that writes it to the ingest
//! file, so a blob appears in the store only complete and verified. A partial download is
//! kept under `ingest/` and resumed with a `Range` request by the next pull; per-blob locks
//! let concurrent pulls share work. Names change last, under the store's exclusive lock.

use std::collections::HashSet;
use std::io::{self, Read, Write};
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
use strata_core::source::{Locator, Source};
use strata_store::{BlobWriter, ImageRecord, Store};

use crate::client::{BlobReader, Client};
use crate::source::{RegistrySource, top_digest};
use crate::{RegistryError, Result};

/// How many layers download at once (Docker's default).
pub const CONCURRENT_DOWNLOADS: usize = 3;

/// What a pull reports as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    /// The pull began (Docker's first line: `<tag>: Pulling from <repository path>`).
    Pulling {
        /// The tag, or `name@digest` for a pull by digest.
        head: String,
        /// The repository's path.
        repo: String,
    },
    /// A layer's state changed.
    Layer {
        /// The 12-hex layer ID Docker shows.
        id: String,
        /// Its new state.
        status: LayerStatus,
    },
}

/// The states of one layer in a pull, in the order they come.
#[derive(Debug, Clone)]
pub enum LayerStatus {
    /// The store has the layer already.
    AlreadyExists,
    /// The layer is to be fetched.
    PullingFsLayer,
    /// The layer waits for a download slot.
    Waiting,
    /// Bytes are arriving.
    Downloading {
        /// Bytes to fetch.
        total: u64,
        /// Bytes fetched so far, shared with the downloader.
        done: Arc<AtomicU64>,
    },
    /// The download ended; its digest is being checked.
    VerifyingChecksum,
    /// The blob is in the store, verified.
    DownloadComplete,
    /// The layer and every layer below it are in place.
    PullComplete,
}

impl LayerStatus {
    /// Docker's text for this state, as its transcript prints it.
    pub fn docker_text(&self) -> &'static str {
        match self {
            LayerStatus::AlreadyExists => "Already exists",
            LayerStatus::PullingFsLayer => "Pulling fs layer",
            LayerStatus::Waiting => "Waiting",
            LayerStatus::Downloading { .. } => "Downloading",
            LayerStatus::VerifyingChecksum => "Verifying Checksum",
            LayerStatus::DownloadComplete => "Download complete",
            LayerStatus::PullComplete => "Pull complete",
        }
    }

    /// Whether this state ends the layer's part of the pull.
    pub fn is_final(&self) -> bool {
        matches!(self, LayerStatus::AlreadyExists | LayerStatus::PullComplete)
    }
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
    Status(usize, LayerStatus),
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
    on(Event::Pulling {
        head,
        repo: repo.clone(),
    });

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
        let mut sum = 0;
        for (i, l) in image.layers.iter().enumerate() {
            let s = match stats[i].take() {
                Some(s) => s,
                None => l
                    .blob
                    .digest
                    .as_ref()
                    .and_then(|d| store.blob_facts(d))
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
            && job
                .store
                .blob_facts(d)
                .is_some_and(|s| s.diff_id == l.diff_id);
        if known {
            on(Event::Layer {
                id: short(d),
                status: LayerStatus::AlreadyExists,
            });
        } else {
            on(Event::Layer {
                id: short(d),
                status: LayerStatus::PullingFsLayer,
            });
            todo.push(i);
        }
    }
    for &i in todo.iter().skip(CONCURRENT_DOWNLOADS) {
        if let Some(d) = &layers[i].blob.digest {
            on(Event::Layer {
                id: short(d),
                status: LayerStatus::Waiting,
            });
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
                Msg::Status(i, status) => {
                    if let Some(d) = &layers[i].blob.digest {
                        on(Event::Layer {
                            id: short(d),
                            status,
                        });
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
                        on(Event::Layer {
                            id: short(d),
                            status: LayerStatus::PullComplete,
                        });
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

/// Copies everything read into the blob writer as it passes.
struct Tee<'w, 's, R> {
    inner: R,
    out: &'w mut BlobWriter<'s>,
}

impl<R: Read> Read for Tee<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
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
    let what = format!("{}/{}: layer {digest}", job.client.domain(), job.repo);
    let expect = layer::Expect {
        digest: Some(&digest),
        size: l.blob.size,
        diff_id: Some(&l.diff_id),
    };
    let mut fresh_start = false;
    loop {
        // Another strata may be fetching the same blob: this waits for it, then reuses its
        // work (the blob, or what it left in the ingest).
        let mut blob = store.resume_blob(&digest, l.blob.size)?;
        if store.has_blob(&digest) {
            let s = match store.blob_facts(&digest).filter(|s| s.diff_id == l.diff_id) {
                Some(s) => s,
                None => {
                    let m = store.open(&Locator::Digest(digest.clone()))?;
                    let s = layer::scan(&what, io::BufReader::new(m.reader), &expect)?;
                    store.record_blob_facts(&s);
                    s
                }
            };
            blob.discard();
            let _ = tx.send(Msg::Status(i, LayerStatus::DownloadComplete));
            return Ok((s, 0));
        }
        let have = blob.resumed();
        let done = Arc::new(AtomicU64::new(have));
        on(Event::Layer {
            id: short(&digest),
            status: LayerStatus::Downloading {
                total: l.blob.size.unwrap_or(0),
                done: done.clone(),
            },
        });
        let prefix = blob.resumed_bytes()?;
        let net = BlobReader::new(job.client.clone(), &job.repo, &digest, have, l.blob.size)
            .with_progress(done.clone());
        // Write back while downloading, so the fsync of the commit has little left to flush
        // (it was the tail of every pull).
        let syncer = blob.sync_handle();
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
            let tee = Tee {
                inner: net,
                out: &mut blob,
            };
            let r = layer::scan(&what, prefix.chain(tee), &expect);
            finished.store(true, std::sync::atomic::Ordering::Relaxed);
            r
        });
        match scanned {
            Ok(s) => {
                let _ = tx.send(Msg::Status(i, LayerStatus::VerifyingChecksum));
                blob.commit(Some(s.compressed_size), Some(&digest))?;
                store.record_blob_facts(&s);
                let _ = tx.send(Msg::Status(i, LayerStatus::DownloadComplete));
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
                    blob.discard();
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
