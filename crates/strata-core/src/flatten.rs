//! The merged filesystem written out: as a tar in `docker export`'s order, into a directory
//! (`unpack`), or one file's bytes (`cat`). File bodies are pulled out of the layers once,
//! in parallel, into temporary spool files (never held in memory), then written in the order
//! the output needs.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::image::Image;
use crate::tree::{self, Kind, Node, Tree};

/// Where each wanted entry's bytes are: (layer, ordinal) → (offset, length) in that layer's
/// spool file.
type LayerSpool = (Option<File>, Vec<((usize, u64), (u64, u64))>);

/// File bodies of an image, spooled to temporary files.
pub struct Spool {
    files: Vec<Option<File>>,
    at: HashMap<(usize, u64), (u64, u64)>,
}

fn missing(src: (usize, u64)) -> Error {
    Error::NotFound {
        what: format!("content of layer {} entry {}", src.0, src.1),
    }
}

impl Spool {
    /// Reads every layer holding a wanted body (in parallel) and spools those bodies.
    pub fn fill(image: &Image, wanted: &HashSet<(usize, u64)>) -> Result<Spool> {
        let n = image.layers.len();
        let results: Vec<Result<LayerSpool>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    s.spawn(move || -> Result<LayerSpool> {
                        if !wanted.iter().any(|(l, _)| *l == i) {
                            return Ok((None, Vec::new()));
                        }
                        let l = &image.layers[i];
                        let what = format!("{}: layer {}", image.source().describe(), l.diff_id);
                        let m = image.source().open(&l.blob.locator)?;
                        let tmp = std::env::temp_dir();
                        let mut f = tempfile::tempfile().map_err(|e| Error::io(&tmp, e))?;
                        let mut pos = 0u64;
                        let mut got = Vec::new();
                        tree::for_each_body(
                            &what,
                            m.reader,
                            &|o| wanted.contains(&(i, o)),
                            &mut |o, r| {
                                let k = io::copy(r, &mut f).map_err(|e| Error::Read {
                                    what: what.clone(),
                                    source: e,
                                })?;
                                got.push(((i, o), (pos, k)));
                                pos += k;
                                Ok(())
                            },
                        )?;
                        Ok((Some(f), got))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(Error::InvalidInput("a spool thread panicked".into()))
                    })
                })
                .collect()
        });
        let mut files = Vec::with_capacity(n);
        let mut at = HashMap::new();
        for r in results {
            let (f, got) = r?;
            files.push(f);
            at.extend(got);
        }
        Ok(Spool { files, at })
    }

    /// A reader over one spooled body.
    pub fn reader(&self, src: (usize, u64)) -> Result<SpoolReader<'_>> {
        let &(off, len) = self.at.get(&src).ok_or_else(|| missing(src))?;
        let Some(Some(file)) = self.files.get(src.0) else {
            return Err(missing(src));
        };
        Ok(SpoolReader {
            file,
            off,
            left: len,
        })
    }
}

/// One spooled body, read with `pread`.
pub struct SpoolReader<'a> {
    file: &'a File,
    off: u64,
    left: u64,
}

impl Read for SpoolReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        if k == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..k], self.off)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.off += n as u64;
        self.left -= n as u64;
        Ok(n)
    }
}

/// The bodies a tree's regular files need.
pub fn content_sources(t: &Tree) -> HashSet<(usize, u64)> {
    t.iter()
        .filter(|(_, (n, _))| n.kind == Kind::File && n.size > 0)
        .map(|(_, (n, _))| n.source)
        .collect()
}

fn bytes_path(p: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(p))
}

fn write_err(e: io::Error) -> Error {
    Error::Read {
        what: "writing the output".into(),
        source: e,
    }
}

/// Writes a regular file's bytes (after resolving `path` inside the image) to `out`.
pub fn cat(image: &Image, t: &Tree, path: &str, out: &mut dyn Write) -> Result<u64> {
    let p = t.resolve(path.as_bytes())?;
    let (n, _) = t.get(&p).ok_or_else(|| Error::NotFound {
        what: format!("{path} in {}", image.source().describe()),
    })?;
    if n.kind != Kind::File {
        return Err(Error::InvalidInput(format!(
            "{path}: not a regular file (type {})",
            n.kind.letter()
        )));
    }
    if n.size == 0 {
        return Ok(0);
    }
    let mut wanted = HashSet::new();
    wanted.insert(n.source);
    let spool = Spool::fill(image, &wanted)?;
    io::copy(&mut spool.reader(n.source)?, out).map_err(write_err)
}

/// Writes the merged filesystem as a tar: entries in `filepath.Walk` order (docker export's),
/// directories with a trailing `/`, a hardlinked file's data on its first path.
pub fn export(image: &Image, t: &Tree, out: &mut dyn Write) -> Result<()> {
    let spool = Spool::fill(image, &content_sources(t))?;
    let mut b = tar::Builder::new(out);
    let mut first_path: HashMap<u64, Vec<u8>> = HashMap::new();
    for p in t.walk_order() {
        let Some((n, _)) = t.get(p) else { continue };
        let mut h = tar::Header::new_gnu();
        h.set_mode(n.mode);
        h.set_uid(n.uid);
        h.set_gid(n.gid);
        h.set_mtime(u64::try_from(n.mtime).unwrap_or(0));
        h.set_size(0);
        let mut name = p.clone();
        if !n.xattrs.is_empty() {
            let recs: Vec<(String, &[u8])> = n
                .xattrs
                .iter()
                .map(|(k, v)| (format!("SCHILY.xattr.{k}"), v.as_slice()))
                .collect();
            b.append_pax_extensions(recs.iter().map(|(k, v)| (k.as_str(), *v)))
                .map_err(write_err)?;
        }
        match n.kind {
            Kind::Dir => {
                name.push(b'/');
                h.set_entry_type(tar::EntryType::Directory);
                b.append_data(&mut h, bytes_path(&name), io::empty())
                    .map_err(write_err)?;
            }
            Kind::File => {
                if let Some(first) = first_path.get(&n.inode) {
                    h.set_entry_type(tar::EntryType::Link);
                    b.append_link(&mut h, bytes_path(&name), bytes_path(first))
                        .map_err(write_err)?;
                    continue;
                }
                first_path.insert(n.inode, name.clone());
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(n.size);
                if n.size == 0 {
                    b.append_data(&mut h, bytes_path(&name), io::empty())
                        .map_err(write_err)?;
                } else {
                    let r = spool.reader(n.source)?;
                    b.append_data(&mut h, bytes_path(&name), r)
                        .map_err(write_err)?;
                }
            }
            Kind::Symlink => {
                h.set_entry_type(tar::EntryType::Symlink);
                b.append_link(&mut h, bytes_path(&name), bytes_path(&n.link))
                    .map_err(write_err)?;
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                h.set_entry_type(match n.kind {
                    Kind::Char => tar::EntryType::Char,
                    Kind::Block => tar::EntryType::Block,
                    _ => tar::EntryType::Fifo,
                });
                h.set_device_major(n.dev.0).map_err(write_err)?;
                h.set_device_minor(n.dev.1).map_err(write_err)?;
                b.append_data(&mut h, bytes_path(&name), io::empty())
                    .map_err(write_err)?;
            }
        }
    }
    let out = b.into_inner().map_err(write_err)?;
    out.flush().map_err(write_err)
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags};
use std::os::fd::OwnedFd;

/// Creates entries strictly beneath one directory: every parent is opened with `openat2`
/// and `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, every entry is made relative to that handle,
/// so even a directory swapped for a symlink while unpacking cannot redirect a write.
struct Beneath {
    root: OwnedFd,
    shown: PathBuf,
}

fn split(rel: &[u8]) -> (&[u8], &[u8]) {
    match rel.iter().rposition(|&b| b == b'/') {
        Some(i) => (&rel[..i], &rel[i + 1..]),
        None => (b"", rel),
    }
}

impl Beneath {
    fn err(&self, rel: &[u8], e: rustix::io::Errno) -> Error {
        Error::io(self.shown.join(bytes_path(rel)), e.into())
    }

    fn dir(&self, rel: &[u8]) -> Result<OwnedFd> {
        let path: &[u8] = if rel.is_empty() { b"." } else { rel };
        rustix::fs::openat2(
            &self.root,
            bytes_path(path),
            OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS,
        )
        .map_err(|e| self.err(rel, e))
    }

    fn parent(&self, rel: &[u8]) -> Result<(OwnedFd, PathBuf)> {
        let (dir, name) = split(rel);
        Ok((self.dir(dir)?, bytes_path(name)))
    }

    /// Owner, mode and times of an entry, never following a symlink.
    fn meta(&self, rel: &[u8], n: &Node, privileged: bool) -> Result<()> {
        let (pfd, name) = self.parent(rel)?;
        if privileged {
            rustix::fs::chownat(
                &pfd,
                &name,
                u32::try_from(n.uid).ok().map(rustix::fs::Uid::from_raw),
                u32::try_from(n.gid).ok().map(rustix::fs::Gid::from_raw),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(|e| self.err(rel, e))?;
        }
        if n.kind != Kind::Symlink {
            rustix::fs::chmodat(&pfd, &name, Mode::from_raw_mode(n.mode), AtFlags::empty())
                .map_err(|e| self.err(rel, e))?;
        }
        let t = rustix::fs::Timespec {
            tv_sec: n.mtime,
            tv_nsec: 0,
        };
        let _ = rustix::fs::utimensat(
            &pfd,
            &name,
            &rustix::fs::Timestamps {
                last_access: t,
                last_modification: t,
            },
            AtFlags::SYMLINK_NOFOLLOW,
        );
        Ok(())
    }
}

/// Writes the merged filesystem into `root`, which must be absent or empty. Parents come
/// from the tree (which refuses entries under a symlink) and are opened beneath `root`
/// without following any symlink, so nothing can land outside it. Device nodes are made
/// only with the privilege to; otherwise skipped, as rootless umoci does.
pub fn unpack(image: &Image, t: &Tree, root: &Path) -> Result<()> {
    if root.exists() {
        let mut rd = std::fs::read_dir(root).map_err(|e| Error::io(root, e))?;
        if rd.next().is_some() {
            return Err(Error::InvalidInput(format!(
                "{}: directory is not empty",
                root.display()
            )));
        }
    } else {
        std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
    }
    let root_fd = rustix::fs::open(
        root,
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io(root, e.into()))?;
    let b = Beneath {
        root: root_fd,
        shown: root.to_path_buf(),
    };
    let spool = Spool::fill(image, &content_sources(t))?;
    let privileged = is_root();
    let mut first_path: HashMap<u64, &Vec<u8>> = HashMap::new();
    let mut dirs: Vec<(&Vec<u8>, &Node)> = Vec::new();
    for p in t.walk_order() {
        let Some((n, _)) = t.get(p) else { continue };
        let (pfd, name) = b.parent(p)?;
        match n.kind {
            Kind::Dir => {
                rustix::fs::mkdirat(&pfd, &name, Mode::from_raw_mode(0o700))
                    .map_err(|e| b.err(p, e))?;
                dirs.push((p, n));
                continue;
            }
            Kind::File => {
                if let Some(first) = first_path.get(&n.inode) {
                    let (ofd, oname) = b.parent(first)?;
                    rustix::fs::linkat(&ofd, &oname, &pfd, &name, AtFlags::empty())
                        .map_err(|e| b.err(p, e))?;
                    continue;
                }
                let fd = rustix::fs::openat(
                    &pfd,
                    &name,
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )
                .map_err(|e| b.err(p, e))?;
                let mut f = File::from(fd);
                if n.size > 0 {
                    io::copy(&mut spool.reader(n.source)?, &mut f)
                        .map_err(|e| Error::io(root.join(bytes_path(p)), e))?;
                }
                first_path.insert(n.inode, p);
            }
            Kind::Symlink => {
                rustix::fs::symlinkat(bytes_path(&n.link), &pfd, &name).map_err(|e| b.err(p, e))?;
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                let file_type = match n.kind {
                    Kind::Char => rustix::fs::FileType::CharacterDevice,
                    Kind::Block => rustix::fs::FileType::BlockDevice,
                    _ => rustix::fs::FileType::Fifo,
                };
                let made = rustix::fs::mknodat(
                    &pfd,
                    &name,
                    file_type,
                    Mode::from_raw_mode(n.mode),
                    rustix::fs::makedev(n.dev.0, n.dev.1),
                );
                if made.is_err() {
                    continue;
                }
            }
        }
        b.meta(p, n, privileged)?;
    }
    // Directories last, deepest first, so adding entries does not disturb their times.
    for (d, n) in dirs.iter().rev() {
        b.meta(d, n, privileged)?;
    }
    Ok(())
}
