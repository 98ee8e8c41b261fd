//! The merged filesystem written out: as a tar in `docker export`'s form, into a directory
//! (`unpack`), or one file's bytes (`cat`). File bodies come out of a verifying pass of the
//! layer interpreter into temporary spool files (never held in memory); each body is checked
//! against the digest the index recorded for it, and the layer's digest and diff ID are checked
//! before anything is written, so nothing unverified leaves.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::error::{Error, Result};
use crate::image::Image;
use crate::layer::{Entry, Op, Visitor};
use crate::tree::{Kind, Node, Tree};

/// The bodies wanted: (layer, ordinal) → the SHA-256 the index recorded.
pub type Wanted = HashMap<(usize, u64), [u8; 32]>;

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

/// Spools the wanted bodies of one layer while the interpreter reads it.
struct SpoolVisitor<'w> {
    what: String,
    layer: usize,
    wanted: &'w Wanted,
    out: io::BufWriter<File>,
    pos: u64,
    got: Vec<((usize, u64), (u64, u64))>,
    cur: Option<Body>,
}

/// The body being spooled: ordinal, the digest it must have, its hash so far, where it
/// starts in the spool, and its path (for the error).
type Body = (u64, [u8; 32], sha2::Sha256, u64, Vec<u8>);

impl Visitor for SpoolVisitor<'_> {
    fn entry(&mut self, e: &Entry<'_>) -> Result<bool> {
        if e.op != Op::Put || e.kind != crate::layer::Kind::File {
            return Ok(false);
        }
        match self.wanted.get(&(self.layer, e.ordinal)) {
            Some(d) => {
                self.cur = Some((
                    e.ordinal,
                    *d,
                    sha2::Sha256::new(),
                    self.pos,
                    e.path.to_vec(),
                ));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn body(&mut self, chunk: &[u8]) -> Result<()> {
        if let Some((_, _, h, _, _)) = self.cur.as_mut() {
            h.update(chunk);
            self.out.write_all(chunk).map_err(|e| Error::Read {
                what: "writing the spool".into(),
                source: e,
            })?;
            self.pos += chunk.len() as u64;
        }
        Ok(())
    }

    fn body_end(&mut self) -> Result<()> {
        if let Some((ordinal, want, h, start, path)) = self.cur.take() {
            let got: [u8; 32] = h.finalize().into();
            if got != want {
                return Err(Error::DigestMismatch {
                    what: format!("{}: /{}", self.what, String::from_utf8_lossy(&path)),
                    expected: format!("sha256:{}", hex::encode(want)),
                    actual: format!("sha256:{}", hex::encode(got)),
                });
            }
            self.got
                .push(((self.layer, ordinal), (start, self.pos - start)));
        }
        Ok(())
    }
}

impl Spool {
    /// Reads every layer holding a wanted body through the layer interpreter (a bounded
    /// number at a time), verifying each body and each layer, and spools those bodies.
    pub fn fill(image: &Image, wanted: &Wanted) -> Result<Spool> {
        let n = image.layers.len();
        let layers: Vec<usize> = (0..n)
            .filter(|i| wanted.keys().any(|(l, _)| l == i))
            .collect();
        let filled = crate::pool::run(layers.len(), crate::pool::layer_threads(), |k| {
            let i = layers[k];
            let tmp = std::env::temp_dir();
            let f = tempfile::tempfile().map_err(|e| Error::io(&tmp, e))?;
            let mut v = SpoolVisitor {
                what: format!(
                    "{}: layer {}",
                    image.source().describe(),
                    image.layers[i].diff_id
                ),
                layer: i,
                wanted,
                out: io::BufWriter::with_capacity(1 << 20, f),
                pos: 0,
                got: Vec::new(),
                cur: None,
            };
            image.read_layer(i, &mut [&mut v])?;
            let f = v
                .out
                .into_inner()
                .map_err(|e| Error::io(&tmp, e.into_error()))?;
            Ok((i, f, v.got))
        })?;
        let mut files: Vec<Option<File>> = (0..n).map(|_| None).collect();
        let mut at = HashMap::new();
        for (i, f, got) in filled {
            files[i] = Some(f);
            at.extend(got);
        }
        for src in wanted.keys() {
            if !at.contains_key(src) {
                return Err(missing(*src));
            }
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

    /// A small spooled body, whole (for /etc/passwd and /etc/group).
    fn read_small(&self, src: (usize, u64), cap: u64) -> Option<Vec<u8>> {
        let mut v = Vec::new();
        self.reader(src).ok()?.take(cap).read_to_end(&mut v).ok()?;
        Some(v)
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

/// The bodies a tree's regular files need, with the digests their indexes recorded.
pub fn content_sources(t: &Tree<'_>) -> Result<Wanted> {
    let mut w = Wanted::new();
    for (p, it) in t.iter() {
        if it.node.kind != Kind::File || it.node.size == 0 {
            continue;
        }
        let Some(d) = it.node.digest else {
            return Err(Error::malformed(
                format!("/{}", String::from_utf8_lossy(p)),
                "no content digest in the layer index",
            ));
        };
        w.insert(it.source(), *d);
    }
    Ok(w)
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
pub fn cat(image: &Image, t: &Tree<'_>, path: &str, out: &mut dyn Write) -> Result<u64> {
    let p = t.resolve(path.as_bytes())?;
    let it = t.get(&p).ok_or_else(|| Error::NotFound {
        what: format!("{path} in {}", image.source().describe()),
    })?;
    if it.node.kind != Kind::File {
        return Err(Error::InvalidInput(format!(
            "{path}: not a regular file (type {})",
            it.node.kind.letter()
        )));
    }
    if it.node.size == 0 {
        return Ok(0);
    }
    let Some(d) = it.node.digest else {
        return Err(Error::malformed(
            path,
            "no content digest in the layer index",
        ));
    };
    let mut wanted = Wanted::new();
    wanted.insert(it.source(), *d);
    let spool = Spool::fill(image, &wanted)?;
    io::copy(&mut spool.reader(it.source())?, out).map_err(write_err)
}

/// Names for ids, as `docker export` finds them (all checked on the daemon with images that
/// name ids otherwise, or not at all): it runs chrooted into the container's filesystem and
/// asks Go's `os/user`, which reads the image's own `/etc/passwd` and `/etc/group` (first
/// matching line, Go's parsing rules). Three answers do not come from the image: uid 0 is
/// always `root` (`user.LookupId` answers the daemon's own uid from the user it cached before
/// the chroot), and when the image does not name them, gid 0 is `root` and uid/gid 65534 are
/// `nobody`/`nogroup` (the synthetic records of Debian's systemd NSS module, which the
/// daemon's libc still consults).
struct Names {
    passwd: Vec<u8>,
    group: Vec<u8>,
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

/// Go's `os/user` line matchers: `name:x:uid:gid:gecos:home[:shell]` (at least six colons)
/// and `name:x:gid:members` (at least three); the id compared as text; names starting with
/// `+` or `-` (NIS) skipped; comment lines skipped.
fn lookup(file: &[u8], id: u32, group: bool) -> Option<String> {
    let want = id.to_string();
    let (min_colons, fields) = if group { (3, 4) } else { (6, 7) };
    for line in file.split(|&b| b == b'\n') {
        let line = line.trim_ascii_start();
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        if line.iter().filter(|&&b| b == b':').count() < min_colons {
            continue;
        }
        let f: Vec<&[u8]> = line.splitn(fields, |&b| b == b':').collect();
        if f[0].is_empty() || f[0][0] == b'+' || f[0][0] == b'-' || f[2] != want.as_bytes() {
            continue;
        }
        let numeric = |b: &[u8]| std::str::from_utf8(b).is_ok_and(|s| s.parse::<i64>().is_ok());
        if !group && !numeric(f[3]) {
            continue;
        }
        return Some(String::from_utf8_lossy(f[0]).into_owned());
    }
    None
}

impl Names {
    fn of(t: &Tree<'_>, spool: &Spool) -> Names {
        let read = |path: &[u8]| -> Vec<u8> {
            let Ok(p) = t.resolve(path) else {
                return Vec::new();
            };
            match t.get(&p) {
                Some(it) if it.node.kind == Kind::File && it.node.size > 0 => {
                    spool.read_small(it.source(), 16 << 20).unwrap_or_default()
                }
                _ => Vec::new(),
            }
        };
        Names {
            passwd: read(b"etc/passwd"),
            group: read(b"etc/group"),
            users: HashMap::new(),
            groups: HashMap::new(),
        }
    }

    fn user(&mut self, uid: u32) -> Option<&str> {
        if uid == 0 {
            return Some("root");
        }
        let passwd = &self.passwd;
        let n = self.users.entry(uid).or_insert_with(|| {
            lookup(passwd, uid, false)
                .or_else(|| (uid == 65534).then(|| "nobody".to_string()))
                .unwrap_or_default()
        });
        Some(n.as_str()).filter(|n| !n.is_empty())
    }

    fn group(&mut self, gid: u32) -> Option<&str> {
        let group = &self.group;
        let n = self.groups.entry(gid).or_insert_with(|| {
            lookup(group, gid, true)
                .or_else(|| match gid {
                    0 => Some("root".to_string()),
                    65534 => Some("nogroup".to_string()),
                    _ => None,
                })
                .unwrap_or_default()
        });
        Some(n.as_str()).filter(|n| !n.is_empty())
    }
}

/// The mode field docker export writes: permission bits plus the file type bits.
pub fn tar_mode(n: &Node<'_>) -> u32 {
    let perm = if n.kind == Kind::Symlink {
        0o777
    } else {
        n.mode & 0o7777
    };
    perm | n.kind.type_bits()
}

/// Writes the merged filesystem as `docker export` does: entries in `filepath.Walk` order,
/// directories with a trailing `/`, the file type in the mode field, owner names from the
/// image's own passwd and group files, only the `security.capability` xattr, and a file
/// that shares an inode with an earlier one as a hardlink to it.
pub fn export(image: &Image, t: &Tree<'_>, out: &mut dyn Write) -> Result<()> {
    let spool = Spool::fill(image, &content_sources(t)?)?;
    let mut names = Names::of(t, &spool);
    let mut b = tar::Builder::new(out);
    let mut first_path: HashMap<u64, &[u8]> = HashMap::new();
    for p in t.walk_order() {
        let Some(it) = t.get(p) else { continue };
        let n = &it.node;
        let mut h = tar::Header::new_ustar();
        h.set_mode(tar_mode(n));
        h.set_uid(n.uid as u64);
        h.set_gid(n.gid as u64);
        h.set_mtime(u64::try_from(n.mtime).unwrap_or(0));
        h.set_size(0);
        if let Some(u) = names.user(n.uid) {
            let _ = h.set_username(u);
        }
        if let Some(g) = names.group(n.gid) {
            let _ = h.set_groupname(g);
        }
        let mut name = p.to_vec();
        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        if n.kind == Kind::Dir {
            name.push(b'/');
        }
        if let Some((_, v)) = n.xattrs().find(|(k, _)| *k == "security.capability") {
            pax.push(("SCHILY.xattr.security.capability".into(), v.to_vec()));
        }
        let mut link: Option<&[u8]> = None;
        let mut body: Option<SpoolReader<'_>> = None;
        let shared = n.kind != Kind::Dir && first_path.contains_key(&it.inode);
        if shared {
            h.set_entry_type(tar::EntryType::Link);
            link = first_path.get(&it.inode).copied();
        } else {
            if n.kind != Kind::Dir {
                first_path.insert(it.inode, p);
            }
            match n.kind {
                Kind::Dir => h.set_entry_type(tar::EntryType::Directory),
                Kind::File => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(n.size);
                    if n.size > 0 {
                        body = Some(spool.reader(it.source())?);
                    }
                }
                Kind::Symlink => {
                    h.set_entry_type(tar::EntryType::Symlink);
                    link = Some(n.link);
                }
                Kind::Char | Kind::Block | Kind::Fifo => {
                    h.set_entry_type(match n.kind {
                        Kind::Char => tar::EntryType::Char,
                        Kind::Block => tar::EntryType::Block,
                        _ => tar::EntryType::Fifo,
                    });
                    h.set_device_major(n.dev.0).map_err(write_err)?;
                    h.set_device_minor(n.dev.1).map_err(write_err)?;
                }
            }
        }
        // Names that do not fit the ustar fields go in PAX records, as Go's writer does.
        if h.set_path(bytes_path(&name)).is_err() {
            pax.push(("path".into(), name.clone()));
            let cut = &name[..name.len().min(100)];
            h.as_old_mut().name = [0; 100];
            h.as_old_mut().name[..cut.len()].copy_from_slice(cut);
        }
        if let Some(l) = link {
            if l.len() > 100 || h.set_link_name(bytes_path(l)).is_err() {
                pax.push(("linkpath".into(), l.to_vec()));
                let cut = &l[..l.len().min(100)];
                h.as_old_mut().linkname = [0; 100];
                h.as_old_mut().linkname[..cut.len()].copy_from_slice(cut);
            }
        }
        if !pax.is_empty() {
            b.append_pax_extensions(pax.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
                .map_err(write_err)?;
        }
        h.set_cksum();
        match body {
            Some(r) => b.append(&h, r),
            None => b.append(&h, io::empty()),
        }
        .map_err(write_err)?;
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

/// xattrs umoci does not restore: host-specific, and refused by most kernels anyway.
const SKIPPED_XATTRS: &[&str] = &["security.selinux", "system.nfs4_acl"];

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

    /// Owner, mode, xattrs and times of an entry, never following a symlink. Owner first:
    /// chown clears `security.capability`.
    fn meta(&self, rel: &[u8], n: &Node<'_>, privileged: bool) -> Result<()> {
        let (pfd, name) = self.parent(rel)?;
        if privileged {
            rustix::fs::chownat(
                &pfd,
                &name,
                Some(rustix::fs::Uid::from_raw(n.uid)),
                Some(rustix::fs::Gid::from_raw(n.gid)),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(|e| self.err(rel, e))?;
        }
        if n.kind != Kind::Symlink {
            rustix::fs::chmodat(&pfd, &name, Mode::from_raw_mode(n.mode), AtFlags::empty())
                .map_err(|e| self.err(rel, e))?;
        }
        if matches!(n.kind, Kind::File | Kind::Dir) && n.xattrs().next().is_some() {
            let fd = rustix::fs::openat(
                &pfd,
                &name,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
                Mode::empty(),
            )
            .map_err(|e| self.err(rel, e))?;
            for (k, v) in n.xattrs() {
                if SKIPPED_XATTRS.contains(&k) {
                    continue;
                }
                match rustix::fs::fsetxattr(&fd, k, v, rustix::fs::XattrFlags::empty()) {
                    Ok(()) => {}
                    // Without the privilege (or on a filesystem without xattrs), umoci goes
                    // on too.
                    Err(e)
                        if !privileged
                            || e == rustix::io::Errno::NOTSUP
                            || e == rustix::io::Errno::PERM =>
                    {
                        let _ = e;
                    }
                    Err(e) => return Err(self.err(rel, e)),
                }
            }
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

/// [`export`] into a file, written beside it and renamed into place when complete: a refused
/// image leaves no file.
pub fn export_file(image: &Image, t: &Tree<'_>, path: &Path) -> Result<()> {
    let writing = |source| Error::Read {
        what: format!("writing {}", path.display()),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|source| Error::Read {
        what: format!("creating a file in {}", dir.display()),
        source,
    })?;
    {
        let mut out = io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        export(image, t, &mut out)?;
        out.flush().map_err(writing)?;
    }
    tmp.persist(path).map_err(|e| writing(e.error))?;
    Ok(())
}

/// Writes the merged filesystem into `root`, which must be absent or empty. Parents are
/// opened beneath `root` without following any symlink, so nothing can land outside it.
/// Device nodes are made only with the privilege to; otherwise skipped, as rootless umoci
/// does. xattrs are restored (after the owner, as umoci does).
pub fn unpack(image: &Image, t: &Tree<'_>, root: &Path) -> Result<()> {
    if root.exists() {
        let mut rd = std::fs::read_dir(root).map_err(|e| Error::io(root, e))?;
        if rd.next().is_some() {
            return Err(Error::InvalidInput(format!(
                "{}: directory is not empty",
                root.display()
            )));
        }
    }
    // Every body is read and verified before the first write.
    let spool = Spool::fill(image, &content_sources(t)?)?;
    if !root.exists() {
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
    let privileged = is_root();
    let mut first_path: HashMap<u64, &[u8]> = HashMap::new();
    let mut dirs: Vec<(&[u8], Node<'_>)> = Vec::new();
    for p in t.walk_order() {
        let Some(it) = t.get(p) else { continue };
        let n = it.node;
        let (pfd, name) = b.parent(p)?;
        if n.kind != Kind::Dir {
            if let Some(first) = first_path.get(&it.inode) {
                let (ofd, oname) = b.parent(first)?;
                rustix::fs::linkat(&ofd, &oname, &pfd, &name, AtFlags::empty())
                    .map_err(|e| b.err(p, e))?;
                continue;
            }
        }
        match n.kind {
            Kind::Dir => {
                rustix::fs::mkdirat(&pfd, &name, Mode::from_raw_mode(0o700))
                    .map_err(|e| b.err(p, e))?;
                dirs.push((p, n));
                continue;
            }
            Kind::File => {
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
                    io::copy(&mut spool.reader(it.source())?, &mut f)
                        .map_err(|e| Error::io(root.join(bytes_path(p)), e))?;
                }
            }
            Kind::Symlink => {
                rustix::fs::symlinkat(bytes_path(n.link), &pfd, &name).map_err(|e| b.err(p, e))?;
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
        first_path.insert(it.inode, p);
        b.meta(p, &n, privileged)?;
    }
    // Directories last, deepest first, so adding entries does not disturb their times.
    for (d, n) in dirs.iter().rev() {
        b.meta(d, n, privileged)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::lookup;

    #[test]
    fn names_as_go_os_user_finds_them() {
        let passwd = b"toor:x:0:0::/:/bin/sh\n+nis:x:5:5::/:/bin/sh\nshort:x:6:6\napp:x:1000:1000::/home/app:/bin/sh\nsecond:x:1000:1000::/:/bin/sh\nzero:x:0100:1::/:\n";
        assert_eq!(lookup(passwd, 1000, false).as_deref(), Some("app"));
        assert_eq!(lookup(passwd, 5, false), None);
        assert_eq!(lookup(passwd, 6, false), None);
        assert_eq!(lookup(passwd, 100, false), None);
        let group = b"wheel:x:0:\n#c:x:7:\nseven:x:7:\nbad:x:8\n";
        assert_eq!(lookup(group, 0, true).as_deref(), Some("wheel"));
        assert_eq!(lookup(group, 7, true).as_deref(), Some("seven"));
        assert_eq!(lookup(group, 8, true), None);
    }
}
