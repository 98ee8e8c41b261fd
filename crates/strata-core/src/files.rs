//! Named files inside an image container: a directory (OCI layout) or a tar archive
//! (`docker save` output, OCI archive), optionally gzip- or zstd-compressed as a whole.
//! Member names from manifests are untrusted: they are checked here, in one place.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write as _};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::facts_cache::Identity;
use crate::settings::Settings;

/// A readable member: a reader plus its size.
pub struct Member {
    /// The member's bytes.
    pub reader: Box<dyn ReadSeek + Send>,
    /// Its size in bytes.
    pub size: u64,
    /// Identifies these exact bytes on disk (file, inode, size, mtime, ctime, offset) for the
    /// layer-facts cache; `None` when the bytes cannot be identified cheaply.
    pub identity: Option<Identity>,
}

/// A string that changes whenever the file's content may have changed: device, inode, size,
/// modification and status-change times (ctime cannot be set back by unprivileged users).
pub fn file_identity(path: &Path, meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!(
        "{}|{}|{}|{}|{}.{}|{}.{}",
        path.display(),
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec()
    )
}

/// Read + Seek, as one object-safe trait.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// A set of named files (a directory or a tar archive).
pub trait Files: Send + Sync {
    /// Human-readable location, used in errors (`docker-archive:x.tar`).
    fn describe(&self) -> String;
    /// Opens the file at a relative, slash-separated path.
    fn open(&self, path: &str) -> Result<Member>;
    /// Whether a file exists at `path`.
    fn exists(&self, path: &str) -> bool;
}

/// Checks a member path from untrusted metadata and returns its normalised form.
pub fn clean_member_path(context: &str, path: &str) -> Result<String> {
    let unsafe_path = |reason: &str| Error::UnsafePath {
        what: context.to_string(),
        entry: path.to_string(),
        reason: reason.to_string(),
    };
    if path.starts_with('/') {
        return Err(unsafe_path("absolute path"));
    }
    if path.contains('\0') {
        return Err(unsafe_path("NUL byte in path"));
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(unsafe_path("path escapes the archive root")),
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err(unsafe_path("empty path"));
    }
    Ok(parts.join("/"))
}

/// A directory on disk.
pub struct DirFiles {
    root: PathBuf,
    canonical_root: PathBuf,
    label: String,
}

impl DirFiles {
    /// Opens a directory; `label` is used in error messages.
    pub fn new(root: &Path, label: String) -> Result<DirFiles> {
        let canonical_root = root.canonicalize().map_err(|e| Error::io(root, e))?;
        if !canonical_root.is_dir() {
            return Err(Error::InvalidInput(format!(
                "{}: not a directory",
                root.display()
            )));
        }
        Ok(DirFiles {
            root: root.to_path_buf(),
            canonical_root,
            label,
        })
    }

    fn resolve(&self, path: &str) -> Result<PathBuf> {
        let rel = clean_member_path(&self.label, path)?;
        let full = self.root.join(&rel);
        let canonical = full.canonicalize().map_err(|e| Error::io(&full, e))?;
        if !canonical.starts_with(&self.canonical_root) {
            return Err(Error::UnsafePath {
                what: self.label.clone(),
                entry: path.to_string(),
                reason: "symlink resolves outside the layout directory".to_string(),
            });
        }
        Ok(canonical)
    }
}

impl Files for DirFiles {
    fn describe(&self) -> String {
        self.label.clone()
    }
    fn open(&self, path: &str) -> Result<Member> {
        use std::os::unix::fs::OpenOptionsExt;
        let p = self.resolve(path)?;
        let not_regular = || Error::malformed(p.display().to_string(), "not a regular file");
        // A FIFO or device would block (or do worse) on open: refuse what is not a regular
        // file before opening it, and open without blocking in case it was swapped since.
        if !std::fs::metadata(&p)
            .map_err(|e| Error::io(&p, e))?
            .is_file()
        {
            return Err(not_regular());
        }
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(&p)
            .map_err(|e| Error::io(&p, e))?;
        let meta = f.metadata().map_err(|e| Error::io(&p, e))?;
        if !meta.is_file() {
            return Err(Error::malformed(
                p.display().to_string(),
                "not a regular file",
            ));
        }
        Ok(Member {
            reader: Box::new(f),
            size: meta.len(),
            identity: Some(Identity::File(file_identity(&p, &meta))),
        })
    }
    fn exists(&self, path: &str) -> bool {
        self.resolve(path).map(|p| p.is_file()).unwrap_or(false)
    }
}

#[derive(Debug, Clone)]
enum Entry {
    File { offset: u64, size: u64 },
    Symlink { target: String },
    Hardlink { target: String },
    Other,
}

/// A tar archive on disk, indexed once by scanning its headers.
pub struct TarFiles {
    file: Arc<File>,
    entries: HashMap<String, Entry>,
    label: String,
    identity: Option<Identity>,
}

impl TarFiles {
    /// Opens and indexes a tar file (plain, or compressed as a whole: decompressed into the
    /// cache `settings` name, under its layer ceiling).
    pub fn open(path: &Path, label: String, settings: &Settings) -> Result<TarFiles> {
        let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
        let meta = f.metadata().map_err(|e| Error::io(path, e))?;
        let identity = path
            .canonicalize()
            .ok()
            .map(|abs| Identity::File(file_identity(&abs, &meta)));
        if meta.is_dir() {
            return Err(Error::InvalidInput(format!(
                "{}: is a directory, not an archive",
                path.display()
            )));
        }
        let mut magic = [0u8; 8];
        let n = read_full(&mut f, &mut magic).map_err(|e| Error::io(path, e))?;
        f.seek(SeekFrom::Start(0)).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            return Err(Error::malformed(path.display().to_string(), "empty file"));
        }
        let compression = crate::compression::Compression::sniff(&magic[..n]);
        let file = if compression == crate::compression::Compression::None {
            f
        } else {
            decompressed_archive(path, &meta, f, compression, settings)?
        };
        let entries = index_tar(&file, &label)?;
        Ok(TarFiles {
            file: Arc::new(file),
            entries,
            label,
            identity,
        })
    }

    fn lookup(&self, path: &str, depth: usize) -> Result<(u64, u64)> {
        let clean = clean_member_path(&self.label, path)?;
        let not_found = || Error::NotFound {
            what: format!("{}: member {clean:?}", self.label),
        };
        if depth > 16 {
            return Err(Error::malformed(
                format!("{}: member {clean:?}", self.label),
                "too many levels of links",
            ));
        }
        match self.entries.get(&clean) {
            Some(Entry::File { offset, size }) => Ok((*offset, *size)),
            Some(Entry::Symlink { target }) => {
                let base = match clean.rfind('/') {
                    Some(i) => &clean[..i],
                    None => "",
                };
                if target.starts_with('/') {
                    return Err(Error::UnsafePath {
                        what: self.label.clone(),
                        entry: clean.clone(),
                        reason: format!("symlink to absolute path {target:?}"),
                    });
                }
                let joined = if base.is_empty() {
                    target.clone()
                } else {
                    format!("{base}/{target}")
                };
                let resolved = normalize_dots(&joined).ok_or_else(|| Error::UnsafePath {
                    what: self.label.clone(),
                    entry: clean.clone(),
                    reason: format!("symlink {target:?} escapes the archive root"),
                })?;
                self.lookup(&resolved, depth + 1)
            }
            Some(Entry::Hardlink { target }) => self.lookup(target, depth + 1),
            Some(Entry::Other) => Err(Error::malformed(
                format!("{}: member {clean:?}", self.label),
                "not a regular file",
            )),
            None => Err(not_found()),
        }
    }
}

fn normalize_dots(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Decompressed copies of compressed archives are kept this many at a time.
const KEEP_ARCHIVES: usize = 8;

/// Copies what is read to a writer as well.
struct Tee<R, W> {
    inner: R,
    out: W,
}

impl<R: Read, W: io::Write> Read for Tee<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// A compressed archive (`docker save | gzip`, `.tar.xz`, …) decompressed once: into the
/// user's cache, keyed by the compressed file's identity, so later commands read the plain
/// tar directly. The copy is written as an unnamed file and linked into place only when
/// complete, so a killed run leaves nothing behind (neither there nor in TMPDIR). The
/// decompression is bounded as a layer is: by the layer ceiling, and by what the tar holds
/// (a stream that goes on after the end-of-archive blocks is a bomb).
fn decompressed_archive(
    path: &Path,
    meta: &std::fs::Metadata,
    f: File,
    compression: crate::compression::Compression,
    settings: &Settings,
) -> Result<File> {
    let label = path.display().to_string();
    let cache = crate::facts_cache::FactsCache::for_settings(settings).sibling("archives");
    let key = path
        .canonicalize()
        .ok()
        .map(|abs| crate::digest::Digest::sha256_of(file_identity(&abs, meta).as_bytes()));
    if let (Some(dir), Some(key)) = (&cache, &key) {
        if let Some(hit) = cached_archive(dir, key.hex()) {
            return Ok(hit);
        }
    }
    let dir = cache
        .as_ref()
        .filter(|d| std::fs::create_dir_all(d).is_ok())
        .cloned()
        .unwrap_or_else(std::env::temp_dir);
    let mut out = tempfile::tempfile_in(&dir).map_err(|e| Error::io(&dir, e))?;
    let max = settings.max_layer_bytes;
    let dec = compression
        .decoder(Box::new(io::BufReader::with_capacity(1 << 18, f)))
        .map_err(|e| crate::layer::read_err(&label, e))?;
    let mut tee = Tee {
        inner: dec.take(max + 1),
        out: io::BufWriter::with_capacity(1 << 20, &mut out),
    };
    {
        // Walk the headers as the bytes stream past (bodies are skipped by reading them).
        let mut archive = tar::Archive::new(&mut tee);
        let bad =
            |e: io::Error| crate::layer::read_err(&format!("{label}: invalid tar archive"), e);
        for entry in archive.entries().map_err(bad)? {
            entry.map_err(bad)?;
        }
    }
    let after = io::copy(
        &mut (&mut tee).take(crate::layer::MAX_TRAILING_BYTES + 1),
        &mut io::sink(),
    )
    .map_err(|e| crate::layer::read_err(&label, e))?;
    if after > crate::layer::MAX_TRAILING_BYTES {
        return Err(Error::malformed(
            &label,
            "decompression bomb: data goes on after the end of the tar archive",
        ));
    }
    if tee.inner.limit() == 0 {
        return Err(Error::LimitExceeded {
            what: format!("{label}: decompressed archive"),
            limit: format!("{max} bytes (raise it with --max-layer-size or STRATA_MAX_LAYER_SIZE)"),
        });
    }
    tee.out.flush().map_err(|e| Error::io(&dir, e))?;
    drop(tee);
    let len = out.metadata().map_err(|e| Error::io(&dir, e))?.len();
    if let (Some(cdir), Some(key)) = (&cache, &key) {
        keep_archive(&out, cdir, key.hex(), len);
    }
    out.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(&dir, e))?;
    Ok(out)
}

fn archive_name(key: &str, len: u64) -> String {
    format!("{key}-{len}.tar")
}

/// A complete decompressed copy for this key, if the cache holds one (its length is in
/// its name, so a copy cut short by a crash is a miss).
fn cached_archive(dir: &Path, key: &str) -> Option<File> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let name = e.file_name().into_string().ok()?;
        let Some(rest) = name.strip_prefix(key).and_then(|r| r.strip_prefix('-')) else {
            continue;
        };
        let len: u64 = rest.strip_suffix(".tar")?.parse().ok()?;
        let f = File::open(e.path()).ok()?;
        if f.metadata().ok()?.len() != len {
            let _ = std::fs::remove_file(e.path());
            return None;
        }
        // Mark it as recently used, for the eviction below.
        let _ = f.set_modified(std::time::SystemTime::now());
        return Some(f);
    }
    None
}

/// Links the unnamed, complete copy into the cache (best effort) and evicts the oldest.
fn keep_archive(f: &File, dir: &Path, key: &str, len: u64) {
    use std::os::fd::AsRawFd;
    let proc = PathBuf::from(format!("/proc/self/fd/{}", f.as_raw_fd()));
    let linked = rustix::fs::linkat(
        rustix::fs::CWD,
        &proc,
        rustix::fs::CWD,
        dir.join(archive_name(key, len)),
        rustix::fs::AtFlags::SYMLINK_FOLLOW,
    );
    if linked.is_err() {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut all: Vec<(std::time::SystemTime, PathBuf)> = rd
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if all.len() > KEEP_ARCHIVES {
        all.sort();
        for (_, p) in &all[..all.len() - KEEP_ARCHIVES] {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn index_tar(file: &File, label: &str) -> Result<HashMap<String, Entry>> {
    use crate::layer::tar::TarReader;
    let total = file.metadata().map_err(|e| Error::io(label, e))?.len();
    let reader = io::BufReader::with_capacity(64 * 1024, file);
    // Bodies are skipped with a seek; headers are read as Go reads them (capped).
    let mut archive = TarReader::with_skipper(
        reader,
        Box::new(|r: &mut io::BufReader<&File>, n: u64| {
            r.seek_relative(i64::try_from(n).map_err(|_| io::Error::other("seek too far"))?)
        }),
    );
    let bad = |e: io::Error| Error::malformed(label, format!("invalid tar archive: {e}"));
    let mut entries = HashMap::new();
    let mut count = 0usize;
    while let Some(h) = archive.next_header().map_err(bad)? {
        count += 1;
        let name = String::from_utf8_lossy(&h.name).into_owned();
        let Some(clean) = normalize_dots(&name) else {
            // A member outside the root can never be asked for; skip it.
            continue;
        };
        let offset = archive.position();
        let size = h.size;
        if offset.saturating_add(size) > total {
            return Err(Error::malformed(
                label,
                format!("truncated archive: member {name:?} extends past the end of the file"),
            ));
        }
        let link = || String::from_utf8_lossy(&h.linkname).into_owned();
        let e = match h.typeflag {
            b'0' | b'7' => Entry::File { offset, size },
            b'2' => Entry::Symlink { target: link() },
            b'1' => Entry::Hardlink { target: link() },
            _ => Entry::Other,
        };
        entries.insert(clean, e);
    }
    if count == 0 {
        return Err(Error::malformed(label, "not a tar archive (no entries)"));
    }
    Ok(entries)
}

impl Files for TarFiles {
    fn describe(&self) -> String {
        self.label.clone()
    }
    fn open(&self, path: &str) -> Result<Member> {
        let (offset, size) = self.lookup(path, 0)?;
        Ok(Member {
            reader: Box::new(Section {
                file: self.file.clone(),
                start: offset,
                len: size,
                pos: 0,
            }),
            size,
            identity: self.identity.as_ref().map(|i| i.section(offset, size)),
        })
    }
    fn exists(&self, path: &str) -> bool {
        self.lookup(path, 0).is_ok()
    }
}

/// A window of a shared file, read with `pread` so readers on several threads do not interfere.
struct Section {
    file: Arc<File>,
    start: u64,
    len: u64,
    pos: u64,
}

impl Read for Section {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        if left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.file.read_at(&mut buf[..want], self.start + self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive member is truncated",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Section {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let new = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match new {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before start",
            )),
        }
    }
}

/// Reads a small JSON member with a size cap.
pub fn read_capped(files: &dyn Files, path: &str, cap: u64) -> Result<Vec<u8>> {
    let m = files.open(path)?;
    read_member_capped(m, &format!("{}: {path}", files.describe()), cap)
}

/// Reads an opened member fully, refusing members over `cap` bytes.
pub fn read_member_capped(m: Member, what: &str, cap: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    if m.size > cap {
        return Err(Error::LimitExceeded {
            what: what.to_string(),
            limit: format!("{cap} bytes"),
        });
    }
    let mut buf = Vec::with_capacity(usize::try_from(m.size).unwrap_or(0));
    m.reader
        .take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::Read {
            what: what.to_string(),
            source: e,
        })?;
    if buf.len() as u64 > cap {
        return Err(Error::LimitExceeded {
            what: what.to_string(),
            limit: format!("{cap} bytes"),
        });
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_are_checked() {
        assert_eq!(
            clean_member_path("x", "./a//b/./c").ok().as_deref(),
            Some("a/b/c")
        );
        for bad in ["/etc/passwd", "../x", "a/../../x", "a/..", "", ".", "a\0b"] {
            assert!(clean_member_path("x", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dots_normalise_without_escaping() {
        assert_eq!(normalize_dots("a/b/../c").as_deref(), Some("a/c"));
        assert_eq!(normalize_dots("a/../../c"), None);
    }
}
