//! The copy engine: moves an image's layer blobs from any
//! [`Source`](crate::source::Source) into any [`Sink`], verifying each in the pass that
//! writes it (digest, size, diff ID, Docker's unpack rules)
//! and recording its facts. `pull` (registry → store) and `load` (archive or layout → store)
//! are both this copy plus their own name records.
//!
//! Each distinct blob is copied once, several at a time; a resumable sink keeps what an
//! interrupted copy wrote and continues it; a layer whose codec the sink does not keep (xz,
//! bzip2 in an OCI store) is written as its plain tar. Progress goes out as typed events.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use crate::compression::Compression;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{Image, ImageLayer};
use crate::layer::{self, LayerStats};

/// A blob being written into a sink; nothing is visible in the sink before
/// [`BlobSink::commit`] has checked it.
pub trait BlobSink: Write + Send {
    /// Bytes an interrupted writer had left, which this one continues after (none, for a
    /// sink that does not resume).
    fn resumed(&self) -> u64 {
        0
    }
    /// Reads those bytes back (a verifying reader must see the whole blob).
    fn resumed_bytes(&self) -> Result<Box<dyn Read + Send>> {
        Ok(Box::new(io::empty()))
    }
    /// A handle to write back early, so the commit's fsync has little left to do.
    fn sync_handle(&self) -> Option<std::fs::File> {
        None
    }
    /// Checks what was written against `size` and `digest` (when given) and makes it the
    /// sink's blob; wrong bytes are dropped.
    fn commit(self: Box<Self>, size: Option<u64>, digest: Option<&Digest>) -> Result<Digest>;
    /// Drops what was written.
    fn discard(self: Box<Self>);
}

/// A place blobs are copied to (the store; write-side transports implement it).
pub trait Sink: Sync {
    /// Human-readable location, for errors.
    fn describe(&self) -> String;
    /// Whether the sink holds this blob, verified.
    fn has_blob(&self, d: &Digest) -> bool;
    /// Opens a blob the sink holds.
    fn open_blob(&self, d: &Digest) -> Result<Box<dyn Read + Send>>;
    /// A writer for the blob of `layer`; `resumable` asks for a write that survives
    /// interruption (keyed by the blob digest; a second writer of the same blob waits for the
    /// first). Every byte the engine writes (and every resumed byte) passes its verifying
    /// layer reader, whose digest it gives to [`BlobSink::commit`]; so a sink need not hash
    /// them again.
    fn blob_writer(&self, layer: &ImageLayer, resumable: bool) -> Result<Box<dyn BlobSink + '_>>;
    /// The facts recorded for a layer blob the sink holds.
    fn layer_facts(&self, d: &Digest) -> Option<LayerStats>;
    /// Records a layer blob's facts.
    fn record_layer_facts(&self, s: &LayerStats);
    /// Whether layers compressed with `c` are stored as they are (else as their plain tar).
    fn keeps(&self, c: Compression) -> bool;
    /// Whether holding a blob under its digest proves it is that blob, with no facts needed
    /// (a registry checks every upload's digest): then a blob it has is not read again.
    fn presence_is_proof(&self) -> bool {
        false
    }
}

/// The states of one layer in a copy, in the order they come (Docker's pull statuses).
#[derive(Debug, Clone)]
pub enum LayerStatus {
    /// The sink has the layer already.
    AlreadyExists,
    /// The layer is to be copied.
    PullingFsLayer,
    /// The layer waits for a slot.
    Waiting,
    /// Bytes are arriving.
    Downloading {
        /// Bytes to copy.
        total: u64,
        /// Bytes copied so far, shared with the copier.
        done: Arc<AtomicU64>,
    },
    /// The copy ended; its digest is being checked.
    VerifyingChecksum,
    /// The blob is in the sink, verified.
    DownloadComplete,
    /// The layer and every layer below it are in place.
    PullComplete,
}

impl LayerStatus {
    /// Docker's text for this state, as its pull transcript prints it.
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

    /// Whether this state ends the layer's part of the copy.
    pub fn is_final(&self) -> bool {
        matches!(self, LayerStatus::AlreadyExists | LayerStatus::PullComplete)
    }
}

/// A layer's state changed.
#[derive(Debug, Clone)]
pub struct LayerEvent {
    /// The layer's position in the image, base first.
    pub index: usize,
    /// The 12-hex ID Docker shows (of the blob digest, else of the diff ID).
    pub id: String,
    /// The new state.
    pub status: LayerStatus,
}

/// How a copy runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Layers copied at once.
    pub concurrency: usize,
    /// Keep interrupted writes for the next copy, and retry once from the start when the
    /// bytes turn out wrong (a network source).
    pub resumable: bool,
    /// Copy a blob the manifest lists twice only once (content-addressed sinks); an archive
    /// that stores each layer under its own name wants every one.
    pub once_per_blob: bool,
}

/// What a copy did.
#[derive(Debug, Clone)]
pub struct Copied {
    /// Each layer's facts, in manifest order (`None` for a layer a
    /// [`Sink::presence_is_proof`] sink had already).
    pub layers: Vec<Option<LayerStats>>,
    /// Bytes read from the source.
    pub fetched: u64,
}

fn short(l: &ImageLayer) -> String {
    l.blob.digest.as_ref().unwrap_or(&l.diff_id).hex()[..12].to_string()
}

enum Msg {
    Status(usize, LayerStatus),
    Done(usize, Result<(Option<LayerStats>, u64)>),
}

/// Copies every layer blob of `image` that `sink` lacks. `what` names a layer in errors.
pub fn copy_layers(
    image: &Image,
    sink: &dyn Sink,
    opts: &Options,
    what: &(dyn Fn(&ImageLayer) -> String + Sync),
    on: &(dyn Fn(LayerEvent) + Sync),
) -> Result<Copied> {
    let layers = &image.layers;
    let mut stats: Vec<Option<LayerStats>> = vec![None; layers.len()];
    let mut todo = Vec::new();
    let mut first_of: Vec<usize> = (0..layers.len()).collect();
    for (i, l) in layers.iter().enumerate() {
        // Each distinct blob once, however often the manifest lists it.
        if let Some(j) = (0..i)
            .find(|&j| layers[j].blob.digest.is_some() && layers[j].blob.digest == l.blob.digest)
        {
            first_of[i] = j;
            continue;
        }
        // A layer without a digest (legacy archives) may be in the sink as its plain tar.
        let key = l.blob.digest.as_ref().unwrap_or(&l.diff_id);
        let has = sink.has_blob(key);
        let facts = has
            .then(|| sink.layer_facts(key))
            .flatten()
            .filter(|s| s.diff_id == l.diff_id);
        if facts.is_some() || (has && sink.presence_is_proof()) {
            stats[i] = facts;
            on(LayerEvent {
                index: i,
                id: short(l),
                status: LayerStatus::AlreadyExists,
            });
        } else {
            on(LayerEvent {
                index: i,
                id: short(l),
                status: LayerStatus::PullingFsLayer,
            });
            todo.push(i);
        }
    }
    let slots = opts.concurrency.max(1);
    for &i in todo.iter().skip(slots) {
        on(LayerEvent {
            index: i,
            id: short(&layers[i]),
            status: LayerStatus::Waiting,
        });
    }
    let queue = Mutex::new(todo.clone().into_iter());
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut fetched = 0;
    let mut first_err: Option<Error> = None;
    std::thread::scope(|s| {
        for _ in 0..slots.min(todo.len()) {
            let tx = tx.clone();
            let queue = &queue;
            s.spawn(move || {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.next());
                    let Some(i) = next else { break };
                    let r = copy_one(image, i, sink, opts, what, &tx, on);
                    let failed = r.is_err();
                    let _ = tx.send(Msg::Done(i, r));
                    if failed {
                        // One failure ends the copy.
                        if let Ok(mut q) = queue.lock() {
                            for _ in q.by_ref() {}
                        }
                        break;
                    }
                }
            });
        }
        drop(tx);
        // "Pull complete" comes in manifest order, as each prefix finishes.
        let mut complete: Vec<bool> = (0..layers.len()).map(|i| !todo.contains(&i)).collect();
        let mut next_report = 0;
        for msg in rx {
            match msg {
                Msg::Status(i, status) => on(LayerEvent {
                    index: i,
                    id: short(&layers[i]),
                    status,
                }),
                Msg::Done(i, Ok((st, n))) => {
                    fetched += n;
                    stats[i] = st;
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
                    on(LayerEvent {
                        index: next_report,
                        id: short(&layers[next_report]),
                        status: LayerStatus::PullComplete,
                    });
                }
                next_report += 1;
            }
        }
    });
    if let Some(e) = first_err {
        return Err(e);
    }
    let out = (0..layers.len())
        .map(|i| stats[first_of[i]].clone())
        .collect();
    Ok(Copied {
        layers: out,
        fetched,
    })
}

/// Copies what is read into the blob writer as it passes.
struct Tee<'w, 's, R> {
    inner: R,
    out: &'w mut (dyn BlobSink + 's),
}

impl<R: Read> Read for Tee<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// Counts the bytes read from the source (for progress).
struct Counting<'a, R> {
    inner: R,
    done: &'a AtomicU64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn wrong_bytes(e: &Error) -> bool {
    matches!(
        e,
        Error::DigestMismatch { .. }
            | Error::SizeMismatch { .. }
            | Error::Malformed { .. }
            | Error::UnsafePath { .. }
            | Error::LimitExceeded { .. }
    )
}

/// Copies one layer. Returns its facts and the bytes read from the source.
fn copy_one(
    image: &Image,
    i: usize,
    sink: &dyn Sink,
    opts: &Options,
    what: &(dyn Fn(&ImageLayer) -> String + Sync),
    tx: &mpsc::Sender<Msg>,
    on: &(dyn Fn(LayerEvent) + Sync),
) -> Result<(Option<LayerStats>, u64)> {
    let l = &image.layers[i];
    let what = what(l);
    let expect = layer::Expect {
        digest: l.blob.digest.as_ref(),
        size: l.blob.size,
        diff_id: Some(&l.diff_id),
    };
    let mut fresh_start = false;
    loop {
        let mut blob = sink.blob_writer(l, opts.resumable)?;
        // A concurrent copy may have finished this blob while this one waited for it.
        if let Some(d) = &l.blob.digest {
            if sink.has_blob(d) {
                if sink.presence_is_proof() {
                    blob.discard();
                    let _ = tx.send(Msg::Status(i, LayerStatus::DownloadComplete));
                    return Ok((None, 0));
                }
                let s = match sink.layer_facts(d).filter(|s| s.diff_id == l.diff_id) {
                    Some(s) => s,
                    None => {
                        let s = layer::scan(
                            &what,
                            BufReader::new(sink.open_blob(d)?),
                            &expect,
                            image.settings(),
                        )?;
                        sink.record_layer_facts(&s);
                        s
                    }
                };
                blob.discard();
                let _ = tx.send(Msg::Status(i, LayerStatus::DownloadComplete));
                return Ok((Some(s), 0));
            }
        }
        let have = blob.resumed();
        let done = Arc::new(AtomicU64::new(have));
        on(LayerEvent {
            index: i,
            id: short(l),
            status: LayerStatus::Downloading {
                total: l.blob.size.unwrap_or(0),
                done: done.clone(),
            },
        });
        let m = image
            .source()
            .open_from(&l.blob.locator, have, l.blob.size)?;
        let mut net = BufReader::with_capacity(
            1 << 16,
            Counting {
                inner: m.reader,
                done: &done,
            },
        );
        let codec = if have > 0 {
            let mut magic = [0u8; 8];
            let n =
                read_up_to(&mut blob.resumed_bytes()?, &mut magic).map_err(|e| Error::Read {
                    what: format!("{}: interrupted copy of {what}", sink.describe()),
                    source: e,
                })?;
            Compression::sniff(&magic[..n])
        } else {
            Compression::sniff(net.fill_buf().map_err(|e| Error::Read {
                what: what.clone(),
                source: e,
            })?)
        };
        let result = if sink.keeps(codec) {
            let prefix = blob.resumed_bytes()?;
            let syncer = blob.sync_handle();
            let finished = std::sync::atomic::AtomicBool::new(false);
            std::thread::scope(|s| {
                // Write back while copying, so the commit's fsync has little left to flush.
                if let Some(f) = &syncer {
                    let finished = &finished;
                    s.spawn(move || {
                        while !finished.load(Ordering::Relaxed) {
                            std::thread::sleep(std::time::Duration::from_millis(100));
                            let _ = f.sync_data();
                        }
                    });
                }
                let tee = Tee {
                    inner: net,
                    out: blob.as_mut(),
                };
                let r = layer::scan(&what, prefix.chain(tee), &expect, image.settings());
                finished.store(true, Ordering::Relaxed);
                r
            })
        } else {
            // Stored as its plain tar: the blob is the tar, its digest the diff ID.
            layer::read_to_tar(&what, net, &expect, &mut [], &mut blob, image.settings()).map(|s| {
                LayerStats {
                    digest: s.diff_id.clone(),
                    compressed_size: s.uncompressed_size,
                    compression: Compression::None,
                    ..s
                }
            })
        };
        match result {
            Ok(s) => {
                let _ = tx.send(Msg::Status(i, LayerStatus::VerifyingChecksum));
                blob.commit(Some(s.compressed_size), Some(&s.digest))?;
                sink.record_layer_facts(&s);
                let _ = tx.send(Msg::Status(i, LayerStatus::DownloadComplete));
                let fetched = s.compressed_size.saturating_sub(have);
                return Ok((Some(s), fetched));
            }
            Err(e) => {
                if wrong_bytes(&e) || !opts.resumable {
                    // Wrong bytes are never kept.
                    blob.discard();
                    // One fresh start, in case the bad part was an earlier session's partial
                    // copy or a one-off on the wire.
                    if opts.resumable && !fresh_start {
                        fresh_start = true;
                        continue;
                    }
                }
                return Err(e);
            }
        }
    }
}

fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
