//! The one way bytes become a blob in the store: a [`BlobWriter`] writes them to a file under
//! `ingest/`, hashing as they pass; [`BlobWriter::commit`] checks the size and digest the caller
//! expects against what was written, fsyncs, and renames the file into `blobs/`. So a blob file
//! that exists is complete and correct, whoever wrote it (load, pull, tag's config writes).

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use strata_core::digest::{Algorithm, Digest, Hasher};
use strata_core::error::{Error, Result};
use strata_core::facts_cache::Identity;
use strata_core::layer::LayerStats;
use tempfile::TempPath;

use crate::Store;

/// Where the ingest file goes when the writer is dropped without a commit.
enum Ingest {
    /// An anonymous file: removed.
    Temp(TempPath),
    /// A resumable file named after the blob's digest: kept for the next try.
    Resumable(PathBuf),
}

impl Ingest {
    fn path(&self) -> &std::path::Path {
        match self {
            Ingest::Temp(p) => p,
            Ingest::Resumable(p) => p,
        }
    }
}

/// A blob being written into the store (see the module documentation).
pub struct BlobWriter<'s> {
    store: &'s Store,
    out: BufWriter<File>,
    ingest: Ingest,
    // `None` when the caller's verifying reader hashes these very bytes (see
    // `resume_blob_hashed_by_reader`).
    hasher: Option<Hasher>,
    written: u64,
    resumed: u64,
    // Held for the writer's life: another writer of the same blob waits for this one.
    _lock: Option<File>,
}

impl Store {
    /// A writer for a new blob; its ingest file is removed unless committed.
    pub fn blob_writer(&self) -> Result<BlobWriter<'_>> {
        let dir = self.ingest_dir();
        let (file, path) = tempfile::NamedTempFile::new_in(&dir)
            .map_err(|e| Error::io(&dir, e))?
            .into_parts();
        Ok(BlobWriter {
            store: self,
            out: BufWriter::with_capacity(1 << 20, file),
            ingest: Ingest::Temp(path),
            hasher: Some(Hasher::new(Algorithm::Sha256)),
            written: 0,
            resumed: 0,
            _lock: None,
        })
    }

    /// A writer for the blob `digest` that survives interruption: what an earlier, interrupted
    /// writer left is kept and continued (its bytes are hashed again first), unless it is
    /// longer than `size`. Concurrent writers of the same blob take turns (a per-blob lock), so
    /// the second finds the first one's work.
    pub fn resume_blob(&self, digest: &Digest, size: Option<u64>) -> Result<BlobWriter<'_>> {
        self.resume(digest, size, true)
    }

    /// [`Self::resume_blob`] for a caller whose reader hashes every byte that reaches the
    /// writer, the resumed prefix included (the copy engine's layer pass): the writer does not
    /// hash them a second time, and its commit takes that reader's digest as the blob's.
    pub fn resume_blob_hashed_by_reader(
        &self,
        digest: &Digest,
        size: Option<u64>,
    ) -> Result<BlobWriter<'_>> {
        self.resume(digest, size, false)
    }

    fn resume(&self, digest: &Digest, size: Option<u64>, hash: bool) -> Result<BlobWriter<'_>> {
        let dir = self.ingest_dir();
        let lock_path = dir.join(format!("{}.lock", digest.hex()));
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        lock.lock().map_err(|e| Error::io(&lock_path, e))?;
        let path = dir.join(format!("{}.partial", digest.hex()));
        let io_err = |e| Error::io(&path, e);
        let mut file = File::options()
            .create(true)
            .truncate(false)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io_err)?;
        let mut have = file.metadata().map_err(io_err)?.len();
        if size.is_some_and(|s| have > s) {
            file.set_len(0).map_err(io_err)?;
            have = 0;
        }
        let mut hasher = Hasher::new(Algorithm::Sha256);
        if have > 0 && hash {
            file.seek(SeekFrom::Start(0)).map_err(io_err)?;
            let mut buf = vec![0u8; 1 << 16];
            let mut left = have;
            while left > 0 {
                let want = buf.len().min(usize::try_from(left).unwrap_or(buf.len()));
                let n = file.read(&mut buf[..want]).map_err(io_err)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                left -= n as u64;
            }
            have -= left;
        }
        Ok(BlobWriter {
            store: self,
            out: BufWriter::with_capacity(1 << 20, file),
            ingest: Ingest::Resumable(path),
            hasher: hash.then_some(hasher),
            written: have,
            resumed: have,
            _lock: Some(lock),
        })
    }

    /// Streams `r` into the store, checking size and digest when given.
    pub fn put_blob(
        &self,
        r: &mut dyn Read,
        expect: Option<&Digest>,
        size: Option<u64>,
    ) -> Result<Digest> {
        let mut w = self.blob_writer()?;
        io::copy(r, &mut w).map_err(|e| Error::Read {
            what: "blob being stored".into(),
            source: e,
        })?;
        w.commit(size, expect)
    }

    /// Stores small bytes as a blob.
    pub fn put_bytes(&self, bytes: &[u8]) -> Result<Digest> {
        self.put_blob(&mut &bytes[..], None, Some(bytes.len() as u64))
    }

    /// The layer facts recorded for a stored blob (`None` when never recorded).
    pub fn blob_facts(&self, d: &Digest) -> Option<LayerStats> {
        self.facts().get(&Identity::StoreBlob(d.clone()))
    }

    /// Records the facts of a layer blob the store holds (keyed by its digest).
    pub fn record_blob_facts(&self, s: &LayerStats) {
        self.facts().put(&Identity::StoreBlob(s.digest.clone()), s);
    }
}

impl<'s> BlobWriter<'s> {
    /// This writer's bytes are all hashed by the caller's verifying reader: do not hash them
    /// again; the commit takes that reader's digest. Only before anything is written.
    pub fn hashed_by_reader(mut self) -> BlobWriter<'s> {
        if self.written == 0 {
            self.hasher = None;
        }
        self
    }

    /// Bytes an interrupted writer had left, which this one continues after.
    pub fn resumed(&self) -> u64 {
        self.resumed
    }

    /// Reads the bytes an interrupted writer had left (the first [`Self::resumed`] bytes), for
    /// a reader that must see the whole blob.
    pub fn resumed_bytes(&self) -> Result<impl Read + Send + use<>> {
        let path = self.ingest.path();
        let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
        f.seek(SeekFrom::Start(0)).map_err(|e| Error::io(path, e))?;
        Ok(f.take(self.resumed))
    }

    /// A handle on the ingest file, to write back early (so the fsync of `commit` has little
    /// left to do).
    pub fn sync_handle(&self) -> Option<File> {
        self.out.get_ref().try_clone().ok()
    }

    /// Checks what was written against `size` and `digest` (when given), makes it durable and
    /// moves it into the store. Wrong bytes are removed, never kept for a resume.
    pub fn commit(mut self, size: Option<u64>, digest: Option<&Digest>) -> Result<Digest> {
        let path = self.ingest.path().to_path_buf();
        self.out.flush().map_err(|e| Error::io(&path, e))?;
        let got = match (self.hasher.take(), digest) {
            (Some(h), _) => h.finish(),
            // Hashed by the caller's verifying reader, which checked it against `digest`.
            (None, Some(d)) => d.clone(),
            (None, None) => {
                self.discard();
                return Err(Error::InvalidInput(
                    "a blob written without hashing needs its verified digest".into(),
                ));
            }
        };
        let wrong = match (size, digest) {
            (Some(want), _) if want != self.written => Some(Error::SizeMismatch {
                what: format!("blob {}", digest.unwrap_or(&got)),
                expected: want,
                actual: self.written,
            }),
            (_, Some(want)) => {
                strata_core::digest::verify(&format!("blob {want}"), want, &got).err()
            }
            _ => None,
        };
        if let Some(e) = wrong {
            self.discard();
            return Err(e);
        }
        self.out
            .get_ref()
            .sync_all()
            .map_err(|e| Error::io(&path, e))?;
        let dest = self.store.blob_path(&got);
        if dest.exists() {
            self.discard();
        } else {
            std::fs::rename(&path, &dest).map_err(|e| Error::io(&dest, e))?;
            if let Ingest::Temp(t) = self.ingest {
                // Renamed already: nothing left to remove.
                let _ = t.keep();
            }
        }
        Ok(got)
    }

    /// Drops what was written, resumable or not.
    pub fn discard(self) {
        if let Ingest::Resumable(p) = &self.ingest {
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Write for BlobWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl strata_core::copy::BlobSink for BlobWriter<'_> {
    fn resumed(&self) -> u64 {
        self.resumed
    }

    fn resumed_bytes(&self) -> Result<Box<dyn Read + Send>> {
        Ok(Box::new(BlobWriter::resumed_bytes(self)?))
    }

    fn sync_handle(&self) -> Option<File> {
        BlobWriter::sync_handle(self)
    }

    fn commit(self: Box<Self>, size: Option<u64>, digest: Option<&Digest>) -> Result<Digest> {
        BlobWriter::commit(*self, size, digest)
    }

    fn discard(self: Box<Self>) {
        BlobWriter::discard(*self)
    }
}

/// The store as the copy engine's destination: OCI media types exist for plain, gzip and zstd
/// layers only, so others are stored as their plain tar.
impl strata_core::copy::Sink for Store {
    fn describe(&self) -> String {
        strata_core::source::Source::describe(self)
    }

    fn has_blob(&self, d: &Digest) -> bool {
        Store::has_blob(self, d)
    }

    fn open_blob(&self, d: &Digest) -> Result<Box<dyn Read + Send>> {
        let m = strata_core::source::Source::open(
            self,
            &strata_core::source::Locator::Digest(d.clone()),
        )?;
        Ok(Box::new(m.reader))
    }

    fn blob_writer(
        &self,
        layer: &strata_core::image::ImageLayer,
        resumable: bool,
    ) -> Result<Box<dyn strata_core::copy::BlobSink + '_>> {
        // The copy engine's layer pass hashes every byte it hands the writer.
        Ok(match layer.blob.digest.as_ref().filter(|_| resumable) {
            Some(d) => Box::new(self.resume_blob_hashed_by_reader(d, layer.blob.size)?),
            None => Box::new(Store::blob_writer(self)?.hashed_by_reader()),
        })
    }

    fn layer_facts(&self, d: &Digest) -> Option<LayerStats> {
        self.blob_facts(d)
    }

    fn record_layer_facts(&self, s: &LayerStats) {
        self.record_blob_facts(s)
    }

    fn keeps(&self, c: strata_core::compression::Compression) -> bool {
        use strata_core::compression::Compression;
        matches!(c, Compression::None | Compression::Gzip | Compression::Zstd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ingest_files(s: &Store) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(s.ingest_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".lock"))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_committed_blob_is_verified_and_leaves_no_ingest_file() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), true).unwrap();
        let want = Digest::sha256_of(b"hello");
        let mut w = s.blob_writer().unwrap();
        w.write_all(b"hello").unwrap();
        assert_eq!(w.commit(Some(5), Some(&want)).unwrap(), want);
        assert!(s.has_blob(&want));
        assert!(ingest_files(&s).is_empty());
    }

    #[test]
    fn wrong_digest_or_size_is_refused_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), true).unwrap();
        let want = Digest::sha256_of(b"hello");
        let mut w = s.blob_writer().unwrap();
        w.write_all(b"hellO").unwrap();
        let e = w.commit(None, Some(&want)).unwrap_err();
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e}");
        let mut w = s.resume_blob(&want, Some(5)).unwrap();
        w.write_all(b"hell").unwrap();
        let e = w.commit(Some(5), Some(&want)).unwrap_err();
        assert!(matches!(e, Error::SizeMismatch { .. }), "{e}");
        assert!(!s.has_blob(&want));
        assert!(ingest_files(&s).is_empty(), "{:?}", ingest_files(&s));
    }

    #[test]
    fn an_interrupted_resumable_write_is_continued() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), true).unwrap();
        let want = Digest::sha256_of(b"hello world");
        {
            let mut w = s.resume_blob(&want, Some(11)).unwrap();
            w.write_all(b"hello").unwrap();
            w.flush().unwrap();
            // Dropped: interrupted.
        }
        let mut w = s.resume_blob(&want, Some(11)).unwrap();
        assert_eq!(w.resumed(), 5);
        let mut prefix = Vec::new();
        w.resumed_bytes().unwrap().read_to_end(&mut prefix).unwrap();
        assert_eq!(prefix, b"hello");
        w.write_all(b" world").unwrap();
        assert_eq!(w.commit(Some(11), Some(&want)).unwrap(), want);
        assert_eq!(std::fs::read(s.blob_path(&want)).unwrap(), b"hello world");
        assert!(ingest_files(&s).is_empty());
    }

    #[test]
    fn an_anonymous_write_dropped_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), true).unwrap();
        {
            let mut w = s.blob_writer().unwrap();
            w.write_all(b"half").unwrap();
        }
        assert!(ingest_files(&s).is_empty());
    }

    #[test]
    fn a_writer_hashed_by_its_reader_still_checks_size_and_needs_a_digest() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), true).unwrap();
        let want = Digest::sha256_of(b"hello");
        let mut w = s.blob_writer().unwrap().hashed_by_reader();
        w.write_all(b"hello").unwrap();
        assert!(matches!(
            w.commit(Some(6), Some(&want)).unwrap_err(),
            Error::SizeMismatch { .. }
        ));
        let mut w = s.blob_writer().unwrap().hashed_by_reader();
        w.write_all(b"hello").unwrap();
        assert!(w.commit(Some(5), None).is_err());
        let mut w = s.resume_blob_hashed_by_reader(&want, Some(5)).unwrap();
        w.write_all(b"hello").unwrap();
        assert_eq!(w.commit(Some(5), Some(&want)).unwrap(), want);
        assert!(s.has_blob(&want));
        assert!(ingest_files(&s).is_empty());
    }
}
