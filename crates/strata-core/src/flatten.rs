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

fn set_meta(dest: &Path, n: &Node, root: bool) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if root {
        std::os::unix::fs::lchown(dest, u32::try_from(n.uid).ok(), u32::try_from(n.gid).ok())
            .map_err(|e| Error::io(dest, e))?;
    }
    if n.kind != Kind::Symlink {
        std::fs::set_permissions(dest, std::fs::Permissions::from_mode(n.mode))
            .map_err(|e| Error::io(dest, e))?;
    }
    if matches!(n.kind, Kind::File | Kind::Dir) {
        let t = std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(u64::try_from(n.mtime).unwrap_or(0));
        if let Ok(f) = File::options().read(true).open(dest) {
            let _ = f.set_times(std::fs::FileTimes::new().set_modified(t).set_accessed(t));
        }
    }
    Ok(())
}

/// Writes the merged filesystem into `root`, which must be absent or empty. Every path comes
/// from the tree, whose parents are directories this function created itself (the tree
/// refuses entries under a symlink), so no write can follow a link out of `root`. Device
/// nodes are made only with the privilege to; otherwise skipped, as rootless umoci does.
pub fn unpack(image: &Image, t: &Tree, root: &Path) -> Result<()> {
    use std::os::unix::fs::symlink;
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
    let spool = Spool::fill(image, &content_sources(t))?;
    let privileged = is_root();
    let mut first_path: HashMap<u64, PathBuf> = HashMap::new();
    let mut dirs: Vec<(PathBuf, &Node)> = Vec::new();
    for p in t.walk_order() {
        let Some((n, _)) = t.get(p) else { continue };
        let dest = root.join(bytes_path(p));
        match n.kind {
            Kind::Dir => {
                std::fs::create_dir(&dest).map_err(|e| Error::io(&dest, e))?;
                dirs.push((dest, n));
                continue;
            }
            Kind::File => {
                if let Some(first) = first_path.get(&n.inode) {
                    std::fs::hard_link(first, &dest).map_err(|e| Error::io(&dest, e))?;
                    continue;
                }
                let mut f = File::options()
                    .write(true)
                    .create_new(true)
                    .open(&dest)
                    .map_err(|e| Error::io(&dest, e))?;
                if n.size > 0 {
                    io::copy(&mut spool.reader(n.source)?, &mut f)
                        .map_err(|e| Error::io(&dest, e))?;
                }
                first_path.insert(n.inode, dest.clone());
            }
            Kind::Symlink => {
                symlink(bytes_path(&n.link), &dest).map_err(|e| Error::io(&dest, e))?;
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                let file_type = match n.kind {
                    Kind::Char => rustix::fs::FileType::CharacterDevice,
                    Kind::Block => rustix::fs::FileType::BlockDevice,
                    _ => rustix::fs::FileType::Fifo,
                };
                let made = rustix::fs::mknodat(
                    rustix::fs::CWD,
                    &dest,
                    file_type,
                    rustix::fs::Mode::from_raw_mode(n.mode),
                    rustix::fs::makedev(n.dev.0, n.dev.1),
                );
                if made.is_err() {
                    continue;
                }
            }
        }
        set_meta(&dest, n, privileged)?;
    }
    // Directories last, deepest first, so adding entries does not disturb their times.
    for (d, n) in dirs.iter().rev() {
        set_meta(d, n, privileged)?;
    }
    Ok(())
}
